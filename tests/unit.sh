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
