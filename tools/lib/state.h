/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the replay callbacks build: one row per pgmap and per process.
 * Collection (this file), sorting and drawing stay separate.
 */
#ifndef DEVMEM_STATE_H
#define DEVMEM_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "devmem_abi.h"
#include "devmem_counters.h"
#include "replay.h"
#include "u64map.h"

/* Counters that get a per-second rate at each interval mark. */
enum devmem_rate {
	RATE_INIT, RATE_FREE, RATE_TO_DEVICE, RATE_TO_SYSTEM, RATE_FAULT, RATE_MAX
};

#define DEVMEM_NAME_LEN 48

struct devmem_pgmap_row {
	uint64_t pgmap;		/* kernel address; 0 while only known from debugfs */
	uint64_t owner, start, end, nr_pages;
	/* Names (tools/lib/pgmap_names.c): "" until known */
	char driver[DEVMEM_NAME_LEN], device[DEVMEM_NAME_LEN], pci[16];
	uint32_t name_idx;	/* among earlier rows of the same driver and device */
	uint64_t ops;		/* pgmap->ops, 0 if unknown: the best driver name */
	uint64_t named_owner;	/* the ops or owner the driver was named from */
	uint32_t type;
	bool destroyed;
	int64_t live_base;	/* live pages when first seen (debugfs) */
	bool seeded;		/* from debugfs: live_base holds pages out before */
	bool live_pending;	/* live_base is an estimate: the pgmap moved pages
				 * while debugfs was read (docs/counting.md,
				 * "Late start"); a quiet read settles it */
	int64_t refs;		/* shadow references taken since start:
				 * devmem_pgmap_refs() of the counters */
	DEVMEM_PGMAP_COUNTERS_MEMBER;	/* devmem_counters.h */
	uint64_t fault_lat[DEVMEM_LAT_BUCKETS];	/* faults that said how long */
	uint32_t stuck;		/* threads stuck faulting on it now (stuck.h) */
	/*
	 * memunmap_pages() waiting for the last references (ABI 2 kernels):
	 * since when, how many pages were live then (DEVMEM_LIVE_UNKNOWN where
	 * the kernel does not say), which task waits, and its kernel stack at
	 * the begin (recordings, where wait_has_stack). destroyed only once it
	 * ended.
	 */
	bool waiting;
	uint64_t wait_since_ns, wait_live_pages, wait_ns;
	uint32_t wait_pid, wait_tid;
	char wait_comm[DEVMEM_COMM_LEN];
	int32_t wait_stack_id;
	bool wait_has_stack;
	uint64_t mark[RATE_MAX];
	double rate[RATE_MAX];
	/*
	 * A live view's life cycle of a row (tools/devmemtop/pgmaps.h): the
	 * BPF side retired the pgmap (its teardown ended), and these are its
	 * final totals, read from entry retired_key - 1 (0: not retired);
	 * then outputs showed it destroyed; then its totals go to the range's
	 * history row, whose series and totals so never go down.
	 */
	uint64_t retired_key;
	/*
	 * Its pages' keys: DEVMEM_PAGE_KEY(page_id, index), page_id handed
	 * out per row, never reused in a state. Records from before ABI 4
	 * name a page by pfn only: its index is pfn - pfn_base, the base
	 * fixed at the row's first such page (its start then, 0 unknown).
	 * Pages of no row are keyed by pfn under DEVMEM_NO_ROW_PAGE_ID.
	 */
#define DEVMEM_NO_ROW_PAGE_ID 1
	uint32_t page_id;
	bool pfn_base_set;
	uint64_t pfn_base;
	uint64_t orphan_of;	/* a new pgmap took its address before its
				 * retirement was read: the address */
	bool destroyed_shown;
	bool history;		/* the summed totals of dead pgmaps of its range */
};


bool devmem_proc_counters_same(const struct devmem_proc_counters *a,
			       const struct devmem_proc_counters *b);

/*
 * Forget the kernel entry of tgid pid, if it still holds exactly raw (the
 * numbers last read); true when the entry is gone (or was never there),
 * false when it changed, and must be read again, or cannot be deleted.
 */
typedef bool (*devmem_proc_forget_fn)(void *ctx, uint32_t pid,
				      const struct devmem_proc_counters *raw);

/*
 * Forget the BPF side's retired entry key of a pgmap (a live view): true
 * when it is gone, its slot on the way back; false to try again later.
 */
typedef bool (*devmem_pgmap_forget_fn)(void *ctx, uint64_t key);

struct devmem_proc_row {
	uint32_t pid;
	char comm[DEVMEM_COMM_LEN];
	DEVMEM_PROC_COUNTERS_MEMBER;	/* devmem_counters.h; held: pages it
					 * was handed, still out */
	uint64_t fault_mark;	/* faults at the last interval mark */
	double fault_rate;	/* faults per second over the last interval */
	uint32_t stuck;		/* its threads stuck faulting now (stuck.h) */
	uint64_t serial;	/* the row's identity: never reused in a state */
	/*
	 * Liveness, kept by the live view only (procs.h); a replay of a
	 * recording leaves it all zero and keeps every row.
	 */
	uint64_t start_time;	/* /proc/PID/stat starttime when first seen */
	bool probed;		/* start_time is known, or it was gone at once */
	bool exited;		/* the process is gone (or its pid is another's) */
	bool final_read;	/* totals read after it was found gone: final */
	bool exited_shown;	/* outputs showed it exited with these numbers */
	bool retired;		/* its pid was reused: frozen, not in proc_idx */
	struct devmem_proc_counters base;	/* the kernel entry's numbers when
						 * this row took it over from a
						 * dead process (pid reuse) */
};

struct devmem_state {
	struct devmem_pgmap_row *pgmaps;
	size_t nr_pgmaps, cap_pgmaps;
	struct devmem_proc_row *procs;
	size_t nr_procs, cap_procs;
	struct u64map pgmap_idx, proc_idx, page_owner;	/* devmem_page_key() -> pid */
	uint32_t page_ids;	/* row page_ids handed out (DEVMEM_NO_ROW_PAGE_ID + 1 up) */
	uint64_t events, events_mark, by_type[DEVMEM_REC_TYPE_MAX];
	double event_rate;
	uint64_t mark_ns;
	uint64_t oom;		/* rows or pages we had no memory to track */
	size_t last_pgmap_row, last_proc_row;	/* lookup caches, checked on use */
	uint64_t proc_serial;	/* the last row serial handed out */
	/*
	 * A leak tracker (leaks.h) keeps who holds each page, and charges the
	 * frees to the holders itself: page_owner stays empty, one pfn map
	 * lookup per record fewer.
	 */
	bool pages_elsewhere;
	/*
	 * A recording's debugfs read (the PGMAPS chunk's "# read_ns FROM TO"
	 * line; 0 0 without): the pages of records before FROM are in the
	 * seeded base already; records during the read leave it an estimate.
	 */
	uint64_t seed_from_ns, seed_to_ns;
	bool refs_on_free;	/* no put_pgmap events (fallback modes): a free of
				 * a private or coherent page drops its reference,
				 * and gets are not held as references */
	/*
	 * Optional: describe a pgmap address seen for the first time (start,
	 * end, type, owner, nr_pages of *meta), so it can adopt the row seeded
	 * from debugfs for the same range. Returns 0 when it could.
	 */
	int (*resolve)(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta);
	void *resolve_ctx;
};

extern const struct devmem_ops devmem_state_ops;	/* ctx: struct devmem_state * */

void devmem_state_free(struct devmem_state *st);
/* The row of a pgmap address or a process, made if new; NULL without memory. */
struct devmem_pgmap_row *devmem_state_pgmap(struct devmem_state *st, uint64_t pgmap);
struct devmem_proc_row *devmem_state_proc(struct devmem_state *st, uint32_t pid,
					  const char *comm);
/*
 * A row for a pgmap known by its range only, zeroed, for the caller to
 * fill (a debugfs seed, late_start.h); keyed by start until an address
 * adopts it. NULL without memory, not counted in oom.
 */
struct devmem_pgmap_row *devmem_state_pgmap_new(struct devmem_state *st);
static inline int64_t devmem_pgmap_live(const struct devmem_pgmap_row *r)
{
	return r->live_base + (int64_t)r->inits - (int64_t)r->frees;
}
/* Describe a pgmap (from the BPF side's map); adopts a debugfs row by start. */
void devmem_state_pgmap_meta(struct devmem_state *st, uint64_t pgmap, uint64_t start,
			     uint64_t end, uint32_t type, uint64_t owner, uint64_t nr_pages);
/*
 * A page's index in its pgmap row pg (NULL: none known), from a record's
 * pfn and index (DEVMEM_INDEX_FROM_PFN: a record from before ABI 4), and
 * its key in per-page state: rows never share one, so two pgmaps over one
 * range one after the other, or device private pages without a pfn, keep
 * apart. A page of no row is keyed by its pfn.
 */
uint64_t devmem_page_index(struct devmem_pgmap_row *pg, uint64_t pfn, uint64_t index);
uint64_t devmem_page_key(struct devmem_pgmap_row *pg, uint64_t pfn, uint64_t index);
/* Close an interval: compute per-second rates since the previous mark. */
void devmem_state_mark(struct devmem_state *st, uint64_t now_ns);
const char *devmem_pgmap_type_name(uint32_t type);
/* The latency under which pct % of them fall (the upper edge of its
 * devmem_lat_bucket()); 0 with none. */
uint64_t devmem_lat_percentile(const uint64_t hist[DEVMEM_LAT_BUCKETS], double pct);

#endif
