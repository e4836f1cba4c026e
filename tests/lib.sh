# Helpers for test groups: each check prints one PASS or FAIL line.
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# check_patch GROUP PATCH SRC: PATCH applies to the tree SRC with no fuzz,
# is checkpatch.pl --strict clean, signed off by its author, and has a
# commit message. Both series (tests/kpatches.sh, tests/kpatches-6.12.sh).
check_patch() {
	local g=$1 p=$2 src=$3 name out total from body
	name=$(basename "$p" .patch)
	if out=$(patch -d "$src" -p1 --fuzz=0 <"$p" 2>&1); then
		pass "$g $name applies without fuzz"
	else
		fail "$g $name applies without fuzz" "$(echo "$out" | tail -3)"
	fi
	total=$(cd "$src" && scripts/checkpatch.pl --strict "$OLDPWD/$p" 2>/dev/null | grep '^total:')
	expect "$g $name checkpatch --strict" "$total" \
		"$(echo "$total" | sed 's/^total: .*, \([0-9]* lines checked\)$/total: 0 errors, 0 warnings, 0 checks, \1/')"
	# Mail headers may be folded onto indented continuation lines.
	from=$(awk '/^$/ { exit } /^[ \t]/ { h = h " " substr($0, 2); next }
		{ if (h ~ /^From: /) print substr(h, 7); h = $0 }
		END { if (h ~ /^From: /) print substr(h, 7) }' "$p")
	if grep -qxF "Signed-off-by: $from" "$p"; then
		pass "$g $name signed off by its author"
	else
		fail "$g $name signed off by its author" "no 'Signed-off-by: $from'"
	fi
	# A real commit message: some prose between the headers and the sign-off.
	body=$(awk 'body && /^Signed-off-by:/ { exit } body { print } /^$/ { body = 1 }' "$p" |
		grep -c '[a-z]')
	if [ "$body" -ge 3 ]; then
		pass "$g $name has a commit message"
	else
		fail "$g $name has a commit message" "$body lines of text"
	fi
}

# run_unit NAME WHAT: build build/test_NAME (ASan, UBSan) and run it; its own
# PASS/FAIL lines are the checks, a crash or a failed build is one more.
run_unit() {
	local out rc
	if out=$(make -s build/test_$1 2>&1); then
		build/test_$1
		rc=$?
		[ $rc -eq 0 ] || echo "FAIL $1: test_$1 exited $rc"
	else
		fail "$2 build with ASan and UBSan" "$out"
	fi
}
