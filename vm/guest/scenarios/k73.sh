#!/bin/sh
# Linux 7.3 guests: each workload under devmemtop and devmemleak in each
# attach mode the kernel offers (k73_modes=), THP cases included, and a
# devmemrec recording of all of them per mode. The host checks the pages.
. /scenarios/lib.sh
modes=$(echo "${k73_modes:-tracepoint}" | tr _ " ")
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
# Late start (docs/counting.md) on the series' debugfs zone_device/pgmaps:
# devmemtop and devmemrec started while 4 THPs (2048 pages) sit on device 0.
if [ -e /sys/kernel/debug/zone_device/pgmaps ]; then
	cat >/tmp/late73.sh <<-'LATE'
	. /scenarios/lib.sh	# wait_recording
	devmemrec -o /tmp/late73.dmt 2>/tmp/late73.err &
	r=$!
	wait_recording /tmp/late73.err
	devmemtop -j -n 3 -d 0.3 >/tmp/late73.json 2>/dev/null
	echo top_rc=$?
	kill -INT $r
	wait $r
	echo rec_rc=$?
	LATE
	DEVMEM_WL_MIDWAY="sh /tmp/late73.sh" devmem-wl thp 4 0 >/tmp/late73.out 2>&1
	rc=$?
	echo "=== late73"
	echo "wl_rc=$rc"
	cat /tmp/late73.out
	echo "--- top"
	tail -1 /tmp/late73.json
	echo "--- report"
	devmemreport -j /tmp/late73.dmt
	echo "--- end"
fi
# The series' selftest (its last patch), before any tool attaches: it
# passes on the patched kernel and skips on the vanilla one.
if command -v zone_device_trace-7.3 >/dev/null; then
	zone_device_trace-7.3 >/tmp/zdt.out 2>&1
	rc=$?
	echo "=== zone_device_trace"
	echo "zdt_rc=$rc"
	cat /tmp/zdt.out
	echo "--- end"
fi
for mode in $modes; do
	devmemrec --attach=$mode -o /tmp/k73-$mode.dmt >/dev/null 2>/tmp/rec.err &
	rec=$!
	wait_recording /tmp/rec.err
	run_under_tools private $mode devmem-wl private 64 0
	run_under_tools coherent $mode devmem-wl coherent 32 2
	run_under_tools longterm $mode devmem-wl longterm 32 2
	run_under_tools thp-private $mode devmem-wl thp 4 0
	run_under_tools thp-coherent $mode devmem-wl thp 2 2
	run_under_tools parallel $mode devmem-wl parallel 128 2 4
	kill -INT $rec
	wait $rec
	rc=$?
	# 7.3's own hmm-tests under devmemleak: no leaked page or reference.
	if command -v hmm-tests-7.3 >/dev/null; then
		devmemleak --attach=$mode --settle 1 -- hmm-tests-7.3 >/tmp/h.out 2>&1
		leakrc=$?
		echo "=== hmm-tests $mode"
		echo "hmm_leak_rc=$leakrc"
		grep '^devmemleak:\|^# Totals\|^not ok' /tmp/h.out
		echo "--- end"
	fi
	echo "=== record $mode"
	echo "rec_rc=$rc"
	devmemreport --json /tmp/k73-$mode.dmt
	echo
	echo "--- end"
done
echo "bpf_progs_after=$(bpf_progs_left)"
exit 0
