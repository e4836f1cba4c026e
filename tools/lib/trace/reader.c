// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file's reader: every header, checksum, sequence number and
 * record checked, the first thing wrong named by its offset; in salvage
 * mode a damaged chunk is skipped and the bytes skipped are listed.
 */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "state.h"
#include "tracefile.h"
#include "trace_internal.h"

static char *dup_text(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

/* The fuzzer cannot forge checksums; its build skips them to reach the parser. */
#ifdef DMT_FUZZING
#define CRC_BAD(a, b) 0
#else
#define CRC_BAD(a, b) ((a) != (b))
#endif

/*
 * The records of one EVENTS payload, to ops (NULL: only checked). A bad
 * record stops it with DMT_READ_CORRUPT, err naming its offset.
 */
static int events(const unsigned char *p, size_t n, uint64_t base, const struct devmem_ops *ops,
		  void *ctx, uint64_t *records, char *err, size_t errlen)
{
	uint64_t taken = 0;	/* records, added to *records on the way out */
	int rc = DMT_READ_OK;
	size_t off = 0;

	while (off < n) {
		uint16_t size;	/* of the header, all this loop needs */
		int e;

		if (n - off < sizeof(struct devmem_rec_hdr)) {
			snprintf(err, errlen, "offset %llu: %zu stray bytes after the last record",
				 (unsigned long long)(base + off), n - off);
			rc = DMT_READ_CORRUPT;
			break;
		}
		/* the payload need not be aligned */
		memcpy(&size, p + off + offsetof(struct devmem_rec_hdr, size), sizeof(size));
		if (size < sizeof(struct devmem_rec_hdr) || size > n - off) {
			snprintf(err, errlen, "offset %llu: record size %u does not fit its chunk",
				 (unsigned long long)(base + off), size);
			rc = DMT_READ_CORRUPT;
			break;
		}
		if (!((uintptr_t)(p + off) & 7)) {
			/* the usual case: whole records of 8-byte multiples */
			e = devmem_replay_record(p + off, size, ops, ctx);
		} else {
			/* Records go to callbacks aligned, as they come from the ring buffer. */
			uint64_t rec[(0xffff + 7) / 8];

			memcpy(rec, p + off, size);
			e = devmem_replay_record(rec, size, ops, ctx);
		}
		if (e == DEVMEM_REPLAY_TYPE) {
			/* a newer writer's record type: skip it */
		} else if (e) {
			uint16_t type;

			memcpy(&type, p + off + offsetof(struct devmem_rec_hdr, type), sizeof(type));
			snprintf(err, errlen, "offset %llu: %s record: %s",
				 (unsigned long long)(base + off), devmem_rec_type_name(type),
				 devmem_replay_strerror(e));
			rc = DMT_READ_CORRUPT;
			break;
		} else {
			taken++;
		}
		off += size;
	}
	if (records)
		*records += taken;
	return rc;
}

/* Text chunks that may come more than once are joined, in file order. */
static void append_text(char **dst, const unsigned char *p, size_t n)
{
	size_t have = *dst ? strlen(*dst) : 0;
	char *s;

	if (!*dst) {
		*dst = dup_text(p, n);
		return;
	}
	s = realloc(*dst, have + n + 2);
	if (!s)
		return;
	if (have && s[have - 1] != '\n')
		s[have++] = '\n';
	memcpy(s + have, p, n);
	s[have + n] = 0;
	*dst = s;
}

struct reader {
	const unsigned char *data;
	size_t len;
	const struct devmem_ops *ops;
	void *ctx;
	struct dmt_info *info;
	unsigned int flags;
	bool scan;		/* EVENTS payloads unchecked and unread */
	uint64_t next_seq;	/* the seq due next */
	char *err;
	size_t errlen;
	struct dmt_ahead *ahead;	/* checksums computed ahead, or NULL */
};

enum { CHUNK_OK, CHUNK_SHORT, CHUNK_BAD };

/*
 * Is there a whole, valid chunk at off? CHUNK_SHORT: the file ends inside
 * it. why says what is wrong, with the offset.
 */
static int check_chunk(const struct reader *r, size_t off, struct dmt_chunk_header *ch,
		       char *why, size_t whylen)
{
	bool salvage = r->flags & DMT_READ_SALVAGE;

	if (r->len - off < sizeof(*ch)) {
		snprintf(why, whylen, "offset %zu: file ends inside a chunk header "
			 "(recorder stopped mid-write?); read up to here", off);
		return CHUNK_SHORT;
	}
	memcpy(ch, r->data + off, sizeof(*ch));
	if (ch->magic != DMT_CHUNK_MAGIC || ch->flags) {
		snprintf(why, whylen, "offset %zu: bad chunk magic %#x or flags %#x", off,
			 ch->magic, ch->flags);
		return CHUNK_BAD;
	}
	/* Salvaging, chunks may be missing: only going back is wrong. */
	if (salvage ? ch->seq < r->next_seq : ch->seq != r->next_seq) {
		snprintf(why, whylen, "offset %zu: chunk %llu where chunk %llu was due", off,
			 (unsigned long long)ch->seq, (unsigned long long)r->next_seq);
		return CHUNK_BAD;
	}
	if (ch->size > DMT_MAX_CHUNK) {
		snprintf(why, whylen, "offset %zu: chunk size %u over the %u limit", off,
			 ch->size, DMT_MAX_CHUNK);
		return CHUNK_BAD;
	}
	if (r->len - off - sizeof(*ch) < ch->size) {
		snprintf(why, whylen, "offset %zu: file ends inside chunk %llu "
			 "(recorder stopped mid-write?); read up to here", off,
			 (unsigned long long)ch->seq);
		return CHUNK_SHORT;
	}
	/*
	 * A scan skips EVENTS payloads unchecked; a salvaging one cannot: a
	 * damaged size would jump over the chunks that name the pgmaps.
	 */
	if (r->scan && !salvage && ch->type == DMT_CHUNK_EVENTS)
		return CHUNK_OK;
	if (CRC_BAD(dmt_chunk_crc_at(r->ahead, off, ch, r->data + off + sizeof(*ch)), ch->crc32)) {
		snprintf(why, whylen, "offset %zu: chunk %llu checksum mismatch", off,
			 (unsigned long long)ch->seq);
		return CHUNK_BAD;
	}
	/* Salvaging, a chunk is taken whole or not at all: check its records first. */
	if (salvage && ch->type == DMT_CHUNK_EVENTS &&
	    events(r->data + off + sizeof(*ch), ch->size, off + sizeof(*ch), NULL, NULL, NULL,
		   why, whylen))
		return CHUNK_BAD;
	return CHUNK_OK;
}

/* The next offset after off holding a valid chunk, or len. */
static size_t resync(const struct reader *r, size_t off)
{
	static const char magic[4] = "CHNK";	/* DMT_CHUNK_MAGIC, little-endian */
	struct reader strict = *r;
	struct dmt_chunk_header ch;
	char why[160];

	strict.scan = false;	/* a candidate must pass its checksum */
	strict.ahead = NULL;	/* its offsets are not the helper's chunks */
	while (off + sizeof(ch) <= r->len) {
		const unsigned char *p = memmem(r->data + off, r->len - off, magic, sizeof(magic));

		if (!p)
			break;
		off = p - r->data;
		if (check_chunk(&strict, off, &ch, why, sizeof(why)) == CHUNK_OK)
			return off;
		off++;
	}
	return r->len;
}

static void add_skip(struct dmt_info *info, uint64_t start, uint64_t end, const char *why)
{
	info->nr_skipped++;
	info->skipped_bytes += end - start;
	if (info->nr_skips == DMT_MAX_SKIPS)
		return;
	if (!info->skips) {
		info->skips = calloc(DMT_MAX_SKIPS, sizeof(*info->skips));
		if (!info->skips)
			return;
	}
	info->skips[info->nr_skips].start = start;
	info->skips[info->nr_skips].end = end;
	snprintf(info->skips[info->nr_skips].why, sizeof(info->skips[0].why), "%s", why);
	info->nr_skips++;
}

/* A chunk that checked out, to info and the callbacks. */
static int take_chunk(struct reader *r, size_t off, const struct dmt_chunk_header *ch)
{
	const unsigned char *payload = r->data + off + sizeof(*ch);
	struct dmt_info *info = r->info;

	switch (ch->type) {
	case DMT_CHUNK_EVENTS:
		/* Salvaging, its records were checked already; otherwise, now. */
		if (!r->scan && events(payload, ch->size, off + sizeof(*ch), r->ops, r->ctx,
				       &info->records, r->err, r->errlen))
			return DMT_READ_CORRUPT;
		break;
	case DMT_CHUNK_META:
		if (!info->meta)
			info->meta = dup_text(payload, ch->size);
		break;
	case DMT_CHUNK_END:
		if (!info->end)
			info->end = dup_text(payload, ch->size);
		break;
	case DMT_CHUNK_PGMAPS: append_text(&info->pgmaps, payload, ch->size); break;
	case DMT_CHUNK_PGMAP_DESC:
	case DMT_CHUNK_PGMAP_ADDRS: append_text(&info->pgmap_addrs, payload, ch->size); break;
	case DMT_CHUNK_STACKS: append_text(&info->stacks, payload, ch->size); break;
	case DMT_CHUNK_PGMAP_NAMES: append_text(&info->pgmap_names, payload, ch->size); break;
	default: info->skipped_chunks++; break;
	}
	info->chunks++;
	r->next_seq = ch->seq + 1;
	info->bytes_read = off + sizeof(*ch) + ch->size;
	return DMT_READ_OK;
}

/* The chunks from off on; skipped: damaged bytes were skipped just before. */
static int read_chunks(struct reader *r, size_t off, bool skipped)
{
	bool salvage = r->flags & DMT_READ_SALVAGE;
	struct dmt_info *info = r->info;
	char *err = r->err;
	size_t errlen = r->errlen, len = r->len;
	char why[160];

	while (off < len) {
		struct dmt_chunk_header ch;
		int c = check_chunk(r, off, &ch, why, sizeof(why));
		size_t next;

		if (c == CHUNK_OK) {
			if (ch.seq != r->next_seq && !skipped) {	/* salvaging: whole chunks went missing */
				snprintf(why, sizeof(why), "offset %zu: chunks %llu to %llu are missing",
					 off, (unsigned long long)r->next_seq,
					 (unsigned long long)ch.seq - 1);
				add_skip(info, off, off, why);
			}
			if (take_chunk(r, off, &ch))
				return DMT_READ_CORRUPT;
			off += sizeof(ch) + ch.size;
			skipped = false;
			continue;
		}
		if (!salvage) {
			snprintf(err, errlen, "%s", why);
			/* events() fails only in the strict reader: report the record. */
			return c == CHUNK_SHORT ? DMT_READ_TRUNCATED : DMT_READ_CORRUPT;
		}
		next = resync(r, off + 1);
		if (next == len && c == CHUNK_SHORT && !info->nr_skipped) {
			/* Nothing valid after it: the file was cut, not damaged. */
			snprintf(err, errlen, "%s", why);
			return DMT_READ_TRUNCATED;
		}
		add_skip(info, off, next, why);
		off = next;
		skipped = true;
	}
	if (info->nr_skipped) {
		snprintf(err, errlen, "salvaged: skipped %llu damaged range%s, %llu bytes; read "
			 "the rest", (unsigned long long)info->nr_skipped,
			 info->nr_skipped == 1 ? "" : "s", (unsigned long long)info->skipped_bytes);
		return DMT_READ_SALVAGED;
	}
	return DMT_READ_OK;
}

static int read_buffer(const unsigned char *data, size_t len, const struct devmem_ops *ops,
		       void *ctx, struct dmt_info *info, unsigned int flags, bool scan, char *err,
		       size_t errlen)
{
	struct reader r = { data, len, ops, ctx, info, flags, scan, 0, err, errlen, NULL };
	bool salvage = flags & DMT_READ_SALVAGE;
	struct dmt_file_header fh;
	bool skipped = false;	/* the last step skipped damaged bytes */
	size_t off;
	int rc;

	memset(info, 0, sizeof(*info));
	err[0] = 0;
	if (len < sizeof(fh)) {
		snprintf(err, errlen, "offset 0: %zu bytes is too short for a devmemscope trace", len);
		return len && !memcmp(data, DMT_MAGIC, len < 8 ? len : 8) ? DMT_READ_TRUNCATED :
		       DMT_READ_CORRUPT;
	}
	memcpy(&fh, data, sizeof(fh));
	if (memcmp(fh.magic, DMT_MAGIC, 8)) {
		snprintf(err, errlen, "offset 0: not a devmemscope trace (bad magic)");
		return DMT_READ_CORRUPT;
	}
	off = fh.header_size;
	if (CRC_BAD(fh.crc32, crc(&fh, offsetof(struct dmt_file_header, crc32)))) {
		snprintf(err, errlen, "offset 0: file header checksum mismatch");
		if (!salvage)
			return DMT_READ_CORRUPT;
		/* Its fields are not to be trusted: look for chunks right after it. */
		add_skip(info, 0, sizeof(fh), err);
		fh.version_major = DMT_VERSION_MAJOR;
		off = sizeof(fh);
		skipped = true;
	} else if (fh.version_major != DMT_VERSION_MAJOR) {
		snprintf(err, errlen, "offset 8: format version %u.%u, this reader knows %u.x",
			 fh.version_major, fh.version_minor, DMT_VERSION_MAJOR);
		return DMT_READ_CORRUPT;
	} else if (fh.header_size < sizeof(fh) || fh.header_size > len) {
		snprintf(err, errlen, "offset 12: bad header size %u", fh.header_size);
		return DMT_READ_CORRUPT;
	}
	info->version_major = fh.version_major;
	info->version_minor = fh.version_minor;
	/* A plain scan checks no EVENTS payload: nothing to compute ahead. */
	r.ahead = scan && !salvage ? NULL : dmt_ahead_start(data, len, off);
	rc = read_chunks(&r, off, skipped);
	dmt_crc_ahead_hits = dmt_ahead_stop(r.ahead);
	return rc;
}

int dmt_read_buffer_flags(const unsigned char *data, size_t len, const struct devmem_ops *ops,
			  void *ctx, struct dmt_info *info, unsigned int flags, char *err,
			  size_t errlen)
{
	return read_buffer(data, len, ops, ctx, info, flags, false, err, errlen);
}

int dmt_read_buffer(const unsigned char *data, size_t len, const struct devmem_ops *ops,
		    void *ctx, struct dmt_info *info, char *err, size_t errlen)
{
	return read_buffer(data, len, ops, ctx, info, 0, false, err, errlen);
}

static int map_and_read(const char *path, const struct devmem_ops *ops, void *ctx,
			struct dmt_info *info, unsigned int flags, bool scan, char *err,
			size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc;
	struct stat st;
	void *data;

	memset(info, 0, sizeof(*info));
	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return DMT_READ_IO;
	}
	if (!st.st_size) {
		close(fd);
		return read_buffer((const unsigned char *)"", 0, ops, ctx, info, flags, scan, err,
				   errlen);
	}
	/* Mapped, not read: a trace of millions of events costs no copy. */
	data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return DMT_READ_IO;
	}
	madvise(data, st.st_size, MADV_SEQUENTIAL);
	rc = read_buffer(data, st.st_size, ops, ctx, info, flags, scan, err, errlen);
	munmap(data, st.st_size);
	return rc;
}

int dmt_read(const char *path, const struct devmem_ops *ops, void *ctx,
	     struct dmt_info *info, char *err, size_t errlen)
{
	return map_and_read(path, ops, ctx, info, 0, false, err, errlen);
}

int dmt_read_flags(const char *path, const struct devmem_ops *ops, void *ctx,
		   struct dmt_info *info, unsigned int flags, char *err, size_t errlen)
{
	return map_and_read(path, ops, ctx, info, flags, false, err, errlen);
}

int dmt_scan(const char *path, struct dmt_info *info, char *err, size_t errlen)
{
	return map_and_read(path, NULL, NULL, info, 0, true, err, errlen);
}

int dmt_scan_flags(const char *path, struct dmt_info *info, unsigned int flags, char *err,
		   size_t errlen)
{
	return map_and_read(path, NULL, NULL, info, flags, true, err, errlen);
}

void dmt_info_free(struct dmt_info *info)
{
	free(info->meta);
	free(info->pgmaps);
	free(info->end);
	free(info->pgmap_addrs);
	free(info->stacks);
	free(info->skips);
	free(info->pgmap_names);
	memset(info, 0, sizeof(*info));
}
