#!/usr/bin/env bash
# vm/build-hmm-tests.sh OUT: the upstream hmm-tests selftest from the same
# linux-source-6.12 tree as the guest kernel, linked statically for the VM.
set -euo pipefail
out=$1
tarball=/usr/src/linux-source-6.12.tar.xz
cache=${DEVMEMSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devmemscope}
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
dir=$cache/selftests-$srcver
src=$dir/linux-source-6.12
# One unpack per source version at a time (vm/cache-lock.sh); the files
# appear together, by rename, so a reader never sees half of them.
if [ ! -f "$src/tools/testing/selftests/mm/hmm-tests.c" ]; then
	. "$(dirname "$0")/cache-lock.sh"
	cache_lock "$dir.lock" "build-hmm-tests"
fi
if [ ! -f "$src/tools/testing/selftests/mm/hmm-tests.c" ]; then
	rm -rf "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -C "$dir.tmp" -xf "$tarball" \
		linux-source-6.12/tools/testing/selftests/kselftest.h \
		linux-source-6.12/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.12/tools/testing/selftests/mm/hmm-tests.c \
		linux-source-6.12/lib/test_hmm_uapi.h \
		linux-source-6.12/mm/gup_test.h
	rm -rf "$dir"
	mv "$dir.tmp" "$dir"
fi
${CC:-cc} -O2 -static -I "$src/tools/testing/selftests" -I "$src" \
	-o "$out" "$src/tools/testing/selftests/mm/hmm-tests.c" -lpthread -lrt -lm
