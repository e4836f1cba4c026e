#!/usr/bin/env bash
# Build a guest kernel from Debian's source, with or without its devmemscope
# series, and cache the result outside the repo.
#
#   vm/build-kernel.sh [--vanilla] [7.3|6.12]   prints the directory holding
#                                               bzImage (and vmlinux,
#                                               System.map, .config)
#
# 7.3: linux-source-7.3 from trixie-backports (vm/fetch-debian.sh), series
#      kpatches/ (patches 0001.., not the cover letter), config tinyconfig +
#      vm/kernel.config + vm/kernel-7.3.config.
# 6.12 (the default, most VM test groups): /usr/src/linux-source-6.12.tar.xz
#      from the machine's archive, series kpatches/6.12/, config tinyconfig +
#      vm/kernel.config.
# Every config line is checked after olddefconfig. The cache key hashes the
# source package version, the config fragments, this script and (unless
# --vanilla) the patches. A hit costs nothing; a miss is a full build
# (~5-8 min on 2 cores, under nice), from a freshly unpacked source.
#<fixture>
#
#   vm/build-kernel.sh --fixture NAME 7.3      vanilla 7.3 and one test
#                                              fixture, vm/patches/
#                                              fixture-7.3-*-NAME.patch
#
# A fixture is no series: a kernel change written here to test the tools
# against (rework: the class-based migrate_device events, tests/vm-rework.sh).
# Its key hashes this whole script and its patch; the other flavors hash
# this script without the lines between the fixture markers, so adding a
# fixture changed none of their keys and rebuilt none of their kernels.
#</fixture>
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
self=$here/build-kernel.sh
cache=${DEVMEMSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devmemscope}
flavor=patched version=6.12
#<fixture>
fixture=
#</fixture>
for a in "$@"; do
#<fixture>
	if [ "$fixture" = - ]; then fixture=$a; continue; fi
#</fixture>
	case $a in
	--vanilla) flavor=vanilla;;
#<fixture>
	--fixture) fixture=-;;
#</fixture>
	6.12|7.3) version=$a;;
	*) echo "usage: vm/build-kernel.sh [--vanilla] [7.3|6.12]" >&2; exit 2;;
	esac
done
die() { echo "build-kernel $version: $*" >&2; exit 1; }

if [ "$version" = 7.3 ]; then
	kp=$top/kpatches
	frags=("$here/kernel.config" "$here/kernel-7.3.config")
	base=$(cat "$kp/BASE") || die "$kp/BASE missing"
	pkg=${base%% *} want=${base#* }
	# The version the series was made against; failing that, the suite's current.
	deb=$("$here/fetch-debian.sh" trixie-backports "$pkg=$want" 2>/dev/null) ||
		deb=$("$here/fetch-debian.sh" trixie-backports "$pkg") ||
		die "cannot fetch $pkg from trixie-backports"
	srcver=$(dpkg-deb -f "$deb" Version)
	[ "$srcver" = "$want" ] || echo "build-kernel $version: note: series made against $want, building $srcver" >&2
	prefix=kernel73
else
	kp=$top/kpatches/6.12
	frags=("$here/kernel.config")
	pkg=linux-source-6.12
	tarball=/usr/src/$pkg.tar.xz
	[ -r "$tarball" ] || die "$tarball missing: apt-get install $pkg"
	srcver=$(dpkg-query -W -f='${Version}' $pkg)
	prefix=kernel
fi

patches=()
if [ $flavor = patched ]; then
	mapfile -t patches < <(find "$kp" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' \
		! -name '0000-*' | sort)
	[ ${#patches[@]} -gt 0 ] || die "no patches in $kp"
fi
#<fixture>
if [ -n "$fixture" ]; then
	[ "$version" = 7.3 ] && [ $flavor = patched ] && [ "$fixture" != - ] &&
		[[ $fixture =~ ^[a-z0-9]+$ ]] || die "usage: vm/build-kernel.sh --fixture NAME 7.3"
	mapfile -t patches < <(find "$here/patches" -maxdepth 1 -name "fixture-7.3-*-$fixture.patch")
	[ ${#patches[@]} -eq 1 ] || die "no one vm/patches/fixture-7.3-*-$fixture.patch"
	flavor=$fixture
else
	exec {stripped}< <(sed '/^#<fixture>$/,/^#<\/fixture>$/d' "$self")
	self=/dev/fd/$stripped
fi
#</fixture>

key=$( { echo "$pkg $srcver"; cat "${frags[@]}" "$self";
	 [ ${#patches[@]} -eq 0 ] || cat "${patches[@]}"; } |
	sha256sum | cut -c1-16)
out=$cache/$prefix-$flavor-$key
if [ -s "$out/bzImage" ]; then
	echo "$out"
	exit 0
fi

# One build per cache key at a time (vm/cache-lock.sh): a second one
# (another shell, a test beside make check) waits, then takes the first
# one's result from the cache. Each key builds in its own tree, so builds
# of two keys (two worktrees' series) never share one.
. "$here/cache-lock.sh"
cache_lock "$out.lock" "build-kernel $version $flavor"
if [ -s "$out/bzImage" ]; then
	echo "$out"
	exit 0
fi

build=$cache/build-$prefix-$flavor-$key
src=$build/$pkg
rm -rf "$build" "$out.tmp"
mkdir -p "$src" "$out.tmp"
# DEVMEMSCOPE_TEST_STUB_BUILD=CMD (tests/host-locks.sh only): CMD DIR
# stands in for the unpack and the build and must leave DIR/bzImage.
if [ -n "${DEVMEMSCOPE_TEST_STUB_BUILD:-}" ]; then
	echo "build-kernel $version: $flavor key $key: building (stub)" >&2
	$DEVMEMSCOPE_TEST_STUB_BUILD "$build"
	cp "$build/bzImage" "$out.tmp/" || die "the stub build left no bzImage"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	rm -rf "$build"
	echo "$out"
	exit 0
fi
echo "build-kernel $version: $flavor $srcver key $key: unpacking" >&2
if [ "$version" = 7.3 ]; then
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
		tar -C "$src" -xJ --strip-components=1 || die "cannot unpack $deb"
else
	tar -C "$src" -xJf "$tarball" --strip-components=1 || die "cannot unpack $tarball"
fi
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

echo "build-kernel $version: nice make -j$(nproc) bzImage (log: $build/make.log)" >&2
if ! nice -n 10 make -j"$(nproc)" bzImage >"$build/make.log" 2>&1; then
	tail -40 "$build/make.log" >&2
	die "kernel build failed"
fi

cp arch/x86/boot/bzImage vmlinux System.map .config "$out.tmp/"
rm -rf "$out"
mv "$out.tmp" "$out"
cd /
rm -rf "$build"
echo "$out"
