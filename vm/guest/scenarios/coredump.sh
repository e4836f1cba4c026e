#!/bin/sh
# A release stuck in memunmap_pages() for devmemcore (tests/vm-coredump.sh):
# test_hmm's leak injector keeps every 4th of 64 pages of device 1, the
# release waits for the 16. devmemtop -j shows it; then the host dumps the
# guest (vm/qemu-dump.py) on the line "=== dump" and answers on ttyS2.
. /scenarios/lib.sh	# load_extra_modules
echo "kernel=$(uname -r)"
load_extra_modules
echo 4 >/sys/module/test_hmm/parameters/leak_every
devmem-wl release 64 1 >/tmp/wl.out 2>&1 &
wl=$!
i=0
while [ $i -lt 300 ] && [ "$(awk '{ print $3 }' /proc/$wl/stat)" != D ]; do
	sleep 0.2
	i=$((i + 1))
done
echo 0 >/sys/module/test_hmm/parameters/leak_every
echo "=== top"
echo "wl_pid=$wl wl_state=$(awk '{ print $3 }' /proc/$wl/stat)"
devmemtop -j -n 1 -d 0.5 --stall 2 >/tmp/late.json 2>/tmp/late.err
echo "top_rc=$?"
tail -1 /tmp/late.json
cat /tmp/late.err
echo "--- end"
stty -F /dev/ttyS2 -echo 2>/dev/null
echo "=== dump"
read -r answer </dev/ttyS2
echo "host=$answer"
exit 0
