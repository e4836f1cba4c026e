#!/bin/sh
# A teardown that hangs, and one that does not (docs/teardown.md), in one
# attach mode (teardown_mode=tracepoint|fentry|kprobe):
#  1. a clean release of device 0's memory under devmemtop: it ends;
#  2. test_hmm's leak injector keeps every 4th device page of device 1:
#     `devmem-wl release 64 1` then hangs in memunmap_pages() for 16 pages,
#     under devmemleak --timeout, while devmemrec records and devmemtop
#     watches;
#  3. devmemtop started after the hang began.
# The hang never ends: it comes last in the boot. Sections as in k73.sh.
. /scenarios/lib.sh	# wait_doc, wait_recording, bpf_progs_left
mode=${teardown_mode:-tracepoint}
echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
load_extra_modules	# Debian's stock kernel: test_hmm.ko with the leak injector

devmemrec --attach=$mode -o /tmp/td.dmt >/dev/null 2>/tmp/rec.err &
rec=$!
wait_recording /tmp/rec.err
devmemtop -j -d 0.5 --stall 2 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
top=$!
wait_doc /tmp/top.json

# 1. A clean release: its teardown begins and ends.
devmemleak --attach=$mode --timeout 60 -- devmem-wl release 32 0 >/tmp/clean.out 2>&1
clean_rc=$?
echo "=== clean"
echo "clean_rc=$clean_rc"
echo "owner_chunks_after=$(owner_chunks)"	# the pgmap is gone: its chunks too
cat /tmp/clean.out
sleep 1.2
echo "--- top"
tail -1 /tmp/top.json
echo "--- end"

# 2. The hang: 16 of 64 pages leaked, the release waits for them forever.
echo 4 >/sys/module/test_hmm/parameters/leak_every
t0=$(date +%s)
devmemleak --attach=$mode --timeout 20 --stall 2 -- devmem-wl release 64 1 >/tmp/hang.out 2>&1
rc=$?
t1=$(date +%s)
echo 0 >/sys/module/test_hmm/parameters/leak_every
echo "=== hang"
echo "owner_chunks_held=$(owner_chunks)"	# the leaked pages' chunks stay
echo "hang_rc=$rc hang_s=$((t1 - t0))"
echo "wl_pid=$(pidof devmem-wl)"
echo "wl_state=$(awk '{ print $3 }' /proc/$(pidof devmem-wl)/stat)"
cat /tmp/hang.out
echo "--- end"
sleep 3	# devmemtop's stall threshold is 2 s
kill -INT $top
wait $top
echo "=== top"
echo "top_rc=$?"
tail -1 /tmp/top.json
echo "--- errors"
cat /tmp/top.err
echo "--- end"
kill -INT $rec
wait $rec
echo "=== record"
echo "rec_rc=$?"
devmemreport --json --stall 2 /tmp/td.dmt
echo "report_json_rc=$?"
devmemreport --stall 2 /tmp/td.dmt >/tmp/report.txt
echo "report_rc=$?"
cat /tmp/report.txt
echo "--- end"

# 3. Started after the hang: the task is found by its stack.
devmemtop -j -n 1 -d 0.5 --stall 2 --attach=$mode >/tmp/late.json 2>/tmp/late.err
echo "=== late"
echo "late_rc=$?"
tail -1 /tmp/late.json
cat /tmp/late.err
devmemtop -b -n 1 -d 0.5 --stall 2 --attach=$mode >/tmp/late.txt 2>&1
echo "late_text_rc=$?"
echo "--- text"
cat /tmp/late.txt
echo "--- end"
echo "bpf_progs_after=$(bpf_progs_left)"
dmesg | grep -E 'BUG:|Oops|WARNING:' | head -5
exit 0
