#!/usr/bin/env bash
# vm/run-vm.sh KERNEL_DIR INITRAMFS SCENARIO OUTDIR [TIMEOUT_SECONDS]
#
# Boot the kernel under qemu (TCG; /dev/kvm cannot run guests here) with
# test_hmm's four devices: 0,1 device private and 2,3 device coherent,
# the latter backed by RAM that memmap= hides from the kernel. The guest
# runs vm/guest/scenarios/SCENARIO.sh; OUTDIR gets console.log (kernel)
# and data.log (the scenario's output).
#
# VM_APPEND adds kernel parameters; name=value ones reach the scenario as
# environment variables. VM_HOSTFWD (e.g. tcp:127.0.0.1:19464-:9464) gives
# the guest an e1000 NIC (vm/kernel.config) on qemu's user network with that host port
# forwarded to it; the guest is 10.0.2.15 and reaches the host's 127.0.0.1
# as 10.0.2.2.
#
# VM_QMP=PATH opens qemu's QMP on the unix socket PATH and a third serial
# port (the guest's ttyS2, input only) on PATH.tty, so the host can dump the
# guest (dump-guest-memory, vm/qemu-dump.py) and then tell the scenario to
# go on.
#
# Exit status: the scenario's own, 124 if the guest timed out, 125 if it
# ended without a verdict (a crash: see console.log).
set -euo pipefail
kdir=$1 initrd=$2 scenario=$3 outdir=$4 limit=${5:-900}
mkdir -p "$outdir"
rm -f "$outdir/console.log" "$outdir/data.log"
append="console=ttyS0 panic=-1 oops=panic devmem_run=$scenario"
append+=' memmap=512M$0x40000000'
append+=' test_hmm.spm_addr_dev0=0x40000000 test_hmm.spm_addr_dev1=0x50000000'
append+=' hugepages=16'	# hmm-tests' hugetlbfs cases need a pool
append+=" ${VM_APPEND:-}"	# e.g. parameters for the scenario
# VM_CONSOLE=stdio puts the console on this terminal (tests drive it in tmux).
console="file:$outdir/console.log" input=/dev/null
[ "${VM_CONSOLE:-}" = stdio ] && console=stdio input=/dev/stdin
net=(-nic none)
[ -n "${VM_HOSTFWD:-}" ] && net=(-nic "user,model=e1000,hostfwd=$VM_HOSTFWD")
qmp=()
[ -n "${VM_QMP:-}" ] && qmp=(-qmp "unix:$VM_QMP,server=on,wait=off"
	-serial "unix:$VM_QMP.tty,server=on,wait=off")
rc=0
# One host thread runs every vCPU (thread=single): the guest still has
# VM_SMP CPUs and interleaves them, but multi-threaded TCG lets a vCPU run
# an int3 that text_poke_bp() already took out, and the guest oopses when
# a tracepoint's static key or a BPF trampoline is patched.
timeout --foreground -k 10 "$limit" qemu-system-x86_64 -accel tcg,thread=single \
	-m "${VM_MEM:-2G}" -smp "${VM_SMP:-2}" -cpu max -no-reboot -display none -monitor none \
	-kernel "$kdir/bzImage" -initrd "$initrd" -append "$append" \
	-serial "$console" -serial "file:$outdir/data.log" "${qmp[@]}" "${net[@]}" \
	<"$input" || rc=$?
[ $rc -eq 124 ] && { echo "run-vm: $scenario timed out after ${limit}s" >&2; exit 124; }
verdict=$(sed -n 's/^devmem-vm: exit \([0-9]*\).*/\1/p' "$outdir/data.log" | tail -1)
if [ -z "$verdict" ]; then
	echo "run-vm: $scenario ended without a verdict; last kernel lines:" >&2
	tail -20 "$outdir/console.log" >&2
	exit 125
fi
exit "$verdict"
