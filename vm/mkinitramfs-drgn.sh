#!/usr/bin/env bash
# vm/mkinitramfs-drgn.sh OUT.cpio.gz IN.cpio.gz VMLINUX CORE_DIR
# A copy of an existing initramfs (vm/mkinitramfs.sh) that can run
# devmemcore in the guest on its /proc/kcore (tests/vm-coredump.sh): the
# machine's /usr/bin/python3.11 with the standard modules devmemcore and
# drgn import, Debian's python3-drgn, the shared libraries of all of them,
# devmemcore from CORE_DIR (build/core: its modules and libdevmemcore.so,
# /bin/devmemcore) and VMLINUX, the guest's kernel with DWARF, as
# /usr/lib/debug/boot/vmlinux-RELEASE. Appended as a second gzip'd cpio
# archive, as vm/mkinitramfs-extra.sh does.
#
# The standard modules are those a devmemcore run has loaded (asked of the
# machine's python3.11 here), so nothing unused (tests, idlelib, tkinter,
# ensurepip, ...) comes along. VMLINUX goes without its ORC sections (drgn
# 0.0.22 cannot read a 6.4+ kernel's ORC and devmemcore would strip them
# with objcopy, which the guest lacks) and without BTF (drgn reads DWARF).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 OUT.cpio.gz IN.cpio.gz VMLINUX CORE_DIR" >&2; exit 2; }
out=$1 in=$2 vmlinux=$3 core=$4
py=/usr/bin/python3.11
for f in "$in" "$vmlinux" "$core/devmemcore.py" "$core/libdevmemcore.so" "$py"; do
	[ -f "$f" ] || { echo "mkinitramfs-drgn: $f: no such file" >&2; exit 1; }
done
"$py" -c 'import drgn' 2>/dev/null ||
	{ echo "mkinitramfs-drgn: $py cannot import drgn: apt-get install python3-drgn" >&2; exit 1; }
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

# Every module file a run imports: devmemcore's own modules, report.py's
# drgn helpers, what an error's traceback needs, and all the encodings.
mapfile -t files < <(cd "$core" && "$py" -I -B -c '
import sys
sys.path.insert(0, ".")
import devmemcore, report, traceback, encodings
import os, glob
paths = {getattr(m, "__file__", None) for m in list(sys.modules.values())}
paths |= set(glob.glob(os.path.dirname(encodings.__file__) + "/*.py"))
for p in sorted(p for p in paths if p and os.path.isabs(p)):
    print(os.path.realpath(p))
')
here=$(cd "$core" && pwd)
n=0
for f in "${files[@]}"; do
	case $f in
	"$here"/*) continue;;		# devmemcore's own: below
	/usr/lib/python3.11/*|/usr/lib/python3/dist-packages/*) ;;
	*) continue;;			# site-local or sitecustomize hooks: not needed
	esac
	mkdir -p "$stage$(dirname "$f")"
	cp "$f" "$stage$f"
	n=$((n + 1))
done
# drgn whole (its helpers import each other lazily), and the prefix's landmarks
cp -r /usr/lib/python3/dist-packages/drgn "$stage/usr/lib/python3/dist-packages/"
find "$stage" -name __pycache__ -prune -exec rm -rf {} +
mkdir -p "$stage/usr/bin" "$stage/usr/lib/python3.11/lib-dynload" "$stage/usr/lib/devmemscope" \
	"$stage/bin" "$stage/usr/lib/debug/boot"
cp "$py" "$stage/usr/bin/python3.11"
ln -s python3.11 "$stage/usr/bin/python3"
cp "$core"/*.py "$core/libdevmemcore.so" "$stage/usr/lib/devmemscope/"
ln -s /usr/lib/devmemscope/devmemcore.py "$stage/bin/devmemcore"
# The shared libraries of the interpreter, its extension modules, drgn's
# and devmemcore's own, with the loader.
find "$stage" -type f \( -name '*.so' -o -name '*.so.*' -o -path '*/bin/*' \) | while read -r elf; do
	file -L "$elf" | grep -q 'dynamically linked' || continue
	ldd "$elf" | grep -o '/[^ ]*' || true
done | sort -u | while read -r lib; do
	mkdir -p "$stage$(dirname "$lib")"
	cp -L "$lib" "$stage$lib"
done
release=$(LC_ALL=C grep -a -o 'Linux version [0-9][^ ]* (' "$vmlinux" | sed -n '1s/^Linux version \(.*\) (/\1/p')
[ -n "$release" ] || { echo "mkinitramfs-drgn: $vmlinux has no Linux version banner" >&2; exit 1; }
objcopy -R .orc_unwind -R .orc_unwind_ip -R .rela.orc_unwind_ip -R .BTF -R .BTF_ids \
	"$vmlinux" "$stage/usr/lib/debug/boot/vmlinux-$release"
echo "mkinitramfs-drgn: $n standard modules, vmlinux-$release $(du -m "$stage/usr/lib/debug/boot/vmlinux-$release" | cut -f1) MB, $(du -sm "$stage" | cut -f1) MB in all" >&2
cp "$in" "$out.tmp"
(cd "$stage" && find . -mindepth 1 | cpio -o -H newc --quiet) | gzip -1 >>"$out.tmp"
mv "$out.tmp" "$out"
