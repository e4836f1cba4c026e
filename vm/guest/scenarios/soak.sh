#!/bin/sh
# Months on a fleet, compressed (tests/vm-soak.sh): devmemtop as an
# exporter (--web.listen-address and --textfile) while a workload makes and destroys a
# pgmap soak_cycles times, soak_pages pages each, in attach mode
# soak_attach (auto unless given). Every interval the guest
# scrapes the endpoint and reads devmemtop's memory and CPU:
#   sample N t=S rss_kb=K hwm_kb=K cpu_ticks=T series=N lower=N
# lower: counter samples lower than in the previous scrape. The last
# scrape follows "--- final".
. /scenarios/lib.sh

cycles=${soak_cycles:-1000}
pages=${soak_pages:-64}
interval=${soak_interval:-1}
ip link set lo up
# No chunk of device 1 left from boot: every cycle makes one pgmap and
# destroys it, so the counts are exactly the cycles.
devmem-wl cycles 1 1 1 >/dev/null
devmemtop --attach="${soak_attach:-auto}" --web.listen-address 127.0.0.1:29464 --textfile /tmp/devmem.prom -d "$interval" \
	>/tmp/top.out 2>/tmp/top.err &
top=$!
n=0
while ! grep -q 'serving metrics' /tmp/top.err && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
cat /tmp/top.err
echo "--- serving"
top_start=$(cut -d' ' -f1 /proc/uptime)
echo "top_start=$top_start"

# Counter samples (_total, _count, _bucket) of a scrape: "series value".
counters() {
	grep -v '^#' "$1" | awk '$1 ~ /(_total|_count|_bucket)(\{|$)/ { print $1, $2 }' | sort
}
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
echo "clk_tck=$hz"
sampler() {
	i=0
	: >/tmp/prev.c
	while [ ! -f /tmp/stop ]; do
		sleep "$interval"
		wget -q -O /tmp/s.prom http://127.0.0.1:29464/metrics || { echo "scrape_failed $i"; continue; }
		counters /tmp/s.prom >/tmp/cur.c
		# a series in both scrapes whose value went down
		lower=$(awk 'NR == FNR { prev[$1] = $2; next }
			     ($1 in prev) && $2 + 0 < prev[$1] + 0 { n++ } END { print n + 0 }' \
			/tmp/prev.c /tmp/cur.c)
		mv /tmp/cur.c /tmp/prev.c
		rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$top/status)
		hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/$top/status)
		# utime, stime: fields 14 and 15, after the ")" that ends comm
		cpu=$(sed 's/.*) //' /proc/$top/stat | awk '{ print $12 + $13 }')
		echo "sample $i t=$(cut -d' ' -f1 /proc/uptime) rss_kb=$rss hwm_kb=$hwm cpu_ticks=$cpu series=$(wc -l </tmp/prev.c) lower=$lower"
		i=$((i + 1))
	done
}
sampler &
sp=$!
sleep $((interval * 3))	# warm-up: the exporter's first intervals
start=$(cut -d' ' -f1 /proc/uptime)
echo "--- workload"
# soak_cycles at least, and on until devmemtop has run 80 s: the flat
# checks (tests/vm-soak.sh) begin after a 65 s warm-up, and a fast host
# runs 1,100 cycles in under a minute. One process, as a driver's.
min_ms=$(awk -v t0="$top_start" '{ d = (t0 + 80 - $1) * 1000; print (d > 0 ? int(d) : 0) }' /proc/uptime)
DEVMEM_WL_MIN_MS=$min_ms devmem-wl cycles "$pages" "$cycles" 1 >/tmp/wl.out
echo "rc=$? $(cat /tmp/wl.out)"
end=$(cut -d' ' -f1 /proc/uptime)
echo "wl_start=$start wl_end=$end"
sleep $((interval * 3))	# the last teardowns shown, their slots back
touch /tmp/stop
wait $sp
echo "--- final"
wget -q -O - http://127.0.0.1:29464/metrics | grep -v '^#'
echo "--- end-final"
kill -INT $top
wait $top
echo "toprc=$?"
echo "--- stderr"
cat /tmp/top.err
echo "--- textfile"
grep -c . /tmp/devmem.prom
exit 0
