/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A live view's numbers: the BPF side's per-CPU totals (count_in_kernel),
 * summed over CPUs into the same rows that replaying records builds. The
 * two never both count one session (docs/counting.md).
 */
#ifndef DEVMEM_KCOUNTS_H
#define DEVMEM_KCOUNTS_H

#include "attach.h"
#include "late_start.h"
#include "state.h"

/*
 * Make st's pgmap rows and event counts the kernel's, and hand each
 * process entry's totals to on_proc: what a row does with an entry whose
 * process died or whose pid was reused is the tool's policy (devmemtop's
 * procs.c).
 */
typedef struct devmem_proc_row *(*devmem_proc_totals_fn)(struct devmem_state *st, uint32_t pid,
							  const char *comm,
							  const struct devmem_proc_counters *c);
int devmem_state_from_kernel(struct devmem_state *st, const struct devmem_session *s,
			     devmem_proc_totals_fn on_proc);
/*
 * Describe a pgmap address from the BPF side's pgmap_meta map: a
 * devmem_state resolve callback (ctx: the struct devmem_session).
 */
int devmem_resolve_pgmap(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta);
/* Every counted live pgmap's inits and frees, by start, at most max (late start). */
int devmem_pgmap_nets(const struct devmem_session *s, struct devmem_pgmap_net *out, int max);

/*
 * A devmem_proc_forget_fn (state.h) on the proc_counts map (ctx: the
 * struct devmem_session): give a dead process's slot back if unchanged.
 */
bool devmem_proc_forget_kernel(void *ctx, uint32_t pid, const struct devmem_proc_counters *raw);

/* Events the BPF side saw, of every kind, before any filter or loss. */
uint64_t devmem_events_seen(const struct devmem_session *s);
/*
 * The pages of a live pgmap (its kernel address) still out, by the
 * process they were handed to: the BPF side's page owners (kept for live
 * views and the fallback modes). fn(ctx, tgid, pages) once per process,
 * pages handed out before we started are in none. One map lookup per 512
 * pages: read it only for a pgmap that needs it (a teardown that waits).
 * 0 or -errno.
 */
int devmem_pgmap_owners(const struct devmem_session *s, uint64_t pgmap,
			void (*fn)(void *ctx, uint32_t tgid, uint64_t pages), void *ctx);

#endif
