#!/bin/sh
# Migrate-heavy workload, alternating modes so that all see the same
# machine. Modes (bench_modes=, default all of them):
#   off    device-memory events disabled
#   armed  events enabled in tracefs, written to its ring buffer, unread
#   on     events enabled and recorded: trace_pipe drained to a file
# The events are those of whichever series the kernel has: zone_device and
# migrate_device (kpatches/, Linux 7.3: the bench's kernel) or devmem
# (kpatches/6.12).
#   top    devmemtop attached, reporting every second; its CPU time over
#          the run from /proc/PID/stat
#   rec    devmemrec recording to a file in tmpfs; its record count and drops
#          come from its own summary, its CPU time as devmemtop's
#   empty  empty BPF programs (bpf-empty) on the page init and folio free
#          events: the baseline for the BPF cost
#   topcost, reccost    the tool and the empty programs attached together,
#          so both run on the same events in the same state of the machine:
#          the BPF time of all the tool's programs against the empty pair's
#          ("bpf" lines: run_time_ns over the run, kernel.bpf_stats_enabled)
#   topfcost, recfcost  the same in the tools' fentry mode (stock kernels),
#          against an empty pair on the same functions (bpf-empty --fentry)
# Then, once, the calibration ("progstat" lines) and devmemrec's user side
# per record, stage by stage (rec-cost: "usercost" lines).
# Prints raw per-run lines; the host turns them into ratios.
. /scenarios/lib.sh
pages=${bench_pages:-64} rounds=${bench_rounds:-200} pairs=${bench_pairs:-5}
modes=$(echo "${bench_modes:-off armed on top rec empty topcost reccost topfcost recfcost}" | tr _ " ")	# bench_modes=top_rec: "_" for spaces
# ready FILE WORDS: until a tool says it has attached (loading takes seconds
# under TCG, a minute on a loaded host; a run before that would measure
# nothing, and the host leaves the pair out)
ready() {
	n=0
	while ! grep -q "$2" "$1" 2>/dev/null && [ $n -lt 1800 ]; do sleep 0.1; n=$((n + 1)); done
	grep -q "$2" "$1" 2>/dev/null || echo "bench: not ready ($mode, pair $i): $(tail -3 "$1" | tr '\n' ' ')"
	sleep 0.5
}
# devmemtop is steady once its start-up walk of the struct pages is done
# (about 2 s of CPU under TCG for test_hmm's four pgmaps, measured): its
# first "N pages in N folios" line with no "(walk incomplete)" after it.
top_walked='pages in [0-9]* folios$'
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
		/ name / { id = $1; sub(":", "", id); for (i = 1; i <= NF; i++) if ($i == "name") n = $(i + 1) }
		/run_time_ns/ { for (i = 1; i <= NF; i++) { if ($i == "run_time_ns") t = $(i + 1); if ($i == "run_cnt") c = $(i + 1) }
				print "progstat mode=" m " name=" n " ns=" t " cnt=" c " id=" id }'
}
# bpf_cost BEFORE AFTER: progstats before and after a run, as one line: the
# empty pair's time (page init and free programs) and page inits, and the
# time of every other program, the tool's
bpf_cost() {
	printf '%s\n' "$1" "--" "$2" | awk '
		function val(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2) }
		$0 == "--" { after = 1; next }
		{ n = val("name"); id = val("id"); ns = val("ns"); c = val("cnt") }
		!after { bns[id] = ns; bc[id] = c; next }
		{ ns -= bns[id]; c -= bc[id] }
		# names are cut to 15 characters: empty_folio_fre
		n ~ /^empty_/ && n ~ /init/ { pages = c; empty += ns; next }
		n ~ /^empty_/ && n ~ /fre/ { empty += ns; next }
		n !~ /^empty_/ { tool += ns }
		END { printf "pages=%d empty_ns=%d tool_ns=%d", pages, empty, tool }'
}
[ -w /proc/sys/kernel/bpf_stats_enabled ] && echo 1 >/proc/sys/kernel/bpf_stats_enabled
# CPU seconds a process has used (utime + stime, in USER_HZ ticks).
cpu_ticks() { awk '{ print $14 + $15 }' /proc/$1/stat; }
# busybox date has no %N: /proc/uptime gives centiseconds
uptime_cs() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }
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
			ready /tmp/top.out "$top_walked"
			warm_up
			c0=$(cpu_ticks $tp) w0=$(uptime_cs)
			line=$(devmem-wl bench "$pages" "$rounds")
			extra="cpu_ticks=$(($(cpu_ticks $tp) - c0)) wall_cs=$(($(uptime_cs) - w0))"
			kill -INT $tp
			wait $tp
			extra="$extra top_dropped=$(grep -o '[0-9]* lost' /tmp/top.out | tail -1 | cut -d' ' -f1)";;
		rec)
			devmemrec -o /tmp/bench.dmt 2>/tmp/rec.err &
			rp=$!
			ready /tmp/rec.err "recording to"
			warm_up
			c0=$(cpu_ticks $rp) w0=$(uptime_cs)
			line=$(devmem-wl bench "$pages" "$rounds")
			extra="cpu_ticks=$(($(cpu_ticks $rp) - c0)) wall_cs=$(($(uptime_cs) - w0))"
			kill -INT $rp
			wait $rp
			extra="$extra rec_events=$(sed -n 's/^devmemrec: \([0-9]*\) events.*/\1/p' /tmp/rec.err) rec_dropped=$(sed -n 's/.*, \([0-9]*\) lost$/\1/p' /tmp/rec.err)"
			rm -f /tmp/bench.dmt;;
		topcost|reccost|topfcost|recfcost)
			case $mode in *fcost) how="--fentry" att="--attach fentry";; *) how= att=;; esac
			bpf-empty $how 2>/tmp/empty.err &
			ep=$!
			ready /tmp/empty.err "attached"
			case $mode in
			top*)	devmemtop $att -b -d 1 >/tmp/top.out 2>&1 &
				tp=$!
				ready /tmp/top.out "$top_walked";;
			*)	devmemrec $att -o /tmp/bench.dmt 2>/tmp/rec.err &
				tp=$!
				ready /tmp/rec.err "recording to";;
			esac
			warm_up
			before=$(progstats "$mode")
			c0=$(cpu_ticks $tp) w0=$(uptime_cs)
			line=$(devmem-wl bench "$pages" "$rounds")
			extra="cpu_ticks=$(($(cpu_ticks $tp) - c0)) wall_cs=$(($(uptime_cs) - w0))"
			echo "bpf mode=$mode pair=$i $(bpf_cost "$before" "$(progstats "$mode")")"
			kill -0 $tp 2>/dev/null || echo "bench: not ready ($mode, pair $i): exited: $(tail -3 /tmp/top.out /tmp/rec.err 2>/dev/null | tr '\n' ' ')"
			kill -INT $tp $ep
			wait $tp $ep
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
	t0=$(uptime_cs)
	tc=$(trace-cmd report /tmp/t.dat 2>/dev/null | grep -cE ' (devmem|zone_device|migrate_device)_')
	t1=$(uptime_cs)
	devmemreport --csv /tmp/t.dmt >/dev/null
	t2=$(uptime_cs)
	dm=$(devmemreport --json /tmp/t.dmt | grep -o '"records":[0-9]*' | cut -d: -f2)
	echo "report tc_events=$tc tc_ns=$(((t1 - t0) * 10000000)) dm_events=$dm dm_ns=$(((t2 - t1) * 10000000)) rec_dropped=$(sed -n 's/.*, \([0-9]*\) lost$/\1/p' /tmp/rec.err)"
	rm -f /tmp/t.dat /tmp/t.dmt
fi

# devmemrec's user side per record, stage by stage, in this guest (the
# synthetic stream of bench/trace-stream.c; bench/rec-cost.c says how).
if [ "${bench_usercost:-1}" = 1 ]; then
	rec-cost 200000 /tmp | awk '$1 ~ /^(ring|check|copy|crc|write|writer)$/ { print "usercost stage=" $1 " ns=" $2 }'
fi
