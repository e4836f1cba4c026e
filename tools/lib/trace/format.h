/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The trace file on disk (docs/trace-format.md): a file header, then
 * chunks, each a header and a payload, the header's CRC32 covering both.
 * Fields are in the byte order of the machine that wrote them.
 */
#ifndef DEVMEM_TRACE_FORMAT_H
#define DEVMEM_TRACE_FORMAT_H

#include <stdint.h>

#define DMT_MAGIC "DEVMEMTR"
#define DMT_VERSION_MAJOR 1
#define DMT_VERSION_MINOR 1	/* 1.1: PGMAP_DESC chunks */
#define DMT_CHUNK_MAGIC 0x4b4e4843u	/* "CHNK" */
#define DMT_MAX_CHUNK (16u << 20)

struct dmt_file_header {
	char magic[8];
	uint16_t version_major, version_minor;
	uint32_t header_size;	/* sizeof(struct dmt_file_header) */
	uint64_t created_unix_ns;
	uint32_t flags;		/* 0 */
	uint32_t crc32;		/* of the bytes before this field */
};

enum dmt_chunk_type {
	DMT_CHUNK_META = 1,	/* text, "key=value" lines */
	DMT_CHUNK_PGMAPS = 2,	/* text, debugfs's pgmaps file at start */
	DMT_CHUNK_EVENTS = 3,	/* devmem records, back to back (devmem_abi.h) */
	DMT_CHUNK_KSYMS = 4,	/* text, "address name" lines */
	DMT_CHUNK_END = 5,	/* text, "key=value" lines: totals and drops */
	DMT_CHUNK_PGMAP_ADDRS = 6,	/* text, "pgmap start end type owner nr_pages" */
	DMT_CHUNK_STACKS = 7,	/* text, "stack_id frame;frame;..." symbolized */
	DMT_CHUNK_PGMAP_DESC = 8,	/* text, PGMAP_ADDRS lines for pgmaps first
					 * named by the next EVENTS chunk */
	DMT_CHUNK_PGMAP_NAMES = 9,	/* text, "start end driver device pci" (pgmap_names.h) */
	DMT_CHUNK_TYPE_MAX
};

struct dmt_chunk_header {
	uint32_t magic;		/* DMT_CHUNK_MAGIC */
	uint16_t type;		/* enum dmt_chunk_type; unknown types are skipped */
	uint16_t flags;		/* 0 */
	uint32_t size;		/* payload bytes, at most DMT_MAX_CHUNK */
	uint32_t crc32;		/* of this header (with crc32 0) and the payload */
	uint64_t seq;		/* 0, 1, 2, ... */
};

/*
 * The END chunk's keys, in the order devmemrec writes them: a "key=value"
 * line each, the value a decimal count (docs/trace-format.md). Their
 * names are dmt_end_keys[] (tracefile.h), the one list of them.
 */
enum dmt_end_key {
	DMT_END_NS,
	DMT_END_RECORDS,
	DMT_END_FILTERED,
	DMT_END_DROPPED,	/* the sum of everything lost (lost.h) */
	DMT_END_RINGBUF_FULL,	/* then the drop slots, as lost.h names them */
	DMT_END_PGMAP_MAP_FULL,
	DMT_END_PROC_MAP_FULL,
	DMT_END_PAGE_MAP_FULL,
	DMT_END_NO_STACK,
	DMT_END_PROBE_MISSED,
	DMT_END_RECURSION_MISSES,
	DMT_END_BAD_RECORDS,
	DMT_END_WRITE_ERRORS,
	DMT_END_EVENTS_SEEN,	/* before the pid filter and any loss */
	DMT_END_COMMAND_NOT_RUN,	/* 1: the COMMAND recorded around never ran */
	DMT_END_NR_KEYS
};

#endif
