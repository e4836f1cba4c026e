#!/usr/bin/env bash
# tests/vm-stock.sh VERSION: one of Debian's own, unmodified amd64 kernels
# (vm/stock-kernels.sh) with two vCPUs, test_hmm built out of tree for it
# from the same source package (vm/fetch-stock.sh) and loaded with insmod:
# every workload the kernel supports under devmemtop and devmemleak in
# fentry and kprobe modes, and all of them recorded by devmemrec: every
# count in pages, exact. On 7.3, then test_hmm's leak injector in each
# mode: the leaked pages' whole allocation stack, as devmemleak and
# devmemreport --folded print it. The groups vm-stock-73, vm-stock-612
# and vm-stock-61 are this script with their version.
#
# What each kernel supports, and so runs: 7.3 has DEVICE_PRIVATE and large
# device folios (6.19), so private and coherent memory, THP of each. 6.12
# and 6.1 have no DEVICE_PRIVATE (test_hmm has its coherent devices only,
# vm/patches/) and no large device folios, so device coherent memory in
# base pages: coherent (pages freed by munmap while on the device) and
# thp-coherent (THPs split on the way there, 1024 base pages, then moved
# back: the only run that migrates device pages to system memory). The
# leak's stacks are checked on 7.3 only: their test_hmm has no injector.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
. vm/stock-kernels.sh
version=${1:-}
stock_kernel "$version" || { fail "stock $version: a kernel vm/stock-kernels.sh knows" "usage: $0 7.3|6.12|6.1"; exit 2; }
g="stock $version"
tag=${version//./}
case $version in
7.3) wls="private thp-private coherent thp-coherent" devs=0123 leak=1;;
*) wls="coherent thp-coherent" devs=23 leak=0;;
esac
make -s all 2>&1 | grep -v "warning: Using" || true
kdir=$(vm/fetch-stock.sh "$version") ||
	{ fail "$g: fetch Debian's $rel kernel and build test_hmm.ko for it" "see above"; exit 1; }
base=build/initramfs-stock$tag.cpio.gz initrd=build/initramfs-stock$tag-extra.cpio.gz
vm/mkinitramfs.sh "$base" build/devmem-wl build/devmemtop build/devmemrec \
	build/devmemreport build/devmemleak
extra=(vm/guest/scenarios/stock.sh:/scenarios/stock.sh "$kdir/modules.order:/lib/modules-extra/modules.order")
while read -r ko; do extra+=("$kdir/$ko:/lib/modules-extra/$ko"); done <"$kdir/modules.order"
vm/mkinitramfs-extra.sh "$initrd" "$base" "${extra[@]}"
out=build/vm-stock-$tag
VM_SMP=2 VM_MEM=2G VM_APPEND="stock_modes=fentry_kprobe stock_wls=${wls// /_} stock_leak=$leak" \
	vm/run-vm.sh "$kdir" "$initrd" stock "$out" 1500
expect "$g: guest ran every run" $? 0

log=$out/data.log
kv_() { grep -o "\\b$1=[0-9]*" | head -1 | cut -d= -f2; }
expect "$g: booted Debian's $rel with 2 CPUs" \
	"$(grep -o '^kernel=.*' "$log") $(grep -o '^nproc=.*' "$log")" "kernel=$rel nproc=2"
section() { awk -v h="=== $1" '$0 == h { on = 1; next } /^=== / { on = 0 } on' "$log"; }
s=$(section insmod)
expect "$g: insmod of every module (test_hmm last) exits 0" \
	"$(echo "$s" | awk '/^insmod_rc / { print $2, $3 }' | tr '\n' ' ')" \
	"$(sed 's/$/ 0/' "$kdir/modules.order" | tr '\n' ' ')"
expect "$g: /dev/hmm_dmirror devices $devs exist" "$(echo "$s" | kv_ dmirror_devices)" $devs
for mode in fentry kprobe; do
	# workload, pgmap type, pages, to_system
	while read -r wl type n tosys; do
		case " $wls " in *" $wl "*) ;; *) continue;; esac
		s=$(section "$wl $mode")
		name="$g $mode $wl"
		expect "$name: devmemleak and devmemtop exit 0" \
			"$(echo "$s" | kv_ leak_rc) $(echo "$s" | kv_ top_rc)" "0 0"
		expect "$name: devmemleak clean" \
			"$(echo "$s" | grep '^devmemleak:' | sed 's/.*: \([0-9]* leaked device pages.*\)/\1/')" \
			"0 leaked device pages, 0 leaked pgmap references, 0 suppressed, 0 events lost"
		doc=$(echo "$s" | sed -n '/^--- top/,/^--- /p' | grep '^{' | tail -1)
		expect "$name: $type inits,frees,live,refs,to_device,to_system" \
			"$(echo "$doc" | jq -c --arg t "$type" '[.pgmaps[] | select(.type == $t and .inits > 0)] |
			  [([.[].inits] | add), ([.[].frees] | add), ([.[].live_pages] | add),
			   ([.[].refs] | add), ([.[].to_device] | add), ([.[].to_system] | add)]')" \
			"[$n,$n,0,0,$n,$tosys]"
		expect "$name: nothing dropped" "$(echo "$doc" | jq .drops.total)" 0
	done <<-EOF2
	private private 64 64
	thp-private private 2048 2048
	coherent coherent 32 0
	thp-coherent coherent 1024 1024
	EOF2
	s=$(section "record $mode")
	rep=$(echo "$s" | grep '^{')
	expect "$g $mode: devmemrec: complete, nothing dropped, exit 0" \
		"$(echo "$rep" | jq -c '[.complete, .drops.dropped]') $(echo "$s" | kv_ rec_rc)" "[true,0] 0"
	expect "$g $mode: devmemreport: every page handed out was freed" \
		"$(echo "$rep" | jq -c '[([.pgmaps[].inits] | add) == ([.pgmaps[].frees] | add), ([.pgmaps[].live_pages] | add)]')" \
		"[true,0]"
done
# The leak injector's 16 pages, by allocation stack: the whole stack, every
# frame in order, root first as --folded prints it. fexit and kretprobe
# both run after zone_device_page_init returned, so the leaf is the
# return address in its caller, dmirror_devmem_alloc_page (test_hmm.c:
# dmirror_migrate_alloc_and_copy is inlined into dmirror_migrate_to_device,
# vfs_ioctl into __x64_sys_ioctl, and x64_sys_call tail-calls the syscall).
# The tracer's frames (BPF program, trampoline) are cut; ORC leaves no
# stale frame between the others.
stock_leak_stack="entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_ioctl;\
dmirror_fops_unlocked_ioctl;dmirror_migrate_to_device.constprop.0;dmirror_devmem_alloc_page.isra.0"
for mode in fentry kprobe; do
	[ $leak = 1 ] || break
	s=$(section "leak $mode")
	name="$g $mode leak"
	pid=$(echo "$s" | grep -o '^wl=coherent pid=[0-9]*' | cut -d= -f3)
	nopg() { sed -E 's/;coherent pgmap 0x[0-9a-f]+-0x[0-9a-f]+;/;coherent pgmap;/'; }
	expect "$name: devmemleak finds the 16 injected pages, devmemrec exits 0" \
		"$(echo "$s" | sed -n 's/^devmemleak: .*: \([0-9]*\) leaked device pages.*/\1/p') $(echo "$s" | kv_ rec_rc)" \
		"16 0"
	expect "$name: devmemleak --folded: the 16 pages under the whole allocation stack" \
		"$(echo "$s" | sed -n '/^--- folded live$/,/^--- /p' | sed '1d;$d' | nopg)" \
		"leaked device pages;coherent pgmap;devmem-wl ($pid);$stock_leak_stack 16"
	rep=$(echo "$s" | sed -n '/^--- folded report$/,/^report_rc=/p' | sed '1d;$d')
	expect "$name: devmemreport --folded: still out at the end, the same stack" \
		"$(echo "$rep" | grep '^live device pages;' | nopg)" \
		"live device pages;coherent pgmap;devmem-wl ($pid);$stock_leak_stack 16"
	expect "$name: devmemreport --folded: all 64 handed out under it" \
		"$(echo "$rep" | grep '^device pages handed out;' | nopg)" \
		"device pages handed out;coherent pgmap;devmem-wl ($pid);$stock_leak_stack 64"
	expect "$name: devmemreport exits 0" "$(echo "$s" | kv_ report_rc)" 0
done
expect "$g: no BPF program left behind" "$(grep -o '^bpf_progs_after=[0-9]*' "$log" | cut -d= -f2)" 0
con=$out/console.log
expect "$g: kernel logged no BUG or Oops" "$(grep -cE 'BUG:|Oops' "$con")" 0
# thp 2 2 after coherent 32 2: test_hmm carved device 2's only chunk (its
# SPM range) into base pages, so for a huge folio it asks for a second chunk
# at the same range, memremap_pages() refuses with WARN "Conflicting mapping
# in same section", and the migration falls back to base pages (the counts
# above are still exact). The self-built vanilla 7.3 kernel logs the same.
# Any other warning fails.
known=$(grep -c 'WARNING: mm/memremap.c:[0-9]* at memremap_pages' "$con")
expect "$g: kernel logged no warning but test_hmm's coherent chunk conflict ($known of those)" \
	"$(grep -c 'WARNING:' "$con") $(grep -c 'Conflicting mapping in same section' "$con")" "$known $known"
