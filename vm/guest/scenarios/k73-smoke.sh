#!/bin/sh
# Smoke test of a Linux 7.3 guest (vm/build-kernel-7.3.sh, patched or
# vanilla): CPUs, test_hmm devices, the zone_device/migrate_device trace
# events if the kernel has them, the devmem-wl workloads, devmemtop in the
# fentry and kprobe modes, and the upstream hmm-tests selftest (7.3's build,
# /bin/hmm-tests-7.3, if vm/mkinitramfs-extra.sh put it in; else 6.12's).
tr=/sys/kernel/tracing
echo "=== uname"
uname -r
echo "nproc=$(nproc)"
echo "=== devices"
ls /dev/hmm_dmirror*
echo "=== events"
ls $tr/events/ | grep -E 'zone_device|migrate_device'
for s in zone_device migrate_device; do
	[ -d $tr/events/$s ] && ls $tr/events/$s | grep -v -e enable -e filter | sed "s|^|$s/|"
done

echo "=== workloads"
# threads: if this devmem-wl has it; parallel is the multi-process one.
for w in "private 64 0" "coherent 32 2" "longterm 32 2" "threads 64 2 4" "parallel 64 2 4"; do
	devmem-wl $w
	echo "wl $w rc=$?"
done

links() { bpftool link show 2>/dev/null | grep -c '^[0-9]*:'; }

# top MODE [WORKLOAD...]: two devmemtop JSON documents while the workload
# (default `devmem-wl private 64 0`) runs.
# Attaching takes a while under TCG (one link after another), and -n 2 ends
# one second after, so the workload must start once every link is there: a
# first devmemtop, stopped after its first document, tells how many that is.
top() {
	mode=$1
	shift
	[ $# -gt 0 ] || set -- private 64 0
	rm -f /tmp/top.json /tmp/top.err
	devmemtop -j -d 0.5 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	n=0
	while [ ! -s /tmp/top.json ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
	full=$(links)
	kill -INT $top
	wait $top
	rm -f /tmp/top.json /tmp/top.err
	devmemtop -j -d 0.5 -n 2 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	n=0
	while [ "$(links)" -lt "$full" ] && kill -0 $top 2>/dev/null && [ $n -lt 600 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	devmem-wl "$@" >/tmp/wl.out 2>&1 &
	wl=$!
	wait $top
	toprc=$?
	wait $wl
	wlrc=$?
	echo "=== devmemtop $mode $*"
	echo "toprc=$toprc wlrc=$wlrc links=$full attach_polls=$n"
	cat /tmp/wl.out
	echo "--- stderr"
	cat /tmp/top.err
	echo "--- docs $(wc -l </tmp/top.json)"
	cat /tmp/top.json
	echo "--- end"
}
top fentry
top kprobe

# traced WORKLOAD...: the workload with every zone_device/migrate_device event on.
traced() {
	echo "=== tracefs $*"
	if [ -d $tr/events/zone_device ] || [ -d $tr/events/migrate_device ]; then
		echo 0 >$tr/tracing_on
		echo 8192 >$tr/buffer_size_kb
		echo >$tr/trace
		for s in zone_device migrate_device; do
			[ -d $tr/events/$s ] && echo 1 >$tr/events/$s/enable
		done
		echo 1 >$tr/tracing_on
		devmem-wl "$@"
		echo "rc=$?"
		echo 0 >$tr/tracing_on
		for s in zone_device migrate_device; do
			[ -d $tr/events/$s ] && echo 0 >$tr/events/$s/enable
		done
		echo "--- overrun $(cat $tr/per_cpu/cpu*/stats | awk '/^overrun:/ {n += $2} END {print n + 0}')"
		echo "--- trace (first 100)"
		grep -v '^#' $tr/trace | head -100
		echo "--- counts"
		grep -v '^#' $tr/trace | awk '{ for (i = 1; i < NF; i++)
			if ($i ~ /^[0-9]+\.[0-9]+:$/) { sub(":", "", $(i + 1)); print $(i + 1); break } }' |
			sort | uniq -c
		echo "--- first 2 of each event"
		for ev in $(grep -v '^#' $tr/trace | awk '{ for (i = 1; i < NF; i++)
			if ($i ~ /^[0-9]+\.[0-9]+:$/) { sub(":", "", $(i + 1)); print $(i + 1); break } }' |
			sort -u); do
			grep -m2 " $ev: " $tr/trace
		done
		echo "--- end"
	else
		echo "no zone_device/migrate_device events"
	fi
}
traced private 64 0
# Device private THP (devmem-wl thp, if this build has it): one 2 MiB folio.
if devmem-wl 2>&1 | grep -q '^  thp '; then
	traced thp 1 0
	top fentry thp 1 0
	top kprobe thp 1 0
fi

# 7.3's selftest if vm/mkinitramfs-extra.sh added it, then the initramfs's
# own (built from 6.12's source by vm/build-hmm-tests.sh) for comparison.
for hmm in hmm-tests-7.3 hmm-tests; do
	command -v $hmm >/dev/null || continue
	echo "=== $hmm"
	$hmm >/tmp/hmm.out 2>&1
	echo "hmm-tests-rc=$?"
	grep -E '^(ok|not ok) ' /tmp/hmm.out
	echo "--- failure messages"
	grep -E 'hmm-tests\.c:[0-9]+:|Expected|FAIL' /tmp/hmm.out | head -40
	grep -E '^# (PASSED|FAILED|Totals)' /tmp/hmm.out
	echo "--- end"
done
exit 0
