#!/usr/bin/env bash
# deploy/: the systemd unit verifies without a warning and its exposure
# stays under a stated score; the exporter's web config is one promtool
# accepts; every alert fires in its test and is quiet in its neighbour's;
# the dashboard is a well-formed Grafana dashboard whose expressions parse;
# every metric the rules and the dashboard name is one devmemtop exports.
# Host only: systemd-analyze's offline modes and promtool, no VM.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the unit ----
# A root for systemd-analyze: the host's units (sysinit.target and the
# rest of the default dependencies), the unit, and a stand-in for the
# binary, so that a build is not needed to check ExecStart=.
root=$tmp/root
mkdir -p "$root/etc/systemd/system" "$root/usr/sbin" "$root/lib/systemd"
cp -r /lib/systemd/system "$root/lib/systemd/"
cp deploy/devmemtop.service "$root/etc/systemd/system/"
printf '#!/bin/sh\n' >"$root/usr/sbin/devmemtop"
chmod 755 "$root/usr/sbin/devmemtop"
unit=/etc/systemd/system/devmemtop.service
# --man=no: the page is checked by tests/install.sh, installed.
out=$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1)
expect "deploy: systemd-analyze verify devmemtop.service" "rc=$? $out" "rc=0 "
# The check above must be able to fail: an unknown key is a warning.
sed 's/^LockPersonality=yes$/&\nLockPersonalty=yes/' deploy/devmemtop.service >"$root$unit"
out=$(systemd-analyze verify --man=no --root="$root" "$unit" 2>&1)
expect "deploy: systemd-analyze verify warns of a misspelt key" \
	"$(grep -c "Unknown key 'LockPersonalty'" <<<"$out")" 1
cp deploy/devmemtop.service "$root$unit"

# Exposure, 0 (locked down) to 10 (unprotected), scaled by ten in
# --threshold. 2.7 is what the unit gets with the capabilities it needs
# (docs/deploy.md#capabilities); more than 3.0 means a protection was lost.
out=$(systemd-analyze security --offline=true --threshold=30 --root="$root" "$unit" 2>&1)
rc=$?
expect "deploy: systemd-analyze security exit status under --threshold=30" $rc 0
expect "deploy: systemd-analyze security exposure" \
	"$(sed -n 's/.*Overall exposure level for devmemtop.service: \([0-9.]*\) .*/\1/p' <<<"$out")" 2.7
systemd-analyze security --offline=true --threshold=20 --root="$root" "$unit" >/dev/null 2>&1
expect "deploy: systemd-analyze security fails a threshold below the score" $? 1
# One list in both settings: the bounding set is what the ambient set may
# hold, and the documented table (docs/deploy.md) names each of them.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' deploy/devmemtop.service)
expect "deploy: AmbientCapabilities= is the bounding set" \
	"$(sed -n 's/^AmbientCapabilities=//p' deploy/devmemtop.service)" "$caps"
expect "deploy: the capabilities kept" "$caps" "CAP_BPF CAP_PERFMON CAP_SYSLOG CAP_SYS_ADMIN"
# The statuses a restart cannot change, by name from docs/exit-codes.md.
expect "deploy: RestartPreventExitStatus= is usage, perm, nothing, no_btf" \
	"$(sed -n 's/^RestartPreventExitStatus=//p' deploy/devmemtop.service)" \
	"$(awk -F' *[|] *' '$3 ~ /^(usage|perm|nothing|no_btf)$/ { printf "%s%s", s, $2; s = " " }' docs/exit-codes.md)"
# Nothing hides what devmemtop reads. systemd 252's ProtectKernelTunables=
# makes /proc/kallsyms inaccessible (its namespace table, not its manual),
# ProtectKernelLogs= takes CAP_SYSLOG, ProcSubset=pid hides kallsyms and
# iomem, ProtectProc= the tenants' /proc/PID.
expect "deploy: no protection that hides kallsyms, iomem or the tenants" \
	"$(grep -E '^(ProtectKernelTunables|ProtectKernelLogs|ProcSubset|ProtectProc)=' deploy/devmemtop.service)" ""
# The host files the session and host layers name, none under a path the
# unit makes inaccessible.
hidden=$(grep -ohE '"/(proc|sys)/[^"%]*"' tools/host/*.c tools/session/*.c | tr -d '"' | sort -u |
	while read -r f; do
		for i in $(sed -n 's/^InaccessiblePaths=//p' deploy/devmemtop.service); do
			i=${i#-}
			case $f in "$i" | "$i"/*) echo "$f";; esac
		done
	done)
expect "deploy: no file devmemtop reads is inaccessible to the unit" "$hidden" ""
# Each capability kept has its row in docs/deploy.md's table.
expect "deploy: docs/deploy.md explains each capability kept" \
	"$(for c in $caps; do grep -c "^| \`$c\` |" docs/deploy.md; done | tr '\n' ' ')" "1 1 1 1 "
# One port everywhere: the one docs/deploy.md chose (node_exporter's own
# target in the rules' tests aside).
port=$(sed -n 's/^## The port: \([0-9]*\)$/\1/p' docs/deploy.md)
expect "deploy: every file of deploy/ that names a port names $port" \
	"$(grep -rhv 'job="node"' deploy | grep -oE '(localhost|127\.0\.0\.1|gpu[0-9]|:)[0-9]{4,5}\b' | grep -oE '[0-9]{4,5}$' | sort -u | tr '\n' ' ')" \
	"$port "
# Loopback unless told otherwise, and the firewall agrees.
expect "deploy: listens on loopback by default" \
	"$(grep -c '^Environment=DEVMEMTOP_LISTEN=127.0.0.1:29464$' deploy/devmemtop.service)" 1
expect "deploy: IP traffic only with localhost by default" \
	"$(grep -E '^IPAddress(Deny|Allow)=' deploy/devmemtop.service | tr '\n' ' ')" \
	"IPAddressDeny=any IPAddressAllow=localhost "

# ---- the web config ----
# The example as docs/deploy.md completes it: a certificate and a bcrypt
# hash made with Debian's tools, then checked by promtool, whose parser is
# the exporter-toolkit's.
web=$tmp/web
mkdir -p "$web"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
	-subj /CN=gpu1 -keyout "$web/devmemtop.key" -out "$web/devmemtop.crt" 2>/dev/null
hash=$(htpasswd -nbBC 10 prometheus 'a password' | cut -d: -f2)
sed -e "s|/etc/devmemscope/tls/|$web/|" -e "s|\"REPLACE-WITH-BCRYPT-HASH\"|'$hash'|" \
	deploy/web-config.yml >"$web/web-config.yml"
expect "deploy: promtool check web-config on the completed example" \
	"$(promtool check web-config "$web/web-config.yml" 2>&1; echo "rc=$?")" \
	"$web/web-config.yml SUCCESS
rc=0"
expect "deploy: htpasswd -B makes a bcrypt hash that checks" \
	"$(echo "prometheus:$hash" >"$web/htpasswd"
	   htpasswd -vb "$web/htpasswd" prometheus 'a password' 2>&1; echo "rc=$?")" \
	"Password for user prometheus correct.
rc=0"
# As shipped, no password opens it: the placeholder is no bcrypt hash.
expect "deploy: the shipped web config holds no usable hash" \
	"$(grep -cE '\$2[aby]\$' deploy/web-config.yml)" 0

# ---- what devmemtop exports ----
# The exposition tests/unit/test_metrics.c holds the exporter to byte for
# byte: its sample names (with _bucket, _sum, _count) and label names are
# the metrics there are. A metric renamed in the exporter changes that
# file, and then the rules or the dashboard fail here.
golden=tests/unit/metrics-expected.prom
grep -v '^#' "$golden" | sed 's/[{ ].*//' | sort -u >"$tmp/metrics"
{ grep -v '^#' "$golden" | grep -o '[{,][a-z_]*="' | tr -d '{,="'
  printf '%s\n' job instance; } | sort -u >"$tmp/labels"
# check_names WHAT FILE: every devmem_ name in the expressions of FILE,
# one a line, is an exported series, and every label they group or match
# on is one of its labels or a target's (job, instance).
check_names() {
	local what=$1 file=$2 unknown
	unknown=$(grep -o 'devmem_[a-z0-9_]*' "$file" | sort -u | comm -23 - "$tmp/metrics")
	expect "deploy: $what name only metrics devmemtop exports" "$unknown" ""
	unknown=$({ grep -oE '(by|without|on|ignoring|group_left|group_right) *\([^)]*\)' "$file" |
		    sed 's/.*(\(.*\))/\1/' | tr ', ' '\n\n'
		    grep -oE '[{,] *[a-z_]+ *(=|!=|=~|!~) *"' "$file" | grep -oE '[a-z_]+'; } |
		  grep . | sort -u | comm -23 - "$tmp/labels")
	expect "deploy: $what use only labels devmemtop's series have" "$unknown" ""
}
# Read right: each family the file declares has its samples in the list.
expect "deploy: every family of the exposition is in the metric list" \
	"$(awk '/^# TYPE/ { print $3 ($4 == "histogram" ? "_bucket" : "") }' "$golden" |
	   sort -u | comm -23 - "$tmp/metrics")" ""

# ---- the alerting rules ----
rules=deploy/prometheus/devmemscope-rules.yml
expect "deploy: promtool check rules" "$(promtool check rules "$rules" 2>&1; echo "rc=$?")" \
	"Checking $rules
  SUCCESS: 6 rules found

rc=0"
expect "deploy: promtool test rules (each alert fires, and is quiet beside)" \
	"$(cd deploy/prometheus && promtool test rules devmemscope-rules.test.yml 2>&1; echo "rc=$?")" \
	"Unit Testing:  devmemscope-rules.test.yml
  SUCCESS

rc=0"
# The tests above must see a broken rule: stuck faults that need 3 threads.
mkdir -p "$tmp/broken"
sed 's/^          > 0$/          > 2/' "$rules" >"$tmp/broken/devmemscope-rules.yml"
cp deploy/prometheus/devmemscope-rules.test.yml "$tmp/broken/"
out=$(cd "$tmp/broken" && promtool test rules devmemscope-rules.test.yml 2>&1)
expect "deploy: promtool test rules fails a broken stuck-fault rule" \
	"rc=$? $(grep -c 'alertname: DevmemStuckFaults' <<<"$out")" "rc=1 1"
expect "deploy: every alert has a test that fires it" \
	"$(grep -oE '^ *- alert: [A-Za-z]+' "$rules" | awk '{ print $3 }' | sort | tr '\n' ' ')" \
	"$(awk '/alertname:/ { a = $2 } /exp_labels:/ && a { print a }' deploy/prometheus/devmemscope-rules.test.yml | sort -u | tr '\n' ' ')"
expect "deploy: every alert has a test where it does not fire" \
	"$(grep -oE '^ *- alert: [A-Za-z]+' "$rules" | awk '{ print $3 }' | sort | tr '\n' ' ')" \
	"$(awk '/alertname:/ { a = $2 } /exp_alerts: \[\]/ { print a }' deploy/prometheus/devmemscope-rules.test.yml | sort -u | tr '\n' ' ')"
/usr/bin/python3 -c '
import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        print(" ".join(r["expr"].split()))
        for v in r.get("annotations", {}).values():
            print(" ".join(v.split()))
' "$rules" >"$tmp/rule-exprs"
check_names "rules" "$tmp/rule-exprs"
expect "deploy: every alert has a severity, a summary and a description" \
	"$(/usr/bin/python3 -c '
import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["groups"]:
    for r in g["rules"]:
        if r["labels"].get("severity") not in ("warning", "critical") or \
           set(r["annotations"]) != {"summary", "description"}:
            print(r["alert"])
' "$rules")" ""

# ---- the scrape configuration ----
# docs/deploy.md shows deploy/prometheus/prometheus-scrape.yml: the same
# text, which promtool accepts with its files put in place.
scrape=deploy/prometheus/prometheus-scrape.yml
expect "deploy: docs/deploy.md shows prometheus-scrape.yml as it is" \
	"$(awk '/^    scrape_configs:$/ { on = 1 } on && !NF { exit } on { print substr($0, 5) }' docs/deploy.md)" \
	"$(grep -v '^#' "$scrape")"
prom=$tmp/prom
mkdir -p "$prom"
cp "$rules" "$web/devmemtop.crt" "$prom/"
echo 'a password' >"$prom/devmemtop.password"
sed -e "s|/etc/prometheus/devmemscope-ca.crt|$prom/devmemtop.crt|" \
    -e "s|/etc/prometheus/devmemtop.password|$prom/devmemtop.password|" \
    -e "s|/etc/prometheus/rules/|$prom/|" "$scrape" >"$prom/prometheus.yml"
expect "deploy: promtool check config on prometheus-scrape.yml" \
	"$(promtool check config "$prom/prometheus.yml" 2>&1; echo "rc=$?")" \
	"Checking $prom/prometheus.yml
  SUCCESS: 1 rule files found
 SUCCESS: $prom/prometheus.yml is valid prometheus config file syntax

Checking $prom/devmemscope-rules.yml
  SUCCESS: 6 rules found

rc=0"
expect "deploy: the scrape job is the one the alerts expect" \
	"$(grep -c '^  - job_name: devmemtop$' "$scrape") $(grep -c 'job="devmemtop"' "$rules")" "1 2"

# ---- the dashboard ----
dash=deploy/grafana/devmemscope.json
expect "deploy: the dashboard is JSON" "$(jq -e . "$dash" >/dev/null 2>&1; echo $?)" 0
expect "deploy: the dashboard has uid, title, schemaVersion, panels" \
	"$(jq -r '[(.uid | type), (.title | type), (.schemaVersion | type), (.panels | type),
		   (.panels | length > 0)] | map(tostring) | join(" ")' "$dash")" \
	"string string number array true"
expect "deploy: the dashboard is templated by datasource, instance, pgmap" \
	"$(jq -r '[.templating.list[].name] | join(" ")' "$dash")" "datasource instance pgmap"
# Rows may hold panels of their own: every object with a gridPos counts.
jq -c '.. | objects | select(has("gridPos") or (has("type") and has("targets")))' "$dash" >"$tmp/panels"
expect "deploy: panel ids are unique" \
	"$(jq -r '.id' "$tmp/panels" | sort | uniq -d | tr '\n' ' ')" ""
expect "deploy: every panel has an id" "$(jq -r 'select(.id | type != "number") | .title' "$tmp/panels")" ""
expect "deploy: every panel has a gridPos inside the 24 columns" \
	"$(jq -r 'select((.gridPos | (.x, .y, .w, .h) | type != "number") or .gridPos.w < 1 or
		  .gridPos.h < 1 or .gridPos.x < 0 or .gridPos.x + .gridPos.w > 24) | .title' "$tmp/panels")" ""
expect "deploy: no two panels overlap" "$(jq -rs '
	[.[] | {t: .title, g: .gridPos}] as $p | [range(0; $p | length) as $i |
	 range($i + 1; $p | length) as $j | $p[$i] as $a | $p[$j] as $b |
	 select($a.g.x < $b.g.x + $b.g.w and $b.g.x < $a.g.x + $a.g.w and
		$a.g.y < $b.g.y + $b.g.h and $b.g.y < $a.g.y + $a.g.h) | "\($a.t) / \($b.t)"] | join(", ")' \
	"$tmp/panels")" ""
expect "deploy: every panel but a row queries the chosen Prometheus" \
	"$(jq -r 'select(.type != "row") | select((.targets | length) == 0 or
		  any(.targets[]; (.expr | type) != "string" or .datasource.uid != "${datasource}"))
		  | .title' "$tmp/panels")" ""
# Every expression, and the selector of each variable's label_values(),
# with Grafana's variables given values, as a recording rule: promtool has
# no expression checker, but it parses a rule's expression.
{ jq -r '.targets[]?.expr' "$tmp/panels"
  jq -r '.templating.list[] | select(.type == "query") | .definition' "$dash" |
	sed 's/^label_values(\(.*\), *[a-z_]*)$/\1/'; } |
	sed -e 's/\$__rate_interval/5m/g' -e 's/\$__interval/1m/g' -e 's/\$__range/1h/g' \
	    -e 's/\$instance/.*/g' -e 's/\$pgmap/.*/g' >"$tmp/dash-exprs"
to_rules() {
	echo 'groups:'
	echo '  - name: dashboard'
	echo '    rules:'
	awk '{ gsub(/\047/, "\047\047"); printf "      - record: dashboard_expr_%d\n        expr: \047%s\047\n", NR, $0 }' "$1"
}
to_rules "$tmp/dash-exprs" >"$tmp/dash-rules.yml"
n=$(grep -c . "$tmp/dash-exprs")
expect "deploy: every dashboard expression parses ($n)" \
	"$(promtool check rules "$tmp/dash-rules.yml" 2>&1 | sed -n 's/^  SUCCESS: //p')" "$n rules found"
# The check must be able to fail: one unbalanced parenthesis.
{ cat "$tmp/dash-exprs"; echo 'sum(rate(devmem_cpu_faults_total[5m])'; } >"$tmp/bad-exprs"
to_rules "$tmp/bad-exprs" >"$tmp/bad-rules.yml"
promtool check rules "$tmp/bad-rules.yml" >/dev/null 2>&1
expect "deploy: an expression that does not parse fails the check" $? 1
expect "deploy: no Grafana variable left in the expressions" "$(grep -c '\$' "$tmp/dash-exprs")" 0
check_names "dashboard" "$tmp/dash-exprs"
# What an SRE looks for: live pages, migrations, faults, teardown waits,
# stuck faults, losses, the processes holding pages.
expect "deploy: the dashboard shows each of the fleet's questions" \
	"$(for m in devmem_pgmap_live_pages devmem_pgmap_capacity_pages devmem_pages_migrated_to_device_total \
		    devmem_pages_migrated_to_system_total devmem_cpu_faults_total \
		    devmem_teardown_wait_seconds devmem_stuck_faults devmem_events_lost_total \
		    devmem_process_held_pages; do grep -q "$m" "$tmp/dash-exprs" || echo "$m"; done)" ""
