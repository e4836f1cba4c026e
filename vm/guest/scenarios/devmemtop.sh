#!/bin/sh
# Each workload under `devmemtop -j` in each attach mode. devmemtop runs in
# the background with a short interval and is stopped with SIGINT (or
# SIGTERM), which makes it print a last document; bpftool then shows
# whether anything stayed attached. The host checks the numbers. First,
# run_names: how pgmaps are named in every output.
. /scenarios/lib.sh
modes=${top_modes:-tracepoint fentry kprobe}

# run_top NAME MODE SIGNAL CMD...
run_top() {
	name=$1 mode=$2 sig=$3
	shift 3
	rm -f /tmp/top.json
	devmemtop -j -d 0.5 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	wait_doc /tmp/top.json
	during=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')
	DEVMEM_WL_MIDWAY="sleep 1.5" "$@" >/tmp/wl.out
	rc=$?
	# Two more documents after the workload ended: the second is built
	# from a refresh that began after its exit. Under TCG at a high load
	# a fixed pause was sometimes shorter than one refresh.
	n0=$(grep -c '^{' /tmp/top.json) i=0
	while [ "$(grep -c '^{' /tmp/top.json)" -lt $((n0 + 2)) ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -$sig $top
	wait $top
	toprc=$?
	echo "=== $name $mode"
	cat /tmp/wl.out
	echo "rc=$rc toprc=$toprc"
	echo "bpf_progs_during=$during"
	echo "bpf_progs_after=$(bpf_progs_left)"
	echo "bpf_links_after=$(bpftool link show 2>/dev/null | grep -c '^[0-9]*:')"
	echo "--- stderr"
	cat /tmp/top.err
	echo "--- json"
	cat /tmp/top.json
	echo "--- end"
}

# Names, first, while the pgmaps are test_hmm's four from boot: an idle
# view (coherent pgmaps known only from debugfs have no owner to name
# them by), then -b and -j --raw-addresses watching a recording of one
# private and one coherent workload, then devmemreport's outputs of it.
run_names() {
	devmemtop -j -n 1 -d 0.5 >/tmp/idle.json 2>/dev/null
	rc=$?
	echo "=== names"
	echo "idle_rc=$rc"
	rm -f /tmp/top.txt /tmp/raw.json
	devmemtop -b -d 0.5 >/tmp/top.txt 2>/dev/null &
	top=$!
	devmemtop -j -d 0.5 --raw-addresses >/tmp/raw.json 2>/dev/null &
	raw=$!
	wait_doc /tmp/top.txt
	wait_doc /tmp/raw.json
	devmemrec -o /tmp/names.dmt -- sh -c 'devmem-wl private 16 0 && devmem-wl longterm 8 2' \
		>/dev/null 2>/tmp/rec.err
	echo "rec_rc=$?"
	sleep 0.6
	kill -INT $top $raw
	wait $top
	echo "top_rc=$?"
	wait $raw
	echo "raw_rc=$?"
	echo "--- idle"
	cat /tmp/idle.json
	echo "--- text"
	# the last report: from its header line to the end
	awk '/^devmemtop: kernel/ { n = NR } { l[NR] = $0 } END { for (i = n; i <= NR; i++) print l[i] }' /tmp/top.txt
	echo "--- raw"
	tail -1 /tmp/raw.json
	# The fullest pgmap first, one row per table: 4096 pages held on device 0.
	echo "--- fill"
	DEVMEM_WL_MIDWAY="devmemtop -b -n 1 -d 0.3 -r 1 -s FILL >/tmp/fill.txt 2>&1" \
		devmem-wl hold 4096 0
	cat /tmp/fill.txt
	for f in "" "--json" "--csv" "--json --raw-addresses" "--csv --raw-addresses"; do
		echo "--- report $f"
		devmemreport $f /tmp/names.dmt
		echo "report_rc=$?"
	done
	echo "--- end"
}
[ "${top_names:-1}" = 1 ] && run_names

# Late start: devmemtop attaches while 512 pages sit on device 0 and device 1
# hands pages out and takes them back as fast as it can. Pages handed out
# between the attach and the debugfs read of the live counts are in both;
# counted twice, they would stay "live" after the churn has ended.
run_late() {
	rm -f /tmp/late.json /tmp/churn.done
	(devmem-wl bench 64 4000 1 >/dev/null; touch /tmp/churn.done) &
	cat >/tmp/late.sh <<-'LATE'
	devmemtop -j -d 0.5 >/tmp/late.json 2>/dev/null &
	top=$!
	devmemrec -o /tmp/late.dmt 2>/dev/null &
	rec=$!
	n=0
	while [ ! -e /tmp/churn.done ] && [ $n -lt 3000 ]; do sleep 0.1; n=$((n + 1)); done
	echo "churn_done_at_stop=$([ -e /tmp/churn.done ] && echo 1 || echo 0)"
	sleep 1
	kill -INT $top $rec
	wait $top
	echo "late_top_rc=$?"
	wait $rec
	echo "late_rec_rc=$?"
	LATE
	DEVMEM_WL_MIDWAY="sh /tmp/late.sh" devmem-wl hold 512 0 >/tmp/late.out
	wait
	echo "=== late"
	cat /tmp/late.out
	echo "churn_done=$([ -e /tmp/churn.done ] && echo 1 || echo 0)"
	echo "--- json"
	tail -1 /tmp/late.json
	echo "--- report"
	devmemreport -j /tmp/late.dmt
	echo "late_report_rc=$?"
	echo "--- end"
}
[ "${top_late:-1}" = 1 ] && run_late
# Processes that come and go (docs/devmemtop.md, "Processes"): 20 short
# jobs one after another, then one that exits with 16 of its 64 coherent
# pages kept by test_hmm's leak injector, under devmemtop -j and -b. Then,
# while both still run, every proc_slot and proc_counts map (one each per
# devmemtop).
run_exits() {
	rm -f /tmp/exits.json /tmp/exits.txt
	devmemtop -j -d 0.3 >/tmp/exits.json 2>/tmp/exits.err &
	topj=$!
	devmemtop -b -d 0.3 >/tmp/exits.txt 2>>/tmp/exits.err &
	topb=$!
	wait_doc /tmp/exits.json
	wait_doc /tmp/exits.txt
	echo "=== exits"
	i=0
	while [ $i -lt 20 ]; do
		devmem-wl private 4 0 | sed 's/^/short: /'
		i=$((i + 1))
	done
	echo 4 >/sys/module/test_hmm/parameters/leak_every
	devmem-wl coherent 64 3 | sed 's/^/leaker: /'
	echo 0 >/sys/module/test_hmm/parameters/leak_every
	sleep 4	# several intervals: shown exited, then gone
	for id in $(bpftool map show | sed -n 's/^\([0-9]*\): hash  *name proc_slot .*/\1/p'); do
		echo "--- proc_slot $id"
		bpftool -j map dump id $id
		echo
	done
	for id in $(bpftool map show | sed -n 's/^\([0-9]*\): percpu_array  *name proc_counts .*/\1/p'); do
		echo "--- proc_counts $id"
		bpftool -j map dump id $id
		echo
	done
	kill -INT $topj $topb
	wait $topj
	echo "topj_rc=$?"
	wait $topb
	echo "topb_rc=$?"
	echo "--- json"
	cat /tmp/exits.json
	echo "--- text"
	cat /tmp/exits.txt
	echo "--- stderr"
	cat /tmp/exits.err
	echo "--- end"
}

# Device pages that turn into system pages behind their owner's back:
# test_hmm's release of a device file evicts every page of the device
# (dmirror_fops_release), whoever holds them. 512 pages held on device 0
# while another process opens device 0, moves and faults back 4 pages of
# its own, and closes it.
run_evict() {
	rm -f /tmp/evict.json
	devmemtop -j -d 0.3 --keep-exited >/tmp/evict.json 2>/dev/null &
	top=$!
	wait_doc /tmp/evict.json
	DEVMEM_WL_MIDWAY='DEVMEM_WL_MIDWAY= devmem-wl private 4 0' devmem-wl hold 512 0 >/tmp/evict.out
	rc=$?
	echo "=== evict"
	echo "hold_rc=$rc"
	sleep 1
	kill -INT $top
	wait $top
	echo "evict_top_rc=$?"
	cat /tmp/evict.out
	echo "--- json"
	tail -1 /tmp/evict.json
	echo "--- end"
}
[ "${top_evict:-1}" = 1 ] && run_evict

echo "bpf_progs_before=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')"
# A report that cannot be written: exit 1, said on stderr, nothing left attached.
devmemtop -j -n 3 -d 0.2 >/dev/full 2>/tmp/full.err
echo "full_rc=$? full_err=$(head -1 /tmp/full.err)"
echo "bpf_progs_after_full=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')"
for mode in $modes; do
	run_top private $mode INT devmem-wl private 64 0
	run_top longterm $mode TERM devmem-wl longterm 32 2
	run_top cow $mode INT devmem-wl cow 16 2
	run_top release $mode INT devmem-wl release 8 1
done
# last: the leak it injects stays on device 3 for good
[ "${top_exits:-1}" = 1 ] && run_exits
exit 0
