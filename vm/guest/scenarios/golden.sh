#!/bin/sh
# The same-output check (scripts/same-output.sh): one fixed sequence of
# workloads under every tool, in each attach mode of golden_modes= (default
# tracepoint; "_" between modes), and what each tool printed, kept as files.
# The host boots this once with each set of binaries and compares the files.
#
# Per mode, /tmp/golden/MODE/ gets:
#   top-start.json   devmemtop -j's document once it settled, before any workload
#   top-during.json  the same devmemtop's document while `devmem-wl private`
#                    waits in its midway hook, the pages on the device
#   top-late.json    devmemtop -j -n 2 started in that hook (the walk at start)
#   top-before-release.json  its document before `devmem-wl release`
#   top-end.json     the document devmemtop prints when stopped, after all
#   top-after.json   devmemtop -j -n 1 started after all (the leaked pages)
#   leak-clean.out   devmemleak around a clean workload
#   leak-leaky.*     devmemleak around a leaking one (test_hmm's leak_every):
#                    its output, --junit and --folded files
#   rec.dmt          devmemrec's recording of all of it, for devmemreport
#   *.err            each tool's stderr;  rc: each tool's exit status
# Every file then goes to the data port in base64, between "=== file NAME"
# and "=== end". The workloads' own lines go to the log only.
#
# Two runs must give the same files, so:
# - A live devmemtop is read only once it has written four documents more
#   than it had when the workloads paused or ended: its counts are totals
#   since it started, so every event before is in them, and the quiet
#   intervals its debugfs comparison waits for have passed. How many
#   documents it wrote in between depends on the guest's speed and is not
#   kept. --keep-exited keeps every process row, so which rows went at
#   which interval does not matter either.
# - No process is started a number of times that depends on timing:
#   devmemrec records every fork and exit in the system, and pids would
#   drift. So the waits here poll with shell builtins only (read, test), and
#   a nap is a read with a timeout on a fifo nobody writes to; lib.sh's
#   wait_doc and wait_recording, which run grep and sleep, are not used.
# - No address space layout randomization: the recording keeps the user
#   addresses of CoW faults, and devmemreport lists them.
. /scenarios/lib.sh	# bpf_progs_left
out=/tmp/golden
echo 0 >/proc/sys/kernel/randomize_va_space

mkfifo /tmp/nap /tmp/mid.go /tmp/mid.done
exec 3<>/tmp/nap
nap() { read -r -t "$1" -u 3 _nap; }

# wait_text FILE TEXT: until a line of FILE holds TEXT (at most 60 s)
wait_text() {
	n=0
	while [ $n -lt 600 ]; do
		if [ -e "$1" ]; then
			while IFS= read -r l || [ -n "$l" ]; do
				case $l in *"$2"*) return 0;; esac
			done <"$1"
		fi
		nap 0.1
		n=$((n + 1))
	done
	echo "golden: $1: no '$2' in 60 s" >&2
}

# The live devmemtop's documents, read from fd 4 as they come: $docs is
# how many whole lines so far, $doc the last of them (a line being
# written is kept in $part until its newline comes).
docs=0 doc='' part=''
follow() {
	while :; do
		if IFS= read -r l <&4; then
			docs=$((docs + 1)) doc=$part$l part=''
		else
			part=$part$l
			return
		fi
	done
}
# settle FILE: four more documents from the live devmemtop (at most 60 s),
# then the last one into FILE
settle() {
	follow	# first the documents written while this shell waited on others
	want=$((docs + 4)) n=0
	while [ $docs -lt $want ] && [ $n -lt 600 ]; do
		nap 0.1
		follow
		n=$((n + 1))
	done
	[ $docs -ge $want ] || echo "golden: devmemtop: no new document in 60 s" >&2
	printf '%s\n' "$doc" >"$1"
}

run_mode() {
	mode=$1
	d=$out/$mode
	mkdir -p $d
	echo "=== mode $mode"
	devmemrec --attach=$mode -o /tmp/$mode.dmt >$d/rec.out 2>$d/rec.err &
	rec=$!
	wait_text $d/rec.err 'recording to'
	: >/tmp/live.json
	exec 4</tmp/live.json
	docs=0 doc='' part=''
	devmemtop -j -d 0.5 --keep-exited --attach=$mode >>/tmp/live.json 2>$d/top.err &
	top=$!
	settle $d/top-start.json

	# The hook tells this shell the pages are on the device, and waits.
	DEVMEM_WL_MIDWAY="echo >/tmp/mid.go; read -r _ </tmp/mid.done" devmem-wl private 64 0 &
	wl=$!
	read -r _ </tmp/mid.go
	settle $d/top-during.json
	devmemtop -j -n 2 -d 0.5 --attach=$mode >$d/top-late.json 2>$d/top-late.err
	echo "top_late=$?" >>$d/rc
	echo >/tmp/mid.done
	wait $wl
	devmem-wl longterm 32 2
	devmem-wl coherent 32 2
	devmem-wl cow 16 2
	devmem-wl thp 1 0
	# The pgmap the release tears down: made again here if an earlier
	# mode's release took it, and named by the live devmemtop before it
	# goes (one made and torn down between two of its refreshes has no
	# device name, and when a refresh falls is up to the guest's speed).
	devmem-wl private 16 1
	settle $d/top-before-release.json
	devmem-wl release 16 1

	devmemleak --attach=$mode --settle 5 -- devmem-wl private 32 0 >$d/leak-clean.out 2>&1
	echo "leak_clean=$?" >>$d/rc
	# Every 4th page handed out on device 3 keeps an extra reference: 4 of
	# 16 coherent pages never come back (and stay out for the rest of the
	# boot: the next modes start with them).
	echo 4 >/sys/module/test_hmm/parameters/leak_every
	devmemleak --attach=$mode --settle 5 --junit $d/leak-leaky.xml --folded $d/leak-leaky.folded \
		-- devmem-wl coherent 16 3 >$d/leak-leaky.out 2>&1
	echo "leak_leaky=$?" >>$d/rc
	echo 0 >/sys/module/test_hmm/parameters/leak_every

	settle /tmp/settled.json
	kill -INT $top
	wait $top
	echo "top=$?" >>$d/rc
	follow
	printf '%s\n' "$doc" >$d/top-end.json	# the one it prints when stopped
	exec 4<&-
	kill -INT $rec
	wait $rec
	echo "rec=$?" >>$d/rc
	cp /tmp/$mode.dmt $d/rec.dmt
	devmemtop -j -n 1 -d 0.5 --attach=$mode >$d/top-after.json 2>$d/top-after.err
	echo "top_after=$?" >>$d/rc
}

echo "kernel=$(uname -r)"
echo "nproc=$(nproc)"
for mode in $(echo "${golden_modes:-tracepoint}" | tr _ " "); do
	run_mode $mode
done
echo "bpf_progs_after=$(bpf_progs_left)"
for f in $(cd $out && find . -type f | sort); do
	echo "=== file ${f#./}"
	base64 $out/$f
	echo "=== end"
done
exit 0
