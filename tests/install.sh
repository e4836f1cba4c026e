#!/usr/bin/env bash
# make install into an empty DESTDIR: the five tools (devmemcore's modules
# and library in lib/devmemscope), their section-8 man
# pages, devmemscope-metrics(7), and deploy/ with docs/deploy.md in
# share/devmemscope, exactly; each page renders with man -l at 80 columns
# without a warning or a wider line, has the sections of a man page, every
# option its tool's --help lists and its exit statuses; the metrics page
# lists every metric the exporter writes; each tool says its version; the
# unit runs the installed devmemtop; make uninstall takes exactly what
# install put there.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
tools="devmemleak devmemrec devmemreport devmemtop devmemcore"
corelib="devmemlib.py elfcore.py report.py vmlinux.py libdevmemcore.so"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
if out=$(make -s install DESTDIR="$dest" PREFIX=/usr 2>&1 | grep -v "warning: Using"; exit "${PIPESTATUS[0]}"); then
	pass "make install DESTDIR=... PREFIX=/usr"
else
	fail "make install DESTDIR=... PREFIX=/usr" "$out"
	exit 1
fi
share=./usr/share/devmemscope
deploy="devmemtop.service devmemtop.env web-config.yml prometheus/devmemscope-rules.yml
	prometheus/devmemscope-rules.test.yml prometheus/prometheus-scrape.yml grafana/devmemscope.json"
expect "install: exactly the tools, their man pages and deploy/" \
	"$(cd "$dest" && find . -type f | sort | tr '\n' ' ')" \
	"$({ for t in $tools; do echo "./usr/sbin/$t"; echo "./usr/share/man/man8/$t.8"; done
	     echo ./usr/share/man/man7/devmemscope-metrics.7
	     for f in $corelib; do echo "./usr/lib/devmemscope/$f"; done
	     for f in $deploy deploy.md; do echo "$share/$f"; done; } | sort | tr "\n" " ")"
for f in $deploy; do
	[ "$f" = devmemtop.service ] && continue
	expect "install: $f as in deploy/, 0644" \
		"$(cmp "deploy/$f" "$dest/$share/$f" && stat -c %a "$dest/$share/$f")" 644
done
expect "install: deploy.md, 0644" "$(cmp docs/deploy.md "$dest/$share/deploy.md" && stat -c %a "$dest/$share/deploy.md")" 644
# The unit's paths are PREFIX's: deploy/'s are /usr's.
expect "install: with PREFIX=/usr devmemtop.service is deploy/'s, 0644" \
	"$(cmp deploy/devmemtop.service "$dest/$share/devmemtop.service" &&
	   stat -c %a "$dest/$share/devmemtop.service")" 644
make -s install DESTDIR="$dest/local" PREFIX=/usr/local 2>&1 | grep -v "warning: Using"
expect "install: with PREFIX=/usr/local the unit runs /usr/local/sbin/devmemtop" \
	"$(grep -E '^(ExecStart|Documentation)=' "$dest/local/usr/local/share/devmemscope/devmemtop.service" | sed 's/ --.*//')" \
	"Documentation=man:devmemtop(8) file:///usr/local/share/devmemscope/deploy.md
ExecStart=/usr/local/sbin/devmemtop"
make -s uninstall DESTDIR="$dest/local" PREFIX=/usr/local
rm -rf "$dest/local"
version=$(cat VERSION)
abi=$(sed -n "s/^#define DEVMEM_ABI_VERSION \([0-9]*\)/\1/p" include/devmem_abi.h)
for t in $tools; do
	expect "install: $t is executable (0755)" "$(stat -c %a "$dest/usr/sbin/$t")" 755
	expect "install: $t --version" "$("$dest/usr/sbin/$t" --version; echo "rc=$?")" \
		"$t $version (devmemscope; record ABI $abi, trace format 1.1)
rc=0"
	page=$dest/usr/share/man/man8/$t.8
	warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	expect "install: man -l $t.8 renders at 80 columns without warnings" "$warn" ""
	wide=$(MANWIDTH=80 man -l "$page" 2>/dev/null | col -b | awk 'length > 80')
	expect "install: $t.8 has no line over 80 columns at MANWIDTH=80" "$wide" ""
	sections=$(MANWIDTH=80 man -l "$page" 2>/dev/null | col -b | grep -E '^[A-Z][A-Z ]+$' | paste -sd,)
	expect "install: $t.8 has the sections of a man page, in order" "$sections" \
		"NAME,SYNOPSIS,DESCRIPTION,OPTIONS,EXIT STATUS,EXAMPLES,SEE ALSO"
	# Every option --help shows, in the page's OPTIONS.
	opts=$(MANWIDTH=80 man -l "$page" 2>/dev/null | col -b | sed -n '/^OPTIONS/,/^EXIT STATUS/p')
	missing=$("$dest/usr/sbin/$t" --help | grep -oE '^ {2,6}(-[a-zA-Z], )?--[a-z.-]+' | sed 's/^ *//' |
		while read -r o; do grep -qF -- "$o" <<<"$opts" || echo "$o"; done)
	expect "install: $t.8 has every option of $t --help" "$missing" ""
	expect "install: $t.8 has no link debris or source paths" \
		"$(MANWIDTH=80 man -l "$page" 2>/dev/null | col -b | grep -cE '⟨|\]\(|docs/|tests/|tools/')" 0
	text=$(MANWIDTH=200 man -l "$page" 2>/dev/null)
	head=$(echo "$text" | head -1 | tr -s ' ')
	expect "install: $t.8 is section 8 of devmemscope" "$head" "$(echo "$t" | tr a-z A-Z)(8) devmemscope $(echo "$t" | tr a-z A-Z)(8)"
	# Every row docs/exit-codes.md gives this tool is in the page.
	missing=$(awk -F' [|] ' -v t="$t" '/^\| *[0-9*]/ && ($3 ~ t || $3 == "all") { sub(/^\| */, "", $1); print $1 " (" $2 ")" }' docs/exit-codes.md |
		while read -r row; do grep -qF "$row" <<<"$text" || echo "$row"; done)
	expect "install: $t.8 lists its exit statuses" "$missing" ""
	case $text in
	*"$t - "*) pass "install: $t.8 has a NAME line";;
	*) fail "install: $t.8 has a NAME line" "$(echo "$text" | sed -n 3,4p)";;
	esac
done
page=$dest/usr/share/man/man7/devmemscope-metrics.7
warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
expect "install: man -l devmemscope-metrics.7 renders at 80 columns without warnings" "$warn" ""
text=$(MANWIDTH=80 man -l "$page" 2>/dev/null | col -b)
expect "install: devmemscope-metrics.7 has no line over 80 columns" "$(awk 'length > 80' <<<"$text")" ""
# The exporter's own families, from a synthetic trace through its code.
make -s build/gen-trace build/trace-metrics 2>&1 | grep -v "warning: Using"
trace=$dest/t.dmt
build/gen-trace "$trace" 500 >/dev/null
families=$(build/trace-metrics "$trace" | awk '/^# HELP/ { print $3 }')
rm -f "$trace"
missing=$(for m in $families; do grep -qE "^ +$m$" <<<"$text" || echo "$m"; done)
expect "install: devmemscope-metrics.7 lists every one of the exporter's $(wc -w <<<"$families") metrics" \
	"$missing" ""
make -s uninstall DESTDIR="$dest" PREFIX=/usr
expect "uninstall: no file left" "$(find "$dest" -type f | wc -l)" 0
expect "uninstall: no share/devmemscope folder left" "$(find "$dest" -path '*devmemscope*' | wc -l)" 0
