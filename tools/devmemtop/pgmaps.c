// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "pgmaps.h"

/*
 * The history row of r's type and range, or NULL: among the rows kept so
 * far [0, kept) and those not yet looked at (after, nr_pgmaps).
 */
static struct devmem_pgmap_row *history_of(struct devmem_state *st,
					   const struct devmem_pgmap_row *r, size_t kept,
					   size_t after)
{
	size_t i;

	for (i = 0; i < st->nr_pgmaps; i++) {
		struct devmem_pgmap_row *h = &st->pgmaps[i];

		if (i >= kept && i <= after)
			continue;

		if (h->history && h->type == r->type && h->start == r->start && h->end == r->end)
			return h;
	}
	return NULL;
}

/*
 * r's totals into h: what views add up over rows (counters, latencies,
 * pages and references still out) stays the same sum, and a rate does not
 * jump (the marks move too). The last teardown is r's.
 */
static void add_to_history(struct devmem_pgmap_row *h, const struct devmem_pgmap_row *r)
{
	int k;

#define ADD(type, f, ...) h->f += r->f;
	DEVMEM_PGMAP_COUNTERS(ADD)
#undef ADD
	for (k = 0; k < DEVMEM_LAT_BUCKETS; k++)
		h->fault_lat[k] += r->fault_lat[k];
	for (k = 0; k < RATE_MAX; k++)
		h->mark[k] += r->mark[k];
	h->live_base += r->live_base;
	h->refs += r->refs;
	h->live_pending |= r->live_pending;
	h->wait_ns = r->wait_ns;
	h->wait_since_ns = r->wait_since_ns;
	h->wait_live_pages = r->wait_live_pages;
	h->wait_pid = r->wait_pid;
	h->wait_tid = r->wait_tid;
	memcpy(h->wait_comm, r->wait_comm, sizeof(h->wait_comm));
}

size_t devmem_pgmaps_evict(struct devmem_state *st, devmem_pgmap_forget_fn forget, void *ctx)
{
	size_t i, j = 0, removed = 0;

	for (i = 0; i < st->nr_pgmaps; i++) {
		struct devmem_pgmap_row *r = &st->pgmaps[i];

		if (r->retired_key && r->destroyed_shown &&
		    (!forget || forget(ctx, r->retired_key - 1))) {
			struct devmem_pgmap_row *h = history_of(st, r, j, i);

			r->retired_key = 0;
			if (h) {
				add_to_history(h, r);
				removed++;
				continue;
			}
			r->history = true;	/* the first dead one of its range */
		}
		if (r->retired_key)
			r->destroyed_shown = true;	/* the caller prints it next */
		if (j != i) {
			st->pgmaps[j] = *r;
			/* an overwrite: no allocation, cannot fail */
			if (st->pgmaps[j].pgmap)
				u64map_put(&st->pgmap_idx, st->pgmaps[j].pgmap, j);
		}
		j++;
	}
	st->nr_pgmaps = j;
	st->last_pgmap_row = 0;
	return removed;
}
