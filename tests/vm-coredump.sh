#!/usr/bin/env bash
# devmemcore on a crash dump and on a live /proc/kcore (docs/devmemcore.md):
# the patched 7.3 guest with a release stuck in memunmap_pages() on 16
# pages test_hmm's leak injector kept, and a fault spinning in the driver's
# migrate_to_ram() on a 17th (vm/guest/scenarios/coredump.sh). devmemtop -j
# shows it in the guest; devmemcore reads the guest's /proc/kcore in the
# guest; qemu dumps the guest (vm/qemu-dump.py), and devmemcore reads the
# dump with the guest's vmlinux. Both reports must name the same waiting
# pgmap, the same 16 folios, the task and its stack; the dump's has the
# spinning fault with its stack through dmirror_devmem_fault(), the live
# kernel's lists it as running, its stack unavailable. devmemcore must
# exit with the documented status on a dump or vmlinux that will not do. DEVMEMCORE_STOCK=1 does
# the same on Debian's stock 7.3.4 (a 1.19 GB fetch of its debug symbols).
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s all 2>&1 | grep -v "warning: Using" || true
kp=$(vm/build-kernel.sh 7.3) || { fail "coredump: build the patched 7.3 kernel" "see above"; exit 1; }
command -v objcopy >/dev/null && /usr/bin/python3 -c 'import drgn' 2>/dev/null ||
	{ fail "coredump: drgn and objcopy are installed" "apt install python3-drgn binutils"; exit 1; }
vm/mkinitramfs.sh build/initramfs-coredump.cpio.gz build/devmem-wl build/devmemtop
# devmemcore in the guest, on its /proc/kcore: python3, drgn, the vmlinux.
# Only where the kernel has one: with CONFIG_PROC_KCORE our 7.3 guests
# crashed in ftrace's text patching under TCG (vm/kernel-7.3.config), so
# make check's kernel has none; COREDUMP_KERNEL names a 7.3 kernel built
# with it (its folder: bzImage, vmlinux, .config) to check the live report.
kp=${COREDUMP_KERNEL:-$kp}
initrd=build/initramfs-coredump.cpio.gz
if grep -qx CONFIG_PROC_KCORE=y "$kp/.config"; then
	has_kcore=yes initrd=build/initramfs-coredump-drgn.cpio.gz
	vm/mkinitramfs-drgn.sh $initrd build/initramfs-coredump.cpio.gz \
		"$kp/vmlinux" build/core 2>&1 | sed 's/^/info coredump: /'
else
	has_kcore=no
	echo "info coredump: $kp has no /proc/kcore: the live report is not checked (COREDUMP_KERNEL)"
fi
out=build/vm-coredump dump=build/vm-coredump/vmcore
# 0700: the dump, the guest's log and the reports all hold kernel addresses
mkdir -p $out && chmod 700 $out
rm -f $dump $dump.stack $out/qmp $out/qmp.tty $out/core.json $out/core.rc
log=$out/data.log
# A dump is one instant, and qemu TCG stops a vCPU mostly at an exception's
# entry: 2 of 10 dumps taken at random had the spinning fault inside
# dmirror_devmem_fault(). So the dumper stops the guest until CPU 1 (the
# spin's) has a return address into it on its kernel stack, dumps there,
# reads the dump (devmemcore -j, the report checked below), and dumps again
# should that not show the fault in the driver, up to 4 times
# (vm/qemu-dump.py).
read -r fa fsz _ < <(nm -S "$kp/vmlinux" | awk '$4 == "dmirror_devmem_fault" { print $1, $2 }')
in_stack=$(printf '1:%x-%x' $((0x${fa:-0})) $((0x${fa:-0} + 0x${fsz:-0})))
check='p=$(grep -o "^spin_pid=[0-9]*" '$log' | head -1 | cut -d= -f2)
t0=$(date +%s.%N)
build/devmemcore -j --scratch '$out' -k "'$kp'/vmlinux" '$dump' >'$out'/core.json 2>'$out'/core.err
echo "rc=$? s=$(awk -v a="$t0" -v b="$(date +%s.%N)" "BEGIN { printf \"%.1f\", b - a }")" >'$out'/core.rc
jq -e --argjson p "${p:-0}" "[.fault_tasks[] | select(.pid == \$p)] | length == 1" '$out'/core.json >/dev/null'
vm/qemu-dump.py $out/qmp $dump $log "=== dump" 600 "$check" 4 "$in_stack" 2>$out/dump.err &
dumper=$!
t0=$(date +%s)
VM_QMP=$PWD/$out/qmp vm/run-vm.sh "$kp" $initrd coredump $out 900
expect "coredump: guest ran to the end" $? 0
echo "info coredump: the guest ran $(($(date +%s) - t0)) s"
wait $dumper
rc=$?	# before the message's $(...), which sets $? too
expect "coredump: qemu dumped the guest with the fault in the driver ($(tr '\n' ' ' <$out/dump.err))" $rc 0
expect "coredump: the dump is 0600" "$(stat -c %a $dump 2>&1)" 600
trap 'rm -f $dump' EXIT

wl=$(grep -o '^wl_pid=[0-9]*' $log | cut -d= -f2)
spin=$(grep -o '^spin_pid=[0-9]*' $log | head -1 | cut -d= -f2)
top=$(sed -n '/^=== top/,/^--- end/p' $log | grep '^{')
kcore=$(sed -n '/^=== kcore/,/^--- end/p' $log | grep '^{')
expect "coredump: devmemtop -j in the guest exits 0, the workload waits (D)" \
	"$(grep -o '^top_rc=.*' $log) $(grep -o 'wl_state=.*' $log | head -1)" "top_rc=0 wl_state=D"
expect "coredump: the spin migrated its 4 pages to device 0" \
	"$(grep -o "^wl=spin pid=${spin:-x} dev=0 npages=4 migrated=4 on_device=4 " $log | wc -l)" 1

[ $has_kcore = yes ] && {
kv=$(grep -o '^kcore_rc=.*' $log)
expect "coredump: devmemcore -j on the guest's /proc/kcore exits 0 ($(sed -n '/^=== kcore/,/^--- end/p' $log |
	grep -v -e '^{' -e '^===' -e '^---' | tr '\n' ' '))" "${kv%% *}" kcore_rc=0
echo "info coredump: devmemcore read the guest's /proc/kcore in $(echo "$kv" | awk -F'kcore_ms=' '{ printf "%.1f", $2 / 1000 }') s (qemu TCG, a vCPU spinning)"
expect "coredump: the spin still runs (R) and the release waits (D) after the kcore run" \
	"$(grep -o '^spin_pid=[0-9]* spin_state=. wl_state=.' $log | cut -d' ' -f2-)" "spin_state=R wl_state=D"
}
expect "coredump: devmemcore -j on the dump exits 0 ($(tr '\n' ' ' <$out/core.err))" "$(cut -d' ' -f1 $out/core.rc)" rc=0
echo "info coredump: devmemcore read the dump in $(sed 's/.*s=//' $out/core.rc) s"
core=$(cat $out/core.json)

# The same checks of the dump's report and the live kernel's.
# devmemtop sets teardown_waiting for a wait it saw begin; started late, it
# has the teardown report (teardown.waiting) from the walk.
waiting() { jq -c '[.pgmaps[] | select(.teardown.waiting)]'; }
check_report() {
	local n="coredump $1" r=$2
	expect "$n: one pgmap waits, the same as devmemtop's: name, start, type, 16 pages in 16 folios, 16 references" \
		"$(echo "$r" | waiting | jq -c 'map([.name, .start, .type, .ref.state, .pages_walk.in_use_pages,
		   .pages_walk.in_use_folios, .ref.references, .teardown.outstanding_pages])')" \
		"$(echo "$top" | waiting | jq -c 'map([.name, .start, .type, "killed", .pages_walk.in_use_pages,
		   .pages_walk.in_use_folios, .pages_walk.references, .teardown.outstanding_pages])')"
	expect "$n: its folios exactly as devmemtop walked them (pfn, order, refcount, mapcount)" \
		"$(echo "$r" | waiting | jq -c '.[0].pages_walk.folios | map([.pfn, .order, .refcount, .mapcount])')" \
		"$(echo "$top" | waiting | jq -c '.[0].pages_walk.folios | map([.pfn, .order, .refcount, .mapcount])')"
	expect "$n: each of the 16 is mapped by the workload alone" \
		"$(echo "$r" | waiting | jq -c --argjson wl "${wl:-0}" '[.[0].pages_walk.folios[].mappers |
		   map(.pid == $wl and .comm == "devmem-wl")] | [length, (flatten | all)]')" "[16,true]"
	expect "$n: every pgmap with the same name, range, type and pages in use as devmemtop's" \
		"$(echo "$r" | jq -c '[.pgmaps[] | [.name, .start, .end, .type, .pages_walk.in_use_pages]] | sort')" \
		"$(echo "$top" | jq -c '[.pgmaps[] | [.name, .start, .end, .type, .pages_walk.in_use_pages]] | sort')"
	expect "$n: the live pgmaps without pages in use: percpu mode, the initial reference only" \
		"$(echo "$r" | jq -c '[.pgmaps[] | select((.teardown_waiting | not) and .pages_walk.in_use_pages == 0) | .ref] | unique')" \
		'[{"state":"live","mode":"percpu","references":1}]'
	# The spin's page: device 0's one page in use, one pgmap reference
	# more. Each turn of the fault unmaps it (a migration entry) and maps it
	# back, so at a given instant it is mapped once, by the spin, or not.
	expect "$n: the spin's pgmap: devmemtop's name, 1 page in 1 folio as devmemtop walked it, live, 2 references, mapped by the spin or in its fault" \
		"$(echo "$r" | jq -c --argjson p "${spin:-0}" '[.pgmaps[] | select((.teardown_waiting | not) and .pages_walk.in_use_pages > 0) |
		   [.name, .pages_walk.in_use_pages, .pages_walk.in_use_folios, (.pages_walk.folios | map([.pfn, .order,
		    (.mapcount == 0 and .mappers == []) or (.mapcount == 1 and .mappers == [{"pid": $p, "comm": "devmem-wl"}])])), .ref]]')" \
		"$(echo "$top" | jq -c '[.pgmaps[] | select((.teardown.waiting | not) and .pages_walk.in_use_pages > 0) |
		   [.name, 1, 1, (.pages_walk.folios | map([.pfn, .order, true])), {"state":"live","mode":"percpu","references":2}]]')"
	# devmemtop's stack is the kernel's (no scheduler frames), ending at the
	# entry label; drgn's runs from __schedule to entry_SYSCALL_64.
	expect "$n: the task in memunmap_pages(): pid, comm, state, the pgmap, the stack devmemtop saw" \
		"$(echo "$r" | jq -c --argjson wl "${wl:-0}" '.teardown_tasks_before_start | map([.pid == $wl, .comm,
		   .state, .pgmap_name, (.stack as $s | $s[($s | index(["memunmap_pages"])):($s | index(["do_syscall_64"])) + 1])])')" \
		"$(echo "$top" | jq -c --argjson wl "${wl:-0}" '.teardown_tasks_before_start | map([.pid == $wl, .comm,
		   "uninterruptible", ($top.pgmaps[] | select(.teardown.waiting) | .name),
		   (.stack as $s | $s[:($s | index(["do_syscall_64"])) + 1])])' --argjson top "$top")"
}
expect "coredump: and devmemtop's were 16 pages, 16 references" \
	"$(echo "$top" | waiting | jq -c 'map([.pages_walk.in_use_pages, .pages_walk.references])')" "[[16,16]]"
check_report dump "$core"
[ $has_kcore = yes ] && check_report kcore "$kcore"
# The spin is on a CPU. In the dump drgn starts its stack from that CPU's
# registers (the dumper took dumps until that instant was in the driver's
# callback); the live kernel keeps a running task's registers nowhere
# /proc/kcore shows, so there it is listed without a stack.
expect "coredump dump: the spin in the driver's migrate_to_ram(): pid, tid, comm, running, the callback, under a page fault" \
	"$(echo "$core" | jq -c '.fault_tasks | map([.pid, .tid, .comm, .state, .callback,
	   (.stack | [index(["dmirror_devmem_fault"]), index(["handle_mm_fault"]), index(["exc_page_fault"])] |
	    all(. != null) and . == sort)])')" \
	"[[${spin:-0},${spin:-0},\"devmem-wl\",\"running\",\"dmirror_devmem_fault\",true]]"
expect "coredump dump: every task's stack read" "$(echo "$core" | jq -c .tasks_without_stack)" "[]"
# Nearly always the spin is on its CPU when devmemcore looks, so it has no
# stack; a kworker may have taken that CPU for an instant, and then its
# saved stack is read and shows it in the driver's callback. Either is
# right; it must be listed once, and nothing else.
[ $has_kcore = yes ] && {
kspin=$(echo "$kcore" | jq -r --argjson s "${spin:-0}" '
	[(.tasks_without_stack[] | select(.pid == $s and .tid == $s and .comm == "devmem-wl" and
	   .state == "running" and .cpu >= 0 and .stack == null and .stack_unavailable == "running") |
	  "running, stack unavailable (running)"),
	 (.fault_tasks[] | select(.pid == $s and .tid == $s and .callback == "dmirror_devmem_fault") |
	  "in the driver callback, from its saved stack")] as $m |
	if ($m | length) == 1 and (.tasks_without_stack | length) + (.fault_tasks | length) == 1
	then "once: " + $m[0] else "not so: \(.tasks_without_stack) \(.fault_tasks)" end')
echo "info coredump kcore: the spin: $kspin"
expect "coredump kcore: the spin listed once, running with its stack unavailable, or in the driver's callback" \
	"${kspin%%:*}" once
}

name=$(echo "$core" | waiting | jq -r '.[0].name')
build/devmemcore --scratch $out -k "$kp/vmlinux" $dump >$out/core.txt 2>/dev/null
expect "coredump: the text report: the teardown, the task, the spin in the driver" "$?/$(grep -cF -e "teardown of $name waiting, 16 pages outstanding" \
	-e "in memunmap_pages(): pid $wl tid $wl (devmem-wl), uninterruptible on $name" \
	-e "in dmirror_devmem_fault(): pid $spin tid $spin (devmem-wl), running" $out/core.txt)" "0/3"

# What will not do, each with its status (docs/exit-codes.md).
build/devmemcore -k "$kp/vmlinux" $out/none 2>/dev/null; expect "coredump: a missing dump exits 10" $? 10
build/devmemcore -k "$kp/vmlinux" $out/data.log 2>/dev/null; expect "coredump: a file that is no dump exits 10" $? 10
(umask 077; head -c 1000000 $dump >$out/cut)
build/devmemcore -k "$kp/vmlinux" $out/cut 2>/dev/null; expect "coredump: a dump cut short exits 10" $? 10
rm -f $out/cut
build/devmemcore $dump 2>/dev/null; expect "coredump: no VMCOREINFO and no vmlinux exits 13" $? 13
cp "$kp/vmlinux" $out/vmlinux-other
off=$(/usr/bin/python3 -c 'import sys; sys.path.insert(0, "tools/devmemcore"); import vmlinux as v
m = v.Vmlinux(sys.argv[1]); a = m.symbols(("linux_banner",))["linux_banner"]
print(next(s[4] + a - s[3] for s in m.sections if s[3] and s[3] <= a < s[3] + s[5]))' $out/vmlinux-other)
printf 'Linux version 0.0.0-other' | dd of=$out/vmlinux-other bs=1 seek="$off" conv=notrunc status=none
build/devmemcore --scratch $out -k $out/vmlinux-other $dump 2>$out/other.err
expect "coredump: another kernel's vmlinux exits 11, both banners named" \
	"$?/$(grep -c -e '^  vmlinux: Linux version 0.0.0-other' -e '^  dump:    Linux version 7.3.4' $out/other.err)" "11/2"
objcopy --strip-debug "$kp/vmlinux" $out/vmlinux-other
build/devmemcore --scratch $out -k $out/vmlinux-other $dump 2>/dev/null
expect "coredump: a vmlinux without DWARF exits 12" $? 12
rm -f $out/vmlinux-other
expect "coredump: devmemcore left no copy of the dump behind" "$(ls -d $out/devmemcore.* 2>/dev/null)" ""

# Debian's stock 7.3.4 (DEVMEMCORE_STOCK=1): its debug symbols are a
# 1.19 GB package (vm/fetch-stock-dbg.sh), too much for every cold run.
# Booted with nokaslr: its dump has no VMCOREINFO either (qemu_fw_cfg is a
# module the guest does not load). test_hmm is a module here, which drgn
# 0.0.22 cannot list on 7.3: its symbols come from its kallsyms, and its
# stack ends at the first frame in it.
[ "${DEVMEMCORE_STOCK:-0}" = 1 ] || { echo "info coredump: stock 7.3.4 not run (DEVMEMCORE_STOCK=1 runs it)"; exit 0; }
ks=$(vm/fetch-stock.sh 7.3) || { fail "coredump stock: fetch Debian's 7.3.4 and build test_hmm.ko" "see above"; exit 1; }
dbg=$(vm/fetch-stock-dbg.sh 7.3) || { fail "coredump stock: fetch Debian's 7.3.4 debug symbols" "see above"; exit 1; }
vm/mkinitramfs-extra.sh build/initramfs-coredump-stock.cpio.gz build/initramfs-coredump.cpio.gz \
	"$ks/modules.order:/lib/modules-extra/modules.order" "$ks/test_hmm.ko:/lib/modules-extra/test_hmm.ko"
out=build/vm-coredump-stock dump=build/vm-coredump-stock/vmcore
mkdir -p $out && chmod 700 $out
rm -f $dump $out/qmp $out/qmp.tty
trap 'rm -f build/vm-coredump/vmcore $dump' EXIT
vm/qemu-dump.py $out/qmp $dump $out/data.log "=== dump" 900 2>$out/dump.err &
dumper=$!
VM_APPEND="nokaslr coredump_attach=kprobe" VM_QMP=$PWD/$out/qmp vm/run-vm.sh "$ks" build/initramfs-coredump-stock.cpio.gz coredump $out 900
expect "coredump stock: guest ran to the end" $? 0
wait $dumper
rc=$?
expect "coredump stock: qemu dumped the guest ($(cat $out/dump.err))" $rc 0
log=$out/data.log
wl=$(grep -o '^wl_pid=[0-9]*' $log | cut -d= -f2)
top=$(sed -n '/^=== top/,/^--- end/p' $log | grep '^{')
build/devmemcore -j --scratch $out -k "$dbg/vmlinux" -m "$ks/test_hmm.ko" $dump >$out/core.json 2>$out/core.err
expect "coredump stock: devmemcore -j exits 0" $? 0
core=$(cat $out/core.json)
# devmemtop numbers a stock kernel's pgmaps in another order: by range here.
waiting() { jq -c '[.pgmaps[] | select(.teardown.waiting)]'; }
expect "coredump stock: the waiting pgmap as devmemtop's: start, type, 16 pages, 16 references, the folios" \
	"$(echo "$core" | waiting | jq -c 'map([.start, .type, .pages_walk.in_use_pages, .ref.references,
	   (.pages_walk.folios | map([.pfn, .order, .refcount, .mapcount]))])')" \
	"$(echo "$top" | waiting | jq -c 'map([.start, .type, .pages_walk.in_use_pages, .pages_walk.references,
	   (.pages_walk.folios | map([.pfn, .order, .refcount, .mapcount]))])')"
expect "coredump stock: and that is 16 pages" "$(echo "$core" | waiting | jq -c 'map(.pages_walk.in_use_pages)')" "[16]"
expect "coredump stock: every pgmap named test_hmm's from the module's own symbols" \
	"$(echo "$core" | jq -c '[.pgmaps[] | [.driver, .ops]] | unique')" '[["test_hmm","dmirror_devmem_ops"]]'
expect "coredump stock: the task, its state and stack down to the driver's frame" \
	"$(echo "$core" | jq -c --argjson wl "${wl:-0}" '.teardown_tasks_before_start | map([.pid == $wl, .comm, .state,
	   (.stack as $s | $s[($s | index(["memunmap_pages"])):])])')" \
	"[[true,\"devmem-wl\",\"uninterruptible\",$(echo "$top" | jq -c '.teardown_tasks_before_start[0].stack[:2]')]]"
