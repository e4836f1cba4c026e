// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file under ASan and UBSan: a clean round trip, then the file
 * cut at every length and with every single byte flipped. Nothing may
 * crash, a damaged file may never read as clean, and a cut file yields
 * exactly the records of its complete chunks. Then write errors (EFBIG,
 * ENOSPC), refused outputs, salvage, in-band pgmap descriptions and the
 * CRCs computed ahead by a second thread.
 */
#define _GNU_SOURCE	/* CPU_COUNT */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "crc32.h"
#include "late_start.h"
#include "state.h"
#include "tracefile.h"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS tracefile: %s\n", name); \
	else { printf("FAIL tracefile: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

static int read_file(const char *path, unsigned char **data, size_t *len)
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

/*
 * The folded CRC-32 against zlib's: every length to 4 KiB, every alignment,
 * each fold this CPU has (VPCLMULQDQ, PCLMULQDQ, none).
 */
static int crc32_matches_zlib(void)
{
	static unsigned char buf[4096 + 64];
	size_t len, off, i;
	int level, ok = 1;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	for (level = 2; level >= 0; level--) {
		dmt_crc32_limit(level);
		for (len = 0; len <= 4096; len++)
			for (off = 0; off < 16; off += 5)
				if (dmt_crc32((uint32_t)(len * 7), buf + off, len) !=
				    (uint32_t)crc32_z(len * 7, buf + off, len))
					ok = 0;
	}
	dmt_crc32_limit(2);
	return ok;
}

static struct devmem_rec_page page_rec(uint64_t pfn, uint64_t pgmap, uint32_t type)
{
	struct devmem_rec_page r = { .hdr = { .type = DEVMEM_REC_PAGE_INIT, .size = sizeof(r),
					      .pid = 42, .comm = "wl" }, .pfn = pfn,
				     .pgmap = pgmap, .type = type, .nr_pages = 1, .stack_id = -1 };

	return r;
}

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

/*
 * Salvage: every single-byte flip of the round-trip file damages exactly
 * one chunk (or the file header); salvage skips exactly that chunk's bytes
 * and returns exactly the records of the others.
 */
static void salvage_flips(unsigned char *data, size_t len, const size_t *chunk_end,
			  const uint64_t *records_before, size_t nchunks)
{
	size_t i, k, bad = 0, bad_strict = 0;
	uint64_t total = records_before[nchunks - 1];
	struct dmt_info info;
	char err[256];
	int rc;

	for (i = 0; i < len; i++) {
		size_t start = sizeof(struct dmt_file_header), end = start;
		uint64_t want = total, before = 0;
		bool ok;

		for (k = 0; k < nchunks; k++) {
			end = chunk_end[k];
			if (i < end) {
				want = total - (records_before[k] - before);
				break;
			}
			before = records_before[k];
			start = end;
		}
		if (i < sizeof(struct dmt_file_header)) {
			start = 0;
			end = sizeof(struct dmt_file_header);
		}
		data[i] ^= 0x5a;
		rc = dmt_read_buffer_flags(data, len, NULL, NULL, &info, DMT_READ_SALVAGE, err,
					   sizeof(err));
		if (i < 8)	/* the magic: not a trace at all */
			ok = rc == DMT_READ_CORRUPT;
		else if (k == nchunks - 1 && rc == DMT_READ_TRUNCATED)
			/* the last chunk's size made too big looks exactly like a cut */
			ok = info.records == want;
		else
			ok = rc == DMT_READ_SALVAGED && info.records == want && info.nr_skips == 1 &&
			     info.skips[0].start == start && info.skips[0].end == end &&
			     strstr(info.skips[0].why, "offset ");
		if (!ok) {
			if (bad < 3)
				printf("     flip at %zu: rc %d, %llu records (want %llu), %zu skips\n", i,
				       rc, (unsigned long long)info.records, (unsigned long long)want,
				       info.nr_skips);
			bad++;
		}
		dmt_info_free(&info);
		/* Without --salvage, nothing changes: refused. */
		rc = dmt_read_buffer(data, len, NULL, NULL, &info, err, sizeof(err));
		bad_strict += rc == DMT_READ_OK || rc == DMT_READ_SALVAGED;
		dmt_info_free(&info);
		data[i] ^= 0x5a;
	}
	CHECK("salvage: every flipped byte skips exactly its chunk, the rest reads whole", bad == 0);
	CHECK("without salvage every flip is still refused", bad_strict == 0);
	/* Cuts: salvage reads exactly what the strict reader reads. */
	for (i = bad = 0; i < len; i++) {
		struct dmt_info strict;
		int a = dmt_read_buffer(data, i, NULL, NULL, &strict, err, sizeof(err));

		rc = dmt_read_buffer_flags(data, i, NULL, NULL, &info, DMT_READ_SALVAGE, err,
					   sizeof(err));
		bad += a != rc || strict.records != info.records;
		dmt_info_free(&info);
		dmt_info_free(&strict);
	}
	CHECK("salvage of a cut file is the strict reading: truncated, same records", bad == 0);
}

/* A middle chunk damaged, a chunk gone, a chunk of bad records. */
static void salvage_cases(void)
{
	char path[] = "/tmp/devmem-salv-XXXXXX", err[256];
	struct devmem_rec_page rec = page_rec(1, 0xa000, DEVMEM_PGMAP_PRIVATE);
	unsigned char bad_rec[sizeof(struct devmem_rec_hdr) + 8] = { 0 };
	size_t ends[8], n = 0, len, i;
	struct devmem_state st = { 0 };
	struct devmem_rec_hdr h = { .type = DEVMEM_REC_PAGE_INIT, .size = 3 };
	unsigned char *data, *cut;
	struct dmt_writer w;
	struct dmt_info info;
	int fd = mkstemp(path), rc;

	close(fd);
	memcpy(bad_rec, &h, sizeof(h));
	dmt_writer_open(&w, path, err, sizeof(err));
	dmt_write_chunk(&w, DMT_CHUNK_META, "kernel=6.12\n", 12);
	ends[n++] = w.offset;
	for (i = 0; i < 5; i++) {	/* chunks of 1, 2, 3, 4, 5 records */
		size_t j;

		for (j = 0; j <= i; j++) {
			rec.pfn = 100 * i + j;
			dmt_write_record(&w, &rec, sizeof(rec));
		}
		dmt_flush(&w);
		ends[n++] = w.offset;
	}
	dmt_write_chunk(&w, DMT_CHUNK_EVENTS, bad_rec, sizeof(bad_rec));	/* checksum fine */
	ends[n++] = w.offset;
	dmt_write_chunk(&w, DMT_CHUNK_END, "records=15\n", 11);
	ends[n++] = w.offset;
	dmt_writer_close(&w);
	read_file(path, &data, &len);

	rc = dmt_read_buffer(data, len, NULL, NULL, &info, err, sizeof(err));
	CHECK("a chunk of bad records: the strict reader refuses the file",
	      rc == DMT_READ_CORRUPT && strstr(err, "record size 3"));
	dmt_info_free(&info);
	rc = dmt_read_buffer_flags(data, len, &devmem_state_ops, &st, &info, DMT_READ_SALVAGE,
				   err, sizeof(err));
	CHECK("salvage skips the chunk of bad records whole: 15 records, the chunk's bytes",
	      rc == DMT_READ_SALVAGED && info.records == 15 && st.nr_pgmaps == 1 &&
	      st.pgmaps[0].inits == 15 && info.nr_skips == 1 && info.skips[0].start == ends[5] &&
	      info.skips[0].end == ends[6] && info.end != NULL);
	dmt_info_free(&info);
	devmem_state_free(&st);

	/* The middle EVENTS chunk (3 records), one byte of its payload damaged. */
	data[ends[2] + sizeof(struct dmt_chunk_header) + 40] ^= 1;
	rc = dmt_read_buffer_flags(data, len, &devmem_state_ops, &st, &info, DMT_READ_SALVAGE,
				   err, sizeof(err));
	printf("     (%s; first skip: %s)\n", err, info.nr_skips ? info.skips[0].why : "");
	CHECK("salvage of a damaged middle chunk: exactly the other chunks' 12 records, both skips named",
	      rc == DMT_READ_SALVAGED && info.records == 12 && st.pgmaps[0].inits == 12 &&
	      info.nr_skips == 2 && info.skips[0].start == ends[2] && info.skips[0].end == ends[3] &&
	      strstr(info.skips[0].why, "checksum mismatch"));
	dmt_info_free(&info);
	devmem_state_free(&st);
	data[ends[2] + sizeof(struct dmt_chunk_header) + 40] ^= 1;

	/* A chunk gone: 4 records' chunk cut out, its neighbours whole. */
	cut = malloc(len);
	memcpy(cut, data, ends[3]);
	memcpy(cut + ends[3], data + ends[4], len - ends[4]);
	rc = dmt_read_buffer(cut, len - (ends[4] - ends[3]), NULL, NULL, &info, err, sizeof(err));
	CHECK("a missing chunk: the strict reader refuses the file", rc == DMT_READ_CORRUPT);
	dmt_info_free(&info);
	rc = dmt_read_buffer_flags(cut, len - (ends[4] - ends[3]), NULL, NULL, &info,
				   DMT_READ_SALVAGE, err, sizeof(err));
	CHECK("salvage names the missing chunk and reads the rest (11 records)",
	      rc == DMT_READ_SALVAGED && info.records == 11 && info.nr_skips == 2 &&
	      strstr(info.skips[0].why, "chunks 4 to 4 are missing") &&
	      info.skips[0].start == info.skips[0].end);
	dmt_info_free(&info);
	free(cut);
	free(data);
	unlink(path);
}

/*
 * In-band pgmap descriptions: every prefix of a recording that ends at a
 * chunk boundary names the pgmaps of its records (range and type), with no
 * END and no PGMAP_ADDRS chunk; a pgmap that existed before (debugfs, by
 * start) and its address are one row.
 */
static void pgmaps_in_band(void)
{
	static const char debugfs[] = "# pgmap type start end owner nr_pages live_pages\n"
		"00000000deadbeef private 0x100000000 0x10fffffff 0000000000000000 65536 0\n";
	char path[] = "/tmp/devmem-desc-XXXXXX", err[256];
	struct devmem_rec_page rec;
	size_t ends[8], n = 0, k, bad = 0, len;
	struct dmt_writer w;
	struct dmt_info info;
	unsigned char *data;
	char *big;
	int fd = mkstemp(path);

	close(fd);
	dmt_writer_open(&w, path, err, sizeof(err));
	dmt_write_chunk(&w, DMT_CHUNK_META, "kernel=6.12\n", 12);
	dmt_write_text(&w, DMT_CHUNK_PGMAPS, debugfs, strlen(debugfs));
	ends[n++] = w.offset;
	/* as devmemrec does: describe, then queue the first record naming it */
	dmt_write_desc(&w, "0xa000 0x100000000 0x10fffffff 1 0x0 65536\n", 43);
	rec = page_rec(1, 0xa000, DEVMEM_PGMAP_PRIVATE);
	dmt_write_record(&w, &rec, sizeof(rec));
	rec.pfn = 2;
	dmt_write_record(&w, &rec, sizeof(rec));
	dmt_flush(&w);
	ends[n++] = w.offset;
	dmt_write_desc(&w, "0xb000 0x200000000 0x20fffffff 2 0x0 65536\n", 43);
	rec = page_rec(3, 0xb000, DEVMEM_PGMAP_COHERENT);
	rec.hdr.type = DEVMEM_REC_FOLIO_FREE;	/* no type in a put: the description names it */
	rec.type = 0;
	dmt_write_record(&w, &rec, sizeof(rec));
	dmt_flush(&w);
	ends[n++] = w.offset;
	dmt_writer_close(&w);
	read_file(path, &data, &len);
	for (k = 0; k < n; k++) {
		struct devmem_state st = { 0 };
		size_t want = k < 2 ? 1 : 2, i;
		struct dmt_info scan;

		dmt_read_buffer(data, ends[k], NULL, NULL, &scan, err, sizeof(err));
		devmem_state_seed_text(&st, scan.pgmaps);
		st.resolve = dmt_resolve_pgmap;
		st.resolve_ctx = scan.pgmap_addrs;
		dmt_read_buffer(data, ends[k], &devmem_state_ops, &st, &info, err, sizeof(err));
		if (st.nr_pgmaps != want)
			bad++;
		for (i = 0; i < st.nr_pgmaps; i++)
			if (!st.pgmaps[i].start || !st.pgmaps[i].type)
				bad++;
		if (k == 1 && st.pgmaps[0].pgmap != 0xa000)	/* the debugfs row, adopted */
			bad++;
		if (k == 2 && (st.pgmaps[1].type != DEVMEM_PGMAP_COHERENT ||
			       st.pgmaps[1].start != 0x200000000ull))
			bad++;
		dmt_info_free(&scan);
		dmt_info_free(&info);
		devmem_state_free(&st);
	}
	CHECK("every chunk-boundary prefix without END names its pgmaps (range and type, one row each)",
	      bad == 0);
	free(data);

	/* Text over the chunk limit is split at line ends and joined again, whole. */
	len = DMT_MAX_CHUNK + DMT_MAX_CHUNK / 2;
	big = malloc(len + 1);
	for (k = 0; k < len; k++)
		big[k] = k % 64 == 63 ? '\n' : 'a' + k % 26;
	big[len] = 0;
	dmt_writer_open(&w, path, err, sizeof(err));
	dmt_write_text(&w, DMT_CHUNK_PGMAPS, big, len);
	dmt_writer_close(&w);
	k = dmt_read(path, NULL, NULL, &info, err, sizeof(err));
	CHECK("a 24 MiB pgmap snapshot goes in two chunks and reads back whole",
	      k == DMT_READ_OK && info.chunks == 2 && info.pgmaps && !strcmp(info.pgmaps, big));
	dmt_info_free(&info);
	free(big);
	unlink(path);
}

/* Page records that sleep now and then, so the CRC helper gets ahead. */
static uint64_t slow_records;

static void slow_page_init(void *ctx, const struct devmem_rec_page *r)
{
	(void)ctx;
	(void)r;
	if (slow_records++ % 2000 == 0) {
		struct timespec ts = { 0, 5000000 };

		nanosleep(&ts, NULL);
	}
}

/* One read of data, with the CRC helper or without, as a comparable line. */
static void read_line(const unsigned char *data, size_t len, unsigned int flags, bool helper,
		      char *line, size_t n)
{
	struct devmem_state st = { 0 };
	struct dmt_info info;
	char err[256];
	int rc;

	dmt_crc_ahead_min = helper ? 0 : SIZE_MAX;
	rc = dmt_read_buffer_flags(data, len, &devmem_state_ops, &st, &info, flags, err,
				   sizeof(err));
	snprintf(line, n, "rc %d records %llu chunks %llu skipped %llu/%llu inits %llu err %s", rc,
		 (unsigned long long)info.records, (unsigned long long)info.chunks,
		 (unsigned long long)info.nr_skipped, (unsigned long long)info.skipped_bytes,
		 st.nr_pgmaps ? (unsigned long long)st.pgmaps[0].inits : 0ull, err);
	dmt_info_free(&info);
	devmem_state_free(&st);
}

/*
 * CRCs computed ahead by a second thread: a read with it is the read
 * without it, byte for byte, clean or damaged, strict or salvaging; and on
 * a machine with two CPUs the reader does take CRCs from it.
 */
static void crc_ahead(void)
{
	char path[] = "/tmp/devmem-ahead-XXXXXX", err[256], a[512], b[512];
	struct devmem_rec_page rec = { .hdr = { .type = DEVMEM_REC_PAGE_INIT, .size = sizeof(rec),
						.pid = 42, .comm = "wl" },
				       .pgmap = 0xa000, .type = DEVMEM_PGMAP_PRIVATE, .nr_pages = 1 };
	struct devmem_ops slow = { .page_init = slow_page_init };
	size_t chunk_end[32], nchunks = 0, len, i, k, bad = 0, cases = 0;
	size_t saved = dmt_crc_ahead_min;
	struct dmt_writer w;
	struct dmt_info info;
	unsigned char *data;
	cpu_set_t cpus;
	int fd = mkstemp(path), rc;

	close(fd);
	if (dmt_writer_open(&w, path, err, sizeof(err))) {
		CHECK("writer opens for the CRC helper test", 0);
		return;
	}
	/* 24 EVENTS chunks of 3000 records each, then END */
	for (k = 0; k < 24; k++) {
		for (i = 0; i < 3000; i++) {
			rec.pfn = k * 3000 + i;
			dmt_write_record(&w, &rec, sizeof(rec));
		}
		dmt_flush(&w);
		chunk_end[nchunks++] = w.offset;
	}
	dmt_write_chunk(&w, DMT_CHUNK_END, "events=72000\n", 13);
	dmt_writer_close(&w);
	if (read_file(path, &data, &len)) {
		CHECK("read the CRC helper test file back", 0);
		return;
	}
	/* Damage: none, a payload byte, a chunk's size, magic and CRC fields. */
	for (k = 0; k < 5; k++) {
		size_t at = k == 0 ? 0 : k == 1 ? chunk_end[4] + sizeof(struct dmt_chunk_header) + 999 :
			    k == 2 ? chunk_end[8] + offsetof(struct dmt_chunk_header, size) + 2 :
			    k == 3 ? chunk_end[12] : chunk_end[16] + offsetof(struct dmt_chunk_header, crc32);

		data[at] ^= k ? 0x5a : 0;
		for (i = 0; i < 2; i++) {
			unsigned int flags = i ? DMT_READ_SALVAGE : 0;

			read_line(data, len, flags, false, a, sizeof(a));
			read_line(data, len, flags, true, b, sizeof(b));
			if (strcmp(a, b)) {
				printf("     damage %zu flags %u: without %s\n       with %s\n", k, flags,
				       a, b);
				bad++;
			}
			cases++;
		}
		data[at] ^= k ? 0x5a : 0;
	}
	printf("info tracefile: %zu reads with the CRC helper, each equal to the read without; "
	       "e.g. %s\n", cases, b);
	CHECK("CRC helper: every read (clean, damaged; strict, salvage) equals the read without it",
	      bad == 0 && cases == 10);
	/* A slow reader: the helper's CRCs are ready when it gets to each chunk. */
	dmt_crc_ahead_min = 0;
	rc = dmt_read_buffer(data, len, &slow, NULL, &info, err, sizeof(err));
	printf("info tracefile: a slow reader took %llu of %zu chunk CRCs from the helper\n",
	       (unsigned long long)dmt_crc_ahead_hits, nchunks + 1);
	if (!sched_getaffinity(0, sizeof(cpus), &cpus) && CPU_COUNT(&cpus) >= 2)
		CHECK("CRC helper: a slow reader takes at least half of the CRCs from it",
		      rc == DMT_READ_OK && info.records == 72000 &&
		      dmt_crc_ahead_hits * 2 >= nchunks + 1);
	else
		CHECK("CRC helper: not started on one CPU", rc == DMT_READ_OK && !dmt_crc_ahead_hits);
	dmt_info_free(&info);
	dmt_crc_ahead_min = saved;
	free(data);
	unlink(path);
}

int main(void)
{
	char path[] = "/tmp/devmem-trace-XXXXXX", err[256];
	struct devmem_rec_page rec = { .hdr = { .type = DEVMEM_REC_PAGE_INIT, .size = sizeof(rec),
						.pid = 42, .comm = "wl" }, .pfn = 7,
				       .pgmap = 0xa000, .type = DEVMEM_PGMAP_PRIVATE, .nr_pages = 1 };
	size_t chunk_end[8], nchunks = 0, len, cut, i, bad_cuts = 0, bad_flips = 0;
	uint64_t records_before[8];
	struct devmem_state st = { 0 };
	struct dmt_writer w;
	struct dmt_info info;
	unsigned char *data;
	struct stat sb;
	char buf[64];
	int fd = mkstemp(path), rc;

	close(fd);
	chmod(path, 0644);	/* the writer must not keep a wider mode */
	CHECK("CRC-32 (VPCLMULQDQ, PCLMULQDQ and zlib paths) equals zlib's for every length and alignment",
	      crc32_matches_zlib());
	CHECK("writer opens", !dmt_writer_open(&w, path, err, sizeof(err)));
	dmt_write_chunk(&w, DMT_CHUNK_META, "kernel=6.12\nattach_mode=tracepoint\n", 35);
	chunk_end[nchunks] = w.offset; records_before[nchunks++] = 0;
	for (i = 0; i < 3; i++) {
		rec.pfn = 7 + i;
		dmt_write_record(&w, &rec, sizeof(rec));
	}
	dmt_flush(&w);
	chunk_end[nchunks] = w.offset; records_before[nchunks++] = 3;
	rec.hdr.type = DEVMEM_REC_FOLIO_FREE;
	dmt_write_record(&w, &rec, sizeof(rec));
	dmt_flush(&w);
	chunk_end[nchunks] = w.offset; records_before[nchunks++] = 4;
	dmt_write_chunk(&w, DMT_CHUNK_END, "events=4\ndrops=0\n", 17);
	chunk_end[nchunks] = w.offset; records_before[nchunks++] = 4;
	CHECK("writer closes", !dmt_writer_close(&w));
	stat(path, &sb);
	CHECK("trace files are created 0600", (sb.st_mode & 0777) == 0600);

	rc = dmt_read(path, &devmem_state_ops, &st, &info, err, sizeof(err));
	CHECK("a clean file reads clean", rc == DMT_READ_OK && info.records == 4 && info.chunks == 4);
	CHECK("records reach the callbacks", st.nr_pgmaps == 1 && devmem_pgmap_live(&st.pgmaps[0]) == 2);
	CHECK("META and END are kept", info.meta && info.end &&
	      !strcmp(dmt_meta_get(info.meta, "attach_mode", buf, sizeof(buf)), "tracepoint") &&
	      !strcmp(dmt_meta_get(info.end, "drops", buf, sizeof(buf)), "0"));
	dmt_info_free(&info);
	devmem_state_free(&st);

	if (read_file(path, &data, &len)) {
		CHECK("read the file back", 0);
		return 1;
	}
	/* Every cut: never OK unless at a chunk boundary, records of whole chunks only. */
	for (cut = 0; cut < len; cut++) {
		uint64_t want = 0;
		bool boundary = false;

		for (i = 0; i < nchunks; i++) {
			if (chunk_end[i] <= cut)
				want = records_before[i];
			boundary |= chunk_end[i] == cut;
		}
		boundary |= cut == sizeof(struct dmt_file_header);
		rc = dmt_read_buffer(data, cut, NULL, NULL, &info, err, sizeof(err));
		if ((boundary ? rc != DMT_READ_OK : rc == DMT_READ_OK) || info.records != want ||
		    (rc && !strstr(err, "offset ")))
			bad_cuts++;
		dmt_info_free(&info);
	}
	CHECK("every truncation is reported, with its offset, and keeps whole chunks", bad_cuts == 0);
	/* Every single-byte flip is caught. */
	for (i = 0; i < len; i++) {
		data[i] ^= 0x5a;
		rc = dmt_read_buffer(data, len, &devmem_state_ops, &st, &info, err, sizeof(err));
		if (rc == DMT_READ_OK || !strstr(err, "offset "))
			bad_flips++;
		dmt_info_free(&info);
		devmem_state_free(&st);
		data[i] ^= 0x5a;
	}
	CHECK("every flipped byte is caught and located", bad_flips == 0);
	salvage_flips(data, len, chunk_end, records_before, nchunks);
	rc = dmt_read("/nonexistent/trace", NULL, NULL, &info, err, sizeof(err));
	CHECK("a missing file is an I/O error that names it", rc == DMT_READ_IO && strstr(err, "/nonexistent/trace"));
	write_error_efbig();
	write_error_enospc();
	output_refusals();
	salvage_cases();
	pgmaps_in_band();
	crc_ahead();
	if (getenv("SEED_OUT")) {	/* a valid file to start the fuzzer from */
		char damaged[512];
		FILE *f;

		/* and one with a damaged middle chunk, for the salvage path */
		snprintf(damaged, sizeof(damaged), "%s-damaged", getenv("SEED_OUT"));
		data[chunk_end[1] + sizeof(struct dmt_chunk_header) + 3] ^= 0x5a;
		f = fopen(damaged, "wb");
		if (f) {
			fwrite(data, 1, len, f);
			fclose(f);
		}
		rename(path, getenv("SEED_OUT"));
	}
	free(data);
	unlink(path);
	return failures ? 1 : 0;
}
