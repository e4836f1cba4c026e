/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fentry and kprobe modes share: kernels without the series,
 * where the handlers are fed from the functions the tracepoints sit in.
 */
#ifndef DEVMEM_FALLBACK_BPF_H
#define DEVMEM_FALLBACK_BPF_H

/* ---- fentry and kprobe modes ---- */

#include "fault_fallback.bpf.h"

/* The pgmap of a device page, from its struct page (vmemmap + pfn). */
static __always_inline __u64 pgmap_of_pfn(__u64 pfn)
{
	const void *page;

	page_to_pfn(NULL);	/* learns vmemmap */
	page = (const void *)(vmemmap + pfn * bpf_core_type_size(struct page));
	return (__u64)devmem_page_pgmap(page);
}

/*
 * Count a finalize batch from its pfn arrays: a destination the tool saw
 * handed out is device memory, a source it saw handed out left it.
 */
struct batch_ctx {
	const __u64 *src, *dst;
	__u64 to_dev, to_sys, pgmap;
	__u64 dp_offset;	/* a device private offset of the batch, + 1 */
};

/*
 * The owner slot of a page of a pgmap seen before, by the pgmap its
 * struct page names: a system page's word there is something else, which
 * names no learned pgmap, and is never learned from here.
 */
static __always_inline __u32 *known_page_owner(__u64 pgmap, __u64 pfn)
{
	struct devmem_pgmap_meta *m = pgmap ? bpf_map_lookup_elem(&pgmap_meta, &pgmap) : NULL;
	struct pgmap_cache v = {};

	if (!m)
		return NULL;
	v.serial = m->serial;
	v.index_base = m->index_base;
	v.nr_pages = m->nr_pages;
	v.nr_range = m->nr_range;
	return owner_slot(pgmap, &v, pfn, false);
}

static long count_one(__u64 i, struct batch_ctx *c)
{
	__u64 s = 0, d = 0, pgmap, n;
	__u32 *owner;

	bpf_probe_read_kernel(&s, sizeof(s), &c->src[i]);
	bpf_probe_read_kernel(&d, sizeof(d), &c->dst[i]);
	if (!(s & MIGRATE_PFN_MIGRATE) || !(d & MIGRATE_PFN_VALID))
		return 0;
	/*
	 * With Jordan Niethe's series a device private entry holds an offset, no
	 * pfn: its flag says the direction, and the pgmap is found from one
	 * offset after the loop (pgmap_of_offset()). Never set before it.
	 */
	/* A PMD-sized entry (Linux 6.19+) moves all its pages at once. */
	n = d & MIGRATE_PFN_COMPOUND ? 1 << PMD_ORDER : 1;
	if ((d | s) & MIGRATE_PFN_DEVICE_PRIVATE) {
		if (d & MIGRATE_PFN_DEVICE_PRIVATE)
			c->to_dev += n;
		else
			c->to_sys += n;
		if (!c->dp_offset)
			c->dp_offset = ((d & MIGRATE_PFN_DEVICE_PRIVATE ? d : s) >>
					MIGRATE_PFN_SHIFT) + 1;
		return 0;
	}
	/*
	 * No branch on the counters here: the verifier would have to track
	 * each value they can take and never see the loop converge.
	 */
	pgmap = pgmap_of_pfn(d >> MIGRATE_PFN_SHIFT);
	owner = known_page_owner(pgmap, d >> MIGRATE_PFN_SHIFT);
	if (owner && *owner) {
		c->to_dev += n;
		if (!c->pgmap)
			c->pgmap = pgmap;
		return 0;
	}
	c->to_sys += n;
	pgmap = pgmap_of_pfn(s >> MIGRATE_PFN_SHIFT);
	owner = known_page_owner(pgmap, s >> MIGRATE_PFN_SHIFT);
	if (!c->pgmap && owner && *owner)
		c->pgmap = pgmap;
	return 0;
}

/* The private pgmap whose device private range holds an offset. */
struct dp_lookup {
	__u64 offset, pgmap;
};

static long offset_in(void *map, const __u64 *pgmap, const struct devmem_pgmap_meta *m,
		      struct dp_lookup *c)
{
	if (m->pages && c->offset >= m->start >> 12 && c->offset <= m->end >> 12) {
		c->pgmap = *pgmap;
		return 1;
	}
	return 0;
}

static __always_inline __u64 pgmap_of_offset(__u64 offset)
{
	struct dp_lookup c = { .offset = offset };

	bpf_for_each_map_elem(&pgmap_meta, offset_in, &c, 0);
	return c.pgmap;
}

static __always_inline void on_finalize(const __u64 *src, const __u64 *dst, __u64 npages,
					__u64 start, __u64 owner)
{
	struct batch_ctx c = { .src = src, .dst = dst };

	bpf_loop(npages, count_one, &c, 0);
	if (!c.pgmap && c.dp_offset)
		c.pgmap = pgmap_of_offset(c.dp_offset - 1);
	on_migrate(DEVMEM_MIGRATE_FINALIZE, start, npages, 0, c.to_dev, c.to_sys,
		   c.pgmap, owner, 0);
}

static __always_inline __u32 *vma_finalize_depth(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0, *n;

	n = bpf_map_lookup_elem(&in_vma_finalize, &tid);
	if (!n && create) {
		bpf_map_update_elem(&in_vma_finalize, &tid, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&in_vma_finalize, &tid);
	}
	return n;
}

static __always_inline void vma_finalize_enter(struct migrate_vma *m)
{
	__u32 *n;

	on_finalize((const __u64 *)BPF_CORE_READ(m, src), (const __u64 *)BPF_CORE_READ(m, dst),
		    BPF_CORE_READ(m, npages), BPF_CORE_READ(m, start),
		    (__u64)BPF_CORE_READ(m, pgmap_owner));
	fault_at_finalize(m);	/* after its batch: a fault's migration is committed */
	n = vma_finalize_depth(true);
	if (n)
		*n += 1;
}

static __always_inline void vma_finalize_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), *n = vma_finalize_depth(false);

	if (n && *n > 1)
		*n -= 1;
	else if (n)
		bpf_map_delete_elem(&in_vma_finalize, &tid);
}

static __always_inline void device_finalize_enter(const __u64 *src, const __u64 *dst, __u64 npages)
{
	if (!vma_finalize_depth(false))
		on_finalize(src, dst, npages, 0, 0);
}

#endif
