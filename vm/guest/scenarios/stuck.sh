#!/bin/sh
# Stuck faults (docs/counting.md, "Faults that move nothing"), in each
# attach mode on the patched 7.3 kernel, whose test_hmm has the leak
# injector (kpatches/0008): with leak_every=N, every Nth device page the
# driver hands out keeps an extra reference, so it can never migrate back
# and a CPU read of it faults forever. Each spin run migrates exactly N
# pages with leak_count a multiple of N (it only counts while leak_every
# is set), so the leaked page is the last one, buf + (N-1) pages. Per mode:
#  - devmemtop -j, already running, must flag the spinning task within 5 s
#    (ms from the workload's line to the first document that names it);
#  - devmemtop -b and --textfile, a second session, print it too. It is
#    started before the spin: attaching fentry programs to a function a
#    task spins through (migrate_vma_setup) took this guest down under
#    TCG (a fault in the int3-patched call site), twice, so no test
#    attaches to a hot function;
#  - SIGKILL ends the spin, and the documents say so within 2 s;
#  - a clean `devmem-wl private 64 0` under a fresh devmemtop: no stuck
#    fault in any document, no fault without progress.
. /scenarios/lib.sh
modes=$(echo "${stuck_modes:-tracepoint}" | tr _ " ")
# The modes that get a spin (stuck_spin_modes=): with fentry programs on a
# function a task spins through, this guest goes down within seconds
# (docs/devmemtop.md, "Attach modes"), so fentry gets the clean run only.
spin_modes=" $(echo "${stuck_spin_modes:-$modes}" | tr _ " ") "
N=4
leak=/sys/module/test_hmm/parameters/leak_every
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
echo "leak_param=$([ -w $leak ] && echo yes || echo no)"
# Can the driver's callback take a kprobe? Not if it is notrace (lib/ is
# built without ftrace): then the fallback modes count its faults through
# migrate_vma_setup() alone.
echo "hookable=$(awk '$1 == "dmirror_devmem_fault" { f = 1 } END { print f ? "yes" : "no" }' \
	/sys/kernel/tracing/available_filter_functions 2>/dev/null)"

# centiseconds since boot
now_cs() {
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}"
}

for mode in $modes; do
	case $spin_modes in
	*" $mode "*) ;;
	*) mode_spins=no;;
	esac
	if [ "${mode_spins:-yes}" = no ]; then
		unset mode_spins
		echo "=== spin $mode"
		echo "skipped"
		echo "--- end"
	else
	rm -f /tmp/top.json /tmp/spin.out /tmp/stuck.prom /tmp/stuck.saved /tmp/stuck.err
	# The spinner runs at nice 19 and the monitors at -20 (busybox has
	# renice, not nice): under TCG a
	# task spinning through kprobes (int3 traps) slows the other vCPU so
	# much that a monitor's 0.5 s interval took 6 s (kprobe mode). The
	# 5 s is devmemtop's latency, not the emulator's.
	devmemtop -j -d 0.5 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	renice -20 $top >/dev/null
	wait_doc /tmp/top.json
	devmemtop -b -d 1.5 -n 4 --attach=$mode --textfile /tmp/stuck.prom >/tmp/stuck.txt 2>/tmp/stuck.err &
	btop=$!
	renice -20 $btop >/dev/null
	n=0
	while ! grep -q 'attached in' /tmp/stuck.err && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
	echo $N >$leak
	devmem-wl spin $N 0 >/tmp/spin.out 2>&1 &
	wl=$!
	renice 19 $wl >/dev/null
	n=0
	while ! grep -q '^wl=spin' /tmp/spin.out && [ $n -lt 300 ]; do sleep 0.05; n=$((n + 1)); done
	t0=$(now_cs)
	n=0 flagged=none
	while [ $n -lt 100 ]; do
		if tail -1 /tmp/top.json | grep -q "\"stuck_faults\":\[{\"pid\":$wl,"; then
			flagged=$((($(now_cs) - t0) * 10))
			break
		fi
		sleep 0.1
		n=$((n + 1))
	done
	stuckdoc=$(grep "\"stuck_faults\":\[{\"pid\":$wl," /tmp/top.json | head -1)
	# its last report and metrics come while it spins; devmemtop removes
	# its textfile on exit, so keep the last one it wrote
	while kill -0 $btop 2>/dev/null; do
		cp /tmp/stuck.prom /tmp/stuck.prom.cp 2>/dev/null &&
			mv /tmp/stuck.prom.cp /tmp/stuck.saved
		sleep 0.2
	done
	wait $btop
	textrc=$?
	echo "textfile_left=$([ -e /tmp/stuck.prom ] && echo yes || echo no)" >/tmp/stuck.left
	kill -9 $wl
	wait $wl
	wlrc=$?
	echo 0 >$leak
	sleep 2.5
	kill -INT $top
	wait $top
	toprc=$?
	echo "=== spin $mode"
	cat /tmp/spin.out
	echo "wl_rc=$wlrc top_rc=$toprc text_rc=$textrc flagged_ms=$flagged"
	echo "--- stuck doc"
	echo "$stuckdoc"
	echo "--- last doc"
	tail -1 /tmp/top.json
	echo "--- text"
	cat /tmp/stuck.txt
	echo "--- metrics"
	grep '^devmem_stuck_faults\|^devmem_fault_no_progress_total\|^devmem_events_lost_total{kind="spin_map_full"}' /tmp/stuck.saved
	cat /tmp/stuck.left
	echo "--- errors"
	cat /tmp/top.err
	echo "--- end"
	fi

	# A clean run: ordinary faults are never stuck.
	rm -f /tmp/top.json
	devmemtop -j -d 0.5 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	wait_doc /tmp/top.json
	devmem-wl private 64 0 >/tmp/clean.out 2>&1
	rc=$?
	sleep 1.2
	kill -INT $top
	wait $top
	toprc=$?
	echo "=== clean $mode"
	cat /tmp/clean.out
	echo "wl_rc=$rc top_rc=$toprc docs=$(grep -c '^{' /tmp/top.json)"
	echo "docs_with_stuck=$(grep -c '"stuck_faults":\[{' /tmp/top.json)"
	echo "--- last doc"
	tail -1 /tmp/top.json
	# its row goes once shown exited: the last document that has it
	cpid=$(sed -n 's/^wl=private pid=\([0-9]*\) .*/\1/p' /tmp/clean.out)
	echo "--- proc doc"
	grep "{\"pid\":$cpid,\"comm\"" /tmp/top.json | tail -1
	echo "--- end"
done
echo "leak_every_after=$(cat $leak)"
echo "bpf_progs_after=$(bpf_progs_left)"
exit 0
