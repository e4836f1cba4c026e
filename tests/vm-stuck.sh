#!/usr/bin/env bash
# Stuck faults on the patched Linux 7.3 (vm/guest/scenarios/stuck.sh), in
# tracepoint, fentry and kprobe modes: test_hmm's leak injector pins the
# last of N device pages, a CPU read of it faults forever. devmemtop must
# name the task (pid, tid, comm), the address, the pgmap and the repeats
# within 5 s in JSON, text and metrics, stop calling it stuck once it is
# killed, and never call a clean run's faults stuck or unprogressive.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s all 2>&1 | grep -v "warning: Using" || true
kp=$(vm/build-kernel.sh 7.3) || { fail "stuck: build the patched 7.3 kernel" "see above"; exit 1; }
vm/mkinitramfs.sh build/initramfs-stuck.cpio.gz build/devmem-wl build/devmemtop
VM_APPEND="stuck_modes=tracepoint_kprobe_fentry stuck_spin_modes=tracepoint_kprobe" vm/run-vm.sh "$kp" build/initramfs-stuck.cpio.gz stuck \
	build/vm-stuck 1200
expect "stuck: guest ran every run" $? 0

log=build/vm-stuck/data.log
kv_() { grep -o "\\b$1=[0-9a-fx]*" | head -1 | cut -d= -f2; }
expect "stuck: patched 7.3.4, test_hmm has leak_every" \
	"$(grep -o '^kernel=.*' "$log") $(grep -o '^leak_param=.*' "$log")" "kernel=7.3.4 leak_param=yes"
N=4
for mode in tracepoint kprobe fentry; do
	section() { awk -v h="=== $1 $mode" '$0 == h { on = 1; next } /^=== / { on = 0 } on' "$log"; }
	s=$(section spin)
	name="stuck $mode"
	# fentry: no spin (a trampoline on a function spun through takes the
	# TCG guest down, docs/devmemtop.md); its clean run below
	if [ $mode = fentry ]; then
		expect "$name: no spin in this mode" "$(echo "$s" | head -1)" skipped
	else
	wl=$(echo "$s" | grep '^wl=spin' | head -1)
	pid=$(echo "$wl" | kv_ pid) buf=$(echo "$wl" | kv_ buf)
	expect "$name: the workload migrated its $N pages and spun until SIGKILL (137)" \
		"$(echo "$wl" | kv_ migrated) $(echo "$wl" | kv_ on_device) $(echo "$s" | kv_ wl_rc)" "$N $N 137"
	expect "$name: devmemtop -j and -b exit 0" "$(echo "$s" | kv_ top_rc) $(echo "$s" | kv_ text_rc)" "0 0"
	ms=$(echo "$s" | grep -o 'flagged_ms=[0-9a-z]*' | cut -d= -f2)
	if [ -n "$ms" ] && [ "$ms" != none ] && [ "$ms" -le 5000 ]; then
		pass "$name: -j flags the spinning task within 5 s ($ms ms)"
	else
		fail "$name: -j flags the spinning task within 5 s" "flagged_ms=$ms"
	fi
	# The leaked page: the last of the N (leak_count is a multiple of N before each run).
	addr=$(printf '0x%x' $((buf + (N - 1) * 4096)))
	doc=$(echo "$s" | sed -n '/^--- stuck doc/,/^--- /p' | grep '^{')
	expect "$name: one stuck fault: pid, tid, comm, address (page $((N - 1)) of the buffer), private pgmap" \
		"$(echo "$doc" | jq -c '[(.stuck_faults | length), (.stuck_faults[0] |
		  .pid, .tid, .comm, .address, .pgmap_type, .spinning_s >= 1, .repeats > 0)]')" \
		"[1,$pid,$pid,\"devmem-wl\",\"$addr\",\"private\",true,true]"
	expect "$name: the pgmap it names has stuck 1 and faults without progress; no other has" \
		"$(echo "$doc" | jq -c '.stuck_faults[0].pgmap_name as $n |
		  [[.pgmaps[] | select(.stuck > 0) | [.name == $n, .stuck, .faults_no_progress > 0]],
		   ([.pgmaps[] | select(.name != $n) | .faults_no_progress] | add // 0)]')" \
		"[[[true,1,true]],0]"
	expect "$name: its process: stuck 1, faults without progress, a fault rate" \
		"$(echo "$doc" | jq -c --argjson p "$pid" '[.processes[] | select(.pid == $p) |
		  [.stuck, .faults_no_progress > 0, .faults_per_s > 0]]')" "[[1,true,true]]"
	expect "$name: nothing dropped while it spun" "$(echo "$doc" | jq -c '[.drops.total, .drops.spin_map_full]')" "[0,0]"
	if [ $mode != tracepoint ]; then
		# hooked where the kernel lets a kprobe on it (not notrace)
		hooked=$([ "$(grep -o '^hookable=.*' "$log")" = hookable=yes ] && echo dmirror_devmem_fault)
		expect "$name: the driver's fault callback is hooked if it can be ('$hooked')" \
			"$(echo "$doc" | jq -r .fault_hooks)" "$hooked"
	fi
	last=$(echo "$s" | sed -n '/^--- last doc/,/^--- /p' | grep '^{')
	expect "$name: 2.5 s after the kill: nothing stuck, nothing spinning" \
		"$(echo "$last" | jq -c '[(.stuck_faults | length), .faults_spinning, ([.pgmaps[].stuck] | add)]')" "[0,0,0]"
	# the last of the four reports
	text=$(echo "$s" | sed -n '/^--- text/,/^--- metrics/p' | awk '/^devmemtop: kernel/ { t = "" } { t = t $0 "\n" } END { printf "%s", t }')
	pgname=$(echo "$doc" | jq -r '.stuck_faults[0].pgmap_name')
	expect "$name: -b prints a STUCK line naming the task, the address and the pgmap ($pgname)" \
		"$(echo "$text" | grep -cF "STUCK pid $pid tid $pid (devmem-wl) at $addr pfn ")/$(echo "$text" |
		   grep -c "^STUCK pid $pid .* on $pgname: [0-9]* faults without progress in ")" "1/1"
	prom=$(echo "$s" | sed -n '/^--- metrics/,/^--- errors/p')
	expect "$name: metrics: devmem_stuck_faults 1 for the private pgmap, 0 elsewhere" \
		"$(echo "$prom" | awk '/^devmem_stuck_faults\{/ { s[$0 ~ /type="private"/ && $NF > 0 ? "p" : "o"] += $NF } END { print s["p"] + 0, s["o"] + 0 }')" "1 0"
	if echo "$prom" | awk '/^devmem_fault_no_progress_total\{type="private"/ && $NF > 0 { ok = 1 } END { exit !ok }'; then
		pass "$name: metrics: devmem_fault_no_progress_total counts the repeats"
	else
		fail "$name: metrics: devmem_fault_no_progress_total counts the repeats" "$(echo "$prom" | head -5)"
	fi
	expect "$name: --textfile is removed when devmemtop exits" "$(echo "$s" | sed -n "s/^textfile_left=//p")" no
	fi

	s=$(section clean)
	name="stuck $mode clean"
	wl=$(echo "$s" | grep '^wl=private')
	cpid=$(echo "$wl" | kv_ pid)
	expect "$name: private 64 0 exits 0, devmemtop exits 0, every page back" \
		"$(echo "$s" | kv_ wl_rc) $(echo "$s" | kv_ top_rc) $(echo "$wl" | kv_ faulted_back)" "0 0 64"
	expect "$name: no document has a stuck fault" "$(echo "$s" | kv_ docs_with_stuck)" 0
	last=$(echo "$s" | sed -n '/^--- last doc/,/^--- /p' | grep '^{')
	expect "$name: its pgmap: 64 faults, 0 without progress, stuck 0" \
		"$(echo "$last" | jq -c '[.pgmaps[] | select(.type == "private" and .inits > 0) |
		  [.faults, .faults_no_progress, .stuck]]')" "[[64,0,0]]"
	pdoc=$(echo "$s" | sed -n '/^--- proc doc/,/^--- /p' | grep '^{')
	expect "$name: its process: 64 faults, 0 without progress" \
		"$(echo "$pdoc" | jq -c --argjson p "$cpid" '[.processes[] | select(.pid == $p) |
		  [.faults, .faults_no_progress, .stuck]]')" "[[64,0,0]]"
done
expect "stuck: leak_every back to 0" "$(grep -o '^leak_every_after=.*' "$log")" "leak_every_after=0"
expect "stuck: no BPF program left behind" "$(grep -o '^bpf_progs_after=[0-9]*' "$log" | cut -d= -f2)" 0
oops=$(grep -cE 'BUG:|Oops|Call Trace' build/vm-stuck/console.log)
expect "stuck: kernel logged no BUG or Oops" "$oops" 0
