#!/usr/bin/env python3
"""vm/qemu-dump.py QMP_SOCKET DUMP_FILE DATA_LOG MARKER [TIMEOUT_S]

Waits until the guest's data log (run-vm.sh's data.log) has the line MARKER,
dumps the guest's memory to DUMP_FILE with QMP's dump-guest-memory (an ELF
core of physical memory, paging off: the reader walks the page tables), makes
it 0600 (it holds the guest's kernel memory), then writes "dumped" to the
guest's input port (QMP_SOCKET.tty) so the scenario goes on.

Exit status: 0 dumped, 1 QMP refused or failed, 124 MARKER never came.
"""
import json
import os
import socket
import sys
import time


def qmp_command(f, cmd, args=None):
    msg = {"execute": cmd}
    if args:
        msg["arguments"] = args
    f.write(json.dumps(msg) + "\n")
    f.flush()
    while True:
        line = f.readline()
        if not line:
            raise RuntimeError("QMP closed during " + cmd)
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError("%s: %s" % (cmd, reply["error"].get("desc")))
        if "return" in reply:
            return reply["return"]
        # events (e.g. DUMP_COMPLETED) are skipped


def main():
    qmp, dump, log, marker = sys.argv[1:5]
    limit = float(sys.argv[5]) if len(sys.argv) > 5 else 900
    deadline = time.monotonic() + limit
    while True:
        try:
            with open(log, errors="replace") as f:
                if any(l.rstrip("\n") == marker for l in f):
                    break
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            print("qemu-dump: no %r in %s after %g s" % (marker, log, limit), file=sys.stderr)
            return 124
        time.sleep(1)
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(qmp)
            f = s.makefile("rw")
            json.loads(f.readline())  # the greeting
            qmp_command(f, "qmp_capabilities")
            t0 = time.monotonic()
            qmp_command(f, "dump-guest-memory", {"paging": False, "protocol": "file:" + dump})
            os.chmod(dump, 0o600)
            print("qemu-dump: %s: %d bytes in %.1f s" % (dump, os.path.getsize(dump),
                  time.monotonic() - t0), file=sys.stderr)
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(qmp + ".tty")
            s.sendall(b"dumped\n")
    except (OSError, RuntimeError, ValueError) as e:
        print("qemu-dump: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
