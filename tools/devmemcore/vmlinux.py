# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""What devmemcore needs from a vmlinux before drgn reads it: a few symbols
and their initial contents (the banner), and whether it has DWARF."""
import struct

SHDR = struct.Struct("<IIQQQQIIQQ")
SYM = struct.Struct("<IBBHQQ")
SHT_SYMTAB, SHT_NOBITS = 2, 8


class VmlinuxError(Exception):
    """Not an ELF vmlinux."""


class Vmlinux:
    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:4] != b"\x7fELF" or head[4] != 2:
                raise VmlinuxError("%s: not a 64-bit ELF file" % path)
            shoff, = struct.unpack_from("<Q", head, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from("<HHH", head, 0x3A)
            f.seek(shoff)
            table = f.read(shentsize * shnum)
            if shentsize != SHDR.size or len(table) != shentsize * shnum:
                raise VmlinuxError("%s: damaged section headers" % path)
            self.sections = [SHDR.unpack_from(table, i * SHDR.size) for i in range(shnum)]
            strtab = self._read(f, self.sections[shstrndx])
            self.names = [strtab[s[0]:strtab.index(b"\0", s[0])].decode() for s in self.sections]
            self.f = open(path, "rb")

    @staticmethod
    def _read(f, s):
        f.seek(s[4])
        return f.read(s[5])

    def has_section(self, name):
        return name in self.names

    def symbols(self, wanted):
        """{name: address} for the names in wanted found in .symtab."""
        out = {}
        for s in self.sections:
            if s[1] != SHT_SYMTAB:
                continue
            syms = self._read(self.f, s)
            strs = self._read(self.f, self.sections[s[6]])
            for off in range(0, len(syms), SYM.size):
                name_off, _, _, _, value, _ = SYM.unpack_from(syms, off)
                if not name_off or not value:
                    continue
                end = strs.index(b"\0", name_off)
                name = strs[name_off:end].decode(errors="replace")
                if name in wanted:
                    out[name] = value
        return out

    def read(self, addr, n):
        """The initial contents at a kernel address (a PROGBITS section's)."""
        for s in self.sections:
            if s[1] != SHT_NOBITS and s[3] and s[3] <= addr and addr + n <= s[3] + s[5]:
                self.f.seek(s[4] + addr - s[3])
                return self.f.read(n)
        raise VmlinuxError("%#x is not in %s's sections" % (addr, self.path))

    def banner(self, addr):
        data = self.read(addr, 512)
        return data[:data.index(b"\0")] if b"\0" in data else data
