#!/bin/sh
# devmemrec around the four workloads while devmemtop watches the same
# events; then devmemreport on the file, a truncated copy, a corrupted copy,
# and the file of a recorder killed with SIGKILL. The host checks.
devmemtop -j -d 0.5 >/tmp/top.json 2>/dev/null &
top=$!
n=0
while [ ! -s /tmp/top.json ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
devmemrec -o /tmp/t.dmt -- sh -c 'devmem-wl private 64 0; devmem-wl longterm 32 2;
	devmem-wl cow 16 2; devmem-wl release 8 1' >/tmp/wl.out 2>/tmp/rec.err
echo "rec_rc=$?"
sleep 0.6
kill -INT $top
wait $top
cat /tmp/wl.out
echo "--- rec stderr"
cat /tmp/rec.err
echo "--- end"
echo "file_mode=$(stat -c %a /tmp/t.dmt)"
devmemreport --json /tmp/t.dmt >/tmp/rep.json
echo "report_rc=$?"
echo "--- report"
cat /tmp/rep.json
echo "--- top"
tail -1 /tmp/top.json
echo "--- end"
devmemreport --perfetto /tmp/t.perfetto.json --svg /tmp/t.svg --limit 5 /tmp/t.dmt >/tmp/rep.txt
echo "text_rc=$?"
echo "--- text"
cat /tmp/rep.txt
echo "--- csv"
devmemreport --csv /tmp/t.dmt
echo "--- perfetto"
cat /tmp/t.perfetto.json
echo "--- svg"
cat /tmp/t.svg
echo "--- end"
size=$(stat -c %s /tmp/t.dmt)
head -c $((size - 100)) /tmp/t.dmt >/tmp/cut.dmt
devmemreport --json /tmp/cut.dmt >/tmp/cut.json 2>/tmp/cut.err
echo "cut_rc=$?"
echo "cut_err=$(cat /tmp/cut.err)"
cp /tmp/t.dmt /tmp/bad.dmt
printf 'X' | dd of=/tmp/bad.dmt bs=1 seek=300 conv=notrunc 2>/dev/null
devmemreport /tmp/bad.dmt >/dev/null 2>/tmp/bad.err
echo "bad_rc=$?"
echo "bad_err=$(cat /tmp/bad.err)"
devmemrec -o /tmp/kill.dmt >/dev/null 2>/tmp/kill.err &
rec=$!
n=0	# attached once it says so: loading takes a while under TCG
while ! grep -q 'recording to' /tmp/kill.err && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
devmem-wl private 8 0 >/dev/null
sleep 3	# the recorder writes a chunk at least every second
kill -9 $rec
wait $rec 2>/dev/null
devmemreport --json /tmp/kill.dmt >/tmp/kill.json 2>/dev/null
echo "kill_rc=$?"
echo "--- kill"
cat /tmp/kill.json
echo "--- end"
echo "bpf_progs_after=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')"
