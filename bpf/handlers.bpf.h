/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One handler per event, shared by every attach mode: each counts the
 * event into the live totals and emits its ring buffer record.
 */
#ifndef DEVMEM_HANDLERS_BPF_H
#define DEVMEM_HANDLERS_BPF_H

/* ---- handlers: one per event, shared by all modes ---- */

/*
 * What an event does to the totals is devmem_rules.h's, shared with the
 * replay (tools/lib/state.c): a handler learns the event's pgmap, process
 * and pages from the kernel, passes them to the rule, and emits the
 * record the replay will pass to the same rule.
 */
static __always_inline struct devmem_proc_counters *counters_of(struct devmem_proc_counts *p)
{
	return p ? &p->c : NULL;
}

static __always_inline void on_pgmap(__u32 type, const struct dev_pagemap *pg, int error)
{
	__u64 pgmap = addr_of(pg);
	struct devmem_rec_pgmap *r;
	struct devmem_pgmap_meta *m;
	int i, nr_range = BPF_CORE_READ(pg, nr_range);
	__u64 nr_pages = 0;

	count_event(type);
	for (i = 0; i < 8 && i < nr_range; i++) {
		struct range rg;

		bpf_core_read(&rg, sizeof(rg), &pg->ranges[i]);
		nr_pages += (rg.end - rg.start + 1) >> 12;
	}
	/*
	 * A new pgmap may reuse a dead one's address: a live view retires the
	 * dead one if its teardown's end did not already (a mode that sees no
	 * end). A meta of a pgmap not destroyed is this one's, from an event
	 * before its create: only relearned, its slot kept.
	 */
	if (type == DEVMEM_REC_PGMAP_CREATE && !error) {
		m = bpf_map_lookup_elem(&pgmap_meta, &pgmap);
		if (count_in_kernel && m && m->destroyed) {
			retire_pgmap(pgmap);
		} else {
			if (m && m->destroyed)
				forget_owners(m);
			bpf_map_delete_elem(&pgmap_meta, &pgmap);
		}
	}
	m = pgmap_meta_of(pgmap);	/* (re)learns type and range from the kernel */
	if (m) {
		m->nr_pages = nr_pages;
		m->destroyed = type == DEVMEM_REC_PGMAP_DESTROY && !teardown_ends;
	}
	/* Every CPU's cache may hold a dead pgmap of this address, or too few pages. */
	if (type == DEVMEM_REC_PGMAP_CREATE && !error)
		__sync_fetch_and_add(&slot_gen, 1);
	r = reserve(type, sizeof(*r));
	if (!r)
		return;
	r->pgmap = pgmap;
	r->owner = (__u64)BPF_CORE_READ(pg, owner);
	r->start = BPF_CORE_READ(pg, range.start);
	r->end = BPF_CORE_READ(pg, range.end);
	r->nr_pages = nr_pages;
	r->type = BPF_CORE_READ(pg, type);
	r->nr_range = nr_range;
	r->error = error;
	r->space = devmem_pgmap_pages(pg) ? DEVMEM_SPACE_DEVICE_PRIVATE : DEVMEM_SPACE_PHYS;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_page_init(void *ctx, __u64 pfn, __u64 pgmap, __u32 nr, __u32 flags)
{
	struct pgmap_cache v;	/* one look at the cache for the totals and the owner */
	bool known = pgmap_view(pgmap, &v);
	struct devmem_pgmap_counts *s = known ? view_counts(&v) : NULL;
	__u32 pid = current_pid();
	struct devmem_proc_counts *p = proc_counts_of(pid, true);
	__u32 *owner = known ? owner_slot(pgmap, &v, pfn, true) : NULL;
	struct devmem_rec_page *r;

	count_event(DEVMEM_REC_PAGE_INIT);
	devmem_rule_page_init(s, counters_of(p), nr, flags);
	if (owner)
		*owner = (pid + 1) | order_of(nr) << DEVMEM_OWNER_ORDER_SHIFT;
	r = reserve_for(DEVMEM_REC_PAGE_INIT, sizeof(*r), pid);
	if (!r)
		return;
	r->pfn = record_pfn(&v, pfn);
	r->index = known ? page_index(pgmap, &v, pfn) : pfn;
	r->pgmap = pgmap;
	r->type = v.type;
	r->stack_id = capture_stacks ? batch_stack_id(ctx, &r->hdr) : -1;
	r->nr_pages = nr;
	r->flags = flags;
	bpf_ringbuf_submit(r, wakeup_flags());
}

/* flags: DEVMEM_PAGE_FREE_DROPS_REFS where no put event follows the free. */
static __always_inline void on_folio_free(__u64 pfn, __u64 pgmap, __u32 nr, __u32 flags)
{
	struct pgmap_cache v;	/* one look at the cache for the totals and the owner */
	bool known = pgmap_view(pgmap, &v);
	struct devmem_pgmap_counts *s = known ? view_counts(&v) : NULL;
	__u32 *owner = known ? owner_slot(pgmap, &v, pfn, false) : NULL, pid = 0, type = 0;
	struct devmem_rec_page *r;

	/* The type only decides whether the free drops references, and goes in records. */
	if (refs_on_free || flags || emit_records)
		type = v.type;

	count_event(DEVMEM_REC_FOLIO_FREE);
	if (owner) {
		pid = *owner & DEVMEM_OWNER_PID_MASK;
		*owner = 0;
	}
	devmem_rule_folio_free(s, pid ? counters_of(proc_counts_of(pid - 1, false)) : NULL, nr,
			       refs_on_free, flags, type);
	/* -p: the put that follows, by the same thread, is this page's. */
	if (filter_pid && !flags) {
		__u32 zero = 0;
		struct freeing *f = bpf_map_lookup_elem(&last_free, &zero);

		if (f) {
			f->tid = (__u32)bpf_get_current_pid_tgid();
			f->owner = pid;
		}
	}
	/*
	 * -p: a free belongs to the page's owner. One we never saw handed out
	 * (before we started) belongs to nobody we filter for.
	 */
	r = reserve_for(DEVMEM_REC_FOLIO_FREE, sizeof(*r), pid ? pid - 1 : 0);
	if (!r)
		return;
	r->pfn = record_pfn(&v, pfn);
	r->index = known ? page_index(pgmap, &v, pfn) : pfn;
	r->pgmap = pgmap;
	r->type = type;
	r->stack_id = -1;
	r->nr_pages = nr;
	r->flags = flags;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_get_pgmap(__u64 pfn, __u64 pgmap, __u64 nr)
{
	struct devmem_rec_pgmap_ref *r;

	count_event(DEVMEM_REC_GET_PGMAP);
	if (pgmap) {
		struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);

		learn_pgmap(pgmap);
		devmem_rule_get_pgmap(s, nr);
	}
	r = reserve(DEVMEM_REC_GET_PGMAP, sizeof(*r));
	if (!r)
		return;
	r->index = record_index(pgmap, &pfn);
	r->pfn = pfn;
	r->pgmap = pgmap;
	r->nr = nr;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_put_pgmap(__u64 pgmap, __u64 pfn, __u64 nr)
{
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	struct devmem_rec_pgmap_ref *r;
	__u32 pid = current_pid();

	count_event(DEVMEM_REC_PUT_PGMAP);
	learn_pgmap(pgmap);
	devmem_rule_put_pgmap(s, nr);
	if (filter_pid) {
		__u32 zero = 0;
		struct freeing *f = bpf_map_lookup_elem(&last_free, &zero);

		if (f && f->tid == (__u32)bpf_get_current_pid_tgid() && f->owner) {
			pid = f->owner - 1;	/* the put of the page just freed */
			f->owner = 0;
		}
	}
	r = reserve_for(DEVMEM_REC_PUT_PGMAP, sizeof(*r), pid);
	if (!r)
		return;
	r->index = pfn ? record_index(pgmap, &pfn) : 0;
	r->pfn = pfn;
	r->pgmap = pgmap;
	r->nr = nr;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_longterm(__u64 src_pfn, __u64 dst_pfn, __u64 pgmap, int result,
					__u64 nr)
{
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	struct devmem_proc_counts *p = proc_counts_of(current_pid(), true);
	struct devmem_rec_longterm *r;

	count_event(DEVMEM_REC_LONGTERM);
	learn_pgmap(pgmap);
	devmem_rule_longterm(s, counters_of(p), nr, result);
	r = reserve(DEVMEM_REC_LONGTERM, sizeof(*r));
	if (!r)
		return;
	r->src_index = record_index(pgmap, &src_pfn);
	r->src_pfn = src_pfn;
	r->dst_pfn = result ? 0 : dst_pfn;
	r->pgmap = pgmap;
	r->result = result;
	r->pad = 0;
	r->nr_pages = nr;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_cow(const void *old, const void *new, __u64 address)
{
	__u64 pgmap = (__u64)devmem_page_pgmap(old);
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	struct devmem_proc_counts *p = proc_counts_of(current_pid(), true);
	struct devmem_rec_cow *r;

	count_event(DEVMEM_REC_COW);
	devmem_rule_cow(s, counters_of(p));
	r = reserve(DEVMEM_REC_COW, sizeof(*r));
	if (!r)
		return;
	r->old_pfn = page_to_pfn(old);
	r->old_index = record_index(pgmap, &r->old_pfn);
	r->new_pfn = page_to_pfn(new);
	r->pgmap = pgmap;
	r->address = address;
	r->type = pgmap_type(pgmap);
	r->pad = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_fault(const void *page, __u64 address, __u32 ret,
				     __u64 latency_ns, __u32 nr)
{
	__u64 pgmap = (__u64)devmem_page_pgmap(page), pfn = page_to_pfn(page);
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	struct devmem_proc_counts *p = proc_counts_of(current_pid(), true);
	bool stuck = pgmap && fault_spin_note(pgmap, pfn, address);
	struct devmem_rec_fault *r;

	count_event(DEVMEM_REC_FAULT);
	learn_pgmap(pgmap);
	devmem_rule_fault(s, counters_of(p), stuck);
	if (s && latency_ns) {
		struct devmem_pgmap_lat *l = pgmap_lat_of(pgmap);
		__u32 b = devmem_lat_bucket(latency_ns);

		if (l && b < DEVMEM_LAT_BUCKETS)
			DEVMEM_ADD(l->fault_lat[b], 1);
	}
	r = reserve(DEVMEM_REC_FAULT, sizeof(*r));
	if (!r)
		return;
	r->index = record_index(pgmap, &pfn);
	r->pfn = pfn;
	r->pgmap = pgmap;
	r->address = address;
	r->ret = ret;
	r->flags = stuck ? DEVMEM_FAULT_NO_PROGRESS : 0;
	r->latency_ns = latency_ns;
	r->nr_pages = nr;
	r->pad2 = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

/*
 * A teardown begins (the task calling memunmap_pages() is current) or ends.
 * Rare, so the waiter's stack is worth a full unwind in a recording; a live
 * view reads the waiter's stack as it is now, from /proc.
 */
/* wait_ns of an end whose mode saw only the call: time it from the begin */
#define WAIT_FROM_BEGIN (~0ULL)

static __always_inline void on_pgmap_wait(void *ctx, const struct dev_pagemap *pg, __u32 stage,
					  __u64 live_pages, __u64 wait_ns)
{
	__u64 pgmap = addr_of(pg), id = bpf_get_current_pid_tgid();
	struct devmem_pgmap_meta *m = pgmap_meta_of(pgmap);
	struct devmem_rec_pgmap_wait *r;

	count_event(DEVMEM_REC_PGMAP_WAIT);
	if (m) {
		m->waiting = stage == DEVMEM_WAIT_BEGIN;
		m->destroyed = stage == DEVMEM_WAIT_END;
		if (stage == DEVMEM_WAIT_BEGIN) {
			m->wait_since_ns = bpf_ktime_get_ns();
			m->wait_live_pages = live_pages;
			m->wait_pid = id >> 32;
			m->wait_tid = (__u32)id;
			bpf_get_current_comm(m->wait_comm, sizeof(m->wait_comm));
		} else {
			/* fallback modes: the whole call, as the entry saw it begin */
			if (wait_ns == WAIT_FROM_BEGIN)
				wait_ns = m->wait_tid == (__u32)id ?
					  bpf_ktime_get_ns() - m->wait_since_ns : 0;
			m->wait_ns = wait_ns;
		}
	} else if (wait_ns == WAIT_FROM_BEGIN) {
		wait_ns = 0;
	}
	/* memunmap_pages() is returning: nothing of the pgmap can follow. */
	if (stage == DEVMEM_WAIT_END && count_in_kernel)
		retire_pgmap(pgmap);
	else if (stage == DEVMEM_WAIT_END && m)
		forget_owners(m);
	r = reserve(DEVMEM_REC_PGMAP_WAIT, sizeof(*r));
	if (!r)
		return;
	r->pgmap = pgmap;
	r->live_pages = live_pages;
	r->wait_ns = wait_ns;
	r->stage = stage;
	r->pad = 0;
	r->stack_id = -1;
	if (capture_stacks && stage == DEVMEM_WAIT_BEGIN) {
		r->stack_id = bpf_get_stackid(ctx, &stacks, 0);
		if (r->stack_id < 0) {
			drop(DEVMEM_DROP_STACK);
			r->stack_id = -1;
		}
	}
	r->pad2 = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_migrate(__u32 stage, __u64 start, __u64 npages,
				       __u64 nr_migrate, __u64 to_dev, __u64 to_sys,
				       __u64 pgmap, __u64 owner, __u64 flags)
{
	struct devmem_rec_migrate *r;

	count_event(DEVMEM_REC_MIGRATE);
	new_batch();
	/*
	 * No test of to_dev or to_sys here: in the fallback modes they are
	 * counted by a bpf_loop() callback, and a branch on them would make
	 * the verifier follow every value they can take.
	 */
	if (stage == DEVMEM_MIGRATE_FINALIZE) {
		struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
		struct devmem_proc_counts *p = proc_counts_of(current_pid(), true);

		learn_pgmap(pgmap);
		fault_spin_moved(to_sys);
		devmem_rule_migrated(s, counters_of(p), to_dev, to_sys);
	}
	r = reserve(DEVMEM_REC_MIGRATE, sizeof(*r));
	if (!r)
		return;
	r->start = start;
	r->npages = npages;
	r->nr_migrate = nr_migrate;
	r->nr_to_device = to_dev;
	r->nr_to_system = to_sys;
	r->pgmap = pgmap;
	r->owner = owner;
	r->flags = flags;
	r->stage = stage;
	r->pad = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

#endif
