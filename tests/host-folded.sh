#!/usr/bin/env bash
# Folded stacks without a VM (docs/folded.md): tools/lib/folded.c under
# ASan and UBSan, then devmemreport --folded and devmemleak --folded on a
# synthetic trace whose every count is known, and their failures.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
run_unit folded "folded unit tests"
if ! out=$(make -s build/devmemreport build/devmemleak build/gen-trace 2>&1 | grep -v "warning: Using"; \
	   [ -x build/devmemreport ] && [ -x build/devmemleak ] && [ -x build/gen-trace ]); then
	fail "devmemreport, devmemleak and gen-trace build" "$out"
	exit 1
fi

# 8000 records in groups of 8: a page init and its free (1 page), three
# puts, a migration to the device (64) and one to system (64), a fault
# (1 page) -- 1000 groups over 8 pids, no stacks recorded.
t=build/folded-synth.dmt
build/gen-trace $t 8000 >/dev/null
build/devmemreport --folded build/folded-synth.folded $t >build/folded-synth.txt
expect "devmemreport --folded FILE exits 0" $? 0
f=build/folded-synth.folded
sum() { awk -v r="$1" 'index($0, r ";") == 1 { n += $NF } END { print n + 0 }' "$2"; }
expect "every line is 'frame;...;frame COUNT'" \
	"$(grep -cvE '^[^;]+(;[^;]+)+ [0-9]+$' $f)" 0
expect "device pages handed out: all 1000 page inits" "$(sum "device pages handed out" $f)" 1000
expect "pages migrated to system: 1000 x 64" "$(sum "pages migrated to system" $f)" 64000
expect "device page faults: 1000, one page each" "$(sum "device page faults" $f)" 1000
expect "live device pages: none, every page was freed" "$(sum "live device pages" $f)" 0
expect "one line per root and process (8 pids x 3 roots)" "$(wc -l <$f)" 24
expect "records without a stack count under [no stack]" \
	"$(grep -c ';gpu-job (10[0-7]);\[no stack\] [0-9]*$' $f)" 24
expect "the lines are sorted bytewise" "$(LC_ALL=C sort -c $f 2>&1 && echo sorted)" sorted
expect "the exact line of one process" \
	"$(grep '^device page faults;.*(103)' $f)" "device page faults;private pgmap;gpu-job (103);[no stack] 125"
case $(head -1 build/folded-synth.txt) in
"trace $t: format"*) pass "the text report is still printed with --folded FILE";;
*) fail "the text report is still printed with --folded FILE" "$(head -1 build/folded-synth.txt)";;
esac
expect "--folded - puts exactly the folded lines on stdout" \
	"$(build/devmemreport --folded - $t | md5sum)" "$(md5sum <$f)"
build/devmemreport --folded - --json $t >/dev/null
expect "--folded - with --json exits 0" $? 0
msg=$(build/devmemreport --folded /nonexistent/dir/x.folded $t 2>&1 >/dev/null); rc=$?
expect "devmemreport: an unwritable --folded path exits 9 (write)" $rc 9
case $msg in
*"/nonexistent/dir/x.folded: cannot write the folded stacks: No such file or directory"*)
	pass "devmemreport says why it could not write the folded file";;
*) fail "devmemreport says why it could not write the folded file" "said '$msg'";;
esac
build/devmemreport --folded /dev/full $t >/dev/null 2>&1
expect "devmemreport: a full disk under --folded exits 9 (write)" $? 9
build/devmemreport $t --folded >/dev/null 2>&1
expect "devmemreport: --folded without OUT exits 2" $? 2

# devmemleak -i: nothing leaked, so an empty file and a clean verdict; a
# file it cannot write costs the verdict, as --junit's does (the "no
# verdict" status, whatever its number: that of an unreadable trace).
rm -f build/folded-synth.leak
build/devmemleak -i $t --folded build/folded-synth.leak >/dev/null 2>&1
expect "devmemleak -i --folded: no leak exits 0" $? 0
if [ -f build/folded-synth.leak ] && [ ! -s build/folded-synth.leak ]; then
	pass "devmemleak --folded with no leak writes an empty file"
else
	fail "devmemleak --folded with no leak writes an empty file" "$(ls -l build/folded-synth.leak 2>&1)"
fi
build/devmemleak -i /nonexistent.dmt >/dev/null 2>&1
noverdict=$?
msg=$(build/devmemleak -i $t --folded /nonexistent/dir/x.folded 2>&1 >/dev/null); rc=$?
expect "devmemleak: an unwritable --folded path gives no verdict ($noverdict)" $rc $noverdict
case $msg in
*"/nonexistent/dir/x.folded: cannot write the folded stacks: No such file or directory"*)
	pass "devmemleak says why it could not write the folded file";;
*) fail "devmemleak says why it could not write the folded file" "said '$msg'";;
esac
