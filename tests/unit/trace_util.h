/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* For the trace file's unit tests: a file read whole, a page record. */
#ifndef DEVMEM_TEST_TRACE_UTIL_H
#define DEVMEM_TEST_TRACE_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "devmem_abi.h"

static inline int read_file(const char *path, unsigned char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return -1;
	*data = malloc(n ? n : 1);
	*len = fread(*data, 1, n, f);
	fclose(f);
	return (long)*len == n ? 0 : -1;
}

static inline struct devmem_rec_page page_rec(uint64_t pfn, uint64_t pgmap, uint32_t type)
{
	struct devmem_rec_page r = { .hdr = { .type = DEVMEM_REC_PAGE_INIT, .size = sizeof(r),
					      .pid = 42, .comm = "wl" }, .pfn = pfn,
				     .pgmap = pgmap, .type = type, .nr_pages = 1, .stack_id = -1 };

	return r;
}

#endif
