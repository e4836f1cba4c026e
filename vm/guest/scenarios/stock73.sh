#!/bin/sh
# Debian's own, unmodified Linux 7.3.4 amd64 kernel, with test_hmm built out
# of tree for it (vm/fetch-stock-73.sh) in /lib/modules-extra: load it with
# its two coherent devices, then each workload, THP ones included, under
# devmemtop and devmemleak in fentry and kprobe modes, and a devmemrec
# recording of all of them per mode. The host (tests/vm-stock-73.sh)
# checks the pages. Sections as in k73.sh.
. /scenarios/lib.sh
modes=$(echo "${stock73_modes:-fentry_kprobe}" | tr _ " ")
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
echo "btf=$([ -r /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
echo "=== insmod"
mods=/lib/modules-extra
for ko in $(cat $mods/modules.order); do
	if [ "$ko" = test_hmm.ko ]; then
		insmod $mods/$ko spm_addr_dev0=0x40000000 spm_addr_dev1=0x50000000
	else
		insmod $mods/$ko
	fi
	echo "insmod_rc $ko $?"
done
n=0
for i in 0 1 2 3; do [ -c /dev/hmm_dmirror$i ] && n=$((n + 1)); done
echo "dmirror_devices=$n"
ls -l /dev/hmm_dmirror* 2>&1
echo "tainted=$(cat /proc/sys/kernel/tainted)"
grep '^test_hmm ' /proc/modules
dmesg | grep -i 'hmm\|module' | tail -20
echo "--- end"
if [ "$n" != 4 ]; then
	echo "bpf_progs_after=$(bpf_progs_left)"
	exit 1
fi
for mode in $modes; do
	devmemrec --attach=$mode -o /tmp/stock73-$mode.dmt >/dev/null 2>/tmp/rec.err &
	rec=$!
	wait_recording /tmp/rec.err
	run_under_tools private $mode devmem-wl private 64 0
	run_under_tools thp-private $mode devmem-wl thp 4 0
	run_under_tools coherent $mode devmem-wl coherent 32 2
	run_under_tools thp-coherent $mode devmem-wl thp 2 2
	kill -INT $rec
	wait $rec
	rc=$?
	echo "=== record $mode"
	echo "rec_rc=$rc"
	cat /tmp/rec.err
	devmemreport --json /tmp/stock73-$mode.dmt
	echo
	echo "--- end"
done
echo "bpf_progs_after=$(bpf_progs_left)"
dmesg | grep -E 'BUG:|Oops|WARNING:' | head -5
exit 0
