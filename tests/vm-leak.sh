#!/usr/bin/env bash
# devmemleak on the patched kernel in the VM (vm/guest/scenarios/leak.sh):
# zero leaks on the clean workloads and on a whole hmm-tests run; the
# command's own status with a verdict, 24 when it could not start; another
# job's pages shown apart and not judged; a late free by a lingering child
# waited for; then exactly the pages test_hmm's leak injector keeps, with
# their stack, the same verdict live and from a recording, JUnit,
# --error-exitcode and suppression.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
out=build/vm-leak
vm/run-vm.sh "$(cat build/kernel.dir)" build/initramfs.cpio.gz leak "$out" 900
expect "leak: guest ran to the end" $? 0
log=$out/data.log
get() { sed -n "s/^$1=//p" "$log" | head -1; }
# The lines of one "--- NAME" section of the log.
section() { sed -n "/^--- $1\$/,/^--- /p" "$log" | sed '1d;$d'; }
has() {	# has NAME TEXT WHERE: WHERE contains TEXT
	case $3 in
	*"$2"*) pass "$1";;
	*) fail "$1" "wanted '$2' in: $(echo "$3" | grep -v '^    ' | tr '\n' '|')";;
	esac
}
clean='0 leaked device pages, 0 leaked pgmap references, 0 suppressed, 0 events lost'
for wl in private longterm cow coherent; do
	line=$(grep "^clean_rc=.* wl=$wl\$" "$log")
	expect "leak: clean $wl workload exits 0, its status" "$(echo "$line" | sed 's/^clean_rc=\([0-9]*\).*/\1/')" 0
	has "leak: clean $wl workload reports no leak" "\`devmem-wl\` exited 0: $clean" "$line"
done
expect "leak: hmm-tests passed under devmemleak" "$(get hmm_totals)" \
	"# Totals: pass:58 fail:0 xfail:0 xpass:0 skip:0 error:0"
expect "leak: a whole hmm-tests run exits 0" "$(get hmm_rc)" 0
has "leak: a whole hmm-tests run reports no leak" "$clean" "$(get hmm_verdict)"

# The command's status (valgrind's contract).
s=$(section nonexistent)
expect "leak: a command that cannot start exits 24 (no verdict)" "$(get nonexistent_rc)" 24
has "leak: ... and says it could not start, and why" \
	"devmemleak: \`/nonexistent\` could not start: No such file or directory" "$s"
has "leak: ... and says there is no verdict" \
	"no verdict: the command could not start: exit 24" "$s"
s=$(section false)
expect "leak: devmemleak -- false exits 1, false's status" "$(get false_rc)" 1
has "leak: ... says false exited 1, with a clean verdict" "devmemleak: \`false\` exited 1: $clean" "$s"
has "leak: ... and that 1 is the command's status" "clean: exit 1, the command's status" "$s"
s=$(section exit3)
expect "leak: a clean command exiting 3 gives 3" "$(get exit3_rc)" 3
has "leak: ... reported as exited 3, clean" "devmemleak: \`sh\` exited 3: $clean" "$s"
has "leak: ... judged over the shell and its child" \
	"judged: the command and its descendants (2 processes)" "$s"
has "leak: ... whose pages all came back" "settled after" "$(echo "$s" | grep 'all pages back')"
s=$(section kill9)
expect "leak: a command killed by SIGKILL gives 137, as a shell does" "$(get kill9_rc)" 137
has "leak: ... and says so" "devmemleak: \`sh\` killed by signal 9 (SIGKILL): $clean" "$s"

# Two jobs: only the other one holds pages at the end.
s=$(section twojobs)
holder=$(sed -n 's/^other_job: held pid=\([0-9]*\) .*/\1/p' "$log")
has "leak: the other job held its 48 pages through the run" "npages=48 migrated=48 on_device=48" \
	"$(grep '^other_job:' "$log")"
expect "leak: another job's pages do not fail this run: exit 0" "$(get twojobs_rc)" 0
has "leak: ... the command itself is clean" "devmemleak: \`sh\` exited 0: $clean" "$s"
has "leak: ... the other job's pages are counted apart, exactly" \
	"other processes: 48 pages still out, 0 pgmap references, not judged" "$s"
if [ -n "$holder" ]; then
	has "leak: ... and named by its pid" "48 pages of pgmap " "$(echo "$s" | grep "handed to pid $holder (devmem-wl)")"
else
	fail "leak: ... and named by its pid" "no holder pid in the log"
fi
has "leak: ... the run stopped once the command's pages were back" "all pages back" "$s"

# A late free: the command's child frees its pages 1.5 s after it exits.
s=$(section linger)
expect "leak: pages freed by a lingering child after the command exits: exit 0" "$(get linger_rc)" 0
has "leak: ... judged clean" "devmemleak: \`devmem-wl\` exited 0: $clean" "$s"
has "leak: ... the lingering child is the command's" \
	"judged: the command and its descendants (2 processes)" "$s"
settled=$(echo "$s" | sed -n 's/^settled after \([0-9.]*\) s: all pages back$/\1/p')
if [ -n "$settled" ] && awk -v t="$settled" 'BEGIN { exit !(t >= 1.5 && t < 10) }'; then
	pass "leak: ... it waited for them: settled after $settled s (linger 1.5 s, --settle 10)"
else
	fail "leak: ... it waited for them, at least 1.5 s and under 10" \
		"$(echo "$s" | grep '^settled')"
fi

# leak_every=4 over 64 coherent pages: every 4th page is kept.
live=$(section "leak live")
offline=$(section "leak offline")
expect "leak: an injected leak exits 23" "$(get leak_rc)" 23
has "leak: exactly the 16 injected pages" "16 leaked device pages, 0 leaked pgmap references" "$live"
has "leak: ... says the exit status" "leaks: 16 device pages, 0 pgmap references: exit 23" "$live"
has "leak: ... after a quiet interval, not the --settle limit" "quiet for" \
	"$(echo "$live" | grep '^settled after')"
wlpid=$(echo "$live" | grep -o '^wl=coherent pid=[0-9]*' | cut -d= -f3)
has "leak: attributed to the workload's pid" "16 pages of pgmap " \
	"$(echo "$live" | grep "handed to pid $wlpid (devmem-wl)")"
frames=$(echo "$live" | grep '^    ' | head -3 | tr -d ' ' | tr '\n' ' ')
case $frames in
"zone_device_page_init+"*"dmirror_migrate_to_device"*) pass "leak: the stack starts at the driver's page init ($frames)";;
*) fail "leak: the stack starts at the driver's page init" "$frames";;
esac
case $(section junit) in
*'<testsuite name="devmemleak" tests="1" failures="1" errors="0">'*'<testcase classname="devmemleak" name="`devmem-wl`">'*'16 leaked device pages'*)
	pass "leak: JUnit XML reports the failure";;
*) fail "leak: JUnit XML reports the failure" "$(section junit | head -5)";;
esac
expect "leak: --error-exitcode=42 makes leaks exit 42" "$(get leak42_rc)" 42
j=$(section leak42)
wl42=$(section "leak42 stdout" | grep -o '^wl=coherent pid=[0-9]*' | cut -d= -f3)
expect "leak: --json: the verdict, its exit, exactly the 4 pages kept of 16, nothing lost" \
	"$(echo "$j" | jq -c '[.verdict, .exit, .command_status, .no_verdict, .leaked_pages, .leaked_refs, .suppressed_pages, .lost, .other_pages]')" \
	'["leaks",42,0,[],4,0,0,0,0]'
expect "leak: --json: one group of 4 pages, judged, held by the workload, named not addressed" \
	"$(echo "$j" | jq -c --arg pid "${wl42:-?}" '[.groups[] | [.judged, .suppressed, .pages, (.pid | tostring) == $pid, .comm, (.pgmap | test("^test_hmm/.*#[0-9]+$"))]]')" \
	'[[true,false,4,true,"devmem-wl",true]]'
expect "leak: --json: the group's stack starts at the driver's page init" \
	"$(echo "$j" | jq -c '.groups[0].stack | [(.[0] | startswith("zone_device_page_init+")), (.[1] | contains("dmirror_migrate_to_device"))]')" \
	'[true,true]'
expect "leak: -i on the recording exits 23 too" "$(get leak_i_rc)" 23
expect "leak: -i with --error-exitcode 42 exits 42" "$(get leak_i42_rc)" 42
has "leak: -i on a recording made without a command judges every process" \
	"judged: every process (the recording was not made with devmemrec -- COMMAND)" "$offline"
groups() { grep -E '^( {4}|[0-9]+ pages? of pgmap)' | sed 's/oldest [0-9.]* s ago/oldest ? s ago/'; }
if [ -n "$(echo "$live" | groups)" ]; then
	expect "leak: live and -i give the same leak groups and stacks" \
		"$(echo "$offline" | groups)" "$(echo "$live" | groups)"
else
	fail "leak: live and -i give the same leak groups and stacks" "no leak group live"
fi
expect "leak: a matching suppression makes the verdict clean" "$(get sup_rc)" 0
has "leak: suppressed pages are counted and shown" \
	"0 leaked device pages, 0 leaked pgmap references, 16 suppressed" "$(get sup_verdict)"
expect "leak: a suppression on line 101 of its file counts too: clean" "$(get sup101_rc)" 0
has "leak: ... its 16 pages suppressed" \
	"0 leaked device pages, 0 leaked pgmap references, 16 suppressed" "$(get sup101_verdict)"
expect "leak: --log-file: stdout is the workload's one line, stderr is empty" \
	"$(section "leak42 stdout" | grep -vc '^wl=coherent pid='),$(section "leak42 stdout" | grep -c .),$(section "leak42 stderr" | grep -c .)" "0,1,0"
expect "leak: devmemleak -- CMD: stdout is exactly CMD's stdout" "$(get stdout_is)" "9 out-line|"
expect "leak: ... CMD's stderr and the report are on stderr" \
	"$(get stderr_cmd) | $(get stderr_verdict)" "1 | devmemleak: \`sh\` exited 0: $clean"
expect "leak: no BPF program left behind" "$(get bpf_progs_after)" 0
