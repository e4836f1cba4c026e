#!/usr/bin/env bash
# Host-side checks that need no VM: builds with -Werror, and the workload
# CLI's documented exit codes.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
if out=$(make -s build/devmem-wl 2>&1); then
	pass "devmem-wl builds with -Wall -Wextra -Werror"
else
	fail "devmem-wl builds with -Wall -Wextra -Werror" "$out"
	exit 1
fi
wl=build/devmem-wl
$wl --help >/dev/null; expect "devmem-wl --help exits 0" $? 0
$wl >/dev/null 2>&1; expect "devmem-wl without arguments exits 2" $? 2
$wl private 0 >/dev/null 2>&1; expect "devmem-wl rejects a zero page count" $? 2
$wl private 12abc >/dev/null 2>&1; expect "devmem-wl rejects a malformed count" $? 2
msg=$($wl private 4 97 2>&1); rc=$?
expect "devmem-wl on a missing device exits 2" $rc 2
case $msg in
*"/dev/hmm_dmirror97: No such file or directory"*) pass "devmem-wl names the missing device";;
*) fail "devmem-wl names the missing device" "said '$msg'";;
esac

# devmemtop on this host: whatever the kernel lacks, a clear message and a
# documented exit code, and -j stays valid JSON.
if out=$(make -s build/devmemtop 2>&1 | grep -v "warning: Using"; [ -x build/devmemtop ]); then
	pass "devmemtop builds with -Wall -Wextra -Werror, statically"
else
	fail "devmemtop builds with -Wall -Wextra -Werror, statically" "$out"
	exit 1
fi
top=build/devmemtop
$top --help >/dev/null; expect "devmemtop --help exits 0" $? 0
$top --attach=bogus >/dev/null 2>&1; expect "devmemtop rejects an unknown attach mode with 2" $? 2
$top -b 0 >/dev/null 2>&1; expect "devmemtop rejects a zero interval with 2" $? 2
$top -b 1 1 extra >/dev/null 2>&1; expect "devmemtop rejects a third positional argument with 2" $? 2
$top -s BOGUS -b 1 1 >/dev/null 2>&1; expect "devmemtop rejects a sort column it does not have with 2" $? 2
$top -r 0 -b 1 1 >/dev/null 2>&1; expect "devmemtop rejects --maxrows 0 with 2" $? 2
if [ -d /sys/kernel/tracing/events/devmem ]; then
	echo "note: this kernel has the devmem tracepoints; skipping the nothing-to-trace checks"
else
	msg=$($top -b -n 1 2>&1); rc=$?
	case $rc in
	4) pass "devmemtop on a kernel with nothing to trace exits 4";;
	5) pass "devmemtop on a kernel without BTF exits 5";;
	*) fail "devmemtop on a kernel with nothing to trace exits 4" "exit $rc: $msg";;
	esac
	case $msg in
	*"cannot attach to this kernel"*|*"no BTF"*) pass "devmemtop says why it cannot attach";;
	*) fail "devmemtop says why it cannot attach" "said '$msg'";;
	esac
	json=$($top -j -n 1 2>/dev/null)
	expect "devmemtop -j error output is one valid JSON document" \
		"$(echo "$json" | jq -c '{error, exit}' 2>&1)" "{\"error\":\"nothing_to_trace\",\"exit\":$rc}"
	if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
		msg=$(setpriv --reuid=nobody --regid=nogroup --clear-groups $top -b -n 1 2>&1); rc=$?
		expect "devmemtop without privileges exits 3" $rc 3
		case $msg in
		*"run as root"*) pass "devmemtop without privileges says to run as root";;
		*) fail "devmemtop without privileges says to run as root" "said '$msg'";;
		esac
	fi
fi

# tools/lib under AddressSanitizer and UBSan, a program a subject (Makefile's
# LIB_TESTS); each prints its checks as "lib: ...".
for t in state json flat names leaks pagekeys metrics httpd options webconfig; do
	run_unit $t "lib $t unit tests"
done

# The readers of host files (tools/host), on fixtures, ASan, UBSan.
run_unit host "host unit tests"

# Stuck faults: what is live, stuck, their order and counts (ASan, UBSan).
run_unit stuck "stuck unit tests"

# A live view's processes that come and go (tools/devmemtop/procs.c), ASan, UBSan.
run_unit procs "procs unit tests"

# pgmaps that come and go in a live view (tools/devmemtop/pgmaps.c): slots
# given back, history rows, series that never go down (ASan, UBSan).
run_unit pgmaps "pgmaps unit tests"

# The attach modes' tables (tools/session/modes.c) against the skeleton, and
# what each mode picks on made-up kernels; nothing is loaded (ASan, UBSan).
run_unit modes "attach mode tables unit tests"

# The teardown report and the procfs task reader under it, ASan, UBSan.
run_unit teardown "teardown unit tests"

# The struct page walk's pure half (tools/lib/pagewalk_model.c), ASan, UBSan;
# then the walk on this host's kernel image, whole and cut into runs of 1000
# steps (over 4096 folios: it resumes across full buffers too): the same.
run_unit pagewalk "pagewalk unit tests"
if out=$(make -s build/pagewalk-host 2>&1 | grep -v "warning: Using"; build/pagewalk-host); then
	got=$(echo "$out" | awk '{ split($0, f, /[ =]/); print (f[6] > 4096 && f[4] == f[8] && f[6] == f[10] && f[12] == 1) }')
	expect "pagewalk on the host: the kernel image, whole and in 1000-step runs, the same ($out)" "$got" 1
else
	case "$out" in
	*skip:*) echo "SKIP pagewalk on the host: ${out#*skip: }";;
	*) fail "pagewalk on the host" "$out";;
	esac
fi

# The trace file's writer: write errors, refused outputs; its reader on
# damaged files and pgmap descriptions (ASan, UBSan).
run_unit trace_write "tracefile writer unit tests"
run_unit trace_read "tracefile reader unit tests"

# The trace file: round trip, every truncation, every flipped byte (ASan,
# UBSan), then the reader under libFuzzer for a bounded time from that file.
if out=$(make -s build/test_tracefile build/fuzz_tracefile build/events-trace 2>&1); then
	mkdir -p build/fuzz-corpus
	build/events-trace build/fuzz-corpus/events.dmt	# every record type
	SEED_OUT=build/fuzz-corpus/seed.dmt build/test_tracefile
	rc=$?
	[ $rc -eq 0 ] || echo "FAIL tracefile: test_tracefile exited $rc"
	secs=${FUZZ_SECONDS:-30}
	if build/fuzz_tracefile -max_total_time="$secs" -print_final_stats=1 \
		build/fuzz-corpus >build/fuzz.log 2>&1; then
		pass "tracefile: libFuzzer found nothing in ${secs}s ($(sed -n 's/^stat::number_of_executed_units: *//p' build/fuzz.log) inputs)"
	else
		fail "tracefile: libFuzzer found nothing in ${secs}s" "$(grep -m3 -E 'ERROR|SUMMARY' build/fuzz.log)"
	fi
else
	fail "tracefile tests build" "$out"
fi

# devmemrec and devmemreport on this host: usage errors and damaged files.
make -s build/devmemrec build/devmemreport 2>&1 | grep -v "warning: Using"
build/devmemrec >/dev/null 2>&1; expect "devmemrec without -o exits 2" $? 2
for bad in nonsense 0 12x "driver/device"; do
	msg=$(build/devmemrec -o build/never.dmt --pgmap "$bad" 2>&1); rc=$?
	expect "devmemrec --pgmap '$bad' (not a number, not a name) is refused with 2" \
		"$rc $(echo "$msg" | head -1)" "2 devmemrec: --pgmap $bad: not a pgmap name, physical start or address"
done
build/devmemreport >/dev/null 2>&1; expect "devmemreport without a file exits 2" $? 2
build/devmemreport /nonexistent.dmt >/dev/null 2>&1; expect "devmemreport on a missing file exits 1" $? 1
for bad in foo -1 12x ""; do
	msg=$(build/devmemreport --limit "$bad" /nonexistent.dmt 2>&1); rc=$?
	expect "devmemreport --limit '$bad' is a usage error (2), not 0 rows" "$rc ${msg#devmemreport: }" \
		"2 --limit $bad: not a number of rows
Try 'devmemreport --help'."
done
printf 'not a trace at all, just some text to be refused\n' >build/not-a-trace.dmt
msg=$(build/devmemreport build/not-a-trace.dmt 2>&1 >/dev/null); rc=$?
expect "devmemreport on a file that is not a trace exits 7" $rc 7
case $msg in
*"offset 0: not a devmemscope trace"*) pass "devmemreport says where and why it refuses a file";;
*) fail "devmemreport says where and why it refuses a file" "said '$msg'";;
esac
expect "devmemreport -j on a damaged file prints one valid JSON document" \
	"$(build/devmemreport --json build/not-a-trace.dmt 2>/dev/null | jq -c '{error, exit}')" '{"error":"corrupt","exit":7}'

# devmemrec's -o: only a new or a regular file, refused before anything is
# loaded (exit 2), and what it names is left as it was.
mode_before=$(stat -c %a /dev/null)
msg=$(build/devmemrec -o /dev/null 2>&1); rc=$?
expect "devmemrec -o /dev/null is refused with exit 2" $rc 2
expect "devmemrec -o /dev/null leaves its mode" "$(stat -c %a /dev/null)" "$mode_before"
case $msg in
*"/dev/null is a device: refused"*) pass "devmemrec says why it refuses /dev/null";;
*) fail "devmemrec says why it refuses /dev/null" "said '$msg'";;
esac
msg=$(build/devmemrec -o build/no-such-dir/x.dmt -- true 2>&1); rc=$?
expect "devmemrec -o in a missing directory: exit 9 (write) before anything loads, naming the file" \
	"$rc $msg" "9 devmemrec: build/no-such-dir/x.dmt: cannot create it: No such file or directory"
rm -f build/rec-link.dmt build/rec-target.dmt
echo keep >build/rec-target.dmt
chmod 644 build/rec-target.dmt
ln -s rec-target.dmt build/rec-link.dmt
build/devmemrec -o build/rec-link.dmt >/dev/null 2>&1
expect "devmemrec -o SYMLINK is refused with exit 2" $? 2
expect "the symlink's target is untouched" "$(stat -c '%a %s' build/rec-target.dmt)" "644 5"
rm -f build/rec-link.dmt build/rec-target.dmt
for t in devmemrec:9 devmemreport:8 devmemreport:9; do
	if grep -q "^  ${t#*:}  " <<<"$("build/${t%%:*}" --help)"; then
		pass "${t%%:*} --help prints its exit-code rows (${t#*:} among them)"
	else
		fail "${t%%:*} --help prints its exit-code rows (${t#*:} among them)" "not found"
	fi
done

# devmemreport --salvage on the unit test's file with its third chunk
# damaged (4 records, 1 in that chunk): refused without, 3 records with.
dmg=build/fuzz-corpus/seed.dmt-damaged
msg=$(build/devmemreport $dmg 2>&1 >/dev/null); rc=$?
expect "devmemreport on a damaged file exits 7" $rc 7
case $msg in
*"checksum mismatch (--salvage reports the undamaged chunks)"*) pass "devmemreport points to --salvage";;
*) fail "devmemreport points to --salvage" "said '$msg'";;
esac
json=$(build/devmemreport --salvage -j $dmg 2>build/salvage.err); rc=$?
expect "devmemreport --salvage on a damaged file exits 8" $rc 8
expect "devmemreport --salvage reports the other chunks' records, names the skipped range" \
	"$(echo "$json" | jq -c '[.records, .complete, (.skipped | length), .skipped[0].why]')" \
	'[3,false,1,"offset 355: chunk 2 checksum mismatch"]'
case $(cat build/salvage.err) in
*"skipped bytes 355-459 (104 bytes): offset 355: chunk 2 checksum mismatch"*)
	pass "devmemreport --salvage says on stderr which bytes it skipped";;
*) fail "devmemreport --salvage says on stderr which bytes it skipped" "$(cat build/salvage.err)";;
esac
build/devmemreport --salvage build/fuzz-corpus/seed.dmt >/dev/null 2>&1
expect "devmemreport --salvage on a whole file exits 0" $? 0

# Every output that cannot be written is exit 9, with the file named.
seed=build/fuzz-corpus/seed.dmt
for t in "text:" "json:--json" "csv:--csv"; do
	msg=$(build/devmemreport ${t#*:} $seed 2>&1 >/dev/full); rc=$?
	expect "devmemreport ${t%%:*} report on a full stdout exits 9 and says so" "$rc ${msg%%: cannot write the report: *}" \
		"9 devmemreport: standard output"
done
msg=$(build/devmemreport --perfetto /dev/full $seed 2>&1 >/dev/null); rc=$?
expect "devmemreport --perfetto /dev/full exits 9 and names the file" "$rc ${msg%%: cannot write the Perfetto trace: *}" \
	"9 devmemreport: /dev/full"
msg=$(build/devmemreport --svg build/no-such-dir/x.svg $seed 2>&1 >/dev/null); rc=$?
expect "devmemreport --svg in a missing directory exits 9 and names the file" "$rc $msg" \
	"9 devmemreport: build/no-such-dir/x.svg: cannot write the SVG plot: No such file or directory"
msg=$(build/devmemreport --folded /dev/full $seed 2>&1 >/dev/null); rc=$?
expect "devmemreport --folded /dev/full exits 9 and names the file" "$rc $msg" \
	"9 devmemreport: /dev/full: cannot write the folded stacks: No space left on device"
msg=$(build/devmemreport --salvage --perfetto /dev/full build/fuzz-corpus/seed.dmt-damaged 2>&1 >/dev/null); rc=$?
expect "devmemreport: a write failure (9) wins over a salvaged file (8)" $rc 9
rm -f build/report.svg
(umask 0; build/devmemreport --svg build/report.svg $seed >/dev/null 2>&1)
expect "devmemreport creates its files 0600 whatever the umask" "$(stat -c %a build/report.svg)" 600

# devmemreport --events on a trace whose every record is known
# (tests/unit/events_trace.c): the exact lines in time order, stacks below
# with --stacks, one line per record, as many of each type as the summary.
if out=$(make -s build/events-trace 2>&1) && rm -f build/events.dmt && build/events-trace build/events.dmt; then
	expect "devmemreport --events --stacks: the exact lines, in time order (tests/unit/events-expected.txt)" \
		"$(build/devmemreport --events --stacks build/events.dmt; echo "rc=$?")" \
		"$(cat tests/unit/events-expected.txt; echo rc=0)"
	ev=$(build/devmemreport --events build/events.dmt)
	expect "devmemreport --events: one line per record (17)" "$(echo "$ev" | wc -l)" 17
	expect "devmemreport --events: lines per event type equal the summary's events_by_type" \
		"$(echo "$ev" | sed -E 's/^.*\] +[0-9]+\.[0-9]{6}: ([a-z_]+):.*/\1/' | sort | uniq -c | awk '{ print $2 "=" $1 }')" \
		"$(build/devmemreport --json build/events.dmt | jq -r '.events_by_type | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"' | sort)"
	expect "devmemreport --events --raw-addresses: pgmaps by address" \
		"$(build/devmemreport --events --raw-addresses build/events.dmt | grep -c " pgmap=0xffff888000100000 ")" 14
	build/devmemreport --events --json build/events.dmt >/dev/null 2>&1
	expect "devmemreport --events --json is a usage error (2)" $? 2
	build/devmemreport --stacks build/events.dmt >/dev/null 2>&1
	expect "devmemreport --stacks without --events is a usage error (2)" $? 2
	msg=$(build/devmemreport --events build/events.dmt 2>&1 >/dev/full); rc=$?
	expect "devmemreport --events on a full stdout exits 9 and says so" "$rc $msg" \
		"9 devmemreport: standard output: cannot write the report: No space left on device"
else
	fail "events-trace builds and writes its trace" "$out"
fi

# devmemleak on this host: usage errors are 2, no verdict is 24, never a false "clean".
make -s build/devmemleak 2>&1 | grep -v "warning: Using"
build/devmemleak >/dev/null 2>&1; expect "devmemleak without a command or -i exits 2" $? 2
build/devmemleak -i x.dmt -- true >/dev/null 2>&1; expect "devmemleak with both -i and a command exits 2" $? 2
for bad in 0 256 -1 x; do
	build/devmemleak --error-exitcode "$bad" -- true >/dev/null 2>&1
	expect "devmemleak --error-exitcode $bad is refused with 2" $? 2
done
build/devmemleak --settle x -- true >/dev/null 2>&1; expect "devmemleak --settle x is refused with 2" $? 2
build/devmemleak --quiet -5 -- true >/dev/null 2>&1; expect "devmemleak --quiet -5 is refused with 2" $? 2
msg=$(build/devmemleak -i /nonexistent.dmt 2>&1); rc=$?
expect "devmemleak -i on a missing file exits 24 (no verdict)" $rc 24
case $msg in
*"no verdict: cannot read the recording: exit 24"*) pass "devmemleak -i on a missing file says why";;
*) fail "devmemleak -i on a missing file says why" "said '$msg'";;
esac
build/devmemleak -i build/not-a-trace.dmt >/dev/null 2>&1; expect "devmemleak -i on a damaged file exits 24" $? 24
# The report goes to stderr or --log-file, never to stdout (the command's).
expect "devmemleak writes nothing on stdout (its report is on stderr)" \
	"$(build/devmemleak -i /nonexistent.dmt 2>/dev/null | wc -c)" 0
expect "devmemleak --log-file: stderr holds only the error, the report is in the file" \
	"$(build/devmemleak -i /nonexistent.dmt --log-file build/leak.log 2>&1; echo "rc=$?"; tail -1 build/leak.log)" \
	"devmemleak: /nonexistent.dmt: /nonexistent.dmt: No such file or directory
rc=24
no verdict: cannot read the recording: exit 24"
rm -f build/leak.log
(umask 0; build/devmemleak -i /nonexistent.dmt --log-file build/leak.log 2>/dev/null)
expect "devmemleak --log-file creates its file 0600 whatever the umask" "$(stat -c %a build/leak.log)" 600
chmod 644 build/leak.log
build/devmemleak -i /nonexistent.dmt --log-file build/leak.log 2>/dev/null
expect "devmemleak --log-file leaves the mode of a file that exists" "$(stat -c %a build/leak.log)" 644
expect "devmemleak --json --log-file: the reasons for no verdict, exactly" \
	"$(build/devmemleak -i /nonexistent.dmt --json --log-file build/leak.log 2>/dev/null; echo "rc=$?"
	   jq -c '[.verdict, .exit, .no_verdict, .judged, .command_status, .subject]' build/leak.log)" \
	'rc=24
["no_verdict",24,["cannot read the recording"],false,null,"recording /nonexistent.dmt"]'
msg=$(build/devmemleak -i /nonexistent.dmt --log-file /dev/full 2>&1 >/dev/null); rc=$?
expect "devmemleak --log-file /dev/full: no verdict (24), and says which file" "$rc $(echo "$msg" | tail -1)" \
	"24 devmemleak: /dev/full: cannot write the report: No space left on device; no verdict: exit 24"
msg=$(build/devmemleak --log-file build/no-such-dir/leak.log -- true 2>&1 >/dev/null); rc=$?
expect "devmemleak --log-file in a missing directory: 24, nothing run, and says which file" "$rc $msg" \
	"24 devmemleak: build/no-such-dir/leak.log: cannot write the report: No such file or directory; nothing run, no verdict: exit 24"
msg=$(build/devmemleak -i /nonexistent.dmt --junit /dev/full 2>&1 >/dev/null); rc=$?
expect "devmemleak --junit /dev/full: no verdict (24), and says which file" \
	"$rc $(echo "$msg" | grep /dev/full)" \
	"24 devmemleak: /dev/full: cannot write the JUnit file: No space left on device"
expect "devmemleak --help prints the exit-code table" \
	"$(build/devmemleak --help | grep -cE '^  (2|23|24|\*) ')" 4
if [ ! -d /sys/kernel/tracing/events/devmem ]; then
	msg=$(build/devmemleak -- true 2>&1); rc=$?
	expect "devmemleak on a kernel with nothing to trace exits 24, not 0" $rc 24
	case $msg in
	*"no verdict: cannot trace this kernel"*) pass "devmemleak says it cannot trace this kernel";;
	*) fail "devmemleak says it cannot trace this kernel" "said '$msg'";;
	esac
fi
