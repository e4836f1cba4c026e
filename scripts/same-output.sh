#!/usr/bin/env bash
# scripts/same-output.sh BASE_REV [OUTDIR]
#
# Do the tools print the same as BASE_REV's for the same VM workloads? For
# a change that must not change behaviour (a restructuring): boots the
# patched Linux 7.3 guest (vm/build-kernel.sh 7.3) once with BASE_REV's
# tools and once with the working tree's, runs the one scenario
# vm/guest/scenarios/golden.sh in each (every attach mode of
# SAME_OUTPUT_MODES), and compares what devmemtop -j, devmemleak,
# devmemreport (--json, --csv, text, --perfetto, --svg, --folded) and
# devmemleak -i printed, and their exit statuses, byte for byte, after the
# few rules below take out what may differ from boot to boot (timestamps,
# durations, rates, pids). Exit 0 only when `diff -r` of the two
# trees prints nothing; 1 when it prints something; 2 when a build or a
# boot failed.
#
# Builds: BASE_REV is checked out in a temporary worktree (OUTDIR/base-src,
# removed at the end) and built there with `make all`. The new tools are
# the working tree's own build/ (`make all` here, uncommitted changes
# included). The workload (build/devmem-wl), the scenario, busybox and the
# kernel are this working tree's for both boots, so only the tools differ.
# Environment:
#   SAME_OUTPUT_BASE_BUILD=DIR  take the baseline's tools from DIR (a build/
#                               folder with devmemtop, devmemrec,
#                               devmemreport, devmemleak) instead of building
#                               BASE_REV; BASE_REV only labels the run
#   SAME_OUTPUT_NEW_BUILD=DIR   take the new tools from DIR instead of the
#                               working tree: with the baseline's own build,
#                               the check of the check (the same binaries
#                               twice must give no difference)
#   SAME_OUTPUT_MODES="tracepoint kprobe fentry"   the attach modes (default)
#   SAME_OUTPUT_JOBS=2          boot both guests at once (default; 1: one
#                               after the other)
#   SAME_OUTPUT_NO_BOOT=1       reuse OUTDIR's guest logs from the last run:
#                               only the extraction, the reports, the
#                               normalization and the diff run again
#
# OUTDIR (default build/same-output) gets:
#   base/, new/     the compared trees, one per set of tools:
#     guest/MODE/          what the tools printed in the guest, normalized
#     report-own/MODE/     this set's devmemreport and devmemleak -i on this
#                          set's own recording, normalized
#     report-of-base-rec/MODE/, report-of-new-rec/MODE/
#                          this set's devmemreport and devmemleak -i on the
#                          baseline's and on the new tools' recording: the
#                          same file read by both sets, so not normalized
#                          at all
#   raw/SET/MODE/   the guest's files as they came, before normalization
#   vm-SET/         the guest's console.log and data.log
#   diff.txt        the diff's output
#
# Normalization: normalize() below, on guest/ and report-own/ only; each
# rule names its field, and a value it takes out becomes "~" (the key, the
# line and the document stay). Nothing else is taken out.
#   timestamps, durations, rates:
#     JSON time_unix, teardown_since_ns      timestamps
#     JSON *_per_s (events_per_s, init_per_s, free_per_s, to_device_per_s,
#       to_system_per_s, faults_per_s)       rates
#     JSON walk_ns, fault_latency_ns {p50, p90, p99}, teardown_wait_ns,
#       waited_s, oldest_age_s, spinning_s   durations
#     devmemleak "settled after N s", "quiet for N s", "oldest N s ago"
#     devmemreport text: a listing's "+ N.NNNNNNs"   time into the recording
#   pids, which differ between boots (the kernel's own threads take some):
#     JSON "pid", "tid"; devmemleak and devmemreport text "pid N" (a padded
#     column keeps its width); the workload's own "pid=N", "child=N" in
#     devmemleak's output; folded "comm (N);"; devmemreport --csv
#     "process,N,"; the pid column of devmemreport's process table
#   what follows from those:
#     devmemtop -j "processes": rows with the same "held" come in the order
#       of a BPF hash table, whose seed is random per boot: such rows are
#       sorted, after their pids went
#     --folded files: lines are in the order of their text, pid included:
#       sorted again
#   what differs between two recordings of the same workload (report-own/,
#   and devmemrec's own summary):
#     JSON meta "boot_id"                    random per boot
#     JSON "records", "events_seen"; text "N records"; devmemrec "N events
#       to": they count the fork and exit records of every process, the
#       kernel's own threads included, which come and go as they please
#     text "N chunks": the recorder writes one at least every second
#     text "pfn 0xD -> 0xS" of long-term and CoW listings: S, the system
#       page the data went to, is the page allocator's pick
# Files of report-of-*-rec/ are not normalized at all: one file, read by
# both sets of tools.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
usage() { echo "usage: scripts/same-output.sh BASE_REV [OUTDIR]" >&2; exit 2; }
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
base_rev=$1
out=${2:-build/same-output}
mkdir -p "$out"
out=$(cd "$out" && pwd)
modes=${SAME_OUTPUT_MODES:-tracepoint kprobe fentry}
jobs=${SAME_OUTPUT_JOBS:-2}
tools="devmemtop devmemrec devmemreport devmemleak"
die() { echo "same-output: $*" >&2; exit 2; }
t0=$(date +%s)

# bins SET DIR: copy DIR's tools to OUTDIR/bin-SET
bins() {
	rm -rf "$out/bin-$1"
	mkdir -p "$out/bin-$1"
	for t in $tools; do
		[ -x "$2/$t" ] || die "$2/$t: not built"
		cp "$2/$t" "$out/bin-$1/"
	done
}

if [ -z "${SAME_OUTPUT_NO_BOOT:-}" ]; then
	# The baseline's tools.
	if [ -n "${SAME_OUTPUT_BASE_BUILD:-}" ]; then
		bins base "$SAME_OUTPUT_BASE_BUILD"
	else
		rev=$(git rev-parse --verify "$base_rev^{commit}") || die "$base_rev: no such commit"
		src=$out/base-src
		git worktree remove --force "$src" 2>/dev/null || rm -rf "$src"
		git worktree prune
		git worktree add --detach "$src" "$rev" >/dev/null || die "cannot check out $base_rev"
		trap 'git -C "$root" worktree remove --force "$src" 2>/dev/null || true' EXIT
		echo "same-output: building $base_rev ($rev) in $src"
		make -C "$src" -s -j"$(nproc)" all >"$out/base-build.log" 2>&1 ||
			{ tail -20 "$out/base-build.log" >&2; die "$base_rev does not build"; }
		bins base "$src/build"
	fi
	# The new tools, and the workload both guests run.
	echo "same-output: building the working tree"
	make -s -j"$(nproc)" all >"$out/new-build.log" 2>&1 ||
		{ tail -20 "$out/new-build.log" >&2; die "the working tree does not build"; }
	bins new "${SAME_OUTPUT_NEW_BUILD:-$root/build}"
	kdir=$(vm/build-kernel.sh 7.3) || die "no patched 7.3 kernel"
	for set in base new; do
		vm/mkinitramfs.sh "$out/initramfs-$set.cpio.gz" build/devmem-wl "$out"/bin-$set/*
	done

	# boot SET: the scenario with SET's tools
	boot() {
		local rc=0
		VM_APPEND="golden_modes=$(echo "$modes" | tr ' ' _)" \
			vm/run-vm.sh "$kdir" "$out/initramfs-$1.cpio.gz" golden "$out/vm-$1" 1200 || rc=$?
		echo "$rc" >"$out/vm-$1/rc"
	}
	echo "same-output: booting $kdir with each set of tools (modes: $modes)"
	mkdir -p "$out/vm-base" "$out/vm-new"
	if [ "$jobs" -ge 2 ]; then
		boot base & boot new & wait
	else
		boot base; boot new
	fi
	for set in base new; do
		[ "$(cat "$out/vm-$set/rc")" = 0 ] ||
			die "the $set guest failed (exit $(cat "$out/vm-$set/rc")): see $out/vm-$set/"
	done
fi

# The guest's files, out of its data log.
for set in base new; do
	log=$out/vm-$set/data.log
	[ -s "$log" ] || die "$log: missing"
	rm -rf "$out/raw/$set"
	mkdir -p "$out/raw/$set"
	awk -v dir="$out/raw/$set" '
		/^=== file / { f = dir "/" $3; d = f; sub(/\/[^\/]*$/, "", d)
			       system("mkdir -p \"" d "\" && : >\"" f "\"")	# empty files too
			       cmd = "base64 -d >\"" f "\""; next }
		/^=== end$/ && cmd { close(cmd); cmd = ""; next }
		cmd { print | cmd }' "$log"
	for m in $modes; do
		[ -s "$out/raw/$set/$m/rec.dmt" ] || die "$set guest, $m: no files came back: see $log"
	done
done

# normalize FILE...: the rules above, in place. Each names its field.
normalize() {
	perl -pi -e '
		# timestamps, durations, rates
		s/"(time_unix|teardown_since_ns)":\d+/"$1":"~"/g;
		s/"([a-z_]+_per_s)":[\d.e+-]+/"$1":"~"/g;
		s/"(walk_ns|teardown_wait_ns)":\d+/"$1":"~"/g;
		s/"(waited_s|oldest_age_s|spinning_s)":[\d.e+-]+/"$1":"~"/g;
		s/"fault_latency_ns":\{"p50":\d+,"p90":\d+,"p99":\d+\}/"fault_latency_ns":{"p50":"~","p90":"~","p99":"~"}/g;
		s/\b(settled after|quiet for) [\d.]+ s\b/$1 ~ s/g;
		s/\boldest [\d.]+ s ago/oldest ~ s ago/g;
		s/^(  \+) *\d+\.\d+s /$1 ~s /;
		# pids (a padded column keeps its width)
		s/"(pid|tid)":\d+/"$1":"~"/g;
		s/\b(pid|child)=\d+/$1=~/g;
		s/\bpid (\d+)( +)/"pid ~" . (length($2) > 1 ? " " x (length($1) + length($2) - 1) : $2)/ge;
		s/ \(\d+\);/ (~);/g;
		s/^process,\d+,/process,~,/;
		s/^(\d+)( +)(?=\S+( +\d+){7}$)/"~" . " " x (length($1) + length($2) - 1)/e;
		# devmemtop -j: rows of "processes" with the same "held" in one order
		sub held { $_[0] =~ /"held":(\d+)/; $1 }
		s{("processes":\[)(\{[^\[\]]*\})\]}{$1 . join(",", sort { held($b) <=> held($a) or $a cmp $b }
			split(/(?<=\}),(?=\{)/, $2)) . "]"}e;
		# what differs between two recordings of the same workload
		s/"boot_id":"[^"]*"/"boot_id":"~"/;
		s/"(records|events_seen)":\d+/"$1":"~"/g;
		s/^(trace .*: format [\d.]+), \d+ chunks, \d+ records$/$1, ~ chunks, ~ records/;
		s/^(devmemrec: )\d+ events to /$1~ events to /;
		s/( pfn 0x[\da-f]+ -> )0x[\da-f]+ /$1~ /;
	' "$@"
	# Folded lines are in the order of their text, pid included.
	local f
	for f in "$@"; do
		case $f in *.folded) LC_ALL=C sort -o "$f" "$f";; esac
	done
}

# report SET FILE DIR [all]: SET's devmemreport (--json, --csv, text with
# --folded, and with "all" --perfetto and --svg) and devmemleak -i on the
# trace FILE, into DIR. The trace is read as DIR/rec.dmt whatever it came
# from, so the name each output gives it is the same.
report() {
	local bin=$out/bin-$1 rc plots=()
	[ "${4:-}" = all ] && plots=(--perfetto report.perfetto.json --svg report.svg)
	mkdir -p "$3"
	cp "$2" "$3/rec.dmt"
	(
		cd "$3"
		rc=0; "$bin/devmemreport" --json rec.dmt >report.json 2>report-json.err || rc=$?
		echo "report_json=$rc" >rc
		rc=0; "$bin/devmemreport" --csv rec.dmt >report.csv 2>report-csv.err || rc=$?
		echo "report_csv=$rc" >>rc
		rc=0; "$bin/devmemreport" "${plots[@]}" --folded report.folded rec.dmt \
			>report.txt 2>report-txt.err || rc=$?
		echo "report_txt=$rc" >>rc
		rc=0; "$bin/devmemleak" -i rec.dmt >leak-i.out 2>&1 || rc=$?
		echo "leak_i=$rc" >>rc
		rm rec.dmt
	)
}

for set in base new; do
	rm -rf "${out:?}/$set"
	for m in $modes; do
		g=$out/$set/guest/$m
		mkdir -p "$g"
		cp -r "$out/raw/$set/$m/." "$g/"
		rm "$g/rec.dmt"
		mapfile -t files < <(find "$g" -type f)
		normalize "${files[@]}"
		report $set "$out/raw/$set/$m/rec.dmt" "$out/$set/report-own/$m"
		mapfile -t files < <(find "$out/$set/report-own/$m" -type f)
		normalize "${files[@]}"
		for rec in base new; do
			report $set "$out/raw/$rec/$m/rec.dmt" "$out/$set/report-of-$rec-rec/$m" all
		done
	done
done

echo "same-output: $base_rev vs the working tree, $(( $(date +%s) - t0 )) s"
cd "$out"
echo "\$ diff -r base new"
rc=0
diff -r base new >diff.txt || rc=$?
cat diff.txt
[ $rc -le 1 ] || die "diff failed"
if [ $rc -eq 0 ]; then
	echo "same-output: no difference ($(find base -type f | wc -l) files each)"
else
	echo "same-output: the outputs differ (above; also in $out/diff.txt)"
fi
exit $rc
