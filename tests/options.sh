#!/usr/bin/env bash
# The one option table (tools/lib/options_table.c, docs/options.md) against
# the four tools as built: each --help lists exactly the table's options
# for that tool, every one of them is accepted, -V prints the release of
# VERSION, -v says what attaching tried (on this host, where nothing
# attaches), and an unknown option is a usage error (2) with a hint.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
tools="devmemtop devmemrec devmemreport devmemleak"
make -s build/devmem-man $(for t in $tools; do echo build/$t; done) 2>&1 | grep -v "warning: Using"
version=$(cat VERSION)
abi=$(sed -n "s/^#define DEVMEM_ABI_VERSION \([0-9]*\)/\1/p" include/devmem_abi.h)
for t in $tools; do
	help=$(build/$t --help); rc=$?
	expect "options: $t --help exits 0" "$rc" 0
	listed=$(grep -oE '^ {2,6}(-[a-zA-Z], )?--[a-z.-]+' <<<"$help" | sed 's/^ *//')
	expect "options: $t --help lists exactly the table's options" "$listed" \
		"$(build/devmem-man options $t)"
	expect "options: $t --help has no line over 79 columns" \
		"$(awk 'length > 79' <<<"$help")" ""
	expect "options: $t -V" "$(build/$t -V)" \
		"$t $version (devmemscope; record ABI $abi, trace format 1.1)"
	expect "options: $t --version is -V" "$(build/$t --version)" "$(build/$t -V)"
	msg=$(build/$t --no-such-option 2>&1 >/dev/null); rc=$?
	expect "options: $t --no-such-option exits 2 and says where help is" "$rc:$(tail -1 <<<"$msg")" \
		"2:Try '$t --help'."
done
# Every option reaches its tool: one that takes no argument exits at once
# or fails later for another reason, never as unknown (getopt's words).
for t in $tools; do
	bad=
	for o in $(build/devmem-man options $t | sed 's/.* //'); do
		case $o in --help | --version) continue;; esac
		arg=$(grep -oE -- "^ {2,6}(-[a-zA-Z], )?$o [A-Z:]+" <<<"$(build/$t --help)" | awk '{print $NF}')
		if [ -n "$arg" ]; then
			msg=$(timeout 10 build/$t "$o" 1 --no-such-option 2>&1)
		else
			msg=$(timeout 10 build/$t "$o" --no-such-option 2>&1)
		fi
		grep -q "unrecognized option '$o'" <<<"$msg" && bad+=" $o"
	done
	expect "options: $t accepts every option its --help lists" "$bad" ""
done

# -v on this host, where no mode attaches: what each mode did, and the
# same exit status as without it.
quiet=$(timeout 60 build/devmemtop -n 1 2>&1 >/dev/null); qrc=$?
loud=$(timeout 60 build/devmemtop -v -n 1 2>&1 >/dev/null); lrc=$?
expect "options: devmemtop -v exits as devmemtop does ($qrc)" "$lrc" "$qrc"
expect "options: devmemtop -v says it tried tracepoint mode, and what came of it" \
	"$(grep -c '^devmemtop: trying tracepoint mode$' <<<"$loud"):$(grep -c '^devmemtop: tracepoint mode: ' <<<"$loud")" 1:1
expect "options: without -v, nothing of that" "$(grep -c 'trying .* mode' <<<"$quiet")" 0
expect "options: -v passes libbpf's own messages (a mode fails to load here)" \
	"$(grep -c '^libbpf: ' <<<"$loud" | awk '{print ($1 > 0)}')" 1
# One unit for every duration: 500ms is 0.5 s.
msg=$(build/devmemleak --quiet 500ms --settle 2m -i /nonexistent.dmt 2>&1); rc=$?
expect "options: durations take ms and m (devmemleak gets past its options)" \
	"$(grep -c 'not a duration' <<<"$msg")" 0
msg=$(build/devmemleak --quiet 5x -i /nonexistent.dmt 2>&1); rc=$?
expect "options: --quiet 5x is a usage error naming the option" "$rc:$(head -1 <<<"$msg")" \
	"2:devmemleak: --quiet 5x: not a duration from 0 to 3600 s"
