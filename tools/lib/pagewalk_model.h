/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pure half of the struct page walk (docs/pagewalk.md): what counts as
 * in use, where to look for pgmaps, and a bounded summary of what a walk
 * found. No BPF here: tests/unit links it alone.
 */
#ifndef DEVMEM_PAGEWALK_MODEL_H
#define DEVMEM_PAGEWALK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "json.h"
#include "pagewalk_abi.h"

/*
 * A free page's refcount: 0 for private, coherent, fsdax and p2pdma pages;
 * MEMORY_DEVICE_GENERIC pages keep 1 while free.
 */
int32_t devmem_walk_free_refcount(uint32_t type);

/* Physical ranges to scan for pgmaps, pfns [start, end). */
struct devmem_pfn_range {
	uint64_t start, end;
};

/*
 * From /proc/iomem's text: every region that is not System RAM or the
 * kernel's own (device memory is never either), merged where they overlap,
 * sorted. Returns how many, at most max; -1 on bad input. Needs root: to
 * others the kernel shows every address as 0.
 */
int devmem_iomem_scan_ranges(const char *text, struct devmem_pfn_range *out, size_t max);

/* What a walk of one pgmap range found; folios listed up to max_listed. */
struct devmem_walk_summary {
	uint64_t in_use_pages, in_use_folios, not_listed;
	uint64_t pages_walked, unreadable, foreign;
	uint64_t walk_ns;
	struct devmem_walk_folio *listed;
	size_t nr_listed, max_listed;
	bool done;		/* the walk ran to the end of the range */
	int error;		/* 0, or the -errno that stopped it */
};

#define DEVMEM_WALK_LISTED_DEFAULT 64

/* Count one in-use folio (nr_pages = 1 << order); 0, or -ENOMEM. */
int devmem_walk_summary_add(struct devmem_walk_summary *s, const struct devmem_walk_folio *f);
void devmem_walk_summary_free(struct devmem_walk_summary *s);
/* The "pages_walk" object's fields, inside an object the caller opened. */
void devmem_walk_summary_json(struct json *j, const struct devmem_walk_summary *s);

#endif
