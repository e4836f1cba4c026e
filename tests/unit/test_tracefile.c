// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file under ASan and UBSan: a clean round trip, then the file
 * cut at every length and with every single byte flipped. Nothing may
 * crash, a damaged file may never read as clean, and a cut file yields
 * exactly the records of its complete chunks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "crc32.h"
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

/* The folded CRC-32 against zlib's: every length to 4 KiB, every alignment. */
static int crc32_matches_zlib(void)
{
	static unsigned char buf[4096 + 64];
	size_t len, off, i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	for (len = 0; len <= 4096; len++)
		for (off = 0; off < 16; off += 5)
			if (dmt_crc32((uint32_t)(len * 7), buf + off, len) !=
			    (uint32_t)crc32_z(len * 7, buf + off, len))
				return 0;
	return 1;
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
	CHECK("CRC-32 (PCLMULQDQ folding) equals zlib's for every length and alignment",
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
	rc = dmt_read("/nonexistent/trace", NULL, NULL, &info, err, sizeof(err));
	CHECK("a missing file is an I/O error that names it", rc == DMT_READ_IO && strstr(err, "/nonexistent/trace"));
	free(data);
	if (getenv("SEED_OUT"))	/* a valid file to start the fuzzer from */
		rename(path, getenv("SEED_OUT"));
	unlink(path);
	return failures ? 1 : 0;
}
