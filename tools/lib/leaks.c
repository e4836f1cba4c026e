// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "devmem_rules.h"
#include "leaks.h"

#define PAGES_MIN_CAP 1024

/*
 * Drop the freed entries, keeping the order pages were handed out in, and
 * give back memory when few are left. Only a page's newest entry is in idx:
 * an older one still live (initialized again with no free seen) keeps
 * counting as out, and its index in idx is not touched.
 */
static void compact(struct leak_tracker *t)
{
	struct page_out *p;
	size_t i, j = 0, cap;
	uint64_t at;

	for (i = 0; i < t->n; i++) {
		if (!t->pages[i].live)
			continue;
		if (i != j) {
			t->pages[j] = t->pages[i];
			if (u64map_get(&t->idx, t->pages[j].key, &at) && at == i)
				u64map_put(&t->idx, t->pages[j].key, j);	/* key there: cannot fail */
		}
		j++;
	}
	t->n = j;
	t->dead = 0;
	for (cap = t->cap; cap > PAGES_MIN_CAP && t->n * 4 < cap; cap /= 2)
		;
	if (cap < t->cap && (p = realloc(t->pages, cap * sizeof(*p)))) {
		t->pages = p;
		t->cap = cap;
	}
}

static bool tgid_mine(const struct leak_tracker *t, uint32_t tgid)
{
	uint64_t v;

	return !t->scoped || u64map_get(&t->tree, tgid + 1ull, &v);
}

/* The scope_refs of a pgmap, made if new; NULL (counted) without memory. */
static struct scope_refs *srefs_of(struct leak_tracker *t, uint64_t pgmap)
{
	struct scope_refs *s;
	uint64_t i;

	if (!pgmap)
		return NULL;	/* as the state: no row for an unknown pgmap */
	/* Records come in runs for one pgmap: try the last one first. */
	if (t->last_sref < t->nr_srefs && t->srefs[t->last_sref].pgmap == pgmap)
		return &t->srefs[t->last_sref];
	if (u64map_get(&t->srefs_idx, pgmap, &i)) {
		t->last_sref = i;
		return &t->srefs[i];
	}
	if (t->nr_srefs == t->cap_srefs) {
		size_t cap = t->cap_srefs ? t->cap_srefs * 2 : 16;

		s = realloc(t->srefs, cap * sizeof(*s));
		if (!s) {
			t->st.oom++;
			return NULL;
		}
		t->srefs = s;
		t->cap_srefs = cap;
	}
	if (u64map_put(&t->srefs_idx, pgmap, t->nr_srefs)) {
		t->st.oom++;
		return NULL;
	}
	s = &t->srefs[t->nr_srefs++];
	*s = (struct scope_refs){ .pgmap = pgmap };
	return s;
}

static void lt_page_init(void *ctx, const struct devmem_rec_page *r)
{
	struct leak_tracker *t = leak_tracker_of(ctx);
	bool mine = tgid_mine(t, r->hdr.pid);
	struct devmem_pgmap_row *pg;
	struct scope_refs *s;
	struct page_out *p;

	t->st.pages_elsewhere = true;	/* pages[] and idx know who holds each page */
	devmem_state_ops.page_init(&t->st, r);
	pg = devmem_state_pgmap(&t->st, r->pgmap);
	if (mine && (s = srefs_of(t, r->pgmap))) {
		s->pages += r->nr_pages;
		if (!(r->flags & DEVMEM_PAGE_REF_SEPARATE))
			s->refs += r->nr_pages;
	}
	/* Full: drop the freed entries if they are half of it, else grow. */
	if (t->n == t->cap && t->dead && t->dead * 2 >= t->n)
		compact(t);
	if (t->n == t->cap) {
		p = realloc(t->pages, (t->cap ? t->cap * 2 : PAGES_MIN_CAP) * sizeof(*p));
		if (!p) {
			t->st.oom++;
			return;
		}
		t->pages = p;
		t->cap = t->cap ? t->cap * 2 : PAGES_MIN_CAP;
	}
	p = &t->pages[t->n];
	*p = (struct page_out){ .pfn = r->pfn, .index = devmem_page_index(pg, r->pfn, r->index),
				.key = devmem_page_key(pg, r->pfn, r->index),
				.pgmap = r->pgmap, .ts_ns = r->hdr.ts_ns,
				.pid = r->hdr.pid, .nr_pages = r->nr_pages,
				.stack_id = r->stack_id, .live = true, .mine = mine };
	memcpy(p->comm, r->hdr.comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = 0;
	*(mine ? &t->out_mine : &t->out_other) += r->nr_pages;
	if (u64map_put(&t->idx, p->key, t->n++))
		t->st.oom++;
}

static void lt_folio_free(void *ctx, const struct devmem_rec_page *r)
{
	struct leak_tracker *t = leak_tracker_of(ctx);
	struct scope_refs *s;
	bool mine = false;
	uint64_t i, key;

	t->st.pages_elsewhere = true;
	devmem_state_ops.folio_free(&t->st, r);
	key = devmem_page_key(devmem_state_pgmap(&t->st, r->pgmap), r->pfn, r->index);
	if (u64map_get(&t->idx, key, &i)) {
		struct page_out *p = &t->pages[i];
		struct devmem_proc_row *holder = devmem_state_proc(&t->st, p->pid, NULL);

		/* A page counts for whoever was handed it, not who frees it. */
		if (holder)
			holder->held -= r->nr_pages;
		mine = p->mine;
		*(mine ? &t->out_mine : &t->out_other) -= p->nr_pages;
		p->live = false;
		t->dead++;
		u64map_del(&t->idx, key);
		/* Most pages went back: shrink now, not at the next init. */
		if (t->cap > PAGES_MIN_CAP && (t->n - t->dead) * 8 < t->cap)
			compact(t);
	}
	if (mine) {
		t->mine_frees += r->nr_pages;
		t->last_mine_ns = r->hdr.ts_ns;
		if ((s = srefs_of(t, r->pgmap))) {
			s->pages -= r->nr_pages;
			if (devmem_free_drops_ref(t->st.refs_on_free, r->flags, r->type))
				s->refs -= r->nr_pages;
		}
	}
	/* The put that follows, by the same thread, is this page's; 7.3's has none. */
	if (t->scoped && !(r->flags & DEVMEM_PAGE_FREE_DROPS_REFS) &&
	    u64map_put(&t->freeing, r->hdr.tid + 1ull, 1 + mine))
		t->st.oom++;
}

static void lt_get_pgmap(void *ctx, const struct devmem_rec_pgmap_ref *r)
{
	struct leak_tracker *t = leak_tracker_of(ctx);
	struct scope_refs *s;

	devmem_state_ops.get_pgmap(&t->st, r);
	/* As in the state: without put events a get is not held (state.c). */
	if (r->pgmap && !t->st.refs_on_free && tgid_mine(t, r->hdr.pid) &&
	    (s = srefs_of(t, r->pgmap)))
		s->refs += r->nr;
}

static void lt_put_pgmap(void *ctx, const struct devmem_rec_pgmap_ref *r)
{
	struct leak_tracker *t = leak_tracker_of(ctx);
	struct scope_refs *s;
	bool mine = tgid_mine(t, r->hdr.pid);
	uint64_t v;

	devmem_state_ops.put_pgmap(&t->st, r);
	if (t->scoped && u64map_get(&t->freeing, r->hdr.tid + 1ull, &v)) {
		mine = v == 2;
		u64map_del(&t->freeing, r->hdr.tid + 1ull);
	}
	if (mine && (s = srefs_of(t, r->pgmap)))
		s->refs -= r->nr;
}

static void lt_task_fork(void *ctx, const struct devmem_rec_task *r)
{
	struct leak_tracker *t = leak_tracker_of(ctx);
	uint64_t v;

	devmem_state_ops.task_fork(ctx, r);
	if (!t->scoped || u64map_get(&t->tree, r->tgid + 1ull, &v))
		return;
	if (r->parent_tgid != t->root_parent && !u64map_get(&t->tree, r->parent_tgid + 1ull, &v))
		return;
	if (u64map_put(&t->tree, r->tgid + 1ull, 1)) {
		t->st.oom++;
		return;
	}
	if (r->parent_tgid == t->root_parent && !t->root)
		t->root = r->tgid;
	t->tree_alive++;
	t->tree_seen++;
}

static void lt_task_exit(void *ctx, const struct devmem_rec_task *r)
{
	struct leak_tracker *t = leak_tracker_of(ctx);
	uint64_t v;

	devmem_state_ops.task_exit(ctx, r);
	if (!t->scoped || !u64map_get(&t->tree, r->tgid + 1ull, &v))
		return;
	u64map_del(&t->tree, r->tgid + 1ull);
	t->tree_alive--;
	t->last_mine_ns = r->hdr.ts_ns;
	if (r->tgid == t->root && !t->root_exit_ns)
		t->root_exit_ns = r->hdr.ts_ns;
}

void leak_tracker_scope(struct leak_tracker *t, uint32_t root_parent)
{
	t->scoped = true;
	t->root_parent = root_parent;
}

void leak_tracker_unscope(struct leak_tracker *t)
{
	size_t i;

	t->scoped = false;
	for (i = 0; i < t->n; i++)
		t->pages[i].mine = true;
	t->out_mine += t->out_other;
	t->out_other = 0;
}

/* The rest only feed the state: ctx is the tracker's st. */
const struct devmem_ops *leak_tracker_ops(void)
{
	static struct devmem_ops ops;

	if (!ops.page_init) {
		ops = devmem_state_ops;
		ops.page_init = lt_page_init;
		ops.folio_free = lt_folio_free;
		ops.get_pgmap = lt_get_pgmap;
		ops.put_pgmap = lt_put_pgmap;
		ops.task_fork = lt_task_fork;
		ops.task_exit = lt_task_exit;
	}
	return &ops;
}

static int by_count(const void *a, const void *b)
{
	uint64_t x = ((const struct leak_group *)a)->count, y = ((const struct leak_group *)b)->count;

	return (x < y) - (x > y);
}

size_t leak_groups(const struct leak_tracker *t,
		   const char *(*stack_of)(void *ctx, int32_t id, char *buf, size_t len),
		   void *ctx, char *const *suppress, size_t nsuppress, struct leak_group **out)
{
	struct leak_group *g = NULL;
	size_t n = 0, i, j, q;

	for (i = 0; i < t->n; i++) {
		const struct page_out *p = &t->pages[i];
		char stack[4096];

		if (!p->live)
			continue;
		stack_of(ctx, p->stack_id, stack, sizeof(stack));
		if (!stack[0])
			strcpy(stack, "(no stack)");
		for (j = 0; j < n; j++)
			if (g[j].pgmap == p->pgmap && g[j].pid == p->pid && g[j].mine == p->mine &&
			    !strcmp(g[j].stack, stack))
				break;
		if (j == n) {
			struct leak_group *ng = realloc(g, (n + 1) * sizeof(*g));

			if (!ng)
				break;
			g = ng;
			memset(&g[j], 0, sizeof(g[j]));
			memcpy(g[j].stack, stack, sizeof(stack));
			g[j].pgmap = p->pgmap;
			g[j].pid = p->pid;
			g[j].oldest_ns = p->ts_ns;
			g[j].oldest_pfn = p->pfn;
			g[j].oldest_index = p->index;
			g[j].mine = p->mine;
			memcpy(g[j].comm, p->comm, sizeof(g[j].comm));
			for (q = 0; q < nsuppress; q++)
				g[j].suppressed |= strstr(stack, suppress[q]) != NULL;
			n++;
		}
		g[j].count += p->nr_pages;
		if (p->ts_ns < g[j].oldest_ns) {
			g[j].oldest_ns = p->ts_ns;
			g[j].oldest_pfn = p->pfn;
			g[j].oldest_index = p->index;
		}
	}
	qsort(g, n, sizeof(*g), by_count);
	*out = g;
	return n;
}

uint64_t leak_extra_refs(const struct leak_tracker *t)
{
	uint64_t extra = 0;
	size_t i;

	for (i = 0; i < t->st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &t->st.pgmaps[i];
		int64_t e = r->refs - ((int64_t)r->inits - (int64_t)r->frees);

		if (e > 0)
			extra += e;
	}
	return extra;
}

uint64_t leak_extra_refs_mine(const struct leak_tracker *t)
{
	uint64_t extra = 0;
	size_t i;

	if (!t->scoped)
		return leak_extra_refs(t);
	for (i = 0; i < t->nr_srefs; i++) {
		const struct scope_refs *s = &t->srefs[i];
		int64_t mine = s->refs - s->pages, all = 0;
		uint64_t row;

		if (mine <= 0)
			continue;
		if (u64map_get(&t->st.pgmap_idx, s->pgmap, &row)) {
			const struct devmem_pgmap_row *r = &t->st.pgmaps[row];

			all = r->refs - ((int64_t)r->inits - (int64_t)r->frees);
		}
		extra += all <= 0 ? 0 : mine < all ? mine : all;
	}
	return extra;
}

void leak_tracker_free(struct leak_tracker *t)
{
	devmem_state_free(&t->st);
	u64map_free(&t->idx);
	u64map_free(&t->tree);
	u64map_free(&t->freeing);
	u64map_free(&t->srefs_idx);
	free(t->srefs);
	free(t->pages);
	memset(t, 0, sizeof(*t));
}
