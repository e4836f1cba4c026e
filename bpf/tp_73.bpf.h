/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoint mode on the 7.3 series (kpatches/).
 */
#ifndef DEVMEM_TP_73_BPF_H
#define DEVMEM_TP_73_BPF_H

/*
 * ---- tracepoint mode, Linux 7.3 series (kpatches/) ----
 * Every event counts pages: folio events carry the order, reference
 * events nr, migration events page counts. A folio's events imply its
 * pgmap references (one per page, taken at init and dropped at free):
 * zone_device_pgmap_get and _put are only get_dev_pagemap()'s and
 * put_dev_pagemap()'s. The free's record says so.
 */

SEC("tp_btf/zone_device_pgmap_create")
int BPF_PROG(tp_zd_pgmap_create, const struct dev_pagemap *pgmap, int error)
{
	on_pgmap(DEVMEM_REC_PGMAP_CREATE, pgmap, error);
	return 0;
}

SEC("tp_btf/zone_device_pgmap_destroy_begin")
int BPF_PROG(tp_zd_destroy_begin, const struct dev_pagemap *pgmap, unsigned long live_pages)
{
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_BEGIN, live_pages, 0);
	return 0;
}

SEC("tp_btf/zone_device_pgmap_destroy_end")
int BPF_PROG(tp_zd_destroy_end, const struct dev_pagemap *pgmap, u64 wait_ns)
{
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_END, 0, wait_ns);
	return 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(tp_zd_folio_init, const struct folio *folio, const struct dev_pagemap *pgmap,
	     unsigned int order)
{
	on_page_init(ctx, pfn_of(btf_addr(folio)), btf_addr(pgmap), 1U << (order & 31), 0);
	return 0;
}

SEC("tp_btf/zone_device_folio_free")
int BPF_PROG(tp_zd_folio_free, const struct folio *folio, const struct dev_pagemap *pgmap,
	     unsigned int order)
{
	on_folio_free(pfn_of(btf_addr(folio)), btf_addr(pgmap), 1U << (order & 31),
		      DEVMEM_PAGE_FREE_DROPS_REFS);
	return 0;
}

SEC("tp_btf/zone_device_pgmap_get")
int BPF_PROG(tp_zd_pgmap_get, const struct dev_pagemap *pgmap, unsigned long pfn,
	     unsigned long nr)
{
	on_get_pgmap(pfn, addr_of(pgmap), nr);
	return 0;
}

SEC("tp_btf/zone_device_pgmap_put")
int BPF_PROG(tp_zd_pgmap_put, const struct dev_pagemap *pgmap, unsigned long pfn,
	     unsigned long nr)
{
	on_put_pgmap(addr_of(pgmap), pfn, nr);
	return 0;
}

SEC("tp_btf/zone_device_private_fault")
int BPF_PROG(tp_zd_fault, const struct page *page, const struct dev_pagemap *pgmap,
	     unsigned long address, unsigned int order, vm_fault_t ret, u64 duration_ns)
{
	on_fault(page, address, ret, duration_ns ? duration_ns : 1, 1U << (order & 31));
	return 0;
}

SEC("tp_btf/zone_device_cow_replace")
int BPF_PROG(tp_zd_cow, const struct page *old, const struct folio *new, unsigned long address)
{
	on_cow(old, new, address);
	return 0;
}

/*
 * The series' migrate_device events are the ones the class-based
 * migrate_device tracepoints lack: a batch by pgmap and direction, and the
 * long-term pin's move of a coherent folio.
 */
SEC("tp_btf/migrate_device_pgmap_pages_done")
int BPF_PROG(tp_md_pages, const unsigned long *src, const unsigned long *dst,
	     unsigned long npages, unsigned long nr_to_device, unsigned long nr_to_system,
	     const struct dev_pagemap *pgmap)
{
	on_migrate(DEVMEM_MIGRATE_PAGES, 0, npages, 0, nr_to_device, nr_to_system,
		   addr_of(pgmap), 0, 0);
	return 0;
}

SEC("tp_btf/migrate_device_pgmap_finalize_start")
int BPF_PROG(tp_md_finalize, const unsigned long *src, const unsigned long *dst,
	     unsigned long npages, unsigned long nr_to_device, unsigned long nr_to_system,
	     const struct dev_pagemap *pgmap)
{
	on_migrate(DEVMEM_MIGRATE_FINALIZE, 0, npages, 0, nr_to_device, nr_to_system,
		   addr_of(pgmap), 0, 0);
	return 0;
}

SEC("tp_btf/migrate_device_coherent_folio_done")
int BPF_PROG(tp_md_longterm, unsigned long src_pfn, unsigned long dst_pfn,
	     const struct dev_pagemap *pgmap, unsigned long nr_pages, int result)
{
	on_longterm(src_pfn, dst_pfn, addr_of(pgmap), result, nr_pages);
	return 0;
}

#endif
