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
make -s all build/bpf-empty 2>&1 | grep -v "warning: Using" || true
if [ "${BENCH_KERNEL:-7.3}" = 6.12 ]; then
	make -s kernel kernel-vanilla
	kp=$(cat build/kernel.dir) kv=$(cat build/kernel-vanilla.dir)
else
	kp=$(vm/build-kernel.sh 7.3) kv=$(vm/build-kernel.sh --vanilla 7.3)
fi
initrd=build/initramfs-bench.cpio.gz
vm/mkinitramfs.sh $initrd build/devmem-wl build/devmemtop build/devmemrec build/devmemreport \
	build/devmemleak build/bpf-empty
# Under TCG the TSC calibrates against the PIT only sometimes; a boot that
# fails falls back to another clocksource and runs differently. Give every
# boot the same one, or the patched/vanilla ratio measures the clock: the
# TSC, at the host's frequency (a TCG guest reads the host's TSC), as on
# the servers the tools are for. (HPET, which tsc=unstable gave, makes
# every bpf_ktime_get_ns() an emulated MMIO read: 1 us, 6x an empty
# program, a cost no GPU server pays.)
tsc_khz=$(awk '/^cpu MHz/ { printf "%d", $4 * 1000; exit }' /proc/cpuinfo)
export VM_APPEND="tsc=reliable tsc_early_khz=$tsc_khz"
vm/run-vm.sh "$kp" $initrd bench build/vm-bench 1200
# Events off against the vanilla kernel: boots that run nothing but "off",
# alternating patched and vanilla three times. Boot-to-boot spread under TCG
# is about 10%, so one boot each would say little.
: >build/bench-patched-off.log
: >build/bench-vanilla.log
for b in 1 2 3; do
	for k in patched vanilla; do
		dir=$([ $k = vanilla ] && echo "$kv" || echo "$kp")
		VM_APPEND="$VM_APPEND bench_modes=off bench_report=0" \
			vm/run-vm.sh "$dir" $initrd bench build/vm-bench-$k-off 1200
		cat build/vm-bench-$k-off/data.log >>build/bench-$k$([ $k = patched ] && echo -off).log
	done
done
echo "bench kernel: Linux ${BENCH_KERNEL:-7.3} patched ($kp) against vanilla ($kv)"
awk '
function val(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2) }
function sort(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t } }
function median(a, n) { sort(a, n); return a[int((n + 1) / 2)] }
# ratio MODE: per pair rate(MODE) / rate(off) from the same pair, then the median
function ratio(mode, what,   k, r, n) {
	n = 0
	for (k = 1; k <= pairs; k++)
		if ((mode, k) in rate && ("off", k) in rate)
			r[++n] = rate[mode, k] / rate["off", k]
	if (n) printf "  %-52s median %.3f (min %.3f, max %.3f, %d pairs)\n", what, median(r, n), r[1], r[n], n
}
FILENAME ~ /vanilla/ { if (/^mode=off/) van[++nv] = val("pages_moved") / val("elapsed_ns"); next }
FILENAME ~ /patched-off/ { if (/^mode=off/) pat[++np] = val("pages_moved") / val("elapsed_ns"); next }
/^progstat mode=calib / {
	if (val("cnt") > 0) { cal[val("name")] = val("ns") / val("cnt"); if (val("name") ~ /^cal_/) calname[++ncal] = val("name") }
	next
}
/^progstat / {
	# names are cut to 15 characters: tp_zd_folio_ini, empty_folio_fre
	m = val("mode"); n = val("name")
	if (m != "topcost" && m != "reccost") next
	ev = n ~ /page_i|folio_i|zd_init/ ? "page_init" : n ~ /folio_f|zd_free/ ? "folio_free" : \
	     n ~ /pgmap_get|get_pgmap|zd_get/ ? "pgmap_get" : n ~ /pgmap_put|put_pgmap|zd_put/ ? "pgmap_put" : ""
	who = n ~ /^empty_/ ? "empty" : "tool"
	if (ev != "" && val("cnt") > 0) { pns[m, who, ev] += val("ns"); pcnt[m, who, ev] += val("cnt") }
	next
}
/^cost / { costcpu[val("tool")] = val("cpu_ticks"); costwall[val("tool")] = val("wall_cs"); next }
/^report / { tcn = val("tc_events"); tcns = val("tc_ns"); dmn = val("dm_events"); dmns = val("dm_ns"); next }
/^mode=/ {
	rate[val("mode"), val("pair")] = val("pages_moved") / val("elapsed_ns")
	if (val("pair") > pairs) pairs = val("pair")
	if (val("mode") == "on") { rec += val("recorded"); lost += val("overrun") }
	if (val("mode") == "top") { if (val("top_dropped") == "") tdrop_unknown = 1; else tdrop += val("top_dropped") }
	if (val("mode") == "rec") { recrate[++nr] = val("rec_events") / (val("elapsed_ns") / 1e9); rdrop += val("rec_dropped") }
	moved = val("pages_moved")
}
END {
	if (!pairs) { print "bench: no results (see build/vm-bench/)"; exit 1 }
	printf "migrate-heavy workload: %d pages moved per run, TCG guest, throughput ratios\n", moved
	ratio("armed", "events on, unread / off")
	ratio("on", "events on and recorded via trace_pipe / off")
	printf "    (recorded %d events, %d lost to ring buffer overrun)\n", rec, lost
	ratio("top", "devmemtop attached, 1 s refresh / off")
	printf "    target >= 0.95\n"
	if (costwall["top"]) printf "  %-52s %.3f (%d ticks of 10 ms in %.1f s; %s dropped)\n    target <= 0.010\n", "devmemtop CPU use under that event flow", costcpu["top"] / costwall["top"], costcpu["top"], costwall["top"] / 100, tdrop_unknown ? "unknown" : tdrop
	if (costwall["rec"]) printf "  %-52s %.3f (%d ticks of 10 ms in %.1f s)\n", "devmemrec CPU use under that event flow", costcpu["rec"] / costwall["rec"], costcpu["rec"], costwall["rec"] / 100
	ratio("rec", "devmemrec recording, throughput / off")
	printf "    target >= 0.85\n"
	if (nr) printf "  %-52s median %.0f records/s, %d dropped in all runs\n", "devmemrec sustained record rate", median(recrate, nr), rdrop
	if (pcnt["topcost", "empty", "page_init"]) {
		printf "BPF cost per event, run_time_ns / run_cnt (kernel.bpf_stats_enabled), TCG:\n"
		printf "  each tool with the empty programs attached at the same time, on the same events\n"
		split("page_init folio_free pgmap_get pgmap_put", evs, " ")
		split("topcost reccost", ms, " ")
		for (t = 1; t <= 2; t++) {
			m = ms[t]
			printf "  %s, target <= %dx empty\n", m == "topcost" ? "devmemtop (per-CPU totals)" : "devmemrec (records, a stack per batch)", m == "topcost" ? 2 : 4
			for (e = 1; e <= 4; e++) {
				ev = evs[e]
				if (!pcnt[m, "empty", ev] || !pcnt[m, "tool", ev]) continue
				base = pns[m, "empty", ev] / pcnt[m, "empty", ev]
				tool = pns[m, "tool", ev] / pcnt[m, "tool", ev]
				printf "    %-48s %5.0f ns vs %4.0f ns = %.2fx\n", ev, tool, base, tool / base
			}
		}
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
}' build/vm-bench/data.log build/bench-patched-off.log build/bench-vanilla.log

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
