#!/usr/bin/env bash
# scripts/mkman.sh TOOL OUT.8: TOOL's man page (section 8), written from the
# same source as the documentation, docs/TOOL.md, so the two cannot drift:
# the page is that document with a NAME line, its exit statuses from
# docs/exit-codes.md and a SEE ALSO list, converted by go-md2man.
set -euo pipefail
tool=$1 out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
doc=$top/docs/$tool.md
[ -r "$doc" ] || { echo "mkman: $doc missing" >&2; exit 1; }
command -v go-md2man >/dev/null || { echo "mkman: go-md2man missing (scripts/install-deps.sh)" >&2; exit 1; }
case $tool in
devmemtop) what="live view of device memory: pgmaps, pages, migrations, faults";;
devmemrec) what="record what device memory does to a trace file";;
devmemreport) what="report on a devmemrec trace file";;
devmemleak) what="fail a command that leaks device pages or pgmap references";;
*) echo "mkman: no such tool: $tool" >&2; exit 1;;
esac
version=$(cat "$top/VERSION")
# The date of the document's last change, so the page is reproducible.
date=$(git -C "$top" log -1 --format=%cs -- "docs/$tool.md" 2>/dev/null || true)
[ -n "$date" ] || date=$(date -u -r "$doc" +%F)
up=$(echo "$tool" | tr a-z A-Z)
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	printf '%% %s 8 "%s" "devmemscope %s" "devmemscope"\n\n' "$up" "$date" "$version"
	printf '# NAME\n\n%s \\- %s\n\n# DESCRIPTION\n\n' "$tool" "$what"
	# The document without its title; its sections become the page's.
	# Links to other documents name them instead.
	sed -e '1{/^# /d}' -e 's/^## /# /' -e 's/^### /## /' \
	    -e 's/\[\([^]]*\)\]([^)]*\.md)/\1/g' "$doc"
	printf '\n# EXIT STATUS\n\n'
	# The rows of docs/exit-codes.md that name this tool or "all".
	awk -F' [|] ' -v t="$tool" '/^\| *[0-9*]/ && ($3 ~ t || $3 == "all") {
		sub(/^\| */, "", $1); sub(/ *\|$/, "", $4)
		printf "**%s** (%s)\n: %s\n\n", $1, $2, $4 }' "$top/docs/exit-codes.md" |
	sed 's/^: /    /'
	printf '# SEE ALSO\n\n'
	for t in devmemtop devmemrec devmemreport devmemleak; do
		[ "$t" = "$tool" ] || printf '**%s**(8), ' "$t"
	done
	printf '**bpftool**(8)\n\nThe project README and docs/ hold the rest, including the trace file format and the tracepoints.\n'
} >"$tmp"
go-md2man -in "$tmp" -out "$out"
