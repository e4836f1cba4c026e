// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the replay path and the state it builds (tools/lib/state.c,
 * replay.c), built with ASan and UBSan: records refused and accepted, the
 * accounting of pages and references, large folios and fault latencies,
 * the debugfs seed and a late start. One PASS/FAIL line per check.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "replay.h"
#include "late_start.h"
#include "state.h"
#define CHECK_GROUP "lib"
#include "check.h"
#include "records.h"

static void test_replay_validation(void)
{
	struct devmem_state st = { 0 };
	struct devmem_rec_page r = page_rec(DEVMEM_REC_PAGE_INIT, 7, 100, 0x1000);
	unsigned char big[sizeof(r) + 16] = { 0 };

	CHECK("a header-only buffer is too short for any record",
	      devmem_replay_record(&r, sizeof(r.hdr) - 1, &devmem_state_ops, &st) == DEVMEM_REPLAY_SHORT);
	CHECK("a size field that disagrees with the length is refused",
	      devmem_replay_record(&r, sizeof(r) - 4, &devmem_state_ops, &st) == DEVMEM_REPLAY_SIZE);
	r.hdr.type = 999;
	CHECK("an unknown type is refused",
	      devmem_replay_record(&r, sizeof(r), &devmem_state_ops, &st) == DEVMEM_REPLAY_TYPE);
	r.hdr.type = DEVMEM_REC_MIGRATE;	/* bigger than a page record */
	CHECK("a record too small for its type is refused",
	      devmem_replay_record(&r, sizeof(r), &devmem_state_ops, &st) == DEVMEM_REPLAY_TYPE_SIZE);
	CHECK("refused records change nothing", st.events == 0 && st.nr_pgmaps == 0);
	r = page_rec(DEVMEM_REC_PAGE_INIT, 7, 100, 0x1000);
	memcpy(big, &r, sizeof(r));
	((struct devmem_rec_hdr *)big)->size = sizeof(big);
	CHECK("a longer record from a newer writer is accepted",
	      devmem_replay_record(big, sizeof(big), &devmem_state_ops, &st) == DEVMEM_REPLAY_OK &&
	      st.events == 1);
	devmem_state_free(&st);
}

static void feed(struct devmem_state *st, const void *rec)
{
	devmem_replay_record(rec, ((const struct devmem_rec_hdr *)rec)->size, &devmem_state_ops, st);
}

static void test_state_accounting(void)
{
	struct devmem_state st = { 0 };
	struct devmem_rec_pgmap_ref ref;
	struct devmem_rec_page r;
	uint64_t i;

	/* pid 10 is handed 5 pages; pid 20 frees 3 of them (a child exiting). */
	for (i = 0; i < 5; i++) {
		r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 500 + i, 0xa000);
		feed(&st, &r);
	}
	for (i = 0; i < 3; i++) {
		r = page_rec(DEVMEM_REC_FOLIO_FREE, 20, 500 + i, 0xa000);
		feed(&st, &r);
		hdr(&ref.hdr, DEVMEM_REC_PUT_PGMAP, sizeof(ref), 20);
		ref.pgmap = 0xa000;
		ref.pfn = 0;
		ref.nr = 1;
		feed(&st, &ref);
	}
	CHECK("one pgmap row", st.nr_pgmaps == 1);
	CHECK("live pages are inits minus frees", devmem_pgmap_live(&st.pgmaps[0]) == 2);
	CHECK("shadow refs are inits plus gets minus puts", st.pgmaps[0].refs == 2);
	CHECK("held pages count against the pid they were handed to",
	      st.procs[0].pid == 10 && st.procs[0].held == 2);
	CHECK("a pid that only frees gets no row of its own", st.nr_procs == 1);

	/* Fallback modes have no put events: a free drops the reference. */
	{
		struct devmem_state fb = { .refs_on_free = true };

		for (i = 0; i < 2; i++) {
			r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 500 + i, 0xa000);
			feed(&fb, &r);
		}
		r = page_rec(DEVMEM_REC_FOLIO_FREE, 10, 500, 0xa000);
		feed(&fb, &r);
		CHECK("refs_on_free: a free drops the reference", fb.pgmaps[0].refs == 1);
		devmem_state_free(&fb);
	}

	/* A destroyed pgmap's address reused by a new one starts a new row. */
	{
		struct devmem_rec_pgmap pg;

		memset(&pg, 0, sizeof(pg));
		hdr(&pg.hdr, DEVMEM_REC_PGMAP_DESTROY, sizeof(pg), 1);
		pg.pgmap = 0xa000;
		pg.type = DEVMEM_PGMAP_PRIVATE;
		feed(&st, &pg);
		CHECK("destroy marks the row", st.pgmaps[0].destroyed);
		pg.hdr.type = DEVMEM_REC_PGMAP_CREATE;
		feed(&st, &pg);
		CHECK("a reused address gets a fresh row",
		      st.nr_pgmaps == 2 && !st.pgmaps[1].destroyed && st.pgmaps[1].inits == 0);
	}
	devmem_state_mark(&st, 1000000000ull);
	r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 900, 0xa000);
	feed(&st, &r);
	devmem_state_mark(&st, 3000000000ull);
	CHECK("rates are per second over the interval", st.pgmaps[1].rate[RATE_INIT] == 0.5);
	devmem_state_free(&st);
}

/* The BPF side's description of the one pgmap of test_late_start. */
static int late_resolve(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta)
{
	(void)ctx;
	if (pgmap != 0xb000)
		return -1;
	meta->start = 0x40000000;
	meta->end = 0x4fffffff;
	meta->type = DEVMEM_PGMAP_PRIVATE;
	return 0;
}

/*
 * Late start (docs/counting.md): debugfs is read after attach, while pages
 * may move. A live view settles a pgmap's base only from a read during
 * which its totals stood still; a recording's replay takes the records
 * from before the read out of the base and calls those during it inexact.
 */
static void test_late_start(void)
{
	static const char text[] =
		"# pgmap type start end owner nr_pages live_pages\n"
		"0 private 0x40000000 0x4fffffff 0 65536 530\n"
		"0 private 0x50000000 0x5fffffff 0 65536 7\n";
	/* 0x40000000 moved pages during the read: 20 in, 2 out, then 30 in */
	struct devmem_pgmap_net before[] = { { 0x40000000, 20, 2 } };
	struct devmem_pgmap_net after[] = { { 0x40000000, 50, 2 } };
	struct devmem_pgmap_net quiet[] = { { 0x40000000, 60, 2 } };
	struct devmem_state st = { 0 }, rep = { 0 };
	struct devmem_rec_page r;
	size_t i;

	CHECK("late start: two rows seeded", devmem_state_seed_text(&st, text) == 2);
	for (i = 0; i < st.nr_pgmaps; i++)
		st.pgmaps[i].live_pending = true;
	CHECK("late start: the pgmap that moved pages during the read stays pending",
	      devmem_state_settle_text(&st, text, before, 1, after, 1) == 1 &&
	      st.pgmaps[0].live_pending && !st.pgmaps[1].live_pending);
	CHECK("late start: a quiet pgmap never counted keeps debugfs's count",
	      devmem_pgmap_live(&st.pgmaps[1]) == 7);
	st.pgmaps[0].inits = 50;
	st.pgmaps[0].frees = 2;
	CHECK("late start: the pending estimate takes the totals after the read out",
	      devmem_pgmap_live(&st.pgmaps[0]) == 530);
	/* The next read: 10 more in, and nothing moves across it. */
	CHECK("late start: a read with the pgmap quiet settles it",
	      devmem_state_settle_text(&st,
				       "0 private 0x40000000 0x4fffffff 0 65536 540\n"
				       "0 private 0x50000000 0x5fffffff 0 65536 7\n",
				       quiet, 1, quiet, 1) == 0 && !st.pgmaps[0].live_pending);
	st.pgmaps[0].inits = 60;
	CHECK("late start: settled, live is debugfs's count with nothing counted twice",
	      devmem_pgmap_live(&st.pgmaps[0]) == 540);
	st.pgmaps[1].live_pending = true;
	st.pgmaps[1].destroyed = true;
	CHECK("late start: a destroyed pgmap is not waited for",
	      devmem_state_settle_text(&st, text, before, 1, after, 1) == 0 &&
	      st.pgmaps[1].live_pending);
	st.pgmaps[0].live_pending = true;
	CHECK("late start: nor one debugfs stopped listing (its teardown began); it stays an estimate",
	      devmem_state_settle_text(&st, "0 private 0x50000000 0x5fffffff 0 65536 7\n",
				       quiet, 1, quiet, 1) == 0 &&
	      st.pgmaps[0].live_pending && devmem_pgmap_live(&st.pgmaps[0]) == 540);
	devmem_state_free(&st);

	/* A recording: read from 1000 to 2000 ns, 530 live then. */
	rep.resolve = late_resolve;
	devmem_state_seed_text(&rep, "0 private 0x40000000 0x4fffffff 0 65536 530\n"
				     "# read_ns 1000 2000\n");
	CHECK("late start: the chunk's read window is kept",
	      rep.seed_from_ns == 1000 && rep.seed_to_ns == 2000);
	for (i = 0; i < 12; i++) {
		r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 100 + i, 0xb000);
		r.hdr.ts_ns = 500 + i;	/* before the read: in debugfs's 530 */
		feed(&rep, &r);
	}
	r = page_rec(DEVMEM_REC_FOLIO_FREE, 10, 100, 0xb000);
	r.hdr.ts_ns = 900;
	feed(&rep, &r);
	for (i = 0; i < 5; i++) {
		r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 200 + i, 0xb000);
		r.hdr.ts_ns = 3000 + i;	/* after */
		feed(&rep, &r);
	}
	CHECK("late start: a replay counts the records before the read once",
	      rep.nr_pgmaps == 1 && devmem_pgmap_live(&rep.pgmaps[0]) == 535 &&
	      !rep.pgmaps[0].live_pending);
	r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 300, 0xb000);
	r.hdr.ts_ns = 1500;	/* during the read: in or out of its count */
	feed(&rep, &r);
	CHECK("late start: a record during the read leaves the base an estimate",
	      devmem_pgmap_live(&rep.pgmaps[0]) == 535 && rep.pgmaps[0].live_pending);
	devmem_state_free(&rep);
}

/*
 * ABI 3, v2 of the 7.3 series: a folio's events imply its references, the
 * free says so, and gets and puts are only get_dev_pagemap()'s and
 * put_dev_pagemap()'s, held on top.
 */
static void test_abi3_refs_in_folio_events(void)
{
	struct devmem_state st = { 0 };
	struct devmem_rec_pgmap_ref ref;
	struct devmem_rec_page r;

	r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 0x200, 0xb000);
	r.nr_pages = 512;
	feed(&st, &r);
	CHECK("v2: a 512-page folio init holds 512 references without a get",
	      devmem_pgmap_live(&st.pgmaps[0]) == 512 && st.pgmaps[0].refs == 512);
	hdr(&ref.hdr, DEVMEM_REC_GET_PGMAP, sizeof(ref), 10);
	ref.pgmap = 0xb000;
	ref.pfn = 0x300;
	ref.nr = 1;
	feed(&st, &ref);
	CHECK("v2: a get_dev_pagemap() is held on top", st.pgmaps[0].refs == 513);
	r = page_rec(DEVMEM_REC_FOLIO_FREE, 30, 0x200, 0xb000);
	r.nr_pages = 512;
	r.flags = DEVMEM_PAGE_FREE_DROPS_REFS;
	feed(&st, &r);
	CHECK("v2: the free drops the folio's 512 references without a put",
	      devmem_pgmap_live(&st.pgmaps[0]) == 0 && st.pgmaps[0].refs == 1);
	hdr(&ref.hdr, DEVMEM_REC_PUT_PGMAP, sizeof(ref), 10);
	ref.pfn = 0;
	feed(&st, &ref);
	CHECK("v2: and put_dev_pagemap() the last one", st.pgmaps[0].refs == 0);
	r = page_rec(DEVMEM_REC_FOLIO_FREE, 30, 0x400, 0xb000);
	r.type = DEVMEM_PGMAP_GENERIC;
	r.flags = DEVMEM_PAGE_FREE_DROPS_REFS;
	feed(&st, &r);
	CHECK("v2: a generic pgmap's free drops no reference", st.pgmaps[0].refs == 0);
	devmem_state_free(&st);
}

/* ABI 2: large folios count their pages; ABI 1 records still read as one page. */
static void test_abi2_pages(void)
{
	struct devmem_state st = { 0 };
	struct devmem_rec_page r;
	struct devmem_rec_pgmap_ref ref;
	struct devmem_rec_fault f;
	uint64_t i;

	r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 0x200, 0xb000);
	r.nr_pages = 512;	/* a THP of device private memory */
	r.flags = DEVMEM_PAGE_REF_SEPARATE;
	feed(&st, &r);
	hdr(&ref.hdr, DEVMEM_REC_GET_PGMAP, sizeof(ref), 10);
	ref.pgmap = 0xb000;
	ref.pfn = 0x200;
	ref.nr = 512;
	feed(&st, &ref);
	CHECK("a 2 MiB folio is 512 live pages, held by its pid, 512 references",
	      devmem_pgmap_live(&st.pgmaps[0]) == 512 && st.pgmaps[0].refs == 512 &&
	      st.procs[0].held == 512);
	/* An ABI 1 page record: shorter, no nr_pages: one page. */
	r = page_rec(DEVMEM_REC_PAGE_INIT, 10, 0x400, 0xb000);
	r.hdr.size = offsetof(struct devmem_rec_page, nr_pages);
	r.nr_pages = 77;	/* beyond its size: must not be read */
	CHECK("an ABI 1 page record is accepted",
	      devmem_replay_record(&r, r.hdr.size, &devmem_state_ops, &st) == DEVMEM_REPLAY_OK);
	CHECK("and counts one page with its reference",
	      devmem_pgmap_live(&st.pgmaps[0]) == 513 && st.pgmaps[0].refs == 513);
	r.hdr.size = offsetof(struct devmem_rec_page, nr_pages) - 1;
	CHECK("shorter than ABI 1 is refused",
	      devmem_replay_record(&r, r.hdr.size, &devmem_state_ops, &st) ==
	      DEVMEM_REPLAY_TYPE_SIZE);
	r = page_rec(DEVMEM_REC_FOLIO_FREE, 30, 0x200, 0xb000);
	r.nr_pages = 512;
	feed(&st, &r);
	hdr(&ref.hdr, DEVMEM_REC_PUT_PGMAP, sizeof(ref), 30);
	feed(&st, &ref);
	CHECK("its free, by another pid, gives back 512 pages and references",
	      devmem_pgmap_live(&st.pgmaps[0]) == 1 && st.pgmaps[0].refs == 1 &&
	      st.procs[0].held == 1);
	/* Fault latencies: 90 faults of ~1 us, 10 of ~1 ms. */
	memset(&f, 0, sizeof(f));
	hdr(&f.hdr, DEVMEM_REC_FAULT, sizeof(f), 10);
	f.pgmap = 0xb000;
	f.nr_pages = 1;
	for (i = 0; i < 100; i++) {
		f.latency_ns = i < 90 ? 1000 : 1000000;
		feed(&st, &f);
	}
	CHECK("fault latency p50 and p90 in the 1 us bucket, p99 in the 1 ms one",
	      devmem_lat_percentile(st.pgmaps[0].fault_lat, 50) == 1024 &&
	      devmem_lat_percentile(st.pgmaps[0].fault_lat, 90) == 1024 &&
	      devmem_lat_percentile(st.pgmaps[0].fault_lat, 99) == 1048576);
	devmem_state_free(&st);
}

int main(void)
{
	test_abi2_pages();
	test_abi3_refs_in_folio_events();
	test_replay_validation();
	test_state_accounting();
	test_late_start();
	return failures ? 1 : 0;
}
