#!/bin/sh
# devmemtop as a Prometheus exporter (tests/vm-metrics.sh):
# --web.listen-address on 0.0.0.0:$metrics_port, over TLS with basic auth
# from a --web.config.file the host serves (certificate, key, bcrypt hash),
# which qemu forwards to a host port where a real Prometheus scrapes it,
# and --textfile at the same time. Workloads run while it serves; then the
# guest keeps serving until the host says it is done
# (http://10.0.2.2:$metrics_done_port/done exists) or 120 s pass.
. /scenarios/lib.sh
host=http://10.0.2.2:${metrics_done_port:-0}
port=${metrics_port:?the host passes metrics_port}

ip link set lo up
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
echo "net: $(ip -o -4 addr show dev eth0 2>&1 | awk '{print $4}')"
# One packet to the host first: qemu's user network learns the guest's MAC
# from it, and until then drops what a forwarded connection sends here.
wget -q -O /dev/null "$host/" 2>/dev/null
mkdir -p /etc/devmem
for f in cert.pem key.pem web.yml; do
	wget -q -O /etc/devmem/$f "$host/$f" || echo "fetch_failed=$f"
done

# A link planted where the temporary file goes must not be written through.
echo keep >/tmp/victim
ln -s /tmp/victim /tmp/devmem.prom.tmp
# --keep-exited: the host queries each workload's series after it exited
echo "capeff_before=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)"
devmemtop --web.listen-address 0.0.0.0:$port --web.config.file /etc/devmem/web.yml \
	--textfile /tmp/devmem.prom -d 0.5 --keep-exited >/tmp/top.out 2>/tmp/top.err &
top=$!
n=0
while ! grep -q 'serving metrics' /tmp/top.err && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
cat /tmp/top.err
for k in CapEff CapPrm CapBnd CapAmb NoNewPrivs; do
	echo "top_$k=$(sed -n "s/^$k:[[:space:]]*//p" /proc/$top/status)"
done
echo "--- serving"
# Let Prometheus see the counters at zero before anything moves, and the
# host check the endpoint and start its bad clients (it makes "go").
sleep 3
n=0
until wget -q -O /dev/null "$host/go" 2>/dev/null || [ $n -ge 1800 ]; do
	sleep 0.1
	n=$((n + 1))
done
echo "host_go_after_ds=$n"

run() {
	DEVMEM_WL_MIDWAY="sleep 3" "$@" >/tmp/wl.out	# 3 scrapes see the peak
	echo "rc=$? $(cat /tmp/wl.out)"
}
echo "--- workloads"
run devmem-wl private 64 0
run devmem-wl coherent 32 2
run devmem-wl longterm 16 3
# device 1's memory torn down, then used again: a new pgmap, maybe at the
# dead one's address and range; no counter may go down
echo "--- pgmaps-before-release"
cat $pgmaps
run devmem-wl release 8 1
run devmem-wl private 8 1
echo "--- pgmaps-after-reuse"
cat $pgmaps
sleep 1	# one more interval, so the last numbers are in the exposition
echo "--- workloads-done"

n=0
until wget -q -O /dev/null "$host/done" 2>/dev/null ||
      [ $n -ge 1200 ]; do
	sleep 0.1
	n=$((n + 1))
done
echo "host_done_after_ds=$n"
cp /tmp/devmem.prom /tmp/last.prom
kill -INT $top
wait $top
echo "toprc=$?"
# Gone with devmemtop, so that node_exporter serves no stale numbers.
echo "textfile_after_sigint=$(ls /tmp/devmem.prom 2>/dev/null || echo removed)"
echo "--- stderr"
cat /tmp/top.err
echo "--- stdout-bytes $(wc -c </tmp/top.out)"
echo "--- textfile"
cat /tmp/last.prom
echo "--- end"
ls /tmp/devmem.prom.tmp 2>/dev/null && echo "a temporary file was left behind"
echo "victim=$(cat /tmp/victim)"
msg=$(devmemtop --textfile /nonexistent/devmem.prom -d 0.2 -n 2 2>&1 >/dev/null)
echo "badtextfile_rc=$?"
echo "badtextfile_msg=$(echo "$msg" | tail -1)"
# The textfile goes on SIGTERM and at the end of -n too.
devmemtop --textfile /tmp/term.prom -d 0.2 >/dev/null 2>&1 &
term=$!
n=0
while [ ! -e /tmp/term.prom ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
echo "term_written=$(ls /tmp/term.prom 2>/dev/null || echo never)"
kill -TERM $term
wait $term
echo "term_rc=$? textfile_after_sigterm=$(ls /tmp/term.prom 2>/dev/null || echo removed)"
devmemtop --textfile /tmp/n.prom -d 0.2 -n 3 >/dev/null 2>&1
echo "n_rc=$? textfile_after_n=$(ls /tmp/n.prom 2>/dev/null || echo removed)"
# The kprobe mode keeps CAP_PERFMON: a driver's fault callback is hooked
# with a kprobe when it is first seen, after the drop, where it can be.
devmemtop --attach kprobe --web.listen-address 127.0.0.1:$port -j -d 0.5 >/tmp/kp.json 2>/tmp/kp.err &
kp=$!
n=0
while ! grep -q 'serving metrics' /tmp/kp.err && [ $n -lt 1800 ]; do sleep 0.1; n=$((n + 1)); done
echo "kp_serving_after_ds=$n"
echo "kp_CapEff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$kp/status)"
echo "perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)"
# (not if the callback is notrace: then no kprobe can be put on it)
echo "kp_hookable=$(awk '$1 == "dmirror_devmem_fault" { f = 1 } END { print f ? "yes" : "no" }' \
	/sys/kernel/tracing/available_filter_functions 2>/dev/null)"
devmem-wl private 8 0 >/dev/null
echo "kp_wl_rc=$?"
sleep 1.5
kill -INT $kp
wait $kp
echo "kp_rc=$?"
echo "kp_docs=$(wc -l </tmp/kp.json)"
sed 's/^/kp_err: /' /tmp/kp.err
echo "kp_json=$(tail -1 /tmp/kp.json)"
exit 0
