#!/bin/sh
# The struct page walk (docs/pagewalk.md), on the patched 7.3 kernel and on
# Debian's stock one (test_hmm from /lib/modules-extra, loaded here): every
# pgmap walked at devmemtop's start, with nothing in use after clean runs,
# exactly the pages a workload holds, the same when the walk is cut into
# runs of 1000 steps; last (it never ends), a coherent device whose release
# hangs in memunmap_pages() on folios test_hmm's leak injector keeps, where
# the kernel has the injector. The host (tests/vm-pagewalk.sh) checks.
. /scenarios/lib.sh
echo "kernel=$(uname -r)"
load_extra_modules
top() { devmemtop -j -n 1 -d 0.3 "$@" 2>/tmp/top.err; }

# Clean runs on every device: private 0 and 1, coherent 2 and 3.
devmem-wl private 64 0 >/dev/null
devmem-wl private 64 1 >/dev/null
devmem-wl coherent 32 2 >/dev/null
devmem-wl coherent 32 3 >/dev/null
echo "=== clean"
DEVMEM_PAGEWALK_DEBUG=1 top >/tmp/clean.json
echo "top_rc=$?"
tail -1 /tmp/clean.json
echo "--- errors"
cat /tmp/top.err
echo "--- iomem"
cat /proc/iomem
echo "la57=$(grep -c la57 /proc/cpuinfo)"
grep -w vmemmap_base /proc/kallsyms
echo "--- end"

# 5000 pages held on device 0: more folios than one run's buffer (4096).
# devmemtop from before the workload counts every page it hands out and
# frees: at the end, the live count the late walk must equal.
cat >/tmp/hold.sh <<'HOLD'
sleep 2	# let it settle: the check needs a quiet window
# The early devmemtop's documents can lag the workload under TCG: wait
# until its last two agree on the inits and frees, before taking one.
last= n=0
while [ $n -lt 150 ]; do
	cur=$(tail -1 /tmp/early.json | grep -oE '"(inits|frees)":[0-9]+' | awk -F: '{ s += $2 } END { print s + 0 }')
	[ "$cur" != 0 ] && [ "$cur" = "$last" ] && break
	last=$cur
	sleep 0.4
	n=$((n + 1))
done
tail -1 /tmp/early.json >/tmp/early-before.json
for f in /sys/kernel/debug/zone_device/pgmaps /sys/kernel/debug/devmem/pgmaps; do
	[ -r $f ] && cat $f >/tmp/hold-debugfs
done
devmemtop -j -n 1 -d 0.3 >/tmp/hold.json 2>/dev/null
echo "top_rc=$?" >/tmp/hold.rc
DEVMEM_PAGEWALK_STEPS=1000 devmemtop -j -n 1 -d 0.3 >/tmp/hold-cut.json 2>/dev/null
echo "cut_rc=$?" >>/tmp/hold.rc
sleep 0.6
tail -1 /tmp/early.json >/tmp/early-after.json
HOLD
devmemtop -j -d 0.2 >/tmp/early.json 2>/dev/null &
early=$!
wait_doc /tmp/early.json
DEVMEM_WL_MIDWAY="sh /tmp/hold.sh" devmem-wl hold 5000 0 >/tmp/hold.out 2>&1
rc=$?
kill -INT $early
wait $early
echo "early_rc=$?" >>/tmp/hold.rc
echo "=== hold"
echo "wl_rc=$rc"
cat /tmp/hold.out /tmp/hold.rc
echo "--- top"
tail -1 /tmp/hold.json
echo "--- cut"
tail -1 /tmp/hold-cut.json
echo "--- early-before"
cat /tmp/early-before.json
echo "--- early-after"
cat /tmp/early-after.json
echo "--- debugfs"
cat /tmp/hold-debugfs 2>/dev/null
echo "--- end"

le=/sys/module/test_hmm/parameters/leak_every
if [ ! -w $le ]; then
	echo "leak_injector=no"
	exit 0
fi
echo "leak_injector=yes"
# Leaks on device 3 (coherent, at spm_addr_dev0), which nothing after needs: leak_every=2 over
# 2 THPs keeps the second (512 pages), then 4 over 64 pages (device folios
# 3 to 66 of the count) keeps 4, 8, ... 64: 16 pages. 528 pages, 17 folios.
echo 2 >$le
devmem-wl thp 2 3 >/tmp/leak-thp.out 2>&1
echo "thp_rc=$?"
echo 4 >$le
devmem-wl coherent 64 3 >/tmp/leak-coh.out 2>&1
echo "coherent_rc=$?"
echo 0 >$le
cat /tmp/leak-thp.out /tmp/leak-coh.out
# A private THP on device 1, kept whole (leak_every=1: the one folio):
# faulting it back can never finish, so the workload is killed.
echo 1 >$le
devmem-wl thp 1 1 >/tmp/leak-pthp.out 2>&1 &
pthp=$!
sleep 4
kill -9 $pthp
wait $pthp
echo 0 >$le
cat /tmp/leak-pthp.out
devmem-wl release 8 1 >/tmp/release1.out 2>&1 &
rel1=$!
# The release evicts what it can, then waits in memunmap_pages() for good.
devmem-wl release 8 3 >/tmp/release.out 2>&1 &
rel=$!
i=0
while [ $i -lt 60 ] && [ "$(cat /proc/$rel/wchan 2>/dev/null)" != memunmap_pages ]; do
	sleep 0.5
	i=$((i + 1))
done
echo "=== hang"
echo "release_wchan=$(cat /proc/$rel/wchan 2>/dev/null)"
echo "release_state=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' /proc/$rel/status)"
echo "release1_wchan=$(cat /proc/$rel1/wchan 2>/dev/null)"
t0=$(date +%s)
top >/tmp/hang.json
echo "top_rc=$?"
devmemtop -b -n 1 -d 0.3 >/tmp/hang.txt 2>&1
echo "text_rc=$?"
echo "top_seconds=$(($(date +%s) - t0))"
echo "--- top"
tail -1 /tmp/hang.json
echo "--- text"
cat /tmp/hang.txt
echo "--- end"
exit 0
