// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Late start, the live side: the story is late_start_live.h's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "clock.h"
#include "debugfs.h"
#include "devmem_maps.h"
#include "devmem.skel.h"
#include "kcounts.h"
#include "ktasks.h"
#include "late_start_live.h"
#include "pagewalk.h"


/*
 * One try (docs/counting.md, "Late start"): the totals, debugfs, the
 * totals again. seed: first add a row per debugfs line, pending. Returns
 * the rows still pending (or seeded, with seed), or -errno.
 *
 * A view fed by records (-p) has no totals: the records from before the
 * read are taken out of the base as they are replayed (seed_from_ns), and
 * the rows stay estimates, since the filter hides other processes' pages.
 */
static int settle_once(struct devmem_state *st, const struct devmem_session *s,
		       const char *path, bool seed)
{
	struct devmem_pgmap_net *before = calloc(2 * DEVMEM_MAX_PGMAPS, sizeof(*before));
	struct devmem_pgmap_net *after = before + DEVMEM_MAX_PGMAPS;
	char *text = NULL;
	bool totals = s->skel->rodata->count_in_kernel;
	size_t len, i, first = st->nr_pgmaps;
	int rc = -ENOMEM, nb = 0, na = 0;

	if (!before)
		goto out;
	if (totals && (nb = devmem_pgmap_nets(s, before, DEVMEM_MAX_PGMAPS)) < 0) {
		rc = nb;
		goto out;
	}
	st->seed_from_ns = totals ? 0 : host_now_ns();
	text = debugfs_pgmaps_text(path, &len);
	if (!text) {
		rc = -errno;
		goto out;
	}
	st->seed_to_ns = totals ? 0 : host_now_ns();
	if (totals && (na = devmem_pgmap_nets(s, after, DEVMEM_MAX_PGMAPS)) < 0) {
		rc = na;
		goto out;
	}
	if (seed) {
		rc = devmem_state_seed_text(st, text);
		for (i = first; i < st->nr_pgmaps; i++)
			st->pgmaps[i].live_pending = true;
	}
	if (totals) {
		i = devmem_state_settle_text(st, text, before, nb, after, na);
		if (!seed)
			rc = (int)i;
	}
out:
	free(before);
	free(text);
	return rc;
}

/* One more try for the pending rows: how many stay pending, or -errno. */
static int settle_live(struct devmem_state *st, const struct devmem_session *s,
		       const char *debugfs_path)
{
	size_t i;

	if (!s->skel->rodata->count_in_kernel)
		return 0;	/* records: no later read can settle them */
	for (i = 0; i < st->nr_pgmaps; i++)
		if (st->pgmaps[i].live_pending && !st->pgmaps[i].destroyed)
			return settle_once(st, s, debugfs_path, false);
	return 0;
}

int devmem_late_start_seed(struct devmem_late_start *ls, struct devmem_state *st,
			   const struct devmem_session *s)
{
	const char *path = debugfs_pgmaps_path();
	int rc = settle_once(st, s, path, true), tries;

	/* A few quick tries; what stays pending is tried at each interval. */
	for (tries = 0; rc > 0 && tries < 3 && settle_live(st, s, path) > 0; tries++)
		;
	ls->pending = rc;
	return rc;
}

/*
 * A pgmap that moved pages while debugfs was read at start has an
 * estimated base until a read finds it quiet. Tried each interval at
 * first and whenever a pending pgmap was quiet through one; otherwise, as
 * each read walks every struct page, at most every DEVMEM_DEBUGFS_READ_NS.
 */
void devmem_late_start_settle(struct devmem_late_start *ls, struct devmem_state *st,
			      const struct devmem_session *s)
{
	uint64_t now = host_now_ns();
	int rc;

	if (ls->pending <= 0 ||
	    (ls->tries >= 10 && now - ls->tried_ns < DEVMEM_DEBUGFS_READ_NS &&
	     !devmem_state_pending_quiet(st)))
		return;
	ls->tries++;
	ls->tried_ns = now;
	rc = settle_live(st, s, debugfs_pgmaps_path());
	if (rc >= 0)	/* a read that failed is tried again */
		ls->pending = rc;
}

/*
 * From the struct pages (docs/pagewalk.md): find every pgmap (debugfs's
 * list where the kernel has it, /proc/iomem's regions on any kernel), give
 * each a row, and walk its pages once. A pgmap whose memunmap_pages()
 * already waits is found this way too (it is still in /proc/iomem;
 * debugfs no longer lists it).
 */
int devmem_late_start_walk(struct devmem_late_start *ls, struct devmem_state *st,
			   size_t max_listed, char *err, size_t errlen)
{
	struct devmem_pfn_range *extra = calloc(st->nr_pgmaps + 1, sizeof(*extra));
	struct devmem_walk_pgmap *pg = NULL;
	struct pagewalk *w;
	size_t i, n = 0;
	int rc;

	if (!extra)
		return -1;
	for (i = 0; i < st->nr_pgmaps; i++)	/* seeded from debugfs */
		if (st->pgmaps[i].end > st->pgmaps[i].start) {
			extra[n].start = st->pgmaps[i].start >> 12;
			extra[n++].end = (st->pgmaps[i].end >> 12) + 1;
		}
	rc = devmem_pagewalk_open(&w, err, errlen);
	if (rc) {
		free(extra);
		return rc;
	}
	rc = devmem_pgmap_find(w, extra, n, &pg);
	free(extra);
	if (rc < 0) {
		snprintf(err, errlen, "finding pgmaps failed (%d)", rc);
		devmem_pagewalk_close(w);
		return rc;
	}
	ls->walked = calloc(rc ? rc : 1, sizeof(*ls->walked));
	for (i = 0; ls->walked && i < (size_t)rc; i++) {
		struct devmem_walked *x = &ls->walked[ls->nr_walked++];
		uint64_t idx;

		x->pg = pg[i];
		x->s.max_listed = max_listed;
		devmem_pagewalk_pgmap(w, &x->pg, &x->s);
		/* Its row: adopts a debugfs one of the same start, else a new one. */
		devmem_state_pgmap_meta(st, x->pg.pgmap, x->pg.start, x->pg.end, x->pg.type,
					x->pg.owner, (x->pg.end + 1 - x->pg.start) >> 12);
		if (u64map_get(&st->pgmap_idx, x->pg.pgmap, &idx) && !st->pgmaps[idx].ops)
			st->pgmaps[idx].ops = x->pg.ops;
	}
	free(pg);
	devmem_pagewalk_close(w);
	return ls->walked ? (int)ls->nr_walked : -1;
}

size_t devmem_late_start_waiters(struct ktask *early, size_t max)
{
	int n = ktasks_find("memunmap_pages", early, max);

	return n < 0 ? 0 : (size_t)n < max ? (size_t)n : max;
}

void devmem_late_start_waiters_refresh(struct ktask *early, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ktask k;

		if (!early[i].state)
			continue;
		if (ktask_read(early[i].pid, early[i].tid, &k) ||
		    !ktask_stack_has(k.stack, "memunmap_pages"))
			early[i].state = 0;	/* returned, or gone */
		else
			early[i] = k;
	}
}

void devmem_late_start_free(struct devmem_late_start *ls)
{
	size_t i;

	for (i = 0; i < ls->nr_walked; i++)
		devmem_walk_summary_free(&ls->walked[i].s);
	free(ls->walked);
	ls->walked = NULL;
	ls->nr_walked = 0;
}
