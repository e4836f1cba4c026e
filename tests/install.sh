#!/usr/bin/env bash
# make install into an empty DESTDIR: the four tools and their section-8
# man pages, exactly; each page renders with man -l without a warning and
# carries its exit statuses; each tool says its version; make uninstall
# takes exactly what install put there.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
tools="devmemleak devmemrec devmemreport devmemtop"
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
if out=$(make -s install DESTDIR="$dest" PREFIX=/usr 2>&1 | grep -v "warning: Using"; exit "${PIPESTATUS[0]}"); then
	pass "make install DESTDIR=... PREFIX=/usr"
else
	fail "make install DESTDIR=... PREFIX=/usr" "$out"
	exit 1
fi
expect "install: exactly the tools and their man pages" \
	"$(cd "$dest" && find . -type f | sort | tr '\n' ' ')" \
	"$({ for t in $tools; do echo "./usr/sbin/$t"; echo "./usr/share/man/man8/$t.8"; done; } | sort | tr "\n" " ")"
version=$(cat VERSION)
for t in $tools; do
	expect "install: $t is executable (0755)" "$(stat -c %a "$dest/usr/sbin/$t")" 755
	expect "install: $t --version" "$("$dest/usr/sbin/$t" --version; echo "rc=$?")" \
		"$t $version (devmemscope; record ABI 2, trace format 1.1)
rc=0"
	page=$dest/usr/share/man/man8/$t.8
	warn=$(MANWIDTH=200 man --warnings -l "$page" 2>&1 >/dev/null)
	expect "install: man -l $t.8 renders without warnings" "$warn" ""
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
make -s uninstall DESTDIR="$dest" PREFIX=/usr
expect "uninstall: no file left" "$(find "$dest" -type f | wc -l)" 0
