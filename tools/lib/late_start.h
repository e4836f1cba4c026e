/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Late start, the model: what a tool started while device memory is
 * already in use makes of debugfs's pgmaps text, of the totals read around
 * it, and of the struct page walk at start. No BPF and no procfs here
 * (tests/unit links it alone); the story end to end, and the live side
 * that drives this, are in tools/session/late_start_live.h.
 */
#ifndef DEVMEM_LATE_START_H
#define DEVMEM_LATE_START_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "pagewalk_model.h"
#include "state.h"
#include "task.h"
#include "teardown.h"

struct devmem_pgmap_lines;
/*
 * Seed pgmaps that existed before we started from debugfs's pgmaps file
 * (pgmaps_text.h), parsed (the host layer's debugfs.h reads it) or as
 * text (a trace's PGMAPS chunk); returns how many.
 */
int devmem_state_seed_lines(struct devmem_state *st, const struct devmem_pgmap_lines *l);
int devmem_state_seed_text(struct devmem_state *st, const char *text);
/* A pgmap's inits and frees at one moment, by its start. */
struct devmem_pgmap_net {
	uint64_t start, inits, frees;
};
/*
 * Late start: settle the live base of the pending rows from one debugfs
 * text, read between two reads of the totals (before, after; nb, na
 * entries). A row whose pgmap handed out or freed nothing across the read
 * is settled: its base is debugfs's live count less the pages counted
 * since attach. Any other gets that estimate, from the totals after the
 * read, and stays pending. Returns how many rows are still pending.
 */
size_t devmem_state_settle_text(struct devmem_state *st, const char *text,
				const struct devmem_pgmap_net *before, size_t nb,
				const struct devmem_pgmap_net *after, size_t na);
/* A pending pgmap that moved no page since the last devmem_state_mark(). */
bool devmem_state_pending_quiet(const struct devmem_state *st);
/*
 * A recording's seeded pgmaps are exact only if every record of their
 * pages is in the file; where some may be missing (a filtered recording,
 * records lost, no END chunk to say), make every seeded pgmap an estimate.
 */
void devmem_state_seeded_estimates(struct devmem_state *st);

/* What the struct page walk at start found of one pgmap. */
struct devmem_walked {
	struct devmem_walk_pgmap pg;
	struct devmem_walk_summary s;
};

/* The walk of a row among w[0..n), or NULL when it was not walked. */
const struct devmem_walked *devmem_walked_of(const struct devmem_walked *w, size_t n,
					     const struct devmem_pgmap_row *r);
/*
 * A teardown that began before we started: the walk at start (x, of row
 * r) found the pgmap's reference killed, and no end has been seen since.
 */
bool devmem_walked_teardown_unseen(const struct devmem_walked *x,
				   const struct devmem_pgmap_row *r);
/* Its report: waiting at least since started_ns, the pages out as walked. */
void devmem_walked_teardown_begin(struct teardown_report *rep, const struct devmem_walked *x,
				  const struct devmem_pgmap_row *r, uint64_t now_ns,
				  uint64_t started_ns, uint64_t stall_ns);
/*
 * Which task waits for which unseen teardown procfs cannot say (the pgmap
 * is an argument in the waiting task's registers): with one unseen
 * teardown among td[0..n) and one task of early[] still waiting, one can
 * only be the other's.
 */
void devmem_teardown_pair_early(struct teardown_report *td, size_t n, size_t unseen,
				const struct ktask *early, size_t nr_early);

#endif
