// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of per-page state keyed by (pgmap row, index), ABI 4
 * (docs/kernels-next.md), built with ASan and UBSan: an ABI 3 file and an
 * ABI 4 file give the same verdicts; two pgmaps over one range keep their
 * pages apart; device private pages without a pfn are tracked by index.
 * One PASS/FAIL line per check.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmem_maps.h"
#include "leaks.h"
#include "replay.h"
#include "u64map.h"
#define CHECK_GROUP "lib"
#include "check.h"
#include "records.h"

#define PGMAP_A 0xffff888000a00000ull
#define PGMAP_B 0xffff888000b00000ull
#define START 0x100000000ull	/* first pfn 0x100000 */

static void feed(struct leak_tracker *t, const void *rec)
{
	const struct devmem_rec_hdr *h = rec;

	if (devmem_replay_record(rec, h->size, leak_tracker_ops(), &t->st))
		fprintf(stderr, "record of type %u refused\n", h->type);
}

static void pgmap(struct leak_tracker *t, unsigned type, uint64_t addr, uint64_t start,
		  uint32_t space)
{
	struct devmem_rec_pgmap r;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr, type, sizeof(r), 1);
	r.pgmap = addr;
	r.start = start;
	r.end = start + 64 * 4096 - 1;
	r.nr_pages = 64;
	r.type = DEVMEM_PGMAP_PRIVATE;
	r.nr_range = 1;
	r.space = space;
	feed(t, &r);
}

/*
 * A page event as ABI 4 writes it (abi 4), or as ABI 3 did: the record
 * ends before index, and the replay derives it from the pfn.
 */
static void page(struct leak_tracker *t, int abi, unsigned type, unsigned pid, uint64_t pgmap,
		 uint64_t pfn, uint64_t index, uint64_t ts)
{
	struct devmem_rec_page r = page_rec(type, pid, pfn, pgmap);

	r.hdr.tid = pid;
	r.hdr.ts_ns = ts;
	r.stack_id = (int32_t)pid;
	r.index = index;
	if (abi < 4)
		r.hdr.size = offsetof(struct devmem_rec_page, index);
	feed(t, &r);
}

static uint64_t held(struct leak_tracker *t, unsigned pid)
{
	struct devmem_proc_row *p = devmem_state_proc(&t->st, pid, NULL);

	return p ? (uint64_t)p->held : ~0ull;
}

/* The same run, written as ABI 3 or 4: 8 pages to pids 10 and 20, 5 freed. */
static void run(struct leak_tracker *t, int abi)
{
	uint64_t i, base = START >> 12;

	pgmap(t, DEVMEM_REC_PGMAP_CREATE, PGMAP_A, START, DEVMEM_SPACE_PHYS);
	for (i = 0; i < 8; i++)
		page(t, abi, DEVMEM_REC_PAGE_INIT, i < 4 ? 10 : 20, PGMAP_A, base + i, i, 100 + i);
	for (i = 0; i < 8; i += 2)
		page(t, abi, DEVMEM_REC_FOLIO_FREE, 30, PGMAP_A, base + i, i, 200 + i);
	page(t, abi, DEVMEM_REC_FOLIO_FREE, 30, PGMAP_A, base + 7, 7, 300);
}

static size_t groups(struct leak_tracker *t, struct leak_group **g)
{
	return leak_groups(t, flat_stack, NULL, NULL, 0, g);
}

static void test_abi3_as_abi4(void)
{
	struct leak_tracker t3 = { 0 }, t4 = { 0 };
	struct leak_group *g3 = NULL, *g4 = NULL;
	size_t n3, n4, i, same = 0;

	run(&t3, 3);
	run(&t4, 4);
	n3 = groups(&t3, &g3);
	n4 = groups(&t4, &g4);
	CHECK("abi 3 and 4: the same pages out, pid 10's 2 and pid 20's 1",
	      t3.out_mine == 3 && t4.out_mine == 3 && held(&t3, 10) == 2 && held(&t4, 10) == 2 &&
	      held(&t3, 20) == 1 && held(&t4, 20) == 1);
	for (i = 0; i < n3 && i < n4; i++)
		same += g3[i].pid == g4[i].pid && g3[i].count == g4[i].count &&
			!strcmp(g3[i].stack, g4[i].stack);
	CHECK("abi 3 and 4: the same leak groups", n3 == 2 && n4 == 2 && same == 2);
	CHECK("abi 3 and 4: the same init and free counts",
	      t3.st.pgmaps[0].inits == 8 && t4.st.pgmaps[0].inits == 8 &&
	      t3.st.pgmaps[0].frees == 5 && t4.st.pgmaps[0].frees == 5);
	CHECK("abi 3: the index comes from the pfn and the pgmap's start",
	      t3.n >= 3 && t3.pages[1].index == 1 && t4.pages[1].index == 1 &&
	      t3.pages[1].key == t4.pages[1].key);
	free(g3);
	free(g4);
	leak_tracker_free(&t3);
	leak_tracker_free(&t4);
}

/*
 * pgmap A hands out pfn P and is torn down without its free in sight; B,
 * made over the same range, hands out P again; then A's free of P comes
 * (a teardown seen late): it is A's page that goes back, not B's.
 */
static void test_same_range(void)
{
	struct leak_tracker t = { 0 };
	struct leak_group *g = NULL;
	uint64_t p = START >> 12;
	size_t n;

	pgmap(&t, DEVMEM_REC_PGMAP_CREATE, PGMAP_A, START, DEVMEM_SPACE_PHYS);
	page(&t, 4, DEVMEM_REC_PAGE_INIT, 100, PGMAP_A, p, 0, 10);
	pgmap(&t, DEVMEM_REC_PGMAP_DESTROY, PGMAP_A, START, DEVMEM_SPACE_PHYS);
	pgmap(&t, DEVMEM_REC_PGMAP_CREATE, PGMAP_B, START, DEVMEM_SPACE_PHYS);
	page(&t, 4, DEVMEM_REC_PAGE_INIT, 200, PGMAP_B, p, 0, 20);
	page(&t, 4, DEVMEM_REC_FOLIO_FREE, 300, PGMAP_A, p, 0, 30);
	n = groups(&t, &g);
	CHECK("same range: the second pgmap's page is not the first's",
	      held(&t, 100) == 0 && held(&t, 200) == 1 && t.out_mine == 1 && n == 1 &&
	      g[0].pid == 200 && g[0].pgmap == PGMAP_B);
	free(g);
	leak_tracker_free(&t);
}

/* The same through the state alone: page owners, and a retired row's pages dropped. */
static void test_same_range_state(void)
{
	struct leak_tracker t = { 0 };
	struct devmem_state *st = &t.st;
	struct devmem_rec_page r;
	uint64_t p = START >> 12, i;

	for (i = 0; i < 3; i++) {
		r = page_rec(DEVMEM_REC_PAGE_INIT, 100, p + i, PGMAP_A);
		r.index = i;
		devmem_replay_record(&r, sizeof(r), &devmem_state_ops, st);
	}
	{
		struct devmem_rec_pgmap d;

		memset(&d, 0, sizeof(d));
		hdr(&d.hdr, DEVMEM_REC_PGMAP_DESTROY, sizeof(d), 1);
		d.pgmap = PGMAP_A;
		d.start = START;
		devmem_replay_record(&d, sizeof(d), &devmem_state_ops, st);
		CHECK("state: a destroyed pgmap's pages stay until it retires",
		      u64map_count(&st->page_owner) == 3);
		hdr(&d.hdr, DEVMEM_REC_PGMAP_CREATE, sizeof(d), 1);
		devmem_replay_record(&d, sizeof(d), &devmem_state_ops, st);
	}
	CHECK("state: a new pgmap at the address retires the row and drops its pages",
	      u64map_count(&st->page_owner) == 0 && st->nr_pgmaps == 2 &&
	      st->pgmaps[0].page_id != st->pgmaps[1].page_id);
	r = page_rec(DEVMEM_REC_FOLIO_FREE, 300, p, PGMAP_A);
	r.index = 0;
	devmem_replay_record(&r, sizeof(r), &devmem_state_ops, st);
	CHECK("state: the new pgmap's free of pfn P is charged to nobody's old page",
	      held(&t, 100) == 3 && held(&t, 300) == 0);
	devmem_state_free(st);
}

/* A device private pgmap of the series: no pfns, pages named by index. */
static void test_private_no_pfn(void)
{
	struct leak_tracker t = { 0 };
	uint64_t i, left[2] = { 0 };
	struct leak_group *g = NULL;
	size_t j, k = 0, n;

	pgmap(&t, DEVMEM_REC_PGMAP_CREATE, PGMAP_A, 0x7000000000ull,
	      DEVMEM_SPACE_DEVICE_PRIVATE);
	for (i = 0; i < 4; i++)
		page(&t, 4, DEVMEM_REC_PAGE_INIT, 10, PGMAP_A, DEVMEM_PFN_NONE, i, 10 + i);
	page(&t, 4, DEVMEM_REC_FOLIO_FREE, 10, PGMAP_A, DEVMEM_PFN_NONE, 1, 20);
	page(&t, 4, DEVMEM_REC_FOLIO_FREE, 10, PGMAP_A, DEVMEM_PFN_NONE, 3, 21);
	for (j = 0; j < t.n; j++)
		if (t.pages[j].live && k < 2)
			left[k++] = t.pages[j].index;
	CHECK("no pfn: 4 inits and 2 frees, exactly",
	      t.st.pgmaps[0].inits == 4 && t.st.pgmaps[0].frees == 2 && held(&t, 10) == 2 &&
	      t.out_mine == 2);
	CHECK("no pfn: the pages still out are named by index 0 and 2",
	      k == 2 && left[0] == 0 && left[1] == 2 && t.pages[0].pfn == DEVMEM_PFN_NONE);
	n = groups(&t, &g);
	CHECK("no pfn: the leak group names its oldest page by index, without a pfn",
	      n == 1 && g[0].count == 2 && g[0].oldest_index == 0 &&
	      g[0].oldest_pfn == DEVMEM_PFN_NONE);
	free(g);
	leak_tracker_free(&t);
}

/* A page of no pgmap (a failed lookup's), even at pfn 0 or with none, has a key. */
static void test_no_row(void)
{
	struct devmem_state st = { 0 };
	struct devmem_rec_page r;
	uint64_t pfns[] = { 0, DEVMEM_PFN_NONE }, i;

	for (i = 0; i < 2; i++) {
		r = page_rec(DEVMEM_REC_PAGE_INIT, 50, pfns[i], 0);
		devmem_replay_record(&r, sizeof(r), &devmem_state_ops, &st);
	}
	CHECK("no pgmap: pages at pfn 0 and with no pfn are held apart",
	      u64map_count(&st.page_owner) == 2 && st.oom == 0);
	r = page_rec(DEVMEM_REC_FOLIO_FREE, 60, 0, 0);
	devmem_replay_record(&r, sizeof(r), &devmem_state_ops, &st);
	CHECK("no pgmap: the free of pfn 0 finds its page",
	      u64map_count(&st.page_owner) == 1);
	devmem_state_free(&st);
}

static void test_del_range(void)
{
	struct u64map m = { 0 };
	uint64_t i, v, ok = 0;

	for (i = 1; i <= 5000; i++)
		u64map_put(&m, DEVMEM_PAGE_KEY(i % 3 + 1, i), i);
	CHECK("u64map: deleting a page id's range takes exactly its keys",
	      u64map_del_range(&m, DEVMEM_PAGE_KEY(2, 0), DEVMEM_PAGE_KEY(2, ~0ull)) == 1667 &&
	      u64map_count(&m) == 5000 - 1667);
	for (i = 1; i <= 5000; i++)
		ok += u64map_get(&m, DEVMEM_PAGE_KEY(i % 3 + 1, i), &v) == (i % 3 + 1 != 2);
	CHECK("u64map: the other keys are all still there", ok == 5000);
	u64map_free(&m);
}

int main(void)
{
	test_abi3_as_abi4();
	test_same_range();
	test_same_range_state();
	test_private_no_pfn();
	test_no_row();
	test_del_range();
	return failures ? 1 : 0;
}
