// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE	/* memmem, memrchr, sched_getaffinity */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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
#include "state.h"
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

/* Writes all of iov; *done says how many bytes went out, even on error. */
static int write_all(int fd, struct iovec *iov, int n, size_t *done)
{
	*done = 0;
	while (n) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;	/* not for files, but never spin */
		*done += w;
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

/* Why path may not be written, or NULL: only new or plain regular files. */
static const char *refusal(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return "a symbolic link";
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		return "a device";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	/* Truncating and chmod-ing it would change the other names too. */
	if (st->st_nlink > 1)
		return "a file with other hard links";
	return NULL;
}

static int refuse(const char *path, const char *why, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s is %s: refused (a recording goes to a new file or to a "
		 "regular file, which is truncated)", path, why);
	return DMT_OPEN_REFUSED;
}

int dmt_check_output(const char *path, char *err, size_t errlen)
{
	struct stat st;
	const char *why;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;	/* new: created by dmt_writer_open() */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return DMT_OPEN_ERROR;
	}
	why = refusal(&st);
	return why ? refuse(path, why, err, errlen) : 0;
}

int dmt_writer_open(struct dmt_writer *w, const char *path, char *err, size_t errlen)
{
	struct dmt_file_header h = { .magic = DMT_MAGIC, .version_major = DMT_VERSION_MAJOR,
				     .version_minor = DMT_VERSION_MINOR, .header_size = sizeof(h) };
	bool created = true;
	struct timespec ts;
	struct iovec iov;
	struct stat st;
	const char *why;
	size_t done;
	int e;

	memset(w, 0, sizeof(*w));
	/* O_EXCL and O_NOFOLLOW: a name planted meanwhile fails, never followed. */
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (w->fd < 0 && errno == EEXIST) {
		created = false;
		e = dmt_check_output(path, err, errlen);	/* never open a device */
		if (e)
			return e;
		/* O_NONBLOCK: a FIFO swapped in since cannot block us; fstat() refuses it. */
		w->fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (w->fd < 0 && errno == ELOOP)
			return refuse(path, "a symbolic link", err, errlen);
	}
	if (w->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return DMT_OPEN_ERROR;
	}
	if (fstat(w->fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	why = refusal(&st);
	if (why) {	/* swapped since the check: leave it as it is */
		close(w->fd);
		return refuse(path, why, err, errlen);
	}
	/* Ours now: empty it and make it 0600 (a new file too: the umask may have narrowed it). */
	if ((!created && ftruncate(w->fd, 0)) || fchmod(w->fd, 0600) ||
	    fcntl(w->fd, F_SETFL, 0)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	h.created_unix_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	h.crc32 = crc(&h, offsetof(struct dmt_file_header, crc32));
	iov = (struct iovec){ &h, sizeof(h) };
	e = write_all(w->fd, &iov, 1, &done);
	if (e) {
		snprintf(err, errlen, "%s: writing the file header: %s", path, strerror(-e));
		if (created)
			unlink(path);
		else if (ftruncate(w->fd, 0)) {
			/* nothing more to do: the message already says it failed */
		}
		close(w->fd);
		return DMT_OPEN_WRITE;
	}
	w->offset = sizeof(h);
	return 0;
fail:
	close(w->fd);
	if (created)
		unlink(path);
	return DMT_OPEN_ERROR;
}

/*
 * A write failed part-way through a chunk: cut the file back to the end of
 * the last whole chunk, so it reads cleanly to there, and write no more.
 * Carrying on after a gap would leave a recording that reads as whole but
 * lacks events (frees of pages never handed out, leaks that are not).
 */
static int write_failed(struct dmt_writer *w, int e, size_t done, size_t size)
{
	w->error = e;
	w->error_chunk = w->seq;
	w->error_partial = done;
	w->error_size = size;
	if (done && (ftruncate(w->fd, w->offset) || lseek(w->fd, w->offset, SEEK_SET) < 0))
		w->truncate_error = -errno;
	return e;
}

int dmt_write_chunk(struct dmt_writer *w, uint16_t type, const void *data, size_t len)
{
	struct dmt_chunk_header h = { .magic = DMT_CHUNK_MAGIC, .type = type, .size = len,
				      .seq = w->seq };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, len } };
	size_t done;
	int e;

	if (w->error)
		return w->error;
	if (len > DMT_MAX_CHUNK)
		return -EFBIG;
	h.crc32 = chunk_crc(&h, data);
	e = write_all(w->fd, iov, 2, &done);	/* one chunk, header and payload together */
	if (e)
		return write_failed(w, e, done, sizeof(h) + len);
	w->seq++;
	w->offset += sizeof(h) + len;
	return 0;
}

int dmt_write_text(struct dmt_writer *w, uint16_t type, const char *text, size_t len)
{
	do {
		size_t n = len;
		int e;

		if (n > DMT_MAX_CHUNK) {	/* cut after the last line end that fits */
			const char *nl = memrchr(text, '\n', DMT_MAX_CHUNK);

			n = nl ? (size_t)(nl - text) + 1 : DMT_MAX_CHUNK;
		}
		e = dmt_write_chunk(w, type, text, n);
		if (e)
			return e;
		text += n;
		len -= n;
	} while (len);
	return 0;
}

int dmt_write_desc(struct dmt_writer *w, const char *text, size_t len)
{
	if (w->error)
		return w->error;
	if (w->desc_len + len > w->desc_cap) {
		size_t cap = w->desc_cap ? w->desc_cap * 2 : 4096;
		char *p;

		while (cap < w->desc_len + len)
			cap *= 2;
		p = realloc(w->desc, cap);
		if (!p)
			return -ENOMEM;
		w->desc = p;
		w->desc_cap = cap;
	}
	memcpy(w->desc + w->desc_len, text, len);
	w->desc_len += len;
	return 0;
}

int dmt_flush(struct dmt_writer *w)
{
	int e = w->error;

	/* The descriptions first: a reader of any prefix knows the pgmaps it meets. */
	if (!e && w->desc_len) {
		e = dmt_write_text(w, DMT_CHUNK_PGMAP_DESC, w->desc, w->desc_len);
		if (!e)
			w->desc_len = 0;
	}
	if (!e && w->len) {
		e = dmt_write_chunk(w, DMT_CHUNK_EVENTS, w->buf, w->len);
		if (!e)
			w->records_written += w->pending;
	}
	if (e) {
		w->records_lost += w->pending;
		w->desc_len = 0;
	}
	w->len = 0;
	w->pending = 0;
	return e;
}

int dmt_write_record(struct dmt_writer *w, const void *rec, size_t len)
{
	int e;

	if (w->error) {
		w->records_lost++;
		return w->error;
	}
	if (w->len + len > EVENTS_CHUNK_BYTES && (e = dmt_flush(w))) {
		w->records_lost++;
		return e;
	}
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
	w->pending++;
	return 0;
}

int dmt_writer_close(struct dmt_writer *w)
{
	int e = dmt_flush(w);

	free(w->buf);
	free(w->desc);
	w->buf = NULL;
	w->desc = NULL;
	if (close(w->fd) && !e)
		e = w->error = -errno;	/* NFS and friends report late */
	w->fd = -1;
	return e;
}

const char *dmt_writer_strerror(const struct dmt_writer *w, char *buf, size_t len)
{
	int n;

	if (!w->error) {
		snprintf(buf, len, "no write error");
		return buf;
	}
	if (!w->error_size) {	/* close() failed */
		snprintf(buf, len, "closing the file: %s; %llu records written, %llu lost",
			 strerror(-w->error), (unsigned long long)w->records_written,
			 (unsigned long long)w->records_lost);
		return buf;
	}
	n = snprintf(buf, len, "writing chunk %llu failed: %s (%zu of its %zu bytes written); ",
		     (unsigned long long)w->error_chunk, strerror(-w->error), w->error_partial,
		     w->error_size);
	if (n < 0 || (size_t)n >= len)
		return buf;
	if (w->truncate_error)
		snprintf(buf + n, len - n, "cutting the file back to its last whole chunk failed "
			 "too (%s): it ends in a partial chunk after byte %llu; %llu records "
			 "in whole chunks, %llu lost", strerror(-w->truncate_error),
			 (unsigned long long)w->offset, (unsigned long long)w->records_written,
			 (unsigned long long)w->records_lost);
	else
		snprintf(buf + n, len - n, "the file keeps its %llu whole chunks (%llu bytes, "
			 "%llu records); %llu records lost", (unsigned long long)w->seq,
			 (unsigned long long)w->offset, (unsigned long long)w->records_written,
			 (unsigned long long)w->records_lost);
	return buf;
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

/*
 * Checksums ahead: a second thread walks the chunk headers in front of the
 * reader and computes each chunk's CRC (and so takes the page faults of
 * the first touch) while the reader replays the chunk before. It only
 * computes: the reader still checks everything in order, and takes a CRC
 * from it only for a chunk whose header it saw byte for byte at the same
 * offset; for anything else (after damage, while salvaging) it computes its
 * own. So results never depend on it. The reader never waits for it either:
 * a CRC not ready when wanted is computed in place, and the helper skips
 * what the reader has passed, so a helper short of CPU costs next to nothing.
 */
#define AHEAD_SLOTS 8	/* chunks computed and not yet taken: 2 MiB of EVENTS */

#ifdef DMT_FUZZING
size_t dmt_crc_ahead_min = SIZE_MAX;	/* no checksums to compute */
#else
size_t dmt_crc_ahead_min = 4 * EVENTS_CHUNK_BYTES;
#endif
uint64_t dmt_crc_ahead_hits;

struct ahead_slot {
	size_t off;
	struct dmt_chunk_header h;	/* as the helper read it */
	uint32_t crc;
};

struct ahead {
	pthread_t thread;
	pthread_mutex_t lock;	/* guards slot[] and the fields after it */
	pthread_cond_t cond;
	const unsigned char *data;
	size_t len, start;
	struct ahead_slot slot[AHEAD_SLOTS];
	uint64_t produced, taken;	/* slots filled, slots let go */
	size_t reader_off;	/* the chunk the reader is at */
	uint64_t hits;		/* CRCs the reader took (for the unit test) */
	bool waiting;		/* the helper waits for free slots */
	bool stop;
};

static void *ahead_main(void *arg)
{
	struct ahead *a = arg;
	size_t off = a->start;
	struct dmt_chunk_header h;

	/* Only chunks that fit the file: the reader judges the rest. */
	while (a->len - off >= sizeof(h)) {
		bool passed, stop;
		uint32_t c;

		memcpy(&h, a->data + off, sizeof(h));
		if (h.magic != DMT_CHUNK_MAGIC || h.size > DMT_MAX_CHUNK ||
		    a->len - off - sizeof(h) < h.size)
			break;
		pthread_mutex_lock(&a->lock);
		while (a->produced - a->taken == AHEAD_SLOTS && !a->stop) {
			a->waiting = true;
			pthread_cond_wait(&a->cond, &a->lock);
			a->waiting = false;
		}
		stop = a->stop;
		passed = a->reader_off >= off;
		pthread_mutex_unlock(&a->lock);
		if (stop)
			break;
		if (passed) {	/* the reader got here first */
			off += sizeof(h) + h.size;
			continue;
		}
		c = chunk_crc(&h, a->data + off + sizeof(h));
		pthread_mutex_lock(&a->lock);
		a->slot[a->produced % AHEAD_SLOTS] = (struct ahead_slot){ off, h, c };
		a->produced++;
		pthread_mutex_unlock(&a->lock);
		off += sizeof(h) + h.size;
	}
	return NULL;
}

/* Worth a thread: a file of some size, and a second CPU to run it on. */
static struct ahead *ahead_start(const unsigned char *data, size_t len, size_t start)
{
	struct ahead *a;
	cpu_set_t cpus;

	if (len < dmt_crc_ahead_min || start >= len ||
	    sched_getaffinity(0, sizeof(cpus), &cpus) || CPU_COUNT(&cpus) < 2)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->data = data;
	a->len = len;
	a->start = start;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if (pthread_create(&a->thread, NULL, ahead_main, a)) {
		pthread_cond_destroy(&a->cond);
		pthread_mutex_destroy(&a->lock);
		free(a);
		return NULL;	/* the reader computes them all itself */
	}
	return a;
}

/* Ends the helper; returns how many CRCs the reader took from it. */
static uint64_t ahead_stop(struct ahead *a)
{
	uint64_t hits;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	hits = a->hits;
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
	return hits;
}

/*
 * The checksum of the chunk at off with header *h: the helper's, if it has
 * it ready for this very header, else our own. Offsets asked for only grow,
 * so the helper's slots before off are let go on the way.
 */
static uint32_t chunk_crc_at(struct ahead *a, size_t off, const struct dmt_chunk_header *h,
			     const unsigned char *payload)
{
	bool hit = false;
	uint32_t c = 0;

	if (!a)
		return chunk_crc(h, payload);
	pthread_mutex_lock(&a->lock);
	a->reader_off = off;
	while (a->taken < a->produced) {
		const struct ahead_slot *s = &a->slot[a->taken % AHEAD_SLOTS];

		if (s->off > off)
			break;	/* not a chunk it saw */
		a->taken++;
		if (s->off == off) {
			hit = !memcmp(&s->h, h, sizeof(*h));
			c = s->crc;
			break;
		}
	}
	a->hits += hit;
	/* A wakeup costs a system call: only once half the slots are free. */
	if (a->waiting && a->produced - a->taken <= AHEAD_SLOTS / 2)
		pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return hit ? c : chunk_crc(h, payload);
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
	struct ahead *ahead;	/* checksums computed ahead, or NULL */
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
	if (CRC_BAD(chunk_crc_at(r->ahead, off, ch, r->data + off + sizeof(*ch)), ch->crc32)) {
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
	r.ahead = scan && !salvage ? NULL : ahead_start(data, len, off);
	rc = read_chunks(&r, off, skipped);
	dmt_crc_ahead_hits = ahead_stop(r.ahead);
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

int dmt_resolve_pgmap(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta)
{
	const char *line;

	for (line = ctx; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long p, start, end, owner, nr;
		unsigned int type;

		/* The first line for an address: the one written when it was first seen. */
		if (sscanf(line, "%llx %llx %llx %u %llx %llu", &p, &start, &end, &type, &owner,
			   &nr) == 6 && p == pgmap) {
			meta->start = start;
			meta->end = end;
			meta->type = type;
			meta->owner = owner;
			meta->nr_pages = nr;
			return 0;
		}
	}
	return -1;
}

const char *devmem_stack_lookup(const char *stacks, int32_t id, char *buf, size_t len)
{
	const char *line;

	buf[0] = 0;
	for (line = stacks; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char *end;
		long v = strtol(line, &end, 10);

		if (end != line && v == id && *end == ' ') {
			size_t n = strcspn(end + 1, "\n");

			if (n >= len)
				n = len - 1;
			memcpy(buf, end + 1, n);
			buf[n] = 0;
			break;
		}
	}
	return buf;
}
