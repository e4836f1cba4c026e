#!/usr/bin/env bash
# vm/build-hmm-tests-7.3.sh OUT: the upstream hmm-tests selftest from the same
# linux-source-7.3 (trixie-backports, kpatches/BASE) as the 7.3 guest
# kernel, linked statically for the VM. vm/build-hmm-tests.sh is the 6.12 one.
#
# 7.3's selftest also needs vm_util.c and hugepage_settings.c, and UAPI newer
# than the host's (PAGEMAP_SCAN, PROCMAP_QUERY): the tree's headers are
# installed once with `make headers_install` and cached with the sources.
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
die() { echo "build-hmm-tests-7.3: $*" >&2; exit 1; }
base=$(cat "$top/kpatches/BASE")
pkg=${base%% *}
want=${base#* }
deb=$("$here/fetch-debian.sh" trixie-backports "$pkg=$want" 2>/dev/null) ||
	deb=$("$here/fetch-debian.sh" trixie-backports "$pkg") ||
	die "cannot fetch $pkg"
srcver=$(dpkg-deb -f "$deb" Version)
dir=$cache/selftests73-$srcver
src=$dir/$pkg
mm=$src/tools/testing/selftests/mm
# One unpack per source version at a time (vm/cache-lock.sh).
if [ ! -f "$dir/.done" ]; then
	. "$here/cache-lock.sh"
	cache_lock "$dir.lock" "build-hmm-tests-7.3"
fi
if [ ! -f "$dir/.done" ]; then
	rm -rf "$dir"
	tmp=$dir.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
		tar -C "$tmp" -xJ || die "cannot unpack $deb"
	nice -n 10 make -s -C "$tmp/$pkg" headers_install \
		INSTALL_HDR_PATH="$tmp/usr" >&2 || die "headers_install failed"
	mkdir -p "$dir"
	mv "$tmp/usr" "$dir/usr"
	(cd "$tmp" && tar -cf - \
		$pkg/tools/testing/selftests/kselftest.h \
		$pkg/tools/testing/selftests/kselftest_harness.h \
		$pkg/tools/testing/selftests/mm \
		$pkg/lib/test_hmm_uapi.h \
		$pkg/mm/gup_test.h) | tar -C "$dir" -xf -
	rm -rf "$tmp"
	touch "$dir/.done"
fi
${CC:-cc} -O2 -static -isystem "$dir/usr/include" \
	-I "$src/tools/testing/selftests" -I "$mm" -I "$src" \
	-o "$out" "$mm/hmm-tests.c" "$mm/vm_util.c" "$mm/hugepage_settings.c" \
	-lpthread -lrt -lm
