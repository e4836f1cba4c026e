#!/usr/bin/env bash
# docs/features.md's table against this run: every "seen [ID]" cell names
# a check, defined under "The checks" as "- [ID]: GROUP: PATTERN", and a
# PASS line of build/test-GROUP.log must match PATTERN. Run last: it reads
# the other groups' logs.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
doc=docs/features.md
ids=$(grep '^|' "$doc" | grep -o 'seen \[[a-z0-9-]*\]' | sed 's/seen \[\(.*\)\]/\1/' | sort -u)
[ -n "$ids" ] || { fail "features: $doc has seen cells" "none found"; exit 1; }
bare=$(grep '^|' "$doc" | grep -o '| *seen[^|]*' | grep -vc '^| *seen \[[a-z0-9-]*\] *$')
expect "features: every seen cell names its check" "$bare" 0
for id in $ids; do
	def=$(grep -m1 "^- \[$id\]: " "$doc")
	if [ -z "$def" ]; then
		fail "features: [$id] is defined" "no '- [$id]: GROUP: PATTERN' line"
		continue
	fi
	rest=${def#- \[$id\]: }
	group=${rest%%: *} pattern=${rest#*: }
	log=build/test-$group.log
	if [ ! -s "$log" ]; then
		fail "features: [$id] $group ran" "no $log: run the group first"
	elif grep -Eq -- "$pattern" "$log"; then
		pass "features: [$id] seen, checked by $group"
	else
		fail "features: [$id] seen, checked by $group" "no PASS line matches '$pattern'"
	fi
done
