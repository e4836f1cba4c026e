/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Late start: a tool started while device memory is already in use
 * (docs/counting.md "Late start", docs/pagewalk.md, docs/teardown.md).
 * The story, end to end; the model's half is tools/lib/late_start.h.
 *
 * 1. Seed. Right after attach, a row per pgmap in debugfs's pgmaps file,
 *    with its live pages as the base. A page handed out or freed between
 *    attach and the read is in both that count and ours: the totals read
 *    before and after the read say how many, taken out of the base once.
 * 2. Settle. debugfs counts by walking struct pages, no snapshot: a pgmap
 *    that moved pages across the read keeps an estimate, pending ("~live",
 *    "live_exact": false). Three more tries at once, then one an interval
 *    for ten, after any interval a pending pgmap was quiet, else every
 *    DEVMEM_DEBUGFS_READ_NS. A pgmap destroyed, or no longer listed (its
 *    teardown began), stays an estimate. Fed by records (devmemtop -p)
 *    there are no totals: the replay takes the records from before the
 *    read out of the base (state.c, seed_from_ns); rows stay estimates.
 * 3. Recordings. devmemrec writes the read's window "# read_ns FROM TO"
 *    into the PGMAPS chunk; the replay takes records before FROM out of
 *    the base and makes the pgmap an estimate for one inside the window.
 *    devmemreport makes every seeded pgmap an estimate when the file may
 *    lack some of their records (filtered, records lost, no END).
 * 4. The struct page walk (devmemtop): every pgmap, found through
 *    debugfs and /proc/iomem on any kernel, walked once for the pages in
 *    use at start. Shown apart (pages_walk), never in the live count.
 * 5. Teardowns begun before start: the walk finds a pgmap's reference
 *    killed while debugfs no longer lists it; tasks already blocked in
 *    memunmap_pages() come from procfs, re-read each interval. One such
 *    teardown and one such task can only be each other's.
 */
#ifndef DEVMEM_LATE_START_LIVE_H
#define DEVMEM_LATE_START_LIVE_H

#include <stddef.h>
#include <stdint.h>
#include "attach.h"
#include "late_start.h"
#include "state.h"
#include "task.h"

/* Each debugfs read walks every struct page: at most this often when idle. */
#define DEVMEM_DEBUGFS_READ_NS (10 * 1000000000ull)

struct devmem_late_start {
	/*
	 * Rows worth another debugfs read: the seeded count (or -errno) at
	 * first, then what the last try left pending (rows debugfs no longer
	 * lists stay estimates but are not read for); the tries, the last.
	 */
	int pending;
	unsigned int tries;
	uint64_t tried_ns;
	/* The struct page walk at start, a pgmap each. */
	struct devmem_walked *walked;
	size_t nr_walked;
};

/* 1: seed st from debugfs, with a few quick tries to settle; how many, or -errno. */
int devmem_late_start_seed(struct devmem_late_start *ls, struct devmem_state *st,
			   const struct devmem_session *s);
/* 2: each interval, one more try for the pending rows, when it is worth one. */
void devmem_late_start_settle(struct devmem_late_start *ls, struct devmem_state *st,
			      const struct devmem_session *s);
/*
 * 4: find and walk every pgmap, giving each a row of st (adopting the
 * seeded one of the same start); folios listed up to max_listed. How many
 * were walked, or nonzero with err saying why (empty: out of memory).
 */
int devmem_late_start_walk(struct devmem_late_start *ls, struct devmem_state *st,
			   size_t max_listed, char *err, size_t errlen);
static inline const struct devmem_walked *
devmem_late_start_walked(const struct devmem_late_start *ls, const struct devmem_pgmap_row *r)
{
	return devmem_walked_of(ls->walked, ls->nr_walked, r);
}
/* 5: tasks blocked in memunmap_pages() now, at most max; how many. */
size_t devmem_late_start_waiters(struct ktask *early, size_t max);
/* ... as they are now: state 0 once the call returned or the task is gone. */
void devmem_late_start_waiters_refresh(struct ktask *early, size_t n);
void devmem_late_start_free(struct devmem_late_start *ls);

#endif
