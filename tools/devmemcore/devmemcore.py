#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""devmemcore: device memory in a kernel crash dump or a live /proc/kcore
(docs/devmemcore.md). Every pgmap in the kernel's registry (pgmap_array),
its percpu_ref, the device pages in use, and the tasks blocked in
memunmap_pages() or a driver's migrate_to_ram(), with their stacks.

A drgn program: Debian's python3-drgn is the well-kept kernel dump reader
the machine has (crash 8.0.2 cannot read a 7.x kernel's dump, docs say why).
The exit codes and the driver names come from the tools' C library
(libdevmemcore.so, tools/lib) so that every tool says the same.
"""
import argparse
import ctypes
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in sbin's neighbours
# Its modules and libdevmemcore.so: beside it in the build, in
# lib/devmemscope once installed (sbin/devmemcore).
HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "lib", "devmemscope")]
import devmemlib  # noqa: E402  (tools/devmemcore/devmemlib.py: the C library)
import elfcore  # noqa: E402
import vmlinux as vmlinux_mod  # noqa: E402

EXIT = devmemlib.exit_codes()
# Symbols the dump is placed by when it has no VMCOREINFO (elfcore.py).
PLACING_SYMBOLS = ("linux_banner", "init_uts_ns", "init_top_pgt", "mem_section",
                   "page_offset_base", "__pgtable_l5_enabled")


def die(code, msg):
    print("devmemcore: " + msg, file=sys.stderr)
    sys.exit(EXIT[code])


EXAMPLES = [
    ("devmemcore -k /usr/lib/debug/boot/vmlinux-7.3.4 /var/crash/vmcore",
     "the report of a kdump's dump, read with the kernel's debug symbols"),
    ("devmemcore -j -k vmlinux --scratch /data guest.core",
     "a qemu dump of a guest without VMCOREINFO as JSON; its copy goes to /data"),
    ("devmemcore", "this kernel, from /proc/kcore"),
]


def build_parser():
    p = argparse.ArgumentParser(
        prog="devmemcore", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Device memory (ZONE_DEVICE pgmaps, their pages, the tasks waiting on "
        "them) in a kernel crash dump or a live /proc/kcore.",
        epilog="Examples:\n" + "".join("  %s\n      %s\n" % e for e in EXAMPLES) + "\n" +
        devmemlib.exit_codes_help())
    p.add_argument("dump", nargs="?", default="/proc/kcore",
                   help="an ELF or kdump crash dump, or /proc/kcore (the default): this kernel")
    p.add_argument("-k", "--vmlinux", help="the dumped kernel's vmlinux with DWARF (default: "
                   "drgn's search, /usr/lib/debug/boot/vmlinux-RELEASE)")
    p.add_argument("-m", "--module", action="append", default=[], metavar="KO",
                   help="debug info of a module (a driver's .ko with DWARF); may be repeated")
    p.add_argument("-V", "--version", action="store_true", help="print the version and exit")
    p.add_argument("-j", "--json", action="store_true", help="one JSON document (the tools' schema)")
    p.add_argument("--folios", type=int, default=64, metavar="N",
                   help="list the first N folios in use of each pgmap (default 64); counts stay exact")
    p.add_argument("--scratch", metavar="DIR", default=os.environ.get("TMPDIR", "/tmp"),
                   help="where a dump without VMCOREINFO is copied with one (as large as the dump)")
    return p


def parse_args():
    p = build_parser()
    try:
        a = p.parse_args()
    except SystemExit as e:
        sys.exit(EXIT["ok"] if e.code == 0 else EXIT["usage"])
    if a.version:
        devmemlib.print_version("devmemcore")
        sys.exit(EXIT["ok"])
    if a.folios < 0:
        die("usage", "--folios: a count, 0 or more")
    return a


def import_drgn():
    try:
        import drgn
    except ImportError:
        die("error", "drgn is not installed (Debian: apt install python3-drgn)")
    return drgn


def open_program(a, scratch):
    """A drgn Program on the dump (or this kernel) with the vmlinux's DWARF."""
    drgn = import_drgn()
    prog = drgn.Program()
    vml = None
    if a.vmlinux:
        try:
            vml = vmlinux_mod.Vmlinux(a.vmlinux)
        except OSError as e:
            die("usage", "%s: %s" % (a.vmlinux, e.strerror))
        except vmlinux_mod.VmlinuxError as e:
            die("no_debuginfo", str(e))
        if not vml.has_section(".debug_info"):
            die("no_debuginfo", "%s has no DWARF (.debug_info): build with CONFIG_DEBUG_INFO, or "
                "install the kernel's -dbg package" % a.vmlinux)
    path = a.dump
    if a.dump == "/proc/kcore":
        try:
            prog.set_kernel()
        except (OSError, ValueError, drgn.FaultError) as e:
            die("no_dump", "/proc/kcore: %s" % e)
    else:
        try:
            core = elfcore.ElfCore(a.dump)
        except OSError as e:
            die("no_dump", "%s: %s" % (a.dump, e.strerror))
        except elfcore.DumpError as e:
            core = None
            if not kdump_file(a.dump):
                die("no_dump", str(e))
        if core and not core.has_vmcoreinfo():
            if not vml:
                die("no_vmcoreinfo", "%s has no VMCOREINFO note (qemu without -device vmcoreinfo, "
                    "or a kernel without CONFIG_VMCORE_INFO): give its vmlinux (-k) to place the "
                    "kernel by (booted with nokaslr)" % a.dump)
            path = with_vmcoreinfo(core, vml, scratch)
        try:
            prog.set_core_dump(path)
        except (OSError, ValueError, drgn.FaultError) as e:
            die("no_dump", "%s: %s" % (a.dump, e))
    load_debug_info(prog, vml, a.module, scratch, drgn)
    check_match(prog, vml, drgn)
    return prog


def kdump_file(path):
    with open(path, "rb") as f:
        return f.read(8) in (b"KDUMP   ", b"DISKDUMP")


def with_vmcoreinfo(core, vml, scratch):
    syms = vml.symbols(PLACING_SYMBOLS)
    missing = [s for s in PLACING_SYMBOLS if s not in syms]
    if missing:
        die("no_debuginfo", "%s lacks the symbols %s" % (vml.path, ", ".join(missing)))
    try:
        info = elfcore.vmcoreinfo_for(core, syms, vml.banner(syms["linux_banner"]))
        pob = elfcore.page_offset_base(core, syms)
        out = os.path.join(scratch, "vmcore")
        print("devmemcore: %s has no VMCOREINFO: reading a copy with one made from %s (%s)"
              % (core.f.name, vml.path, out), file=sys.stderr)
        elfcore.write_with_vmcoreinfo(core, info, pob, out)
    except elfcore.MismatchError as e:
        die("mismatch", str(e))
    except elfcore.DumpError as e:
        die("no_dump", str(e))
    except OSError as e:
        die("error", "copying the dump to %s: %s" % (scratch, e))
    return out


def load_debug_info(prog, vml, modules, scratch, drgn):
    """drgn 0.0.22 reads only the ORC format of kernels before 6.4; on a newer
    kernel it fails every stack ("unknown ORC entry type"). Without the ORC
    sections it unwinds from the DWARF CFI (.debug_frame) instead."""
    paths = []
    for i, path in enumerate(([vml.path] if vml else []) + modules):
        try:
            f = vmlinux_mod.Vmlinux(path)
        except OSError as e:
            die("usage", "%s: %s" % (path, e.strerror))
        except vmlinux_mod.VmlinuxError as e:
            die("no_debuginfo", str(e))
        if drgn_older_than(drgn, (0, 0, 23)) and f.has_section(".orc_unwind"):
            out = os.path.join(scratch, "%d-%s" % (i, os.path.basename(path)))
            # .orc_header stays: a module's symbol table points into it
            r = subprocess.run(["objcopy", "-R", ".orc_unwind", "-R", ".orc_unwind_ip",
                                "-R", ".rela.orc_unwind_ip", path, out], capture_output=True)
            if r.returncode:
                die("error", "objcopy (binutils) could not strip ORC from %s: %s"
                    % (path, r.stderr.decode(errors="replace").strip()))
            path = out
        paths.append(path)
    try:
        prog.load_debug_info(paths, default=not vml)
    except drgn.MissingDebugInfoError as e:
        if not vml or "vmlinux" in str(e).split("\n")[0]:
            die("no_debuginfo", "no debug info for the kernel: %s" % e)
        # a module's frames and symbols stay unnamed: say which (-m names them)
        print("devmemcore: %s" % e, file=sys.stderr)
    try:
        prog.type("struct dev_pagemap")
    except LookupError:
        die("no_debuginfo", "the debug info has no struct dev_pagemap (no ZONE_DEVICE, or no DWARF)")


def drgn_older_than(drgn, version):
    try:
        return tuple(int(x) for x in drgn.__version__.split("+")[0].split(".")[:3]) < version
    except ValueError:
        return False


def check_match(prog, vml, drgn):
    if not vml:
        return
    syms = vml.symbols(("linux_banner",))
    if "linux_banner" not in syms:
        return
    want = vml.banner(syms["linux_banner"])
    try:
        have = prog.read(prog.symbol("linux_banner").address, len(want))
    except (drgn.FaultError, LookupError):
        have = b""
    if have != want:
        die("mismatch", "%s is not the dumped kernel:\n  vmlinux: %s\n  dump:    %s"
            % (vml.path, elfcore.shown_banner(want), elfcore.shown_banner(have)))


def main():
    a = parse_args()
    try:
        scratch = tempfile.mkdtemp(prefix="devmemcore.", dir=a.scratch)
    except OSError as e:
        die("usage", "--scratch %s: %s" % (a.scratch, e.strerror))
    try:
        prog = open_program(a, scratch)
        import report
        doc = report.collect(prog, a)
        if a.json:
            json.dump(doc, sys.stdout, separators=(",", ":"))
            sys.stdout.write("\n")
        else:
            report.print_text(doc, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return EXIT["ok"]


if __name__ == "__main__":
    sys.exit(main())
