#!/usr/bin/env bash
# make bench: the migrate-heavy workload on the patched Linux 7.3 kernel
# (kpatches/) with the zone_device/migrate_device events off, armed (on,
# unread) and on+recorded, and with devmemtop, devmemrec and empty BPF
# programs attached, alternating in one boot; then the same workload on the
# vanilla 7.3 kernel against the patched one with the events off. Prints
# ratios of throughput, never a bare time. BENCH_KERNEL=6.12 benches the
# backport instead.
set -euo pipefail
cd "$(dirname "$0")/.."
make -s all build/bpf-empty build/rec-cost 2>&1 | grep -v "warning: Using" || true
if [ "${BENCH_KERNEL:-7.3}" = 6.12 ]; then
	make -s kernel kernel-vanilla
	kp=$(cat build/kernel.dir) kv=$(cat build/kernel-vanilla.dir)
else
	kp=$(vm/build-kernel.sh 7.3) kv=$(vm/build-kernel.sh --vanilla 7.3)
fi
initrd=build/initramfs-bench.cpio.gz
vm/mkinitramfs.sh $initrd build/devmem-wl build/devmemtop build/devmemrec build/devmemreport \
	build/devmemleak build/bpf-empty build/rec-cost
# Under TCG the TSC calibrates against the PIT only sometimes; a boot that
# fails falls back to another clocksource and runs differently. Give every
# boot the same one, or the patched/vanilla ratio measures the clock: the
# TSC, at the host's frequency (a TCG guest reads the host's TSC), as on
# the servers the tools are for. (HPET, which tsc=unstable gave, makes
# every bpf_ktime_get_ns() an emulated MMIO read: 1 us, 6x an empty
# program, a cost no GPU server pays.)
tsc_khz=$(awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)
export VM_APPEND="tsc=reliable tsc_early_khz=$tsc_khz"
# Eight modes in five pairs take about 20 minutes on a loaded host. The
# fentry modes boot the vanilla kernel, the stock kernel they are for, on
# their own: detaching one of two fentry programs from a function under
# TCG has crashed a guest (ftrace text patching), and that must not cost
# the other figures.
VM_APPEND="$VM_APPEND bench_modes=off_armed_on_top_rec_empty_topcost_reccost" \
	vm/run-vm.sh "$kp" $initrd bench build/vm-bench 2400
VM_APPEND="$VM_APPEND bench_modes=topfcost_recfcost bench_calib=0 bench_report=0 bench_usercost=0" \
	vm/run-vm.sh "$kv" $initrd bench build/vm-bench-fentry 2400 ||
	echo "bench: the fentry boot ended early: its pairs so far only (build/vm-bench-fentry/)" \
		>>build/vm-bench-fentry/data.log
# Events off against the vanilla kernel: boots that run nothing but "off",
# alternating patched and vanilla three times. Boot-to-boot spread under TCG
# is about 10%, so one boot each would say little.
: >build/bench-patched-off.log
: >build/bench-vanilla.log
for b in 1 2 3; do
	for k in patched vanilla; do
		dir=$([ $k = vanilla ] && echo "$kv" || echo "$kp")
		VM_APPEND="$VM_APPEND bench_modes=off bench_report=0 bench_usercost=0" \
			vm/run-vm.sh "$dir" $initrd bench build/vm-bench-$k-off 1200
		cat build/vm-bench-$k-off/data.log >>build/bench-$k$([ $k = patched ] && echo -off).log
	done
done
echo "bench kernel: Linux ${BENCH_KERNEL:-7.3} patched ($kp) against vanilla ($kv)"
awk '
function val(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2) }
function sort(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } }
function median(a, n) { sort(a, n); return a[int((n + 1) / 2)] }
# spread WHAT ARRAY N FMT: the median, the range and the count of N values
function spread(what, a, n, fmt) {
	sort(a, n)
	printf "  %-52s median " fmt " (" fmt "-" fmt ", %d pairs)\n", what, a[int((n + 1) / 2)], a[1], a[n], n
}
# ratio MODE: per pair rate(MODE) / rate(off) from the same pair, then the median
function ratio(mode, what,   k, r, n) {
	n = 0
	for (k = 1; k <= pairs; k++)
		if ((mode, k) in rate && ("off", k) in rate && !((mode, k) in bad))
			r[++n] = rate[mode, k] / rate["off", k]
	if (n) spread(what, r, n, "%.3f")
}
# bpfcost MODE: per pair, the BPF time of the tool per page against that of the empty pair
function bpfcost(mode, what, target,   k, r, t, e, n) {
	n = 0
	for (k = 1; k <= pairs; k++)
		if ((mode, k) in bpfempty && bpfempty[mode, k] > 0 && bpfpages[mode, k] > 0 &&
		    !((mode, k) in bad)) {
			n++
			r[n] = bpftool[mode, k] / bpfempty[mode, k]
			t[n] = bpftool[mode, k] / bpfpages[mode, k]
			e[n] = bpfempty[mode, k] / bpfpages[mode, k]
		}
	if (!n) return
	printf "  %s\n", what
	spread("all its programs, ns per device page", t, n, "%.0f")
	spread("the empty pair (init + free), ns per device page", e, n, "%.0f")
	spread("tool / empty pair", r, n, "%.2fx")
	printf "    target <= %dx\n", target
}
# cpu MODE: per pair, the CPU time of the tool over the measured run; and
# over all pairs at once, as a run of 0.4 s (an idle host) holds one or two
# 10 ms ticks: each pair alone cannot tell 1% from 2.5%.
function cpu(mode, what,   k, c, n, t, w) {
	n = t = w = 0
	for (k = 1; k <= pairs; k++)
		if ((mode, k) in wall && wall[mode, k] > 0 && !((mode, k) in bad)) {
			c[++n] = ticks[mode, k] / wall[mode, k]
			t += ticks[mode, k]; w += wall[mode, k]
		}
	if (!n) return
	spread(what, c, n, "%.3f")
	printf "    all %d pairs: %d ticks of 10 ms in %.2f s, %.4f (one tick: %.4f)\n", n, t, w / 100, t / w, 1 / w
}
# a tool that never said it attached: its pair says nothing of it
/^bench: not ready / { m = $4; sub(/^\(/, "", m); sub(/,$/, "", m); k = $6; sub(/\):$/, "", k); bad[m, k + 0] = 1 }
/^bench: / { print; next }
# the fentry boot: its BPF figures only, its throughput is apart from the pairs
FILENAME ~ /vm-bench-fentry/ && !/^bpf / { next }
FILENAME ~ /vanilla/ { if (/^mode=off/) van[++nv] = val("pages_moved") / val("elapsed_ns"); next }
FILENAME ~ /patched-off/ { if (/^mode=off/) pat[++np] = val("pages_moved") / val("elapsed_ns"); next }
/^progstat mode=calib / {
	if (val("cnt") > 0) { cal[val("name")] = val("ns") / val("cnt"); if (val("name") ~ /^cal_/) calname[++ncal] = val("name") }
	next
}
/^bpf / {
	m = val("mode"); k = val("pair") + 0
	bpfpages[m, k] = val("pages"); bpfempty[m, k] = val("empty_ns"); bpftool[m, k] = val("tool_ns")
	if (bpftool[m, k] + 0 == 0) { printf "bench: %s, pair %d: no program of the tool ran; left out\n", m, k; bad[m, k] = 1 }
	next
}
/^usercost / { ustage[++nu] = val("stage"); uns[nu] = val("ns"); next }
/^report / { tcn = val("tc_events"); tcns = val("tc_ns"); dmn = val("dm_events"); dmns = val("dm_ns"); next }
/^mode=/ {
	m = val("mode"); k = val("pair") + 0
	rate[m, k] = val("pages_moved") / val("elapsed_ns")
	if (k + 0 > pairs) pairs = k + 0
	if (val("wall_cs") != "") { ticks[m, k] = val("cpu_ticks"); wall[m, k] = val("wall_cs") }
	if (m == "on") { rec += val("recorded"); lost += val("overrun") }
	if (m == "top") { if (val("top_dropped") == "") tdrop_unknown = 1; else tdrop += val("top_dropped") }
	if (m == "rec" && !((m, k) in bad)) {
		recrate[++nr] = val("rec_events") / (val("elapsed_ns") / 1e9)
		if (wall[m, k] > 0) usrec[++nu_rec] = ticks[m, k] / wall[m, k] / recrate[nr] * 1e6
		rdrop += val("rec_dropped")
	}
	moved = val("pages_moved")
}
END {
	if (!pairs) { print "bench: no results (see build/vm-bench/)"; exit 1 }
	printf "migrate-heavy workload: %d pages moved per run, TCG guest, throughput ratios\n", moved
	ratio("armed", "events on, unread / off")
	ratio("on", "events on and recorded via trace_pipe / off")
	printf "    (recorded %d events, %d lost to ring buffer overrun)\n", rec, lost
	ratio("top", "devmemtop attached, 1 s refresh / off")
	printf "    target >= 0.98 (%s events dropped)\n", tdrop_unknown ? "unknown" : tdrop
	cpu("top", "devmemtop CPU use over the run, 1 s refresh")
	cpu("topcost", "the same beside the empty programs")
	printf "    target <= 0.010\n"
	ratio("rec", "devmemrec recording, throughput / off")
	printf "    target >= 0.90\n"
	cpu("rec", "devmemrec CPU use over the run")
	cpu("reccost", "the same beside the empty programs")
	if (nr) spread("devmemrec records/s (run and warm-up)", recrate, nr, "%.0f")
	if (nu_rec) spread("devmemrec user side, us of CPU per record", usrec, nu_rec, "%.2f")
	if (nr) printf "    %d records dropped in all runs\n", rdrop
	printf "BPF time of all the programs of a tool per device page (init and free), against\n"
	printf "empty programs on the same page events, both attached, same runs (bpf_stats):\n"
	bpfcost("topcost", "devmemtop, tracepoints (patched kernel)", 2)
	bpfcost("reccost", "devmemrec, tracepoints (patched kernel)", 4)
	bpfcost("topfcost", "devmemtop, fentry mode (vanilla kernel), empty pair on the same functions", 2)
	bpfcost("recfcost", "devmemrec, fentry mode (vanilla kernel), empty pair on the same functions", 4)
	if (nu) {
		printf "devmemrec user side per record in this guest, stage by stage (bench/rec-cost.c):\n"
		for (i = 1; i <= nu; i++)
			printf "    %-48s %7.1f ns%s\n", ustage[i], uns[i], (i > 1 && ustage[i] != "writer") ? sprintf(" (%+.1f)", uns[i] - uns[i - 1]) : ""
	}
	if (ncal) {
		# The first program on a tracepoint pays for a cold chain: the
		# baseline is the cheapest program of the chain, not the first.
		base = cal["empty_zd_init"]
		for (i = 1; i <= ncal; i++) if (cal[calname[i]] < base) base = cal[calname[i]]
		printf "  calibration: one primitive per program, all on the page init event at once\n"
		printf "    (ns above the cheapest program of that chain, %.0f ns)\n", base
		for (i = 1; i <= ncal; i++)
			printf "    %-48s %+6.0f ns\n", substr(calname[i], 5), cal[calname[i]] - base
	}
	if (tcn) {
		printf "reports of one migrate loop recorded twice (%d trace-cmd events, %d devmemrec records)\n", tcn, dmn
		printf "  %-52s %.0f vs %.0f records/s: ratio %.2f\n", "devmemreport vs trace-cmd report, same guest", dmn / (dmns / 1e9), tcn / (tcns / 1e9), (dmn / (dmns / 1e9)) / (tcn / (tcns / 1e9))
	}
	if (nv && np) printf "  %-52s median %.3f (%d runs each over 3 alternating boots of each)\n", "patched kernel, events off / vanilla kernel", median(pat, np) / median(van, nv), np
}' build/vm-bench/data.log build/vm-bench-fentry/data.log build/bench-patched-off.log build/bench-vanilla.log

# devmemreport on a generated trace of 10 million records, against reading
# the same file with cat (page cache warm for both), best of three each.
make -s build/gen-trace build/devmemreport
trace=build/bench-10M.dmt
build/gen-trace "$trace" 10000000
best() {	# best wall time of three runs of "$@", in ns
	local b= t0 t1 i
	for i in 1 2 3; do
		t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
		[ -z "$b" ] || [ $((t1 - t0)) -lt "$b" ] && b=$((t1 - t0))
	done
	echo "$b"
}
cat "$trace" >/dev/null
cat_ns=$(best cat "$trace")
rep_ns=$(best build/devmemreport --json "$trace")
awk -v c="$cat_ns" -v r="$rep_ns" -v sz="$(stat -c %s "$trace")" 'BEGIN {
	printf "devmemreport on a %d MB trace of 10000000 records, host, best of 3\n", sz / 1e6
	printf "  %-52s %.2f M records/s, target >= 30\n", "devmemreport --json (checked, replayed, summed)", 10 / (r / 1e9)
	printf "  %-52s %.1f, target <= 3\n", "its time / cat FILE > /dev/null", r / c
}'
rm -f "$trace"

# The page owner table's designs, per lookup and in memory, on the host's
# own kernel (bench/owner-lookup.c, docs/counting.md "Page owners").
make -s build/owner-lookup 2>&1 | grep -v "warning: Using" || true
build/owner-lookup || echo "bench: owner-lookup cannot load its programs on this host"
