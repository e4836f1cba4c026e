#!/usr/bin/env bash
# devmemtop on Debian 12's stock cloud kernel (Linux 6.1: BTF, fentry, no
# devmem tracepoints, no device private memory), booted under qemu: it must
# fall back to fentry on the names that kernel uses, say what it cannot see
# and that there is no device memory, exit 0 and leave nothing attached.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
if ! kdir=$(vm/fetch-stock-kernel.sh 2>/dev/null); then
	fail "stock kernel: fetch Debian's linux-image-cloud-amd64" "apt-get download failed"
	exit 1
fi
out=build/vm-stock-kernel
vm/run-vm.sh "$kdir" build/initramfs.cpio.gz stock-kernel "$out" 300
expect "stock kernel: guest ran to the end" $? 0
log=$out/data.log
get() { sed -n "s/^$1=//p" "$log" | head -1; }
case $(get kernel) in
6.1.*) pass "stock kernel: booted Debian's $(get kernel)";;
*) fail "stock kernel: booted Debian's 6.1 cloud kernel" "uname says '$(get kernel)'";;
esac
expect "stock kernel: devmemtop -b exits 0" "$(get text_rc)" 0
expect "stock kernel: devmemtop -j exits 0" "$(get json_rc)" 0
json=$(sed -n '/^--- json/,/^--- kprobe json/p' "$log" | grep '^{')
# Before 6.10 the free is free_zone_device_page(): kprobe mode must find it
# under that name too, or every free would be missed.
kjson=$(sed -n '/^--- kprobe json/,/^--- end/p' "$log" | grep '^{')
expect "stock kernel: kprobe mode attaches to the old names (free_zone_device_page)" \
	"$(get kprobe_rc) $(echo "$kjson" | jq -c '[.mode, .unavailable]' 2>&1)" \
	'0 ["kprobe","cow_replace, put_pgmap (inlined code)"]'
expect "stock kernel: -j prints one valid document in fentry mode with no pgmaps" \
	"$(echo "$json" | jq -c '[.mode, (.pgmaps | length), .drops.total]' 2>&1)" '["fentry",0,0]'
expect "stock kernel: says what fentry mode cannot see" \
	"$(echo "$json" | jq -r .unavailable)" "cow_replace, put_pgmap (inlined code)"
if grep -q "no device memory known yet" "$log"; then
	pass "stock kernel: says there is no device memory to show"
else
	fail "stock kernel: says there is no device memory to show" "$(sed -n '/--- text stderr/,/--- text stdout/p' "$log")"
fi
expect "stock kernel: no BPF program left behind" "$(get bpf_progs_after)" 0
oops=$(grep -cE 'BUG:|Oops|Call Trace' "$out/console.log")
expect "stock kernel: kernel logged no BUG or Oops" "$oops" 0
