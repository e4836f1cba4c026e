#!/bin/sh
# Linux 7.3 guests: each workload under devmemtop and devmemleak in each
# attach mode the kernel offers (k73_modes=), THP cases included, and a
# devmemrec recording of all of them per mode. The host checks the pages.
modes=$(echo "${k73_modes:-tracepoint}" | tr _ " ")
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
wait_doc() {
	n=0
	while [ ! -s "$1" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
}
# run NAME MODE CMD...
run() {
	name=$1 mode=$2
	shift 2
	rm -f /tmp/top.json
	devmemtop -j -d 0.5 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	wait_doc /tmp/top.json
	devmemleak --attach=$mode --settle 0.5 -- "$@" >/tmp/leak.out 2>&1
	rc=$?
	sleep 0.6
	kill -INT $top
	wait $top
	toprc=$?
	echo "=== $name $mode"
	echo "leak_rc=$rc top_rc=$toprc"
	cat /tmp/leak.out
	echo "--- top"
	tail -1 /tmp/top.json
	echo "--- errors"
	cat /tmp/top.err
	echo "--- end"
}
for mode in $modes; do
	devmemrec --attach=$mode -o /tmp/k73-$mode.dmt >/dev/null 2>/tmp/rec.err &
	rec=$!
	n=0
	while ! grep -q 'recording to' /tmp/rec.err && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
	run private $mode devmem-wl private 64 0
	run coherent $mode devmem-wl coherent 32 2
	run longterm $mode devmem-wl longterm 32 2
	run thp-private $mode devmem-wl thp 4 0
	run thp-coherent $mode devmem-wl thp 2 2
	run parallel $mode devmem-wl parallel 128 2 4
	kill -INT $rec
	wait $rec
	rc=$?
	# 7.3's own hmm-tests under devmemleak: no leaked page or reference.
	if command -v hmm-tests-7.3 >/dev/null; then
		devmemleak --attach=$mode --settle 1 -- hmm-tests-7.3 >/tmp/h.out 2>&1
		echo "=== hmm-tests $mode"
		echo "hmm_leak_rc=$?"
		grep '^devmemleak:\|^# Totals\|^not ok' /tmp/h.out
		echo "--- end"
	fi
	echo "=== record $mode"
	echo "rec_rc=$rc"
	devmemreport --json /tmp/k73-$mode.dmt
	echo
	echo "--- end"
done
echo "bpf_progs_after=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')"
exit 0
