#!/usr/bin/env bash
# The rework fixture kernel: vanilla 7.3 with the class-based migrate_device
# events (vm/patches/fixture-7.3-migrate-device-rework.patch, written here
# from their published names and prototypes; a test fixture, not a series),
# two vCPUs, one boot. First the fixture itself: its events fire, counted
# through tracefs with no tool attached. Then, in kprobe and fentry modes,
# every workload under devmemtop and devmemleak, all of them recorded by
# devmemrec: every count in pages exact, the migrations taken from the
# rework's events (each tool's -v names the programs it attached), and no
# fallback hook on migrate_vma_finalize() or migrate_device_finalize().
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s all 2>&1 | grep -v "warning: Using" || true
kr=$(vm/build-kernel.sh --fixture rework 7.3) ||
	{ fail "rework: build vanilla 7.3 with the fixture" "see above"; exit 1; }
vm/mkinitramfs.sh build/initramfs-rework.cpio.gz build/devmem-wl build/devmemtop build/devmemrec \
	build/devmemreport build/devmemleak
out=build/vm-rework
VM_APPEND="rework_modes=kprobe_fentry" vm/run-vm.sh "$kr" build/initramfs-rework.cpio.gz rework $out 900
expect "rework: guest ran every run" $? 0

log=$out/data.log
kv_() { grep -o "\\b$1=[0-9]*" | head -1 | cut -d= -f2; }
section() { awk -v h="=== $1" '$0 == h { on = 1; next } /^=== / { on = 0 } on' "$log"; }
expect "rework: booted 7.3.4 with 2 CPUs" \
	"$(grep -o '^kernel=.*' "$log") $(grep -o '^nproc=.*' "$log")" "kernel=7.3.4 nproc=2"
expect "rework: tracefs lists the fixture's 17 migrate_device events, as published" \
	"$(section events | head -1)" \
	"migrate_device_finalize_done migrate_device_finalize_start migrate_device_folio_finalize \
migrate_device_pages_done migrate_device_pages_start migrate_device_unmap_done \
migrate_vma_collect_done migrate_vma_collect_hole migrate_vma_collect_huge_pmd \
migrate_vma_collect_skip migrate_vma_collect_start migrate_vma_finalize_done \
migrate_vma_finalize_start migrate_vma_pages_done migrate_vma_pages_start \
migrate_vma_setup_done migrate_vma_setup_start "

# The fixture alone (tracefs): how often each event fired per workload, and
# the pages its finalized entries moved, both ways. migrate_vma batches:
# test_hmm moves up to 512 pages a batch to the device, and each fault
# brings one folio back (private: 1 + 64; thp: 4 + 4, each a huge PMD whose
# other 511 entries are skipped). migrate_device batches: those, plus each
# long-term pin's one-page batch (longterm: 32), plus one
# migrate_device_range() per chunk of the device when test_hmm's file is
# closed (dmirror_fops_release): 1, and 2 for thp, whose large folios take
# a chunk of their own. An entry is finalized for every page or folio a
# batch holds, whole THPs as one, moving nr_pages.
ev() { echo "$1" | awk -v e="$2" '$1 == "ev" && $2 == e { print $3 }'; }
while read -r wl rc batches dev_batches hole huge skip folios moved; do
	s=$(section "tracefs $wl")
	name="rework tracefs $wl"
	expect "$name: workload exit 0, no overrun" \
		"$(echo "$s" | kv_ rc) $(echo "$s" | sed -n 's/^--- overrun //p')" "$rc 0"
	expect "$name: migrate_vma setup/collect/pages/finalize start and done, $batches each" \
		"$(for e in setup_start setup_done collect_start collect_done pages_start pages_done \
		   finalize_start finalize_done; do ev "$s" migrate_vma_$e; done | tr '\n' ' ')" \
		"$(for i in 1 2 3 4 5 6 7 8; do echo $batches; done | tr '\n' ' ')"
	expect "$name: migrate_device unmap/pages/finalize start and done, $dev_batches each" \
		"$(for e in unmap_done pages_start pages_done finalize_start finalize_done; do
		   ev "$s" migrate_device_$e; done | tr '\n' ' ')" \
		"$(for i in 1 2 3 4 5; do echo $dev_batches; done | tr '\n' ' ')"
	expect "$name: collect hole, huge_pmd, skip" \
		"$(ev "$s" migrate_vma_collect_hole) $(ev "$s" migrate_vma_collect_huge_pmd) $(ev "$s" migrate_vma_collect_skip)" \
		"$hole $huge $skip"
	expect "$name: migrate_device_folio_finalize per entry, $folios; pages moved both ways, $moved" \
		"$(ev "$s" migrate_device_folio_finalize) $(echo "$s" | kv_ moved_pages)" "$folios $moved"
done <<-EOF2
private 0 65 66 0 0 0 128 128
longterm 0 1 34 0 0 0 64 64
thp-private 0 8 10 0 8 8 8 4096
EOF2

for mode in kprobe fentry; do
	hook=$([ $mode = kprobe ] && echo kprobe || echo fentry)
	events="tp_btf/migrate_vma_finalize_start tp_btf/migrate_vma_finalize_done tp_btf/migrate_device_finalize_start"
	# -v's list of programs: the rework's three events, no hook on a finalize.
	from_events() {
		local progs
		# here-strings, not pipes: under pipefail, grep -q leaving early
		# can kill echo with SIGPIPE and fail the pipeline after a match
		progs=$(grep "^$2: programs:" <<<"$1")
		for e in $events; do grep -q " $e\\b" <<<"$progs" || echo "no $e"; done
		grep -q " $hook/migrate_vma_finalize\\b\\| $hook/migrate_device_finalize\\b" <<<"$progs" &&
			echo "a $hook on a finalize"
		grep -q "^$2: migration batches from the migrate_device tracepoints$" <<<"$1" ||
			echo "no word of it"
	}
	# workload, pgmap type, pages, to_system, longterm, faults
	while read -r wl type n tosys lt faults; do
		s=$(section "$wl $mode")
		name="rework $mode $wl"
		expect "$name: devmemleak and devmemtop exit 0" \
			"$(echo "$s" | kv_ leak_rc) $(echo "$s" | kv_ top_rc)" "0 0"
		expect "$name: devmemleak clean" \
			"$(echo "$s" | grep '^devmemleak:.* leaked device pages' |
			   sed 's/.*: \([0-9]* leaked device pages.*\)/\1/')" \
			"0 leaked device pages, 0 leaked pgmap references, 0 suppressed, 0 events lost"
		expect "$name: devmemtop and devmemleak took the batches from the rework's events" \
			"$(from_events "$(echo "$s" | sed -n '/^--- errors/,/^--- end/p')" devmemtop)$(from_events "$s" devmemleak)" ""
		doc=$(echo "$s" | sed -n '/^--- top/,/^--- /p' | grep '^{' | tail -1)
		expect "$name: $type inits,frees,live,refs,to_device,to_system,longterm,faults" \
			"$(echo "$doc" | jq -c --arg t "$type" '[.pgmaps[] | select(.type == $t and .inits > 0)] |
			  [([.[].inits] | add), ([.[].frees] | add), ([.[].live_pages] | add),
			   ([.[].refs] | add), ([.[].to_device] | add), ([.[].to_system] | add),
			   ([.[].longterm] | add), ([.[].faults] | add)]')" \
			"[$n,$n,0,0,$n,$tosys,$lt,$faults]"
		expect "$name: nothing dropped, no fault without progress" \
			"$(echo "$doc" | jq -c '[.drops.total, ([.pgmaps[].faults_no_progress] | add)]')" "[0,0]"
	done <<-EOF2
	private private 64 64 0 64
	coherent coherent 32 0 0 0
	longterm coherent 32 32 32 0
	thp-private private 2048 2048 0 4
	thp-coherent coherent 1024 1024 0 0
	EOF2
	s=$(section "record $mode")
	rep=$(echo "$s" | sed -n '/^--- report/,/^--- end/p' | grep '^{')
	expect "rework $mode: devmemrec took the batches from the rework's events" \
		"$(from_events "$s" devmemrec)" ""
	expect "rework $mode: devmemrec: complete, nothing dropped, exit 0" \
		"$(echo "$rep" | jq -c '[.complete, .drops.dropped]') $(echo "$s" | kv_ rec_rc)" "[true,0] 0"
	# The five workloads in one recording: private 64 + 2048 pages there
	# and back; coherent 32 + 32 + 1024 there, 32 + 1024 back.
	expect "rework $mode: devmemreport: per type inits,frees,live,to_device,to_system" \
		"$(echo "$rep" | jq -c '[("private", "coherent") as $t | [.pgmaps[] | select(.type == $t)] |
		  [([.[].inits] | add), ([.[].frees] | add), ([.[].live_pages] | add),
		   ([.[].to_device] | add), ([.[].to_system] | add)]]')" \
		"[[2112,2112,0,2112,2112],[1088,1088,0,1088,1056]]"
done
expect "rework: no BPF program left behind" "$(grep -o '^bpf_progs_after=[0-9]*' "$log" | cut -d= -f2)" 0
