/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The struct page walk (docs/pagewalk.md): the pages and folios of a pgmap
 * in use right now, read from their struct pages by BPF, for a tool that
 * started after they were handed out (a hung memunmap_pages() included).
 * Works on any kernel with BTF, with or without the kpatches series.
 */
#ifndef DEVMEM_PAGEWALK_H
#define DEVMEM_PAGEWALK_H

#include <stddef.h>
#include <stdint.h>
#include "pagewalk_abi.h"
#include "pagewalk_model.h"

struct pagewalk;

/* Load the programs; 0, or -errno with a reason in err. */
int devmem_pagewalk_open(struct pagewalk **w, char *err, size_t errlen);
void devmem_pagewalk_close(struct pagewalk *w);

/*
 * Only pages whose pgmap is this kernel address (0: any) count, and a page
 * is in use when its refcount is above free_refcount
 * (devmem_walk_free_refcount() of the pgmap's type). devmem_pagewalk_pgmap()
 * sets both from a found pgmap.
 */
void devmem_pagewalk_filter(struct pagewalk *w, uint64_t pgmap, int32_t free_refcount);

/*
 * Call cb for every page or folio in use among pfns [start_pfn, start_pfn +
 * nr_pages), in pfn order, each once (a folio by its head: nr_pages is
 * 1 << order). Exact for any range: the BPF side stops when its buffer is
 * full and goes on from there. A nonzero return from cb stops the walk and
 * is returned; otherwise 0, or -errno. stats, if not NULL, gets the pages
 * walked, unreadable (no memmap) and of other pgmaps, and the time taken.
 */
int devmem_pagewalk(struct pagewalk *w, uint64_t start_pfn, uint64_t nr_pages,
		    int (*cb)(void *ctx, const struct devmem_walk_folio *f), void *ctx,
		    struct devmem_walk_summary *stats);

/* A found pgmap's range, into a summary (s->max_listed set by the caller). */
int devmem_pagewalk_pgmap(struct pagewalk *w, const struct devmem_walk_pgmap *pg,
			  struct devmem_walk_summary *s);

/*
 * Find pgmaps among pfns [start_pfn, end_pfn), probing a struct page every
 * stride pfns (512: the 2 MiB subsection, the smallest memremap_pages()
 * range): cb gets each found range once per scan (a pgmap with several
 * ranges once per range). 0, cb's nonzero return, or -errno.
 */
int devmem_pgmap_scan(struct pagewalk *w, uint64_t start_pfn, uint64_t end_pfn, uint64_t stride,
		      int (*cb)(void *ctx, const struct devmem_walk_pgmap *pg), void *ctx);

/*
 * Every pgmap /proc/iomem leads to (devmem_iomem_scan_ranges()), plus the
 * physical ranges in extra (e.g. from debugfs), each pgmap range once.
 * Returns how many went to *out (caller frees), or -errno.
 */
int devmem_pgmap_find(struct pagewalk *w, const struct devmem_pfn_range *extra, size_t nr_extra,
		      struct devmem_walk_pgmap **out);

#endif
