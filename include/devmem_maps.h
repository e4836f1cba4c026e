/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Keys and values of the BPF maps that user space reads.
 *
 * Who owns which number (docs/counting.md): a live view (devmemtop) reads
 * the per-CPU totals below, summed over CPUs, and asks for no records; a
 * recording (devmemrec, devmemleak) replays ring buffer records and the
 * BPF side keeps no totals for it. The only per-page state in BPF is the
 * page owner table, which has no fixed per-page capacity.
 */
#ifndef DEVMEMSCOPE_MAPS_H
#define DEVMEMSCOPE_MAPS_H

#include "devmem_abi.h"
#include "devmem_counters.h"

/*
 * pgmaps a live view counts at once. A slot comes back once its pgmap's
 * teardown ended and devmemtop has shown it destroyed (pgmap_retired), so
 * this bounds the pgmaps alive at one time, not those of a session.
 */
#define DEVMEM_MAX_PGMAPS 1024
/*
 * Processes a live view counts at once. Their per-CPU slots come back when
 * devmemtop forgets an exited process; it asks for DEVMEM_EVICTING_PROCS
 * then, and for the full DEVMEM_MAX_PROCS when it keeps every row.
 */
#define DEVMEM_MAX_PROCS 4096
#define DEVMEM_EVICTING_PROCS 1024
/*
 * The owner table is a hash of chunks, allocated only when touched
 * (BPF_F_NO_PREALLOC): one chunk covers 512 pages (a 2 MiB PMD of 4 KiB
 * pages) with 4 bytes each. The entry limit is only a bound, not memory:
 * 1 << 22 chunks cover 8 TiB of device memory.
 */
#define DEVMEM_CHUNK_SHIFT 9
#define DEVMEM_CHUNK_PAGES (1u << DEVMEM_CHUNK_SHIFT)
#define DEVMEM_MAX_CHUNKS (1u << 22)

/* pgmap_meta: key __u64 pgmap address; written when a pgmap is first seen. */
struct devmem_pgmap_meta {
	__u64 start, end, owner, nr_pages;
	__u32 type, nr_range;
	__u32 destroyed;	/* memunmap_pages() seen */
	__u32 waiting;		/* memunmap_pages() waits for references */
	__u64 wait_since_ns, wait_live_pages, wait_ns;
	__u64 ops;		/* pgmap->ops: names the driver (pgmap_names.c) */
	/* the task in memunmap_pages(), from the teardown's begin */
	__u32 wait_pid, wait_tid;
	char wait_comm[DEVMEM_COMM_LEN];
	/*
	 * pgmap->pages: where a device private pgmap's struct pages are on a
	 * kernel with Jordan Niethe's series (docs/kernels-next.md); then
	 * start and end are device private addresses. 0 elsewhere.
	 */
	__u64 pages;
	/*
	 * pfn_of() of the pgmap's first struct page: a page's index in the
	 * pgmap is its pfn_of() less this (one range; more in order: the
	 * pages of earlier ranges count).
	 */
	__u64 index_base;
	/* this pgmap's page_owner keys, never reused (1 up, 0 none) */
	__u32 serial, pad;
};

/*
 * pgmap_retired: key __u64, a serial the BPF side hands out. A pgmap whose
 * teardown ended (or whose address a new pgmap took first) leaves
 * pgmap_slot and pgmap_meta for here, with its slot (DEVMEM_NO_SLOT if it
 * never had one) and its last meta. No event of it can come after:
 * every one is traced before the reference it drops, and memunmap_pages()
 * returns only once the last is dropped. User space reads its final
 * totals, shows it destroyed, then deletes the entry and gives the slot
 * back (free_pgmap_slots). At most one entry per slot, plus slotless ones
 * until the next interval reads them.
 */
#define DEVMEM_NO_SLOT 0xffffffffu
#define DEVMEM_MAX_RETIRED (2 * DEVMEM_MAX_PGMAPS)
struct devmem_pgmap_retired {
	__u64 pgmap;
	__u32 slot, pad;
	struct devmem_pgmap_meta meta;
};

/* pgmap_counts: per-CPU, key __u32 slot (pgmap_slot names it), value
 * struct devmem_pgmap_counts (devmem_counters.h). Sum over CPUs. */

/*
 * pgmap_lat: key __u32 slot (as pgmap_counts), one copy for all CPUs with
 * atomic adds: a fault is a page copy, rare next to page events, and 40
 * buckets per CPU would make pgmap_counts four times as big.
 */
struct devmem_pgmap_lat {
	__u64 fault_lat[DEVMEM_LAT_BUCKETS];	/* see devmem_abi.h */
};

/* proc_counts: per-CPU, key __u32 slot (proc_slot). held can be negative on one CPU. */
struct devmem_proc_counts {
	char comm[DEVMEM_COMM_LEN];
	struct devmem_proc_counters c;
};

/*
 * page_owner: key (pgmap serial << DEVMEM_OWNER_SERIAL_SHIFT) | index >>
 * DEVMEM_CHUNK_SHIFT, a page's index in its pgmap (the pages before it:
 * no pfn, so it survives device private pages leaving the physical
 * address space, docs/kernels-next.md); a retiring pgmap deletes its
 * chunks. Per folio, at its first page: (tgid + 1) | order <<
 * DEVMEM_OWNER_ORDER_SHIFT, 0 none. tgids are below PID_MAX_LIMIT
 * (1 << 22), so the order fits above them, and a reader can count pages,
 * not folios (a teardown's holders).
 */
#define DEVMEM_OWNER_SERIAL_SHIFT 40
/*
 * A page as one number: its pgmap's id (a serial here, a state row's id in
 * user space, tools/lib/state.h) above its index. Indexes below 1 << 40.
 */
#define DEVMEM_PAGE_KEY(id, index) \
	((__u64)(id) << DEVMEM_OWNER_SERIAL_SHIFT | \
	 ((index) & ((1ULL << DEVMEM_OWNER_SERIAL_SHIFT) - 1)))
#define DEVMEM_OWNER_KEY(serial, index) DEVMEM_PAGE_KEY(serial, (index) >> DEVMEM_CHUNK_SHIFT)
#define DEVMEM_OWNER_ORDER_SHIFT 27
#define DEVMEM_OWNER_PID_MASK ((1u << DEVMEM_OWNER_ORDER_SHIFT) - 1)
struct devmem_owner_chunk {
	__u32 owner[DEVMEM_CHUNK_PAGES];
};

/*
 * fault_spins: key __u32 tid. A thread whose fault repeats without
 * progress (DEVMEM_FAULT_NO_PROGRESS): written by the thread at each such
 * fault, deleted by it at its next fault that is no repeat. User space
 * deletes entries that have not moved for a while (the thread stopped
 * faulting: killed, or the page came back some other way).
 */
#define DEVMEM_MAX_SPINS 4096
struct devmem_fault_spin {
	__u64 pgmap, pfn, address;
	__u64 first_ns;		/* the first fault of the run on this page */
	__u64 last_ns;		/* the latest one */
	__u64 repeats;		/* faults after the first: none moved anything */
	__u32 pid, tid;
	char comm[DEVMEM_COMM_LEN];
};

/*
 * fault_hooks: key __u64 address of a device private pgmap's
 * ops->migrate_to_ram, value __u32 (unused). The fallback modes attach a
 * kprobe pair to each one user space finds here (tools/session/fault_hooks.c).
 */
#define DEVMEM_MAX_FAULT_HOOKS 64

#endif
