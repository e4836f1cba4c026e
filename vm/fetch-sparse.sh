#!/usr/bin/env bash
# A sparse that can check Linux 7.3, for a machine whose own cannot.
#
#   vm/fetch-sparse.sh    prints the path of an executable that runs it
#
# Linux 7.3 uses __typeof_unqual__, which Debian's sparse 0.6.4 (bookworm,
# trixie) does not parse, so the kernel's scripts/checker-valid.sh turns it
# away and C=1/C=2 check nothing. sid's sparse parses it, but needs a newer
# glibc than bookworm's: both debs come from sid (vm/fetch-debian.sh, the
# machine's apt sources untouched), are unpacked into the cache and run by
# a wrapper through sid's own dynamic loader, so nothing is installed.
# Usage: make C=2 CHECK=$(vm/fetch-sparse.sh) ...
#
# The versions are pinned (SPARSE_DEB, LIBC_DEB below) so that a run checks
# with the same sparse as the last; once sid no longer has one of them, the
# suite's current version is taken, with a note on stderr. The unpacked
# tree is keyed by both versions, filled under its lock (vm/cache-lock.sh)
# and appears whole, by rename; a hit costs neither apt nor dpkg-deb.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
suite=sid
SPARSE_DEB=0.6.5~rc1-2
LIBC_DEB=2.43-7
die() { echo "fetch-sparse: $*" >&2; exit 1; }

case $(dpkg --print-architecture) in
amd64) ;;
*) die "only amd64 is supported (the wrapper runs sid's x86-64 loader)" ;;
esac

# deb PKG VERSION: the pinned version, or else the suite's current one.
deb() {
	local d err
	if d=$("$here/fetch-debian.sh" "$suite" "$1=$2" 2>/dev/null); then
		echo "$d"
		return
	fi
	echo "fetch-sparse: note: $1 $2 is no longer in $suite, taking its current version" >&2
	err=$(mktemp)
	if ! d=$(FETCH_DEBIAN_REFRESH=1 "$here/fetch-debian.sh" "$suite" "$1" 2>"$err"); then
		cat "$err" >&2
		rm -f "$err"
		die "cannot fetch $1 from $suite: neither $1=$2 (pinned in $0) nor its current version"
	fi
	rm -f "$err"
	echo "$d"
}
sdeb=$(deb sparse "$SPARSE_DEB")
ldeb=$(deb libc6 "$LIBC_DEB")
sver=$(dpkg-deb -f "$sdeb" Version)
lver=$(dpkg-deb -f "$ldeb" Version)
[ "$sver" = "$SPARSE_DEB" ] || echo "fetch-sparse: note: sparse $sver, not the pinned $SPARSE_DEB" >&2
[ "$lver" = "$LIBC_DEB" ] || echo "fetch-sparse: note: libc6 $lver, not the pinned $LIBC_DEB" >&2

key=$(printf 'sparse-%s-libc6-%s' "$sver" "$lver" | tr ':~' '_-')
out=$cache/$key
if [ ! -x "$out/sparse" ]; then
	. "$here/cache-lock.sh"
	cache_lock "$out.lock" "fetch-sparse"
fi
if [ ! -x "$out/sparse" ]; then
	tmp=$(mktemp -d "$cache/.fetch-sparse.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	dpkg-deb -x "$sdeb" "$tmp/root" || die "cannot unpack $sdeb"
	dpkg-deb -x "$ldeb" "$tmp/root" || die "cannot unpack $ldeb"
	lib=usr/lib/x86_64-linux-gnu
	[ -x "$tmp/root/$lib/ld-linux-x86-64.so.2" ] || die "no $lib/ld-linux-x86-64.so.2 in $ldeb"
	[ -x "$tmp/root/usr/bin/sparse" ] || die "no usr/bin/sparse in $sdeb"
	# Relative to the wrapper, so that the rename below keeps it working.
	cat >"$tmp/sparse" <<-EOF
	#!/bin/sh
	# sparse $sver from Debian $suite, run by $suite's glibc $lver
	# (vm/fetch-sparse.sh), without installing either.
	d=\$(dirname "\$(readlink -f "\$0")")/root
	exec "\$d/$lib/ld-linux-x86-64.so.2" --library-path "\$d/$lib" \\
		--argv0 sparse "\$d/usr/bin/sparse" "\$@"
	EOF
	chmod +x "$tmp/sparse"
	# It runs, and parses what Linux 7.3's scripts/checker-valid.sh asks.
	printf '%s\n' 'static inline int u(const int *q)' '{' \
		'	__typeof_unqual__(*q) v = *q;' '	return v;' '}' >"$tmp/t.c"
	if ! msg=$("$tmp/sparse" -D__linux__ "$tmp/t.c" 2>&1) || [ -n "$msg" ]; then
		die "sparse $sver with libc6 $lver does not work here: ${msg:-exit status}"
	fi
	rm -f "$tmp/t.c"
	chmod 755 "$tmp"
	rm -rf "$out"
	mv "$tmp" "$out"
	trap - EXIT
fi
echo "$out/sparse"
