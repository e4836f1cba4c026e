# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""The tools' C library (tools/lib, built as libdevmemcore.so) through
ctypes: the exit-code table, and how pgmaps, devices and task states are
named, so that devmemcore says what the other tools say."""
import ctypes
import os
import sys

NAME_LEN = 48  # DEVMEM_NAME_LEN (tools/lib/state.h); checked against the library
TOOL_CORE = 1 << 4  # DEVMEM_TOOL_CORE (tools/lib/exit_codes.h)
_here = os.path.dirname(os.path.realpath(__file__))
_paths = [os.path.join(_here, "libdevmemcore.so")]


def _load():
    for p in _paths:
        if os.path.exists(p):
            return ctypes.CDLL(p)
    print("devmemcore: libdevmemcore.so not found (looked in %s)" % ", ".join(_paths),
          file=sys.stderr)
    sys.exit(1)


_lib = _load()


class _ExitCode(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("name", ctypes.c_char_p), ("tools", ctypes.c_uint),
                ("meaning", ctypes.c_char_p)]


class _IomemRes(ctypes.Structure):
    _fields_ = [("start", ctypes.c_uint64), ("end", ctypes.c_uint64), ("depth", ctypes.c_int),
                ("name", ctypes.c_char * NAME_LEN)]


class _Iomem(ctypes.Structure):
    _fields_ = [("res", ctypes.POINTER(_IomemRes)), ("n", ctypes.c_size_t)]


if ctypes.c_size_t.in_dll(_lib, "devmem_name_len").value != NAME_LEN:
    raise SystemExit("devmemcore: libdevmemcore.so was built with another DEVMEM_NAME_LEN")


def _rows():
    n = ctypes.c_uint.in_dll(_lib, "devmem_nr_exit_codes").value
    table = (_ExitCode * n).in_dll(_lib, "devmem_exit_codes")
    return [r for r in table if r.tools & TOOL_CORE]


def exit_codes():
    """{name: code} of devmemcore's rows."""
    return {r.name.decode(): r.code for r in _rows()}


def exit_codes_rows():
    """(code, name, meaning) of devmemcore's rows, for its man page."""
    return [(r.code, r.name.decode(), r.meaning.decode()) for r in _rows()]


def exit_codes_help():
    return "Exit status:\n" + "".join("  %-3d %s\n" % (r.code, r.meaning.decode()) for r in _rows())


_lib.pgmap_driver_name.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_char_p, ctypes.c_size_t]
_lib.pgmap_clean_name.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
_lib.iomem_find.argtypes = [ctypes.POINTER(_Iomem), ctypes.c_uint64, ctypes.c_uint64,
                            ctypes.POINTER(ctypes.c_long)]
_lib.iomem_find.restype = ctypes.c_long
_lib.task_state_name.argtypes = [ctypes.c_char]
_lib.task_state_name.restype = ctypes.c_char_p


def _b(s):
    return s.encode() if s else None


def clean_name(s):
    buf = ctypes.create_string_buffer(NAME_LEN)
    _lib.pgmap_clean_name(buf, NAME_LEN, s.encode())
    return buf.value.decode()


def driver_name(sym, mod, res):
    buf = ctypes.create_string_buffer(NAME_LEN)
    _lib.pgmap_driver_name(_b(sym), _b(mod), _b(res), buf, NAME_LEN)
    return buf.value.decode()


def device_of(resources, start, end):
    """(device, pci) of [start, end] from the iomem resources, a list of
    (start, end, depth, name) in /proc/iomem's order, as the tools name them."""
    arr = (_IomemRes * max(len(resources), 1))()
    for i, (s, e, d, n) in enumerate(resources):
        arr[i].start, arr[i].end, arr[i].depth = s, e, d
        arr[i].name = clean_name(n).encode()
    io = _Iomem(arr, len(resources))
    pci = ctypes.c_long(-1)
    res = _lib.iomem_find(ctypes.byref(io), start, end, ctypes.byref(pci))
    device = arr[res].name.decode() if res >= 0 else ctypes.c_char_p.in_dll(
        _lib, "pgmap_not_in_iomem").value.decode()
    return device, arr[pci.value].name.decode() if pci.value >= 0 else ""


def task_state(letter):
    return _lib.task_state_name(letter.encode()[:1] or b"\0").decode()


_lib.devmem_print_version.argtypes = [ctypes.c_void_p, ctypes.c_char_p]


def print_version(tool):
    """devmem_print_version(stdout, tool): the line every tool's --version prints."""
    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    libc.fdopen.restype = ctypes.c_void_p
    libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
    f = libc.fdopen(os.dup(sys.stdout.fileno()), b"w")
    _lib.devmem_print_version(f, tool.encode())
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.fclose(f)
