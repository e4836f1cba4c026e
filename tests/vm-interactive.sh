#!/usr/bin/env bash
# devmemtop's full-screen mode for real: the guest console runs in a tmux
# pane, keys go in with send-keys, and the captured screen is checked.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel build/initramfs.cpio.gz 2>&1 | grep -v "warning: Using" || true
out=build/vm-interactive
mkdir -p "$out"
rm -f "$out/exit"
session=devmemtop-ui-$$
tmux kill-session -t "$session" 2>/dev/null
tmux new-session -d -s "$session" -x 150 -y 42 \
	"VM_CONSOLE=stdio VM_APPEND='loglevel=1' vm/run-vm.sh $(cat build/kernel.dir) \
	 build/initramfs.cpio.gz interactive $out 300; echo \$? >$out/exit; sleep 60"
trap 'tmux kill-session -t "$session" 2>/dev/null' EXIT
screen() { tmux capture-pane -p -t "$session"; }
# wait_for TEXT SECONDS: until the screen shows TEXT
wait_for() {
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		grep -qF -- "$1" <<<"$(screen)" && return 0
		sleep 0.2
	done
	return 1
}
check_screen() {	# NAME TEXT [SECONDS]
	if wait_for "$2" "${3:-10}"; then pass "interactive: $1"
	else fail "interactive: $1" "no '$2' on screen: $(screen | head -5 | tr '\n' '|')"; fi
}
keys() { tmux send-keys -t "$session" "$@"; }

check_screen "draws the header" "devmemtop  kernel" 180
check_screen "starts in the pgmap view, sorted by LIVE" "sort: LIVE"
check_screen "pgmap view has its columns" "FROMDEV/s"
check_screen "shows the workload's private pgmap" "private"
keys 2
check_screen "key 2 switches to the process view" "[2]processes"
check_screen "process view lists the workload" "devmem-wl"
keys '>'
check_screen "key > sorts by the next column" "sort: INITS"
keys '<' '<'
check_screen "key < sorts by the previous column" "sort: COMM"
keys 1
check_screen "key 1 switches back to pgmaps" "[1]pgmaps"
keys p
check_screen "key p pauses" "[PAUSED]"
keys p
keys +
check_screen "key + doubles the interval" "interval 1.0s"
keys q
for ((i = 0; i < 300; i++)); do [ -s "$out/exit" ] && break; sleep 0.2; done
expect "interactive: guest ended after q" "$(cat "$out/exit" 2>/dev/null)" 0
expect "interactive: devmemtop exited 0 on q" \
	"$(sed -n 's/^devmemtop-exit=//p' "$out/data.log")" 0
expect "interactive: no BPF program left after q" \
	"$(sed -n 's/^bpf_progs_after=//p' "$out/data.log")" 0
