#!/usr/bin/env bash
# devmemtop --listen in the VM, scraped by a real Prometheus (Debian's
# package, a plain process with a temporary config and TSDB) through a
# port qemu forwards from 127.0.0.1. While the guest's workloads run and
# after, PromQL through Prometheus's HTTP API must give exactly the pages
# each workload moved; promtool must find nothing in a scrape; the
# endpoint must answer HEAD, 404, OpenMetrics and survive a client that
# sends nothing; --textfile must hold the same numbers.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
[ -s build/initramfs.cpio.gz ] || { fail "metrics: build" "make failed"; exit 1; }
for tool in prometheus promtool curl jq busybox; do
	command -v $tool >/dev/null || { fail "metrics: $tool is installed" "run make deps"; exit 1; }
done
out=build/vm-metrics

# The options, on this host: wrong ones are refused before anything attaches.
top=build/devmemtop
$top --listen 9464 >/dev/null 2>&1; expect "metrics: --listen without a port is a usage error (2)" $? 2
$top --listen example.org:80 >/dev/null 2>&1; expect "metrics: --listen with a host name is a usage error (2)" $? 2
$top --metrics-max-procs -1 >/dev/null 2>&1; expect "metrics: a negative --metrics-max-procs is a usage error (2)" $? 2
$top --textfile '' >/dev/null 2>&1; expect "metrics: an empty --textfile is a usage error (2)" $? 2
$top --help | grep -q -- '--web.listen-address ADDR:PORT' && $top --help | grep -q -- '--textfile FILE' &&
	$top --help | grep -q -- '--metrics-max-procs N'
expect "metrics: --help lists --web.listen-address, --textfile and --metrics-max-procs" $? 0
# The warning comes before attaching, so this host shows it whatever it can attach.
warned() { timeout 20 $top -n 1 "$@" 2>&1 >/dev/null | grep -c 'warning: .* serves metrics beyond this machine'; }
expect "metrics: 0.0.0.0 without TLS and auth: one warning line" "$(warned --listen 0.0.0.0:0)" 1
expect "metrics: :PORT (loopback) without TLS: no warning" "$(warned --listen :0)" 0
tmp=$(mktemp -d)
mkdir -p "$out" "$tmp/tsdb" "$tmp/www"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# Three free ports on 127.0.0.1: the forward, Prometheus, the "done" signal.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		ss -ltn | grep -q ":$p\b" || { echo $p; return; }
	done
}
fwd=$(free_port) prom=$(free_port) done_port=$(free_port)
busybox httpd -f -p 127.0.0.1:$done_port -h "$tmp/www" &
pids+=($!)
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: devmem
    static_configs:
      - targets: ['127.0.0.1:$fwd']
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address=127.0.0.1:$prom --log.level=warn >"$out/prometheus.log" 2>&1 &
pids+=($!)

log=$out/data.log
rm -f "$log"	# not an old run's: wait_log reads it while the VM boots
for ((i = 0; i < 600; i++)); do ss -ltn | grep -q ":$prom\b" && break; sleep 0.1; done
ss -ltn | grep -q ":$prom\b" || fail "metrics: Prometheus listens on $prom" "not after 60 s"
# Bounded: were the port free after all, this devmemtop could attach here.
msg=$(timeout 20 $top -n 1 --listen 127.0.0.1:$prom 2>&1 >/dev/null); rc=$?
expect "metrics: --listen on a port in use exits 1, before attaching" "$rc" 1
case $msg in
*"Address already in use"*) pass "metrics: and says the address is in use";;
*) fail "metrics: and says the address is in use" "said '$msg'";;
esac
VM_HOSTFWD="tcp:127.0.0.1:$fwd-:9464" VM_APPEND="metrics_done_port=$done_port" \
	vm/run-vm.sh "$(cat build/kernel.dir)" build/initramfs.cpio.gz metrics "$out" 420 &
vm=$!

# wait_log PATTERN SECONDS: until the guest has printed PATTERN
wait_log() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$1" "$log" 2>/dev/null && return 0
		kill -0 $vm 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# q PROMQL: the query's result vector, as compact JSON
q() {
	curl -s --max-time 5 "http://127.0.0.1:$prom/api/v1/query" --data-urlencode "query=$1" |
		jq -c '[.data.result[] | [.metric, (.value[1] | tonumber)]]'
}
# qv PROMQL: the single value of a query that yields one series, or "none"
qv() {
	curl -s --max-time 5 "http://127.0.0.1:$prom/api/v1/query" --data-urlencode "query=$1" |
		jq -r 'if (.data.result | length) == 1 then .data.result[0].value[1] else "none" end'
}
# until_qv PROMQL WANT SECONDS: poll until the value is WANT; print the last
until_qv() {
	local i v
	for ((i = 0; i < $3; i++)); do
		v=$(qv "$1")
		[ "$v" = "$2" ] && break
		sleep 1
	done
	echo "$v"
}

if ! wait_log '^--- serving' 240; then
	fail "metrics: devmemtop in the guest serves /metrics" "$(tail -5 "$log" 2>/dev/null)"
	touch "$tmp/www/done"
	wait $vm
	exit 1
fi
pass "metrics: devmemtop in the guest serves /metrics"
expect "metrics: the guest's eth0 is 10.0.2.15/24" "$(sed -n 's/^net: //p' "$log")" "10.0.2.15/24"
expect "metrics: the exporter runs without a capability (CapEff, CapPrm, CapBnd, CapAmb)" \
	"$(sed -n 's/^top_\(Cap[A-Za-z]*\)=/\1 /p' "$log" | tr '\n' ' ')" \
	"CapEff 0000000000000000 CapPrm 0000000000000000 CapBnd 0000000000000000 CapAmb 0000000000000000 "
expect "metrics: and with no_new_privs" "$(sed -n 's/^top_NoNewPrivs=//p' "$log")" 1
echo "note: CapEff of the shell that started it: $(sed -n 's/^capeff_before=//p' "$log"); of devmemtop serving: $(sed -n 's/^top_CapEff=//p' "$log")"

# The endpoint itself, through the forward, before anything moved.
curl -sS --max-time 10 -D "$tmp/h" -o "$tmp/scrape.prom" "http://127.0.0.1:$fwd/metrics"
expect "metrics: GET /metrics through the forward is 200" "$(head -1 "$tmp/h" | tr -d '\r')" "HTTP/1.1 200 OK"
expect "metrics: the plain scrape is text format 0.0.4" \
	"$(grep -i '^content-type' "$tmp/h" | tr -d '\r')" "Content-Type: text/plain; version=0.0.4; charset=utf-8"
said=$(promtool check metrics <"$tmp/scrape.prom" 2>&1); rc=$?
expect "metrics: promtool check metrics on the VM's scrape: exit 0, nothing said" "$rc:$said" "0:"
cp "$tmp/scrape.prom" "$out/scrape-before.prom"
om=$(curl -s --max-time 10 -D "$tmp/h" -H 'Accept: application/openmetrics-text;version=1.0.0' \
	"http://127.0.0.1:$fwd/metrics")
expect "metrics: OpenMetrics when asked, ending in # EOF" \
	"$(grep -i '^content-type' "$tmp/h" | tr -d '\r') $(echo "$om" | tail -1)" \
	"Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8 # EOF"
expect "metrics: HEAD is 200 with no body" \
	"$(curl -s --max-time 10 -I -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$fwd/metrics")" "200 0"
expect "metrics: another path is 404" \
	"$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fwd/")" "404"
# A client that connects and sends nothing must not stall the scrapes.
exec 7<>/dev/tcp/127.0.0.1/$fwd
t0=$(date +%s%N)
code=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fwd/metrics")
ms=$((($(date +%s%N) - t0) / 1000000))
expect "metrics: a scrape is served while an idle client holds a connection" "$code" 200
echo "note: that scrape took ${ms} ms (TCG guest)"
exec 7>&-

if ! wait_log '^--- workloads-done' 240; then
	fail "metrics: the guest's workloads ran" "$(tail -5 "$log")"
	touch "$tmp/www/done"
	wait $vm
	exit 1
fi
for wl in private coherent longterm release; do
	expect "metrics: workload $wl exit status" \
		"$(grep "wl=$wl " "$log" | grep -o '^rc=[0-9]*' | sort -u | tr '\n' ' ')" "rc=0 "
done
pid_of() { grep "wl=$1 " "$log" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }

expect "metrics: Prometheus scrapes the target (up == 1)" "$(until_qv 'up{job="devmem"}' 1 20)" 1
expect "metrics: devmem_info says tracepoint mode, ABI 2" \
	"$(qv 'devmem_info{attach_mode="tracepoint",abi="2"}')" 1
# Prometheus asks for OpenMetrics first: its metadata says it read ours so.
expect "metrics: Prometheus parsed the OpenMetrics exposition (devmem is an info metric)" \
	"$(curl -s --max-time 5 "http://127.0.0.1:$prom/api/v1/targets/metadata?metric=devmem" |
	   jq -r '[.data[].type] | unique | join(",")')" info
# Exactly the pages each workload moved: per type, per process.
# private: 64 on device 0, then 8 before device 1's memory is released and
# 8 into the pgmap made again after it
expect "metrics: private pages migrated to the device (64 + 8 + 8)" \
	"$(until_qv 'sum by (type) (devmem_pages_migrated_to_device_total{type="private"})' 80 20)" 80
expect "metrics: coherent pages migrated to the device (32 + 16 pinned)" \
	"$(until_qv 'sum by (type) (devmem_pages_migrated_to_device_total{type="coherent"})' 48 20)" 48
expect "metrics: private pages back in system memory (64 faulted, 8 evicted, 8 faulted)" \
	"$(until_qv 'sum(devmem_pages_migrated_to_system_total{type="private"})' 80 10)" 80
# Device 1's pgmap and the one made after its release cover the same range
# (and owner): one series, holding both pgmaps' pages, and not destroyed.
expect "metrics: device 1's series holds the pages of both its pgmaps (8 + 8)" \
	"$(qv 'count(devmem_pages_migrated_to_device_total{type="private"} == 16)')" 1
expect "metrics: and shows the new pgmap (not destroyed)" \
	"$(qv 'sum(devmem_pgmap_destroyed)')" 0
# Names: an info metric to join on, the series themselves by type and range.
expect "metrics: test_hmm's two private pgmaps named in devmem_pgmap_info" \
	"$(qv 'count(devmem_pgmap_info{type="private",driver="test_hmm",device="hmm_dmirror"})')" 2
expect "metrics: pages to the device by driver and device, through the info join" \
	"$(qv 'sum by (driver, device) (devmem_pages_migrated_to_device_total{type="private"} * on (type, pgmap) group_left (driver, device) devmem_pgmap_info)')" 80
expect "metrics: coherent pages moved out: only the 16 the long-term pin took" \
	"$(qv 'sum(devmem_pages_migrated_to_system_total{type="coherent"})')" 16
expect "metrics: long-term pin migrations" "$(qv 'sum(devmem_longterm_pin_migrated_pages_total)')" 16
expect "metrics: CPU faults on private pages" "$(qv 'sum(devmem_cpu_faults_total)')" 72
# 6.12's fault event says nothing of how long a fault took (the 7.3 series
# does): the histogram is there, and empty. tests/unit checks its buckets.
expect "metrics: the fault-latency histogram is empty on 6.12 (+Inf bucket)" \
	"$(qv 'sum(devmem_fault_latency_seconds_bucket{le="+Inf"})')" 0
expect "metrics: and its _count is the +Inf bucket" "$(qv 'sum(devmem_fault_latency_seconds_count)')" 0
for wl in private:64 coherent:32 longterm:16; do
	name=${wl%:*} n=${wl#*:} pid=$(pid_of ${wl%:*})
	expect "metrics: process $name (pid $pid) migrated $n pages to the device" \
		"$(qv "devmem_process_pages_migrated_to_device_total{pid=\"$pid\"}")" "$n"
done
expect "metrics: the private pages were live on the device while the workload held them" \
	"$(qv 'max_over_time(sum(devmem_pgmap_live_pages{type="private"})[10m:500ms])')" 64
expect "metrics: no live pages once the workloads are done" "$(qv 'sum(devmem_pgmap_live_pages)')" 0
expect "metrics: nothing lost" "$(qv 'sum(devmem_events_lost_total)')" 0
before=$(awk '$0 == "--- pgmaps-before-release" { on = 1; next } /^--- / { on = 0 } on' "$log" | awk '$2 == "private" { print $1 }' | sort)
after=$(awk '$0 == "--- pgmaps-after-reuse" { on = 1; next } /^--- / { on = 0 } on' "$log" | awk '$2 == "private" { print $1 }' | sort)
echo "note: private pgmap addresses before the release: $(echo $before); after: $(echo $after)"
# resets() drops the name, so one query per counter family.
counters=$(sed -n 's/^# TYPE \(devmem_[a-z_]*_total\) counter$/\1/p' "$tmp/scrape.prom")
resets=0 families=0
for c in $counters; do
	r=$(qv "sum(resets($c[10m]))")
	[ "$r" = 0 ] || { resets="$resets $c=$r"; }
	families=$((families + 1))
done
expect "metrics: no counter went down in any series over the run ($families families)" "$resets" 0
curl -s --max-time 10 -o "$tmp/scrape.prom" "http://127.0.0.1:$fwd/metrics"
cp "$tmp/scrape.prom" "$out/scrape-after.prom"
said=$(promtool check metrics <"$tmp/scrape.prom" 2>&1); rc=$?
expect "metrics: promtool check metrics after the workloads: exit 0, nothing said" "$rc:$said" "0:"
q 'sum by (type) (devmem_pages_migrated_to_device_total)' >"$out/promql-to-device.json"

touch "$tmp/www/done"	# the guest stops devmemtop and prints the textfile
wait $vm
expect "metrics: guest ran the scenario" $? 0
section() { awk -v h="$1" '$0 == h { on = 1; next } /^--- / { on = 0 } on' "$log"; }
expect "metrics: devmemtop exits 0 on SIGINT" "$(grep -o '^toprc=[0-9]*' "$log" | cut -d= -f2)" 0
expect "metrics: the textfile is removed on SIGINT" "$(sed -n 's/^textfile_after_sigint=//p' "$log")" removed
expect "metrics: written, then removed on SIGTERM (exit 0)" \
	"$(sed -n 's/^term_written=//p' "$log") $(sed -n 's/^term_rc=//p' "$log")" \
	"/tmp/term.prom 0 textfile_after_sigterm=removed"
expect "metrics: removed at the end of -n 3 (exit 0)" "$(sed -n 's/^n_rc=//p' "$log")" "0 textfile_after_n=removed"
# kprobe mode: CAP_PERFMON kept, and used where the driver's fault
# callback takes a kprobe (not notrace): hooked after the drop.
expect "metrics: in kprobe mode the exporter keeps CAP_PERFMON only" "$(sed -n 's/^kp_CapEff=//p' "$log")" 0000004000000000
kp=$(sed -n 's/^kp_json=//p' "$log")
echo "note: kprobe mode: serving after $(sed -n 's/^kp_serving_after_ds=//p' "$log") ds, $(sed -n 's/^kp_docs=//p' "$log") documents"
expect "metrics: without -b or -j an exporter prints nothing on stdout" \
	"$(sed -n 's/^--- stdout-bytes //p' "$log")" 0
section "--- textfile" >"$out/textfile.prom"
said=$(promtool check metrics <"$out/textfile.prom" 2>&1); rc=$?
expect "metrics: promtool check metrics on the --textfile output: exit 0, nothing said" "$rc:$said" "0:"
expect "metrics: the textfile has the same private pages migrated" \
	"$(awk '/^devmem_pages_migrated_to_device_total\{type="private"/ { s += $NF } END { print s + 0 }' "$out/textfile.prom")" 80
expect "metrics: no temporary textfile left behind" "$(grep -c 'temporary file was left' "$log")" 0
expect "metrics: a symlink planted at FILE.tmp is replaced, not written through" \
	"$(sed -n 's/^victim=//p' "$log")" keep
expect "metrics: --textfile in a missing directory exits 1 at the first interval" \
	"$(sed -n 's/^badtextfile_rc=//p' "$log")" 1
case $(grep '^badtextfile_msg=' "$log") in
*"/nonexistent/devmem.prom.tmp: No such file or directory"*) pass "metrics: and names the file and why";;
*) fail "metrics: and names the file and why" "$(grep '^badtextfile_msg=' "$log")";;
esac
