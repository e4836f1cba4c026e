#!/bin/sh
# devmemleak: no false positives on the clean workloads and a whole
# hmm-tests run; then a real leak from test_hmm's leak injector (last: the
# leaked pages never come back), judged live and from a recording.
for wl in "private 64 0" "longterm 32 2" "cow 16 2" "coherent 32 2"; do
	# shellcheck disable=SC2086
	devmemleak --settle 0.5 -- devmem-wl $wl >/tmp/o 2>&1
	echo "clean_rc=$? $(grep '^devmemleak:' /tmp/o) wl=$(echo $wl | cut -d' ' -f1)"
done
devmemleak --settle 1 -- hmm-tests >/tmp/h 2>&1
echo "hmm_rc=$?"
echo "hmm_verdict=$(grep '^devmemleak:' /tmp/h)"
echo "hmm_totals=$(grep '^# Totals' /tmp/h)"

echo 4 >/sys/module/test_hmm/parameters/leak_every
devmemrec -o /tmp/leak.dmt >/dev/null 2>&1 &
rec=$!
sleep 1
devmemleak --junit /tmp/leak.xml -- devmem-wl coherent 64 3 >/tmp/leak.out 2>&1
echo "leak_rc=$?"
echo 0 >/sys/module/test_hmm/parameters/leak_every
sleep 1.2
kill -INT $rec
wait $rec
echo "--- leak live"
cat /tmp/leak.out
echo "--- junit"
cat /tmp/leak.xml
echo "--- leak offline"
devmemleak -i /tmp/leak.dmt >/tmp/leak.i 2>&1
echo "leak_i_rc=$?"
cat /tmp/leak.i
echo "--- end"
echo dmirror_migrate_to_device >/tmp/suppress
devmemleak -i /tmp/leak.dmt --suppress /tmp/suppress >/tmp/sup.out 2>&1
echo "sup_rc=$?"
echo "sup_verdict=$(grep '^devmemleak:' /tmp/sup.out)"
echo "bpf_progs_after=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')"
