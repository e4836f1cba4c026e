#!/usr/bin/env bash
# vm/fetch-stock-dbg.sh 7.3: the vmlinux with DWARF of Debian's stock 7.3.4
# (vm/stock-kernels.sh), from its linux-image-RELEASE-dbg package; prints
# the folder that holds it. A 1.19 GB download (7.8 GB unpacked, of which
# only the 431 MB vmlinux is kept), so only tests that ask for it
# (DEVMEMCORE_STOCK=1 tests/vm-coredump.sh) fetch it. Cached by package.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
[ $# -eq 1 ] || { echo "usage: vm/fetch-stock-dbg.sh 7.3" >&2; exit 2; }
. "$here/stock-kernels.sh"
. "$here/cache-lock.sh"
stock_kernel "$1" || exit $?
pkg=linux-image-$rel-dbg
out=$cache/stock-dbg-$rel-$ver
[ -s "$out/vmlinux" ] && { echo "$out"; exit 0; }
cache_lock "$out.lock" "fetch-stock-dbg $1"
[ -s "$out/vmlinux" ] && { echo "$out"; exit 0; }
deb=$("$here/fetch-debian.sh" "$suite" "$pkg=$ver") || { echo "fetch-stock-dbg: cannot fetch $pkg" >&2; exit 1; }
tmp=$(mktemp -d "$cache/.fetch-stock-dbg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# The whole xz stream is read for one file: about 2.5 minutes on 2 cores.
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "./usr/lib/debug/lib/modules/$rel/vmlinux"
mkdir -p "$out"
mv "$tmp/usr/lib/debug/lib/modules/$rel/vmlinux" "$out/vmlinux"
rm -f "$deb"	# 1.19 GB the cache does not need once the vmlinux is out
echo "$out"
