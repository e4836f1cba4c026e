#!/usr/bin/env python3
"""vm/qemu-dump.py QMP_SOCKET DUMP_FILE DATA_LOG MARKER [TIMEOUT_S [CHECK [TRIES [IN_STACK]]]]

Waits until the guest's data log (run-vm.sh's data.log) has the line MARKER,
dumps the guest's memory to DUMP_FILE with QMP's dump-guest-memory (an ELF
core of physical memory, paging off: the reader walks the page tables), makes
it 0600 (it holds the guest's kernel memory), then writes "dumped" to the
guest's input port (QMP_SOCKET.tty) so the scenario goes on.

CHECK, a shell command, is run after each dump (the guest runs on). A dump
is one instant, and what a task on a CPU was doing then is chance (a fault
that spins is inside the driver's callback most of the time, not all of
it): while CHECK fails the guest is dumped again, TRIES times in all
(default 4). The last dump stays; stderr says how many it took.

IN_STACK, CPU:START-END (hex addresses, a function's range), times each
dump: the guest is stopped (QMP stop) until vCPU CPU is in the kernel with
a return address in [START, END) between its stack pointer and the end of
its stack (16 KiB, x86_64), up to 500 times, and dumped there. The vCPU
stops where qemu TCG lets it, mostly at an exception's entry: a fault
that spins was inside its callback at 2 of 10 dumps taken at random.

Exit status: 0 dumped (and CHECK passed), 1 QMP refused or failed, 2 CHECK
failed on every dump, 124 MARKER never came.
"""
import json
import os
import re
import socket
import struct
import subprocess
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


def stop_in(f, spec, scratch):
    """Stop the guest where vCPU cpu's kernel stack holds a return address
    in [start, end); returns the number of stops it took, 0 if none did."""
    cpu, rng = spec.split(":")
    cpu, (start, end) = int(cpu), (int(x, 16) for x in rng.split("-"))
    for n in range(1, 501):
        qmp_command(f, "stop")
        regs = qmp_command(f, "human-monitor-command",
                           {"command-line": "info registers", "cpu-index": cpu})
        rip = int(re.search(r"RIP=([0-9a-f]+)", regs).group(1), 16)
        rsp = int(re.search(r"RSP=([0-9a-f]+)", regs).group(1), 16)
        if rip >= 1 << 63 and rsp >= 1 << 63:  # in the kernel, on a kernel stack
            top = (rsp | 0x3FFF) + 1
            # QMP's integers are int64: a kernel address goes as its negative
            try:
                qmp_command(f, "memsave", {"val": rsp - (1 << 64), "size": top - rsp,
                                           "filename": scratch, "cpu-index": cpu})
            except RuntimeError:
                # qemu could not translate it with the vCPU's page tables as
                # they were (seen once: "Invalid addr"): try another instant
                data = b""
            else:
                with open(scratch, "rb") as m:
                    data = m.read()
            if os.path.exists(scratch):  # kernel memory: not left about
                os.unlink(scratch)
            words = struct.unpack("<%dQ" % (len(data) // 8), data[:len(data) // 8 * 8])
            if start <= rip < end or any(start <= w < end for w in words):
                return n
        qmp_command(f, "cont")
        time.sleep(0.02 * (n % 5))
    return 0


def main():
    qmp, dump, log, marker = sys.argv[1:5]
    limit = float(sys.argv[5]) if len(sys.argv) > 5 else 900
    check = sys.argv[6] if len(sys.argv) > 6 else None
    tries = int(sys.argv[7]) if len(sys.argv) > 7 else 4
    in_stack = sys.argv[8] if len(sys.argv) > 8 else None
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
    failed = False
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(qmp)
            f = s.makefile("rw")
            json.loads(f.readline())  # the greeting
            qmp_command(f, "qmp_capabilities")
            for n in range(1, tries + 1):
                t0 = time.monotonic()
                if os.path.exists(dump):
                    os.unlink(dump)
                if in_stack:
                    stops = stop_in(f, in_stack, dump + ".stack")
                    print("qemu-dump: %s after %d stops (%.1f s)" % (
                        "in the stack" if stops else "never in the stack", stops or 500,
                        time.monotonic() - t0), file=sys.stderr)
                    t0 = time.monotonic()
                qmp_command(f, "dump-guest-memory", {"paging": False, "protocol": "file:" + dump})
                os.chmod(dump, 0o600)
                if in_stack:
                    qmp_command(f, "cont")
                print("qemu-dump: %s: %d bytes in %.1f s" % (dump, os.path.getsize(dump),
                      time.monotonic() - t0), file=sys.stderr)
                if not check:
                    break
                t0 = time.monotonic()
                rc = subprocess.run(["sh", "-c", check]).returncode
                print("qemu-dump: check %s on dump %d of %d (%.1f s)" % (
                    "passed" if rc == 0 else "failed", n, tries, time.monotonic() - t0),
                    file=sys.stderr)
                if rc == 0:
                    break
            else:
                failed = True
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(qmp + ".tty")
            s.sendall(b"dumped\n")
    except (OSError, RuntimeError, ValueError) as e:
        print("qemu-dump: %s" % e, file=sys.stderr)
        # let the scenario end now rather than at the VM's time limit: the
        # guest may be stopped (IN_STACK), and it waits on its input port
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(qmp)
                f = s.makefile("rw")
                json.loads(f.readline())
                qmp_command(f, "qmp_capabilities")
                qmp_command(f, "cont")
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(qmp + ".tty")
                s.sendall(b"failed\n")
        except (OSError, RuntimeError, ValueError):
            pass
        return 1
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
