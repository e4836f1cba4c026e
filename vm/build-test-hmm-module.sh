#!/usr/bin/env bash
# vm/build-test-hmm-module.sh VERSION: lib/test_hmm.c of Debian's
# linux-source-X, built out of tree as a module for Debian's own,
# unmodified amd64 kernel VERSION (7.3, 6.12 or 6.1: vm/stock-kernels.sh),
# which has ZONE_DEVICE and HMM_MIRROR but not TEST_HMM. Cached, one build
# per cache key at a time (vm/cache-lock.sh). Prints the path of test_hmm.ko.
#
# A suite's linux-kbuild binaries (fixdep, modpost, objtool) may need a
# newer glibc and gcc than Debian 12 has (trixie's need glibc 2.38 and
# gcc-14). So the build directory is assembled from the source package
# instead, the same way for every version: Debian's .config (from
# linux-headers-REL), synced for the host's gcc (olddefconfig changes only
# toolchain capability symbols: CC_VERSION_TEXT, CC_HAS_*, RUST*,
# PAHOLE_VERSION...), `make modules_prepare` with KERNELRELEASE set to
# Debian's, which builds native host tools and generates the headers, and
# Debian's Module.symvers, whose CRCs the module then carries where the
# kernel has MODVERSIONS (6.1, 6.12). The vermagic is checked against one
# of Debian's own modules, and the generated headers against Debian's.
# The module is not signed (MODULE_SIG without MODULE_SIG_FORCE: it loads
# and taints the kernel).
#
# test_hmm.c gets the version's patches (vm/stock-kernels.sh), applied to
# the copy in the module's build directory: the unpacked source stays
# Debian's. On 7.3 that is the leak injector of kpatches/0008 (module
# parameter leak_every, off unless set); on 6.1 and 6.12 it is what lets
# test_hmm load without DEVICE_PRIVATE (vm/patches/).
#
# DEVMEMSCOPE_TEST_STUB_BUILD=CMD (tests/host-locks.sh only): after the
# lock, CMD DIR stands in for the unpack and the build and must leave
# DIR/test_hmm.ko; nothing is fetched.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
die() { echo "build-test-hmm-module: $*" >&2; exit 1; }
[ $# -eq 1 ] || { echo "usage: vm/build-test-hmm-module.sh 7.3|6.12|6.1" >&2; exit 2; }
. "$here/stock-kernels.sh"
. "$here/cache-lock.sh"
stock_kernel "$1" || exit $?
stub=${DEVMEMSCOPE_TEST_STUB_BUILD:-}

fetch() { "$here/fetch-debian.sh" "$suite" "$@" || die "cannot fetch $* from $suite"; }
if [ -z "$stub" ]; then
	hdeb=$(fetch "linux-headers-$rel=$ver")
	sdeb=$(fetch "$srcpkg=$ver")
fi

# The key: this kernel's line of the table (not the others'), the compiler,
# this script and the patches.
key=$( { echo "$suite $rel $ver $image $modules $srcpkg"; gcc --version | head -1; cat "$0" "${patches[@]}"; } |
	sha256sum | cut -c1-16)
out=$cache/test-hmm-$rel-$key
[ -s "$out/test_hmm.ko" ] && { echo "$out/test_hmm.ko"; exit 0; }
cache_lock "$out.lock" "build-test-hmm-module $1"
[ -s "$out/test_hmm.ko" ] && { echo "$out/test_hmm.ko"; exit 0; }

work=$(mktemp -d "$cache/build-test-hmm-$rel.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ -n "$stub" ]; then
	echo "build-test-hmm-module: $rel: building (stub)" >&2
	$stub "$work"
	[ -s "$work/test_hmm.ko" ] || die "the stub build left no test_hmm.ko"
	mkdir -p "$out.tmp"
	cp "$work/test_hmm.ko" "$out.tmp/"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	echo "$out/test_hmm.ko"
	exit 0
fi

# The source, used read only (O= builds write nothing into it): the tree
# tests/kpatches.sh keeps if it is this version, else one unpacked once per
# version, under its own lock, as module builds of two keys may want it.
src=$cache/src/$srcpkg
[ "$(cat "$src/.devmemscope-version" 2>/dev/null)" = "$ver" ] || src=$cache/src-$srcpkg-$ver/$srcpkg
if [ ! -f "$src/.devmemscope-version" ]; then
	cache_lock "$src.lock" "build-test-hmm-module $1"
	if [ ! -f "$src/.devmemscope-version" ]; then
		echo "build-test-hmm-module: unpacking $srcpkg $ver" >&2
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		dpkg-deb --fsys-tarfile "$sdeb" | tar -xO "./usr/src/$srcpkg.tar.xz" |
			tar -C "$src.tmp" -xJ --strip-components=1 || die "cannot unpack $sdeb"
		echo "$ver" >"$src.tmp/.devmemscope-version"
		mv "$src.tmp" "$src"
	fi
fi
# The upstream release the package says, e.g. 6.1.176 of 6.1.176-1.
upstream=${ver%%-*}
IFS=. read -r v p s <<<"$upstream"
[ "$(make -s -C "$src" kernelversion 2>/dev/null)" = "$v.$p.${s:-0}" ] ||
	die "$src is not Linux $upstream"

mkdir -p "$work/deb" "$work/obj" "$work/mod"
dpkg-deb -x "$hdeb" "$work/deb"
deb=$work/deb/usr/src/linux-headers-$rel
[ -f "$deb/.config" ] && [ -f "$deb/Module.symvers" ] || die "no .config/Module.symvers in $hdeb"

obj=$work/obj
cp "$deb/.config" "$obj/.config"
mk=(make -C "$src" O="$obj" ARCH=x86 KERNELRELEASE="$rel")
log=$work/make.log
echo "build-test-hmm-module: modules_prepare for $rel (log: $log)" >&2
{ nice -n 10 "${mk[@]}" olddefconfig &&
  nice -n 10 "${mk[@]}" -j"$(nproc)" modules_prepare; } >"$log" 2>&1 ||
	{ tail -30 "$log" >&2; die "modules_prepare failed"; }
# Only toolchain capability symbols may differ from Debian's .config.
other=$(diff <(grep '^CONFIG_' "$deb/.config") <(grep '^CONFIG_' "$obj/.config") | grep '^[<>]' |
	grep -vE '^[<>] CONFIG_(CC_|GCC_|AS_|LD_|RUST|BINDGEN|PAHOLE|TOOLS_SUPPORT|OPENSSL_SUPPORTS|DRM_PANIC_SCREEN_QR|AMCC_QT2025_PHY|AX88796B_RUST_PHY|GCC_ASM_GOTO_OUTPUT_BROKEN)' || true)
[ -z "$other" ] || die "syncing Debian's config for $(gcc --version | head -1) changed more than toolchain symbols: $other"
for h in include/generated/asm-offsets.h include/generated/bounds.h include/generated/utsrelease.h; do
	cmp -s "$deb/$h" "$obj/$h" || die "$h differs from Debian's"
done
cp "$deb/Module.symvers" "$obj/Module.symvers"

cp "$src/lib/test_hmm.c" "$src/lib/test_hmm_uapi.h" "$work/mod/"
for p in "${patches[@]}"; do
	(cd "$work/mod" && git apply -p2 --include=test_hmm.c "$p") ||
		die "$(basename "$p") does not apply to lib/test_hmm.c of $srcpkg $ver"
done
echo 'obj-m := test_hmm.o' >"$work/mod/Kbuild"
echo "build-test-hmm-module: make M=... modules" >&2
nice -n 10 make -C "$obj" M="$work/mod" ARCH=x86 KERNELRELEASE="$rel" modules >>"$log" 2>&1 ||
	{ tail -30 "$log" >&2; die "test_hmm build failed"; }

ko=$work/mod/test_hmm.ko
vm=$(modinfo -F vermagic "$ko")
# The vermagic of one of Debian's own modules, compressed or not.
mdeb=$(fetch "$modules=$ver")
ref=$(dpkg-deb -c "$mdeb" | awk '{ print $NF }' | grep "/modules/$rel/kernel/lib/test_bpf\.ko" | head -1)
[ -n "$ref" ] || die "no test_bpf.ko in $mdeb"
case $ref in
*.xz) dpkg-deb --fsys-tarfile "$mdeb" | tar -xO "$ref" | xz -dc ;;
*.zst) dpkg-deb --fsys-tarfile "$mdeb" | tar -xO "$ref" | zstd -dcq ;;
*) dpkg-deb --fsys-tarfile "$mdeb" | tar -xO "$ref" ;;
esac >"$work/ref.ko" || die "cannot read $ref from $mdeb"
want=$(modinfo -F vermagic "$work/ref.ko")
[ "$vm" = "$want" ] || die "vermagic '$vm' is not Debian's '$want'"
for p in "${patches[@]}"; do
	case $p in
	*leak-injector*) modinfo -F parm "$ko" | grep -q '^leak_every:' ||
		die "test_hmm.ko has no leak_every parameter";;
	esac
done
echo "build-test-hmm-module: vermagic '$vm' depends '$(modinfo -F depends "$ko")'" >&2

mkdir -p "$out.tmp"
cp "$ko" "$out.tmp/"
cp "$log" "$out.tmp/make.log"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/test_hmm.ko"
