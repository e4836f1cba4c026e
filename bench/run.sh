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
# fails falls back to jiffies and runs differently. Give every boot the same
# clocksource, or the patched/vanilla ratio measures the clock.
export VM_APPEND="tsc=unstable"
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
/^progstat / {
	# names are cut to 15 characters: tp_zd_folio_ini, empty_folio_fre
	n = val("name"); ev = n ~ /page_i|folio_i|zd_init/ ? "page_init" : n ~ /folio_f|zd_free/ ? "folio_free" : ""
	if (ev != "") { pns[val("mode"), ev] += val("ns"); pcnt[val("mode"), ev] += val("cnt") }
	next
}
/^report / { tcn = val("tc_events"); tcns = val("tc_ns"); dmn = val("dm_events"); dmns = val("dm_ns"); next }
/^mode=/ {
	rate[val("mode"), val("pair")] = val("pages_moved") / val("elapsed_ns")
	if (val("pair") > pairs) pairs = val("pair")
	if (val("mode") == "on") { rec += val("recorded"); lost += val("overrun") }
	if (val("mode") == "top") {
		cpu[++nc] = val("top_cpu_ticks") / val("top_wall_cs")
		if (val("top_dropped") == "") tdrop_unknown = 1; else tdrop += val("top_dropped")
	}
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
	if (nc) printf "  %-52s median %.3f (CPU seconds per second of the run; %s dropped)\n    target <= 0.010\n", "devmemtop CPU use under that event flow", median(cpu, nc), tdrop_unknown ? "unknown" : tdrop
	ratio("rec", "devmemrec recording, throughput / off")
	printf "    target >= 0.85\n"
	if (nr) printf "  %-52s median %.0f records/s, %d dropped in all runs\n", "devmemrec sustained record rate", median(recrate, nr), rdrop
	if (pcnt["empty", "page_init"]) {
		printf "BPF cost per event, kernel.bpf_stats_enabled run_time_ns / run_cnt, same boot (TCG)\n"
		split("page_init folio_free", evs, " ")
		for (e = 1; e <= 2; e++) {
			ev = evs[e]
			base = pcnt["empty", ev] ? pns["empty", ev] / pcnt["empty", ev] : 0
			printf "  %-52s empty program %.0f ns\n", ev == "page_init" ? "page (folio) init event" : "folio free event", base
			if (pcnt["top", ev] && base)
				printf "    %-50s %.0f ns = %.2fx empty, target <= 2x\n", "devmemtop (per-CPU totals)", pns["top", ev] / pcnt["top", ev], pns["top", ev] / pcnt["top", ev] / base
			if (pcnt["rec", ev] && base)
				printf "    %-50s %.0f ns = %.2fx empty, target <= 4x\n", "devmemrec (records, a stack per batch)", pns["rec", ev] / pcnt["rec", ev], pns["rec", ev] / pcnt["rec", ev] / base
		}
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
