// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Late start, the model (late_start.h; the story: session/late_start_live.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "late_start.h"
#include "pgmaps_text.h"

int devmem_state_seed_lines(struct devmem_state *st, const struct devmem_pgmap_lines *l)
{
	size_t i;
	int n = 0;

	if (l->has_read_ns) {
		st->seed_from_ns = l->read_from_ns;
		/* a bad file's */
		st->seed_to_ns = l->read_to_ns < l->read_from_ns ? l->read_from_ns : l->read_to_ns;
	}
	for (i = 0; i < l->n; i++) {
		struct devmem_pgmap_row *r;

		/* Keyed by start until the BPF side tells us its address. */
		r = devmem_state_pgmap_new(st);
		if (!r)
			break;
		r->start = l->v[i].start;
		r->end = l->v[i].end;
		r->nr_pages = l->v[i].nr_pages;
		r->live_base = l->v[i].live;
		r->seeded = true;
		r->type = l->v[i].type;
		n++;
	}
	return n;
}

int devmem_state_seed_text(struct devmem_state *st, const char *text)
{
	struct devmem_pgmap_lines l;
	int n;

	devmem_pgmap_lines_parse(text, &l);	/* without memory: the lines it has */
	n = devmem_state_seed_lines(st, &l);
	devmem_pgmap_lines_free(&l);
	return n;
}

/* debugfs's live pages for the range at start, or -1 if it lists none. */
static int64_t text_live(const char *text, uint64_t start)
{
	unsigned long long s, live;
	const char *line;

	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (line[0] != '#' &&
		    sscanf(line, "%*s %*s %llx %*s %*s %*s %llu", &s, &live) == 2 && s == start)
			return (int64_t)live;
	return -1;
}

static const struct devmem_pgmap_net *net_of(const struct devmem_pgmap_net *v, size_t n,
					     uint64_t start)
{
	static const struct devmem_pgmap_net none;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].start == start)
			return &v[i];
	return &none;	/* never counted: nothing since attach */
}

size_t devmem_state_settle_text(struct devmem_state *st, const char *text,
				const struct devmem_pgmap_net *before, size_t nb,
				const struct devmem_pgmap_net *after, size_t na)
{
	size_t i, pending = 0;

	for (i = 0; i < st->nr_pgmaps; i++) {
		struct devmem_pgmap_row *r = &st->pgmaps[i];
		const struct devmem_pgmap_net *b, *a;
		int64_t live;

		/* A destroyed pgmap keeps its estimate: no read can settle it. */
		if (!r->live_pending || r->destroyed)
			continue;
		/*
		 * Not listed: its teardown began (debugfs skips a pgmap it cannot
		 * take a live reference on), maybe waiting on leaked pages for
		 * good. No read can settle it: its estimate stays.
		 */
		live = text_live(text, r->start);
		if (live < 0)
			continue;
		b = net_of(before, nb, r->start);
		a = net_of(after, na, r->start);
		r->live_base = live - ((int64_t)a->inits - (int64_t)a->frees);
		r->live_pending = a->inits != b->inits || a->frees != b->frees;
		pending += r->live_pending;
	}
	return pending;
}

bool devmem_state_pending_quiet(const struct devmem_state *st)
{
	size_t i;

	for (i = 0; i < st->nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &st->pgmaps[i];

		if (r->live_pending && !r->destroyed && !r->waiting && r->inits == r->mark[RATE_INIT] &&
		    r->frees == r->mark[RATE_FREE])
			return true;
	}
	return false;
}

void devmem_state_seeded_estimates(struct devmem_state *st)
{
	size_t i;

	for (i = 0; i < st->nr_pgmaps; i++)
		if (st->pgmaps[i].seeded)
			st->pgmaps[i].live_pending = true;
}

const struct devmem_walked *devmem_walked_of(const struct devmem_walked *w, size_t n,
					     const struct devmem_pgmap_row *r)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r->pgmap ? w[i].pg.pgmap == r->pgmap && w[i].pg.start == r->start :
			       w[i].pg.start == r->start)
			return &w[i];
	return NULL;
}

bool devmem_walked_teardown_unseen(const struct devmem_walked *x,
				   const struct devmem_pgmap_row *r)
{
	return x && x->pg.ref_dead && !r->waiting && !r->destroyed;
}

void devmem_walked_teardown_begin(struct teardown_report *rep, const struct devmem_walked *x,
				  const struct devmem_pgmap_row *r, uint64_t now_ns,
				  uint64_t started_ns, uint64_t stall_ns)
{
	teardown_begin_unseen(rep, r, now_ns, started_ns, stall_ns, (int64_t)x->s.in_use_pages,
			      x->s.done && !x->s.error, x->pg.ref_count);
}

void devmem_teardown_pair_early(struct teardown_report *td, size_t n, size_t unseen,
				const struct ktask *early, size_t nr_early)
{
	size_t i, waiting = 0;

	for (i = 0; i < nr_early; i++)
		waiting += early[i].state != 0;
	for (i = 0; unseen == 1 && waiting == 1 && i < n; i++)
		for (size_t k = 0; td[i].began_unseen && k < nr_early; k++)
			if (early[k].state)
				teardown_set_task(&td[i], &early[k]);
}
