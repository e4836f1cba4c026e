#!/bin/sh
# One of Debian's own, unmodified amd64 kernels (7.3, 6.12, 6.1), with
# test_hmm built out of tree for it (vm/fetch-stock.sh) in
# /lib/modules-extra: load it, then each workload of stock_wls under
# devmemtop and devmemleak in each mode of stock_modes, and a devmemrec
# recording of all of them per mode; then, if stock_leak=1, per mode a leak
# from test_hmm's leak injector in folded stacks. The host
# (tests/vm-stock.sh) picks the lists for the kernel and checks the pages
# and the stacks. Sections as in k73.sh.
. /scenarios/lib.sh
modes=$(echo "${stock_modes:-fentry_kprobe}" | tr _ " ")
wls=$(echo "${stock_wls:-private_thp-private_coherent_thp-coherent}" | tr _ " ")
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
echo "btf=$([ -r /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
echo "=== insmod"
load_extra_modules
devs=
for i in 0 1 2 3; do [ -c /dev/hmm_dmirror$i ] && devs="$devs$i"; done
echo "dmirror_devices=$devs"
ls -l /dev/hmm_dmirror* 2>&1
echo "tainted=$(cat /proc/sys/kernel/tainted)"
grep '^test_hmm ' /proc/modules
dmesg | grep -i 'hmm\|module' | tail -20
echo "--- end"
if [ -z "$devs" ]; then
	echo "bpf_progs_after=$(bpf_progs_left)"
	exit 1
fi
# The workloads by name: devices 0, 1 are device private, 2, 3 coherent.
wl_run() {
	case $1 in
	private) run_under_tools private $2 devmem-wl private 64 0;;
	thp-private) run_under_tools thp-private $2 devmem-wl thp 4 0;;
	coherent) run_under_tools coherent $2 devmem-wl coherent 32 2;;
	thp-coherent) run_under_tools thp-coherent $2 devmem-wl thp 2 2;;
	*) echo "stock: no workload '$1'"; exit 1;;
	esac
}
for mode in $modes; do
	devmemrec --attach=$mode -o /tmp/stock-$mode.dmt >/dev/null 2>/tmp/rec.err &
	rec=$!
	wait_recording /tmp/rec.err
	for wl in $wls; do
		wl_run $wl $mode
	done
	kill -INT $rec
	wait $rec
	rc=$?
	echo "=== record $mode"
	echo "rec_rc=$rc"
	cat /tmp/rec.err
	devmemreport --json /tmp/stock-$mode.dmt
	echo
	echo "--- end"
done
# The leak injector (kpatches/0008, applied to this test_hmm.ko) keeps
# every 4th of 64 coherent pages: devmemleak --folded live, and
# devmemreport --folded on devmemrec's recording, in each mode. Last, as
# the leaked pages stay out for good.
[ "${stock_leak:-0}" = 1 ] || modes=
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
