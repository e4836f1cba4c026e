/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-CPU totals' slots for pgmaps and processes, with each CPU's
 * cache of its last one, the page owner table and allocation stacks.
 */
#ifndef DEVMEM_SLOTS_BPF_H
#define DEVMEM_SLOTS_BPF_H

/*
 * A pgmap's slot in pgmap_counts, given out at its first event: one user
 * space gave back (zeroed), else a slot never used.
 */
static __noinline __u32 new_pgmap_slot(__u64 pgmap)
{
	__u32 slot, *sp;

	if (bpf_map_pop_elem(&free_pgmap_slots, &slot)) {
		/* Checked first: a full table must not keep counting up and wrap. */
		if (next_slot >= DEVMEM_MAX_PGMAPS) {
			drop(DEVMEM_DROP_PGMAP_MAP);
			return DEVMEM_MAX_PGMAPS;
		}
		slot = __sync_fetch_and_add(&next_slot, 1);
		if (slot >= DEVMEM_MAX_PGMAPS) {
			drop(DEVMEM_DROP_PGMAP_MAP);
			return DEVMEM_MAX_PGMAPS;
		}
	}
	/*
	 * Another CPU may give this pgmap a slot first: then its slot is used,
	 * and ours, still all zero, goes on the free queue.
	 */
	if (bpf_map_update_elem(&pgmap_slot, &pgmap, &slot, BPF_NOEXIST))
		bpf_map_push_elem(&free_pgmap_slots, &slot, 0);
	sp = bpf_map_lookup_elem(&pgmap_slot, &pgmap);
	return sp ? *sp : DEVMEM_MAX_PGMAPS;
}

static long forget_chunk(__u64 i, __u64 *key)
{
	__u64 k = *key + i;

	bpf_map_delete_elem(&page_owner, &k);
	return 0;
}

/*
 * A pgmap is gone (its last page was freed, or a new one took its
 * address): its owner chunks go too, all zero by now, or stale.
 */
static __always_inline void forget_owners(const struct devmem_pgmap_meta *m)
{
	__u64 key = DEVMEM_OWNER_KEY(m->serial, 0);

	if (track_owners && m->serial && m->nr_pages)
		bpf_loop((m->nr_pages + DEVMEM_CHUNK_PAGES - 1) >> DEVMEM_CHUNK_SHIFT,
			 forget_chunk, &key, 0);
}

/*
 * A pgmap is over: its slot and last meta move to pgmap_retired, where
 * user space reads its final totals and gives the slot back after showing
 * it (devmem_maps.h). Every CPU's cached slot goes stale. Called once per
 * pgmap: at its teardown's end, or, in a mode that sees no end, when a new
 * pgmap takes its address (the old one was freed by then).
 */
static __noinline void retire_pgmap(__u64 pgmap)
{
	struct devmem_pgmap_retired r = {};
	struct devmem_pgmap_meta *m = bpf_map_lookup_elem(&pgmap_meta, &pgmap);
	__u32 *sp = bpf_map_lookup_elem(&pgmap_slot, &pgmap);
	__u64 key;

	r.pgmap = pgmap;
	r.slot = DEVMEM_NO_SLOT;
	if (sp)
		r.slot = *sp;
	if (m) {
		__builtin_memcpy(&r.meta, m, sizeof(r.meta));
		forget_owners(m);
	} else if (r.slot == DEVMEM_NO_SLOT)
		return;		/* never seen: nothing to hand over */
	/*
	 * Out of the live maps before it is in pgmap_retired: user space,
	 * reading both, must never find the pgmap in both (it would count
	 * it twice); in neither for a moment, it keeps the last read.
	 */
	bpf_map_delete_elem(&pgmap_slot, &pgmap);
	bpf_map_delete_elem(&pgmap_meta, &pgmap);
	__sync_fetch_and_add(&slot_gen, 1);
	key = __sync_fetch_and_add(&retire_serial, 1);
	/* Full: the pgmap's last totals and its slot are lost, and counted. */
	if (bpf_map_update_elem(&pgmap_retired, &key, &r, BPF_NOEXIST))
		drop(DEVMEM_DROP_PGMAP_MAP);
}

/*
 * This CPU's cache entries are shared by every program on the CPU, and one
 * program can interrupt another (an IRQ, or preemption in fentry mode). So
 * an entry is a seqlock with one writer at a time: a writer takes busy by
 * compare-and-swap (a program that finds it taken leaves the entry alone),
 * makes seq odd, writes, makes it even again. A reader takes the entry
 * only if seq was even and the same before and after its reads: whatever
 * wrote in between, one writer or several in turn, it misses rather than
 * take another entry's slot.
 */
#define cache_barrier() asm volatile("" ::: "memory")

/*
 * What the hot paths need of a pgmap, from this CPU's cache when the event
 * is on the same pgmap as the last one (a migration batch's pages are):
 * its type, its page_owner keys, and in a live view its slot. A miss
 * learns the pgmap from the kernel (pgmap_meta_of) and gives it a slot.
 * False for no pgmap; v->serial 0 where it could not be learned.
 */
static __always_inline bool pgmap_view(__u64 pgmap, struct pgmap_cache *v)
{
	struct devmem_pgmap_meta *m;
	struct pgmap_cache *c;
	__u32 k = 0, gen, *sp;

	v->slot = DEVMEM_MAX_PGMAPS;
	v->type = 0;
	v->serial = 0;
	v->nr_range = 0;
	v->index_base = 0;
	v->nr_pages = 0;
	if (!pgmap)
		return false;
	gen = slot_gen;		/* read first: a change after it is seen next time */
	c = bpf_map_lookup_elem(&last_pgmap, &k);
	if (c) {
		__u32 seq = c->seq, cgen;
		__u64 key;

		cache_barrier();
		key = c->pgmap;
		v->index_base = c->index_base;
		v->nr_pages = c->nr_pages;
		v->slot = c->slot;
		v->type = c->type;
		v->serial = c->serial;
		v->nr_range = c->nr_range;
		cgen = c->gen;
		cache_barrier();
		if (!(seq & 1) && c->seq == seq && key == pgmap && cgen == gen)
			return true;
	}
	m = pgmap_meta_of(pgmap);
	v->slot = DEVMEM_MAX_PGMAPS;
	if (count_in_kernel) {
		sp = bpf_map_lookup_elem(&pgmap_slot, &pgmap);
		v->slot = sp ? *sp : new_pgmap_slot(pgmap);
	}
	v->type = m ? m->type : 0;
	v->serial = m ? m->serial : 0;
	v->index_base = m ? m->index_base : 0;
	v->nr_pages = m ? m->nr_pages : 0;
	v->nr_range = m ? m->nr_range : 0;
	if (c && !__sync_val_compare_and_swap(&c->busy, 0, 1)) {
		c->seq++;
		cache_barrier();
		c->pgmap = pgmap;
		c->index_base = v->index_base;
		c->nr_pages = v->nr_pages;
		c->slot = v->slot;
		c->type = v->type;
		c->serial = v->serial;
		c->nr_range = v->nr_range;
		c->gen = gen;
		cache_barrier();
		c->seq++;
		cache_barrier();
		c->busy = 0;
	}
	return true;
}

static __always_inline bool pgmap_cached(__u64 pgmap, __u32 *slot, __u32 *type)
{
	struct pgmap_cache v;
	bool ok = pgmap_view(pgmap, &v);

	*slot = v.slot;
	*type = v.type;
	return ok;
}

static __always_inline __u32 pgmap_type(__u64 pgmap)
{
	__u32 slot, type;

	pgmap_cached(pgmap, &slot, &type);
	return type;
}

/* A live view's per-CPU totals of the pgmap pgmap_view() described. */
static __always_inline struct devmem_pgmap_counts *view_counts(const struct pgmap_cache *v)
{
	return count_in_kernel ? bpf_map_lookup_elem(&pgmap_counts, &v->slot) : NULL;
}

static __always_inline struct devmem_pgmap_counts *pgmap_counts_of(__u64 pgmap)
{
	__u32 slot, type;

	if (!count_in_kernel || !pgmap_cached(pgmap, &slot, &type))
		return NULL;
	return bpf_map_lookup_elem(&pgmap_counts, &slot);
}

/*
 * A recording's pgmaps are learned at their events (user space describes
 * them from pgmap_meta); a live view learned them in pgmap_counts_of().
 */
static __always_inline void learn_pgmap(__u64 pgmap)
{
	if (emit_records)
		pgmap_type(pgmap);
}

static __always_inline struct devmem_pgmap_lat *pgmap_lat_of(__u64 pgmap)
{
	__u32 slot, type;

	if (!count_in_kernel || !pgmap_cached(pgmap, &slot, &type))
		return NULL;
	return bpf_map_lookup_elem(&pgmap_lat, &slot);
}

/* A process's slot in proc_counts, given out at its first event. */
static __noinline __u32 new_proc_slot(__u32 pid, bool current)
{
	struct devmem_proc_counts *p;
	__u32 slot, *sp;

	if (bpf_map_pop_elem(&free_proc_slots, &slot)) {
		/* Checked first: a full table must not keep counting up and wrap. */
		if (next_proc_slot >= max_procs) {
			drop(DEVMEM_DROP_PROC_MAP);
			return max_procs;
		}
		slot = __sync_fetch_and_add(&next_proc_slot, 1);
		if (slot >= max_procs) {
			drop(DEVMEM_DROP_PROC_MAP);
			return max_procs;
		}
	}
	p = bpf_map_lookup_elem(&proc_counts, &slot);
	if (p && current)
		bpf_get_current_comm(p->comm, sizeof(p->comm));
	/*
	 * Another CPU may give this process a slot first: then its slot is
	 * used, and ours goes back (a slot never used is still all zero).
	 */
	if (bpf_map_update_elem(&proc_slot, &pid, &slot, BPF_NOEXIST)) {
		if (p)
			__builtin_memset(p->comm, 0, sizeof(p->comm));
		bpf_map_push_elem(&free_proc_slots, &slot, 0);
	}
	sp = bpf_map_lookup_elem(&proc_slot, &pid);
	return sp ? *sp : max_procs;
}

/* The same cache discipline as pgmap_cached(). */
static __always_inline struct devmem_proc_counts *proc_counts_of(__u32 pid, bool current)
{
	struct proc_cache *c;
	__u32 k = 0, gen, slot, *sp;

	if (!count_in_kernel)
		return NULL;
	gen = proc_gen;		/* read first: an eviction after it is seen next time */
	c = bpf_map_lookup_elem(&last_proc, &k);
	if (c) {
		__u32 seq = c->seq, key, cgen;

		cache_barrier();
		key = c->tgid;
		slot = c->slot;
		cgen = c->gen;
		cache_barrier();
		/* tgid + 1: 0 is no process yet */
		if (!(seq & 1) && c->seq == seq && key == pid + 1 && cgen == gen)
			return bpf_map_lookup_elem(&proc_counts, &slot);
	}
	sp = bpf_map_lookup_elem(&proc_slot, &pid);
	slot = sp ? *sp : new_proc_slot(pid, current);
	if (slot >= max_procs)
		return NULL;
	if (c && !__sync_val_compare_and_swap(&c->busy, 0, 1)) {
		c->seq++;
		cache_barrier();
		c->tgid = pid + 1;
		c->slot = slot;
		c->gen = gen;
		cache_barrier();
		c->seq++;
		cache_barrier();
		c->busy = 0;
	}
	return bpf_map_lookup_elem(&proc_counts, &slot);
}

/* log2 of a folio's page count (a power of 2), without a loop */
static __always_inline __u32 order_of(__u32 nr)
{
	__u32 o = 0;

	if (nr >> 16) { nr >>= 16; o += 16; }
	if (nr >> 8) { nr >>= 8; o += 8; }
	if (nr >> 4) { nr >>= 4; o += 4; }
	if (nr >> 2) { nr >>= 2; o += 2; }
	if (nr >> 1)
		o += 1;
	return o;
}

/*
 * A page's index in a pgmap of several ranges: the pages of the ranges
 * before its own, plus its place in that one; ~0 in none of them.
 */
static __noinline __u64 range_index(__u64 pgmap, __u64 pfn)
{
	const struct dev_pagemap *pg = (const void *)pgmap;
	int i, nr_range = BPF_CORE_READ(pg, nr_range);
	__u64 before = 0;

	for (i = 0; i < 8 && i < nr_range; i++) {
		struct range rg;

		bpf_core_read(&rg, sizeof(rg), &pg->ranges[i]);
		if (pfn >= rg.start >> 12 && pfn <= rg.end >> 12)
			return before + pfn - (rg.start >> 12);
		before += (rg.end - rg.start + 1) >> 12;
	}
	return ~0ULL;
}

/*
 * A page's index in the pgmap v describes (pfn: pfn_of() of its struct
 * page); ~0 where outside it. A pgmap of several ranges learned late knows
 * only its first's size.
 */
static __always_inline __u64 page_index(__u64 pgmap, const struct pgmap_cache *v, __u64 pfn)
{
	if (v->nr_range > 1)
		return range_index(pgmap, pfn);
	if (pfn - v->index_base < v->nr_pages)
		return pfn - v->index_base;
	return ~0ULL;
}

/* A record's pfn of a page of v's pgmap: none for a device private page with no pfn. */
static __always_inline __u64 record_pfn(const struct pgmap_cache *v, __u64 pfn)
{
	return v->type == DEVMEM_PGMAP_PRIVATE && devmem_private_pages_array() ?
	       DEVMEM_PFN_NONE : pfn;
}

/*
 * A record's index of a page of pgmap (ABI 4), and its pfn in *pfn: for
 * the events that do not look at the pgmap's cache themselves. No pgmap:
 * the pfn, as a reader keys a page of no pgmap.
 */
static __always_inline __u64 record_index(__u64 pgmap, __u64 *pfn)
{
	struct pgmap_cache v;
	__u64 index;

	if (!pgmap_view(pgmap, &v))
		return *pfn;
	index = page_index(pgmap, &v, *pfn);
	*pfn = record_pfn(&v, *pfn);
	return index;
}

/*
 * The owner slot of a page (pfn_of() of its struct page) in the pgmap v
 * describes; creates its chunk when create is set.
 */
static __always_inline __u32 *owner_slot(__u64 pgmap, const struct pgmap_cache *v, __u64 pfn,
					 bool create)
{
	__u32 zero = 0, idx;
	struct devmem_owner_chunk *c;
	__u64 index, chunk;

	if (!track_owners || !v->serial)
		return NULL;
	index = page_index(pgmap, v, pfn);
	if (index == ~0ULL)
		return NULL;
	chunk = DEVMEM_OWNER_KEY(v->serial, index);
	idx = index & (DEVMEM_CHUNK_PAGES - 1);
	c = bpf_map_lookup_elem(&page_owner, &chunk);
	if (!c && create) {
		struct devmem_owner_chunk *z = bpf_map_lookup_elem(&zero_chunk, &zero);

		/* Another CPU may insert the same chunk first: EEXIST is fine. */
		if (z && bpf_map_update_elem(&page_owner, &chunk, z, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&page_owner, &chunk))
			drop(DEVMEM_DROP_PAGE_MAP);
		c = bpf_map_lookup_elem(&page_owner, &chunk);
	}
	return c ? &c->owner[idx] : NULL;
}

/* The stack of a device page's allocation: one full unwind per batch. */
static __always_inline __s32 batch_stack_id(void *ctx, const struct devmem_rec_hdr *h)
{
	struct task_stack *c = bpf_task_storage_get(&batch_stack, bpf_get_current_task_btf(), NULL,
						    BPF_LOCAL_STORAGE_GET_F_CREATE);
	__s32 id;

	if (c && c->stack_id >= 0 && h->ts_ns - c->ts_ns < STACK_REUSE_NS)
		return c->stack_id;
	id = bpf_get_stackid(ctx, &stacks, 0);
	if (id < 0) {
		drop(DEVMEM_DROP_STACK);
		return -1;
	}
	if (c) {
		c->ts_ns = h->ts_ns;	/* the record's: no second clock read */
		c->stack_id = id;
	}
	return id;
}

static __always_inline void new_batch(void)
{
	struct task_stack *c;

	if (!capture_stacks || !emit_records)
		return;
	c = bpf_task_storage_get(&batch_stack, bpf_get_current_task_btf(), NULL, 0);
	if (c)
		c->stack_id = -1;
}

#endif
