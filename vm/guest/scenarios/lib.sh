# Shared by the guest scenarios (busybox sh). Output goes to the data serial
# port, in sections the host-side checks parse:
#   === NAME / --- pgmaps-before / --- run / wl=... / rc=N /
#   [--- pgmaps-mid: while the pages sit in device memory] / --- pgmaps-after /
#   --- overrun N / --- trace / --- end
tr=/sys/kernel/tracing
pgmaps=/sys/kernel/debug/devmem/pgmaps

trace_reset() {
	echo 0 >$tr/tracing_on
	echo 8192 >$tr/buffer_size_kb
	echo >$tr/trace
}

# run_traced NAME CMD...: CMD with every devmem event on, then the evidence.
run_traced() {
	name=$1
	shift
	trace_reset
	echo "=== $name"
	echo "--- pgmaps-before"
	cat $pgmaps
	echo "--- run"
	echo 1 >$tr/events/devmem/enable
	echo 1 >$tr/tracing_on
	DEVMEM_WL_MIDWAY="cat $pgmaps >/tmp/pgmaps-mid" "$@"
	rc=$?
	echo 0 >$tr/tracing_on
	echo 0 >$tr/events/devmem/enable
	echo "rc=$rc"
	if [ -f /tmp/pgmaps-mid ]; then
		echo "--- pgmaps-mid"
		cat /tmp/pgmaps-mid
		rm /tmp/pgmaps-mid
	fi
	echo "--- pgmaps-after"
	cat $pgmaps
	echo "--- overrun $(cat $tr/per_cpu/cpu*/stats | awk '/^overrun:/ {n += $2} END {print n + 0}')"
	echo "--- trace"
	grep -v '^#' $tr/trace
	echo "--- end"
}
