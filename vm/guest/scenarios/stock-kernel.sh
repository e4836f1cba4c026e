#!/bin/sh
# On a stock kernel (no devmem tracepoints, maybe no device memory at all):
# devmemtop must say what it can and cannot do, exit with a documented
# code and not crash, whichever way probing goes.
. /scenarios/lib.sh	# bpf_progs_left
echo "kernel=$(uname -r)"
echo "btf=$([ -r /sys/kernel/btf/vmlinux ] && echo yes || echo no)"
devmemtop -b -n 1 -d 0.5 >/tmp/out 2>/tmp/err
echo "text_rc=$?"
echo "--- text stderr"
cat /tmp/err
echo "--- text stdout"
cat /tmp/out
echo "--- json"
devmemtop -j -n 1 -d 0.5 2>/dev/null
echo "json_rc=$?"
echo "--- kprobe json"
devmemtop -j -n 1 -d 0.5 --attach=kprobe 2>/dev/null
echo "kprobe_rc=$?"
echo "--- end"
echo "bpf_progs_after=$(bpf_progs_left)"
