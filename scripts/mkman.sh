#!/usr/bin/env bash
# scripts/mkman.sh TOOL OUT.8 DEVMEM_MAN: TOOL's man page (section 8).
# NAME, SYNOPSIS, OPTIONS, EXIT STATUS and EXAMPLES come from the tool's
# own tables through DEVMEM_MAN (build/devmem-man), the ones its --help
# prints, so they cannot drift; DESCRIPTION is docs/man/TOOL.md.
set -euo pipefail
tool=$1 out=$2 gen=$3
top=$(cd "$(dirname "$0")/.." && pwd)
desc=$top/docs/man/$tool.md
[ -r "$desc" ] || { echo "mkman: $desc missing" >&2; exit 1; }
command -v go-md2man >/dev/null || { echo "mkman: go-md2man missing (scripts/install-deps.sh)" >&2; exit 1; }
version=$(cat "$top/VERSION")
# The date of the description's last change, so the page is reproducible.
date=$(git -C "$top" log -1 --format=%cs -- "docs/man/$tool.md" 2>/dev/null || true)
[ -n "$date" ] || date=$(date -u -r "$desc" +%F)
up=$(echo "$tool" | tr a-z A-Z)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	printf '%% %s 8 "%s" "devmemscope %s" "devmemscope"\n\n' "$up" "$date" "$version"
	printf '# NAME\n\n%s \\- %s\n\n' "$tool" "$("$gen" name "$tool")"
	"$gen" synopsis "$tool"
	printf '# DESCRIPTION\n\n'
	cat "$desc"
	printf '\n'
	"$gen" reference "$tool"
	printf '# SEE ALSO\n\n'
	for t in devmemtop devmemrec devmemreport devmemleak; do
		[ "$t" = "$tool" ] || printf '**%s**(8), ' "$t"
	done
	printf '**devmemscope-metrics**(7), **bpftool**(8)\n'
} >"$tmp"
go-md2man -in "$tmp" -out "$out"
