// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file's writer: whole chunks, each with one writev(), and a
 * write that fails half-way cut back to the last whole chunk.
 */
#define _GNU_SOURCE	/* memrchr */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "tracefile.h"
#include "trace_internal.h"

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
