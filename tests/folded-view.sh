#!/usr/bin/env bash
# tests/folded-view.sh FOLDED PNG: open a folded-stacks file in speedscope
# (its npm package, cached outside the repo) in headless Chromium (Debian's
# package), keep a screenshot of its left-heavy flame graph in PNG, and
# check -- from the page's DOM and from the picture, not just by taking
# it -- that speedscope read the file and drew its heaviest stack.
# Prints PASS/FAIL lines (tests/lib.sh); used by tests/vm-folded.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
folded=$1 png=$2
version=1.25.0	# speedscope: a new version is a new cache entry
cache=${DEVMEMSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devmemscope}/npm/speedscope-$version
release=$cache/node_modules/speedscope/dist/release
name="view: speedscope $version in headless Chromium"

if ! command -v chromium >/dev/null; then
	fail "$name" "chromium is not installed (Debian's chromium package: scripts/install-deps.sh)"
	exit 0
fi
if [ ! -f "$release/index.html" ]; then
	mkdir -p "$cache"
	if ! out=$(npm install --prefix "$cache" --no-audit --no-fund --no-save "speedscope@$version" 2>&1) ||
	   [ ! -f "$release/index.html" ]; then
		fail "$name" "cannot install speedscope@$version from npm into $cache: $(echo "$out" | tail -2)"
		exit 0
	fi
fi

# speedscope fetches the profile by URL, so both come from one local server.
www=$(mktemp -d "${TMPDIR:-/tmp}/folded-view.XXXXXX")
trap 'kill $http 2>/dev/null; wait $http 2>/dev/null; rm -rf "$www"' EXIT
ln -s "$release" "$www/speedscope"
cp "$folded" "$www/profile.folded"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 "$port" --directory "$www" >"$www/http.log" 2>&1 &
http=$!
for _ in $(seq 50); do
	python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/profile.folded')" \
		2>/dev/null && break
	sleep 0.1
done
base="http://127.0.0.1:$port/speedscope/index.html#profileURL=http://127.0.0.1:$port/profile.folded"
chrome() {
	timeout 120 chromium --headless --no-sandbox --enable-unsafe-swiftshader --hide-scrollbars \
		--window-size=1600,1000 --virtual-time-budget=10000 "$@" 2>>"$www/chromium.log"
}

# The sandwich view is a DOM table: every function with its total and
# self weight, heaviest self first -- the leaf of the heaviest stack.
chrome --dump-dom "$base&title=folded&view=sandwich" >"$www/dom.html"
heavy=$(awk '$NF > m { m = $NF; l = $0 } END { print l }' "$folded")	# the first heaviest
weight=${heavy##* } leaf=${heavy% *}
leaf=${leaf##*;}
total=$(awk '{ n += $NF } END { print n }' "$folded")
rows=$(python3 - "$www/dom.html" <<'EOF'
import html, re, sys
dom = open(sys.argv[1]).read()
# Rows: <tr><td>TOTAL (P%)</td><td>SELF (P%)</td><td>...NAME</td></tr>
for tr in re.findall(r'<tr[^>]*>(.*?)</tr>', dom, re.S):
    cells = [html.unescape(re.sub(r'<[^>]+>', '', td)).strip()
             for td in re.findall(r'<td[^>]*>(.*?)</td>', tr, re.S)]
    if len(cells) >= 3:
        print(cells[0].split()[0], cells[1].split()[0], cells[2], sep='\t')
EOF
)
if [ -z "$rows" ]; then
	fail "$name: speedscope read the file" "no table in the DOM; chromium said: $(tail -3 "$www/chromium.log")"
else
	pass "$name: speedscope read the file ($(echo "$rows" | wc -l) functions)"
	expect "view: the heaviest self weight is the heaviest stack's leaf, $leaf, with $weight pages" \
		"$(echo "$rows" | head -1)" "$(printf '%s\t%s\t%s' "$weight" "$weight" "$leaf")"
	expect "view: the root frame counts every page ($total)" \
		"$(echo "$rows" | awk -F'\t' -v r="${heavy%%;*}" '$3 == r { print $1 }')" "$total"
	# The caller names the call site to look for (FOLDED_SITE): speedscope
	# must weigh it as the file does, and the heaviest stack must hold it.
	for site in ${FOLDED_SITE:-}; do
		want=$(awk -v s=";$site" 'index($0, s) { n += $NF } END { print n + 0 }' "$folded")
		got=$(echo "$rows" | awk -F'\t' -v s="$site" 'index($3, s) == 1 { n += $1 } END { print n + 0 }')
		expect "view: speedscope weighs the call site $site as the file does" "$got" "$want"
		case ";${heavy% *};" in
		*";$site"[.\;]*) pass "view: the heaviest stack goes through $site";;
		*) fail "view: the heaviest stack goes through $site" "$heavy";;
		esac
	done
fi

# The picture: left-heavy puts the heaviest stack leftmost. Its column must
# show one coloured bar per frame of that stack, on a page that is mostly
# the white background of a drawn flame graph.
chrome --screenshot="$png" "$base&title=folded&view=left-heavy" >/dev/null
frames=$(echo "${heavy% *}" | tr ';' '\n' | wc -l)
span=$((1600 * weight / total))	# the heaviest stack's width, from the left
read -r w h bars painted < <(python3 - "$png" "$span" <<'EOF'
import struct, sys, zlib
def decode(path):
    data = open(path, 'rb').read()
    if data[:8] != b'\x89PNG\r\n\x1a\n':
        return None
    pos, idat, hdr = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            hdr = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    w, h, depth, ctype = hdr[:4]
    bpp = {2: 3, 6: 4}[ctype]
    assert depth == 8
    raw, rows, prev = zlib.decompress(idat), [], bytearray(w * bpp)
    stride = w * bpp
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows
got = decode(sys.argv[1])
if not got:
    print(0, 0, 0, 0)
    sys.exit()
w, h, rows = got
# A bar: a run of one colour, neither white nor grey, 12 px or taller (the
# minimap's thin bands are shorter). Columns across the left half of the
# heaviest stack's width, as a grid line or a label may cross one of them.
def bars_at(x):
    bars, run, last = 0, 0, None
    for y in range(h):
        p = rows[y][x]
        coloured = max(p) - min(p) > 12
        run = run + 1 if coloured and p == last else (1 if coloured else 0)
        last = p
        if run == 12:
            bars += 1
    return bars
span = min(int(sys.argv[2]), w)
bars = max(bars_at(x) for x in range(span // 50 + 1, span // 2 + 2, 5))
painted = sum(1 for r in rows for p in r if p != (255, 255, 255))
print(w, h, bars, painted * 100 // (w * h))
EOF
)
expect "view: $png is a 1600x1000 PNG" "${w:-0}x${h:-0}" 1600x1000
if [ "${painted:-0}" -ge 5 ] && [ "${painted:-0}" -le 95 ]; then
	pass "view: the screenshot is not blank ($painted% of it painted)"
else
	fail "view: the screenshot is not blank" "${painted:-?}% of it painted"
fi
expect "view: the leftmost (heaviest) stack is drawn, one bar per frame" "${bars:-0}" "$frames"
