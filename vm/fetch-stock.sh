#!/usr/bin/env bash
# vm/fetch-stock.sh VERSION: Debian's own, unmodified amd64 kernel VERSION
# (7.3, 6.12 or 6.1: the table in vm/stock-kernels.sh) and test_hmm.ko
# built for it by vm/build-test-hmm-module.sh. Cached, one assembly per
# cache key at a time (vm/cache-lock.sh); prints a directory (keyed by the
# package versions) holding
#   bzImage       Debian's vmlinuz
#   config        Debian's /boot config (from linux-headers-REL)
#   test_hmm.ko   and the modules it needs from Debian's modules package,
#   *.ko          decompressed (busybox insmod takes no .ko.xz)
#   modules.order the .ko files in load order, dependencies first
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
[ $# -eq 1 ] || { echo "usage: vm/fetch-stock.sh 7.3|6.12|6.1" >&2; exit 2; }
die() { echo "fetch-stock $1: ${*:2}" >&2; exit 1; }
. "$here/stock-kernels.sh"
. "$here/cache-lock.sh"
version=$1
stock_kernel "$version" || exit $?
fetch() { "$here/fetch-debian.sh" "$suite" "$@" || die "$version" "cannot fetch $* from $suite"; }

# Everything this kernel needs in one apt run (one package list update),
# the module builder's source included; the fetches after it are cache hits.
pkgs=("$image=$ver" "linux-headers-$rel=$ver" "$srcpkg=$ver")
[ "$modules" = "$image" ] || pkgs+=("$modules=$ver")
fetch "${pkgs[@]}" >/dev/null
bdeb=$(fetch "$image=$ver")
hdeb=$(fetch "linux-headers-$rel=$ver")
mdeb=$(fetch "$modules=$ver")
ko=$("$here/build-test-hmm-module.sh" "$version") || die "$version" "cannot build test_hmm.ko"

key=$( { echo "$suite $rel $ver $image $modules"; sha256sum "$ko" "$0"; } | sha256sum | cut -c1-16)
out=$cache/stock-$rel-$ver-$key
[ -s "$out/bzImage" ] && [ -s "$out/modules.order" ] && { echo "$out"; exit 0; }
cache_lock "$out.lock" "fetch-stock $version"
[ -s "$out/bzImage" ] && [ -s "$out/modules.order" ] && { echo "$out"; exit 0; }

tmp=$(mktemp -d "$cache/.fetch-stock.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"
# The image's own path: /boot (6.x) or /usr/lib/modules/REL (7.3).
vmlinuz=$(dpkg-deb -c "$bdeb" | awk '{ print $NF }' |
	grep -Fx -e "./boot/vmlinuz-$rel" -e "./usr/lib/modules/$rel/vmlinuz" | head -1)
[ -n "$vmlinuz" ] || die "$version" "no vmlinuz in $bdeb"
dpkg-deb --fsys-tarfile "$bdeb" | tar -xO "$vmlinuz" >"$tmp/out/bzImage"
dpkg-deb --fsys-tarfile "$hdeb" | tar -xO "./usr/src/linux-headers-$rel/.config" >"$tmp/out/config" ||
	die "$version" "no .config in $hdeb"
cp "$ko" "$tmp/out/test_hmm.ko"

# Dependencies: modinfo's depends (modpost wrote it from Module.symvers),
# followed through Debian's modules, deepest first.
dpkg-deb -c "$mdeb" | awk '{ print $NF }' | grep '\.ko\(\.xz\|\.zst\)\?$' >"$tmp/list"
order=()
declare -A seen=()
visit() {	# visit FILE.ko: its dependencies first, then itself
	local f=$1 d dep path
	for d in $(modinfo -F depends "$f" | tr , ' '); do
		[ -n "${seen[$d]:-}" ] && continue
		seen[$d]=1
		path=$(grep -E "/(${d}|${d//_/-})\.ko(\.xz|\.zst)?$" "$tmp/list" | head -1) ||
			die "$version" "module $d (needed by $(basename "$f")) is not in $mdeb"
		dep=$tmp/out/$d.ko
		case $path in
		*.xz) dpkg-deb --fsys-tarfile "$mdeb" | tar -xO "$path" | xz -dc >"$dep" ;;
		*.zst) dpkg-deb --fsys-tarfile "$mdeb" | tar -xO "$path" | zstd -dcq >"$dep" ;;
		*) dpkg-deb --fsys-tarfile "$mdeb" | tar -xO "$path" >"$dep" ;;
		esac
		visit "$dep"
	done
	order+=("$(basename "$f")")
}
seen[test_hmm]=1
visit "$tmp/out/test_hmm.ko"
printf '%s\n' "${order[@]}" >"$tmp/out/modules.order"

rm -rf "$out"
mv "$tmp/out" "$out"
echo "$out"
