// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmem_maps.h"
#include "devmem_rules.h"
#include "state.h"

const char *devmem_pgmap_type_name(uint32_t type)
{
	static const char *const names[] = {
		[DEVMEM_PGMAP_PRIVATE] = "private", [DEVMEM_PGMAP_COHERENT] = "coherent",
		[DEVMEM_PGMAP_FS_DAX] = "fsdax", [DEVMEM_PGMAP_GENERIC] = "generic",
		[DEVMEM_PGMAP_P2PDMA] = "p2pdma",
	};

	return type < sizeof(names) / sizeof(names[0]) && names[type] ? names[type] : "unknown";
}

bool devmem_proc_counters_same(const struct devmem_proc_counters *a,
			       const struct devmem_proc_counters *b)
{
#define SAME(type, f, ...) && a->f == b->f
	return true DEVMEM_PROC_COUNTERS(SAME);
#undef SAME
}

static void *grow_array(void *arr, size_t *cap, size_t elem)
{
	size_t n = *cap ? *cap * 2 : 16;
	void *p = realloc(arr, n * elem);

	if (!p)
		return NULL;
	memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
	*cap = n;
	return p;
}

/* A row seeded from debugfs for this range, not yet tied to an address. */
static struct devmem_pgmap_row *seeded_row(struct devmem_state *st, uint64_t start, uint64_t *idx)
{
	size_t i;

	for (i = 0; i < st->nr_pgmaps; i++)
		if (!st->pgmaps[i].pgmap && !st->pgmaps[i].destroyed && st->pgmaps[i].start == start) {
			*idx = i;
			return &st->pgmaps[i];
		}
	return NULL;
}

struct devmem_pgmap_row *devmem_state_pgmap(struct devmem_state *st, uint64_t pgmap)
{
	struct devmem_pgmap_row *rows, meta;
	bool described;
	uint64_t i;

	if (!pgmap)
		return NULL;
	/* Records come in runs for one pgmap: try the last one first. */
	if (st->last_pgmap_row < st->nr_pgmaps && st->pgmaps[st->last_pgmap_row].pgmap == pgmap)
		return &st->pgmaps[st->last_pgmap_row];
	if (u64map_get(&st->pgmap_idx, pgmap, &i)) {
		st->last_pgmap_row = i;
		return &st->pgmaps[i];
	}
	memset(&meta, 0, sizeof(meta));	/* only here: this is the slow path */
	described = st->resolve && !st->resolve(st->resolve_ctx, pgmap, &meta) && meta.start;
	if (described && seeded_row(st, meta.start, &i)) {
		if (u64map_put(&st->pgmap_idx, pgmap, i)) {
			st->oom++;
			return NULL;
		}
		st->pgmaps[i].pgmap = pgmap;
		st->pgmaps[i].owner = meta.owner;
		st->pgmaps[i].ops = meta.ops;
		return &st->pgmaps[i];
	}
	if (st->nr_pgmaps == st->cap_pgmaps) {
		rows = grow_array(st->pgmaps, &st->cap_pgmaps, sizeof(*rows));
		if (!rows) {
			st->oom++;
			return NULL;
		}
		st->pgmaps = rows;
	}
	if (u64map_put(&st->pgmap_idx, pgmap, st->nr_pgmaps)) {
		st->oom++;
		return NULL;
	}
	if (described) {
		meta.live_base = 0;
		st->pgmaps[st->nr_pgmaps] = meta;
	}
	st->pgmaps[st->nr_pgmaps].pgmap = pgmap;
	st->pgmaps[st->nr_pgmaps].page_id = DEVMEM_NO_ROW_PAGE_ID + ++st->page_ids;
	return &st->pgmaps[st->nr_pgmaps++];
}

struct devmem_pgmap_row *devmem_state_pgmap_new(struct devmem_state *st)
{
	struct devmem_pgmap_row *rows;

	if (st->nr_pgmaps == st->cap_pgmaps) {
		rows = grow_array(st->pgmaps, &st->cap_pgmaps, sizeof(*rows));
		if (!rows)
			return NULL;
		st->pgmaps = rows;
	}
	/* the rest is zero (grow_array) */
	st->pgmaps[st->nr_pgmaps].page_id = DEVMEM_NO_ROW_PAGE_ID + ++st->page_ids;
	return &st->pgmaps[st->nr_pgmaps++];
}

uint64_t devmem_page_index(struct devmem_pgmap_row *pg, uint64_t pfn, uint64_t index)
{
	if (index != DEVMEM_INDEX_FROM_PFN)
		return index;
	if (!pg)
		return pfn;
	if (!pg->pfn_base_set) {
		pg->pfn_base = pg->start >> 12;
		pg->pfn_base_set = true;
	}
	return pfn >= pg->pfn_base ? pfn - pg->pfn_base : pfn;
}

uint64_t devmem_page_key(struct devmem_pgmap_row *pg, uint64_t pfn, uint64_t index)
{
	if (!pg)	/* a nonzero id: key 0 is no key */
		return DEVMEM_PAGE_KEY(DEVMEM_NO_ROW_PAGE_ID, pfn);
	return DEVMEM_PAGE_KEY(pg->page_id, devmem_page_index(pg, pfn, index));
}

/*
 * A row retires: its pages' state goes with it (not left for its keys' reuse).
 * The range delete scans the whole table, a million slots beside a big
 * pgmap, so only a row that still holds pages pays it: one whose pages all
 * came back has none there, and its id is never handed out again.
 */
static void drop_pages(struct devmem_state *st, const struct devmem_pgmap_row *pg)
{
	if (st->pages_elsewhere || devmem_pgmap_live(pg) <= 0)
		return;
	u64map_del_range(&st->page_owner, DEVMEM_PAGE_KEY(pg->page_id, 0),
			 DEVMEM_PAGE_KEY(pg->page_id, ~0ULL));
}

struct devmem_proc_row *devmem_state_proc(struct devmem_state *st, uint32_t pid,
					  const char *comm)
{
	struct devmem_proc_row *rows, *r;
	uint64_t i;

	/* A retired row (procs.h) shares its pid with the current one. */
	if (st->last_proc_row < st->nr_procs && st->procs[st->last_proc_row].pid == pid &&
	    !st->procs[st->last_proc_row].retired) {
		r = &st->procs[st->last_proc_row];
		if (comm && comm[0])
			memcpy(r->comm, comm, sizeof(r->comm));
		return r;
	}
	if (u64map_get(&st->proc_idx, pid + 1ull, &i)) {
		st->last_proc_row = i;
		r = &st->procs[i];
		if (comm && comm[0])
			memcpy(r->comm, comm, sizeof(r->comm));
		return r;
	}
	if (st->nr_procs == st->cap_procs) {
		rows = grow_array(st->procs, &st->cap_procs, sizeof(*rows));
		if (!rows) {
			st->oom++;
			return NULL;
		}
		st->procs = rows;
	}
	if (u64map_put(&st->proc_idx, pid + 1ull, st->nr_procs)) {
		st->oom++;
		return NULL;
	}
	r = &st->procs[st->nr_procs++];
	memset(r, 0, sizeof(*r));	/* the slot of a removed row (procs.c) */
	r->pid = pid;
	r->serial = ++st->proc_serial;
	if (comm)
		memcpy(r->comm, comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = 0;
	return r;
}

/*
 * The callbacks' row lookups: records come in runs for one pgmap and one
 * process, so the last row is tried here, inlined, before the full lookup.
 */
static inline struct devmem_pgmap_row *pgmap_of(struct devmem_state *st, uint64_t pgmap)
{
	if (st->last_pgmap_row < st->nr_pgmaps && st->pgmaps[st->last_pgmap_row].pgmap == pgmap &&
	    pgmap)
		return &st->pgmaps[st->last_pgmap_row];
	return devmem_state_pgmap(st, pgmap);
}

static struct devmem_proc_row *proc_of(struct devmem_state *st, const struct devmem_rec_hdr *h)
{
	if (st->last_proc_row < st->nr_procs && st->procs[st->last_proc_row].pid == h->pid) {
		struct devmem_proc_row *r = &st->procs[st->last_proc_row];

		if (h->comm[0])
			memcpy(r->comm, h->comm, sizeof(r->comm));
		return r;
	}
	return devmem_state_proc(st, h->pid, h->comm);
}

/* The row's references, from its counters (devmem_rules.h). */
static void fold_refs(const struct devmem_state *st, struct devmem_pgmap_row *pg)
{
	if (pg)
		pg->refs = devmem_pgmap_refs(&pg->c, st->refs_on_free);
}

static void count(struct devmem_state *st, const struct devmem_rec_hdr *h)
{
	st->events++;
	st->by_type[h->type]++;
}

static void on_pgmap(struct devmem_state *st, const struct devmem_rec_pgmap *r, bool create)
{
	struct devmem_pgmap_row *row;

	count(st, &r->hdr);
	if (create && r->error)
		return;
	if (create && u64map_get(&st->pgmap_idx, r->pgmap, NULL)) {
		/* The address of a destroyed pgmap came back: a new pgmap. */
		uint64_t i;

		u64map_get(&st->pgmap_idx, r->pgmap, &i);
		if (st->pgmaps[i].destroyed) {
			drop_pages(st, &st->pgmaps[i]);
			st->pgmaps[i].pgmap = 0;
			u64map_del(&st->pgmap_idx, r->pgmap);
		}
	}
	row = pgmap_of(st, r->pgmap);
	if (!row)
		return;
	row->owner = r->owner;
	row->start = r->start;
	row->end = r->end;
	row->nr_pages = r->nr_pages;
	row->type = r->type;
	row->destroyed = !create;
}

static void st_pgmap_create(void *ctx, const struct devmem_rec_pgmap *r) { on_pgmap(ctx, r, true); }
static void st_pgmap_destroy(void *ctx, const struct devmem_rec_pgmap *r) { on_pgmap(ctx, r, false); }

/*
 * A recording started late (docs/counting.md, "Late start"): a page event
 * recorded before debugfs was read is in the seeded base already; one
 * recorded while it was read may or may not be.
 */
static void seed_overlap(const struct devmem_state *st, struct devmem_pgmap_row *pg,
			 const struct devmem_rec_page *r, int64_t pages)
{
	if (!pg->seeded)
		return;
	pg->live_base -= pages;
	if (r->hdr.ts_ns >= st->seed_from_ns)
		pg->live_pending = true;
}

static void st_page_init(void *ctx, const struct devmem_rec_page *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg = pgmap_of(st, r->pgmap);
	struct devmem_proc_row *p = proc_of(st, &r->hdr);

	count(st, &r->hdr);
	if (pg) {
		if (r->hdr.ts_ns < st->seed_to_ns)
			seed_overlap(st, pg, r, r->nr_pages);
		if (!pg->type)
			pg->type = r->type;
	}
	devmem_rule_page_init(pg ? &pg->c : NULL, p ? &p->c : NULL, r->nr_pages, r->flags);
	fold_refs(st, pg);
	if (!st->pages_elsewhere &&
	    u64map_put(&st->page_owner, devmem_page_key(pg, r->pfn, r->index), r->hdr.pid))
		st->oom++;
}

static void st_folio_free(void *ctx, const struct devmem_rec_page *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg = pgmap_of(st, r->pgmap);
	struct devmem_proc_row *owner = NULL;
	uint64_t pid;

	count(st, &r->hdr);
	if (pg) {
		if (r->hdr.ts_ns < st->seed_to_ns)
			seed_overlap(st, pg, r, -(int64_t)r->nr_pages);
	}
	/* The page counts against whoever was handed it, not who freed it. */
	if (!st->pages_elsewhere) {
		uint64_t key = devmem_page_key(pg, r->pfn, r->index);

		if (u64map_get(&st->page_owner, key, &pid)) {
			owner = devmem_state_proc(st, pid, NULL);
			u64map_del(&st->page_owner, key);
		}
	}
	devmem_rule_folio_free(pg ? &pg->c : NULL, owner ? &owner->c : NULL, r->nr_pages,
			       st->refs_on_free, r->flags, r->type);
	fold_refs(st, pg);
}

static void st_get_pgmap(void *ctx, const struct devmem_rec_pgmap_ref *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg = pgmap_of(st, r->pgmap);

	count(st, &r->hdr);
	devmem_rule_get_pgmap(pg ? &pg->c : NULL, r->nr);
	fold_refs(st, pg);
}

static void st_put_pgmap(void *ctx, const struct devmem_rec_pgmap_ref *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg = pgmap_of(st, r->pgmap);

	count(st, &r->hdr);
	devmem_rule_put_pgmap(pg ? &pg->c : NULL, r->nr);
	fold_refs(st, pg);
}

static void st_longterm(void *ctx, const struct devmem_rec_longterm *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg = pgmap_of(st, r->pgmap);
	struct devmem_proc_row *p = proc_of(st, &r->hdr);

	count(st, &r->hdr);
	devmem_rule_longterm(pg ? &pg->c : NULL, p ? &p->c : NULL, r->nr_pages, r->result);
}

static void st_cow(void *ctx, const struct devmem_rec_cow *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg = pgmap_of(st, r->pgmap);
	struct devmem_proc_row *p = proc_of(st, &r->hdr);

	count(st, &r->hdr);
	devmem_rule_cow(pg ? &pg->c : NULL, p ? &p->c : NULL);
}

static void st_fault(void *ctx, const struct devmem_rec_fault *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg = pgmap_of(st, r->pgmap);
	struct devmem_proc_row *p = proc_of(st, &r->hdr);

	count(st, &r->hdr);
	devmem_rule_fault(pg ? &pg->c : NULL, p ? &p->c : NULL,
			  r->flags & DEVMEM_FAULT_NO_PROGRESS);
	if (pg && r->latency_ns)
		pg->fault_lat[devmem_lat_bucket(r->latency_ns)]++;
}

static void st_pgmap_wait(void *ctx, const struct devmem_rec_pgmap_wait *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg = pgmap_of(st, r->pgmap);

	count(st, &r->hdr);
	if (!pg)
		return;
	/* A teardown that began has not destroyed the pgmap until it ends. */
	pg->waiting = r->stage == DEVMEM_WAIT_BEGIN;
	pg->destroyed = r->stage == DEVMEM_WAIT_END;
	if (pg->waiting) {
		pg->wait_since_ns = r->hdr.ts_ns;
		pg->wait_live_pages = r->live_pages;
		pg->wait_pid = r->hdr.pid;
		pg->wait_tid = r->hdr.tid;
		memcpy(pg->wait_comm, r->hdr.comm, sizeof(pg->wait_comm));
		pg->wait_comm[sizeof(pg->wait_comm) - 1] = 0;
		pg->wait_stack_id = r->stack_id;
		pg->wait_has_stack = r->stack_id >= 0;
	} else {
		pg->wait_ns = r->wait_ns;
	}
}

uint64_t devmem_lat_percentile(const uint64_t hist[DEVMEM_LAT_BUCKETS], double pct)
{
	uint64_t total = 0, seen = 0;
	unsigned int i;

	for (i = 0; i < DEVMEM_LAT_BUCKETS; i++)
		total += hist[i];
	if (!total)
		return 0;
	for (i = 0; i < DEVMEM_LAT_BUCKETS; i++) {
		seen += hist[i];
		if (seen * 100.0 >= pct * total)
			break;
	}
	return i < DEVMEM_LAT_BUCKETS ? 2ull << i : UINT64_MAX;
}

static void st_migrate(void *ctx, const struct devmem_rec_migrate *r)
{
	struct devmem_state *st = ctx;
	struct devmem_pgmap_row *pg;
	struct devmem_proc_row *p;

	count(st, &r->hdr);
	if (r->stage != DEVMEM_MIGRATE_FINALIZE || (!r->nr_to_device && !r->nr_to_system))
		return;
	pg = pgmap_of(st, r->pgmap);
	p = proc_of(st, &r->hdr);
	devmem_rule_migrated(pg ? &pg->c : NULL, p ? &p->c : NULL, r->nr_to_device,
			     r->nr_to_system);
}

/* Forks and exits change no row: they are counted as events, as the file holds them. */
static void st_task(void *ctx, const struct devmem_rec_task *r)
{
	count(ctx, &r->hdr);
}

const struct devmem_ops devmem_state_ops = {
	.pgmap_create = st_pgmap_create,
	.pgmap_destroy = st_pgmap_destroy,
	.page_init = st_page_init,
	.folio_free = st_folio_free,
	.get_pgmap = st_get_pgmap,
	.put_pgmap = st_put_pgmap,
	.longterm = st_longterm,
	.cow = st_cow,
	.fault = st_fault,
	.migrate = st_migrate,
	.pgmap_wait = st_pgmap_wait,
	.task_fork = st_task,
	.task_exit = st_task,
};

void devmem_state_pgmap_meta(struct devmem_state *st, uint64_t pgmap, uint64_t start,
			     uint64_t end, uint32_t type, uint64_t owner, uint64_t nr_pages)
{
	struct devmem_pgmap_row *r = NULL;
	uint64_t idx;

	if (!u64map_get(&st->pgmap_idx, pgmap, NULL) && seeded_row(st, start, &idx) &&
	    !u64map_put(&st->pgmap_idx, pgmap, idx)) {
		st->pgmaps[idx].pgmap = pgmap;
		r = &st->pgmaps[idx];
	}
	if (!r)
		r = devmem_state_pgmap(st, pgmap);
	if (!r)
		return;
	r->start = start;
	r->end = end;
	r->type = type;
	r->owner = owner;
	if (nr_pages)
		r->nr_pages = nr_pages;
}

void devmem_state_mark(struct devmem_state *st, uint64_t now_ns)
{
	double dt = st->mark_ns ? (now_ns - st->mark_ns) / 1e9 : 0;
	size_t i;
	int k;

	for (i = 0; i < st->nr_pgmaps; i++) {
		struct devmem_pgmap_row *r = &st->pgmaps[i];
		uint64_t now[RATE_MAX] = { r->inits, r->frees, r->to_device, r->to_system, r->faults };

		for (k = 0; k < RATE_MAX; k++) {
			r->rate[k] = dt > 0 ? (now[k] - r->mark[k]) / dt : 0;
			r->mark[k] = now[k];
		}
	}
	for (i = 0; i < st->nr_procs; i++) {
		struct devmem_proc_row *p = &st->procs[i];

		p->fault_rate = dt > 0 && p->faults >= p->fault_mark ?
				(p->faults - p->fault_mark) / dt : 0;
		p->fault_mark = p->faults;
	}
	st->event_rate = dt > 0 ? (st->events - st->events_mark) / dt : 0;
	st->events_mark = st->events;
	st->mark_ns = now_ns;
}

void devmem_state_free(struct devmem_state *st)
{
	free(st->pgmaps);
	free(st->procs);
	u64map_free(&st->pgmap_idx);
	u64map_free(&st->proc_idx);
	u64map_free(&st->page_owner);
	*st = (struct devmem_state){ 0 };
}
