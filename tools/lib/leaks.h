/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Device pages handed out and not yet freed, with who got them and where,
 * built by replay callbacks that also feed struct devmem_state. Shared by
 * devmemleak's verdict and devmemreport's "still outstanding" section.
 *
 * Scope (docs/devmemleak.md): with leak_tracker_scope(), only the pages
 * and pgmap references of one process tree are "mine", judged; the rest
 * belong to other processes, shown apart. The tree is built in record
 * order from DEVMEM_REC_TASK_FORK/EXIT: every child of root_parent (the
 * tool that starts the command), and every child of a member. A page is
 * classified when it is handed out, by the tgid it was handed to, so a pid
 * reused after a member's exit is not in the tree; its free, by whoever
 * (a kworker, a child), counts for the page's own class.
 */
#ifndef DEVMEM_LEAKS_H
#define DEVMEM_LEAKS_H

#include <stdbool.h>
#include <stdint.h>
#include "container_of.h"
#include "replay.h"
#include "state.h"

struct page_out {
	uint64_t pfn, pgmap, ts_ns;	/* pfn: DEVMEM_PFN_NONE where it has none */
	uint64_t index, key;	/* in its pgmap; devmem_page_key() */
	uint32_t pid, nr_pages;	/* a folio of nr_pages from pfn */
	int32_t stack_id;
	char comm[DEVMEM_COMM_LEN];
	bool live;
	bool mine;	/* handed to the tree in scope */
};

/* pgmap references in scope: the per-pgmap shadow of devmem_state's refs. */
struct scope_refs {
	uint64_t pgmap;
	int64_t refs;	/* page-tied references, gets, minus puts and ref drops */
	int64_t pages;	/* pages handed out minus freed */
};

/*
 * pages[] holds the pages in the order they were handed out; freed ones are
 * dropped by compacting it in place (order kept), so it is sized by the
 * pages still out, never by all the pages ever seen.
 */
struct leak_tracker {
	struct devmem_state st;	/* what the callbacks are handed: leak_tracker_of() */
	struct page_out *pages;
	size_t n, cap;		/* entries (live or freed), slots */
	size_t dead;		/* entries of pages[] freed, not yet dropped */
	struct u64map idx;	/* devmem_page_key() -> index of its live entry */
	/* Scope; without leak_tracker_scope(), every page is mine. */
	bool scoped;
	uint32_t root_parent;
	struct u64map tree;	/* tgid + 1 -> 1: members alive */
	uint64_t tree_alive, tree_seen;	/* members now, members ever */
	uint64_t out_mine, out_other;	/* pages still out */
	uint64_t last_mine_ns;	/* record time of the last free or exit in scope */
	uint32_t root;		/* the command: root_parent's child */
	uint64_t root_exit_ns;	/* record time of its exit, 0 before */
	uint64_t mine_frees;	/* pages of mine freed */
	struct u64map freeing;	/* tid + 1 -> 1 + mine of the page it just freed */
	struct scope_refs *srefs;
	size_t nr_srefs, cap_srefs;
	struct u64map srefs_idx;	/* pgmap -> index in srefs */
	size_t last_sref;	/* lookup cache, checked on use */
};

/* One group of pages still out: same stack, pgmap and process. */
struct leak_group {
	char stack[4096];	/* "frame;frame;..." or "(no stack)" */
	uint64_t pgmap, oldest_ns, count;
	uint64_t oldest_pfn, oldest_index;	/* its oldest page (pfn: DEVMEM_PFN_NONE) */
	uint32_t pid;
	char comm[DEVMEM_COMM_LEN];
	bool suppressed;
	bool mine;
};

/*
 * Replay callbacks; ctx is the tracker's struct devmem_state (&t->st), as
 * for devmem_state_ops, so that a struct embedding a tracker can extend
 * them (devmemreport's collect.c) and find itself with container_of().
 */
const struct devmem_ops *leak_tracker_ops(void);

static inline struct leak_tracker *leak_tracker_of(struct devmem_state *st)
{
	return container_of(st, struct leak_tracker, st);
}
/*
 * Judge only the descendants of root_parent (call before any record):
 * children it forks, their children, and so on.
 */
void leak_tracker_scope(struct leak_tracker *t, uint32_t root_parent);
/* Judge every page after all (the tree was never seen): all become mine. */
void leak_tracker_unscope(struct leak_tracker *t);

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
/*
 * Of those, the ones in scope. A reference is mine when my tree took it;
 * a put counts for the page just freed by the same thread, else for the
 * putting process. Per pgmap, mine is at most the pgmap's whole excess:
 * a reference of mine put by another process (a kworker) is not a leak,
 * and another job's leak is never mine. The rest: extra - mine.
 */
uint64_t leak_extra_refs_mine(const struct leak_tracker *t);
void leak_tracker_free(struct leak_tracker *t);

#endif
