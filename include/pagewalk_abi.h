/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What crosses between bpf/pagewalk.bpf.c and tools/session/pagewalk.c: the
 * struct page walk of a pgmap's pfn range and the scan that finds pgmaps
 * from physical ranges (docs/pagewalk.md). Fixed-width types only.
 */
#ifndef DEVMEM_PAGEWALK_ABI_H
#define DEVMEM_PAGEWALK_ABI_H

#ifdef __VMLINUX_H__
/* BPF side: types come from vmlinux.h */
#else
#include <linux/types.h>
#endif

/* Folios one test run can hand back; a full buffer ends the run early. */
#define DEVMEM_WALK_OUT_MAX	4096
/* bpf_loop iterations per test run (the kernel caps one call at 1 << 23). */
#define DEVMEM_WALK_STEPS	(1u << 20)
/* pgmaps one scan run can hand back. */
#define DEVMEM_SCAN_OUT_MAX	64
/* Ranges of one pgmap the BPF side looks at (pgmap->nr_range). */
#define DEVMEM_SCAN_MAX_RANGES	8
/* Folio orders tried when a scan lands on a tail page (heads are aligned). */
#define DEVMEM_SCAN_MAX_ORDER	18

/* A page or folio in use: its head pfn, order and counts. */
struct devmem_walk_folio {
	__u64 pfn;
	__u32 order;		/* nr_pages = 1 << order */
	__s32 refcount;		/* folio_ref_count() */
	__s32 mapcount;		/* folio_mapcount(): _large_mapcount + 1, or _mapcount + 1 */
	__u32 flags;		/* DEVMEM_WALK_F_* */
};

#define DEVMEM_WALK_F_TAIL	1	/* a tail page with its own reference */

/* A pgmap found by a scan: the range that covers the pfn it was found at. */
struct devmem_walk_pgmap {
	__u64 pgmap, start, end;	/* kernel address; physical, end inclusive */
	__u64 ops, owner;
	__u32 type, nr_range;
	/*
	 * pgmap->ref: killed (memunmap_pages() began: it waits for the rest),
	 * and then the references still held, or -1 while the kill's switch
	 * to atomic mode has not finished (the count still holds the bias).
	 */
	__u32 ref_dead, pad;
	__s64 ref_count;
};

#endif
