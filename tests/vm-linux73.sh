#!/usr/bin/env bash
# Linux 7.3 (Debian's linux-source-7.3, kpatches/BASE) with two vCPUs:
# the patched kernel in tracepoint mode and the vanilla one in fentry and
# kprobe modes. Every workload, THP ones included, under devmemtop and
# devmemleak, and all of them recorded by devmemrec: every count in pages,
# exact; and 7.3's own hmm-tests under devmemleak with no leak.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s all build/bpf-empty 2>&1 | grep -v "warning: Using" || true
kp=$(vm/build-kernel.sh 7.3) || { fail "7.3: build the patched kernel" "see above"; exit 1; }
kv=$(vm/build-kernel.sh --vanilla 7.3) || { fail "7.3: build the vanilla kernel" "see above"; exit 1; }
[ -x build/hmm-tests-7.3 ] || vm/build-hmm-tests-7.3.sh build/hmm-tests-7.3 >/dev/null ||
	{ fail "7.3: build 7.3's hmm-tests" "see above"; exit 1; }
vm/build-zone-device-trace-7.3.sh build/zone_device_trace-7.3 ||
	{ fail "7.3: build the series' selftest" "see above"; exit 1; }
vm/mkinitramfs.sh build/initramfs-k73.cpio.gz build/devmem-wl build/devmemtop build/devmemrec \
	build/devmemreport build/devmemleak build/hmm-tests-7.3 build/zone_device_trace-7.3
VM_APPEND="k73_modes=tracepoint" vm/run-vm.sh "$kp" build/initramfs-k73.cpio.gz k73 build/vm-k73-patched 1500
expect "7.3 patched: guest ran every run" $? 0
VM_APPEND="k73_modes=fentry_kprobe" vm/run-vm.sh "$kv" build/initramfs-k73.cpio.gz k73 build/vm-k73-vanilla 1500
expect "7.3 vanilla: guest ran every run" $? 0

kv_() { grep -o "\\b$1=[0-9]*" | head -1 | cut -d= -f2; }
for flavor in patched vanilla; do
	log=build/vm-k73-$flavor/data.log
	expect "7.3 $flavor: booted 7.3.4 with 2 CPUs" \
		"$(grep -o '^kernel=.*' "$log") $(grep -o '^nproc=.*' "$log")" "kernel=7.3.4 nproc=2"
	modes=$([ $flavor = patched ] && echo tracepoint || echo "fentry kprobe")
	# The series' selftest: 7 exact counts through tracefs on the patched
	# kernel; on the vanilla one a clean skip (4), saying why.
	s=$(awk '$0 == "=== zone_device_trace" { on = 1; next } /^=== / { on = 0 } on' "$log")
	if [ $flavor = patched ]; then
		expect "7.3 patched: selftests/mm/zone_device_trace passes, 7 of 7" \
			"$(echo "$s" | kv_ zdt_rc) $(echo "$s" | grep -c '^ok ') $(echo "$s" | grep -c '^not ok ')" "0 7 0"
	else
		expect "7.3 vanilla: selftests/mm/zone_device_trace skips: no events" \
			"$(echo "$s" | kv_ zdt_rc) $(echo "$s" | grep -c '^1\.\.0 # SKIP no zone_device trace events')" "4 1"
	fi
	for mode in $modes; do
		section() { awk -v h="=== $1 $mode" '$0 == h { on = 1; next } /^=== / { on = 0 } on' "$log"; }
		tp=$([ $mode = tracepoint ] && echo true || echo false)
		# workload, pgmap type, pages, to_system, longterm, faults (every
		# mode: the fallback ones through migrate_vma_setup(fault_page) and
		# the driver's ->migrate_to_ram(), docs/devmemtop.md)
		while read -r wl type n tosys lt faults; do
			s=$(section "$wl")
			name="7.3 $flavor $mode $wl"
			expect "$name: devmemleak and devmemtop exit 0" \
				"$(echo "$s" | kv_ leak_rc) $(echo "$s" | kv_ top_rc)" "0 0"
			expect "$name: devmemleak clean" \
				"$(echo "$s" | grep '^devmemleak:' | sed 's/.*: \([0-9]* leaked device pages.*\)/\1/')" \
				"0 leaked device pages, 0 leaked pgmap references, 0 suppressed, 0 events lost"
			doc=$(echo "$s" | sed -n '/^--- top/,/^--- /p' | grep '^{' | tail -1)
			expect "$name: $type inits,frees,live,refs,to_device,to_system,longterm,faults" \
				"$(echo "$doc" | jq -c --arg t "$type" '[.pgmaps[] | select(.type == $t and .inits > 0)] |
				  [([.[].inits] | add), ([.[].frees] | add), ([.[].live_pages] | add),
				   ([.[].refs] | add), ([.[].to_device] | add), ([.[].to_system] | add),
				   ([.[].longterm] | add), ([.[].faults] | add)]')" \
				"[$n,$n,0,0,$n,$tosys,$lt,$faults]"
			expect "$name: nothing dropped" "$(echo "$doc" | jq .drops.total)" 0
			expect "$name: no fault without progress, nothing stuck" \
				"$(echo "$doc" | jq -c '[([.pgmaps[].faults_no_progress] | add), (.stuck_faults | length)]')" "[0,0]"
		done <<-EOF2
		private private 64 64 0 64
		coherent coherent 32 0 0 0
		longterm coherent 32 32 32 0
		thp-private private 2048 2048 0 4
		thp-coherent coherent 1024 1024 0 0
		EOF2
		s=$(section parallel)
		wl=$(echo "$s" | grep '^wl=parallel')
		td=$(echo "$wl" | kv_ to_device)
		doc=$(echo "$s" | sed -n '/^--- top/,/^--- /p' | grep '^{' | tail -1)
		got=$(echo "$doc" | jq -c --argjson td "${td:-0}" '[.pgmaps[] | select(.type == "private")] |
			[([.[].inits] | add) == ([.[].frees] | add), ([.[].live_pages] | add),
			 ([.[].to_device] | add) == $td, ([.[].to_system] | add) == ([.[].to_device] | add)]')
		expect "7.3 $flavor $mode parallel: 4 tasks, inits==frees, live, moved exactly $td, all back" \
			"$got" "[true,0,true,true]"
		if [ $tp = true ]; then
			p99=$(echo "$(section thp-private)" | sed -n '/^--- top/,/^--- /p' | grep '^{' | tail -1 |
			      jq '[.pgmaps[] | select(.type == "private" and .faults > 0) | .fault_latency_ns.p99] | max')
			if [ "${p99:-0}" -gt 0 ]; then pass "7.3 $flavor $mode: fault latency p99 per pgmap ($p99 ns)"
			else fail "7.3 $flavor $mode: fault latency p99 per pgmap" "got '$p99'"; fi
		fi
		s=$(section hmm-tests)
		expect "7.3 $flavor $mode: 7.3's hmm-tests under devmemleak: no leaked pages or references" \
			"$(echo "$s" | grep '^devmemleak:' | sed 's/.*: \([0-9]* leaked device pages, [0-9]* leaked pgmap references\).*/\1/')" \
			"0 leaked device pages, 0 leaked pgmap references"
		# devmemleak exits with hmm-tests' own status when it found nothing:
		# 23 would be leaks, 24 no verdict.
		rc=$(echo "$s" | kv_ hmm_leak_rc)
		case $rc in
		23 | 24 | '') fail "7.3 $flavor $mode: devmemleak gives hmm-tests' own exit status" "got '$rc'" ;;
		*) pass "7.3 $flavor $mode: devmemleak gives hmm-tests' own exit status ($rc)" ;;
		esac
		# benchmark_* cases time themselves and fail or pass with the host's
		# load, so only the functional cases are compared between kernels.
		echo "$s" | grep '^not ok' | sed 's/^not ok [0-9]* //' | grep -v 'benchmark_' |
			sort >build/k73-hmm-$flavor-$mode.fail
		s=$(section record)
		rep=$(echo "$s" | grep '^{')
		expect "7.3 $flavor $mode: devmemrec: complete, nothing dropped, exit 0" \
			"$(echo "$rep" | jq -c '[.complete, .drops.dropped]') $(echo "$s" | kv_ rec_rc)" "[true,0] 0"
		expect "7.3 $flavor $mode: devmemreport: every page handed out was freed" \
			"$(echo "$rep" | jq -c '[([.pgmaps[].inits] | add) == ([.pgmaps[].frees] | add), ([.pgmaps[].live_pages] | add)]')" \
			"[true,0]"
	done
	if [ $flavor = patched ]; then
		# Late start on 7.3's debugfs zone_device/pgmaps: 2048 pages (4 THPs)
		# out before devmemtop and devmemrec started, exact and settled.
		s=$(awk '$0 == "=== late73" { on = 1; next } /^=== / { on = 0 } on' "$log")
		expect "7.3 late start: workload, devmemtop, devmemrec exit 0, 2048 pages on the device" \
			"$(echo "$s" | kv_ wl_rc) $(echo "$s" | kv_ top_rc) $(echo "$s" | kv_ rec_rc) $(echo "$s" | kv_ on_device)" \
			"0 0 0 2048"
		doc=$(echo "$s" | sed -n '/^--- top/,/^--- /p' | grep '^{' | tail -1)
		expect "7.3 late start: devmemtop: private live, exact, as debugfs counts it, no mismatch" \
			"$(echo "$doc" | jq -c '[.pgmaps[] | select(.type == "private")] |
			  [([.[].live_pages] | add), all(.[]; .live_exact), ([.[].live_pages_kernel // 0] | add),
			   any(.[]; .live_mismatch)]')" "[2048,true,2048,false]"
		rep=$(echo "$s" | sed -n '/^--- report/,/^--- /p' | grep '^{')
		expect "7.3 late start: devmemreport: private live from the recording's PGMAPS, exact" \
			"$(echo "$rep" | jq -c '[.pgmaps[] | select(.type == "private")] |
			  [([.[].live_pages] | add), all(.[]; .live_exact)]')" "[2048,true]"
	fi
	expect "7.3 $flavor: no BPF program left behind" "$(grep -o '^bpf_progs_after=[0-9]*' "$log" | cut -d= -f2)" 0
done
expect "7.3: hmm-tests fail the same cases with and without the series (tracepoint vs fentry)" \
	"$(cat build/k73-hmm-patched-tracepoint.fail | tr '\n' ';')" "$(cat build/k73-hmm-vanilla-fentry.fail | tr '\n' ';')"
