#!/bin/sh
# Debian's own, unmodified Linux 7.3.4 amd64 kernel, with test_hmm built out
# of tree for it (vm/fetch-stock-73.sh) in /lib/modules-extra: load it with
# its two coherent devices, then each workload, THP ones included, under
# devmemtop and devmemleak in fentry and kprobe modes, and a devmemrec
# recording of all of them per mode; then, per mode, a leak from test_hmm's
# leak injector in folded stacks. The host (tests/vm-stock-73.sh) checks
# the pages and the stacks. Sections as in k73.sh.
. /scenarios/lib.sh
modes=$(echo "${stock73_modes:-fentry_kprobe}" | tr _ " ")
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
echo "btf=$([ -r /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
echo "=== insmod"
load_extra_modules
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
# The leak injector (kpatches/0008, applied to this test_hmm.ko) keeps
# every 4th of 64 coherent pages: devmemleak --folded live, and
# devmemreport --folded on devmemrec's recording, in each mode. Last, as
# the leaked pages stay out for good.
for mode in $modes; do
	devmemrec --attach=$mode -o /tmp/leak-$mode.dmt >/dev/null 2>/tmp/rec.err &
	rec=$!
	wait_recording /tmp/rec.err
	echo 4 >/sys/module/test_hmm/parameters/leak_every
	devmemleak --attach=$mode --folded /tmp/leak-$mode.folded -- devmem-wl coherent 64 3 \
		>/tmp/leak.out 2>&1
	rc=$?
	echo 0 >/sys/module/test_hmm/parameters/leak_every
	sleep 1.2
	kill -INT $rec
	wait $rec
	recrc=$?
	echo "=== leak $mode"
	echo "leak_rc=$rc rec_rc=$recrc"
	cat /tmp/leak.out
	echo "--- folded live"
	cat /tmp/leak-$mode.folded
	echo "--- folded report"
	devmemreport --folded - /tmp/leak-$mode.dmt
	echo "report_rc=$?"
	echo "--- end"
done
echo "bpf_progs_after=$(bpf_progs_left)"
dmesg | grep -E 'BUG:|Oops|WARNING:' | head -5
exit 0
