#!/usr/bin/env bash
# Boot the patched kernel, run each workload with the devmem events on in
# tracefs (vm/guest/scenarios/tracefs.sh) and hold the trace against what
# the workload says it did: exact event counts, the pid that caused them,
# the shadow pgmap reference count, and debugfs devmem/pgmaps.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh
make -s kernel build/initramfs.cpio.gz || { fail "tracefs: build" "make failed"; exit 1; }
out=build/vm-tracefs
vm/run-vm.sh "$(cat build/kernel.dir)" build/initramfs.cpio.gz tracefs "$out" 600
expect "tracefs: guest ran every scenario" $? 0
oops=$(grep -cE 'BUG:|WARNING:|Oops|Call Trace' "$out/console.log")
expect "tracefs: kernel logged no BUG, WARNING or Oops" "$oops" 0
facts=$out/facts
awk -f tests/vm/trace-facts.awk "$out/data.log" | sort >"$facts"

fact() { awk -v s="$1" -v k="$2" '$1 == s && $2 == k { v = $3 } END { print v == "" ? 0 : v }' "$facts"; }
# check SCENARIO KEY WANT [WHY]
check() { expect "tracefs $1: $2${4:+ ($4)}" "$(fact "$1" "$2")" "$3"; }
# events SCENARIO EVENT=COUNT...: exactly these event types, this often.
events() {
	local sc=$1 want got
	shift
	want=$(printf '%s\n' "$@" | sort)
	got=$(awk -v s="$sc" '$1 == s && $2 ~ /^ev\.[a-z_]+$/ { print substr($2, 4) "=" $3 }' "$facts" | sort)
	if [ "$got" = "$want" ]; then
		pass "tracefs $sc: exactly the expected events ($(echo $want))"
	else
		fail "tracefs $sc: exactly the expected events" "got [$(echo $got)], want [$(echo $want)]"
	fi
}
# Every scenario: the workload succeeded, nothing was lost, every reference
# it took was given back and no device page is left in use.
common() {
	check "$1" rc 0 "workload exit status"
	check "$1" overrun 0 "trace buffer lost nothing"
	check "$1" refs.balance 0 "shadow pgmap references back to start"
	check "$1" live.before 0 "debugfs live pages before"
	check "$1" live.after 0 "debugfs live pages after"
}
wl() { fact "$1" "wl.$2"; }
batches() { echo $((($1 + 63) / 64)); }	# test_hmm migrates 64 pages per batch

# (a) N pages to device private memory, CPU faults them back, unmap.
# Batches: the migration, one per fault, one eviction pass when the fd closes.
sc=private n=$(wl private npages)
common $sc
check $sc wl.on_device "$n" "snapshot after migration"
check $sc live.mid "$n" "debugfs live pages while on the device"
events $sc devmem_page_init="$n" devmem_fault="$n" devmem_folio_free="$n" \
	devmem_put_pgmap="$n" devmem_migrate_vma_setup=$(($(batches "$n") + n)) \
	devmem_migrate_device_range=1 devmem_migrate_pages=$(($(batches "$n") + n + 1)) \
	devmem_migrate_finalize=$(($(batches "$n") + n + 1))
check $sc finalize.to_device "$n"
check $sc finalize.to_system "$n" "faulted back"
check $sc ev.devmem_page_init.by_wl "$n" "pages handed out to the workload's pid"
check $sc ev.devmem_fault.by_wl "$n" "faults taken by the workload's pid"

# (b) M pages to device coherent memory, then a FOLL_LONGTERM pin.
sc=longterm m=$(wl longterm npages)
common $sc
check $sc wl.moved_to_system "$m" "snapshot after the pin"
events $sc devmem_page_init="$m" devmem_longterm_migrate="$m" devmem_folio_free="$m" \
	devmem_put_pgmap="$m" devmem_migrate_vma_setup="$(batches "$m")" \
	devmem_migrate_device_range=1 devmem_migrate_pages=$(($(batches "$m") + m + 1)) \
	devmem_migrate_finalize=$(($(batches "$m") + m + 1))
check $sc longterm.ok "$m" "moved, with a destination pfn"
check $sc ev.devmem_longterm_migrate.by_wl "$m" "attributed to the pinning pid"
check $sc finalize.to_device "$m"
check $sc finalize.to_system "$m"

# (c) K coherent pages in a private mapping, fork, the parent writes.
# The child's exit drops the last mapping of the device pages.
sc=cow k=$(wl cow npages)
common $sc
check $sc wl.cow_replaced "$k" "parent's snapshot after writing"
check $sc wl.child_on_device "$k" "child still maps the device pages"
events $sc devmem_page_init="$k" devmem_cow_replace="$k" devmem_folio_free="$k" \
	devmem_put_pgmap="$k" devmem_migrate_vma_setup="$(batches "$k")" \
	devmem_migrate_device_range=2 devmem_migrate_pages=$(($(batches "$k") + 2)) \
	devmem_migrate_finalize=$(($(batches "$k") + 2))
check $sc ev.devmem_cow_replace.by_wl "$k" "attributed to the writing parent"
check $sc ev.devmem_folio_free.by_child "$k" "freed as the child exits"
check $sc finalize.to_device "$k"
check $sc finalize.to_system 0

# (d) R pages migrated, then HMM_DMIRROR_RELEASE tears the device's chunk down.
for sc in release-private release-coherent; do
	r=$(wl $sc npages)
	common $sc
	check $sc wl.evicted "$r" "snapshot after release"
	events $sc devmem_page_init="$r" devmem_folio_free="$r" devmem_put_pgmap="$r" \
		devmem_pgmap_destroy=1 devmem_migrate_vma_setup="$(batches "$r")" \
		devmem_migrate_device_range=1 devmem_migrate_pages=$(($(batches "$r") + 1)) \
		devmem_migrate_finalize=$(($(batches "$r") + 1))
	check $sc range.nr_migrate "$r" "eviction collected the device pages"
	check $sc finalize.to_system "$r"
	check $sc destroy.refs 0 "no reference outstanding at teardown"
	check $sc pgmaps.after $(($(fact $sc pgmaps.before) - 1)) "debugfs lost the pgmap"
done
