#!/bin/sh
for mode in fentry tracepoint kprobe; do
devmemtop -j -d 0.5 --attach=$mode >/tmp/top.json 2>/dev/null &
top=$!
sleep 4
devmem-wl threads 128 3 4 | cut -c 1-120; echo rc=$?
sleep 1
kill -INT $top; wait $top
tail -1 /tmp/top.json | tr ',' '\n' | grep -E '"(inits|to_device|to_system|faults)"' | tr '\n' ' '; echo
done
