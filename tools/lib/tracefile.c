// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "crc32.h"
#include "tracefile.h"

#define EVENTS_CHUNK_BYTES (256u << 10)

static uint32_t crc(const void *p, size_t n)
{
	return dmt_crc32(0, p, n);
}

/* A chunk's checksum covers its header too: a flipped type or size is caught. */
static uint32_t chunk_crc(const struct dmt_chunk_header *h, const void *payload)
{
	struct dmt_chunk_header z = *h;

	z.crc32 = 0;
	return dmt_crc32(crc(&z, sizeof(z)), payload, h->size);
}

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (n && (size_t)w >= iov->iov_len) {
			w -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= w;
		}
	}
	return 0;
}

int dmt_writer_open(struct dmt_writer *w, const char *path, char *err, size_t errlen)
{
	struct dmt_file_header h = { .magic = DMT_MAGIC, .version_major = DMT_VERSION_MAJOR,
				     .version_minor = DMT_VERSION_MINOR, .header_size = sizeof(h) };
	struct timespec ts;
	struct iovec iov;
	int e;

	memset(w, 0, sizeof(*w));
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (w->fd < 0 || fchmod(w->fd, 0600)) {	/* an existing file keeps its mode */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (w->fd >= 0)
			close(w->fd);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	h.created_unix_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	h.crc32 = crc(&h, offsetof(struct dmt_file_header, crc32));
	iov = (struct iovec){ &h, sizeof(h) };
	e = write_all(w->fd, &iov, 1);
	if (e) {
		snprintf(err, errlen, "%s: %s", path, strerror(-e));
		close(w->fd);
		return -1;
	}
	w->offset = sizeof(h);
	return 0;
}

int dmt_write_chunk(struct dmt_writer *w, uint16_t type, const void *data, size_t len)
{
	struct dmt_chunk_header h = { .magic = DMT_CHUNK_MAGIC, .type = type, .size = len,
				      .seq = w->seq };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	int e;

	if (len > DMT_MAX_CHUNK)
		return -EFBIG;
	h.crc32 = chunk_crc(&h, data);
	e = write_all(w->fd, iov, 2);	/* one chunk, header and payload together */
	if (e)
		return e;
	w->seq++;
	w->offset += sizeof(h) + len;
	return 0;
}

int dmt_flush(struct dmt_writer *w)
{
	int e;

	if (!w->len)
		return 0;
	e = dmt_write_chunk(w, DMT_CHUNK_EVENTS, w->buf, w->len);
	w->len = 0;
	return e;
}

int dmt_write_record(struct dmt_writer *w, const void *rec, size_t len)
{
	int e;

	if (w->len + len > EVENTS_CHUNK_BYTES && (e = dmt_flush(w)))
		return e;
	if (w->len + len > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64 << 10;
		unsigned char *p;

		while (cap < w->len + len)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p)
			return -ENOMEM;
		w->buf = p;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, rec, len);
	w->len += len;
	w->records++;
	return 0;
}

int dmt_writer_close(struct dmt_writer *w)
{
	int e = dmt_flush(w);

	free(w->buf);
	w->buf = NULL;
	if (close(w->fd) && !e)
		e = -errno;
	return e;
}

/* ---- reader ---- */

static char *dup_text(const unsigned char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = 0;
	}
	return s;
}

const char *dmt_meta_get(const char *text, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);
	const char *line;

	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, key, k) && line[k] == '=') {
			const char *v = line + k + 1, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);

			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = 0;
			return buf;
		}
	return NULL;
}

static int events(const unsigned char *p, size_t n, uint64_t base, const struct devmem_ops *ops,
		  void *ctx, struct dmt_info *info, char *err, size_t errlen)
{
	size_t off = 0;

	while (off < n) {
		struct devmem_rec_hdr h;
		int e;

		if (n - off < sizeof(h)) {
			snprintf(err, errlen, "offset %llu: %zu stray bytes after the last record",
				 (unsigned long long)(base + off), n - off);
			return DMT_READ_CORRUPT;
		}
		memcpy(&h, p + off, sizeof(h));	/* the payload need not be aligned */
		if (h.size < sizeof(h) || h.size > n - off) {
			snprintf(err, errlen, "offset %llu: record size %u does not fit its chunk",
				 (unsigned long long)(base + off), h.size);
			return DMT_READ_CORRUPT;
		}
		{
			/* Records go to callbacks aligned, as they come from the ring buffer. */
			uint64_t rec[(0xffff + 7) / 8];

			memcpy(rec, p + off, h.size);
			e = devmem_replay_record(rec, h.size, ops, ctx);
		}
		if (e == DEVMEM_REPLAY_TYPE) {
			/* a newer writer's record type: skip it */
		} else if (e) {
			snprintf(err, errlen, "offset %llu: %s record: %s",
				 (unsigned long long)(base + off), devmem_rec_type_name(h.type),
				 devmem_replay_strerror(e));
			return DMT_READ_CORRUPT;
		} else {
			info->records++;
		}
		off += h.size;
	}
	return DMT_READ_OK;
}

static int read_buffer(const unsigned char *data, size_t len, const struct devmem_ops *ops,
		       void *ctx, struct dmt_info *info, char *err, size_t errlen, bool scan)
{
	struct dmt_file_header fh;
	size_t off;

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
/* The fuzzer cannot forge checksums; its build skips them to reach the parser. */
#ifdef DMT_FUZZING
#define CRC_BAD(a, b) 0
#else
#define CRC_BAD(a, b) ((a) != (b))
#endif
	if (CRC_BAD(fh.crc32, crc(&fh, offsetof(struct dmt_file_header, crc32)))) {
		snprintf(err, errlen, "offset 0: file header checksum mismatch");
		return DMT_READ_CORRUPT;
	}
	if (fh.version_major != DMT_VERSION_MAJOR) {
		snprintf(err, errlen, "offset 8: format version %u.%u, this reader knows %u.x",
			 fh.version_major, fh.version_minor, DMT_VERSION_MAJOR);
		return DMT_READ_CORRUPT;
	}
	if (fh.header_size < sizeof(fh) || fh.header_size > len) {
		snprintf(err, errlen, "offset 12: bad header size %u", fh.header_size);
		return DMT_READ_CORRUPT;
	}
	info->version_major = fh.version_major;
	info->version_minor = fh.version_minor;
	for (off = fh.header_size; off < len;) {
		struct dmt_chunk_header ch;
		const unsigned char *payload;
		char **text = NULL;
		int e;

		if (len - off < sizeof(ch)) {
			snprintf(err, errlen, "offset %zu: file ends inside a chunk header "
				 "(recorder stopped mid-write?); read up to here", off);
			return DMT_READ_TRUNCATED;
		}
		memcpy(&ch, data + off, sizeof(ch));
		if (ch.magic != DMT_CHUNK_MAGIC || ch.flags) {
			snprintf(err, errlen, "offset %zu: bad chunk magic %#x or flags %#x", off,
				 ch.magic, ch.flags);
			return DMT_READ_CORRUPT;
		}
		if (ch.seq != info->chunks) {
			snprintf(err, errlen, "offset %zu: chunk %llu where chunk %llu was due", off,
				 (unsigned long long)ch.seq, (unsigned long long)info->chunks);
			return DMT_READ_CORRUPT;
		}
		if (ch.size > DMT_MAX_CHUNK) {
			snprintf(err, errlen, "offset %zu: chunk size %u over the %u limit", off,
				 ch.size, DMT_MAX_CHUNK);
			return DMT_READ_CORRUPT;
		}
		if (len - off - sizeof(ch) < ch.size) {
			snprintf(err, errlen, "offset %zu: file ends inside chunk %llu "
				 "(recorder stopped mid-write?); read up to here", off,
				 (unsigned long long)ch.seq);
			return DMT_READ_TRUNCATED;
		}
		payload = data + off + sizeof(ch);
		if (scan && ch.type == DMT_CHUNK_EVENTS) {
			info->chunks++;
			off += sizeof(ch) + ch.size;
			info->bytes_read = off;
			continue;
		}
		if (CRC_BAD(chunk_crc(&ch, payload), ch.crc32)) {
			snprintf(err, errlen, "offset %zu: chunk %llu checksum mismatch", off,
				 (unsigned long long)ch.seq);
			return DMT_READ_CORRUPT;
		}
		switch (ch.type) {
		case DMT_CHUNK_EVENTS:
			e = events(payload, ch.size, off + sizeof(ch), ops, ctx, info, err, errlen);
			if (e)
				return e;
			break;
		case DMT_CHUNK_META: text = &info->meta; break;
		case DMT_CHUNK_PGMAPS: text = &info->pgmaps; break;
		case DMT_CHUNK_END: text = &info->end; break;
		case DMT_CHUNK_PGMAP_ADDRS: text = &info->pgmap_addrs; break;
		case DMT_CHUNK_STACKS: text = &info->stacks; break;
		case DMT_CHUNK_PGMAP_NAMES: text = &info->pgmap_names; break;
		default: info->skipped_chunks++; break;
		}
		if (text && !*text)
			*text = dup_text(payload, ch.size);
		info->chunks++;
		off += sizeof(ch) + ch.size;
		info->bytes_read = off;
	}
	return DMT_READ_OK;
}

int dmt_read_buffer(const unsigned char *data, size_t len, const struct devmem_ops *ops,
		    void *ctx, struct dmt_info *info, char *err, size_t errlen)
{
	return read_buffer(data, len, ops, ctx, info, err, errlen, false);
}

static int map_and_read(const char *path, const struct devmem_ops *ops, void *ctx,
			struct dmt_info *info, char *err, size_t errlen, bool scan)
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
		return read_buffer((const unsigned char *)"", 0, ops, ctx, info, err, errlen, scan);
	}
	/* Mapped, not read: a trace of millions of events costs no copy. */
	data = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (data == MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return DMT_READ_IO;
	}
	madvise(data, st.st_size, MADV_SEQUENTIAL);
	rc = read_buffer(data, st.st_size, ops, ctx, info, err, errlen, scan);
	munmap(data, st.st_size);
	return rc;
}

int dmt_read(const char *path, const struct devmem_ops *ops, void *ctx,
	     struct dmt_info *info, char *err, size_t errlen)
{
	return map_and_read(path, ops, ctx, info, err, errlen, false);
}

int dmt_scan(const char *path, struct dmt_info *info, char *err, size_t errlen)
{
	return map_and_read(path, NULL, NULL, info, err, errlen, true);
}

void dmt_info_free(struct dmt_info *info)
{
	free(info->meta);
	free(info->pgmaps);
	free(info->end);
	free(info->pgmap_addrs);
	free(info->stacks);
	free(info->pgmap_names);
	memset(info, 0, sizeof(*info));
}
