# Shared by the guest scenarios (busybox sh). Output goes to the data serial
# port, in sections the host-side checks parse:
#   === NAME / --- pgmaps-before / --- run / wl=... / rc=N /
#   [--- pgmaps-mid: while the pages sit in device memory] / --- pgmaps-after /
#   --- overrun N / --- trace / --- end
tr=/sys/kernel/tracing
pgmaps=/sys/kernel/debug/devmem/pgmaps

trace_reset() {
	echo 0 >$tr/tracing_on
	echo 8192 >$tr/buffer_size_kb
	echo >$tr/trace
}

# run_traced NAME CMD...: CMD with every devmem event on, then the evidence.
run_traced() {
	name=$1
	shift
	trace_reset
	echo "=== $name"
	echo "--- pgmaps-before"
	cat $pgmaps
	echo "--- run"
	echo 1 >$tr/events/devmem/enable
	echo 1 >$tr/tracing_on
	DEVMEM_WL_MIDWAY="cat $pgmaps >/tmp/pgmaps-mid" "$@"
	rc=$?
	echo 0 >$tr/tracing_on
	echo 0 >$tr/events/devmem/enable
	echo "rc=$rc"
	if [ -f /tmp/pgmaps-mid ]; then
		echo "--- pgmaps-mid"
		cat /tmp/pgmaps-mid
		rm /tmp/pgmaps-mid
	fi
	echo "--- pgmaps-after"
	cat $pgmaps
	echo "--- overrun $(cat $tr/per_cpu/cpu*/stats | awk '/^overrun:/ {n += $2} END {print n + 0}')"
	echo "--- trace"
	grep -v '^#' $tr/trace
	echo "--- end"
}

# wait_doc FILE: until a live tool has written its first document
wait_doc() {
	n=0
	while [ ! -s "$1" ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
}

# wait_recording ERRFILE: until devmemrec says it has attached
wait_recording() {
	n=0
	while ! grep -q 'recording to' "$1" && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
}

# run_under_tools NAME MODE CMD...: CMD under devmemleak while devmemtop
# watches, both in MODE; prints "=== NAME MODE", both exit codes, the
# verdict, devmemtop's last document and its errors. $tool_flags, if set,
# goes to both tools (e.g. -v: which programs each attached).
run_under_tools() {
	name=$1 mode=$2
	shift 2
	rm -f /tmp/top.json
	devmemtop ${tool_flags:-} -j -d 0.5 --attach=$mode >/tmp/top.json 2>/tmp/top.err &
	top=$!
	wait_doc /tmp/top.json
	devmemleak ${tool_flags:-} --attach=$mode --settle 0.5 -- "$@" >/tmp/leak.out 2>&1
	rc=$?
	sleep 0.6
	kill -INT $top
	wait $top
	toprc=$?
	echo "=== $name $mode"
	echo "leak_rc=$rc top_rc=$toprc"
	cat /tmp/leak.out
	echo "--- top"
	tail -1 /tmp/top.json
	echo "--- errors"
	cat /tmp/top.err
	echo "--- end"
}

# bpf_progs_left: BPF programs still loaded once our tools are gone. A
# program is freed by deferred work after its last link and fd close, so
# give the kernel up to 5 s; one that stays is a leak, named on stderr.
bpf_progs_left() {
	local n=0 left
	while [ $n -lt 50 ]; do
		left=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]*:')
		[ "$left" -eq 0 ] && break
		sleep 0.1
		n=$((n + 1))
	done
	[ "$left" -eq 0 ] || bpftool prog show 2>/dev/null | grep '^[0-9]*:' | sed 's/^/bpf_prog_left: /' >&2
	echo "$left"
}

# owner_chunks: entries in every loaded page owner table (devmem_maps.h)
owner_chunks() {
	local n=0 id c
	for id in $(bpftool map show 2>/dev/null | awk '/ name page_owner / { sub(":", "", $1); print $1 }'); do
		# one key per element: "key: .." without BTF, "key": .. with it
		c=$(bpftool map dump id "$id" 2>/dev/null | grep -c -E '^key:|"key":')
		n=$((n + c))
	done
	echo "$n"
}

# bpf_map_memlock PID: the memory of PID's BPF maps, each map's memlock as
# bpftool map show prints it (the kernel's figure, from the map fd's
# fdinfo, which is where bpftool reads it), summed; the ring buffer and
# the page owner table (a hash of 2048-byte chunks) also on their own.
bpf_map_memlock() {
	local f t v vs n=0 all=0 rb=0 po=0
	for f in /proc/$1/fdinfo/*; do
		t=$(awk '/^map_type:/ { print $2 }' "$f" 2>/dev/null)
		[ -n "$t" ] || continue
		v=$(awk '/^memlock:/ { print $2 }' "$f")
		vs=$(awk '/^value_size:/ { print $2 }' "$f")
		n=$((n + 1))
		all=$((all + v))
		[ "$t" = 27 ] && rb=$((rb + v))
		[ "$t" = 1 ] && [ "$vs" = 2048 ] && po=$((po + v))
	done
	echo "bpf_maps=$n bpf_memlock=$all bpf_ringbuf=$rb bpf_page_owner=$po"
}

# load_extra_modules: on Debian's stock kernel, the modules the host packed
# into /lib/modules-extra (test_hmm.ko, built out of tree, and what it
# needs), in load order; test_hmm gets its two coherent devices' memory.
# Prints "insmod_rc MODULE STATUS" each. Nothing to do on our own kernels.
load_extra_modules() {
	local mods=/lib/modules-extra ko
	[ -f $mods/modules.order ] || return 0
	for ko in $(cat $mods/modules.order); do
		if [ "$ko" = test_hmm.ko ]; then
			insmod $mods/$ko spm_addr_dev0=0x40000000 spm_addr_dev1=0x50000000
		else
			insmod $mods/$ko
		fi
		echo "insmod_rc $ko $?"
	done
}
