#!/usr/bin/env bash
# The upstream hmm-tests selftest, on the patched and on the vanilla kernel
# built from the same tree and config: the series must change no result.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel kernel-vanilla build/initramfs.cpio.gz || { fail "hmm-tests: build" "make failed"; exit 1; }

results() { grep -E '^(not )?ok [0-9]+ ' "$1" | sed -E 's/^(not ok|ok) [0-9]+ /\1 /'; }
for flavor in patched vanilla; do
	kdir=$(cat build/kernel$([ $flavor = vanilla ] && echo -vanilla).dir)
	out=build/vm-hmm-tests-$flavor
	vm/run-vm.sh "$kdir" build/initramfs.cpio.gz hmm-tests "$out" 900
	expect "hmm-tests: $flavor guest ran to the end" $? 0
	results "$out/data.log" >"$out/results"
	oops=$(grep -cE 'BUG:|WARNING:|Oops|Call Trace' "$out/console.log")
	expect "hmm-tests: $flavor kernel logged no BUG, WARNING or Oops" "$oops" 0
done
p=build/vm-hmm-tests-patched/results v=build/vm-hmm-tests-vanilla/results
n=$(wc -l <"$p")
coherent=$(grep -c 'hmm_device_coherent' "$p")
if [ "$n" -gt 0 ] && [ "$coherent" -gt 0 ]; then
	pass "hmm-tests: $n results, $coherent of them on device coherent memory"
else
	fail "hmm-tests: results on private and coherent memory" "$n results, $coherent coherent"
fi
if d=$(diff "$v" "$p"); then
	pass "hmm-tests: identical pass/fail list with and without the series ($(grep -c '^ok' "$p") ok, $(grep -c '^not ok' "$p") not ok)"
else
	fail "hmm-tests: identical pass/fail list with and without the series" "$d"
fi
rc_p=$(sed -n 's/^hmm-tests-rc=//p' build/vm-hmm-tests-patched/data.log)
rc_v=$(sed -n 's/^hmm-tests-rc=//p' build/vm-hmm-tests-vanilla/data.log)
expect "hmm-tests: same exit status with and without the series" "$rc_p" "$rc_v"
