#!/usr/bin/env bash
# The kpatches/6.12 backport applies to a pristine linux-source-6.12 with no fuzz,
# each patch is checkpatch.pl --strict clean and signed off by its author.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
base=$(cat kpatches/6.12/BASE)
have="linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12)"
[ "$have" = "$base" ] || echo "note: series made against '$base', testing against '$have'"

tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
tar -C "$tree" -xf /usr/src/linux-source-6.12.tar.xz
src=$tree/linux-source-6.12
for p in kpatches/6.12/*.patch; do
	n=$(basename "$p" .patch)
	if out=$(patch -d "$src" -p1 --fuzz=0 <"$p" 2>&1); then
		pass "kpatches-6.12 $n applies without fuzz"
	else
		fail "kpatches-6.12 $n applies without fuzz" "$(echo "$out" | tail -3)"
	fi
	total=$(cd "$src" && scripts/checkpatch.pl --strict "$OLDPWD/$p" 2>/dev/null | grep '^total:')
	expect "kpatches-6.12 $n checkpatch --strict" "$total" \
		"$(echo "$total" | sed 's/^total: .*, \([0-9]* lines checked\)$/total: 0 errors, 0 warnings, 0 checks, \1/')"
	# Mail headers may be folded onto indented continuation lines.
	from=$(awk '/^$/ { exit } /^[ \t]/ { h = h " " substr($0, 2); next }
		{ if (h ~ /^From: /) print substr(h, 7); h = $0 }
		END { if (h ~ /^From: /) print substr(h, 7) }' "$p")
	if grep -qxF "Signed-off-by: $from" "$p"; then
		pass "kpatches-6.12 $n signed off by its author"
	else
		fail "kpatches-6.12 $n signed off by its author" "no 'Signed-off-by: $from'"
	fi
done
