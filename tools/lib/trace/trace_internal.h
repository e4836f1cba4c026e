/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the trace file's writer, reader and checksums ahead: not for
 * tools, which include tracefile.h.
 */
#ifndef DEVMEM_TRACE_INTERNAL_H
#define DEVMEM_TRACE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "crc32.h"
#include "format.h"

#define EVENTS_CHUNK_BYTES (256u << 10)

static inline uint32_t crc(const void *p, size_t n)
{
	return dmt_crc32(0, p, n);
}

/* A chunk's checksum covers its header too: a flipped type or size is caught. */
static inline uint32_t chunk_crc(const struct dmt_chunk_header *h, const void *payload)
{
	struct dmt_chunk_header z = *h;

	z.crc32 = 0;
	return dmt_crc32(crc(&z, sizeof(z)), payload, h->size);
}

/*
 * Checksums computed ahead by a second thread (crc_ahead.c). NULL from
 * dmt_ahead_start(): none, the reader computes every one itself.
 */
struct dmt_ahead;
struct dmt_ahead *dmt_ahead_start(const unsigned char *data, size_t len, size_t start);
/* Ends the helper; returns how many CRCs the reader took from it. */
uint64_t dmt_ahead_stop(struct dmt_ahead *a);
/* The checksum of the chunk at off with header *h, the helper's if it has it. */
uint32_t dmt_chunk_crc_at(struct dmt_ahead *a, size_t off, const struct dmt_chunk_header *h,
			  const unsigned char *payload);

#endif
