#!/usr/bin/env bash
# vm/build-zone-device-trace-7.3.sh OUT: the series' own selftest,
# tools/testing/selftests/mm/zone_device_trace.c from the last patch of
# kpatches/, built as vm/build-hmm-tests-7.3.sh builds hmm-tests (same
# cached 7.3 selftest sources and UAPI headers), linked statically for the
# VM. It passes on the patched kernel and skips (exit 4) on a vanilla one.
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
die() { echo "build-zone-device-trace-7.3: $*" >&2; exit 1; }
base=$(cat "$top/kpatches/BASE")
pkg=${base%% *}
want=${base#* }
patch=$(grep -l '^+++ b/tools/testing/selftests/mm/zone_device_trace.c' "$top"/kpatches/[0-9]*.patch) ||
	die "no patch adds zone_device_trace.c"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The cached sources and headers come with hmm-tests.
dir=$(ls -d "$cache"/selftests73-* 2>/dev/null | head -1)
if [ ! -f "$dir/.done" ]; then
	"$here/build-hmm-tests-7.3.sh" "$tmp/hmm-tests" >/dev/null
	dir=$(ls -d "$cache"/selftests73-* | head -1)
fi
src=$dir/$pkg
[ -f "$dir/.done" ] || die "no 7.3 selftest sources in $cache"
mkdir -p "$tmp/mm"
# Only the new file: the patch's Makefile and test_hmm.sh hunks are not needed here.
awk '/^\+\+\+ b\/tools\/testing\/selftests\/mm\/zone_device_trace.c/ { on = 1; next }
     on && /^diff --git / { exit }
     on && /^@@/ { next }
     on && /^\+/ { print substr($0, 2) }
     on && /^-- $/ { exit }' "$patch" >"$tmp/mm/zone_device_trace.c"
[ -s "$tmp/mm/zone_device_trace.c" ] || die "cannot extract zone_device_trace.c from $patch"
${CC:-cc} -O2 -Wall -static -isystem "$dir/usr/include" \
	-I "$src/tools/testing/selftests" -I "$src" \
	-o "$out" "$tmp/mm/zone_device_trace.c"
