#!/usr/bin/env bash
# vm/mkinitramfs.sh OUT.cpio.gz BINARY...
# A busybox initramfs with the guest init, the scenarios and the given
# statically linked binaries in /bin.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
shift
busybox=/bin/busybox
file -L "$busybox" | grep -q 'statically linked' ||
	{ echo "mkinitramfs: $busybox is not static: apt-get install busybox-static" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,scenarios}
cp "$busybox" "$stage/bin/busybox"
cp "$here/guest/init" "$stage/init"
cp "$here"/guest/scenarios/* "$stage/scenarios/"
for b in "$@"; do
	file -L "$b" | grep -q 'statically linked' ||
		{ echo "mkinitramfs: $b is not statically linked" >&2; exit 1; }
	cp "$b" "$stage/bin/"
done
# Terminal descriptions for devmemtop's full-screen mode (static ncurses).
for ti in x/xterm v/vt100; do
	if [ -f /lib/terminfo/$ti ]; then
		mkdir -p "$stage/lib/terminfo/${ti%/*}"
		cp /lib/terminfo/$ti "$stage/lib/terminfo/$ti"
	fi
done
# Debian's bpftool and trace-cmd are dynamic: bring them with their loader
# and libraries. Tests check with the real bpftool that nothing stays
# attached; the bench compares trace-cmd's report with devmemreport.
for tool in bpftool trace-cmd; do
	path=$(command -v $tool) || continue
	cp "$path" "$stage/bin/$tool"
	ldd "$path" | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done
done
mknod "$stage/dev/console" c 5 1
mknod "$stage/dev/null" c 1 3
(cd "$stage" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
