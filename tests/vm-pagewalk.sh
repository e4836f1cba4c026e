#!/usr/bin/env bash
# The struct page walk at devmemtop's start (docs/pagewalk.md), exact in
# pages: on Debian's stock 7.3.4 (test_hmm built out of tree, no leak
# injector: clean and held pages) and on the patched 7.3 (the same, then a
# coherent device (3) and a private one (1) whose releases hang in
# memunmap_pages() on the pages
# test_hmm's leak injector kept, walked by a devmemtop started after).
# PAGEWALK_KERNELS picks: "stock patched" (default).
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s all 2>&1 | grep -v "warning: Using" || true
kv_() { grep -o "\\b$1=[0-9A-Za-z_]*" | head -1 | cut -d= -f2; }

check() {	# check NAME LOG LEAKS(yes/no)
	local k=$1 log=$2 s doc walks
	section() { awk -v h="=== $1" '$0 == h { on = 1; next } /^=== / { on = 0 } on' "$log"; }
	s=$(section clean)
	doc=$(echo "$s" | sed -n '1,/^--- errors/p' | grep '^{' | tail -1)
	expect "$k clean: devmemtop exits 0" "$(echo "$s" | kv_ top_rc)" 0
	# The four devices' pgmaps: private 0 and 1, coherent at 0x40000000, 0x50000000.
	expect "$k clean: every pgmap walked whole, none in use" \
		"$(echo "$doc" | jq -c '[.pgmaps[] | select(.pages_walk)] |
		  [length >= 4, all(.[]; .pages_walk.complete), ([.[].pages_walk.in_use_pages] | add),
		   ([.[] | select(.type == "coherent") | .start] | sort)]')" \
		'[true,true,0,["0x40000000","0x50000000"]]'
	expect "$k clean: each walk read all the pgmap's pages, no memmap missing" \
		"$(echo "$doc" | jq -c '[.pgmaps[] | select(.pages_walk) |
		  .pages_walk.pages_walked == .nr_pages and .pages_walk.unreadable_pages == 0] |
		  length > 0 and all')" true
	s=$(section hold)
	expect "$k hold: workload, devmemtop, devmemtop in 1000-step runs exit 0; 5000 on the device" \
		"$(echo "$s" | kv_ wl_rc) $(echo "$s" | kv_ top_rc) $(echo "$s" | kv_ cut_rc) $(echo "$s" | grep '^held' | kv_ on_device)" \
		"0 0 0 5000"
	doc=$(echo "$s" | sed -n '/^--- top/,/^--- /p' | grep '^{')
	walks='[.pgmaps[] | select(.pages_walk) | {start, p: .pages_walk}] | sort_by(.start) |
		[([.[].p.in_use_pages] | add),
		 ([.[].p.in_use_folios] | add) == ([.[].p.folios_not_listed] | add) + ([.[].p.folios[]] | length),
		 ([.[].p.folios[]] | length) <= 64 * length, ([.[].p.folios[] | select(.refcount < 1)] | length)]'
	# The stock kernel sometimes frees a few dozen of the held pages after
	# the workload counted them (both devmemtops see the frees): what is
	# still out is the early devmemtop's live count.
	early_live=$(echo "$s" | sed -n '/^--- early-after/,/^--- /p' | grep '^{' | jq '[.pgmaps[].live_pages] | add')
	expect "$k hold: the walk finds exactly the pages still held (5000 or a few less); folios listed or counted" \
		"$(echo "$doc" | jq -c "$walks | .[0] -= $early_live") $([ "$early_live" -gt 4900 ] && echo most)" \
		"[0,true,true,0] most"
	# A devmemtop started before the workload counted every page handed
	# out and freed: its live count, unchanged across the late runs, is
	# what the late walk must find, pgmap by pgmap.
	expect "$k hold: the early devmemtop exits 0 and saw nothing move during the late runs" \
		"$(echo "$s" | kv_ early_rc) $(for d in before after; do echo "$s" | sed -n "/^--- early-$d/,/^--- /p" | grep '^{' |
		  jq -c '[.pgmaps[] | .inits, .frees] | add'; done | uniq | wc -l)" "0 1"
	expect "$k hold: the late walk is the early devmemtop's live count, pgmap by pgmap" \
		"$(echo "$doc" | jq -c '[.pgmaps[] | select(.pages_walk.in_use_pages > 0) | [.start, .pages_walk.in_use_pages]] | sort')" \
		"$(echo "$s" | sed -n '/^--- early-after/,/^--- /p' | grep '^{' |
		   jq -c '[.pgmaps[] | select(.live_pages > 0) | [.start, .live_pages]] | sort')"
	expect "$k hold: nothing moved between the two walks" \
		"$(echo "$s" | sed -n '/^--- cut/,/^--- /p' | grep '^{' | jq -c '[.pgmaps[] | .inits, .frees] | add')" 0
	if [ "$3" = yes ]; then	# the kernel's own count (the series' debugfs)
		expect "$k hold: each pgmap's walk is debugfs's live page count" \
			"$(echo "$doc" | jq -c '[.pgmaps[] | select(.pages_walk) | [.start, .pages_walk.in_use_pages]] | sort')" \
			"$(echo "$s" | sed -n '/^--- debugfs/,/^--- /p' | awk '!/^[#-]/ { printf "%s[\"%s\",%s]", n++ ? "," : "[", $3, $7 } END { print "]" }' |
			   jq -c 'sort')"
	fi
	expect "$k hold: cut into runs of 1000 steps, the same folios" \
		"$(echo "$s" | sed -n '/^--- cut/,/^--- /p' | grep '^{' | jq -c '[.pgmaps[] | select(.pages_walk) | .pages_walk | del(.walk_ns)]')" \
		"$(echo "$doc" | jq -c '[.pgmaps[] | select(.pages_walk) | .pages_walk | del(.walk_ns)]')"
	[ "$3" = yes ] || return 0
	expect "$k: test_hmm has the leak injector" "$(grep -o '^leak_injector=.*' "$log")" "leak_injector=yes"
	s=$(section hang)
	expect "$k hang: the release waits in memunmap_pages, uninterruptible" \
		"$(echo "$s" | kv_ release_wchan) $(echo "$s" | kv_ release_state)" "memunmap_pages D"
	expect "$k hang: devmemtop -j and -b started after it exit 0" \
		"$(echo "$s" | kv_ top_rc) $(echo "$s" | kv_ text_rc)" "0 0"
	doc=$(echo "$s" | sed -n '/^--- top/,/^--- /p' | grep '^{')
	expect "$k hang: device 1's release waits in memunmap_pages too" "$(echo "$s" | kv_ release1_wchan)" memunmap_pages
	# Device 3 is test_hmm's second coherent device; it takes spm_addr_dev0.
	# Its THPs came as 512 pages each (test_hmm's coherent large allocation
	# falls back), so leak_every=2 kept every other one: 512 + 16 pages.
	expect "$k hang: device 3 (coherent, 0x40000000): the 528 leaked pages, one reference each, none mapped" \
		"$(echo "$doc" | jq -c '[.pgmaps[] | select(.type == "coherent" and .pages_walk.in_use_pages > 0)] |
		  [length, .[0].start, .[0].pages_walk.complete, .[0].pages_walk.in_use_pages,
		   .[0].pages_walk.in_use_folios,
		   ([.[0].pages_walk.folios[] | select(.refcount != 1 or .mapcount != 0)] | length)]')" \
		'[1,"0x40000000",true,528,528,0]'
	expect "$k hang: device 1 (private): the leaked THP, whole: 512 pages in one order-9 folio" \
		"$(echo "$doc" | jq -c '[.pgmaps[] | select(.type == "private" and .pages_walk.in_use_pages > 0)] |
		  [length, .[0].pages_walk.in_use_pages, .[0].pages_walk.in_use_folios,
		   [.[0].pages_walk.folios[] | .order]]')" \
		'[1,512,1,[9]]'
	expect "$k hang: every pgmap walked whole, four or more, the others with nothing in use" \
		"$(echo "$doc" | jq -c '[.pgmaps[] | select(.pages_walk)] | [length >= 4, all(.[]; .pages_walk.complete),
		  ([.[] | select(.pages_walk.in_use_pages > 0)] | length)]')" \
		'[true,true,2]'
	expect "$k hang: the text report says it" \
		"$(echo "$s" | sed -n '/^--- text/,/^--- /p' | grep -c ' 528 pages in 528 folios: pfn 0x4')" 1
}

for k in ${PAGEWALK_KERNELS:-stock patched}; do
	case $k in
	stock)
		kdir=$(vm/fetch-stock.sh 7.3) ||
			{ fail "pagewalk stock 7.3: fetch the kernel, build test_hmm.ko" "see above"; continue; }
		vm/mkinitramfs.sh build/initramfs-pagewalk.cpio.gz build/devmem-wl build/devmemtop
		extra=("$kdir/modules.order:/lib/modules-extra/modules.order")
		while read -r ko; do extra+=("$kdir/$ko:/lib/modules-extra/$ko"); done <"$kdir/modules.order"
		vm/mkinitramfs-extra.sh build/initramfs-pagewalk-stock.cpio.gz build/initramfs-pagewalk.cpio.gz "${extra[@]}"
		VM_SMP=2 VM_MEM=2G vm/run-vm.sh "$kdir" build/initramfs-pagewalk-stock.cpio.gz pagewalk \
			build/vm-pagewalk-stock 1200
		expect "pagewalk stock 7.3: guest ran" $? 0
		expect "pagewalk stock 7.3: booted Debian's kernel" \
			"$(grep -o '^kernel=.*' build/vm-pagewalk-stock/data.log)" "kernel=7.3.4+deb13-amd64"
		check "pagewalk stock 7.3" build/vm-pagewalk-stock/data.log no;;
	patched)
		kp=$(vm/build-kernel.sh 7.3) || { fail "pagewalk 7.3: build the patched kernel" "see above"; continue; }
		vm/mkinitramfs.sh build/initramfs-pagewalk.cpio.gz build/devmem-wl build/devmemtop
		vm/run-vm.sh "$kp" build/initramfs-pagewalk.cpio.gz pagewalk build/vm-pagewalk-patched 1200
		expect "pagewalk 7.3 patched: guest ran" $? 0
		check "pagewalk 7.3 patched" build/vm-pagewalk-patched/data.log yes;;
	esac
done
