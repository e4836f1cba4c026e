// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The trace file's reader under ASan and UBSan, on files written for it:
 * salvage of a chunk of bad records, a damaged chunk and a missing one;
 * pgmap descriptions in every prefix of a recording; text over the chunk
 * limit. One PASS/FAIL line per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "late_start.h"
#include "state.h"
#include "tracefile.h"
#define CHECK_GROUP "tracefile"
#include "check.h"
#include "trace_util.h"

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

int main(void)
{
	salvage_cases();
	pgmaps_in_band();
	return failures ? 1 : 0;
}
