// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file's writer under ASan and UBSan: write errors (EFBIG from a
 * file size limit, ENOSPC from /dev/full) cut the file back to its last
 * whole chunk and stick; outputs other than a new or a plain regular file
 * are refused and left untouched. One PASS/FAIL line per check.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tracefile.h"
#define CHECK_GROUP "tracefile"
#include "check.h"
#include "trace_util.h"

static off_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : sb.st_size;
}

/*
 * A file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) cuts a write in the
 * middle of the third EVENTS chunk: the writer must cut the file back to
 * the end of the second, say why, and refuse everything after.
 */
static void write_error_efbig(void)
{
	char path[] = "/tmp/devmem-efbig-XXXXXX", err[256], why[512];
	const size_t chunk = sizeof(struct dmt_chunk_header) + 10 * sizeof(struct devmem_rec_page);
	struct devmem_rec_page rec = page_rec(1, 0xa000, DEVMEM_PGMAP_PRIVATE);
	uint64_t second_end = 0, limit;
	struct rlimit old, lim;
	struct dmt_writer w;
	struct dmt_info info;
	int fd = mkstemp(path), rc[3], k, i, after, closed;

	close(fd);
	signal(SIGXFSZ, SIG_IGN);
	if (dmt_writer_open(&w, path, err, sizeof(err))) {
		CHECK("writer opens for the EFBIG test", 0);
		return;
	}
	dmt_write_chunk(&w, DMT_CHUNK_META, "kernel=6.12\n", 12);
	limit = w.offset + 2 * chunk + chunk / 2;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = limit;
	setrlimit(RLIMIT_FSIZE, &lim);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 10; i++) {
			rec.pfn = k * 10 + i;
			dmt_write_record(&w, &rec, sizeof(rec));
		}
		rc[k] = dmt_flush(&w);
		if (k == 1)
			second_end = w.offset;
	}
	after = dmt_write_chunk(&w, DMT_CHUNK_END, "records=30\n", 11);
	dmt_write_record(&w, &rec, sizeof(rec));	/* lost too */
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK("EFBIG: the first two chunks are written, the third fails with EFBIG",
	      rc[0] == 0 && rc[1] == 0 && rc[2] == -EFBIG);
	CHECK("EFBIG: the failed chunk was partly written, then cut back",
	      w.error_partial == limit - second_end && w.error_chunk == 3 && !w.truncate_error);
	CHECK("EFBIG: the file ends at the end of the last whole chunk",
	      (uint64_t)file_size(path) == second_end && w.offset == second_end);
	CHECK("EFBIG: the error is sticky: nothing is written after it",
	      after == -EFBIG && w.seq == 3);
	CHECK("EFBIG: 20 records kept, 11 lost (the failed chunk's 10 and one after)",
	      w.records_written == 20 && w.records_lost == 11);
	dmt_writer_strerror(&w, why, sizeof(why));
	printf("     (%s)\n", why);
	CHECK("EFBIG: the message says why, what was kept and what was lost",
	      strstr(why, "File too large") && strstr(why, "20 records") &&
	      strstr(why, "11 records lost") && strstr(why, "chunk 3"));
	closed = dmt_writer_close(&w);
	CHECK("EFBIG: close returns the write error", closed == -EFBIG);
	rc[0] = dmt_read(path, NULL, NULL, &info, err, sizeof(err));
	CHECK("EFBIG: the file left reads completely: OK, 3 chunks, 20 records",
	      rc[0] == DMT_READ_OK && info.chunks == 3 && info.records == 20);
	dmt_info_free(&info);
	unlink(path);
}

/* ENOSPC from /dev/full behind the writer's fd: nothing partial, sticky. */
static void write_error_enospc(void)
{
	char path[] = "/tmp/devmem-enospc-XXXXXX", err[256], why[512];
	struct devmem_rec_page rec = page_rec(1, 0xa000, DEVMEM_PGMAP_PRIVATE);
	int fd = mkstemp(path), full = open("/dev/full", O_WRONLY), e1, e2;
	struct dmt_writer w;
	struct dmt_info info;

	close(fd);
	if (full < 0 || dmt_writer_open(&w, path, err, sizeof(err))) {
		CHECK("writer opens for the ENOSPC test", 0);
		return;
	}
	dmt_write_chunk(&w, DMT_CHUNK_META, "kernel=6.12\n", 12);
	dmt_write_record(&w, &rec, sizeof(rec));
	dmt_flush(&w);
	fd = w.fd;
	w.fd = full;	/* the disk is full from here on */
	dmt_write_record(&w, &rec, sizeof(rec));
	dmt_write_record(&w, &rec, sizeof(rec));
	e1 = dmt_flush(&w);
	e2 = dmt_write_chunk(&w, DMT_CHUNK_END, "x=1\n", 4);
	dmt_writer_strerror(&w, why, sizeof(why));
	CHECK("ENOSPC: the flush and every later write return it",
	      e1 == -ENOSPC && e2 == -ENOSPC && w.records_written == 1 && w.records_lost == 2);
	CHECK("ENOSPC: the message names the error",
	      strstr(why, "No space left on device") && strstr(why, "2 records lost"));
	dmt_writer_close(&w);
	close(fd);
	e1 = dmt_read(path, NULL, NULL, &info, err, sizeof(err));
	CHECK("ENOSPC: the file reads completely up to its last whole chunk",
	      e1 == DMT_READ_OK && info.records == 1 && info.chunks == 2);
	dmt_info_free(&info);
	unlink(path);
}

/* Anything but a new or a plain regular file is refused and left untouched. */
static void output_refusals(void)
{
	char dir[] = "/tmp/devmem-out-XXXXXX", p[256], q[256], err[256], buf[16];
	struct stat before, after;
	struct dmt_writer w;
	mode_t um;
	int rc, fd;

	if (!mkdtemp(dir)) {
		CHECK("made a temporary directory", 0);
		return;
	}
	stat("/dev/null", &before);
	rc = dmt_writer_open(&w, "/dev/null", err, sizeof(err));
	stat("/dev/null", &after);
	CHECK("/dev/null is refused as a device, its mode and owner unchanged",
	      rc == DMT_OPEN_REFUSED && strstr(err, "is a device") &&
	      before.st_mode == after.st_mode && before.st_uid == after.st_uid);
	CHECK("dmt_check_output refuses /dev/null too",
	      dmt_check_output("/dev/null", err, sizeof(err)) == DMT_OPEN_REFUSED);

	/* A symlink to a file of someone else's: neither followed nor touched. */
	snprintf(p, sizeof(p), "%s/target", dir);
	snprintf(q, sizeof(q), "%s/link", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	rc = write(fd, "keep", 4);
	close(fd);
	chmod(p, 0644);
	rc = symlink(p, q);
	rc = dmt_writer_open(&w, q, err, sizeof(err));
	stat(p, &after);
	CHECK("a symlink is refused, its target keeps its bytes and mode 0644",
	      rc == DMT_OPEN_REFUSED && strstr(err, "symbolic link") && after.st_size == 4 &&
	      (after.st_mode & 0777) == 0644);
	unlink(q);

	/* A hard link: truncating it would truncate the other name. */
	rc = link(p, q);
	rc = dmt_writer_open(&w, q, err, sizeof(err));
	stat(p, &after);
	CHECK("a file with another hard link is refused and untouched",
	      rc == DMT_OPEN_REFUSED && strstr(err, "hard links") && after.st_size == 4 &&
	      (after.st_mode & 0777) == 0644);
	unlink(q);

	snprintf(q, sizeof(q), "%s/fifo", dir);
	mkfifo(q, 0644);
	rc = dmt_writer_open(&w, q, err, sizeof(err));	/* must not block either */
	CHECK("a FIFO is refused without blocking", rc == DMT_OPEN_REFUSED && strstr(err, "FIFO"));
	unlink(q);
	CHECK("a directory is refused",
	      dmt_writer_open(&w, dir, err, sizeof(err)) == DMT_OPEN_REFUSED);
	snprintf(q, sizeof(q), "%s/no/such/dir/t.dmt", dir);
	CHECK("a missing directory is an error (not a refusal) that names the path",
	      dmt_writer_open(&w, q, err, sizeof(err)) == DMT_OPEN_ERROR && strstr(err, q));

	/* A regular file of its own is ours: emptied and made 0600. */
	rc = dmt_writer_open(&w, p, err, sizeof(err));
	dmt_writer_close(&w);
	stat(p, &after);
	CHECK("an existing regular file is truncated and made 0600",
	      rc == 0 && after.st_size == sizeof(struct dmt_file_header) &&
	      (after.st_mode & 0777) == 0600);
	unlink(p);

	/* A new file is 0600 whatever the umask. */
	um = umask(0277);
	rc = dmt_writer_open(&w, p, err, sizeof(err));
	umask(um);
	dmt_writer_close(&w);
	stat(p, &after);
	snprintf(buf, sizeof(buf), "%o", after.st_mode & 0777);
	printf("     (new file under umask 0277: mode %s)\n", buf);
	CHECK("a new file is 0600 even under umask 0277", rc == 0 && (after.st_mode & 0777) == 0600);
	unlink(p);
	rmdir(dir);
}

int main(void)
{
	write_error_efbig();
	write_error_enospc();
	output_refusals();
	return failures ? 1 : 0;
}
