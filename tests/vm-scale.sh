#!/usr/bin/env bash
# Scale and concurrency, in the VM with two vCPUs: four tasks migrating at
# once under devmemtop, devmemrec+devmemreport and devmemleak in every
# attach mode, each exactly in agreement with what the workload says it
# moved; a tiny ring buffer whose losses are counted and turn devmemleak's
# verdict into "no verdict"; and SCALE_PAGES (default 1000000) device pages
# live at once, with nothing dropped and a clean leak verdict.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
[ -s build/initramfs.cpio.gz ] || { fail "scale: build" "make failed"; exit 1; }
out=build/vm-scale
pages=${SCALE_PAGES:-1000000}
# test_hmm backs each private device page with a page of guest RAM.
mem=$(( (pages * 4 / 1024 / 1024 + 3) ))G
VM_MEM=$mem VM_APPEND="scale_pages=$pages" \
	vm/run-vm.sh "$(cat build/kernel.dir)" build/initramfs.cpio.gz scale "$out" 2400
expect "scale: guest ran every run" $? 0
log=$out/data.log

expect "scale: the guest finds both vCPUs (nproc)" "$(grep -o '^nproc=[0-9]*' "$log" | cut -d= -f2)" 2

section() { awk -v h="=== $1" '$0 == h { on = 1; next } /^=== / { on = 0 } on' "$log"; }
part() { sed -n "/^--- $1\$/,/^--- /p" | grep '^{' | tail -1; }
kv() { grep -o "\\b$1=[0-9]*" | head -1 | cut -d= -f2; }
private_sum='[.pgmaps[] | select(.type == "private")] |
	[([.[].inits] | add), ([.[].frees] | add), ([.[].live_pages] | add), ([.[].to_device] | add),
	 ([.[].to_system] | add), ([.[].faults] | add)]'

# Under contention migration is best effort (a busy page is skipped); the
# workload retries, as a driver would, until its page tables say every page
# is where it sent it, so it knows exactly what it moved. Its tasks close
# their device files only when all are done: test_hmm's release evicts
# every page of the device (dmirror_fops_release), and a task closing
# early moved its sibling's pages back behind its back. That eviction could
# also catch a destination device page that a failed migration was just
# dropping (migrate_device_finalize() unlocks it before the last put; it
# was never mapped, so never counted to the device) and move it to system:
# the one extra page back (2049 for 2048) seen before. So now every number
# is exact: the kernel's moves are the workload's, per task.
procs_all='[.processes[] | select(.pid as $p | $pids | index($p))] |
	[length, ([.[].held] | add), ([.[].inits] | add), ([.[].to_device] | add), ([.[].to_system] | add)]'
# inits >= to_device: a migration that fails after its destination page
# was handed out frees that page without moving it.
procs='[.processes[] | select(.pid as $p | $pids | index($p))] |
	[length, ([.[].held] | add), (([.[].inits] | add) >= ([.[].to_device] | add)),
	 ([.[].to_device] | add), ([.[].to_system] | add)]'
for mode in tracepoint fentry kprobe; do
	s=$(section "parallel $mode")
	name="scale $mode: 4 tasks on 2 vCPUs"
	wl=$(echo "$s" | grep '^wl=parallel')
	pids="[$(echo "$wl" | grep -o 'pids=[0-9,]*' | cut -d= -f2)]"
	td=$(echo "$wl" | kv to_device) ts=$(echo "$wl" | kv to_system) tf=$(echo "$wl" | kv faulted)
	expect "$name: workload to_device,to_system,faulted,intact" \
		"$td,$ts,$tf,$(echo "$wl" | kv intact)" "2048,1536,512,512"
	expect "$name: devmemleak, devmemtop and devmemrec exit 0" \
		"$(echo "$s" | kv leak_rc) $(echo "$s" | kv top_rc) $(echo "$s" | kv rec_rc)" "0 0 0"
	top=$(echo "$s" | part top)
	rep=$(echo "$s" | part report)
	t=$(echo "$top" | jq -c "$private_sum")
	expect "$name: devmemtop and devmemreport agree on the pgmaps (inits,frees,live,to_device,to_system,faults)" \
		"$t" "$(echo "$rep" | jq -c "$private_sum")"
	expect "$name: devmemtop and devmemreport agree on the 4 tasks (rows,held,inits,to_device,to_system)" \
		"$(echo "$top" | jq -c --argjson pids "$pids" "$procs_all")" \
		"$(echo "$rep" | jq -c --argjson pids "$pids" "$procs_all")"
	# Every mode sees the faults now (the fallback ones through
	# migrate_vma_setup()'s fault_page): one per page faulted back.
	got=$(echo "$t" | jq -c --argjson td "${td:-0}" --argjson back "$((${ts:-0} + ${tf:-0}))" \
		--argjson tf "${tf:-0}" '[.[0] == .[1], .[2], .[3] == $td, .[4] == $back, .[5] == $tf]')
	expect "$name: inits==frees, live, to_device and to_system (moved + faulted), faults: the workload's" \
		"$got" "[true,0,true,true,true]"
	expect "$name: devmemtop: the 4 tasks' rows: rows,held,inits>=to_device,to_device,to_system" \
		"$(echo "$top" | jq -c --argjson pids "$pids" "$procs")" "[4,0,true,$td,$td]"
	expect "$name: devmemtop: each task moved exactly its own 512 each way" \
		"$(echo "$top" | jq -c --argjson pids "$pids" '[.processes[] | select(.pid as $p | $pids | index($p)) |
			[.to_device, .to_system]] | unique')" "[[512,512]]"
	expect "$name: devmemtop dropped nothing" "$(echo "$top" | jq .drops.total)" 0
	expect "$name: devmemreport complete, nothing dropped, every event recorded" \
		"$(echo "$rep" | jq -c '[.complete, .drops.dropped, .records == .drops.events_seen]')" "[true,0,true]"
	expect "$name: devmemleak clean with a verdict" \
		"$(echo "$s" | grep '^devmemleak:' | sed 's/.*: \([0-9]* leaked device pages.*\)/\1/')" \
		"0 leaked device pages, 0 leaked pgmap references, 0 suppressed, 0 events lost"
done

# Nesting in the fallback modes: after many racing vma finalizes, a
# direct finalize (64 pages evicted) is still counted: every page that
# went to the device came back, and nothing is left live.
for mode in fentry kprobe; do
	s=$(section "nesting $mode")
	name="scale $mode: a direct finalize after racing vma finalizes"
	expect "$name: devmemtop exit 0, release evicted 64 of 64" \
		"$(echo "$s" | kv nest_top_rc) $(echo "$s" | grep '^wl=release' | kv evicted) $(echo "$s" | grep '^wl=release' | kv on_device)" "0 64 64"
	expect "$name: private pgmaps: to_system == to_device (none missed), live" \
		"$(echo "$s" | part top | jq -c '[.pgmaps[] | select(.type == "private")] |
			[(([.[].to_system] | add) == ([.[].to_device] | add)), ([.[].live_pages] | add)]')" '[true,0]'
done

s=$(section tiny)
expect "scale: tiny ring buffer: devmemleak gives no verdict (exit 24)" "$(echo "$s" | kv tiny_leak_rc)" 24
lost=$(echo "$s" | grep -o '[0-9]* events lost' | head -1 | cut -d' ' -f1)
if [ "${lost:-0}" -gt 0 ]; then pass "scale: tiny ring buffer: devmemleak shows $lost lost events"
else fail "scale: tiny ring buffer: devmemleak shows lost events" "$(echo "$s" | grep devmemleak:)"; fi
if grep -q '^no verdict: [0-9]* events were lost' <<<"$s"; then
	pass "scale: tiny ring buffer: devmemleak says why there is no verdict"
else fail "scale: tiny ring buffer: devmemleak says why there is no verdict" "no 'no verdict' line"; fi
rep=$(echo "$s" | part report)
got=$(echo "$rep" | jq -c '[.complete, (.drops.dropped > 0), (.drops.ringbuf_full == .drops.dropped)]')
expect "scale: tiny ring buffer: the recording counts every loss as ringbuf_full" "$got" "[true,true,true]"
expect "scale: tiny ring buffer: records kept plus records lost are every event the kernel saw" \
	"$(echo "$rep" | jq -c '[.records + .drops.ringbuf_full == .drops.events_seen, .drops.events_seen >= 1024]')" "[true,true]"

s=$(section pfilter)
name="scale: devmemrec -p PID keeps frees of PID's pages done by its child"
expect "$name: the CoW workload ran" "$(echo "$s" | kv cow_rc)" 0
rep=$(echo "$s" | part report)
expect "$name: 16 page inits, 16 frees and their 16 puts recorded" \
	"$(echo "$rep" | jq -c '[.events_by_type.page_init, .events_by_type.folio_free, .events_by_type.put_pgmap]')" "[16,16,16]"
expect "$name: devmemleak -i on it: clean" "$(echo "$s" | kv pfilter_leak_rc)" 0

s=$(section big)
name="scale: $pages device pages live at once"
expect "$name: workload exact and exit 0 under devmemleak" "$(echo "$s" | kv big_leak_rc)" 0
expect "$name: workload held them all" "$(echo "$s" | grep '^held' | kv on_device)" "$pages"
docs=$(echo "$s" | sed -n '/^--- top$/,/^--- end$/p' | grep '^{')
expect "$name: devmemtop's peak private live pages" \
	"$(echo "$docs" | jq -s '[.[] | [.pgmaps[] | select(.type == "private") | .live_pages] | add // 0] | max')" "$pages"
last=$(echo "$docs" | tail -1)
expect "$name: devmemtop private inits,frees at the end" \
	"$(echo "$last" | jq -c '[.pgmaps[] | select(.type == "private")] | [([.[].inits] | add), ([.[].frees] | add)]')" \
	"[$pages,$pages]"
expect "$name: devmemtop dropped nothing" "$(echo "$last" | jq .drops.total)" 0
# devmemtop's BPF maps with every page live, against the bound of
# docs/counting.md ("Memory of the maps"): the page owner table's 64 MiB
# of buckets and a 2112-byte chunk per 512 pages (one more per pgmap at
# most), the other maps' fixed size on 2 CPUs; the ring buffer aside.
mem=$(echo "$s" | grep '^devmemtop_maps:')
all=$(echo "$mem" | kv bpf_memlock) rb=$(echo "$mem" | kv bpf_ringbuf) po=$(echo "$mem" | kv bpf_page_owner)
po_max=$((67113984 + 2112 * (pages / 512 + 64))) rest_max=5242880
echo "info scale: devmemtop's BPF maps at $pages live pages: ${all:-?} bytes memlock" \
	"(${rb:-?} ring buffer, ${po:-?} page owner table: $(( ${po:-0} / pages )) bytes per live page)"
expect "$name: devmemtop's page owner table within 64 MiB + 2112 bytes per 512 pages" \
	"$([ "${po:-0}" -gt 0 ] && [ "$po" -le "$po_max" ] && echo yes || echo "${po:-none} > $po_max")" yes
expect "$name: devmemtop's other BPF maps within $rest_max bytes (ring buffer aside)" \
	"$(r=$(( ${all:-0} - ${rb:-0} - ${po:-0} )); [ "${all:-0}" -gt 0 ] && [ $r -le $rest_max ] &&
		echo yes || echo "$r > $rest_max")" yes
expect "$name: devmemleak clean with a verdict" \
	"$(echo "$s" | grep '^devmemleak:' | sed 's/.*: \([0-9]* leaked device pages.*\)/\1/')" \
	"0 leaked device pages, 0 leaked pgmap references, 0 suppressed, 0 events lost"
before=$(grep -o '^private_pgmaps_before=[0-9]*' "$log" | cut -d= -f2)
after=$(echo "$s" | kv private_pgmaps_after)
rep=$(echo "$s" | part report)
expect "$name: kprobe-mode recording: complete, nothing dropped" \
	"$(echo "$rep" | jq -c '[.complete, .drops.dropped, .meta.attach_mode]')" '[true,0,"kprobe"]'
expect "$name: kprobe mode sees each new pgmap created ($before -> $after private)" \
	"$(echo "$rep" | jq '.events_by_type.pgmap_create')" "$(( ${after:-0} - ${before:-0} ))"
expect "$name: kprobe mode: page inits and frees" \
	"$(echo "$rep" | jq -c '[.events_by_type.page_init, .events_by_type.folio_free]')" "[$pages,$pages]"
expect "scale: no BPF program left behind" "$(grep -o '^bpf_progs_after=[0-9]*' "$log" | cut -d= -f2)" 0
