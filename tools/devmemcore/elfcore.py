# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""ELF core dumps without VMCOREINFO (qemu's dump-guest-memory of a kernel
built without CONFIG_VMCORE_INFO or without the guest's qemu_fw_cfg): the
kernel's own note is missing, and drgn cannot find its page tables. From
the vmlinux's symbols and the dump's own memory this builds the note a kdump
kernel would have written, and a copy of the dump that carries it.

The kernel must sit where the vmlinux says: no KASLR (boot with nokaslr) and
phys_base 0. The dump's linux_banner is checked against the vmlinux's; a
dump of another kernel (or a relocated one) fails with MismatchError.
"""
import os
import struct

START_KERNEL_MAP = 0xFFFFFFFF80000000
KERNEL_IMAGE_SIZE = 1 << 30  # the kernel text mapping's reach (x86_64)
PAGE_OFFSET_L5 = 0xFF11000000000000  # page_offset_base under 5-level paging
PT_LOAD, PT_NOTE = 1, 4
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
NEW_UTSNAME_FIELD = 65  # struct new_utsname: six char[65]
# struct elf_prstatus (x86_64): pr_pid after the siginfo, the signal masks;
# pr_reg (struct user_regs_struct, whose first 21 words are a pt_regs) at 112
NT_PRSTATUS, PRSTATUS_PID, PRSTATUS_REGS = 1, 32, 112


class DumpError(Exception):
    """The dump cannot be read: not an ELF core, or cut short."""


class MismatchError(Exception):
    """The vmlinux is not the kernel in the dump (or it was relocated)."""


def _note(name, typ, desc):
    name += b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(name), len(desc), typ) + pad(name) + pad(desc)


def _notes(data):
    """(name, type, desc) of each note in a PT_NOTE segment."""
    off = 0
    while off + 12 <= len(data):
        namesz, descsz, typ = struct.unpack_from("<III", data, off)
        off += 12
        name = data[off:off + namesz].rstrip(b"\0")
        off += (namesz + 3) & ~3
        yield name, typ, data[off:off + descsz]
        off += (descsz + 3) & ~3


class ElfCore:
    """The program headers of an x86_64 ELF core and reads by physical address."""

    def __init__(self, path):
        self.f = open(path, "rb")
        head = self.f.read(EHDR.size)
        if len(head) < EHDR.size or head[:4] != b"\x7fELF":
            raise DumpError("%s: not an ELF file" % path)
        h = EHDR.unpack(head)
        self.ident, self.type, self.machine, self.version = h[0:4]
        phoff, phentsize, phnum = h[5], h[9], h[10]
        if self.ident[4] != 2 or self.type != 4 or phentsize != PHDR.size:
            raise DumpError("%s: not a 64-bit ELF core dump" % path)
        self.f.seek(phoff)
        table = self.f.read(phnum * PHDR.size)
        if len(table) != phnum * PHDR.size:
            raise DumpError("%s: cut short inside its program headers" % path)
        self.phdrs = [list(PHDR.unpack_from(table, i * PHDR.size)) for i in range(phnum)]
        size = os.fstat(self.f.fileno()).st_size
        for p in self.phdrs:
            if p[0] in (PT_LOAD, PT_NOTE) and p[2] + p[5] > size:
                raise DumpError("%s: cut short: a segment ends at %d, the file at %d"
                                % (path, p[2] + p[5], size))
        self.loads = [p for p in self.phdrs if p[0] == PT_LOAD]

    def note_data(self):
        out = b""
        for p in self.phdrs:
            if p[0] == PT_NOTE:
                self.f.seek(p[2])
                out += self.f.read(p[5])
        return out

    def prstatus(self):
        """(pr_pid, the registers as bytes) of each NT_PRSTATUS note, in
        the dump's order (a CPU's number, as drgn takes it)."""
        return [(struct.unpack_from("<I", desc, PRSTATUS_PID)[0], desc[PRSTATUS_REGS:])
                for name, typ, desc in _notes(self.note_data())
                if name == b"CORE" and typ == NT_PRSTATUS and len(desc) > PRSTATUS_REGS]

    def has_vmcoreinfo(self):
        return any(name == b"VMCOREINFO" for name, _, _ in _notes(self.note_data()))

    def read_phys(self, addr, n):
        for p in self.loads:
            if p[4] <= addr and addr + n <= p[4] + p[5]:
                self.f.seek(p[2] + addr - p[4])
                return self.f.read(n)
        raise DumpError("physical address %#x is not in the dump" % addr)

    def read_kernel(self, vaddr, n):
        """Read at a kernel image address (phys_base 0, no KASLR)."""
        return self.read_phys(vaddr - START_KERNEL_MAP, n)


def shown_banner(b):
    """A banner as read, for a message: what there is of a "Linux version" line."""
    b = b.split(b"\0")[0].split(b"\n")[0]
    if not b.startswith(b"Linux version") or any(c < 0x20 or c > 0x7E for c in b):
        return "(no banner there)"
    return b.decode()


def vmcoreinfo_for(core, syms, vmlinux_banner):
    """The VMCOREINFO text of the dumped kernel, from vmlinux's symbols."""
    try:
        banner = core.read_kernel(syms["linux_banner"], len(vmlinux_banner))
    except DumpError:
        banner = b""
    if banner != vmlinux_banner:
        raise MismatchError("the dump's linux_banner is not the vmlinux's: another kernel, "
                            "or one relocated (KASLR: boot with nokaslr, or dump with "
                            "VMCOREINFO)\n  vmlinux: %s\n  dump:    %s"
                            % (shown_banner(vmlinux_banner), shown_banner(banner)))
    uts = core.read_kernel(syms["init_uts_ns"], 4096)
    # init_uts_ns.name follows a kref-sized header; find the sysname.
    at = uts.find(b"Linux\0")
    release = uts[at + NEW_UTSNAME_FIELD * 2:at + NEW_UTSNAME_FIELD * 3].split(b"\0")[0]
    l5 = struct.unpack("<I", core.read_kernel(syms["__pgtable_l5_enabled"], 4))[0]
    lines = ["OSRELEASE=%s" % release.decode(), "PAGESIZE=4096", "KERNELOFFSET=0",
             "SYMBOL(swapper_pg_dir)=%x" % syms["init_top_pgt"],
             "SYMBOL(mem_section)=%x" % syms["mem_section"],
             "NUMBER(pgtable_l5_enabled)=%d" % (1 if l5 else 0), "NUMBER(phys_base)=0"]
    return ("\n".join(lines) + "\n").encode()


def page_offset_base(core, syms):
    return struct.unpack("<Q", core.read_kernel(syms["page_offset_base"], 8))[0]


def write_with_vmcoreinfo(core, info, pob, out_path):
    """A copy of core with a VMCOREINFO note and the kernel's own virtual
    mappings of its physical memory (the kernel image and the direct map),
    so drgn finds swapper_pg_dir without a page table to read it through.
    The data is copied in the kernel (copy_file_range); out_path is 0600."""
    notes = core.note_data() + _note(b"VMCOREINFO", 0, info)
    loads = core.loads
    nr = 1 + 2 * len(loads) + sum(1 for p in loads if p[4] < KERNEL_IMAGE_SIZE)
    notes_at = EHDR.size + nr * PHDR.size
    data_at = (notes_at + len(notes) + 4095) & ~4095
    phdrs, moved, off = [[PT_NOTE, 0, notes_at, 0, 0, len(notes), len(notes), 0]], [], data_at
    for p in loads:
        q = list(p)
        q[2], q[3] = off, p[4]  # the physical view, vaddr = paddr as qemu writes it
        off += p[5]
        moved.append((p[2], q[2], p[5]))
        phdrs.append(q)
        phdrs.append([PT_LOAD, p[1], q[2], pob + p[4], p[4], p[5], p[6], p[7]])
        if p[4] < KERNEL_IMAGE_SIZE:
            n = min(p[5], KERNEL_IMAGE_SIZE - p[4])
            phdrs.append([PT_LOAD, p[1], q[2], START_KERNEL_MAP + p[4], p[4], n, n, p[7]])
    head = EHDR.pack(core.ident, core.type, core.machine, core.version, 0, EHDR.size, 0, 0,
                     EHDR.size, PHDR.size, len(phdrs), 0, 0, 0)
    head += b"".join(PHDR.pack(*p) for p in phdrs) + notes
    fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.pwrite(fd, head, 0)
        for src, dst, n in moved:
            while n:
                c = os.copy_file_range(core.f.fileno(), fd, n, src, dst)
                if c <= 0:
                    raise DumpError("copying the dump: it ended early")
                src, dst, n = src + c, dst + c, n - c
    finally:
        os.close(fd)
