#!/usr/bin/env bash
# devmemtop -j while each workload runs, in each attach mode (tracepoint,
# fentry, kprobe), on the patched kernel in the VM: the last document must
# say exactly what the workload did, the live count must have risen by N
# while the pages sat in device memory, and SIGINT/SIGTERM must leave no
# BPF program or link behind (bpftool in the guest).
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
[ -s build/initramfs.cpio.gz ] || { fail "devmemtop: build" "make failed"; exit 1; }
out=build/vm-devmemtop
vm/run-vm.sh "$(cat build/kernel.dir)" build/initramfs.cpio.gz devmemtop "$out" 900
expect "devmemtop: guest ran every run" $? 0
log=$out/data.log

# section NAME MODE: the lines of one run
section() { awk -v h="=== $1 $2" '$0 == h { on = 1; next } /^=== / { on = 0 } on' "$log"; }
kv() { grep -o "$1=[0-9]*" | head -1 | cut -d= -f2; }

for mode in tracepoint fentry kprobe; do
	fallback=$([ $mode = tracepoint ] && echo false || echo true)
	for wl in private longterm cow release; do
		s=$(section $wl $mode)
		name="devmemtop $mode $wl"
		wline=$(echo "$s" | grep '^wl=')
		n=$(echo "$wline" | kv npages) pid=$(echo "$wline" | kv pid)
		expect "$name: workload exit status" "$(echo "$s" | kv rc)" 0
		expect "$name: devmemtop exit status after signal" "$(echo "$s" | kv toprc)" 0
		during=$(echo "$s" | kv bpf_progs_during)
		if [ "${during:-0}" -gt 0 ]; then pass "$name: bpftool sees its programs while it runs ($during)"
		else fail "$name: bpftool sees its programs while it runs" "saw ${during:-none}"; fi
		expect "$name: no BPF program left behind" "$(echo "$s" | kv bpf_progs_after)" 0
		expect "$name: no BPF link left behind" "$(echo "$s" | kv bpf_links_after)" 0
		docs=$(echo "$s" | sed -n '/^--- json/,/^--- end/p' | grep '^{')
		last=$(echo "$docs" | tail -1)
		if ! echo "$docs" | jq -e . >/dev/null 2>&1; then
			fail "$name: every document is valid JSON" "$(echo "$docs" | head -c 300)"
			continue
		fi
		pass "$name: every document is valid JSON ($(echo "$docs" | wc -l) documents)"
		case $wl in
		private)  to_sys=$n; lt=0; cow=0; faults=$([ $fallback = true ] && echo 0 || echo "$n"); gone=false;;
		longterm) to_sys=$n; lt=$n; cow=0; faults=0; gone=false;;
		cow)      to_sys=0; lt=0; cow=$([ $fallback = true ] && echo 0 || echo "$n"); faults=0; gone=false;;
		release)  to_sys=$n; lt=0; cow=0; faults=0; gone=true;;
		esac
		got=$(echo "$last" | jq -c '[.pgmaps[] | select(.inits > 0)] |
			if length == 1 then .[0] | [.inits, .frees, .live_pages, .refs, .to_device,
			  .to_system, .longterm, .cow, .faults, .destroyed] else "rows: \(length)" end')
		expect "$name: pgmap inits,frees,live,refs,to_device,to_system,longterm,cow,faults,destroyed" \
			"$got" "[$n,$n,0,0,$n,$to_sys,$lt,$cow,$faults,$gone]"
		got=$(echo "$last" | jq -c --argjson pid "$pid" '[.processes[] | select(.pid == $pid)] |
			if length == 1 then .[0] | [.held, .inits, .to_device, .longterm, .cow, .faults]
			else "rows: \(length)" end')
		expect "$name: process $pid held,inits,to_device,longterm,cow,faults" \
			"$got" "[0,$n,$n,$lt,$cow,$faults]"
		expect "$name: one row per live pgmap range" \
			"$(echo "$last" | jq '[.pgmaps[] | select(.destroyed | not) | .start] | length - (unique | length)')" 0
		expect "$name: nothing dropped" "$(echo "$last" | jq '.drops.total')" 0
		expect "$name: no live-count mismatch with debugfs" \
			"$(echo "$last" | jq '[.pgmaps[] | select(.live_mismatch)] | length')" 0
		if [ $wl = private ]; then
			expect "$name: live pages rose by N while on the device" \
				"$(echo "$docs" | jq -s '[.[].pgmaps[] | select(.type == "private") | .live_pages] | max')" "$n"
		fi
		if [ $fallback = true ]; then
			case $(echo "$last" | jq -r .unavailable) in
			*cow_replace*) pass "$name: says what this mode cannot see";;
			*) fail "$name: says what this mode cannot see" "unavailable is empty";;
			esac
		fi
	done
done
