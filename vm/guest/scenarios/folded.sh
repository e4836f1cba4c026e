#!/bin/sh
# Folded stacks (docs/folded.md) of a real leak: test_hmm's leak injector
# keeps every 4th page of 64 coherent ones, judged live by devmemleak
# --folded while devmemrec records; then devmemleak -i --folded and
# devmemreport --folded on the recording, and a recording without stacks.
# The host checks the files and opens the leak in speedscope.
. /scenarios/lib.sh	# wait_recording
echo 4 >/sys/module/test_hmm/parameters/leak_every
devmemrec -o /tmp/leak.dmt >/dev/null 2>/tmp/rec.err &
rec=$!
wait_recording /tmp/rec.err
devmemleak --folded /tmp/leak.folded -- devmem-wl coherent 64 3 >/tmp/leak.out 2>&1
echo "leak_rc=$?"
echo 0 >/sys/module/test_hmm/parameters/leak_every
sleep 1.2
kill -INT $rec
wait $rec
echo "--- leak live"
cat /tmp/leak.out
echo "--- folded live"
cat /tmp/leak.folded
echo "--- folded offline"
devmemleak -i /tmp/leak.dmt --folded /tmp/leak-i.folded >/dev/null 2>&1
echo "leak_i_rc=$?"
cat /tmp/leak-i.folded
echo "--- folded report"
devmemreport --folded - /tmp/leak.dmt
echo "report_rc=$?"
echo "--- folded nostack"
devmemrec --no-stacks -o /tmp/ns.dmt -- devmem-wl private 8 0 >/tmp/ns.out 2>&1
echo "ns_rec_rc=$?"
cat /tmp/ns.out
devmemreport --folded - /tmp/ns.dmt
echo "ns_report_rc=$?"
echo "--- end"
