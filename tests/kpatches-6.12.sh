#!/usr/bin/env bash
# The kpatches/6.12 backport applies to a pristine linux-source-6.12 with no
# fuzz; each patch is checkpatch.pl --strict clean, signed off by its author
# and has a commit message (check_patch in tests/lib.sh).
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
	check_patch kpatches-6.12 "$p" "$src"
done
