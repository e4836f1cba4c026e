#!/bin/sh
# GPU scale, shrunk to a VM: several threads on two vCPUs migrating at once
# under devmemtop, devmemrec and devmemleak in each attach mode; a ring
# buffer made tiny on purpose; and (scale_pages=N) N device pages live at
# once. The host checks every number against what the workload printed.
. /scenarios/lib.sh	# bpf_progs_left
modes=${scale_modes:-tracepoint fentry kprobe}
echo "nproc=$(nproc)"

# wait_doc FILE: until devmemtop has written its first document
wait_doc() {
	n=0
	while [ ! -s "$1" ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
}

for mode in $modes; do
	rm -f /tmp/top.json /tmp/thr.dmt
	# --keep-exited: the last document must still have the 4 tasks, long gone
	devmemtop -j -d 0.5 --keep-exited --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	devmemrec --attach=$mode -o /tmp/thr.dmt >/dev/null 2>/tmp/rec.err &
	rec=$!
	wait_doc /tmp/top.json
	wait_recording /tmp/rec.err
	devmemleak --attach=$mode --settle 0.5 -- devmem-wl parallel 128 3 4 >/tmp/leak.out 2>&1
	rc=$?
	echo "=== parallel $mode"
	echo "leak_rc=$rc"
	sleep 0.6
	kill -INT $top $rec
	wait $top
	echo "top_rc=$?"
	wait $rec
	echo "rec_rc=$?"
	cat /tmp/leak.out
	devmemreport --json /tmp/thr.dmt >/tmp/rep.json 2>/tmp/rep.err
	echo "report_rc=$?"
	echo "--- top"
	tail -1 /tmp/top.json
	echo "--- report"
	cat /tmp/rep.json
	echo "--- errors"
	cat /tmp/top.err /tmp/rec.err /tmp/rep.err
	echo "--- end"
done

# The fallback modes count a batch at migrate_vma_finalize() and must not
# count it again in the migrate_device_finalize() it calls, yet must count
# a direct migrate_device_finalize() (a driver evicting its memory). Which
# is which is the task's nesting, not the CPU's: a finalize can sleep and
# wake on the other vCPU. Many racing finalizes first, then 64 pages
# evicted by releasing device 1's memory.
for mode in $(echo "$modes" | tr ' ' '\n' | grep -v tracepoint); do
	rm -f /tmp/nest.json
	devmemtop -j -d 0.5 --keep-exited --attach=$mode >/tmp/nest.json 2>/dev/null &
	top=$!
	wait_doc /tmp/nest.json
	sleep 1
	devmem-wl parallel 128 6 4 >/tmp/nest.out
	devmem-wl release 64 1 >>/tmp/nest.out
	sleep 0.6
	kill -INT $top
	wait $top
	echo "=== nesting $mode"
	echo "nest_top_rc=$?"
	cat /tmp/nest.out
	echo "--- top"
	tail -1 /tmp/nest.json
	echo "--- end"
done

# A ring buffer of one page cannot hold 512 pages' records: the loss must
# be counted and shown, and devmemleak must refuse a verdict.
echo "=== tiny"
devmemleak --ringbuf 4096 --settle 0.2 -- devmem-wl private 512 0 >/tmp/tiny.out 2>&1
echo "tiny_leak_rc=$?"
grep '^devmemleak:\|^no verdict' /tmp/tiny.out
devmemrec --ringbuf 4096 -o /tmp/tiny.dmt -- devmem-wl private 512 0 >/dev/null 2>/tmp/tiny.err
echo "tiny_rec_rc=$?"
devmemreport --json /tmp/tiny.dmt >/tmp/tiny.json 2>&1
echo "tiny_report_rc=$?"
echo "--- report"
cat /tmp/tiny.json
echo "--- end"

# -p PID: the CoW workload's coherent pages are freed when its child exits,
# in the child's context. They are still PID's pages: a -p recording keeps
# those frees, and devmemleak -i on it finds nothing.
echo "=== pfilter"
mkfifo /tmp/go
sh -c 'read x </tmp/go; exec devmem-wl cow 16 2' >/tmp/cow.out 2>&1 &
wpid=$!
devmemrec -p $wpid -o /tmp/p.dmt >/dev/null 2>/tmp/p.err &
rec=$!
n=0
while ! grep -q 'recording to' /tmp/p.err && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
echo go >/tmp/go
wait $wpid
echo "cow_rc=$?"
sleep 0.5
kill -INT $rec
wait $rec
grep '^wl=' /tmp/cow.out
devmemleak -i /tmp/p.dmt >/tmp/p.leak 2>&1
echo "pfilter_leak_rc=$?"
grep '^devmemleak:' /tmp/p.leak
echo "--- report"
devmemreport --json /tmp/p.dmt
echo "--- end"

if [ -n "${scale_pages:-}" ]; then
	rm -f /tmp/top.json
	devmemtop -j -d 1 >/tmp/top.json 2>/tmp/top.err &
	top=$!
	# kprobe mode sees pgmaps created through memremap_pages(), whose
	# get_dev_pagemap() call must not eat the kretprobe's arguments.
	devmemrec --attach=kprobe --no-stacks -o /tmp/big.dmt >/dev/null 2>/tmp/big.err &
	rec=$!
	wait_doc /tmp/top.json
	n=0
	while ! grep -q 'recording to' /tmp/big.err && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
	echo "private_pgmaps_before=$(grep -c ' private ' /sys/kernel/debug/devmem/pgmaps)"
	# Midway, every page live: what devmemtop's BPF maps take (its pid's).
	DEVMEM_WL_MIDWAY="sleep 2.5; . /scenarios/lib.sh; bpf_map_memlock $top >/tmp/memlock.txt" \
		devmemleak --settle 1 -- devmem-wl hold "$scale_pages" 0 >/tmp/big.out 2>&1
	rc=$?
	echo "=== big"
	echo "big_leak_rc=$rc"
	echo "devmemtop_maps: $(cat /tmp/memlock.txt)"
	echo "private_pgmaps_after=$(grep -c ' private ' /sys/kernel/debug/devmem/pgmaps)"
	sleep 1.2
	kill -INT $top $rec
	wait $top
	echo "top_rc=$?"
	wait $rec
	echo "rec_rc=$?"
	devmemreport --json /tmp/big.dmt >/tmp/big.json 2>&1
	echo "big_report_rc=$?"
	echo "--- report"
	cat /tmp/big.json
	echo "--- end"
	grep '^wl=\|^held\|^devmemleak:' /tmp/big.out
	echo "--- top"
	grep '^{' /tmp/top.json
	echo "--- end"
fi
echo "bpf_progs_after=$(bpf_progs_left)"
exit 0
