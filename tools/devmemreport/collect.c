// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include "collect.h"
#include "late_start.h"
#include "lost.h"
#include "pgmap_names.h"

/* Append one element to a growable array; false when out of memory. */
static bool push(void **arr, size_t *n, size_t *cap, const void *elem, size_t size)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		void *p = realloc(*arr, c * size);

		if (!p)
			return false;
		*arr = p;
		*cap = c;
	}
	memcpy((char *)*arr + *n * size, elem, size);
	(*n)++;
	return true;
}

#define PUSH(r, field, elem) \
	do { if (!push((void **)&(r)->field, &(r)->n##field, &(r)->cap##field, (elem), sizeof(*(elem)))) \
		(r)->t.st.oom++; } while (0)

/* The report whose tracker's state the callbacks were handed. */
static struct report *report_of(void *ctx)
{
	return container_of(leak_tracker_of(ctx), struct report, t);
}

static void seen(struct report *r, const struct devmem_rec_hdr *h)
{
	if (!r->first_ts || h->ts_ns < r->first_ts)
		r->first_ts = h->ts_ns;
	if (h->ts_ns > r->last_ts)
		r->last_ts = h->ts_ns;
}

static void sample(struct report *r, const struct devmem_rec_page *p)
{
	uint64_t row;
	struct sample s;

	if (!r->want_samples || !u64map_get(&r->t.st.pgmap_idx, p->pgmap, &row))
		return;
	s = (struct sample){ p->hdr.ts_ns, (uint32_t)row, devmem_pgmap_live(&r->t.st.pgmaps[row]) };
	PUSH(r, samples, &s);
}

static void rp_page_init(void *ctx, const struct devmem_rec_page *p)
{
	struct report *r = report_of(ctx);

	seen(r, &p->hdr);
	leak_tracker_ops()->page_init(ctx, p);
	sample(r, p);
	if (r->want_folded)
		folded_add(&r->folded, FOLDED_HANDED_OUT, p->pgmap, p->hdr.pid, p->hdr.comm,
			   p->stack_id, p->nr_pages);
}

static void rp_folio_free(void *ctx, const struct devmem_rec_page *p)
{
	struct report *r = report_of(ctx);

	seen(r, &p->hdr);
	leak_tracker_ops()->folio_free(ctx, p);
	sample(r, p);
}

static void rp_longterm(void *ctx, const struct devmem_rec_longterm *l)
{
	struct report *r = report_of(ctx);

	seen(r, &l->hdr);
	leak_tracker_ops()->longterm(ctx, l);
	PUSH(r, longterm, l);
}

static void rp_cow(void *ctx, const struct devmem_rec_cow *c)
{
	struct report *r = report_of(ctx);

	seen(r, &c->hdr);
	leak_tracker_ops()->cow(ctx, c);
	PUSH(r, cow, c);
}

static void rp_create(void *ctx, const struct devmem_rec_pgmap *p)
{
	struct report *r = report_of(ctx);

	seen(r, &p->hdr);
	leak_tracker_ops()->pgmap_create(ctx, p);
	PUSH(r, life, p);
}

static void rp_destroy(void *ctx, const struct devmem_rec_pgmap *p)
{
	struct report *r = report_of(ctx);

	seen(r, &p->hdr);
	leak_tracker_ops()->pgmap_destroy(ctx, p);
	PUSH(r, life, p);
}

static void rp_wait(void *ctx, const struct devmem_rec_pgmap_wait *w)
{
	struct report *r = report_of(ctx);

	seen(r, &w->hdr);
	leak_tracker_ops()->pgmap_wait(ctx, w);
	if (w->stage == DEVMEM_WAIT_END)
		PUSH(r, ends, w);
}

/* Faults and migrations carry no stack: --folded files them under "[no stack]". */
static void rp_fault(void *ctx, const struct devmem_rec_fault *f)
{
	struct report *r = report_of(ctx);

	leak_tracker_ops()->fault(ctx, f);
	if (r->want_folded)	/* a fault moves at least its page */
		folded_add(&r->folded, FOLDED_FAULTS, f->pgmap, f->hdr.pid, f->hdr.comm, -1,
			   f->nr_pages ? f->nr_pages : 1);
}

static void rp_migrate(void *ctx, const struct devmem_rec_migrate *m)
{
	struct report *r = report_of(ctx);

	leak_tracker_ops()->migrate(ctx, m);
	/* Counted as the state counts them: the finalize stage's total. */
	if (r->want_folded && m->stage == DEVMEM_MIGRATE_FINALIZE && m->nr_to_system)
		folded_add(&r->folded, FOLDED_TO_SYSTEM, m->pgmap, m->hdr.pid, m->hdr.comm, -1,
			   m->nr_to_system);
}

const struct devmem_ops *report_ops(void)
{
	static struct devmem_ops ops;

	if (!ops.page_init) {
		ops = *leak_tracker_ops();
		ops.page_init = rp_page_init;
		ops.folio_free = rp_folio_free;
		ops.longterm = rp_longterm;
		ops.cow = rp_cow;
		ops.pgmap_create = rp_create;
		ops.pgmap_destroy = rp_destroy;
		ops.pgmap_wait = rp_wait;
		ops.fault = rp_fault;
		ops.migrate = rp_migrate;
	}
	return &ops;
}

void report_free(struct report *r)
{
	leak_tracker_free(&r->t);
	free(r->longterm);
	free(r->cow);
	free(r->life);
	free(r->ends);
	free(r->samples);
	folded_free(&r->folded);
	memset(r, 0, sizeof(*r));
}

/*
 * A seeded pgmap's live count is exact only if every record of its pages
 * is in the file (docs/counting.md, "Late start"): not with a pid or pgmap
 * filter, not with records lost, not without the END chunk that says.
 */
static void seeded_exact(struct devmem_state *st, const struct dmt_info *first,
			 const struct dmt_info *info)
{
	uint64_t lost = 0, no_stack = 0;
	char pid[32] = "0", pgmap[32] = "0";

	dmt_meta_get(first->meta, "filter_pid", pid, sizeof(pid));
	dmt_meta_get(first->meta, "filter_pgmap", pgmap, sizeof(pgmap));
	/* filter_pgmap: an address or start (0: none), or a pgmap's name. */
	if (strtoull(pid, NULL, 0) == 0 && !strcmp(pgmap, "0") &&
	    !devmem_lost_from_end(info->end, &lost, &no_stack) && lost == 0)
		return;
	devmem_state_seeded_estimates(st);
}

int report_read(struct report *rep, const char *path, unsigned int flags,
		struct dmt_info *first, struct dmt_info *info, char *err, size_t errlen)
{
	struct devmem_state *stp = &rep->t.st;
	char buf[64];
	int rc;

	memset(info, 0, sizeof(*info));
	/* First pass: what the file says about itself; second: the events. */
	rc = dmt_scan_flags(path, first, flags, err, errlen);
	if (rc == DMT_READ_OK || rc == DMT_READ_TRUNCATED || rc == DMT_READ_SALVAGED) {
		/* Pgmaps described in-band or at the end name the rows, finished or not. */
		stp->resolve = dmt_resolve_pgmap;
		stp->resolve_ctx = first->pgmap_addrs;
		stp->refs_on_free = dmt_meta_get(first->meta, "attach_mode", buf, sizeof(buf)) &&
				    strcmp(buf, "tracepoint");
		if (first->pgmaps)
			devmem_state_seed_text(stp, first->pgmaps);
		rc = dmt_read_flags(path, report_ops(), stp, info, flags, err, errlen);
		pgmap_names_apply(stp, first->pgmap_names);	/* named where it was recorded */
		seeded_exact(stp, first, info);
	}
	return rc;
}
