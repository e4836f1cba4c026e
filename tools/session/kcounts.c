// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kcounts.h"
#include "slots.h"
#include "u64map.h"
#include "devmem_maps.h"
#include "devmem_rules.h"
#include "devmem.skel.h"

/* Per-CPU map values are laid out one per possible CPU, 8-byte aligned. */
static size_t percpu_stride(size_t size)
{
	return (size + 7) & ~(size_t)7;
}

static int ncpus(void)
{
	int n = libbpf_num_possible_cpus();

	return n > 0 ? n : 1;
}

static void sum_pgmap(struct devmem_pgmap_counts *sum, const void *vals, int n)
{
	size_t stride = percpu_stride(sizeof(*sum));
	int c;

	memset(sum, 0, sizeof(*sum));
	for (c = 0; c < n; c++) {
		const struct devmem_pgmap_counts *v = (const void *)((const char *)vals + c * stride);

#define SUM(type, f, ...) sum->f += v->f;
		DEVMEM_PGMAP_COUNTERS(SUM)
	}
}

static void sum_proc(struct devmem_proc_counters *sum, char comm[DEVMEM_COMM_LEN],
		     const void *vals, int n)
{
	size_t stride = percpu_stride(sizeof(struct devmem_proc_counts));
	int c;

	memset(sum, 0, sizeof(*sum));
	memset(comm, 0, DEVMEM_COMM_LEN);
	for (c = 0; c < n; c++) {
		const struct devmem_proc_counts *e = (const void *)((const char *)vals + c * stride);
		const struct devmem_proc_counters *v = &e->c;

		if (!comm[0] && e->comm[0])
			memcpy(comm, e->comm, DEVMEM_COMM_LEN);
		DEVMEM_PROC_COUNTERS(SUM)
#undef SUM
	}
	comm[DEVMEM_COMM_LEN - 1] = 0;
}

/*
 * Forget a dead process in the kernel: its proc_slot entry goes, and its
 * slot is queued to be zeroed and given back to the BPF side
 * (devmem_slots_release()), but only if the slot still holds what we last
 * read. Why that is as safe as user space can make it: the process is
 * gone and holds no page, so nothing of its own can still add to the
 * slot; only a new process that got its tgid can, with its first events.
 * If they came before the lookup, the numbers differ and the slot stays
 * (the next read gives the new process a row of its own). A program that
 * found the slot before the delete finishes before the slot is zeroed
 * (the release's fence), so nothing lands in the slot's next process.
 * What can be lost: events of such a new process between the lookup and
 * the delete. That needs the tgid to be reused within a read of its own
 * exit, and is not counted anywhere.
 */
bool devmem_proc_forget_kernel(void *ctx, uint32_t pid, const struct devmem_proc_counters *raw)
{
	struct devmem_session *s = ctx;
	int n = ncpus(), counts_fd = bpf_map__fd(s->skel->maps.proc_counts);
	int slot_fd = bpf_map__fd(s->skel->maps.proc_slot);
	size_t size = percpu_stride(sizeof(struct devmem_proc_counts)) * n;
	void *vals = malloc(size);
	struct devmem_proc_counters c;
	char comm[DEVMEM_COMM_LEN];
	__u32 key = pid, slot;
	bool gone = false;

	if (!vals)
		return false;
	if (bpf_map_lookup_elem(slot_fd, &key, &slot)) {
		gone = errno == ENOENT;
	} else if (!bpf_map_lookup_elem(counts_fd, &slot, vals)) {
		sum_proc(&c, comm, vals, n);
		if (devmem_proc_counters_same(&c, raw) && !bpf_map_delete_elem(slot_fd, &key)) {
			/* No memory to queue it: one slot fewer, the row still goes. */
			devmem_slot_return_proc(s, slot);
			gone = true;
		}
	}
	free(vals);
	return gone;
}

/*
 * A pgmap's per-CPU totals: pgmap_slot names its slot in the pgmap_counts
 * array (see devmem.bpf.c). 0, or -1 when the pgmap was never counted.
 */
static int lookup_counts(const struct devmem_session *s, __u64 pgmap, void *vals,
			 struct devmem_pgmap_lat *lat)
{
	__u32 slot;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.pgmap_slot), &pgmap, &slot))
		return -1;
	if (lat && bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.pgmap_lat), &slot, lat))
		memset(lat, 0, sizeof(*lat));
	return bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.pgmap_counts), &slot, vals);
}

int devmem_resolve_pgmap(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta)
{
	const struct devmem_session *s = ctx;
	struct devmem_pgmap_meta v;
	__u64 key = pgmap;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.pgmap_meta), &key, &v))
		return -1;
	meta->start = v.start;
	meta->end = v.end;
	meta->type = v.type;
	meta->owner = v.owner;
	meta->ops = v.ops;
	meta->nr_pages = v.nr_pages;
	return 0;
}

/*
 * Is the pgmap at this address a new one? The BPF side starts a new
 * pgmap's totals over when it reuses a dead one's address (on_pgmap() in
 * devmem.bpf.c): the row was torn down and now is not, or a total went
 * down (a teardown and a new pgmap between two reads).
 */
static bool reborn(const struct devmem_pgmap_row *r, const struct devmem_pgmap_meta *m,
		   const struct devmem_pgmap_counts *c)
{
	if (r->destroyed && m && !m->destroyed)
		return true;
#define WENT_DOWN(type, f, ...) || c->f < r->f
	return c && (false DEVMEM_PGMAP_COUNTERS(WENT_DOWN));
#undef WENT_DOWN
}

/* A row takes the BPF side's meta and totals (either may be NULL). */
static void fill_pgmap(struct devmem_state *st, struct devmem_pgmap_row *r,
		       const struct devmem_pgmap_meta *m, const struct devmem_pgmap_counts *c,
		       const struct devmem_pgmap_lat *lat)
{
	if (m) {
		r->ops = m->ops;
		r->destroyed = m->destroyed;
		r->waiting = m->waiting;
		r->wait_since_ns = m->wait_since_ns;
		r->wait_live_pages = m->wait_live_pages;
		r->wait_ns = m->wait_ns;
		r->wait_pid = m->wait_pid;
		r->wait_tid = m->wait_tid;
		memcpy(r->wait_comm, m->wait_comm, sizeof(r->wait_comm));
		r->wait_comm[sizeof(r->wait_comm) - 1] = 0;
	}
	if (!c)
		return;
	r->c = *c;
	r->refs = devmem_pgmap_refs(c, st->refs_on_free);
	memcpy(r->fault_lat, lat->fault_lat, sizeof(r->fault_lat));
}

/* One pgmap's totals into its row; the kernel's numbers replace ours. */
static void apply_pgmap(struct devmem_state *st, uint64_t pgmap,
			const struct devmem_pgmap_meta *m, const struct devmem_pgmap_counts *c,
			const struct devmem_pgmap_lat *lat)
{
	struct devmem_pgmap_row *r;
	uint64_t i;

	/*
	 * The dead pgmap keeps its row and its totals, as in a replay. They
	 * are those of the last read; its final ones come with its retired
	 * entry, which must take this row, not add another (orphan_of).
	 */
	if (u64map_get(&st->pgmap_idx, pgmap, &i) && reborn(&st->pgmaps[i], m, c)) {
		st->pgmaps[i].destroyed = true;
		st->pgmaps[i].orphan_of = pgmap;
		st->pgmaps[i].pgmap = 0;
		u64map_del(&st->pgmap_idx, pgmap);
	}
	if (m && m->start)
		devmem_state_pgmap_meta(st, pgmap, m->start, m->end, m->type, m->owner,
					m->nr_pages);
	r = devmem_state_pgmap(st, pgmap);
	if (r)
		fill_pgmap(st, r, m, c, lat);
}

/* The row a retired pgmap's final totals go to, detached from its address. */
static struct devmem_pgmap_row *retired_row(struct devmem_state *st, uint64_t key,
					    const struct devmem_pgmap_retired *v)
{
	const struct devmem_pgmap_meta *m = &v->meta;
	struct devmem_pgmap_row *r = NULL;
	uint64_t i;
	size_t k;

	for (k = 0; k < st->nr_pgmaps && !r; k++)
		if (st->pgmaps[k].retired_key == key + 1)
			r = &st->pgmaps[k];	/* read before: its totals are final */
	/*
	 * A row a new pgmap at the address took the address from: this
	 * pgmap's, as last read, before the new one came (apply_pgmap()).
	 */
	for (k = 0; k < st->nr_pgmaps && !r; k++)
		if (st->pgmaps[k].orphan_of == v->pgmap && !st->pgmaps[k].retired_key) {
			r = &st->pgmaps[k];
			r->orphan_of = 0;
		}
	if (!r && m->start)
		devmem_state_pgmap_meta(st, v->pgmap, m->start, m->end, m->type, m->owner,
					m->nr_pages);
	if (!r && u64map_get(&st->pgmap_idx, v->pgmap, &i))
		r = &st->pgmaps[i];
	if (!r)
		r = devmem_state_pgmap(st, v->pgmap);
	if (!r)
		return NULL;
	/* Its address may be a new pgmap's: the row is no longer found by it. */
	if (r->pgmap) {
		u64map_del(&st->pgmap_idx, r->pgmap);
		r->pgmap = 0;
	}
	r->retired_key = key + 1;
	return r;
}

/*
 * pgmaps whose teardown ended: their final totals, and their slots, until
 * the live view has shown them and gives the slots back. Read before
 * pgmap_meta, where a new pgmap may already use a retired one's address.
 */
static void read_retired(struct devmem_state *st, const struct devmem_session *s, void *vals,
			 int n)
{
	int fd = bpf_map__fd(s->skel->maps.pgmap_retired);
	__u64 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct devmem_pgmap_retired v;
		struct devmem_pgmap_counts c;
		struct devmem_pgmap_lat lat = { 0 };
		struct devmem_pgmap_row *r;
		__u32 slot;
		bool counted = false;

		if (!bpf_map_lookup_elem(fd, &next, &v) && (r = retired_row(st, next, &v))) {
			slot = v.slot;
			if (slot != DEVMEM_NO_SLOT &&
			    !bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.pgmap_counts), &slot, vals)) {
				if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.pgmap_lat), &slot, &lat))
					memset(&lat, 0, sizeof(lat));
				sum_pgmap(&c, vals, n);
				counted = true;
			}
			fill_pgmap(st, r, &v.meta, counted ? &c : NULL, &lat);
			r->destroyed = true;
			r->waiting = false;
		}
		key = next;
		prev = &key;
	}
}

int devmem_state_from_kernel(struct devmem_state *st, const struct devmem_session *s,
			     devmem_proc_totals_fn on_proc)
{
	int n = ncpus(), meta_fd = bpf_map__fd(s->skel->maps.pgmap_meta);
	int procs_fd = bpf_map__fd(s->skel->maps.proc_counts);
	int proc_slot_fd = bpf_map__fd(s->skel->maps.proc_slot);
	int events_fd = bpf_map__fd(s->skel->maps.event_counts);
	size_t cap = percpu_stride(sizeof(struct devmem_proc_counts)) * n;
	void *vals = malloc(cap > percpu_stride(sizeof(struct devmem_pgmap_counts)) * n ?
			    cap : percpu_stride(sizeof(struct devmem_pgmap_counts)) * n);
	__u64 key, next, *prev = NULL;
	__u32 pid, pnext, *pprev = NULL, k;

	if (!vals)
		return -ENOMEM;
	read_retired(st, s, vals, n);
	/* pgmaps known but never counted yet (a create, a destroy) first */
	while (!bpf_map_get_next_key(meta_fd, prev, &next)) {
		struct devmem_pgmap_meta m;
		struct devmem_pgmap_counts c;

		if (!bpf_map_lookup_elem(meta_fd, &next, &m)) {
			struct devmem_pgmap_lat lat;
			bool counted = !lookup_counts(s, next, vals, &lat);

			if (counted)
				sum_pgmap(&c, vals, n);
			apply_pgmap(st, next, &m, counted ? &c : NULL, &lat);
		}
		key = next;
		prev = &key;
	}
	while (!bpf_map_get_next_key(proc_slot_fd, pprev, &pnext)) {
		struct devmem_proc_counters c;
		char comm[DEVMEM_COMM_LEN];
		__u32 slot;

		if (!bpf_map_lookup_elem(proc_slot_fd, &pnext, &slot) &&
		    !bpf_map_lookup_elem(procs_fd, &slot, vals)) {
			sum_proc(&c, comm, vals, n);
			on_proc(st, pnext, comm, &c);
		}
		pid = pnext;
		pprev = &pid;
	}
	st->events = 0;
	for (k = 0; k < DEVMEM_REC_TYPE_MAX; k++) {
		uint64_t *v = vals, sum = 0;
		int c;

		if (bpf_map_lookup_elem(events_fd, &k, vals))
			continue;
		for (c = 0; c < n; c++)
			sum += v[c];
		st->by_type[k] = sum;
		st->events += sum;
	}
	free(vals);
	return 0;
}

/*
 * Every counted live pgmap's inits and frees, by start; how many, or
 * -ENOMEM. A destroyed one keeps its entries until its address is reused:
 * it is left out, so that a new pgmap on its range is not judged by it.
 */
int devmem_pgmap_nets(const struct devmem_session *s, struct devmem_pgmap_net *out, int max)
{
	int n = ncpus(), meta_fd = bpf_map__fd(s->skel->maps.pgmap_meta);
	int slot_fd = bpf_map__fd(s->skel->maps.pgmap_slot);
	void *vals = malloc(percpu_stride(sizeof(struct devmem_pgmap_counts)) * n);
	__u64 key, next, *prev = NULL;
	int nr = 0;

	if (!vals)
		return -ENOMEM;
	while (nr < max && !bpf_map_get_next_key(slot_fd, prev, &next)) {
		struct devmem_pgmap_meta m;
		struct devmem_pgmap_counts c;

		if (!lookup_counts(s, next, vals, NULL) &&
		    !bpf_map_lookup_elem(meta_fd, &next, &m) && !m.destroyed) {
			sum_pgmap(&c, vals, n);
			out[nr].start = m.start;
			out[nr].inits = c.inits;
			out[nr].frees = c.frees;
			nr++;
		}
		key = next;
		prev = &key;
	}
	free(vals);
	return nr;
}

uint64_t devmem_events_seen(const struct devmem_session *s)
{
	int n = ncpus(), fd = bpf_map__fd(s->skel->maps.event_counts);
	uint64_t *v = calloc(n, sizeof(*v)), sum = 0;
	__u32 k;
	int c;

	for (k = 0; v && k < DEVMEM_REC_TYPE_MAX; k++)
		if (!bpf_map_lookup_elem(fd, &k, v))
			for (c = 0; c < n; c++)
				sum += v[c];
	free(v);
	return sum;
}

struct owner_pages {
	uint32_t tgid;
	uint64_t pages;
};

int devmem_pgmap_owners(const struct devmem_session *s, uint64_t pgmap,
			void (*fn)(void *ctx, uint32_t tgid, uint64_t pages), void *ctx)
{
	int fd = bpf_map__fd(s->skel->maps.page_owner), e = 0;
	int meta_fd = bpf_map__fd(s->skel->maps.pgmap_meta);
	struct devmem_owner_chunk chunk;
	struct devmem_pgmap_meta m;
	struct owner_pages *o = NULL, *grown;
	struct u64map idx = { 0 };	/* tgid + 1 -> index in o[] */
	size_t no = 0, cap = 0, k, last = 0;
	uint64_t key, end, i;
	__u64 pg = pgmap;

	if (fd < 0 || meta_fd < 0)
		return -EBADF;
	if (bpf_map_lookup_elem(meta_fd, &pg, &m) || !m.serial)
		return 0;	/* not learned: nothing handed out seen */
	key = DEVMEM_OWNER_KEY(m.serial, 0);
	end = key + ((m.nr_pages + DEVMEM_CHUNK_PAGES - 1) >> DEVMEM_CHUNK_SHIFT);
	for (; key < end && !e; key++) {
		if (bpf_map_lookup_elem(fd, &key, &chunk))
			continue;	/* nothing handed out there */
		for (k = 0; k < DEVMEM_CHUNK_PAGES; k++) {
			uint32_t v = chunk.owner[k], tgid;

			if (!v)
				continue;
			tgid = (v & DEVMEM_OWNER_PID_MASK) - 1;
			/* a process's pages come in runs: its entry was the last one */
			if (last < no && o[last].tgid == tgid) {
				i = last;
			} else if (!u64map_get(&idx, tgid + 1ull, &i)) {
				if (no == cap) {
					cap = cap ? 2 * cap : 16;
					grown = realloc(o, cap * sizeof(*o));
					if (!grown) {
						e = -ENOMEM;
						break;
					}
					o = grown;
				}
				i = no;
				if (u64map_put(&idx, tgid + 1ull, i)) {
					e = -ENOMEM;
					break;
				}
				o[no].tgid = tgid;
				o[no++].pages = 0;
			}
			last = i;
			o[i].pages += 1ull << (v >> DEVMEM_OWNER_ORDER_SHIFT);
		}
	}
	for (k = 0; !e && k < no; k++)
		fn(ctx, o[k].tgid, o[k].pages);
	u64map_free(&idx);
	free(o);
	return e;
}
