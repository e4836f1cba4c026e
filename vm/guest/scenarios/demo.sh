#!/bin/sh
# The main job: the device-memory workloads with the devmem tracepoints on,
# and per workload a count of every event it caused, from tracefs.
. /scenarios/lib.sh
echo "pgmaps at boot:"
cat $pgmaps
for wl in "private 64 0" "longterm 32 2" "cow 16 2" "release 8 1"; do
	trace_reset
	echo 1 >$tr/events/devmem/enable
	echo 1 >$tr/tracing_on
	# shellcheck disable=SC2086
	devmem-wl $wl
	echo 0 >$tr/tracing_on
	echo 0 >$tr/events/devmem/enable
	grep -v '^#' $tr/trace | awk '{
		for (i = 1; i <= NF; i++)
			if ($i ~ /^devmem_.*:$/) { n[substr($i, 1, length($i) - 1)]++; break }
	} END { for (e in n) printf "    %-28s %d\n", e, n[e] }' | sort
done
echo "pgmaps at the end:"
cat $pgmaps
