#!/usr/bin/env bash
# vm/fetch-stock-73.sh: Debian's own, unmodified Linux 7.3.4 amd64 kernel
# (trixie-backports linux-binary-7.3.4+deb13-amd64: BTF, kprobes,
# ZONE_DEVICE, DEVICE_PRIVATE, HMM_MIRROR, no TEST_HMM) and test_hmm.ko
# built for it by vm/build-test-hmm-module.sh. Cached; prints a directory
# (keyed by the package versions) holding
#   bzImage       Debian's vmlinuz
#   config        Debian's /boot config (from linux-headers-VER-amd64)
#   test_hmm.ko   and the modules it needs from linux-modules-VER-amd64,
#   *.ko          decompressed (busybox insmod takes no .ko.xz)
#   modules.order the .ko files in load order, dependencies first
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
suite=trixie-backports
rel=7.3.4+deb13-amd64
die() { echo "fetch-stock-73: $*" >&2; exit 1; }
fetch() { "$here/fetch-debian.sh" "$suite" "$@" || die "cannot fetch $* from $suite"; }

bdeb=$(fetch "linux-binary-$rel")
ver=$(dpkg-deb -f "$bdeb" Version)
hdeb=$(fetch "linux-headers-$rel=$ver")
mdeb=$(fetch "linux-modules-$rel=$ver")
ko=$("$here/build-test-hmm-module.sh") || die "cannot build test_hmm.ko"

key=$( { echo "$rel $ver"; sha256sum "$ko" "$0"; } | sha256sum | cut -c1-16)
out=$cache/stock73-$rel-$ver-$key
if [ -s "$out/bzImage" ] && [ -s "$out/modules.order" ]; then
	echo "$out"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"
dpkg-deb --fsys-tarfile "$bdeb" | tar -xO "./usr/lib/modules/$rel/vmlinuz" >"$tmp/out/bzImage" ||
	die "no vmlinuz in $bdeb"
dpkg-deb --fsys-tarfile "$hdeb" | tar -xO "./usr/src/linux-headers-$rel/.config" >"$tmp/out/config" ||
	die "no .config in $hdeb"
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
			die "module $d (needed by $(basename "$f")) is not in $mdeb"
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
