#!/usr/bin/env bash
# The kpatches/ series (Linux 7.3) applies in order to a pristine linux-source-7.3
# from trixie-backports with no fuzz, each patch is checkpatch.pl --strict
# clean and signed off by its author, and the cover letter explains it.
#
# The source package comes through vm/fetch-debian.sh (cached, the machine's
# apt sources untouched) and is unpacked once under the cache directory.
set -uo pipefail
cd "$(dirname "$0")/.." || exit
. tests/lib.sh
dir=kpatches
suite=trixie-backports
base=$(cat "$dir/BASE")
pkg=${base%% *}
want=${base#* }
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}

# The version the series was made against; once the suite has moved on, its
# current version.
if ! deb=$(vm/fetch-debian.sh "$suite" "$pkg=$want" 2>/dev/null) &&
	! deb=$(vm/fetch-debian.sh "$suite" "$pkg" 2>"${TMPDIR:-/tmp}/kpatches-7.3-fetch.$$"); then
	fail "kpatches fetch $pkg from $suite" "$(tail -3 "${TMPDIR:-/tmp}/kpatches-7.3-fetch.$$")"
	rm -f "${TMPDIR:-/tmp}/kpatches-7.3-fetch.$$"
	exit 0
fi
rm -f "${TMPDIR:-/tmp}/kpatches-7.3-fetch.$$"
have=$(dpkg-deb -f "$deb" Version)
pass "kpatches fetch $pkg from $suite"
[ "$have" = "$want" ] || echo "note: series made against '$want', testing against '$have'"

# A pristine unpacked tree, kept in the cache and only ever read.
pristine=$cache/src/$pkg
if [ "$(cat "$pristine/.devmemscope-version" 2>/dev/null)" != "$have" ]; then
	rm -rf "$pristine" "$pristine.new"
	mkdir -p "$pristine.new"
	if dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
		tar -C "$pristine.new" -xJ --strip-components=1; then
		echo "$have" >"$pristine.new/.devmemscope-version"
		mv "$pristine.new" "$pristine"
	else
		rm -rf "$pristine.new"
		fail "kpatches unpack $pkg" "tar failed"
		exit 0
	fi
fi

# Work on a tree of symlinks to the pristine one; a file the series touches
# is copied in first, so patching never writes through to the cache.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
src=$tree/$pkg
cp -as "$pristine" "$src"
sed -n 's|^+++ b/\(.*\)|\1|p' "$dir"/*.patch | sort -u | while read -r f; do
	if [ -L "$src/$f" ]; then
		rm "$src/$f"
		cp "$pristine/$f" "$src/$f"
	fi
done

cover=$dir/0000-cover-letter.patch
if [ -f "$cover" ] && grep -Eq "^Subject: \[PATCH( v[0-9]+)? 0/" "$cover" &&
	grep -q 'migrate_device' "$cover" && grep -q 'zone_device' "$cover" &&
	! grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$cover"; then
	pass "kpatches cover letter explains the series"
else
	fail "kpatches cover letter explains the series" "missing or still a template"
fi

n=0
for p in "$dir"/*.patch; do
	# The cover letter has no diff to apply and no sign-off.
	grep -q '^diff --git ' "$p" || continue
	n=$((n + 1))
	check_patch kpatches "$p" "$src"
done
expect "kpatches patches in the series" "$([ $n -gt 0 ] && echo some)" some
