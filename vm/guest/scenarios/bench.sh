#!/bin/sh
# Migrate-heavy workload, alternating modes so that all see the same
# machine. Modes (bench_modes=, default "off armed on top"):
#   off    device-memory events disabled
#   armed  events enabled in tracefs, written to its ring buffer, unread
#   on     events enabled and recorded: trace_pipe drained to a file
# The events are those of whichever series the kernel has: zone_device and
# migrate_device (kpatches/, Linux 7.3: the bench's kernel) or devmem
# (kpatches/6.12).
#   top    devmemtop attached, reporting every second (its CPU time is
#          read from /proc/PID/stat in the longer cost run below)
#   rec    devmemrec recording to a file in tmpfs; its record count and drops
#          come from its own summary
#   empty  empty BPF programs (bpf-empty) on the page init and folio free
#          events: the baseline for the BPF cost per event
# Then, once, the BPF cost per event of each tool beside the empty
# programs, and the calibration ("progstat" lines: each program's
# run_time_ns and run_cnt, kernel.bpf_stats_enabled=1).
# Prints raw per-run lines; the host turns them into ratios.
. /scenarios/lib.sh
pages=${bench_pages:-64} rounds=${bench_rounds:-200} pairs=${bench_pairs:-5}
modes=$(echo "${bench_modes:-off armed on top rec empty}" | tr _ " ")	# bench_modes=top_rec: "_" for spaces
# ready FILE WORDS: until a tool says it has attached (loading takes seconds
# under TCG; a run before that would measure nothing)
ready() {
	n=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
	sleep 0.5
}
# warm_up: steady state for an attached tool. devmemtop names each new
# pgmap once, from /proc/kallsyms (~0.35 s of CPU under TCG, once per
# pgmap per run): that belongs in a short run before the measured one, as
# the first records' allocations do. Every attached mode gets the same.
warm_up() {
	devmem-wl bench "$pages" 5 >/dev/null
	sleep 1.2
}
# progstats MODE: run time and count of every loaded BPF program
progstats() {
	bpftool prog show 2>/dev/null | awk -v m="$1" '
		/ name / { for (i = 1; i <= NF; i++) if ($i == "name") n = $(i + 1) }
		/run_time_ns/ { for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
				print "progstat mode=" m " name=" n " ns=" t " cnt=" c }'
}
[ -w /proc/sys/kernel/bpf_stats_enabled ] && echo 1 >/proc/sys/kernel/bpf_stats_enabled
# CPU seconds a process has used (utime + stime, in USER_HZ ticks).
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
overruns() { cat $tr/per_cpu/cpu*/stats | awk '/^overrun:/ {n += $2} END {print n + 0}'; }
systems=
for s in zone_device migrate_device devmem; do [ -d $tr/events/$s ] && systems="$systems $s"; done
events() { for s in $systems; do echo "$1" >$tr/events/$s/enable; done; }
[ -n "$systems" ] && trace_reset
devmem-wl bench "$pages" 20 >/dev/null	# warm up: chunk allocation, caches
i=1
while [ $i -le $pairs ]; do
	for mode in $modes; do
		extra=
		case $mode in
		off)
			echo "mode=off pair=$i $(devmem-wl bench "$pages" "$rounds")"
			continue;;
		armed)
			trace_reset
			events 1
			echo 1 >$tr/tracing_on
			line=$(devmem-wl bench "$pages" "$rounds")
			events 0;;
		on)
			trace_reset
			events 1
			echo 1 >$tr/tracing_on
			cat $tr/trace_pipe >/tmp/rec &
			reader=$!
			line=$(devmem-wl bench "$pages" "$rounds")
			events 0
			sleep 1	# let the reader drain what is left
			kill $reader
			wait $reader 2>/dev/null
			extra="recorded=$(grep -cE ' (devmem|zone_device|migrate_device)_' /tmp/rec) overrun=$(overruns)"
			rm -f /tmp/rec;;
		top)
			devmemtop -b -d 1 >/tmp/top.out 2>&1 &
			tp=$!
			ready /tmp/top.out "attached in"
			warm_up
			line=$(devmem-wl bench "$pages" "$rounds")
			kill -INT $tp
			wait $tp
			extra="top_dropped=$(grep -o '[0-9]* lost' /tmp/top.out | tail -1 | cut -d' ' -f1)";;
		rec)
			devmemrec -o /tmp/bench.dmt 2>/tmp/rec.err &
			rp=$!
			ready /tmp/rec.err "recording to"
			warm_up
			line=$(devmem-wl bench "$pages" "$rounds")
			kill -INT $rp
			wait $rp
			extra="rec_events=$(sed -n 's/^devmemrec: \([0-9]*\) events.*/\1/p' /tmp/rec.err) rec_dropped=$(sed -n 's/.*, \([0-9]*\) lost$/\1/p' /tmp/rec.err)"
			rm -f /tmp/bench.dmt;;
		empty)
			bpf-empty 2>/tmp/empty.err &
			ep=$!
			ready /tmp/empty.err "attached"
			warm_up
			line=$(devmem-wl bench "$pages" "$rounds")
			kill -INT $ep
			wait $ep;;
		esac
		echo "mode=$mode pair=$i $line $extra"
	done
	i=$((i + 1))
done

# BPF cost per event, once per tool: the tool and the empty programs
# attached at the same time, so both run on the same events in the same
# state of the machine, and the ratio of their run_time_ns / run_cnt is
# measured side by side ("progstat mode=topcost" / "reccost").
# bench_cost_runs=N repeats it, for a spread rather than one number;
# bench_cost_tools picks the tools ("_" for spaces).
if [ "${bench_cost:-1}" = 1 ]; then
	runs=
	for r in $(seq "${bench_cost_runs:-1}"); do
		runs="$runs $(echo "${bench_cost_tools:-top_rec}" | tr _ " ")"
	done
	for tool in $runs; do
		bpf-empty 2>/tmp/empty.err &
		ep=$!
		ready /tmp/empty.err "attached"
		if [ $tool = top ]; then
			devmemtop -b -d 1 >/tmp/top.out 2>&1 &
			tp=$!
			ready /tmp/top.out "attached in"
		else
			devmemrec -o /tmp/bench.dmt 2>/tmp/rec.err &
			tp=$!
			ready /tmp/rec.err "recording to"
		fi
		warm_up
		# five times as long as a pair's run: CPU time comes in 10 ms ticks
		c0=$(cpu_ticks $tp)
		w0=$(cut -d' ' -f1 /proc/uptime)
		devmem-wl bench "$pages" $((rounds * 5)) >/dev/null
		c1=$(cpu_ticks $tp)
		w1=$(cut -d' ' -f1 /proc/uptime)
		progstats ${tool}cost
		echo "cost tool=$tool cpu_ticks=$((c1 - c0)) wall_cs=$(echo "$w0 $w1" | awk '{ printf "%d", ($2 - $1) * 100 }')"
		kill -INT $tp $ep
		wait $tp $ep
		rm -f /tmp/bench.dmt
	done
fi

# Calibration, once: every primitive a handler can use, each in its own
# program on the page init event, all attached at once (bpf-empty
# --calibrate). Their costs above the empty program's explain a handler's.
if [ "${bench_calib:-1}" = 1 ] && [ -d $tr/events/zone_device ]; then
	bpf-empty --calibrate 2>/tmp/empty.err &
	ep=$!
	ready /tmp/empty.err "attached"
	warm_up
	devmem-wl bench "$pages" "$rounds" >/dev/null
	progstats calib
	kill -INT $ep
	wait $ep
fi

# The same migrate loop recorded by trace-cmd and by devmemrec, then each
# file reported by its own tool, on this machine: records per second.
if [ "${bench_report:-1}" = 1 ] && command -v trace-cmd >/dev/null; then
	n=${bench_report_rounds:-400}
	trace-cmd record -q -b 32768 $(for s in $systems; do echo "-e $s"; done) -o /tmp/t.dat devmem-wl bench "$pages" "$n" >/dev/null 2>&1
	devmemrec -o /tmp/t.dmt -- devmem-wl bench "$pages" "$n" >/dev/null 2>/tmp/rec.err
	# busybox date has no %N: /proc/uptime gives centiseconds
	cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }
	t0=$(cs)
	tc=$(trace-cmd report /tmp/t.dat 2>/dev/null | grep -cE ' (devmem|zone_device|migrate_device)_')
	t1=$(cs)
	devmemreport --csv /tmp/t.dmt >/dev/null
	t2=$(cs)
	dm=$(devmemreport --json /tmp/t.dmt | grep -o '"records":[0-9]*' | cut -d: -f2)
	echo "report tc_events=$tc tc_ns=$(((t1 - t0) * 10000000)) dm_events=$dm dm_ns=$(((t2 - t1) * 10000000)) rec_dropped=$(sed -n 's/.*, \([0-9]*\) lost$/\1/p' /tmp/rec.err)"
	rm -f /tmp/t.dat /tmp/t.dmt
fi
