#!/bin/sh
# The rework fixture kernel (vanilla 7.3 and vm/patches/fixture-7.3-
# migrate-device-rework.patch): the fixture's own events through tracefs,
# then each workload under devmemtop and devmemleak in each mode asked for
# (rework_modes=), all of them recorded by devmemrec, every tool with -v
# so that it names the programs it attached. The host checks the pages.
. /scenarios/lib.sh
modes=$(echo "${rework_modes:-kprobe_fentry}" | tr _ " ")
ev=$tr/events/migrate_device
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
echo "=== events"
ls $ev | grep -v '^enable$\|^filter$' | sort | tr '\n' ' '
echo
echo "--- end"

# tf_run NAME CMD...: CMD with the fixture's events on, no tool attached;
# how many times each event fired, and the pages the finalized entries
# moved (src MIGRATE, dst VALID; nr_pages each).
tf_run() {
	name=$1
	shift
	trace_reset
	echo 1 >$ev/enable
	echo 1 >$tr/tracing_on
	"$@" >/tmp/tf.out 2>&1
	rc=$?
	echo 0 >$tr/tracing_on
	echo 0 >$ev/enable
	echo "=== tracefs $name"
	echo "rc=$rc"
	cat /tmp/tf.out
	grep -v '^#' $tr/trace >/tmp/tf.trace
	for e in $(ls $ev | grep -v '^enable$\|^filter$'); do
		echo "ev $e $(grep -c " $e: " /tmp/tf.trace)"
	done
	grep ' migrate_device_folio_finalize: ' /tmp/tf.trace |
		grep 'src_flags=[A-Z|]*MIGRATE.* dst_flags=VALID' |
		sed 's/.* nr_pages=\([0-9]*\) .*/\1/' | awk '{ n += $1 } END { print "moved_pages=" n + 0 }'
	echo "--- overrun $(cat $tr/per_cpu/cpu*/stats | awk '/^overrun:/ {n += $2} END {print n + 0}')"
	echo "--- end"
}
tf_run private devmem-wl private 64 0
tf_run longterm devmem-wl longterm 32 2
tf_run thp-private devmem-wl thp 4 0

# run_rework NAME MODE CMD...: run_under_tools (lib.sh), both tools with -v.
run_rework() {
	tool_flags=-v run_under_tools "$@"
}
for mode in $modes; do
	devmemrec -v --attach=$mode -o /tmp/rw-$mode.dmt >/dev/null 2>/tmp/rec.err &
	rec=$!
	wait_recording /tmp/rec.err
	run_rework private $mode devmem-wl private 64 0
	run_rework coherent $mode devmem-wl coherent 32 2
	run_rework longterm $mode devmem-wl longterm 32 2
	run_rework thp-private $mode devmem-wl thp 4 0
	run_rework thp-coherent $mode devmem-wl thp 2 2
	kill -INT $rec
	wait $rec
	rc=$?
	echo "=== record $mode"
	echo "rec_rc=$rc"
	cat /tmp/rec.err
	echo "--- report"
	devmemreport --json /tmp/rw-$mode.dmt
	echo
	echo "--- end"
done
echo "bpf_progs_after=$(bpf_progs_left)"
exit 0
