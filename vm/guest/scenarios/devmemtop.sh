#!/bin/sh
# Each workload under `devmemtop -j` in each attach mode. devmemtop runs in
# the background with a short interval and is stopped with SIGINT (or
# SIGTERM), which makes it print a last document; bpftool then shows
# whether anything stayed attached. The host checks the numbers.
. /scenarios/lib.sh
modes=${top_modes:-tracepoint fentry kprobe}

# run_top NAME MODE SIGNAL CMD...
run_top() {
	name=$1 mode=$2 sig=$3
	shift 3
	rm -f /tmp/top.json
	devmemtop -j -d 0.5 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	n=0
	while [ ! -s /tmp/top.json ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
	during=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')
	DEVMEM_WL_MIDWAY="sleep 1.5" "$@" >/tmp/wl.out
	rc=$?
	sleep 0.6
	kill -$sig $top
	wait $top
	toprc=$?
	echo "=== $name $mode"
	cat /tmp/wl.out
	echo "rc=$rc toprc=$toprc"
	echo "bpf_progs_during=$during"
	echo "bpf_progs_after=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')"
	echo "bpf_links_after=$(bpftool link show 2>/dev/null | grep -c '^[0-9]*:')"
	echo "--- stderr"
	cat /tmp/top.err
	echo "--- json"
	cat /tmp/top.json
	echo "--- end"
}

echo "bpf_progs_before=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')"
for mode in $modes; do
	run_top private $mode INT devmem-wl private 64 0
	run_top longterm $mode TERM devmem-wl longterm 32 2
	run_top cow $mode INT devmem-wl cow 16 2
	run_top release $mode INT devmem-wl release 8 1
done
exit 0
