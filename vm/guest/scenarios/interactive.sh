#!/bin/sh
# devmemtop full screen on the console port, which the host drives from
# tmux (tests/vm-interactive.sh). A workload loop keeps events flowing.
. /scenarios/lib.sh	# bpf_progs_left
stty -F /dev/ttyS0 rows 40 cols 150
export TERM=xterm
(while :; do devmem-wl private 16 0 >/dev/null; sleep 0.3; done) &
loop=$!
devmemtop -d 0.5 </dev/ttyS0 >/dev/ttyS0 2>/tmp/top.err
rc=$?
kill $loop
wait $loop 2>/dev/null
echo "devmemtop-exit=$rc"
cat /tmp/top.err
echo "bpf_progs_after=$(bpf_progs_left)"
