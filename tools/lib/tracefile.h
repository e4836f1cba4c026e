/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The devmemscope trace file (docs/trace-format.md): a file header, then
 * chunks, each with its own header and CRC32. The writer emits whole chunks
 * with one write(), so a recorder killed at any moment leaves a file that
 * reads up to its last complete chunk. The reader checks everything and
 * names the byte offset of the first thing wrong.
 */
#ifndef DEVMEM_TRACEFILE_H
#define DEVMEM_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>
#include "replay.h"

#define DMT_MAGIC "DEVMEMTR"
#define DMT_VERSION_MAJOR 1
#define DMT_VERSION_MINOR 0
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
	DMT_CHUNK_PGMAPS = 2,	/* text, debugfs devmem/pgmaps at start */
	DMT_CHUNK_EVENTS = 3,	/* devmem records, back to back (devmem_abi.h) */
	DMT_CHUNK_KSYMS = 4,	/* text, "address name" lines */
	DMT_CHUNK_END = 5,	/* text, "key=value" lines: totals and drops */
	DMT_CHUNK_PGMAP_ADDRS = 6,	/* text, "pgmap start end type owner nr_pages" */
	DMT_CHUNK_STACKS = 7,	/* text, "stack_id frame;frame;..." symbolized */
	DMT_CHUNK_PGMAP_NAMES = 8,	/* text, "start end driver device pci" (pgmap_names.h) */
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

/* Writer */
struct dmt_writer {
	int fd;
	uint64_t seq, offset;
	unsigned char *buf;	/* pending EVENTS payload */
	size_t len, cap;
	uint64_t records;
};

/* Creates path with mode 0600 (it may hold kernel addresses). */
int dmt_writer_open(struct dmt_writer *w, const char *path, char *err, size_t errlen);
int dmt_write_chunk(struct dmt_writer *w, uint16_t type, const void *data, size_t len);
/* Queue one record; a full buffer becomes an EVENTS chunk. */
int dmt_write_record(struct dmt_writer *w, const void *rec, size_t len);
int dmt_flush(struct dmt_writer *w);	/* pending records as a chunk now */
int dmt_writer_close(struct dmt_writer *w);

/* Reader */
enum dmt_read_status {
	DMT_READ_OK = 0,
	DMT_READ_TRUNCATED = 1,	/* ends inside a chunk: all before it was read */
	DMT_READ_CORRUPT = 2,	/* something is wrong at err's offset */
	DMT_READ_IO = 3,	/* cannot open or read */
};

struct dmt_info {
	uint16_t version_major, version_minor;
	uint64_t chunks, records, skipped_chunks, bytes_read;
	char *meta;		/* META payload, NUL-terminated, or NULL */
	char *pgmaps;		/* PGMAPS payload */
	char *end;		/* END payload, NULL if the recorder never got there */
	char *pgmap_addrs;	/* PGMAP_ADDRS payload */
	char *stacks;		/* STACKS payload */
	char *pgmap_names;	/* PGMAP_NAMES payload */
};

/*
 * Read path, handing each record to ops. Returns enum dmt_read_status; err
 * says what and where ("offset N: ...") for anything but DMT_READ_OK.
 */
int dmt_read(const char *path, const struct devmem_ops *ops, void *ctx,
	     struct dmt_info *info, char *err, size_t errlen);
/*
 * Only the chunk headers and the text chunks (META, PGMAPS, END, ...):
 * EVENTS payloads are skipped unchecked. For tools that need the metadata
 * before replaying; the replay with dmt_read() checks everything.
 */
int dmt_scan(const char *path, struct dmt_info *info, char *err, size_t errlen);
/* The same over a buffer (for the fuzzer and unit tests). */
int dmt_read_buffer(const unsigned char *data, size_t len, const struct devmem_ops *ops,
		    void *ctx, struct dmt_info *info, char *err, size_t errlen);
void dmt_info_free(struct dmt_info *info);
/* "key=value" lookup in a META or END payload; NULL if absent. */
const char *dmt_meta_get(const char *text, const char *key, char *buf, size_t len);

#endif
