#!/usr/bin/env bash
# Adding a counter touches its declaration and the rule that counts it,
# and nothing else (docs/architecture.md, "Adding a counter"). On a
# scratch copy of the tree, declare a pgmap counter, count it in the
# fault rule that the BPF handler and the replay share, build the BPF
# object and the tools, and replay a trace: the counter must be in
# devmemreport's JSON, CSV and text, and in devmemtop's metrics, equal to
# the faults it counts.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh

s=$(mktemp -d)
trap 'rm -rf "$s"' EXIT
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$s" 2>/dev/null
cp -r "$s" "$s.orig"
trap 'rm -rf "$s" "$s.orig"' EXIT

python3 - "$s" <<'EOF'
import sys
root = sys.argv[1]
def edit(path, old, new):
    p = root + "/" + path
    text = open(p).read()
    assert text.count(old) == 1, (path, old)
    open(p, "w").write(text.replace(old, new))
edit("include/devmem_counters.h",
     '''	  "CPU faults that repeated the thread's last fault, on the same page, with nothing migrated to system memory since.")
''',
     '''	  "CPU faults that repeated the thread's last fault, on the same page, with nothing migrated to system memory since.") \\
	X(devmem_u64, scratch_faults, CV_JSON | CV_CSV, "SCRATCH", 8, "devmem_scratch_faults", \\
	  "A scratch counter of faults, added by tests/add-counter.sh.")
''')
edit("include/devmem_rules.h",
     '''		DEVMEM_ADD(s->faults, 1);
''',
     '''		DEVMEM_ADD(s->faults, 1);
		DEVMEM_ADD(s->scratch_faults, 1);
''')
EOF
changed=$(diff -rq "$s.orig" "$s" | sed "s|$s/||; s| and .*||; s|^Files $s.orig/||" | sort | tr '\n' ' ')
expect "add-counter: the scratch change touches the declaration and the rule only" \
	"$changed" "include/devmem_counters.h include/devmem_rules.h "

b=$s/build
if out=$(make -s -C "$s" BUILD="$b" "$b/devmem.bpf.o" "$b/devmemtop" "$b/devmemreport" \
	"$b/gen-trace" "$b/trace-metrics" 2>&1); then
	pass "add-counter: the BPF object and the tools build with it"
else
	fail "add-counter: the BPF object and the tools build with it" "$(echo "$out" | grep -m3 error)"
	exit 1
fi
"$b/gen-trace" "$s/t.dmt" 20000 >/dev/null

json=$("$b/devmemreport" --json "$s/t.dmt")
expect "add-counter: JSON: every pgmap has it, equal to its faults" \
	"$(echo "$json" | jq -c '[.pgmaps[] | .scratch_faults == .faults and .faults > 0] | unique')" '[true]'
csv=$("$b/devmemreport" --csv "$s/t.dmt")
expect "add-counter: CSV: a column of it, equal to faults" \
	"$(echo "$csv" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
		$1 == "pgmap" { print ($(c["scratch_faults"]) == $(c["faults"]) && $(c["faults"]) > 0) }' |
		sort -u)" 1
text=$("$b/devmemreport" "$s/t.dmt")
expect "add-counter: text: a SCRATCH column, equal to FAULTS" \
	"$(echo "$text" | awk '/^RANGE/ { for (i = 1; i <= NF; i++) c[$i] = i; on = 1; next }
		on && NF == 0 { on = 0 } on { print ($(c["SCRATCH"]) == $(c["FAULTS"])) }' | sort -u)" 1
metrics=$("$b/trace-metrics" "$s/t.dmt")
expect "add-counter: metrics: a counter family with its help, summing to the faults" \
	"$(echo "$metrics" | grep -c '^# HELP devmem_scratch_faults_total A scratch counter')/$(echo "$metrics" |
		awk '/^devmem_scratch_faults_total/ { a += $NF } /^devmem_cpu_faults_total/ { b += $NF }
		END { print (a == b && a > 0) }')" "1/1"
