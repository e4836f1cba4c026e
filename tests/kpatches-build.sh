#!/usr/bin/env bash
# The kpatches/ series (Linux 7.3) builds at every step: pristine
# linux-source-7.3, then each patch in turn, each built with W=1, and the
# C files the series touches checked by sparse (C=2, see below). A W=1 or
# a sparse warning in a file the series touches that the pristine tree
# does not have, line numbers aside, is a failure. Prints the number of
# W=1 and of sparse warnings in those files at every step, and the
# `size vmlinux` of the pristine and the fully patched tree, for the
# cover letter.
#
# One tree, kept under the cache and built incrementally, under a lock: a
# run puts the files the series touched back to pristine, so only what
# depends on them is rebuilt. The config is the 7.3 guest's (tinyconfig +
# vm/kernel.config + vm/kernel-7.3.config: ZONE_DEVICE, DEVICE_PRIVATE,
# DEVICE_MIGRATION, TEST_HMM=y, FTRACE, DEBUG_FS, THP) without debug info,
# which only slows the link. Not in `make check` (a cold run is a full
# kernel build and then some): `make kpatches-check` runs it.
#
# KPATCHES_BUILD=objects builds, at each step, only the objects of the C
# files the series touches (W=1 and sparse all the same) and no vmlinux,
# so no size: minutes instead of a kernel build per header change.
set -uo pipefail
cd "$(dirname "$0")/.." || exit
. tests/lib.sh
top=$PWD
dir=$top/kpatches
suite=trixie-backports
base=$(cat "$dir/BASE")
pkg=${base%% *}
want=${base#* }
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
g=kpatches-build

deb=$(vm/fetch-debian.sh "$suite" "$pkg=$want" 2>/dev/null) ||
	deb=$(vm/fetch-debian.sh "$suite" "$pkg") || { fail "$g fetch $pkg" "see above"; exit 0; }
have=$(dpkg-deb -f "$deb" Version)

mkdir -p "$cache"
exec 9>"$cache/kpatches-build.lock"
flock -n 9 || { echo "$g: another run holds $cache/kpatches-build.lock, waiting" >&2; flock 9; }

work=$cache/kpatches-build
tree=$work/$pkg
pristine=$work/pristine
mapfile -t patches < <(find "$dir" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort)
# A tree of another version, or one a killed run left half patched, starts over.
if [ "$(cat "$tree/.devmemscope-version" 2>/dev/null)" != "$have" ] ||
	[ "$(cat "$pristine/.devmemscope-version" 2>/dev/null)" != "$have" ]; then
	rm -rf "$work"
	mkdir -p "$tree" "$pristine"
	echo "$g: unpacking $pkg $have" >&2
	dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
		tar -C "$tree" -xJ --strip-components=1 || { fail "$g unpack" "tar"; exit 0; }
	# The pristine copies of what any series may touch come from here.
	cp -a "$tree/." "$pristine/" 2>/dev/null
	echo "$have" >"$pristine/.devmemscope-version"
	echo "$have" >"$tree/.devmemscope-version"
fi

# Put back what the last run's series touched (and this one's), keeping the
# mtime of a file already pristine so that make leaves it alone.
touched=$( { cat "$work/touched" 2>/dev/null; sed -n 's|^+++ b/\(.*\)|\1|p' "${patches[@]}"; } | sort -u)
for f in $touched; do
	if [ -f "$pristine/$f" ]; then
		cmp -s "$pristine/$f" "$tree/$f" || cp "$pristine/$f" "$tree/$f"
	else
		rm -f "$tree/$f"
	fi
done
sed -n 's|^+++ b/\(.*\)|\1|p' "${patches[@]}" | sort -u >"$work/touched"
cfiles=$(grep '\.c$' "$work/touched" | while read -r f; do [ -f "$pristine/$f" ] && echo "$f"; done)
objs=$(for f in $cfiles; do echo "${f%.c}.o"; done)

cd "$tree" || exit
if [ ! -f .config ]; then
	make -s tinyconfig >/dev/null 2>&1
	scripts/kconfig/merge_config.sh -m .config "$top/vm/kernel.config" "$top/vm/kernel-7.3.config" >/dev/null
	scripts/config -d DEBUG_INFO_BTF -d DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT -e DEBUG_INFO_NONE
	make -s olddefconfig >/dev/null 2>&1
fi
# The kernel runs sparse only if scripts/checker-valid.sh accepts it (7.3:
# __typeof_unqual__), and otherwise says "sparse is not available" and
# checks nothing. Debian's sparse 0.6.4 (bookworm, trixie) does not parse
# it: then sid's, through vm/fetch-sparse.sh, as CHECK=.
#
# C=2, not C=1: C=1 checks only the files make compiles again, and in a
# full run the W=1 vmlinux build has already compiled them when sparse
# comes; C=2 checks the named objects whether or not they are rebuilt.
# sparse runs in a make of its own after the W=1 one, so that its
# warnings have a log of their own and can be counted apart.
checker=
if [ "$(scripts/checker-valid.sh sparse -D__linux__ 2>/dev/null)" = 1 ]; then
	checker=$(command -v sparse)
elif checker=$("$top/vm/fetch-sparse.sh" 2>"$work/fetch-sparse.log") &&
	[ "$(scripts/checker-valid.sh "$checker" -D__linux__ 2>/dev/null)" = 1 ]; then
	echo "note: the installed sparse ($(sparse --version 2>&1 || echo none))" \
		"cannot check this kernel; sid's, from vm/fetch-sparse.sh" >&2
else
	fail "$g a sparse that can check $pkg" \
		"neither the installed one nor vm/fetch-sparse.sh's: $(tail -3 "$work/fetch-sparse.log")"
	checker=
fi
if [ -n "$checker" ]; then
	sparsever=$("$checker" --version 2>&1)
	pass "$g sparse $sparsever checks $pkg"
fi
for sym in ZONE_DEVICE DEVICE_PRIVATE DEVICE_MIGRATION TEST_HMM FTRACE DEBUG_FS TRANSPARENT_HUGEPAGE; do
	grep -qx "CONFIG_$sym=y" .config || { fail "$g config has CONFIG_$sym=y" "$(grep "$sym" .config)"; exit 0; }
done

# The warnings of one step in the files the series touches, without line
# and column numbers, which move as patches add lines.
warnings() {
	# file:line:col for the compiler, file:line for kernel-doc (W=1)
	# (sparse may name a header through a path with ../ in it)
	grep -E '^[^ :]+:[0-9]+(:[0-9]+)?: (warning|error):' "$1" |
		sed -E 's,^(\./)?([^ :]+):[0-9]+(:[0-9]+)?:,\2:,; :a; s,^([^ :]*/)?([^/ :.]|\.[^/ :.]|\.\.[^/ :])[^/ :]*/\.\./,\1,; ta' |
		while IFS= read -r line; do
			grep -qxF "${line%%:*}" "$work/touched" && echo "$line"
		done | sort
}
full=$([ "${KPATCHES_BUILD:-}" = objects ] && echo false || echo true)
step() {	# NAME: build W=1, then sparse over the touched C files
	local log=$work/$1.log slog=$work/$1.sparse.log
	: >"$log"
	: >"$slog"
	# Every step compiles the touched files again, so that its log holds
	# all of their warnings, not only those of the files this patch changed.
	rm -f $objs
	if { ! $full || nice -n 10 make -j"$(nproc)" W=1 vmlinux >"$log" 2>&1; } &&
		nice -n 10 make -j"$(nproc)" W=1 $objs >>"$log" 2>&1; then
		pass "$g $1 builds with W=1"
	else
		fail "$g $1 builds with W=1" "$(grep -E 'error|Error' "$log" | head -5)"
		return 1
	fi
	# The objects are up to date: this make only runs sparse over them.
	if [ -n "$checker" ]; then
		# make also checks scripts/mod/empty.c on its way.
		local unchecked=$cfiles
		if nice -n 10 make -j"$(nproc)" W=1 C=2 CHECK="$checker" $objs >"$slog" 2>&1 &&
			unchecked=$(for f in $cfiles; do grep -qxF "  CHECK   $f" "$slog" || echo "$f"; done) &&
			[ -z "$unchecked" ]; then
			pass "$g $1 sparse checks the C files the series touches"
		else
			fail "$g $1 sparse checks the C files the series touches" \
				"not checked: $(echo $unchecked); $(tail -3 "$slog")"
			return 1
		fi
	fi
	# No warning at all is a grep without a match: not a failed step.
	warnings "$log" >"$work/$1.warnings" || true
	warnings "$slog" >"$work/$1.sparse" || true
}

step base || exit 0
$full && size vmlinux | tail -1 | awk '{ print $1, $2, $3, $4 }' >"$work/base.size"
wcount="base $(wc -l <"$work/base.warnings")"
scount="base $(wc -l <"$work/base.sparse")"
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	patch -p1 --fuzz=0 --quiet <"$p" || { fail "$g $name applies" "patch failed"; exit 0; }
	step "$name" || exit 0
	new=$(comm -13 "$work/base.warnings" "$work/$name.warnings")
	expect "$g $name: no new W=1 warnings in the files it touches" "$new" ""
	wcount+=", ${name%%-*} $(wc -l <"$work/$name.warnings")"
	[ -n "$checker" ] || continue
	new=$(comm -13 "$work/base.sparse" "$work/$name.sparse")
	expect "$g $name: no new sparse warnings in the files it touches" "$new" ""
	scount+=", ${name%%-*} $(wc -l <"$work/$name.sparse")"
done
echo "W=1 warnings in the touched files: $wcount"
[ -z "$checker" ] || echo "sparse $sparsever warnings in the touched files: $scount"
$full || exit 0
size vmlinux | tail -1 | awk '{ print $1, $2, $3, $4 }' >"$work/series.size"
read -r t0 d0 b0 s0 <"$work/base.size"
read -r t1 d1 b1 s1 <"$work/series.size"
echo "size vmlinux (text data bss dec): base $t0 $d0 $b0 $s0, series $t1 $d1 $b1 $s1," \
	"+$((t1 - t0)) +$((d1 - d0)) +$((b1 - b0)) +$((s1 - s0))"
pass "$g size vmlinux before and after"
