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
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download "$pkg" >/dev/null)
	dpkg-deb -x "$tmp"/*.deb "$tmp/x"
	mkdir -p "$out"
	cp "$tmp"/x/boot/vmlinuz-* "$out/bzImage"
	cp "$tmp"/x/boot/config-* "$out/config"
	rm -rf "$tmp"
fi
echo "$out"
