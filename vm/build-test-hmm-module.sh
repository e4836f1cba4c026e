#!/usr/bin/env bash
# vm/build-test-hmm-module.sh: lib/test_hmm.c of Debian's linux-source-7.3,
# built out of tree as a module for Debian's own, unmodified 7.3.4 amd64
# kernel (trixie-backports), which has ZONE_DEVICE, DEVICE_PRIVATE and
# HMM_MIRROR but not TEST_HMM. Cached. Prints the path of test_hmm.ko.
#
# trixie's linux-kbuild binaries (fixdep, modpost, objtool) need glibc 2.38
# and gcc-14, neither of which Debian 12 has. So the build directory is
# assembled from the source package instead: Debian's .config (from
# linux-headers-VER-amd64), synced for the host's gcc (olddefconfig changes
# only toolchain capability symbols: CC_VERSION_TEXT, CC_HAS_*, RUST*,
# PAHOLE_VERSION...), `make modules_prepare` with KERNELRELEASE set to
# Debian's, which builds native host tools and generates the headers, and
# Debian's Module.symvers. Debian's kernel has no MODVERSIONS, so what has
# to match is the vermagic, which is checked here against Debian's own
# modules; the headers generated here are compared with Debian's too.
# The module is not signed (MODULE_SIG without MODULE_SIG_FORCE: it loads
# and taints the kernel).
#
# test_hmm.c gets the test_hmm.c hunks of kpatches/0008 (the leak injector,
# module parameter leak_every), applied to the copy in the module's build
# directory: the shared source tree stays Debian's. The injector is off
# unless the parameter is set, so the module is Debian's test_hmm until
# then; the stock-kernel tests need it to assert a leak's stacks.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DEVMEMSCOPE_CACHE:-$HOME/.cache/devmemscope}
suite=trixie-backports
abi=7.3.4+deb13
flavour=amd64
rel=$abi-$flavour
die() { echo "build-test-hmm-module: $*" >&2; exit 1; }
leak_patch=$(ls "$here"/../kpatches/0008-lib-test_hmm-add-a-leak-injector-*.patch) ||
	die "no leak injector patch (kpatches/0008) to apply"

fetch() { "$here/fetch-debian.sh" "$suite" "$@" || die "cannot fetch $* from $suite"; }
hdeb=$(fetch "linux-headers-$rel")
hver=$(dpkg-deb -f "$hdeb" Version)
sdeb=$(fetch "linux-source-7.3=$hver")
sver=$(dpkg-deb -f "$sdeb" Version)
[ "$sver" = "$hver" ] || die "linux-source-7.3 $sver does not match linux-headers-$rel $hver"

key=$( { echo "$rel $hver $sver"; gcc --version | head -1; cat "$0" "$leak_patch"; } |
	sha256sum | cut -c1-16)
out=$cache/test-hmm-$rel-$key
if [ -s "$out/test_hmm.ko" ]; then
	echo "$out/test_hmm.ko"
	exit 0
fi

# The source: the shared unpacked tree if it is this version (used read
# only: O= builds write nothing into it), else a private unpack.
src=$cache/src/linux-source-7.3
if [ "$(cat "$src/.devmemscope-version" 2>/dev/null)" != "$sver" ] || [ ! -f "$src/lib/test_hmm.c" ]; then
	src=$cache/src73-stock-$sver/linux-source-7.3
	if [ ! -f "$src/.devmemscope-version" ]; then
		echo "build-test-hmm-module: unpacking linux-source-7.3 $sver" >&2
		rm -rf "$src.tmp"
		mkdir -p "$src.tmp"
		dpkg-deb --fsys-tarfile "$sdeb" | tar -xO ./usr/src/linux-source-7.3.tar.xz |
			tar -C "$src.tmp" -xJ --strip-components=1 || die "cannot unpack $sdeb"
		echo "$sver" >"$src.tmp/.devmemscope-version"
		mv "$src.tmp" "$src"
	fi
fi
grep -q '^SUBLEVEL = 4$' "$src/Makefile" || die "$src is not 7.3.4"

work=$(mktemp -d "$cache/build-test-hmm-$rel.XXXXXX")
trap 'rm -rf "$work"' EXIT
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
(cd "$work/mod" && git apply -p2 --include=test_hmm.c "$leak_patch") ||
	die "kpatches/0008 does not apply to lib/test_hmm.c of linux-source-7.3 $sver"
grep -q 'module_param(leak_every' "$work/mod/test_hmm.c" || die "kpatches/0008 left test_hmm.c without leak_every"
echo 'obj-m := test_hmm.o' >"$work/mod/Kbuild"
echo "build-test-hmm-module: make M=... modules" >&2
nice -n 10 make -C "$obj" M="$work/mod" ARCH=x86 KERNELRELEASE="$rel" modules >>"$log" 2>&1 ||
	{ tail -30 "$log" >&2; die "test_hmm build failed"; }

ko=$work/mod/test_hmm.ko
vm=$(modinfo -F vermagic "$ko")
# The vermagic of one of Debian's own modules.
mdeb=$(fetch "linux-modules-$rel=$hver")
dpkg-deb --fsys-tarfile "$mdeb" | tar -xO "./usr/lib/modules/$rel/kernel/lib/test_bpf.ko.xz" |
	xz -dc >"$work/ref.ko" || die "no test_bpf.ko.xz in $mdeb"
want=$(modinfo -F vermagic "$work/ref.ko")
[ "$vm" = "$want" ] || die "vermagic '$vm' is not Debian's '$want'"
modinfo -F parm "$ko" | grep -q '^leak_every:' || die "test_hmm.ko has no leak_every parameter"
echo "build-test-hmm-module: vermagic '$vm' depends '$(modinfo -F depends "$ko")'" >&2

mkdir -p "$out.tmp"
cp "$ko" "$out.tmp/"
cp "$log" "$out.tmp/make.log"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out/test_hmm.ko"
