#!/bin/sh
# A release stuck in memunmap_pages() and a fault spinning in the driver's
# migrate_to_ram(), for devmemcore (tests/vm-coredump.sh): test_hmm's leak
# injector keeps every 4th of 64 pages of device 1, the release waits for
# the 16. Then a spin on device 0 (devmem-wl spin 4 0): leak_count is 64,
# so the last of its 4 pages is kept too, and the CPU read of it faults
# forever, in and out of dmirror_devmem_fault(). devmemtop -j shows it;
# devmemcore reads this kernel's /proc/kcore if the initramfs has it
# (vm/mkinitramfs-drgn.sh); then the host dumps the guest
# (vm/qemu-dump.py) on the line "=== dump" and answers on ttyS2.
. /scenarios/lib.sh	# load_extra_modules
echo "kernel=$(uname -r)"
load_extra_modules
leak=/sys/module/test_hmm/parameters/leak_every
state() { awk '{ print $3 }' /proc/$1/stat; }
# centiseconds since boot
now_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}
echo 4 >$leak
devmem-wl release 64 1 >/tmp/wl.out 2>&1 &
wl=$!
i=0
while [ $i -lt 300 ] && [ "$(state $wl)" != D ]; do
	sleep 0.2
	i=$((i + 1))
done
# On CPU 1, nice 19: it keeps that vCPU busy. devmemcore runs on CPU 0,
# so that the spin stays on its CPU while devmemcore reads the kernel.
taskset -c 1 devmem-wl spin 4 0 >/tmp/spin.out 2>&1 &
spin=$!
renice 19 $spin >/dev/null
i=0
while [ $i -lt 300 ] && ! grep -q '^wl=spin' /tmp/spin.out; do
	sleep 0.2
	i=$((i + 1))
done
echo 0 >$leak
echo "=== top"
echo "wl_pid=$wl wl_state=$(state $wl)"
grep '^wl=spin' /tmp/spin.out
# Not fentry mode: its programs on a function a task spins through take
# this TCG guest down (docs/devmemtop.md, "Attach modes"). Tracepoints on
# the patched kernel, kprobes on Debian's (coredump_attach=kprobe).
devmemtop -j -n 1 -d 0.5 --stall 2 --attach=${coredump_attach:-tracepoint} >/tmp/late.json 2>/tmp/late.err
echo "top_rc=$?"
tail -1 /tmp/late.json
cat /tmp/late.err
echo "--- end"
if command -v devmemcore >/dev/null; then
	# The same report from the running kernel, as a user would run it:
	# /proc/kcore, the kernel's DWARF where Debian's -dbg package puts it.
	echo "=== kcore"
	t0=$(now_cs)
	taskset -c 0 devmemcore -j -k /usr/lib/debug/boot/vmlinux-$(uname -r) >/tmp/kcore.json 2>/tmp/kcore.err
	echo "kcore_rc=$? kcore_ms=$((($(now_cs) - t0) * 10))"
	echo "spin_pid=$spin spin_state=$(state $spin) wl_state=$(state $wl)"
	cat /tmp/kcore.json
	cat /tmp/kcore.err
	echo "--- end"
fi
echo "spin_pid=$spin"
stty -F /dev/ttyS2 -echo 2>/dev/null
echo "=== dump"
read -r answer </dev/ttyS2
echo "host=$answer"
exit 0
