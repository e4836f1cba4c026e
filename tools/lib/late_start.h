/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Late start (docs/counting.md): what a tool started while device memory
 * is already in use makes of debugfs's pgmaps text and of the totals read
 * around it. No BPF here: tests/unit links it alone.
 */
#ifndef DEVMEM_LATE_START_H
#define DEVMEM_LATE_START_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "state.h"

/* Seed pgmaps that existed before we started from debugfs's pgmaps file;
 * returns how many, or -errno when the file cannot be read. */
int devmem_state_seed_debugfs(struct devmem_state *st, const char *path);
/* The same from the file's text (a trace's PGMAPS chunk). */
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
/*
 * A recording's seeded pgmaps are exact only if every record of their
 * pages is in the file; where some may be missing (a filtered recording,
 * records lost, no END chunk to say), make every seeded pgmap an estimate.
 */
void devmem_state_seeded_estimates(struct devmem_state *st);

#endif
