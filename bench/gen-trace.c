// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gen-trace FILE N: a synthetic trace of N records shaped like a migrate-
 * heavy run (page inits and frees, puts, migration batches, faults) over
 * four pgmaps and a few processes, for timing devmemreport.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tracefile.h"

int main(int argc, char **argv)
{
	struct devmem_rec_page pg = { .hdr = { .size = sizeof(pg), .comm = "gpu-job" }, .nr_pages = 1 };
	struct devmem_rec_pgmap_ref ref = { .hdr = { .type = DEVMEM_REC_PUT_PGMAP, .size = sizeof(ref),
						     .comm = "gpu-job" }, .nr = 1 };
	struct devmem_rec_migrate mig = { .hdr = { .type = DEVMEM_REC_MIGRATE, .size = sizeof(mig),
						   .comm = "gpu-job" },
					  .stage = DEVMEM_MIGRATE_FINALIZE, .npages = 64 };
	struct devmem_rec_fault flt = { .hdr = { .type = DEVMEM_REC_FAULT, .size = sizeof(flt),
						 .comm = "gpu-job" } };
	const char *end = "dropped=0\nrecords=0\n", *meta = "kernel=synthetic\nattach_mode=tracepoint\n";
	unsigned long long n, i;
	struct dmt_writer w;
	char err[256];

	if (argc != 3 || !(n = strtoull(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: gen-trace FILE NRECORDS\n");
		return 2;
	}
	if (dmt_writer_open(&w, argv[1], err, sizeof(err))) {
		fprintf(stderr, "gen-trace: %s\n", err);
		return 1;
	}
	dmt_write_chunk(&w, DMT_CHUNK_META, meta, strlen(meta));
	for (i = 0; i < n; i++) {
		uint64_t pgmap = 0xffff888000100000ull + ((i / 8) % 4) * 0x1000, pfn = 0x100000 + (i / 8) % 65536;
		unsigned int pid = 100 + (i / 1000) % 8;

		switch (i % 8) {
		case 0: case 1:
			pg.hdr.type = i % 8 ? DEVMEM_REC_FOLIO_FREE : DEVMEM_REC_PAGE_INIT;
			pg.hdr.pid = pid;
			pg.hdr.ts_ns = i * 100;
			pg.pfn = pfn;
			pg.pgmap = pgmap;
			pg.type = 1 + i % 2;
			pg.stack_id = -1;
			dmt_write_record(&w, &pg, sizeof(pg));
			break;
		case 2: case 3: case 4:
			ref.hdr.pid = pid;
			ref.pgmap = pgmap;
			dmt_write_record(&w, &ref, sizeof(ref));
			break;
		case 5: case 6:
			mig.hdr.pid = pid;
			mig.pgmap = pgmap;
			mig.nr_to_device = i % 2 ? 64 : 0;
			mig.nr_to_system = i % 2 ? 0 : 64;
			dmt_write_record(&w, &mig, sizeof(mig));
			break;
		default:
			flt.hdr.pid = pid;
			flt.pgmap = pgmap;
			flt.pfn = pfn;
			dmt_write_record(&w, &flt, sizeof(flt));
		}
	}
	dmt_write_chunk(&w, DMT_CHUNK_END, end, strlen(end));
	return dmt_writer_close(&w) ? 1 : 0;
}
