#!/usr/bin/env bash
# vm/fetch-stock-kernel.sh: Debian 12's stock cloud kernel (Linux 6.1, BTF,
# no devmem tracepoints, no device private memory), from the archive,
# cached. Prints the directory holding its bzImage.
set -euo pipefail
cache=${DEVMEMSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devmemscope}
pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-6/ { print $2; exit }')
[ -n "$pkg" ] || { echo "fetch-stock-kernel: no linux-image-cloud-amd64 in apt's lists" >&2; exit 1; }
out=$cache/stock-$pkg
if [ ! -s "$out/bzImage" ]; then
	# One download per package at a time (vm/cache-lock.sh); a waiter
	# finds the holder's result. The directory appears whole, by rename.
	. "$(dirname "$0")/cache-lock.sh"
	cache_lock "$out.lock" "fetch-stock-kernel"
fi
if [ ! -s "$out/bzImage" ]; then
	tmp=$(mktemp -d "$cache/.fetch-stock-kernel.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download "$pkg" >/dev/null)
	dpkg-deb -x "$tmp"/*.deb "$tmp/x"
	mkdir -p "$tmp/out"
	cp "$tmp"/x/boot/vmlinuz-* "$tmp/out/bzImage"
	cp "$tmp"/x/boot/config-* "$tmp/out/config"
	rm -rf "$out"
	mv "$tmp/out" "$out"
fi
echo "$out"
