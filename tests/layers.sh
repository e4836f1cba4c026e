#!/usr/bin/env bash
# The layers of docs/architecture.md hold: what each folder of tools/ may
# include, devmemreport built and linked without libbpf, clang or bpftool,
# and files and functions small enough to read in one sitting.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh

# includes_in DIR: the quoted and <bpf/...> includes of DIR's own files.
includes_in() {
	grep -Ho '^#include [<"][^>"]*[>"]' "$1"/*.[ch] 2>/dev/null | sed 's/#include //'
}
# names_of DIR: the headers that live in DIR, as an ERE alternation.
names_of() {
	local d
	for d; do ls "$d"/*.h 2>/dev/null; done | xargs -n1 basename | paste -sd'|'
}
lib_dirs=(tools/lib tools/lib/trace)
host=$(names_of tools/host)
session=$(names_of tools/session)
tool_h=$(names_of tools/devmem*/ tools/devmemtop/exporter)

for d in "${lib_dirs[@]}"; do
	bad=$(includes_in "$d" | grep -E "\"($host|$session|$tool_h|[a-z_]*\.skel\.h)\"|<bpf/" | sort -u)
	expect "layers: $d includes no host, session or tool header, nor libbpf" "$bad" ""
done
bad=$(includes_in tools/host | grep -E "\"($session|$tool_h|[a-z_]*\.skel\.h)\"|<bpf/" | sort -u)
expect "layers: tools/host includes no session or tool header, nor libbpf" "$bad" ""
bad=$(includes_in tools/session | grep -E "\"($tool_h)\"" | sort -u)
expect "layers: tools/session includes no tool's header" "$bad" ""
bad=$(grep -rlE '#include [<"][a-z_]*\.skel\.h[>"]' tools | grep -v '^tools/session/' | sort)
expect "layers: only tools/session includes a BPF skeleton" "$bad" ""
bad=$(grep -rl '#include <bpf/' tools | grep -v '^tools/session/' | sort)
expect "layers: only tools/session includes libbpf's headers" "$bad" ""
bad=$(includes_in tools/devmemreport | grep -E "\"($session)\"|<bpf/" | sort -u)
expect "layers: devmemreport includes nothing of the session layer" "$bad" ""

# devmemreport from a build folder of its own, with no clang or bpftool.
b=$(mktemp -d)
trap 'rm -rf "$b"' EXIT
if out=$(make -s BUILD="$b" CLANG=/bin/false BPFTOOL=/bin/false "$b/devmemreport" 2>&1); then
	pass "layers: devmemreport builds without clang or bpftool"
else
	fail "layers: devmemreport builds without clang or bpftool" "$(echo "$out" | tail -3)"
fi
link=$(make -n -B BUILD="$b" CLANG=/bin/false BPFTOOL=/bin/false "$b/devmemreport" 2>/dev/null |
	grep -- "-o $b/devmemreport ")
if [ -n "$link" ] && ! grep -q 'bpf' <<<"$link"; then
	pass "layers: devmemreport's link line has no libbpf"
else
	fail "layers: devmemreport's link line has no libbpf" "${link:-no link line}"
fi
if [ -x "$b/devmemreport" ]; then
	expect "layers: devmemreport holds no libbpf code" \
		"$(nm "$b/devmemreport" | grep -cE ' (bpf_object__|libbpf_|bpf_map_lookup_elem)')" 0
	expect "layers: that devmemreport reads --version" \
		"$("$b/devmemreport" --version >/dev/null 2>&1; echo $?)" 0
fi

# Every file small enough to read in one sitting (the generated vmlinux.h
# aside), and every function.
big=$(find bpf include tools tests bench workloads -name '*.[ch]' ! -name vmlinux.h -print0 |
	xargs -0 wc -l | awk '$2 != "total" && $1 > 600 { print $2 " " $1 }')
expect "layers: no source file over 600 lines" "$big" ""
# A function: from a line that opens at column 0 with "{" to the next "}"
# at column 0, in files indented the kernel way.
long=$(find bpf include tools tests bench workloads -name '*.[ch]' ! -name vmlinux.h -print0 |
	xargs -0 awk 'FNR == 1 { start = 0 } /^{/ { start = FNR; name = prev }
		/^}/ && start { if (FNR - start > 120) print FILENAME ": " name " " FNR - start; start = 0 }
		{ prev = $0 }')
expect "layers: no function over 120 lines" "$long" ""
