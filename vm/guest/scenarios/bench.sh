#!/bin/sh
# Migrate-heavy workload, alternating modes so that all see the same
# machine. Modes (bench_modes=, default "off armed on"):
#   off    devmem events disabled
#   armed  devmem events enabled, written to the ring buffer, nobody reading
#   on     devmem events enabled and recorded: trace_pipe drained to a file
# Prints raw per-run lines; the host turns them into ratios.
. /scenarios/lib.sh
pages=${bench_pages:-64} rounds=${bench_rounds:-200} pairs=${bench_pairs:-5}
modes=${bench_modes:-off armed on}
overruns() { cat $tr/per_cpu/cpu*/stats | awk '/^overrun:/ {n += $2} END {print n + 0}'; }
[ -d $tr/events/devmem ] && trace_reset
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
			echo 1 >$tr/events/devmem/enable
			echo 1 >$tr/tracing_on
			line=$(devmem-wl bench "$pages" "$rounds")
			echo 0 >$tr/events/devmem/enable;;
		on)
			trace_reset
			echo 1 >$tr/events/devmem/enable
			echo 1 >$tr/tracing_on
			cat $tr/trace_pipe >/tmp/rec &
			reader=$!
			line=$(devmem-wl bench "$pages" "$rounds")
			echo 0 >$tr/events/devmem/enable
			sleep 1	# let the reader drain what is left
			kill $reader
			wait $reader 2>/dev/null
			extra="recorded=$(grep -c devmem_ /tmp/rec) overrun=$(overruns)"
			rm -f /tmp/rec;;
		esac
		echo "mode=$mode pair=$i $line $extra"
	done
	i=$((i + 1))
done
