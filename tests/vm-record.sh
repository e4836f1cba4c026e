#!/usr/bin/env bash
# devmemrec and devmemreport on the patched kernel in the VM
# (vm/guest/scenarios/record.sh): the report says exactly what the four
# workloads did, agrees with devmemtop watching the same events, and
# damaged or cut-short files get the documented exit codes and offsets.
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
	"$(doc kill | jq -c '[.complete, ([.pgmaps[].inits] | add)]')" '[false,8]'
expect "record: no BPF program left behind" "$(get bpf_progs_after)" 0
