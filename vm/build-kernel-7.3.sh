#!/usr/bin/env bash
# Build a Linux 7.3 guest kernel from Debian's linux-source-7.3 (fetched from
# trixie-backports with vm/fetch-debian.sh), with or without the
# kpatches/7.3 series, and cache the result outside the repo. Same contract
# as vm/build-kernel.sh, which stays the 6.12 build.
#
#   vm/build-kernel-7.3.sh [--vanilla]   prints the directory holding bzImage
#                                        (and vmlinux, System.map, .config)
#
# Config: tinyconfig + vm/kernel.config + vm/kernel-7.3.config, every line of
# both checked after olddefconfig. The cache key hashes the source package
# version, both config fragments, this script and (unless --vanilla) the
# patches 0001.. of kpatches/7.3 (not the cover letter). The source is
# unpacked fresh for each build. A miss is a full build, run under nice.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
kp=$top/kpatches/7.3
suite=trixie-backports
flavor=patched
[ "${1:-}" = --vanilla ] && flavor=vanilla

die() { echo "build-kernel-7.3: $*" >&2; exit 1; }
base=$(cat "$kp/BASE") || die "$kp/BASE missing"
pkg=${base%% *}
want=${base#* }
# The version the series was made against; failing that, the suite's current.
deb=$("$here/fetch-debian.sh" "$suite" "$pkg=$want" 2>/dev/null) ||
	deb=$("$here/fetch-debian.sh" "$suite" "$pkg") ||
	die "cannot fetch $pkg from $suite"
srcver=$(dpkg-deb -f "$deb" Version)
[ "$srcver" = "$want" ] || echo "build-kernel-7.3: note: series made against $want, building $srcver" >&2

patches=()
if [ $flavor = patched ]; then
	mapfile -t patches < <(find "$kp" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-*' | sort)
	[ ${#patches[@]} -gt 0 ] || die "no patches in $kp"
fi

frags=("$here/kernel.config" "$here/kernel-7.3.config")
key=$( { echo "$pkg $srcver"; cat "${frags[@]}" "$0";
	 [ ${#patches[@]} -eq 0 ] || cat "${patches[@]}"; } |
	sha256sum | cut -c1-16)
out=$cache/kernel73-$flavor-$key
if [ -s "$out/bzImage" ]; then
	echo "$out"
	exit 0
fi

build=$cache/build73-$flavor
rm -rf "$build"
mkdir -p "$build"
src=$build/$pkg
echo "build-kernel-7.3: $flavor $srcver key $key: unpacking" >&2
mkdir -p "$src"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
	tar -C "$src" -xJ --strip-components=1 || die "cannot unpack $deb"
for p in "${patches[@]}"; do
	patch -d "$src" -p1 --fuzz=0 --quiet <"$p" || die "$(basename "$p") does not apply"
done

cd "$src"
make -s tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "${frags[@]}" >/dev/null
make -s olddefconfig >&2
# A symbol whose dependencies are missing is dropped silently by kconfig.
missing=$(cat "${frags[@]}" | grep '^CONFIG_' | while read -r line; do
	grep -qx "$line" .config || echo "$line"
done)
[ -z "$missing" ] || die "config symbols did not stick: $missing"

echo "build-kernel-7.3: nice make -j$(nproc) bzImage (log: $build/make.log)" >&2
if ! nice -n 10 make -j"$(nproc)" bzImage >"$build/make.log" 2>&1; then
	tail -40 "$build/make.log" >&2
	die "kernel build failed"
fi

mkdir -p "$out.tmp"
cp arch/x86/boot/bzImage vmlinux System.map .config "$out.tmp/"
rm -rf "$out"
mv "$out.tmp" "$out"
cd /
rm -rf "$build"
echo "$out"
