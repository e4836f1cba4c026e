#!/bin/sh
# The main job: the device-memory workloads under devmemtop. It runs in
# batch mode beside them and prints a report every two seconds: pgmaps
# with live pages and migrations, and the processes behind them.
echo "pgmaps at boot (debugfs devmem/pgmaps):"
cat /sys/kernel/debug/devmem/pgmaps
echo
devmemtop -b -d 2 &
top=$!
sleep 2
for wl in "private 64 0" "longterm 32 2" "cow 16 2" "release 8 1"; do
	# shellcheck disable=SC2086
	DEVMEM_WL_MIDWAY="sleep 2" devmem-wl $wl
	sleep 1
done
sleep 2
kill -INT $top
wait $top
