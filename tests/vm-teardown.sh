#!/usr/bin/env bash
# A pgmap teardown that hangs (docs/teardown.md), on Linux 7.3: the patched
# kernel in tracepoint mode and Debian's own 7.3.4 in fentry and kprobe
# modes, a boot each (the hang never ends). test_hmm's leak injector keeps 16 of 64
# device pages; releasing the device's memory then waits for them in
# memunmap_pages() forever. Every tool must name the waiting task and the
# 16 pages with their holder; a clean release before it must end, and
# never be called stalled.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s all 2>&1 | grep -v "warning: Using" || true
kp=$(vm/build-kernel.sh 7.3) || { fail "teardown: build the patched 7.3 kernel" "see above"; exit 1; }
vm/mkinitramfs.sh build/initramfs-td.cpio.gz build/devmem-wl build/devmemtop build/devmemrec \
	build/devmemreport build/devmemleak
# Debian's own 7.3.4 with test_hmm.ko (leak injector included) built out of tree.
ks=$(vm/fetch-stock.sh 7.3) ||
	{ fail "teardown: fetch Debian's 7.3.4 kernel and build test_hmm.ko for it" "see above"; exit 1; }
extra=("$ks/modules.order:/lib/modules-extra/modules.order")
while read -r ko; do extra+=("$ks/$ko:/lib/modules-extra/$ko"); done <"$ks/modules.order"
vm/mkinitramfs-extra.sh build/initramfs-td-stock.cpio.gz build/initramfs-td.cpio.gz "${extra[@]}"

kv_() { grep -o "\\b$1=[0-9]*" | head -1 | cut -d= -f2; }
# The vanilla kernel's built-in test_hmm has no leak injector: the stock
# kernel's module, built with it, stands for the fallback modes.
for run in "patched tracepoint $kp td" "stock fentry $ks td-stock" "stock kprobe $ks td-stock"; do
	read -r flavor mode kdir initrd <<<"$run"
	out=build/vm-teardown-$flavor-$mode
	VM_APPEND="teardown_mode=$mode" vm/run-vm.sh "$kdir" build/initramfs-$initrd.cpio.gz teardown "$out" 900
	expect "teardown 7.3 $flavor $mode: guest ran to the end" $? 0
	log=$out/data.log
	section() { awk -v h="=== $1" '$0 == h { on = 1; next } /^=== / { on = 0 } on' "$log"; }
	name="teardown 7.3 $flavor $mode"

	# 1. A clean release ends, is never stalled, and leaks nothing.
	s=$(section clean)
	expect "$name: a clean release under devmemleak exits 0" "$(echo "$s" | kv_ clean_rc)" 0
	expect "$name: the released pgmap's page owner chunks are deleted" \
		"$(echo "$s" | kv_ owner_chunks_after)" 0
	doc=$(echo "$s" | sed -n '/^--- top/,/^--- end/p' | grep '^{' | tail -1)
	expect "$name: the clean release's pgmap: destroyed, not waiting, no teardown report" \
		"$(echo "$doc" | jq -c '[.pgmaps[] | select(.type == "private" and .inits == 32)] |
		  map([.destroyed, .teardown_waiting, has("teardown"), .live_pages])')" \
		"[[true,false,false,0]]"

	# 2. The hang, under devmemleak --timeout 20.
	s=$(section hang)
	wl=$(echo "$s" | kv_ wl_pid)
	expect "$name: devmemleak --timeout exits 23 (leaks)" "$(echo "$s" | kv_ hang_rc)" 23
	# The 64 pages lie in one chunk (their indices, not pfns, decide), kept
	# by devmemtop, and in the fallback modes by devmemrec too.
	expect "$name: the stuck pgmap's page owner chunks stay, one per table" \
		"$(echo "$s" | kv_ owner_chunks_held)" "$([ "$mode" = tracepoint ] && echo 1 || echo 2)"
	hs=$(echo "$s" | kv_ hang_s)
	# Counted from devmemleak's start: its attach before the command takes
	# 5-15 s under TCG (kprobes on Debian's kernel the most).
	if [ -n "$hs" ] && [ "$hs" -ge 20 ] && [ "$hs" -le 60 ]; then
		pass "$name: devmemleak gave its verdict at the timeout ($hs s)"
	else
		fail "$name: devmemleak gave its verdict at the timeout" "took '$hs' s for --timeout 20"
	fi
	expect "$name: the release is still stuck, uninterruptible" \
		"$([ -n "$wl" ] && echo "$s" | grep -o '^wl_state=.*')" "wl_state=D"
	expect "$name: devmemleak names the command stuck in the teardown" \
		"$(echo "$s" | grep -c "still running after --timeout 20 s, pid $wl stuck in the teardown of pgmap test_hmm/")" 1
	expect "$name: devmemleak's verdict: 16 leaked pages" \
		"$(echo "$s" | grep '^devmemleak:' | sed 's/.*: \([0-9]* leaked device pages\).*/\1/')" \
		"16 leaked device pages"
	expect "$name: devmemleak's teardown block: stalled, 16 pages, the task, the holder" \
		"$(echo "$s" | grep -c -e "^teardown of test_hmm/.*: stalled [0-9.]* s, 16 pages outstanding" \
		  -e "^  waiting in memunmap_pages(): pid $wl tid $wl (devmem-wl), uninterruptible" \
		  -e "^  16 pages handed to pid $wl (devmem-wl), alive, oldest")" 3
	expect "$name: devmemleak shows where the 16 pages were handed out" \
		"$(echo "$s" | sed -n '/^  16 pages (pid [0-9]*, devmem-wl) handed out at:/,/^[^ ]/p' |
		   grep -c 'dmirror_migrate_to_device')" 1
	expect "$name: the waiting task's stack now goes through memunmap_pages() from the ioctl" \
		"$(echo "$s" | sed -n '/^  its kernel stack now:/,/^  [^ ]/p' | grep -o \
		   -e '^    memunmap_pages$' -e '^    dmirror_device_remove_chunks$' \
		   -e '^    dmirror_fops_unlocked_ioctl$' | tr -d ' ' | tr '\n' ' ')" \
		"memunmap_pages dmirror_device_remove_chunks dmirror_fops_unlocked_ioctl "

	# devmemtop, which watched it all.
	s=$(section top)
	expect "$name: devmemtop exits 0" "$(echo "$s" | kv_ top_rc)" 0
	doc=$(echo "$s" | grep '^{' | tail -1)
	td=$(echo "$doc" | jq -c '[.pgmaps[] | select(.teardown_waiting)]')
	expect "$name: devmemtop: one pgmap waits, not destroyed, stalled after 2 s" \
		"$(echo "$td" | jq -c 'map([.type, .destroyed, .teardown.waiting, .teardown.stalled])')" \
		'[["private",false,true,true]]'
	expect "$name: devmemtop: the waiting task, uninterruptible in memunmap_pages()" \
		"$(echo "$td" | jq -c --argjson wl "${wl:-0}" '.[0].teardown.task |
		   [.pid == $wl, .tid == $wl, .comm, .state, (.stack | index("memunmap_pages") != null)]')" \
		'[true,true,"devmem-wl","uninterruptible",true]'
	expect "$name: devmemtop: 16 pages out, exact, all held by the release" \
		"$(echo "$td" | jq -c --argjson wl "${wl:-0}" '.[0] | [.live_pages, .teardown.outstanding_pages,
		   .teardown.outstanding_exact, (.teardown.holders | map([.pid == $wl, .comm, .exited, .pages])),
		   .teardown.unattributed_pages]')" \
		'[16,16,true,[[true,"devmem-wl",false,16]],0]'
	if [ "$mode" = tracepoint ]; then
		expect "$name: devmemtop: 16 pages live at the begin (the kernel's count), no reference without a page" \
			"$(echo "$td" | jq -c '.[0].teardown | [.live_pages_at_begin, .references_without_page]')" "[16,0]"
	else
		expect "$name: devmemtop: the begin's count is not known in $mode mode" \
			"$(echo "$td" | jq -c '.[0].teardown | [.live_pages_at_begin, .references_without_page]')" "[-1,-1]"
	fi

	# The recording, read afterwards.
	s=$(section record)
	expect "$name: devmemrec and devmemreport exit 0" \
		"$(echo "$s" | kv_ rec_rc) $(echo "$s" | kv_ report_json_rc) $(echo "$s" | kv_ report_rc)" "0 0 0"
	rep=$(echo "$s" | grep '^{' | head -1)
	rtd=$(echo "$rep" | jq -c '[.pgmaps[] | select(.teardown_waiting)]')
	expect "$name: devmemreport: the teardown waits, the pgmap is not destroyed" \
		"$(echo "$rtd" | jq -c 'map([.type, .destroyed, .teardown.waiting, .teardown.stalled])')" \
		'[["private",false,true,true]]'
	expect "$name: devmemreport: the waiting task as recorded, its stack at the begin" \
		"$(echo "$rtd" | jq -c --argjson wl "${wl:-0}" '.[0].teardown.task |
		   [.pid == $wl, .comm, has("state"), any(.stack_at_begin[]; startswith("dmirror_device_remove_chunks"))]')" \
		'[true,"devmem-wl",false,true]'
	expect "$name: devmemreport: 16 pages, held by the release, handed out in dmirror_migrate_to_device" \
		"$(echo "$rtd" | jq -c --argjson wl "${wl:-0}" '.[0].teardown | [.outstanding_pages,
		   (.holders | map([.pid == $wl, .pages])), (.stacks | map([.pages,
		   any(.stack[]; startswith("dmirror_migrate_to_device"))]))]')" \
		'[16,[[true,16]],[[16,true]]]'
	expect "$name: devmemreport's text calls the pgmap waiting, never destroyed" \
		"$(echo "$s" | grep -c '(teardown waiting)') $(echo "$s" | grep -c 'teardown began .* private') $(echo "$s" | grep -c "^teardown of .*: stalled [0-9.]* s, 16 pages outstanding")" \
		"1 2 1"
	expect "$name: devmemreport's timeline: the clean teardown ended, the hung one did not" \
		"$(echo "$s" | grep -c 'teardown ended .* pgmap destroyed')" 1

	# Started after the hang.
	s=$(section late)
	expect "$name: devmemtop started late exits 0" "$(echo "$s" | kv_ late_rc)" 0
	expect "$name: devmemtop started late finds the task stuck in memunmap_pages()" \
		"$(echo "$s" | grep '^{' | jq -c --argjson wl "${wl:-0}" '.teardown_tasks_before_start |
		   map([.pid == $wl, .comm, .waiting, (.stack | index("memunmap_pages") != null)])')" \
		'[[true,"devmem-wl",true,true]]'
	expect "$name: devmemtop started late walks the struct pages: 16 in use, all in the waiting pgmap" \
		"$(echo "$s" | grep '^{' | jq -c '[.pgmaps[] | select(.pages_walk.in_use_pages > 0)] |
		   map([.type, .pages_walk.complete, .pages_walk.in_use_pages, .pages_walk.in_use_folios])')" \
		'[["private",true,16,16]]'
	expect "$name: devmemtop started late: the walked pgmap's reference is killed, 16 references held" \
		"$(echo "$s" | grep '^{' | jq -c '[.pgmaps[] | select(.pages_walk.teardown_began)] |
		   map([.type, .pages_walk.references])')" '[["private",16]]'
	expect "$name: devmemtop started late: its teardown report, begun before start, the task paired" \
		"$(echo "$s" | grep '^{' | jq -c --argjson wl "${wl:-0}" '[.pgmaps[] | select(.teardown)] |
		   map(.teardown | [.waiting, .began_before_start, .outstanding_pages, .references_without_page,
		   .task.pid == $wl, .task.state, .unattributed_pages])')" \
		'[[true,true,16,0,true,"uninterruptible",16]]'
	expect "$name: devmemtop -b started late: the report, and the task apart" \
		"$(echo "$s" | kv_ late_text_rc) $(echo "$s" | sed -n '/^--- text/,$p' | grep -c \
		   -e '^teardown of test_hmm/.*: stalled at least [0-9.]* s (began before we started), 16 pages outstanding$' \
		   -e "^  waiting in memunmap_pages(): pid $wl tid $wl (devmem-wl), uninterruptible" \
		   -e '^  16 pages handed out before we started: holder unknown' \
		   -e "^in memunmap_pages() since before we started: pid $wl tid $wl (devmem-wl)$")" "0 4"
	expect "$name: no BPF program left behind" "$(grep -o '^bpf_progs_after=.*' "$log")" "bpf_progs_after=0"
done
