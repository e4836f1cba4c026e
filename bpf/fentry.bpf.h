/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fentry mode: fentry/fexit programs on the functions of fallback.bpf.h.
 */
#ifndef DEVMEM_FENTRY_BPF_H
#define DEVMEM_FENTRY_BPF_H

SEC("fexit/memremap_pages")
int BPF_PROG(fexit_memremap_pages, struct dev_pagemap *pgmap, int nid, void *ret)
{
	long r = (long)ret;

	on_pgmap(DEVMEM_REC_PGMAP_CREATE, pgmap, r < 0 && r >= -4095 ? r : 0);
	return 0;
}

/*
 * The teardown from memunmap_pages() entry to return: the wait for the last
 * references is in between, and a call that never returns is a hung one.
 * How many pages it waits for comes from the page records and totals.
 */
SEC("fentry/memunmap_pages")
int BPF_PROG(fentry_memunmap_pages, struct dev_pagemap *pgmap)
{
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_BEGIN, DEVMEM_LIVE_UNKNOWN, 0);
	return 0;
}

SEC("fexit/memunmap_pages")
int BPF_PROG(fexit_memunmap_pages, struct dev_pagemap *pgmap)
{
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_END, 0, WAIT_FROM_BEGIN);
	return 0;
}

/*
 * Device private pgmaps on a kernel with "mm: Remove device private pages
 * from the physical address space" (core_fixes.bpf.h): made and torn down
 * by these, which never call memremap_pages() or memunmap_pages(). Loaded
 * only where the kernel has them. The return is 0 or -errno, an unsigned
 * long in v5 of the series: read as an int, it reads right as an int too.
 */
SEC("fexit/memremap_device_private_pagemap")
int BPF_PROG(fexit_memremap_private, struct dev_pagemap *pgmap, int nid, unsigned long ret)
{
	int r = (int)ret;

	on_pgmap(DEVMEM_REC_PGMAP_CREATE, pgmap, r < 0 && r >= -4095 ? r : 0);
	return 0;
}

SEC("fentry/memunmap_device_private_pagemap")
int BPF_PROG(fentry_memunmap_private, struct dev_pagemap *pgmap)
{
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_BEGIN, DEVMEM_LIVE_UNKNOWN, 0);
	return 0;
}

SEC("fexit/memunmap_device_private_pagemap")
int BPF_PROG(fexit_memunmap_private, struct dev_pagemap *pgmap)
{
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_END, 0, WAIT_FROM_BEGIN);
	return 0;
}

/* Attached to zone_device_page_init or zone_device_folio_init, see core_fixes.bpf.h. */
SEC("fexit/zone_device_page_init")
int BPF_PROG(fexit_page_init, struct page *page)
{
	__u64 order = 0;

	if (page_init_order_arg)
		bpf_get_func_arg(ctx, page_init_order_arg, &order);
	on_page_init(ctx, pfn_of(btf_addr(page)), (__u64)devmem_page_pgmap(page),
		     1U << (order & 31), 0);
	return 0;
}

/* On entry: after ->folio_free() the folio may already be reused (7.1). */
SEC("fentry/free_zone_device_folio")
int BPF_PROG(fentry_folio_free, struct folio *folio)
{
	on_folio_free(pfn_of(btf_addr(folio)), (__u64)devmem_page_pgmap(folio),
		      devmem_folio_nr_pages(folio), 0);
	return 0;
}

SEC("fexit/get_dev_pagemap")
int fexit_get_dev_pagemap(void *ctx)
{
	__u64 pfn = 0, cached = 0, ret = 0;

	bpf_get_func_arg(ctx, 0, &pfn);
	if (bpf_get_func_arg_cnt(ctx) > 1)
		bpf_get_func_arg(ctx, 1, &cached);
	bpf_get_func_ret(ctx, &ret);
	if (!ret || ret != cached)	/* a cached pgmap comes back without a new reference */
		on_get_pgmap(pfn, ret, ret ? 1 : 0);
	return 0;
}

SEC("fexit/migrate_device_coherent_folio")
int BPF_PROG(fexit_longterm, struct folio *folio, int ret)
{
	on_longterm(page_to_pfn(folio), 0, (__u64)devmem_page_pgmap(folio), ret,
		    devmem_folio_nr_pages(folio));
	return 0;
}

SEC("fentry/migrate_vma_finalize")
int BPF_PROG(fentry_vma_finalize, struct migrate_vma *m)
{
	vma_finalize_enter(m);
	return 0;
}

SEC("fexit/migrate_vma_finalize")
int BPF_PROG(fexit_vma_finalize, struct migrate_vma *m)
{
	vma_finalize_exit();
	return 0;
}

SEC("fentry/migrate_device_finalize")
int BPF_PROG(fentry_device_finalize, unsigned long *src, unsigned long *dst, unsigned long npages)
{
	device_finalize_enter((const __u64 *)src, (const __u64 *)dst, npages);
	return 0;
}

#endif
