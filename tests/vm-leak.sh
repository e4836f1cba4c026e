#!/usr/bin/env bash
# devmemleak on the patched kernel in the VM (vm/guest/scenarios/leak.sh):
# zero leaks on the clean workloads and on a whole hmm-tests run, then
# exactly the pages test_hmm's leak injector keeps, with their stack, the
# same verdict live and from a recording, JUnit, and suppression.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
out=build/vm-leak
vm/run-vm.sh "$(cat build/kernel.dir)" build/initramfs.cpio.gz leak "$out" 900
expect "leak: guest ran to the end" $? 0
log=$out/data.log
get() { sed -n "s/^$1=//p" "$log" | head -1; }
clean='0 leaked device pages, 0 leaked pgmap references, 0 suppressed, 0 events lost'
for wl in private longterm cow coherent; do
	line=$(grep "^clean_rc=.* wl=$wl\$" "$log")
	expect "leak: clean $wl workload exits 0" "$(echo "$line" | sed 's/^clean_rc=\([0-9]*\).*/\1/')" 0
	case $line in
	*"$clean"*) pass "leak: clean $wl workload reports no leak";;
	*) fail "leak: clean $wl workload reports no leak" "$line";;
	esac
done
expect "leak: hmm-tests passed under devmemleak" "$(get hmm_totals)" \
	"# Totals: pass:58 fail:0 xfail:0 xpass:0 skip:0 error:0"
expect "leak: a whole hmm-tests run exits 0" "$(get hmm_rc)" 0
case $(get hmm_verdict) in
*"$clean"*) pass "leak: a whole hmm-tests run reports no leak";;
*) fail "leak: a whole hmm-tests run reports no leak" "$(get hmm_verdict)";;
esac
# leak_every=4 over 64 coherent pages: every 4th page is kept.
live=$(sed -n '/^--- leak live/,/^--- junit/p' "$log")
offline=$(sed -n '/^--- leak offline/,/^--- end/p' "$log")
expect "leak: an injected leak exits 1" "$(get leak_rc)" 1
case $live in
*"16 leaked device pages, 0 leaked pgmap references"*) pass "leak: exactly the 16 injected pages";;
*) fail "leak: exactly the 16 injected pages" "$(echo "$live" | grep '^devmemleak:')";;
esac
wlpid=$(echo "$live" | grep -o '^wl=coherent pid=[0-9]*' | cut -d= -f3)
case $live in
*"16 pages of pgmap "*" handed to pid $wlpid (devmem-wl)"*) pass "leak: attributed to the workload's pid";;
*) fail "leak: attributed to the workload's pid" "$(echo "$live" | grep 'pages of pgmap')";;
esac
frames=$(echo "$live" | grep '^    ' | head -3 | tr -d ' ' | tr '\n' ' ')
case $frames in
"zone_device_page_init+"*"dmirror_migrate_to_device"*) pass "leak: the stack starts at the driver's page init ($frames)";;
*) fail "leak: the stack starts at the driver's page init" "$frames";;
esac
case $(sed -n '/^--- junit/,/^--- leak offline/p' "$log") in
*'<testsuite name="devmemleak" tests="1" failures="1" errors="0">'*'16 leaked device pages'*)
	pass "leak: JUnit XML reports the failure";;
*) fail "leak: JUnit XML reports the failure" "$(sed -n '/^--- junit/,/^--- leak offline/p' "$log" | head -5)";;
esac
expect "leak: -i on the recording exits 1 too" "$(get leak_i_rc)" 1
groups() { grep -E '^( {4}|[0-9]+ pages? of pgmap)' | sed 's/oldest [0-9.]* s ago/oldest ? s ago/'; }
if [ -n "$(echo "$live" | groups)" ]; then
	expect "leak: live and -i give the same leak groups and stacks" \
		"$(echo "$offline" | groups)" "$(echo "$live" | groups)"
else
	fail "leak: live and -i give the same leak groups and stacks" "no leak group live"
fi
expect "leak: a matching suppression makes the verdict clean" "$(get sup_rc)" 0
case $(get sup_verdict) in
*"0 leaked device pages, 0 leaked pgmap references, 16 suppressed"*) pass "leak: suppressed pages are counted and shown";;
*) fail "leak: suppressed pages are counted and shown" "$(get sup_verdict)";;
esac
expect "leak: no BPF program left behind" "$(get bpf_progs_after)" 0
