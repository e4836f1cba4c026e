// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * events-trace FILE: a small trace with one record of every type and a
 * few more, some out of time order, one in its ABI 1 size, a pgmap named
 * in PGMAP_NAMES and two stacks, for devmemreport --events's exact lines
 * (tests/unit.sh, tests/unit/events-expected.txt).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "tracefile.h"

#define PGMAP 0xffff888000100000ull
#define S(sec, usec) ((sec) * 1000000000ull + (usec) * 1000ull)

static struct dmt_writer w;

static struct devmem_rec_hdr hdr(unsigned int type, size_t size, uint64_t ts, uint32_t cpu,
				 uint32_t pid, uint32_t tid, const char *comm)
{
	struct devmem_rec_hdr h = { .type = type, .size = size, .cpu = cpu, .ts_ns = ts,
				    .pid = pid, .tid = tid };

	memcpy(h.comm, comm, strnlen(comm, sizeof(h.comm)));
	return h;
}

#define PUT(r) dmt_write_record(&w, &(r), (r).hdr.size)
#define JOB(type, r, ts) hdr(type, sizeof(r), ts, 0, 100, 101, "gpu-job")

int main(int argc, char **argv)
{
	static const char meta[] = "kernel=synthetic\nattach_mode=tracepoint\n";
	static const char names[] = "# start end driver device pci\n"
				    "0x100000000 0x10fffffff test_hmm hmm_dmirror -\n";
	static const char stacks[] = "3 zone_device_page_init+0x4d;dmirror_migrate_to_device+0x27e\n"
				     "7 memunmap_pages+0x1a;dmirror_device_remove+0x10\n";
	struct devmem_rec_pgmap pg = { .pgmap = PGMAP, .start = 0x100000000ull, .end = 0x10fffffffull,
				       .nr_pages = 65536, .type = DEVMEM_PGMAP_PRIVATE, .nr_range = 1 };
	struct devmem_rec_page page = { .pgmap = PGMAP, .type = DEVMEM_PGMAP_PRIVATE };
	struct devmem_rec_pgmap_ref ref = { .pgmap = PGMAP, .pfn = 0x100000, .nr = 1, .index = 0 };
	struct devmem_rec_fault flt = { .pgmap = PGMAP, .pfn = 0x100000, .address = 0x7f0000001000ull,
					.ret = 0x400, .flags = DEVMEM_FAULT_NO_PROGRESS,
					.latency_ns = 12345, .nr_pages = 1, .index = 0 };
	struct devmem_rec_migrate mig = { .pgmap = PGMAP, .start = 0x7f0000000000ull, .npages = 512,
					  .nr_migrate = 512, .nr_to_system = 512,
					  .stage = DEVMEM_MIGRATE_FINALIZE };
	struct devmem_rec_longterm lt = { .pgmap = PGMAP, .src_pfn = 0x100001, .dst_pfn = 0x2000,
					  .nr_pages = 1, .src_index = 1 };
	struct devmem_rec_cow cow = { .pgmap = PGMAP, .old_pfn = 0x100002, .new_pfn = 0x3000,
				      .address = 0x7f0000002000ull, .old_index = 2 };
	struct devmem_rec_task task = { .parent_tgid = 100, .tgid = 102 };
	struct devmem_rec_pgmap_wait wait = { .pgmap = PGMAP, .live_pages = 512, .stack_id = 7,
					      .stage = DEVMEM_WAIT_BEGIN };
	uint64_t end[DMT_END_NR_KEYS] = { [DMT_END_NS] = S(8, 0), [DMT_END_RECORDS] = 17 };
	char err[256], text[2048];

	if (argc != 2 || dmt_writer_open(&w, argv[1], err, sizeof(err))) {
		fprintf(stderr, "usage: events-trace FILE\n");
		return 2;
	}
	dmt_write_chunk(&w, DMT_CHUNK_META, meta, strlen(meta));
	pg.hdr = hdr(DEVMEM_REC_PGMAP_CREATE, sizeof(pg), S(1, 0), 1, 50, 50, "modprobe");
	PUT(pg);
	page.hdr = JOB(DEVMEM_REC_PAGE_INIT, page, S(2, 100));
	page.pfn = 0x100000;
	page.nr_pages = 1;
	page.stack_id = 3;
	PUT(page);
	ref.hdr = JOB(DEVMEM_REC_GET_PGMAP, ref, S(2, 50));	/* before the init: comes first */
	PUT(ref);
	page.hdr = JOB(DEVMEM_REC_PAGE_INIT, page, S(2, 500000));
	page.pfn = 0x100200;
	page.index = 0x200;
	page.nr_pages = 512;
	page.stack_id = -1;
	PUT(page);
	task.hdr = JOB(DEVMEM_REC_TASK_FORK, task, S(1, 500000));	/* out of order too */
	PUT(task);
	flt.hdr = JOB(DEVMEM_REC_FAULT, flt, S(3, 0));
	flt.hdr.cpu = 2;
	PUT(flt);
	mig.hdr = JOB(DEVMEM_REC_MIGRATE, mig, S(3, 100000));
	PUT(mig);
	lt.hdr = JOB(DEVMEM_REC_LONGTERM, lt, S(3, 200000));
	PUT(lt);
	cow.hdr = JOB(DEVMEM_REC_COW, cow, S(3, 300000));
	PUT(cow);
	page.hdr = JOB(DEVMEM_REC_FOLIO_FREE, page, S(4, 0));
	page.pfn = 0x100000;
	page.index = 0;
	page.nr_pages = 1;
	PUT(page);
	ref.hdr = JOB(DEVMEM_REC_PUT_PGMAP, ref, S(4, 1));
	PUT(ref);
	/* An ABI 1 free: no nr_pages, read as one page. */
	page.hdr = JOB(DEVMEM_REC_FOLIO_FREE, page, S(4, 2));
	page.hdr.size = offsetof(struct devmem_rec_page, nr_pages);
	page.pfn = 0x100201;
	PUT(page);
	ref.hdr = JOB(DEVMEM_REC_GET_PGMAP, ref, S(4, 3));	/* a lookup that failed */
	ref.pgmap = 0;
	ref.nr = 0;
	PUT(ref);
	task.hdr = hdr(DEVMEM_REC_TASK_EXIT, sizeof(task), S(5, 0), 3, 102, 102, "gpu job");
	task.parent_tgid = 0;
	PUT(task);
	pg.hdr = hdr(DEVMEM_REC_PGMAP_DESTROY, sizeof(pg), S(6, 0), 1, 60, 61, "rmmod");
	PUT(pg);
	wait.hdr = hdr(DEVMEM_REC_PGMAP_WAIT, sizeof(wait), S(6, 100000), 1, 60, 61, "rmmod");
	PUT(wait);
	wait.hdr = hdr(DEVMEM_REC_PGMAP_WAIT, sizeof(wait), S(7, 0), 1, 60, 61, "rmmod");
	wait.stage = DEVMEM_WAIT_END;
	wait.live_pages = DEVMEM_LIVE_UNKNOWN;
	wait.wait_ns = 900000000;
	wait.stack_id = -1;
	PUT(wait);
	dmt_flush(&w);
	dmt_write_text(&w, DMT_CHUNK_STACKS, stacks, strlen(stacks));
	dmt_write_text(&w, DMT_CHUNK_PGMAP_NAMES, names, strlen(names));
	dmt_end_text(text, sizeof(text), end, 0);
	dmt_write_chunk(&w, DMT_CHUNK_END, text, strlen(text));
	return dmt_writer_close(&w) ? 1 : 0;
}
