#!/bin/sh
# devmemrec around the four workloads while devmemtop watches the same
# events; then devmemreport on the file, a truncated copy, a corrupted copy,
# and the file of a recorder killed with SIGKILL; then devmemrec on a full
# filesystem and on /dev/null. The host checks. Workloads other than the
# first four print their lines prefixed, so "wl=" lines stay those four.
. /scenarios/lib.sh	# bpf_progs_left
# --keep-exited: the last document is compared with the whole recording
devmemtop -j -d 0.5 --keep-exited >/tmp/top.json 2>/dev/null &
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
devmemreport --events /tmp/t.dmt >/tmp/events.txt
echo "events_rc=$?"
echo "events_types=$(sed -E 's/^.*\] +[0-9]+\.[0-9]{6}: ([a-z_]+):.*/\1/' /tmp/events.txt | sort | uniq -c |
	awk '{ printf "%s=%s ", $2, $1 }')"
echo "events_lines=$(wc -l </tmp/events.txt)"
echo "events_sorted=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { print $i; break } }' /tmp/events.txt |
	tr -d : | sort -c -n 2>&1 && echo yes)"
devmemreport --events --stacks /tmp/t.dmt >/tmp/events-stacks.txt
echo "events_stacks_rc=$?"
echo "events_first_init_frames=$(grep -A1 ': page_init: ' /tmp/events-stacks.txt | grep "$(printf '^\t')" |
	head -1 | tr -d '\t') $(grep "$(printf '^\t')" /tmp/events-stacks.txt | sed -n 2p | tr -d '\t')"
devmemreport --events /tmp/t.dmt >/dev/full 2>/tmp/events-full.err
echo "events_full_rc=$?"
echo "events_full_err=$(cat /tmp/events-full.err)"
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
# --pgmap by name, physical start and address: device 0's private pgmap,
# which the private workload used above; the coherent pages of device 2
# in the same command are not recorded.
devmemreport --csv --raw-addresses /tmp/t.dmt |
	awk -F, '$1 == "pgmap" && $3 == "private" && $11 == 64 { print $2, $4, $(NF - 1) }' >/tmp/pg.id
for form in name start address; do
	case $form in
	name) id=$(cut -d' ' -f1 /tmp/pg.id);;
	start) id=$(cut -d' ' -f2 /tmp/pg.id);;
	address) id=$(cut -d' ' -f3 /tmp/pg.id);;
	esac
	devmemrec -o /tmp/pg.dmt --pgmap "$id" -- sh -c 'devmem-wl private 16 0; devmem-wl coherent 8 2' \
		>/tmp/pg.out 2>/tmp/pg.err
	echo "pgmap_filter $form rc=$? id=$id wls=$(grep -c '^wl=' /tmp/pg.out) rows=$(devmemreport --csv /tmp/pg.dmt |
		awk -F, '$1 == "pgmap" && $11 > 0 { printf "%s,%s,%s,%s;", $2, $3, $11, $12 }')"
done
devmemrec -o /tmp/pg.dmt --pgmap nonsense -- true 2>/tmp/pg.err
echo "pgmap_bad_rc=$? $(cat /tmp/pg.err | head -1)"

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
# Devices 0 and 2 have pgmaps from before the recording; device 3's is new.
devmem-wl private 8 0 | sed 's/^/kill_wl: /'
devmem-wl coherent 8 2 | sed 's/^/kill_wl: /'
devmem-wl coherent 8 3 | sed 's/^/kill_wl: /'
sleep 5	# the recorder writes a chunk at least every second
kill -9 $rec
wait $rec 2>/dev/null
echo "--- pgmaps-at-kill"
cat /sys/kernel/debug/devmem/pgmaps
devmemreport --json /tmp/kill.dmt >/tmp/kill.json 2>/dev/null
echo "kill_rc=$?"
echo "--- kill"
cat /tmp/kill.json
echo "--- end"

# A full filesystem: a 256 KiB tmpfs. A small workload first (its records
# make whole chunks), then one that writes far more than fits.
mkdir -p /mnt/small
mount -t tmpfs -o size=256k tmpfs /mnt/small
devmemrec -o /mnt/small/full.dmt -- sh -c 'devmem-wl private 8 0; sleep 4;
	devmem-wl bench 64 100 0' >/tmp/full.out 2>/tmp/full.err
echo "full_rc=$?"
echo "bpf_progs_after_full=$(bpf_progs_left)"
sed 's/^/full_wl: /' /tmp/full.out
echo "--- full stderr"
cat /tmp/full.err
echo "--- end"
echo "full_size=$(stat -c %s /mnt/small/full.dmt)"
devmemreport --json /mnt/small/full.dmt >/tmp/full.json 2>/tmp/full-report.err
echo "full_report_rc=$?"
echo "--- full"
cat /tmp/full.json
echo "--- end"
umount /mnt/small

# -o /dev/null: refused, and /dev/null keeps its mode.
echo "devnull_mode_before=$(stat -c %a /dev/null)"
devmemrec -o /dev/null -- true >/dev/null 2>/tmp/devnull.err
echo "devnull_rc=$?"
echo "devnull_mode_after=$(stat -c %a /dev/null)"
echo "devnull_err=$(cat /tmp/devnull.err)"

# Stopped early: a SIGINT or SIGTERM at any moment, even while the programs
# load (about a second here), ends each tool cleanly. "caught" sends it as
# soon as /proc says the tool catches it; 0.3 s is mid-load on this guest.
# A background job starts with SIGINT ignored, so one sent before the tool
# catches it would be lost: a watchdog turns that hang into a failure.
wait_caught() {	# PID SIGNUM
	n=0
	while [ $n -lt 300 ]; do
		c=$(sed -n 's/^SigCgt:[[:space:]]*//p' /proc/$1/status 2>/dev/null)
		[ -n "$c" ] && [ $(( (0x$c >> ($2 - 1)) & 1 )) -eq 1 ] && return
		sleep 0.01
		n=$((n + 1))
	done
}
early() {	# TOOL SIGNAL SIGNUM WHEN
	rm -f /tmp/early.*
	case $1 in
	rec) devmemrec -o /tmp/early.dmt 2>/tmp/early.err & ;;
	reccmd) devmemrec -o /tmp/early.dmt -- sh -c 'touch /tmp/early.started; sleep 30' \
		2>/tmp/early.err & ;;
	top) devmemtop -j -d 0.5 >/tmp/early.json 2>/tmp/early.err & ;;
	leak) devmemleak -- sh -c 'touch /tmp/early.started; sleep 30' >/tmp/early.err 2>&1 & ;;
	esac
	p=$!
	if [ "$4" = caught ]; then wait_caught $p $3; else sleep $4; fi
	case $1 in
	rec) grep -q 'recording to' /tmp/early.err && ready=1 || ready=0;;
	top) [ -s /tmp/early.json ] && ready=1 || ready=0;;
	reccmd|leak) [ -e /tmp/early.started ] && ready=1 || ready=0;;
	esac
	kill -$2 $p
	(sleep 60; kill -KILL $p 2>/dev/null) &
	dog=$!
	wait $p
	rc=$?
	kill $dog 2>/dev/null
	case $1 in
	rec|reccmd) devmemreport -j /tmp/early.dmt >/tmp/early.rep 2>&1
	     more="report_rc=$? $(grep -o '"complete":[a-z]*' /tmp/early.rep | head -1)";;
	top) more="docs=$(grep -c '^{' /tmp/early.json) last_doc=$(tail -1 /tmp/early.json)";;
	leak) more="interrupted=$(grep -c 'no verdict.*interrupted' /tmp/early.err)";;
	esac
	if [ $1 = reccmd ]; then
		devmemleak -i /tmp/early.dmt >/tmp/early.leak 2>&1
		more="$more leak_i_rc=$? never_ran=$(grep -c 'no verdict: the recorded command never ran' /tmp/early.leak)"
	fi
	echo "early $1 $2 $4 ready=$ready rc=$rc $more"
}
for tool in rec top leak; do
	early $tool INT 2 caught
	early $tool TERM 15 caught
	early $tool INT 2 0.3
	early $tool TERM 15 0.3
done
early reccmd INT 2 caught
echo "bpf_progs_after=$(bpf_progs_left)"
