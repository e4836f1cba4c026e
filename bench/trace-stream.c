// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "trace-stream.h"

#define STREAM_COMM "gpu-job"

_Static_assert(sizeof(struct devmem_rec_page) <= TRACE_STREAM_MAX &&
	       sizeof(struct devmem_rec_pgmap_ref) <= TRACE_STREAM_MAX &&
	       sizeof(struct devmem_rec_migrate) <= TRACE_STREAM_MAX &&
	       sizeof(struct devmem_rec_fault) <= TRACE_STREAM_MAX, "a record outgrew the stream");

/* Only page records carry a time: enough for rates, and the stream's shape since it began. */
static void header(struct devmem_rec_hdr *h, unsigned int type, size_t size, uint64_t i)
{
	h->type = type;
	h->size = size;
	h->pid = 100 + (i / 1000) % 8;
	memcpy(h->comm, STREAM_COMM, sizeof(STREAM_COMM));
}

size_t trace_stream_record(uint64_t i, void *buf)
{
	uint64_t pgmap = 0xffff888000100000ull + ((i / 8) % 4) * 0x1000, pfn = 0x100000 + (i / 8) % 65536;

	switch (i % 8) {
	case 0: case 1: {
		struct devmem_rec_page *pg = buf;

		memset(pg, 0, sizeof(*pg));
		header(&pg->hdr, i % 8 ? DEVMEM_REC_FOLIO_FREE : DEVMEM_REC_PAGE_INIT, sizeof(*pg), i);
		pg->hdr.ts_ns = i * 100;
		pg->pfn = pfn;
		pg->index = pfn - 0x100000;	/* ABI 4: the page's place in its pgmap */
		pg->pgmap = pgmap;
		pg->type = 1 + i % 2;
		pg->stack_id = -1;
		pg->nr_pages = 1;
		return sizeof(*pg);
	}
	case 2: case 3: case 4: {
		struct devmem_rec_pgmap_ref *ref = buf;

		memset(ref, 0, sizeof(*ref));
		header(&ref->hdr, DEVMEM_REC_PUT_PGMAP, sizeof(*ref), i);
		ref->pgmap = pgmap;
		ref->nr = 1;
		return sizeof(*ref);
	}
	case 5: case 6: {
		struct devmem_rec_migrate *mig = buf;

		memset(mig, 0, sizeof(*mig));
		header(&mig->hdr, DEVMEM_REC_MIGRATE, sizeof(*mig), i);
		mig->pgmap = pgmap;
		mig->stage = DEVMEM_MIGRATE_FINALIZE;
		mig->npages = 64;
		mig->nr_to_device = i % 2 ? 64 : 0;
		mig->nr_to_system = i % 2 ? 0 : 64;
		return sizeof(*mig);
	}
	default: {
		struct devmem_rec_fault *flt = buf;

		memset(flt, 0, sizeof(*flt));
		header(&flt->hdr, DEVMEM_REC_FAULT, sizeof(*flt), i);
		flt->pgmap = pgmap;
		flt->pfn = pfn;
		flt->index = pfn - 0x100000;
		return sizeof(*flt);
	}
	}
}
