/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Records as the ring buffer gives them, for the unit tests of tools/lib. */
#ifndef DEVMEM_TEST_RECORDS_H
#define DEVMEM_TEST_RECORDS_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "devmem_abi.h"

static inline void hdr(struct devmem_rec_hdr *h, unsigned type, unsigned size, unsigned pid)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->size = size;
	h->pid = pid;
	snprintf(h->comm, sizeof(h->comm), "p%u", pid);
}

static inline struct devmem_rec_page page_rec(unsigned type, unsigned pid, uint64_t pfn,
					       uint64_t pgmap)
{
	struct devmem_rec_page r;

	hdr(&r.hdr, type, sizeof(r), pid);
	r.pfn = pfn;
	r.pgmap = pgmap;
	r.type = DEVMEM_PGMAP_PRIVATE;
	r.stack_id = -1;
	r.nr_pages = 1;
	r.flags = 0;
	r.index = DEVMEM_INDEX_FROM_PFN;	/* keyed by pfn, as an ABI 3 file's */
	return r;
}

/* A leak report's stack text: "stack" and the id. */
static inline const char *flat_stack(void *ctx, int32_t id, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "stack%d", (int)id);
	return buf;
}

#endif
