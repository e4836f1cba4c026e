#!/bin/sh
# devmemleak: no false positives on the clean workloads and a whole
# hmm-tests run; the command's own status (false, exit 3, a signal, a
# command that cannot start); another job's pages shown apart; a late free
# by a lingering child; then a real leak from test_hmm's leak injector
# (last: the leaked pages never come back), judged live and from a recording.
. /scenarios/lib.sh	# bpf_progs_left
for wl in "private 64 0" "longterm 32 2" "cow 16 2" "coherent 32 2"; do
	# shellcheck disable=SC2086
	devmemleak --settle 0.5 -- devmem-wl $wl >/tmp/o 2>&1
	echo "clean_rc=$? $(grep '^devmemleak:' /tmp/o | head -1) wl=$(echo $wl | cut -d' ' -f1)"
done
devmemleak --settle 1 -- hmm-tests >/tmp/h 2>&1
echo "hmm_rc=$?"
echo "hmm_verdict=$(grep '^devmemleak:' /tmp/h | head -1)"
echo "hmm_totals=$(grep '^# Totals' /tmp/h)"

# stdout is the command's alone: the report goes to stderr.
devmemleak -- sh -c 'echo out-line; devmem-wl private 16 0 >/dev/null; echo err-line >&2' \
	>/tmp/so.out 2>/tmp/so.err
echo "stdout_rc=$?"
echo "stdout_is=$(wc -c </tmp/so.out) $(tr '\n' '|' </tmp/so.out)"
echo "stderr_cmd=$(grep -c '^err-line$' /tmp/so.err)"
echo "stderr_verdict=$(grep '^devmemleak:' /tmp/so.err)"

# The command's status, when there is a verdict; 24 when it never ran.
devmemleak -- /nonexistent >/tmp/c 2>&1
echo "nonexistent_rc=$?"
echo "--- nonexistent"; cat /tmp/c
devmemleak -- false >/tmp/c 2>&1
echo "false_rc=$?"
echo "--- false"; cat /tmp/c
devmemleak -- sh -c 'devmem-wl private 16 0 >/dev/null && exit 3' >/tmp/c 2>&1
echo "exit3_rc=$?"
echo "--- exit3"; cat /tmp/c
devmemleak -- sh -c 'kill -9 $$' >/tmp/c 2>&1
echo "kill9_rc=$?"
echo "--- kill9"; cat /tmp/c

# Two jobs: another one takes 48 pages of device 1 while the command runs
# and still holds them when it ends; the command's own 32 come back.
rm -f /tmp/go /tmp/held
(
	while [ ! -e /tmp/go ]; do sleep 0.1; done
	DEVMEM_WL_MIDWAY="touch /tmp/held; sleep 8" devmem-wl hold 48 1
) >/tmp/other.out 2>&1 &
other=$!
devmemleak -- sh -c 'touch /tmp/go; while [ ! -e /tmp/held ]; do sleep 0.1; done; devmem-wl private 32 0' \
	>/tmp/c 2>&1
echo "twojobs_rc=$?"
wait $other
echo "--- twojobs"; cat /tmp/c
echo "other_job: $(grep '^held ' /tmp/other.out)"

# A late free: the command exits, its child frees the pages 1.5 s later.
devmemleak --settle 10 -- devmem-wl linger 32 0 >/tmp/c 2>&1
echo "linger_rc=$?"
echo "--- linger"; cat /tmp/c

echo 4 >/sys/module/test_hmm/parameters/leak_every
devmemrec -o /tmp/leak.dmt >/dev/null 2>/tmp/rec.err &
rec=$!
wait_recording /tmp/rec.err
devmemleak --junit /tmp/leak.xml -- devmem-wl coherent 64 3 >/tmp/leak.out 2>&1
echo "leak_rc=$?"
sleep 1.2
kill -INT $rec
wait $rec
devmemleak --error-exitcode=42 --json --log-file /tmp/leak42.json -- devmem-wl coherent 16 3 \
	>/tmp/leak42.out 2>/tmp/leak42.err
echo "leak42_rc=$?"
echo 0 >/sys/module/test_hmm/parameters/leak_every
echo "--- leak live"
cat /tmp/leak.out
echo "--- junit"
cat /tmp/leak.xml
echo "--- leak42"
cat /tmp/leak42.json
echo "--- leak42 stdout"
cat /tmp/leak42.out
echo "--- leak42 stderr"
cat /tmp/leak42.err
echo "--- leak offline"
devmemleak -i /tmp/leak.dmt >/tmp/leak.i 2>&1
echo "leak_i_rc=$?"
cat /tmp/leak.i
echo "--- end"
devmemleak -i /tmp/leak.dmt --error-exitcode 42 >/dev/null 2>&1
echo "leak_i42_rc=$?"
echo dmirror_migrate_to_device >/tmp/suppress
devmemleak -i /tmp/leak.dmt --suppress /tmp/suppress >/tmp/sup.out 2>&1
echo "sup_rc=$?"
echo "sup_verdict=$(grep '^devmemleak:' /tmp/sup.out | head -1)"
# The matching line after 100 that match nothing: every line counts.
i=0
while [ $i -lt 100 ]; do echo "no_such_function_$i"; i=$((i + 1)); done >/tmp/suppress101
echo dmirror_migrate_to_device >>/tmp/suppress101
devmemleak -i /tmp/leak.dmt --suppress /tmp/suppress101 >/tmp/sup.out 2>&1
echo "sup101_rc=$?"
echo "sup101_verdict=$(grep '^devmemleak:' /tmp/sup.out | head -1)"
echo "bpf_progs_after=$(bpf_progs_left)"
