/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoint mode on the 6.12 series (kpatches/6.12/).
 */
#ifndef DEVMEM_TP_612_BPF_H
#define DEVMEM_TP_612_BPF_H

/* ---- tracepoint mode ---- */

SEC("tp_btf/devmem_pgmap_create")
int BPF_PROG(tp_pgmap_create, const struct dev_pagemap *pgmap, int error)
{
	on_pgmap(DEVMEM_REC_PGMAP_CREATE, pgmap, error);
	return 0;
}

SEC("tp_btf/devmem_pgmap_destroy")
int BPF_PROG(tp_pgmap_destroy, const struct dev_pagemap *pgmap, int error)
{
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	return 0;
}

SEC("tp_btf/devmem_page_init")
int BPF_PROG(tp_page_init, const struct page *page)
{
	on_page_init(ctx, pfn_of(btf_addr(page)), (__u64)devmem_page_pgmap(page), 1, 0);
	return 0;
}

SEC("tp_btf/devmem_folio_free")
int BPF_PROG(tp_folio_free, const struct page *page)
{
	on_folio_free(pfn_of(btf_addr(page)), (__u64)devmem_page_pgmap(page), 1, 0);
	return 0;
}

SEC("tp_btf/devmem_get_pgmap")
int BPF_PROG(tp_get_pgmap, unsigned long pfn, const struct dev_pagemap *pgmap)
{
	on_get_pgmap(pfn, addr_of(pgmap), pgmap ? 1 : 0);
	return 0;
}

SEC("tp_btf/devmem_put_pgmap")
int BPF_PROG(tp_put_pgmap, const struct dev_pagemap *pgmap)
{
	on_put_pgmap(addr_of(pgmap), 0, 1);
	return 0;
}

SEC("tp_btf/devmem_longterm_migrate")
int BPF_PROG(tp_longterm, struct folio *src, struct folio *dst,
	     const struct dev_pagemap *pgmap, int result)
{
	on_longterm(page_to_pfn(src), dst ? page_to_pfn(dst) : 0, addr_of(pgmap), result, 1);
	return 0;
}

SEC("tp_btf/devmem_cow_replace")
int BPF_PROG(tp_cow, struct page *old, struct folio *new, unsigned long address)
{
	on_cow(old, new, address);
	return 0;
}

SEC("tp_btf/devmem_fault")
int BPF_PROG(tp_fault, struct page *page, unsigned long address, vm_fault_t ret)
{
	on_fault(page, address, ret, 0, 1);
	return 0;
}

SEC("tracepoint/devmem/devmem_migrate_vma_setup")
int tp_migrate_setup(struct trace_event_raw_devmem_migrate_collect *ctx)
{
	on_migrate(DEVMEM_MIGRATE_SETUP, ctx->start, ctx->npages, ctx->nr_migrate, 0, 0,
		   (__u64)ctx->pgmap, (__u64)ctx->owner, ctx->flags);
	return 0;
}

SEC("tracepoint/devmem/devmem_migrate_device_range")
int tp_migrate_range(struct trace_event_raw_devmem_migrate_collect *ctx)
{
	on_migrate(DEVMEM_MIGRATE_RANGE, ctx->start, ctx->npages, ctx->nr_migrate, 0, 0,
		   (__u64)ctx->pgmap, (__u64)ctx->owner, ctx->flags);
	return 0;
}

SEC("tracepoint/devmem/devmem_migrate_pages")
int tp_migrate_pages(struct trace_event_raw_devmem_migrate_batch *ctx)
{
	on_migrate(DEVMEM_MIGRATE_PAGES, ctx->start, ctx->npages, 0, ctx->nr_to_device,
		   ctx->nr_to_system, (__u64)ctx->pgmap, (__u64)ctx->owner, 0);
	return 0;
}

SEC("tracepoint/devmem/devmem_migrate_finalize")
int tp_migrate_finalize(struct trace_event_raw_devmem_migrate_batch *ctx)
{
	on_migrate(DEVMEM_MIGRATE_FINALIZE, ctx->start, ctx->npages, 0, ctx->nr_to_device,
		   ctx->nr_to_system, (__u64)ctx->pgmap, (__u64)ctx->owner, 0);
	return 0;
}

#endif
