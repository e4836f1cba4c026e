#!/bin/sh
# The main job: the device-memory workloads under devmemtop. It runs in
# batch mode beside them and prints a report every two seconds: pgmaps
# with live pages and migrations, and the processes behind them.
# debugfs zone_device/pgmaps on 7.3 (kpatches/), devmem/pgmaps on 6.12
for f in /sys/kernel/debug/zone_device/pgmaps /sys/kernel/debug/devmem/pgmaps; do
	[ -r $f ] || continue
	echo "pgmaps at boot ($f):"
	cat $f
done
echo
devmemtop -b -d 2 &
top=$!
sleep 2
for wl in "private 64 0" "longterm 32 2" "cow 16 2" "thp 4 0" "release 8 1"; do
	# shellcheck disable=SC2086
	DEVMEM_WL_MIDWAY="sleep 2" devmem-wl $wl
	sleep 1
done
sleep 2
kill -INT $top
wait $top
