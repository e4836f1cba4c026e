#!/usr/bin/env bash
# Every test group in turn. A group prints "PASS name" and "FAIL name: why"
# lines; a group that exits non-zero without a FAIL line counts as one
# failure. Each group ends with a line of its counts and seconds, so that
# CI's log says where a cold run's time went. The last line is "N passed,
# N failed"; the exit status is 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
groups=(${TEST_GROUPS:-unit add-counter layers options host-folded host-locks install deploy kpatches kpatches-6.12 vm-tracefs vm-devmemtop vm-metrics vm-soak vm-interactive vm-record vm-leak vm-folded vm-scale vm-linux73 vm-rework vm-stuck vm-coredump vm-teardown vm-stock-73 vm-stock-612 vm-stock-61 vm-pagewalk vm-stock-kernel vm-hmm-tests features})
passed=0 failed=0
mkdir -p build
for g in "${groups[@]}"; do
	echo "## $g"
	t0=$SECONDS
	log=build/test-$g.log
	tests/$g.sh 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $g: group exited $rc without naming a failure"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f))
	echo "## $g: $p passed, $f failed, $((SECONDS - t0)) s"
done
echo "## all groups: $SECONDS s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
