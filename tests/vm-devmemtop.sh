#!/usr/bin/env bash
# devmemtop -j while each workload runs, in each attach mode (tracepoint,
# fentry, kprobe), on the patched kernel in the VM: the last document must
# say exactly what the workload did, the live count must have risen by N
# while the pages sat in device memory, and SIGINT/SIGTERM must leave no
# BPF program or link behind (bpftool in the guest). Every output names
# the pgmaps by driver and device, and shows kernel addresses only with
# --raw-addresses. Rows of processes that exit go once shown exited, with
# their BPF entries; one that leaks stays with its exact count.
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
# part NAME: one "--- NAME" part of the names section
names=$(awk '$0 == "=== names" { on = 1; next } /^=== / { on = 0 } on' "$log")
part() { echo "$names" | awk -v h="--- $1" '$0 == h { on = 1; next } /^--- / { on = 0 } on'; }
# kernel addresses: 16 hex digits from 0xff (0xffff... or, with 5-level
# paging, 0xff11...); physical ones are shorter
kaddrs() { grep -Eo '0xff[0-9a-f]{14}' | wc -l; }

# -r 1 -s FILL while 4096 pages of device 0's 65536 are held: the fullest
# pgmap alone, with its fill bar, and how many rows were left out.
expect "names: devmemtop -r 1 -s FILL shows the fullest pgmap alone, with its fill" \
	"$(part fill | awk '/^RANGE/ { on = 1; next } /^$/ { on = 0 } on && /^\(/ { print; next } on { print $2, $3, $5, $7 }' | tr '\n' ';')" \
	"private test_hmm 4096 6%[#.......];(3 more pgmaps);"

# Drivers and devices by name (docs/devmemtop.md, "Names"): test_hmm's
# private pgmaps sit in its "hmm_dmirror" iomem regions; its coherent ones
# in memmap= memory that /proc/iomem does not list.
for k in idle_rc rec_rc top_rc raw_rc; do
	expect "names: $k" "$(echo "$names" | kv $k)" 0
done
expect "names: devmemreport exits 0 for text, -j, --csv, with and without --raw-addresses" \
	"$(echo "$names" | grep -c '^report_rc=0$')" 5
idle=$(part idle | grep '^{' | tail -1)
expect "names: idle -j: the four pgmaps from boot by name, type, driver, device" \
	"$(echo "$idle" | jq -c '[.pgmaps[] | [.name, .type, .driver, .device, .pci]] | sort')" \
	'[["test_hmm/hmm_dmirror#0","private","test_hmm","hmm_dmirror",""],["test_hmm/hmm_dmirror#1","private","test_hmm","hmm_dmirror",""],["test_hmm/not-in-iomem#0","coherent","test_hmm","not-in-iomem",""],["test_hmm/not-in-iomem#1","coherent","test_hmm","not-in-iomem",""]]'
# A coherent pgmap has no iomem resource of its own, and no event yet gave
# its owner cookie: the struct page walk at start reads its ops, which
# name the driver (docs/pagewalk.md).
expect "names: idle -j: no pgmap address or owner field, no kernel address" \
	"$(echo "$idle" | jq -c '[.pgmaps[] | has("pgmap"), has("owner")] | any')/$(echo "$idle" | kaddrs)" "false/0"
text=$(part text)
expect "names: -b header has DRIVER and DEVICE, no OWNER or PGMAP" \
	"$(echo "$text" | grep '^RANGE' | grep -c 'DRIVER *DEVICE')/$(echo "$text" | grep '^RANGE' | grep -cE 'OWNER|PGMAP')" "1/0"
expect "names: -b rows [type driver device]: every pgmap is test_hmm's, the idle coherent one too" \
	"$(echo "$text" | awk '/^0x/ { print $2, $3, $4 }' | sort | tr '\n' ';')" \
	"coherent test_hmm not-in-iomem;coherent test_hmm not-in-iomem;private test_hmm hmm_dmirror;private test_hmm hmm_dmirror;"
expect "names: -b shows no kernel address" "$(echo "$text" | kaddrs)" 0
raw=$(part raw | grep '^{' | tail -1)
expect "names: -j --raw-addresses adds pgmap and owner as kernel addresses" \
	"$(echo "$raw" | jq -c '[.pgmaps[] | select(.inits > 0) | [.type, .driver, .device,
		(.pgmap | test("^0xff[0-9a-f]{14}$")), (.owner | test("^0xff[0-9a-f]{14}$"))]] | sort')" \
	'[["coherent","test_hmm","not-in-iomem",true,true],["private","test_hmm","hmm_dmirror",true,true]]'
rtext=$(part "report ")
expect "names: devmemreport text rows [type driver device] with inits" \
	"$(echo "$rtext" | awk '/^RANGE/ { on = 1; next } /^$/ { on = 0 } on && $7 > 0 { print $2, $3, $4 }' | sort | tr '\n' ';')" \
	"coherent test_hmm not-in-iomem;private test_hmm hmm_dmirror;"
expect "names: devmemreport text lists the long-term pins on the named pgmap, no kernel address" \
	"$(echo "$rtext" | grep -c 'pid .* test_hmm/not-in-iomem#[01] 0x[0-9a-f]*-0x[0-9a-f]* coherent result 0')/$(echo "$rtext" | kaddrs)" "8/0"
rjson=$(part "report --json" | grep '^{')
expect "names: devmemreport -j names the pgmaps, with no kernel address" \
	"$(echo "$rjson" | jq -c '[.pgmaps[] | select(.inits > 0) | [.type, .driver, .device,
		(.name | test("^test_hmm/(hmm_dmirror|not-in-iomem)#[01]$")), has("pgmap"), has("owner")]] | sort')/$(echo "$rjson" | kaddrs)" \
	'[["coherent","test_hmm","not-in-iomem",true,false,false],["private","test_hmm","hmm_dmirror",true,false,false]]/0'
csv=$(part "report --csv")
expect "names: devmemreport --csv header" "$(echo "$csv" | head -1)" \
	"table,name,type,start,end,driver,nr_pages,destroyed,live_pages,refs,inits,frees,gets,puts,to_device,to_system,longterm,longterm_failed,cow,faults,device,pci"
expect "names: devmemreport --csv rows [type driver device] with inits, no kernel address" \
	"$(echo "$csv" | awk -F, '$1 == "pgmap" && $11 > 0 { print $3, $6, $21 }' | sort | tr '\n' ';')/$(echo "$csv" | kaddrs)" \
	"coherent test_hmm not-in-iomem;private test_hmm hmm_dmirror;/0"
expect "names: devmemreport -j --raw-addresses has pgmap and owner" \
	"$(part "report --json --raw-addresses" | grep '^{' | jq -c '[.pgmaps[] | select(.inits > 0) |
		(.pgmap | test("^0xff[0-9a-f]{14}$")) and (.owner | test("^0xff[0-9a-f]{14}$"))]')" '[true,true]'
expect "names: devmemreport --csv --raw-addresses ends rows with pgmap and owner" \
	"$(part "report --csv --raw-addresses" | awk -F, 'NR == 1 { print $23, $24 } $1 == "pgmap" && $11 > 0 && $23 ~ /^0xff/ && $24 ~ /^0xff/ { n++ } END { print n }' | tr '\n' ' ')" \
	"pgmap owner 2 "

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
		private)  to_sys=$n; lt=0; cow=0; faults=$n; gone=false;;
		longterm) to_sys=$n; lt=$n; cow=0; faults=0; gone=false;;
		cow)      to_sys=0; lt=0; cow=$([ $fallback = true ] && echo 0 || echo "$n"); faults=0; gone=false;;
		release)  to_sys=$n; lt=0; cow=0; faults=0; gone=true;;
		esac
		got=$(echo "$last" | jq -c '[.pgmaps[] | select(.inits > 0)] |
			if length == 1 then .[0] | [.inits, .frees, .live_pages, .refs, .to_device,
			  .to_system, .longterm, .cow, .faults, .destroyed] else "rows: \(length)" end')
		expect "$name: pgmap inits,frees,live,refs,to_device,to_system,longterm,cow,faults,destroyed" \
			"$got" "[$n,$n,0,0,$n,$to_sys,$lt,$cow,$faults,$gone]"
		# its row in the last document that has one: once shown exited
		# with its pages back, a row goes (docs/devmemtop.md, "Processes")
		got=$(echo "$docs" | jq -s -c --argjson pid "$pid" '[.[] | [.processes[] |
			select(.pid == $pid)] | select(length > 0)] | if length == 0 then "no row"
			else last | if length == 1 then .[0] | [.held, .inits, .to_device, .longterm,
			.cow, .faults, .exited] else "rows: \(length)" end end')
		expect "$name: process $pid held,inits,to_device,longterm,cow,faults,exited" \
			"$got" "[0,$n,$n,$lt,$cow,$faults,true]"
		expect "$name: one row per live pgmap range" \
			"$(echo "$last" | jq '[.pgmaps[] | select(.destroyed | not) | .start] | length - (unique | length)')" 0
		expect "$name: nothing dropped" "$(echo "$last" | jq '.drops.total')" 0
		case $wl in private|release) dev=hmm_dmirror;; *) dev=not-in-iomem;; esac
		got=$(echo "$last" | jq -c '[.pgmaps[] | select(.inits > 0) | [.driver, .device]]')
		# After the first mode's release, device 1 has no chunk: the next
		# release makes one and tears it down with no pause, most likely
		# between two refreshes, and a destroyed pgmap's resource is gone
		# before it can be named (docs/devmemtop.md, "Names").
		[ $wl = release ] && [ $mode != tracepoint ] && [ "$got" = '[["test_hmm","unknown"]]' ] &&
			dev=unknown
		expect "$name: the workload's pgmap is test_hmm's, on $dev" "$got" "[[\"test_hmm\",\"$dev\"]]"
		expect "$name: no kernel address in any document" "$(echo "$docs" | kaddrs)" 0
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

# Late start (docs/counting.md, "Late start"): attached while 512 pages sat
# on device 0 and device 1 churned. Once the churn is over, exactly those
# 512 are live: none of the churn's pages is counted twice.
late=$(awk '$0 == "=== late" { on = 1; next } /^=== / { on = 0 } on' "$log")
expect "late start: devmemtop exit 0, the churn ran to its end" \
	"$(echo "$late" | kv late_top_rc) $(echo "$late" | kv churn_done_at_stop)" "0 1"
expect "late start: the hold workload moved 512 pages" "$(echo "$late" | grep -o 'on_device=[0-9]*' | head -1)" "on_device=512"
doc=$(echo "$late" | awk '$0 == "--- json" { on = 1; next } /^--- / { on = 0 } on')
expect "late start: live pages on private pgmaps, pages the churn moved since attach (> 0)" \
	"$(echo "$doc" | jq -c '[.pgmaps[] | select(.type == "private")] | [([.[].live_pages] | add), (([.[].inits] | add) > 0)]')" \
	"[512,true]"
expect "late start: no live-count mismatch with debugfs" \
	"$(echo "$doc" | jq '[.pgmaps[] | select(.live_mismatch)] | length')" 0
expect "late start: once the churn is over, every pgmap's live count is exact (settled)" \
	"$(echo "$doc" | jq '[.pgmaps[] | select(.live_exact | not)] | length')" 0
# The recording started at the same time: the hold workload's 512 pages,
# quiet through the debugfs read, are exact; the churning pgmap is exact
# (0 live at the end) or says it is an estimate.
rep=$(echo "$late" | awk '$0 == "--- report" { on = 1; next } /^--- / { on = 0 } on' | grep -v '^late_report_rc=')
expect "late start: devmemrec and devmemreport exit 0" \
	"$(echo "$late" | kv late_rec_rc) $(echo "$late" | kv late_report_rc)" "0 0"
expect "late start: the recording's private pgmaps: one holds exactly 512, exact; the rest 0 or inexact" \
	"$(echo "$rep" | jq -c '[.pgmaps[] | select(.type == "private")] |
		[([.[] | select(.live_exact and .live_pages == 512)] | length),
		 ([.[] | select(.live_exact and .live_pages != 512 and .live_pages != 0)] | length)]')" \
	"[1,0]"
# Eviction by another process (scenario run_evict): the evicting process
# is charged the 512 pages it moved to system, their holder keeps its own
# numbers, and the pgmap balances: 516 each way, nothing live.
ev=$(awk '$0 == "=== evict" { on = 1; next } /^=== / { on = 0 } on' "$log")
hold_pid=$(echo "$ev" | grep '^wl=hold' | kv pid)
short_pid=$(echo "$ev" | grep '^wl=private' | kv pid)
expect "evict: hold and devmemtop exit 0; 512 held, the other process moved and faulted back its 4" \
	"$(echo "$ev" | kv hold_rc) $(echo "$ev" | kv evict_top_rc) $(echo "$ev" | grep '^wl=hold' | kv on_device) $(echo "$ev" | grep '^wl=private' | kv faulted_back)" \
	"0 0 512 4"
doc=$(echo "$ev" | awk '$0 == "--- json" { on = 1; next } /^--- / { on = 0 } on')
expect "evict: the holder: held,inits,to_device,to_system" \
	"$(echo "$doc" | jq -c --argjson p "${hold_pid:-0}" '[.processes[] | select(.pid == $p) | [.held, .inits, .to_device, .to_system]]')" \
	"[[0,512,512,0]]"
expect "evict: the process that closed the device: held,inits,to_device,to_system (4 + 512)" \
	"$(echo "$doc" | jq -c --argjson p "${short_pid:-0}" '[.processes[] | select(.pid == $p) | [.held, .inits, .to_device, .to_system]]')" \
	"[[0,4,4,516]]"
expect "evict: device 0's pgmap: inits,frees,to_device,to_system,live" \
	"$(echo "$doc" | jq -c '[.pgmaps[] | select(.type == "private" and .inits > 0)] |
		[([.[].inits] | add), ([.[].frees] | add), ([.[].to_device] | add), ([.[].to_system] | add), ([.[].live_pages] | add)]')" \
	"[516,516,516,516,0]"
# Processes that come and go (docs/devmemtop.md, "Processes"): 20 short
# jobs, then a leaker that exits holding 16 pages. Each job is shown, as
# exited, with its exact numbers; then its row and its proc_counts entry go.
# The leaker stays, exited, with exactly its 16 pages, in the rows and in
# the BPF map of each devmemtop.
ex=$(awk '$0 == "=== exits" { on = 1; next } /^=== / { on = 0 } on' "$log")
epart() { echo "$ex" | awk -v h="--- $1" '$0 == h { on = 1; next } /^--- / { on = 0 } on'; }
short=$(echo "$ex" | grep '^short: wl=' | grep -o ' pid=[0-9]*' | cut -d= -f2 | sort -n)
leaker=$(echo "$ex" | grep '^leaker: wl=' | grep -o ' pid=[0-9]*' | cut -d= -f2)
spids="[$(echo $short | tr ' ' ',')]"
expect "exits: 20 short jobs and a leaker ran" "$(echo "$short" | grep -c .)/${leaker:-none}" "20/$leaker"
expect "exits: both devmemtops exit 0" "$(echo "$ex" | grep -o 'top[jb]_rc=[0-9]*' | tr '\n' ' ')" "topj_rc=0 topb_rc=0 "
edocs=$(epart json | grep '^{')
elast=$(echo "$edocs" | tail -1)
# each job's last row in any document: exited, with what it did
expect "exits: -j: every short job was shown exited, with held 0, inits 4, to_device 4" \
	"$(echo "$edocs" | jq -s -c --argjson pids "$spids" '[.[].processes[] | select(.pid as $p | $pids | index($p))] |
		group_by(.pid) | map(last | [.held, .inits, .to_device, .exited]) | [length, unique]')" \
	'[20,[[0,4,4,true]]]'
expect "exits: -j: the last document: only the leaker's row, exited, held 16 of 64" \
	"$(echo "$elast" | jq -c '[.processes[] | [.pid, .held, .inits, .exited]]')" "[[$leaker,16,64,true]]"
expect "exits: -j: 20 rows removed, nothing dropped (proc_map_full 0)" \
	"$(echo "$elast" | jq -c '[.processes_removed, .drops.proc_map_full, .drops.total]')" '[20,0,0]'
# -b: a row ends with "exited" while shown so
etext=$(epart text)
expect "exits: -b: every short job had an exited row" \
	"$(echo "$etext" | awk -v pids=" $(echo $short) " '$NF == "exited" && index(pids, " " $1 " ") { print $1 }' | sort -u | wc -l)" 20
expect "exits: -b: the last report's processes: the leaker alone, held 16, exited" \
	"$(echo "$etext" | awk '/^devmemtop: kernel/ { rows = ""; on = 0 } /^PID / { on = 1; next } on && NF { rows = rows $1 " " $3 " " $NF ";" } END { print rows }')" \
	"$leaker 16 exited;"
# the BPF side: each devmemtop's proc_slot holds the leaker alone, and its
# proc_counts slots are all zero but the leaker's, with its 16 pages
maps=$(echo "$ex" | grep -c '^--- proc_slot ')
expect "exits: bpftool finds two proc_slot maps, one per devmemtop" "$maps" 2
for id in $(echo "$ex" | sed -n 's/^--- proc_slot \([0-9]*\)$/\1/p'); do
	expect "exits: proc_slot map $id: only the leaker's tgid" \
		"$(epart "proc_slot $id" | grep '^\[' | jq -c '[.[].formatted.key]' 2>&1)" "[$leaker]"
done
for id in $(echo "$ex" | sed -n 's/^--- proc_counts \([0-9]*\)$/\1/p'); do
	expect "exits: proc_counts map $id: [slots in use, held in all]" \
		"$(epart "proc_counts $id" | grep '^\[' | jq -c '[.[].formatted | [.values[].value.c] |
			select(any(.inits != 0 or .held != 0))] | [length, ([.[][].held] | add)]' 2>&1)" "[1,16]"
done

# -j into a full disk (/dev/full): exit 1, saying why, and nothing stays attached.
full=$(grep -m1 '^full_rc=' "$log")
expect "devmemtop: a report that cannot be written exits 1 and says so" \
	"$full" "full_rc=1 full_err=devmemtop: cannot write the report: No space left on device"
expect "devmemtop: ... and leaves no BPF program behind" \
	"$(sed -n 's/^bpf_progs_after_full=//p' "$log")" "$(sed -n 's/^bpf_progs_before=//p' "$log")"
