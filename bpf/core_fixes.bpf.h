/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every kernel-version shim of devmemscope's BPF side, in one place.
 * Each says which kernel change made it necessary.
 */
#ifndef DEVMEM_CORE_FIXES_BPF_H
#define DEVMEM_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * The pgmap of a ZONE_DEVICE page. Up to Linux 6.14 it is page->pgmap. The
 * 6.15 series "fs/dax: Fix ZONE_DEVICE page reference counts" (Alistair
 * Popple) moved it to the folio, reached through page_pgmap(). A device
 * page's struct page is its folio's first page in both layouts.
 */
struct page___pgmap_in_page {
	struct dev_pagemap *pgmap;
} __attribute__((preserve_access_index));

struct folio___pgmap_in_folio {
	struct dev_pagemap *pgmap;
} __attribute__((preserve_access_index));

static __always_inline struct dev_pagemap *devmem_page_pgmap(const void *page)
{
	if (bpf_core_field_exists(struct page___pgmap_in_page, pgmap))
		return BPF_CORE_READ((struct page___pgmap_in_page *)page, pgmap);
	return BPF_CORE_READ((struct folio___pgmap_in_folio *)page, pgmap);
}

/* Where that pointer sits in the struct page of a folio's first page. */
static __always_inline __u32 devmem_pgmap_offset(void)
{
	if (bpf_core_field_exists(struct page___pgmap_in_page, pgmap))
		return bpf_core_field_offset(struct page___pgmap_in_page, pgmap);
	return bpf_core_field_offset(struct folio___pgmap_in_folio, pgmap);
}

/*
 * Pages in a folio, read at entry to the free. Device private memory comes
 * in large folios since Linux 6.19 ("mm/zone_device: support large zone
 * device private folios", Balbir Singh); the order is folio_large_order(),
 * folio->_flags_1 & 0xff, of a folio whose head flag is set. The flags
 * word is the first of struct page and struct folio in every layout
 * (memdesc_flags_t since 6.18), so it is read by address, not by field.
 */
static __always_inline __u32 devmem_folio_nr_pages(const void *folio)
{
	unsigned long flags = 0, f1;

	if (!bpf_core_field_exists(struct folio, _flags_1))
		return 1;	/* before the folio layout had it: no large device folios */
	bpf_probe_read_kernel(&flags, sizeof(flags), folio);
	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	f1 = BPF_CORE_READ((struct folio *)folio, _flags_1);
	return 1U << (f1 & 0x1f);
}

/*
 * Fallback attach targets that moved (chosen by name in user space,
 * tools/session/attach.c, from the kernel's BTF):
 *  - zone_device_page_init(page) became zone_device_page_init(page, order)
 *    with zone_device_folio_init(folio, order) beside it in Linux 6.18
 *    (large device folios, Balbir Singh), and later gained a pgmap argument
 *    ("mm/memremap: pass the pgmap to zone_device_page_init()", 7.0);
 *    user space finds the order's position from BTF (page_init_order_arg)
 *    and the programs read it with bpf_get_func_arg() or the registers.
 *  - free_zone_device_page(page) became free_zone_device_folio(folio) in
 *    Linux 6.10 ("mm: convert free_zone_device_page to
 *    free_zone_device_folio"), and migrate_device_coherent_page(page) became
 *    migrate_device_coherent_folio(folio) before 6.12; a folio's address is
 *    its first page's, so the same programs read either.
 *  - get_dev_pagemap(pfn, pgmap) lost its cached pgmap argument in Linux
 *    6.16 ("mm/memremap: remove unused get_dev_pagemap() parameter"): the
 *    fexit program reads its arguments with bpf_get_func_arg() and
 *    bpf_get_func_arg_cnt(), so one program fits both prototypes.
 *  - zone_device_page_init(page) itself first appeared in Linux 6.1
 *    (commit 0dc45ca1ce18, "mm/memremap.c: take a pgmap reference on page
 *    allocation"): the oldest kernel whose page hand-out the fallback
 *    modes see.
 * Debian's stock kernels, each booted by tests/vm-stock.sh, take these:
 * 6.1: zone_device_page_init(page), free_zone_device_page(page),
 * migrate_device_coherent_page(page), get_dev_pagemap(pfn, pgmap),
 * page->pgmap; 6.12: the same but free_zone_device_folio(folio) and
 * migrate_device_coherent_folio(folio); 7.3: zone_device_page_init(page,
 * pgmap, order) beside zone_device_folio_init(), get_dev_pagemap(pfn),
 * folio->pgmap.
 */

#endif
