/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The devmemscope trace file (docs/trace-format.md): a file header, then
 * chunks, each with its own header and CRC32. The writer emits whole chunks
 * with one write(), so a recorder killed at any moment leaves a file that
 * reads up to its last complete chunk, and a write that fails half-way is
 * cut back to the last whole chunk. The reader checks everything and names
 * the byte offset of the first thing wrong; in salvage mode it skips a
 * damaged chunk instead and says which bytes it skipped.
 */
#ifndef DEVMEM_TRACEFILE_H
#define DEVMEM_TRACEFILE_H

#include <stddef.h>
#include <stdint.h>
#include "format.h"
#include "replay.h"

/* Writer */
struct dmt_writer {
	int fd;
	uint64_t seq, offset;	/* offset: the end of the last whole chunk */
	unsigned char *buf;	/* pending EVENTS payload */
	size_t len, cap;
	uint64_t records;	/* records accepted by dmt_write_record() */
	uint64_t pending;	/* of them, in buf */
	char *desc;		/* pending PGMAP_DESC text, written before buf */
	size_t desc_len, desc_cap;
	/*
	 * The first write error (-errno), 0 if none. It is sticky: after it
	 * nothing more is written and every call returns it, so the file
	 * stays a whole-chunk prefix of the recording.
	 */
	int error;
	uint64_t error_chunk;	/* seq of the chunk that failed */
	size_t error_partial;	/* bytes of it written before the error */
	size_t error_size;	/* its full size, header included */
	int truncate_error;	/* -errno when cutting back failed, else 0 */
	uint64_t records_written;	/* in whole EVENTS chunks in the file */
	uint64_t records_lost;	/* accepted records a write error cost */
};

/* dmt_writer_open() and dmt_check_output() results besides 0. */
enum dmt_open_status {
	DMT_OPEN_ERROR = -1,	/* the system said no (err says why) */
	DMT_OPEN_REFUSED = -2,	/* a symlink, not a regular file, or hard-linked */
	DMT_OPEN_WRITE = -3,	/* the file header could not be written */
};

/*
 * Opens path for a new recording: a new file, created 0600 whatever the
 * umask (it may hold kernel addresses), or an existing regular file with a
 * single link, which is truncated and set to 0600. Anything else (a
 * symlink, a device such as /dev/null, a FIFO, a directory, a file with
 * other hard links) is refused untouched: it is never truncated nor
 * chmod-ed. Opened with O_NOFOLLOW | O_CLOEXEC and checked with fstat().
 */
int dmt_writer_open(struct dmt_writer *w, const char *path, char *err, size_t errlen);
/* The same checks without opening: 0 if path may be written. */
int dmt_check_output(const char *path, char *err, size_t errlen);
/* One chunk, or the writer's error. */
int dmt_write_chunk(struct dmt_writer *w, uint16_t type, const void *data, size_t len);
/* Text in as many chunks as it needs, split at line ends. */
int dmt_write_text(struct dmt_writer *w, uint16_t type, const char *text, size_t len);
/* Queue one record; a full buffer becomes an EVENTS chunk. */
int dmt_write_record(struct dmt_writer *w, const void *rec, size_t len);
/*
 * Queue text for a PGMAP_DESC chunk, written just before the next EVENTS
 * chunk: describe a pgmap before queueing the first record naming it, and
 * every prefix of the file names its pgmaps.
 */
int dmt_write_desc(struct dmt_writer *w, const char *text, size_t len);
int dmt_flush(struct dmt_writer *w);	/* pending text and records as chunks now */
/* Flushes and closes; returns the writer's error or close()'s. */
int dmt_writer_close(struct dmt_writer *w);
/* After an error: what failed, where the file was cut back to, what was kept and lost. */
const char *dmt_writer_strerror(const struct dmt_writer *w, char *buf, size_t len);

/* Reader */
enum dmt_read_status {
	DMT_READ_OK = 0,
	DMT_READ_TRUNCATED = 1,	/* ends inside a chunk: all before it was read */
	DMT_READ_CORRUPT = 2,	/* something is wrong at err's offset */
	DMT_READ_IO = 3,	/* cannot open or read */
	DMT_READ_SALVAGED = 4,	/* DMT_READ_SALVAGE skipped damaged bytes (info->skips) */
};

/*
 * Read flags. DMT_READ_SALVAGE: a damaged chunk (bad header, checksum,
 * sequence or record) is skipped, not fatal: the reader scans forward for
 * the next chunk whose header and checksum are valid, lists the bytes it
 * skipped in info->skips and goes on. A salvaged read is not a whole
 * recording: it may lack any event, so no leak verdict may be drawn from
 * it (a DMT_READ_SALVAGED result is never DMT_READ_OK).
 */
#define DMT_READ_SALVAGE 1u

struct dmt_skip {
	uint64_t start, end;	/* bytes [start, end) were not read */
	char why[160];
};
#define DMT_MAX_SKIPS 256	/* listed; more are counted in nr_skipped */

struct dmt_info {
	uint16_t version_major, version_minor;
	uint64_t chunks, records, skipped_chunks, bytes_read;
	char *meta;		/* META payload, NUL-terminated, or NULL */
	char *pgmaps;		/* PGMAPS payload */
	char *end;		/* END payload, NULL if the recorder never got there */
	/*
	 * Pgmap descriptions, "pgmap start end type owner nr_pages" lines:
	 * every PGMAP_DESC chunk, then the PGMAP_ADDRS one, in file order. A
	 * file without its END still names the pgmaps its records use.
	 */
	char *pgmap_addrs;
	char *stacks;		/* STACKS payload */
	/* DMT_READ_SALVAGE: what was skipped */
	struct dmt_skip *skips;
	size_t nr_skips;	/* listed in skips */
	uint64_t nr_skipped, skipped_bytes;	/* all of them */
	char *pgmap_names;	/* PGMAP_NAMES payload */
};

/*
 * Read path, handing each record to ops. Returns enum dmt_read_status; err
 * says what and where ("offset N: ...") for anything but DMT_READ_OK.
 */
int dmt_read(const char *path, const struct devmem_ops *ops, void *ctx,
	     struct dmt_info *info, char *err, size_t errlen);
/* With flags (DMT_READ_SALVAGE). */
int dmt_read_flags(const char *path, const struct devmem_ops *ops, void *ctx,
		   struct dmt_info *info, unsigned int flags, char *err, size_t errlen);
/*
 * Only the chunk headers and the text chunks (META, PGMAPS, END, ...):
 * EVENTS payloads are skipped unchecked. For tools that need the metadata
 * before replaying; the replay with dmt_read() checks everything.
 */
int dmt_scan(const char *path, struct dmt_info *info, char *err, size_t errlen);
int dmt_scan_flags(const char *path, struct dmt_info *info, unsigned int flags, char *err,
		   size_t errlen);
/* The same over a buffer (for the fuzzer and unit tests). */
int dmt_read_buffer(const unsigned char *data, size_t len, const struct devmem_ops *ops,
		    void *ctx, struct dmt_info *info, char *err, size_t errlen);
int dmt_read_buffer_flags(const unsigned char *data, size_t len, const struct devmem_ops *ops,
			  void *ctx, struct dmt_info *info, unsigned int flags, char *err,
			  size_t errlen);
void dmt_info_free(struct dmt_info *info);
/*
 * Reads of at least this many bytes have chunk CRCs computed a few chunks
 * ahead by a second thread (when there is a second CPU); results are the
 * same either way. For tests: 0 always, SIZE_MAX never; and how many CRCs
 * the last read took from that thread.
 */
extern size_t dmt_crc_ahead_min;
extern uint64_t dmt_crc_ahead_hits;
/* "key=value" lookup in a META or END payload; NULL if absent. */
const char *dmt_meta_get(const char *text, const char *key, char *buf, size_t len);
/*
 * The END chunk's keys (enum dmt_end_key): name, DMT_END_DROPS for the
 * counts a report lists as drops (devmemreport -j's "drops" object), and
 * DMT_END_LOSS for the counts read from the BPF side's drop counters,
 * which a recording leaves out when it could not read them.
 */
#define DMT_END_DROPS 1u
#define DMT_END_LOSS 2u
struct dmt_end_key_info {
	const char *name;
	unsigned int flags;
};
extern const struct dmt_end_key_info dmt_end_keys[DMT_END_NR_KEYS];
/*
 * An END payload: every key with its value in v, in order, but those with
 * a flag in skip; snprintf()'s result.
 */
int dmt_end_text(char *buf, size_t len, const uint64_t v[DMT_END_NR_KEYS], unsigned int skip);
/*
 * devmem_state's resolve callback over a file's pgmap descriptions (ctx:
 * the dmt_info's pgmap_addrs text): rows get their range and type even
 * from a recording that never reached its END chunk.
 */
struct devmem_pgmap_row;
int dmt_resolve_pgmap(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta);

/* Find id's frames in a STACKS chunk ("id frame;frame;...\n" lines). */
const char *devmem_stack_lookup(const char *stacks, int32_t id, char *buf, size_t len);

#endif
