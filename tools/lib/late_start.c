// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Late start, the model (late_start.h; the story: session/late_start_live.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "late_start.h"

int devmem_state_seed_text(struct devmem_state *st, const char *text)
{
	char type[32], id[32], owner[32];
	unsigned long long start, end, nr, live;
	const char *line;
	int n = 0;

	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		struct devmem_pgmap_row *r;
		uint32_t t;

		if (sscanf(line, "# read_ns %llu %llu", &start, &end) == 2) {
			st->seed_from_ns = start;
			st->seed_to_ns = end < start ? start : end;	/* a bad file's */
			continue;
		}
		if (line[0] == '#' || sscanf(line, "%31s %31s %llx %llx %31s %llu %llu",
					     id, type, &start, &end, owner, &nr, &live) != 7)
			continue;
		for (t = 1; t <= DEVMEM_PGMAP_P2PDMA; t++)
			if (!strcmp(type, devmem_pgmap_type_name(t)))
				break;
		/* Keyed by start until the BPF side tells us its address. */
		r = devmem_state_pgmap_new(st);
		if (!r)
			break;
		r->start = start;
		r->end = end;
		r->nr_pages = nr;
		r->live_base = live;
		r->seeded = true;
		r->type = t;
		n++;
	}
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

int devmem_state_seed_debugfs(struct devmem_state *st, const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;
	int rc;

	if (!f)
		return -errno;
	text = calloc(1, 1 << 16);
	n = text ? fread(text, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (!text)
		return -ENOMEM;
	text[n] = 0;
	rc = devmem_state_seed_text(st, text);
	free(text);
	return rc;
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
