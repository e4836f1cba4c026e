#!/usr/bin/env bash
# Folded stacks of a real leak on the patched 7.3 kernel in the VM
# (vm/guest/scenarios/folded.sh; docs/folded.md): test_hmm's leak injector
# keeps 16 of 64 coherent pages. devmemleak --folded, live and from the
# recording, and devmemreport --folded give exactly those pages under their
# whole allocation stack, every frame asserted (tests/vm-stock-73.sh does
# the same on Debian's kernel); a recording without stacks still counts
# every page; then the leak opens in speedscope in headless Chromium and
# the kept screenshot, build/folded-leak.png, shows the leaking call site
# as the heaviest stack (tests/folded-view.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
kp=$(vm/build-kernel.sh 7.3) || { fail "folded: build the patched 7.3 kernel" "see above"; exit 1; }
out=build/vm-folded
vm/run-vm.sh "$kp" build/initramfs.cpio.gz folded "$out" 600
expect "folded: guest ran to the end" $? 0
log=$out/data.log
get() { sed -n "s/^$1=//p" "$log" | head -1; }
section() { sed -n "/^--- $1\$/,/^--- /p" "$log" | sed '1d;$d'; }
weight() { awk -v r="$1" 'index($0, r ";") == 1 { n += $NF } END { print n + 0 }'; }
form='^[^;]+(;[^;]+)+ [0-9]+$'

live=$(section "folded live")
offline=$(section "folded offline" | grep -v '^leak_i_rc=')
report=$(section "folded report" | grep -v '^report_rc=')
nostack=$(section "folded nostack")
wlpid=$(section "leak live" | grep -o '^wl=coherent pid=[0-9]*' | cut -d= -f3)
leaked=$(section "leak live" | sed -n 's/^devmemleak: .*: \([0-9]*\) leaked device pages.*/\1/p')

# The leak, live: 16 pages, one stack, root first, the driver's call site.
expect "folded: devmemleak's verdict counts the 16 injected pages" "$leaked" 16
expect "folded: devmemleak --folded: every line is 'frame;...;frame COUNT'" \
	"$(echo "$live" | grep -cvE "$form")" 0
expect "folded: devmemleak --folded weighs exactly the 16 leaked pages" \
	"$(echo "$live" | weight "leaked device pages")" 16
expect "folded: devmemleak --folded holds nothing but leaked pages" \
	"$(echo "$live" | grep -cv '^leaked device pages;')" 0
# The whole allocation stack, every frame in order, root first: the
# tracepoint fires inside zone_device_page_init(), so it is the leaf; the
# tracer's frames (the BPF program, bpf_trace_run3) are cut. Read against
# the 7.3 source it is the call chain as it is: test_hmm.c's
# dmirror_migrate_alloc_and_copy is inlined into dmirror_migrate_to_device,
# vfs_ioctl into __x64_sys_ioctl, and x64_sys_call reaches the syscall by a
# tail call. ORC (vm/kernel.config) leaves no stale frame between them.
leak_stack="entry_SYSCALL_64_after_hwframe;do_syscall_64;__x64_sys_ioctl;dmirror_fops_unlocked_ioctl;\
dmirror_migrate_to_device.constprop.0;dmirror_devmem_alloc_page.isra.0;zone_device_page_init"
expect "folded: one stack, root first: the syscall, the ioctl, the driver, zone_device_page_init" \
	"$(echo "$live" | sed -E 's/;coherent pgmap 0x[0-9a-f]+-0x[0-9a-f]+;/;coherent pgmap;/')" \
	"leaked device pages;coherent pgmap;devmem-wl ($wlpid);$leak_stack 16"
expect "folded: kernel symbol offsets are dropped" "$(echo "$live" | grep -c '+0x')" 0
# The same file from the recording, and devmemreport's view of it.
# (leaks' exit status is docs/exit-codes.md's, whatever its number)
case $(get leak_rc) in
0|'') fail "folded: devmemleak with --folded still fails on the leak" "exit '$(get leak_rc)'";;
*) pass "folded: devmemleak with --folded still fails on the leak (exit $(get leak_rc))";;
esac
expect "folded: devmemleak -i exits as live" "$(get leak_i_rc)" "$(get leak_rc)"
if [ -n "$live" ]; then
	expect "folded: devmemleak -i --folded on the recording is the same file" "$offline" "$live"
else
	fail "folded: devmemleak -i --folded on the recording is the same file" "no folded lines live"
fi
expect "folded: devmemreport --folded - exits 0" "$(get report_rc)" 0
expect "folded: devmemreport: every line is 'frame;...;frame COUNT'" \
	"$(echo "$report" | grep -cvE "$form")" 0
expect "folded: devmemreport: live device pages at the end: the 16 leaked" \
	"$(echo "$report" | weight "live device pages")" 16
expect "folded: devmemreport: device pages handed out: all 64" \
	"$(echo "$report" | weight "device pages handed out")" 64
# Past the root and pgmap frames (devmemreport knows the pgmap's range),
# the same process and stack as devmemleak's.
expect "folded: devmemreport's live stacks are devmemleak's" \
	"$(echo "$report" | grep '^live device pages;' | cut -d';' -f3-)" \
	"$(echo "$live" | cut -d';' -f3-)"
case $(echo "$report" | grep '^live device pages;' | cut -d';' -f2) in
"coherent pgmap 0x"*-0x*) pass "folded: devmemreport names the pgmap by type and range";;
*) fail "folded: devmemreport names the pgmap by type and range" "$(echo "$report" | head -1)";;
esac
# devmemrec --no-stacks around 8 private pages, each faulted back: every
# page still counts, under [no stack].
nspid=$(echo "$nostack" | grep -o '^wl=private pid=[0-9]*' | cut -d= -f3)
expect "folded: devmemrec --no-stacks recorded the workload" "$(echo "$nostack" | sed -n 's/^ns_rec_rc=//p')" 0
expect "folded: without stacks: exactly three lines of 8 pages under [no stack]" \
	"$(echo "$nostack" | grep -E "$form" | sed -E 's/ pgmap 0x[0-9a-f]+-0x[0-9a-f]+;/ pgmap;/')" \
	"device page faults;private pgmap;devmem-wl ($nspid);[no stack] 8
device pages handed out;private pgmap;devmem-wl ($nspid);[no stack] 8
pages migrated to system;private pgmap;devmem-wl ($nspid);[no stack] 8"
expect "folded: devmemreport --folded - without stacks exits 0" \
	"$(echo "$nostack" | sed -n 's/^ns_report_rc=//p')" 0

# The picture: the live leak file in speedscope.
echo "$live" >build/folded-leak.folded
rm -f build/folded-leak.png
FOLDED_SITE=dmirror_migrate_to_device tests/folded-view.sh build/folded-leak.folded build/folded-leak.png
