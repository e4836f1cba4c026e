/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every kernel-version shim of devmemscope's BPF side, in one place.
 * Each says which kernel change made it necessary: its mainline commit
 * (12 hex digits) and title, and the first release that has it. Where no
 * mainline commit id could be confirmed, the comment says so and names
 * the patch as posted; an id seen only in trees that rebase (mm-new,
 * mm-unstable, linux-next) is no mainline id and is not given.
 *
 * The versions were checked against the kernels' own BTF where one was at
 * hand: Debian's 6.1, 6.12 and 7.3 (tests/vm-stock.sh) and a Linux 6.18.
 */
#ifndef DEVMEM_CORE_FIXES_BPF_H
#define DEVMEM_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * The pgmap of a ZONE_DEVICE page. Up to Linux 6.14 it is page->pgmap.
 * Commit 82ba975e4c43 ("mm: allow compound zone device pages", Alistair
 * Popple, of the series "fs/dax: Fix ZONE_DEVICE page reference counts")
 * moved it to the folio, reached through page_pgmap(); first in 6.15
 * (v6.14-rc6-302-g82ba975e4c43). A device page's struct page is its
 * folio's first page in both layouts.
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
 * in large folios since Linux 6.19 (commit d245f9b4ab80, "mm/zone_device:
 * support large zone device private folios", Balbir Singh); the order is
 * folio_large_order(), folio->_flags_1 & 0xff, of a folio whose head
 * flag is set. It is masked with 0x1f here: no folio has an order above
 * 31, and the mask keeps the shift below defined for a torn read. The
 * flags word is the first of struct page and struct folio in every
 * layout (memdesc_flags_t since 6.18), so it is read by address, not by
 * field.
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
 * Device private pages outside the vmemmap: with Jordan Niethe's series
 * "mm: Remove device private pages from the physical address space" (v5,
 * <20260130111050.53670-1-jniethe@nvidia.com>, not in mainline) a private
 * pgmap's struct pages are the array pgmap->pages of pgmap->nr_pages, and
 * its range is in a device private address space (docs/kernels-next.md).
 */
struct dev_pagemap___dp {
	struct page *pages;
	unsigned long nr_pages;
} __attribute__((preserve_access_index));

/* Every device private pgmap has a pages array: its pages have no pfn. */
static __always_inline bool devmem_private_pages_array(void)
{
	return bpf_core_field_exists(struct dev_pagemap___dp, pages);
}

/* The address of pgmap->pages; 0 where the pgmap's pages are in the vmemmap. */
static __always_inline __u64 devmem_pgmap_pages(const void *pg)
{
	if (!bpf_core_field_exists(struct dev_pagemap___dp, pages))
		return 0;
	return (__u64)BPF_CORE_READ((const struct dev_pagemap___dp *)pg, pages);
}

/*
 * Fallback attach targets that moved (chosen by name in user space,
 * tools/session/modes.c, from the kernel's BTF or kallsyms):
 *  - zone_device_page_init(page) first appeared in Linux 6.1 (commit
 *    0dc45ca1ce18, "mm/memremap.c: take a pgmap reference on page
 *    allocation"): the oldest kernel whose page hand-out the fallback
 *    modes see.
 *  - zone_device_page_init(page, order), with zone_device_folio_init(folio,
 *    order) beside it: Linux 6.19, commit d245f9b4ab80 ("mm/zone_device:
 *    support large zone device private folios"). 6.18 still has the one
 *    argument.
 *  - zone_device_page_init(page, pgmap, order): Linux 7.0, commit
 *    12b2285bf3d1 ("mm/zone_device: reinitialize large zone device private
 *    folios", Matthew Brost), a fix of d245f9b4ab80.
 *    User space finds the order's position from BTF (page_init_order_arg)
 *    and the programs read it with bpf_get_func_arg() or the registers.
 *  - free_zone_device_page(page) became free_zone_device_folio(folio) in
 *    Linux 6.10 ("mm: convert free_zone_device_page to
 *    free_zone_device_folio", Matthew Wilcox); no mainline commit id
 *    confirmed. migrate_device_coherent_page(page) became
 *    migrate_device_coherent_folio(folio) by "mm/migrate_device: convert
 *    migrate_device_coherent_page() to migrate_device_coherent_folio()"
 *    (Sidhartha Kumar, v2 posted 16 Feb 2024), before 6.12; neither its
 *    commit id nor its first release confirmed. A folio's address is its
 *    first page's, so the same programs read either.
 *  - get_dev_pagemap(pfn, pgmap) lost its cached pgmap argument in Linux
 *    6.18 ("mm/memremap: remove unused get_dev_pagemap() parameter",
 *    Alistair Popple, posted 2 Sep 2025; 6.18's BTF has the one argument);
 *    no mainline commit id confirmed. The fexit program reads its
 *    arguments with bpf_get_func_arg() and bpf_get_func_arg_cnt(), so one
 *    program fits both prototypes; the kprobe, told by user space from BTF
 *    (get_pgmap_cached_arg), leaves the stale second register alone.
 *  - memremap_device_private_pagemap(pgmap, nid) and its twin
 *    memunmap_device_private_pagemap(pgmap): not in mainline, so no
 *    commit id. The series "mm: Remove device private pages from the
 *    physical address space" (Jordan Niethe; v5 of 30 Jan 2026,
 *    <20260130111050.53670-1-jniethe@nvidia.com>, its last patch of the
 *    same title) makes them the only way to create and remove a
 *    MEMORY_DEVICE_PRIVATE pgmap: memremap_pages() then refuses that type
 *    (WARN, -EINVAL) and neither new function calls memremap_pages() or
 *    memunmap_pages(). The fallback modes hook them where the kernel has
 *    them (modes.c's IF_PRESENT rows). What else the series changes for
 *    the tools (device private pfns become offsets into a device private
 *    address space): docs/kernels-next.md.
 *
 * dev_pagemap_ops.page_free(page) became folio_free(folio) in Linux 6.19
 * (commit 3a5a06554566, "mm/zone_device: rename page_free callback to
 * folio_free"); a later patch adds an order argument ("mm/zone_device:
 * Add order argument to folio_free callback", Matthew Brost, v4 posted 11
 * Jan 2026; no commit id or release confirmed).
 * No shim is needed: no program reads or hooks the callback. Frees are
 * seen at free_zone_device_folio() (or _page()) entry, before the core
 * calls it, and from dev_pagemap_ops only the ops pointer (a pgmap's
 * name, tools/lib/pgmap_names.c) and ->migrate_to_ram (fault hooks,
 * fault_spin.bpf.h) are read, by name through CO-RE, so the rename moves
 * nothing they read.
 *
 * Debian's stock kernels, each booted by tests/vm-stock.sh, take these:
 * 6.1: zone_device_page_init(page), free_zone_device_page(page),
 * migrate_device_coherent_page(page), get_dev_pagemap(pfn, pgmap),
 * page->pgmap; 6.12: the same but free_zone_device_folio(folio) and
 * migrate_device_coherent_folio(folio); 7.3: zone_device_page_init(page,
 * pgmap, order) beside zone_device_folio_init(), get_dev_pagemap(pfn),
 * folio->pgmap.
 */

#endif
