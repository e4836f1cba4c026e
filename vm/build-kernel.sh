#!/usr/bin/env bash
# Build the guest kernel from Debian's linux-source-6.12 tarball, with or
# without the kpatches/ series, and cache the result outside the repo.
#
#   vm/build-kernel.sh [--vanilla]     prints the directory holding bzImage
#
# The cache key hashes everything that decides the image: the source package
# version, the config fragment, this script and (unless --vanilla) the
# patches. A hit costs nothing; a miss is a full build (~8 min on 2 cores).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cache=${DEVMEMSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devmemscope}
tarball=/usr/src/linux-source-6.12.tar.xz
flavor=patched
[ "${1:-}" = --vanilla ] && flavor=vanilla

die() { echo "build-kernel: $*" >&2; exit 1; }
[ -r "$tarball" ] || die "$tarball missing: apt-get install linux-source-6.12"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)

patches=()
if [ $flavor = patched ]; then
	mapfile -t patches < <(find "$top/kpatches" -maxdepth 1 -name '*.patch' | sort)
	[ ${#patches[@]} -gt 0 ] || die "no patches in kpatches/"
fi

key=$( { echo "$srcver"; cat "$here/kernel.config" "$0";
	 [ ${#patches[@]} -eq 0 ] || cat "${patches[@]}"; } |
	sha256sum | cut -c1-16)
out=$cache/kernel-$flavor-$key
if [ -s "$out/bzImage" ]; then
	echo "$out"
	exit 0
fi

build=$cache/build-$flavor
rm -rf "$build"
mkdir -p "$build"
echo "build-kernel: $flavor $srcver key $key: unpacking" >&2
tar -C "$build" -xf "$tarball"
src=$build/linux-source-6.12
for p in "${patches[@]}"; do
	patch -d "$src" -p1 --fuzz=0 --quiet <"$p" || die "$(basename "$p") does not apply"
done

cd "$src"
make -s tinyconfig >&2
scripts/kconfig/merge_config.sh -m .config "$here/kernel.config" >/dev/null
make -s olddefconfig >&2
# A symbol whose dependencies are missing is dropped silently by kconfig.
missing=$(grep '^CONFIG_' "$here/kernel.config" | while read -r line; do
	grep -qx "$line" .config || echo "$line"
done)
[ -z "$missing" ] || die "config symbols did not stick: $missing"

echo "build-kernel: make -j$(nproc) bzImage (log: $build/make.log)" >&2
if ! make -j"$(nproc)" bzImage >"$build/make.log" 2>&1; then
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
