#!/usr/bin/env bash
# The cache locks (vm/cache-lock.sh), without a VM: two runs of the same
# build (vm/build-kernel.sh, vm/build-test-hmm-module.sh) started at once,
# in a private cache, with the expensive step stubbed
# (DEVMEMSCOPE_TEST_STUB_BUILD). The stub notes that it ran, waits, checks
# nobody removed its tree meanwhile, and leaves a result. Exactly one run
# may build; the other must wait for it, and both print the same directory
# with the stub's result in it. Without the lock both would build, and the
# second would remove the first one's tree mid-build.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export DEVMEMSCOPE_CACHE=$tmp/cache
cat >"$tmp/stub" <<'STUB'
#!/bin/sh
# stub DIR: a build of DIR that takes 2 s.
echo "$$" >>"$DEVMEMSCOPE_CACHE/../runs"
touch "$1/.building"
sleep 2
[ -f "$1/.building" ] || { echo "stub: tree removed mid-build" >&2; exit 1; }
echo "built by $$" >"$1/bzImage"
cp "$1/bzImage" "$1/test_hmm.ko"
STUB
chmod +x "$tmp/stub"
export DEVMEMSCOPE_TEST_STUB_BUILD=$tmp/stub

# twice NAME RESULT CMD...: CMD twice, the second once the first builds.
twice() {
	local name=$1 result=$2 n=0
	shift 2
	rm -f "$tmp/runs"
	"$@" >"$tmp/out1" 2>"$tmp/err1" &
	local first=$!
	while [ ! -s "$tmp/runs" ] && [ $n -lt 300 ]; do sleep 0.05; n=$((n + 1)); done
	"$@" >"$tmp/out2" 2>"$tmp/err2" &
	local second=$!
	wait $first
	local rc1=$?
	wait $second
	local rc2=$?
	expect "locks $name: both runs exit 0" "$rc1 $rc2" "0 0"
	expect "locks $name: the stub built once" "$(wc -l <"$tmp/runs" 2>/dev/null)" 1
	expect "locks $name: the first built, the second waited, then took its result" \
		"$(grep -c 'building (stub)' "$tmp/err1") $(grep -c 'waiting' "$tmp/err1") $(grep -c 'building (stub)' "$tmp/err2") $(grep -c 'waiting' "$tmp/err2")" \
		"1 0 0 1"
	local dir
	dir=$(cat "$tmp/out1")
	expect "locks $name: both print the same result" "$(cat "$tmp/out2")" "$dir"
	expect "locks $name: the result is the stub's" \
		"$(cat "$dir/$result" 2>&1)" "built by $(cat "$tmp/runs")"
	expect "locks $name: no build tree left behind" \
		"$(find "$DEVMEMSCOPE_CACHE" -maxdepth 1 -name 'build-*' | wc -l)" 0
}
twice "build-kernel" bzImage vm/build-kernel.sh --vanilla
kernel=$(cat "$tmp/out1")
# The module builder prints the module; its directory holds the stub's.
twice "build-test-hmm-module" test_hmm.ko sh -c 'dirname "$(vm/build-test-hmm-module.sh 7.3)"'
# A waiter that arrives after the build finds it and takes the lock no more.
out=$(vm/build-kernel.sh --vanilla 2>"$tmp/err3")
expect "locks build-kernel: a later run takes the cached result, exit 0" \
	"$? $out $(grep -c 'building\|waiting' "$tmp/err3")" "0 $kernel 0"
