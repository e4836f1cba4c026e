// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file under ASan and UBSan: a clean round trip, then the file
 * cut at every length and with every single byte flipped. Nothing may
 * crash, a damaged file may never read as clean, and a cut file yields
 * exactly the records of its complete chunks; salvage skips exactly the
 * damaged chunk. Then the CRCs: against zlib's, and computed ahead by a
 * second thread. With SEED_OUT set, the file and a damaged copy are kept
 * for the fuzzer and devmemreport's checks (tests/unit.sh).
 */
#define _GNU_SOURCE	/* CPU_COUNT */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "crc32.h"
#include "late_start.h"
#include "state.h"
#include "tracefile.h"
#define CHECK_GROUP "tracefile"
#include "check.h"
#include "trace_util.h"

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
	dmt_crc32_limit(-1);
	return ok;
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
