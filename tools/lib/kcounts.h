/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A live view's numbers: the BPF side's per-CPU totals (count_in_kernel),
 * summed over CPUs into the same rows that replaying records builds. The
 * two never both count one session (docs/counting.md).
 */
#ifndef DEVMEM_KCOUNTS_H
#define DEVMEM_KCOUNTS_H

#include "attach.h"
#include "state.h"

/* Make st's pgmap and process rows, and its event counts, the kernel's. */
int devmem_state_from_kernel(struct devmem_state *st, const struct devmem_session *s);
/*
 * Describe a pgmap address from the BPF side's pgmap_meta map: a
 * devmem_state resolve callback (ctx: the struct devmem_session).
 */
int devmem_resolve_pgmap(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta);
/*
 * Seed pgmaps that existed before the session from debugfs, so that their
 * live pages are the kernel's: pages handed out since attach are in both
 * debugfs and the totals, and are taken out of the base once. Reads until
 * the totals stand still around the debugfs read. Returns the number of
 * pgmaps seeded, or -errno.
 */
int devmem_state_seed_live(struct devmem_state *st, const struct devmem_session *s,
			   const char *debugfs_path);

/* Events the BPF side saw, of every kind, before any filter or loss. */
uint64_t devmem_events_seen(const struct devmem_session *s);

/*
 * Forget a process the live view no longer shows (gone, holding no pages):
 * its totals are zeroed and its slot given back to the BPF side. A BPF
 * program still adding for that very process at that instant could add to
 * the slot's next owner; the caller evicts only processes that are gone
 * and hold nothing, which have no more events.
 */
int devmem_kcounts_evict_proc(const struct devmem_session *s, uint32_t tgid);

#endif
