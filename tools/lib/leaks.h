/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Device pages handed out and not yet freed, with who got them and where,
 * built by replay callbacks that also feed struct devmem_state. Shared by
 * devmemleak's verdict and devmemreport's "still outstanding" section.
 */
#ifndef DEVMEM_LEAKS_H
#define DEVMEM_LEAKS_H

#include <stdbool.h>
#include <stdint.h>
#include "replay.h"
#include "state.h"

struct page_out {
	uint64_t pfn, pgmap, ts_ns;
	uint32_t pid, nr_pages;	/* a folio of nr_pages from pfn */
	int32_t stack_id;
	char comm[DEVMEM_COMM_LEN];
	bool live;
};

/*
 * pages[] holds the pages in the order they were handed out; freed ones are
 * dropped by compacting it in place (order kept), so it is sized by the
 * pages still out, never by all the pages ever seen.
 */
struct leak_tracker {
	struct devmem_state st;	/* first: the state callbacks get this */
	struct page_out *pages;
	size_t n, cap;		/* entries (live or freed), slots */
	size_t dead;		/* entries of pages[] freed, not yet dropped */
	struct u64map idx;	/* pfn + 1 -> index of its live entry */
};

/* One group of pages still out: same stack, pgmap and process. */
struct leak_group {
	char stack[4096];	/* "frame;frame;..." or "(no stack)" */
	uint64_t pgmap, oldest_ns, count;
	uint32_t pid;
	char comm[DEVMEM_COMM_LEN];
	bool suppressed;
};

/* Replay callbacks; ctx is the struct leak_tracker. */
const struct devmem_ops *leak_tracker_ops(void);

/*
 * Group the pages still out. stack_of(ctx, id, buf, len) names a stack;
 * a group whose stack contains one of suppress[] is marked suppressed.
 * Sorted by count, largest first. Returns the number of groups.
 */
size_t leak_groups(const struct leak_tracker *t,
		   const char *(*stack_of)(void *ctx, int32_t id, char *buf, size_t len),
		   void *ctx, char *const *suppress, size_t nsuppress, struct leak_group **out);
/* pgmap references beyond the pages still out: taken and never put. */
uint64_t leak_extra_refs(const struct leak_tracker *t);
void leak_tracker_free(struct leak_tracker *t);

#endif
