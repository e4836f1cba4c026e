#!/usr/bin/env bash
# scripts/mkman-metrics.sh OUT.7 GEN_TRACE TRACE_METRICS: devmemscope-metrics(7),
# every metric devmemtop exports, with its type, labels and help, read
# from the exposition of a synthetic trace (bench/gen-trace.c) replayed
# by the exporter's own code (tests/add-counter/trace-metrics.c): the
# page lists what the exporter writes, not what someone remembered.
set -euo pipefail
out=$1 gen=$2 metrics=$3
top=$(cd "$(dirname "$0")/.." && pwd)
command -v go-md2man >/dev/null || { echo "mkman: go-md2man missing (scripts/install-deps.sh)" >&2; exit 1; }
version=$(cat "$top/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$gen" "$tmp/t.dmt" 2000 >/dev/null
"$metrics" "$tmp/t.dmt" >"$tmp/expo"
date=$(git -C "$top" log -1 --format=%cs -- tools/devmemtop/exporter/metrics.c 2>/dev/null || true)
[ -n "$date" ] || date=$(date -u +%F)
{
	printf '%% DEVMEMSCOPE-METRICS 7 "%s" "devmemscope %s" "devmemscope"\n\n' "$date" "$version"
	printf '# NAME\n\ndevmemscope-metrics \\- the Prometheus metrics of devmemtop\n\n'
	cat <<'TEXT'
# DESCRIPTION

**devmemtop**(8) with **--web.listen-address** serves these metrics at /metrics, in the
Prometheus text format or, when the scraper asks for it, OpenMetrics; with
**--textfile** it writes them to a file for node_exporter. Counters start
at zero when devmemtop starts. Per-process series go to the processes
holding the most pages (**--metrics-max-procs**); the rest add up in
comm="other". Kernel addresses appear in labels only with
**--raw-addresses**.

# METRICS

TEXT
	awk '
	function md(s) { gsub(/[\\`*_\[\]<>]/, "\\\\&", s); return s }
	/^# HELP / { name = $3; help[name] = substr($0, length("# HELP " name) + 2); order[++n] = name; next }
	/^# TYPE / { type[$3] = $4; next }
	/^[a-z]/ {
		split($0, a, "{"); m = a[1]; sub(/ .*/, "", m)
		fam = m; sub(/_(bucket|sum|count)$/, "", fam)
		if (!(fam in help)) fam = m
		if (index($0, "{")) {
			l = $0; sub(/^[^{]*\{/, "", l); sub(/\}.*/, "", l)
			k = split(l, kv, /",/)
			for (i = 1; i <= k; i++) {
				x = kv[i]; sub(/=.*/, "", x)
				if (x != "le" && !((fam, x) in seen)) { seen[fam, x] = 1; labels[fam] = labels[fam] (labels[fam] ? ", " : "") x }
			}
		}
	}
	END {
		for (i = 1; i <= n; i++) {
			f = order[i]; ls = labels[f]
			printf "**%s**\n: %s %s%s\n\n", md(f), md(help[f]), toupper(substr(type[f], 1, 1)) substr(type[f], 2), ls ? "; labels: " md(ls) "." : "."
		}
	}' "$tmp/expo"
	printf '# SEE ALSO\n\n**devmemtop**(8), **prometheus**(1)\n'
} >"$tmp/page.md"
go-md2man -in "$tmp/page.md" -out "$out"
