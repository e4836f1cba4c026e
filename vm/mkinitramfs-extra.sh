#!/usr/bin/env bash
# vm/mkinitramfs-extra.sh OUT.cpio.gz IN.cpio.gz FILE[:DEST]...
# A copy of an existing initramfs (vm/mkinitramfs.sh) with more files: each
# FILE goes to DEST inside the guest (default /bin/NAME), as a second gzip'd
# cpio archive appended to the first. The kernel unpacks concatenated
# archives in order, so a later file replaces an earlier one of that name.
# IN is left alone, so this never races a `make` rebuilding it.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 OUT.cpio.gz IN.cpio.gz FILE[:DEST]..." >&2; exit 2; }
out=$1 in=$2
shift 2
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
for spec in "$@"; do
	src=${spec%%:*}
	dest=/bin/$(basename "$src")
	[ "$spec" = "$src" ] || dest=${spec#*:}
	[ -f "$src" ] || { echo "mkinitramfs-extra: $src: no such file" >&2; exit 1; }
	mkdir -p "$stage$(dirname "$dest")"
	cp -p "$src" "$stage$dest"
done
cp "$in" "$out.tmp"
(cd "$stage" && find . -mindepth 1 | cpio -o -H newc --quiet) | gzip -1 >>"$out.tmp"
mv "$out.tmp" "$out"
