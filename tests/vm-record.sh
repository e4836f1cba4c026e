#!/usr/bin/env bash
# devmemrec and devmemreport on the patched kernel in the VM
# (vm/guest/scenarios/record.sh): the report says exactly what the four
# workloads did, agrees with devmemtop watching the same events, and
# damaged or cut-short files get the documented exit codes and offsets. A
# recording killed with SIGKILL names every pgmap; one on a full filesystem
# exits 9 and leaves a file that reads whole; -o /dev/null is refused.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
out=build/vm-record
vm/run-vm.sh "$(cat build/kernel.dir)" build/initramfs.cpio.gz record "$out" 600
expect "record: guest ran to the end" $? 0
log=$out/data.log
get() { sed -n "s/^$1=//p" "$log" | head -1; }
doc() { sed -n "/^--- $1/,/^--- /p" "$log" | grep '^{' | head -1; }
expect "record: devmemrec around the command exits with its status" "$(get rec_rc)" 0
expect "record: the trace file is created 0600" "$(get file_mode)" 600
expect "record: devmemreport exits 0 on a whole file" "$(get report_rc)" 0
rep=$(doc report) top=$(doc top)
expect "record: the file is complete and nothing was dropped" \
	"$(echo "$rep" | jq -c '[.complete, .drops.dropped]')" '[true,0]'
expect "record: the file carries the release (META tool, from VERSION)" \
	"$(echo "$rep" | jq -r .meta.tool)" "devmemrec $(cat VERSION)"
# 64 private pages faulted back; 32 coherent pinned long term; 16 coherent
# CoW-replaced; 8 private pages in a chunk that was torn down.
expect "record: event counts by type" \
	"$(echo "$rep" | jq -c '.events_by_type | [.page_init, .folio_free, .put_pgmap, .fault, .longterm_migrate, .cow_replace, .pgmap_destroy]')" \
	'[120,120,120,64,32,16,1]'
expect "record: per pgmap [type, inits, frees, live, refs, longterm, cow, faults, destroyed]" \
	"$(echo "$rep" | jq -c '[.pgmaps[] | select(.inits > 0) | [.type, .inits, .frees, .live_pages, .refs, .longterm, .cow, .faults, .destroyed]] | sort')" \
	'[["coherent",48,48,0,0,32,16,0,false],["private",8,8,0,0,0,0,0,true],["private",64,64,0,0,0,0,64,false]]'
pids=$(grep '^wl=' "$log" | grep -o ' pid=[0-9]*' | cut -d= -f2 | sort -n | tr '\n' ' ')
expect "record: per process [inits, held] for the four workload pids" \
	"$(echo "$rep" | jq -c '[.processes[] | select(.inits > 0) | [.pid, .inits, .held]] | sort')" \
	"$(grep '^wl=' "$log" | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } print v["pid"], v["npages"] }' | sort -n | jq -R -s -c 'split("\n") | map(select(length > 0) | split(" ") | [(.[0] | tonumber), (.[1] | tonumber), 0])')"
# devmemtop read the same events live through the same callbacks.
fields='[.pgmaps[] | select(.inits > 0) | [.start, .inits, .frees, .live_pages, .refs, .to_device, .to_system, .longterm, .cow, .faults]] | sort'
expect "record: devmemreport and devmemtop agree on every pgmap counter" \
	"$(echo "$rep" | jq -c "$fields")" "$(echo "$top" | jq -c "$fields")"
pfields='[.processes[] | select(.inits > 0) | [.pid, .inits, .held, .to_device, .to_system, .faults, .longterm, .cow]] | sort'
expect "record: devmemreport and devmemtop agree on every process counter" \
	"$(echo "$rep" | jq -c "$pfields")" "$(echo "$top" | jq -c "$pfields")"
# --events: one line per record, as many of each type as the workloads
# made (the same numbers as events_by_type above), in time order.
expect "record: devmemreport --events exits 0" "$(get events_rc)" 0
ev_types=$(get events_types)
ev_n() { echo "$ev_types" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
expect "record: --events lines [page_init, folio_free, put_pgmap, fault, longterm_migrate, cow_replace, pgmap_destroy]" \
	"[$(ev_n page_init),$(ev_n folio_free),$(ev_n put_pgmap),$(ev_n fault),$(ev_n longterm_migrate),$(ev_n cow_replace),$(ev_n pgmap_destroy)]" \
	'[120,120,120,64,32,16,1]'
expect "record: --events lines of each type equal the summary's events_by_type, for every type" \
	"$(echo "$ev_types" | tr ' ' '\n' | grep . | sort)" \
	"$(echo "$rep" | jq -r '.events_by_type | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"' | sort)"
expect "record: --events prints one line per record of the file" "$(get events_lines)" "$(echo "$rep" | jq .records)"
expect "record: --events lines are in time order" "$(get events_sorted)" yes
expect "record: --events --stacks exits 0" "$(get events_stacks_rc)" 0
case $(get events_first_init_frames) in
"zone_device_page_init+"*" dmirror_"*) pass "record: --events --stacks puts the allocation stack below a page_init";;
*) fail "record: --events --stacks puts the allocation stack below a page_init" "$(get events_first_init_frames)";;
esac
expect "record: --events on a full stdout exits 9 and says so" "$(get events_full_rc) $(get events_full_err)" \
	"9 devmemreport: standard output: cannot write the report: No space left on device"
text=$(sed -n '/^--- text/,/^--- csv/p' "$log")
expect "record: text report exits 0" "$(get text_rc)" 0
for want in "long-term pin migrations: 32" "copy-on-write replacements of device pages: 16" \
	    "still outstanding at the end: 0 device pages" "long-term pin moved pfn" "... and 27 more"; do
	case $text in
	*"$want"*) pass "record: text report says '$want'";;
	*) fail "record: text report says '$want'" "not found";;
	esac
done
expect "record: CSV has the private pgmap that faulted 64 pages back" \
	"$(sed -n '/^--- csv/,/^--- perfetto/p' "$log" | awk -F, '$1 == "pgmap" && $3 == "private" && $11 == 64 { print $11, $20 }')" "64 64"
pf=$(sed -n '/^--- perfetto/,/^--- svg/p' "$log" | grep '^{')
expect "record: Perfetto trace: live-page counter samples, long-term, CoW and destroy instants" \
	"$(echo "$pf" | jq -c '[([.traceEvents[] | select(.ph == "C")] | length),
		([.traceEvents[] | select(.name == "longterm_migrate")] | length),
		([.traceEvents[] | select(.name == "cow_replace")] | length),
		([.traceEvents[] | select(.name == "pgmap_destroy")] | length)]')" "[240,32,16,1]"
expect "record: Perfetto counter peaks at 64 pages on the private pgmap" \
	"$(echo "$pf" | jq '[.traceEvents[] | select(.ph == "C" and (.name | endswith("(private)"))) | .args.pages] | max')" 64
svg=$(sed -n '/^--- svg/,/^--- end/p' "$log")
expect "record: SVG plot has one line per pgmap that had pages" "$(echo "$svg" | grep -c '<polyline')" 3
case $svg in
*"<svg xmlns="*"</svg>"*) pass "record: SVG is a whole document";;
*) fail "record: SVG is a whole document" "$(echo "$svg" | head -2)";;
esac
# --pgmap: only device 0's private pgmap, named three ways; the coherent
# workload in the same command ran, unrecorded.
pgname=$(echo "$rep" | jq -r '[.pgmaps[] | select(.type == "private" and .inits == 64)][0].name')
for form in name start address; do
	line=$(grep "^pgmap_filter $form " "$log")
	id=$(echo "$line" | sed -n 's/.* id=\([^ ]*\) .*/\1/p')
	expect "record: devmemrec --pgmap by $form ($id) keeps exactly its 16 inits and frees, nothing else" \
		"$(echo "$line" | sed 's/ id=[^ ]*//')" \
		"pgmap_filter $form rc=0 wls=2 rows=$pgname,private,16,16;"
done
case $(grep '^pgmap_filter name ' "$log") in
*" id=test_hmm/"*"#"[0-9]*) pass "record: the --pgmap name is a short name, as devmemreport names it";;
*) fail "record: the --pgmap name is a short name, as devmemreport names it" "$(grep '^pgmap_filter name ' "$log")";;
esac
case $(get pgmap_bad_rc) in
"2 devmemrec: --pgmap nonsense: not a pgmap name"*) pass "record: devmemrec --pgmap nonsense is a usage error (2)";;
*) fail "record: devmemrec --pgmap nonsense is a usage error (2)" "$(get pgmap_bad_rc)";;
esac
expect "record: a file cut short exits 6" "$(get cut_rc)" 6
case $(get cut_err) in
*"offset "*"read up to here"*) pass "record: a file cut short names the offset it stopped at";;
*) fail "record: a file cut short names the offset it stopped at" "$(get cut_err)";;
esac
expect "record: a corrupted file exits 7" "$(get bad_rc)" 7
case $(get bad_err) in
*"offset "*"checksum mismatch"*) pass "record: a corrupted file names the offset and what is wrong";;
*) fail "record: a corrupted file names the offset and what is wrong" "$(get bad_err)";;
esac
case $(get kill_rc) in
0|6) pass "record: the file of a recorder killed with SIGKILL is readable";;
*) fail "record: the file of a recorder killed with SIGKILL is readable" "exit $(get kill_rc)";;
esac
expect "record: it holds the killed recording's events, marked incomplete" \
	"$(doc kill | jq -c '[.complete, ([.pgmaps[].inits] | add)]')" '[false,24]'
# No END chunk, yet every pgmap has its range and type: those from before
# the recording (debugfs at start, tied to their address in-band) and the
# new one, each once, the very pgmaps debugfs lists.
expect "record: the killed recording names every pgmap: none unknown, none without a range" \
	"$(doc kill | jq -c '[.pgmaps[] | select(.type == "unknown" or .start == "0x0")] | length')" 0
expect "record: the killed recording's pgmaps are debugfs's, each once" \
	"$(doc kill | jq -r '.pgmaps[] | select(.destroyed | not) | .start' | sort | tr '\n' ' ')" \
	"$(sed -n '/^--- pgmaps-at-kill/,/^kill_rc=/p' "$log" | grep '^[0-9a-f]' | awk '{ print $3 }' | sort | tr '\n' ' ')"
expect "record: the killed recording's workloads, by pgmap [type, inits]" \
	"$(doc kill | jq -c '[.pgmaps[] | select(.inits > 0) | [.type, .inits]] | sort')" \
	'[["coherent",8],["coherent",8],["private",8]]'
# A full filesystem (256 KiB tmpfs): exit 9 with the reason, nothing left
# attached, the command ran to its end, and the file reads whole (exit 0)
# up to the last whole chunk, which is what devmemrec said it kept.
expect "record: devmemrec on a full filesystem exits 9" "$(get full_rc)" 9
expect "record: nothing stays attached after the write error" "$(get bpf_progs_after_full)" 0
fullerr=$(sed -n '/^--- full stderr/,/^--- end/p' "$log")
case $fullerr in
*"No space left on device"*"keeps its"*"whole chunks"*"records lost"*) pass "record: devmemrec says why it stopped and what it kept";;
*) fail "record: devmemrec says why it stopped and what it kept" "$fullerr";;
esac
case $fullerr in
*"waiting for COMMAND"*) pass "record: devmemrec lets the command finish, unrecorded";;
*) fail "record: devmemrec lets the command finish, unrecorded" "$fullerr";;
esac
expect "record: the command ran to its end (both workloads printed)" \
	"$(grep -c '^full_wl: wl=\(private\|bench\)' "$log")" 2
expect "record: devmemreport reads the file left on the full filesystem completely (exit 0)" \
	"$(get full_report_rc)" 0
kept=$(echo "$fullerr" | sed -n 's/.*keeps its [0-9]* whole chunks (\([0-9]*\) bytes, \([0-9]*\) records).*/\1 \2/p')
full=$(doc full)
expect "record: the file is the size devmemrec said it kept" "$(get full_size)" "${kept%% *}"
expect "record: it holds the records devmemrec said it kept, marked incomplete" \
	"$(echo "$full" | jq -c '[.records, .complete]')" "[${kept##* },false]"
n=$(echo "$full" | jq '.records')
if [ "${n:-0}" -gt 0 ] 2>/dev/null && [ "$(echo "$full" | jq '.events_by_type.page_init')" -ge 8 ]; then
	pass "record: the cut-back file holds records ($n), the first workload's 8 page inits at least"
else
	fail "record: the cut-back file holds records" "records=$n"
fi
expect "record: devmemrec -o /dev/null is refused with exit 2" "$(get devnull_rc)" 2
expect "record: /dev/null keeps its mode" "$(get devnull_mode_before) $(get devnull_mode_after)" "666 666"
case $(get devnull_err) in
*"/dev/null is a device: refused"*) pass "record: devmemrec says why it refuses /dev/null";;
*) fail "record: devmemrec says why it refuses /dev/null" "$(get devnull_err)";;
esac
# Stopped early (record.sh "early"): each tool ends cleanly on SIGINT or
# SIGTERM sent as soon as it catches them, and 0.3 s in; the "caught" ones
# must come before the tool was ready, or nothing was tested.
early=$(grep '^early ' "$log")
expect "record: early stops: 13 runs" "$(echo "$early" | grep -c .)" 13
expect "record: devmemrec stopped early exits 0 with a complete file, every time" \
	"$(echo "$early" | grep '^early rec ' | grep -vc 'rc=0 report_rc=0 "complete":true$')" 0
expect "record: devmemtop stopped early exits 0 after one last document, every time" \
	"$(echo "$early" | grep '^early top ' | grep -vc 'rc=0 docs=1 last_doc={.*}$')" 0
bad=0
while read -r line; do
	echo "${line#*last_doc=}" | jq -e .pgmaps >/dev/null 2>&1 || bad=$((bad + 1))
done < <(echo "$early" | grep '^early top ')
expect "record: ... and that document is valid JSON" "$bad" 0
expect "record: devmemleak stopped early says no verdict (interrupted) and exits 24, every time" \
	"$(echo "$early" | grep '^early leak ' | grep -vc 'rc=24 interrupted=1$')" 0
expect "record: the stops came while loading, before any tool was ready" \
	"$(echo "$early" | grep ' caught ' | grep -c 'ready=0')" 7
expect "record: devmemrec -- COMMAND stopped while loading: not run, exit 130, a complete file" \
	"$(echo "$early" | sed -n 's/^early reccmd INT caught \(ready=0 rc=130 report_rc=0 "complete":true\) .*/\1/p')" \
	'ready=0 rc=130 report_rc=0 "complete":true'
expect "record: ... on which devmemleak -i gives no verdict (exit 24): the command never ran" \
	"$(echo "$early" | sed -n 's/^early reccmd .* \(leak_i_rc=[0-9]* never_ran=[0-9]*\)$/\1/p')" \
	'leak_i_rc=24 never_ran=1'
expect "record: no BPF program left behind" "$(get bpf_progs_after)" 0
