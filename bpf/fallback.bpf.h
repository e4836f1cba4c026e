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
};

static long count_one(__u64 i, struct batch_ctx *c)
{
	__u64 s = 0, d = 0;
	__u32 *owner;

	bpf_probe_read_kernel(&s, sizeof(s), &c->src[i]);
	bpf_probe_read_kernel(&d, sizeof(d), &c->dst[i]);
	if (!(s & MIGRATE_PFN_MIGRATE) || !(d & MIGRATE_PFN_VALID))
		return 0;
	/*
	 * No branch on the counters here: the verifier would have to track
	 * each value they can take and never see the loop converge.
	 */
	owner = owner_slot(d >> MIGRATE_PFN_SHIFT, false);
	/* A PMD-sized entry (Linux 6.19+) moves all its pages at once. */
	if (d & MIGRATE_PFN_COMPOUND) {
		if (owner && *owner) {
			c->to_dev += 1 << PMD_ORDER;
			if (!c->pgmap)
				c->pgmap = pgmap_of_pfn(d >> MIGRATE_PFN_SHIFT);
			return 0;
		}
		c->to_sys += 1 << PMD_ORDER;
		owner = owner_slot(s >> MIGRATE_PFN_SHIFT, false);
		if (!c->pgmap && owner && *owner)
			c->pgmap = pgmap_of_pfn(s >> MIGRATE_PFN_SHIFT);
		return 0;
	}
	if (owner && *owner) {
		c->to_dev++;
		if (!c->pgmap)
			c->pgmap = pgmap_of_pfn(d >> MIGRATE_PFN_SHIFT);
		return 0;
	}
	c->to_sys++;
	owner = owner_slot(s >> MIGRATE_PFN_SHIFT, false);
	if (!c->pgmap && owner && *owner)
		c->pgmap = pgmap_of_pfn(s >> MIGRATE_PFN_SHIFT);
	return 0;
}

static __always_inline void on_finalize(const __u64 *src, const __u64 *dst, __u64 npages,
					__u64 start, __u64 owner)
{
	struct batch_ctx c = { .src = src, .dst = dst };

	bpf_loop(npages, count_one, &c, 0);
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
