// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of what a leak verdict stands on (tools/lib/leaks.c, lost.c),
 * built with ASan and UBSan: whose pages a command's tree holds, and what
 * counts as events lost, live and from an END chunk. One PASS/FAIL line
 * per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "leaks.h"
#include "lost.h"
#include "replay.h"
#include "u64map.h"
#define CHECK_GROUP "lib"
#include "check.h"
#include "records.h"

/* Records through the tracker's replay ops, as the ring buffer gives them. */
static void lfeed(struct leak_tracker *t, const void *rec)
{
	devmem_replay_record(rec, ((const struct devmem_rec_hdr *)rec)->size, leak_tracker_ops(), &t->st);
}

static void ltask(struct leak_tracker *t, unsigned type, unsigned parent, unsigned tgid)
{
	struct devmem_rec_task r;

	hdr(&r.hdr, type, sizeof(r), type == DEVMEM_REC_TASK_FORK ? parent : tgid);
	r.hdr.ts_ns = 1000 + tgid;
	r.parent_tgid = parent;
	r.tgid = tgid;
	lfeed(t, &r);
}

/* A page event by pid (thread pid too) of nr pages from pfn. */
static void lpage(struct leak_tracker *t, unsigned type, unsigned pid, uint64_t pfn,
		  uint64_t pgmap, unsigned nr)
{
	struct devmem_rec_page r = page_rec(type, pid, pfn, pgmap);

	r.hdr.tid = pid;
	r.hdr.ts_ns = 5000 + pfn;
	r.nr_pages = nr;
	lfeed(t, &r);
}

static void lref(struct leak_tracker *t, unsigned type, unsigned pid, uint64_t pgmap, uint64_t nr)
{
	struct devmem_rec_pgmap_ref r;

	hdr(&r.hdr, type, sizeof(r), pid);
	r.hdr.tid = pid;
	r.pfn = 0;
	r.pgmap = pgmap;
	r.nr = nr;
	lfeed(t, &r);
}

/*
 * Two process trees on one machine: the command (2000, forked by the tool,
 * 1000, and its child 2001) and another job (3000, child 3001), an older
 * process (500), a kworker (7) freeing pages of both, and pid 2000 reused
 * by the other job after the command exited.
 */
static void scope_feed(struct leak_tracker *t)
{
	unsigned k;

	lpage(t, DEVMEM_REC_PAGE_INIT, 500, 1, 0xa000, 1);	/* before the command */
	ltask(t, DEVMEM_REC_TASK_FORK, 1000, 2000);
	ltask(t, DEVMEM_REC_TASK_FORK, 2000, 2001);
	ltask(t, DEVMEM_REC_TASK_FORK, 3000, 3001);
	for (k = 10; k < 15; k++)
		lpage(t, DEVMEM_REC_PAGE_INIT, 2000, k, 0xa000, 1);
	lpage(t, DEVMEM_REC_PAGE_INIT, 2001, 0x200, 0xa000, 512);
	for (k = 20; k < 23; k++)
		lpage(t, DEVMEM_REC_PAGE_INIT, 3001, k, 0xa000, 1);
	/* A kworker frees one page of each tree, each free followed by its put. */
	lpage(t, DEVMEM_REC_FOLIO_FREE, 7, 10, 0xa000, 1);
	lref(t, DEVMEM_REC_PUT_PGMAP, 7, 0xa000, 1);
	lpage(t, DEVMEM_REC_FOLIO_FREE, 7, 20, 0xa000, 1);
	lref(t, DEVMEM_REC_PUT_PGMAP, 7, 0xa000, 1);
	/* References not tied to pages: the command keeps 1 of 2, the other job 4. */
	lref(t, DEVMEM_REC_GET_PGMAP, 2000, 0xa000, 2);
	lref(t, DEVMEM_REC_PUT_PGMAP, 2000, 0xa000, 1);
	lref(t, DEVMEM_REC_GET_PGMAP, 3001, 0xa000, 4);
	/* On another pgmap the command's reference is put by the kworker. */
	lref(t, DEVMEM_REC_GET_PGMAP, 2000, 0xb000, 1);
	lref(t, DEVMEM_REC_PUT_PGMAP, 7, 0xb000, 1);
	ltask(t, DEVMEM_REC_TASK_EXIT, 0, 2000);
	/* pid 2000 again, now the other job's: not the command's. */
	ltask(t, DEVMEM_REC_TASK_FORK, 3000, 2000);
	lpage(t, DEVMEM_REC_PAGE_INIT, 2000, 30, 0xa000, 1);
	/* The command's child frees its folio itself, then exits. */
	lpage(t, DEVMEM_REC_FOLIO_FREE, 2001, 0x200, 0xa000, 512);
	lref(t, DEVMEM_REC_PUT_PGMAP, 2001, 0xa000, 512);
	ltask(t, DEVMEM_REC_TASK_EXIT, 0, 2001);
}

static void test_leak_scope(void)
{
	struct leak_tracker t = { 0 };
	struct leak_group *g = NULL;
	uint64_t mine = 0, other = 0, other_2000 = 0;
	size_t ng, i;

	leak_tracker_scope(&t, 1000);
	scope_feed(&t);
	CHECK("scope: the command's tree is 2000 and 2001, both gone; the reused pid is not in it",
	      t.tree_seen == 2 && t.tree_alive == 0 && u64map_count(&t.tree) == 0);
	CHECK("scope: 4 of the command's pages out (11-14), 4 of others (1, 21, 22, 30)",
	      t.out_mine == 4 && t.out_other == 4);
	CHECK("scope: 513 of its pages came back, the last one (exit) is its newest activity",
	      t.mine_frees == 513 && t.last_mine_ns == 1000 + 2001);
	CHECK("scope: pgmap references: 1 the command's, 4 the other job's, kworker's put counted",
	      leak_extra_refs_mine(&t) == 1 && leak_extra_refs(&t) == 5);
	CHECK("scope: nothing lost to memory", t.st.oom == 0);
	ng = leak_groups(&t, flat_stack, NULL, NULL, 0, &g);
	for (i = 0; i < ng; i++) {
		if (g[i].mine && g[i].pid == 2000)
			mine += g[i].count;
		else if (g[i].mine)
			mine += 1000;	/* anyone else is wrong */
		else if (g[i].pid == 2000)
			other_2000 += g[i].count;
		else
			other += g[i].count;
	}
	CHECK("scope: groups: the command's 4 pages apart from the others' 4, reused pid 2000 among them",
	      ng == 4 && mine == 4 && other == 3 && other_2000 == 1);
	free(g);
	leak_tracker_free(&t);

	/* The same records unscoped (a recording without a command): all count. */
	memset(&t, 0, sizeof(t));
	scope_feed(&t);
	CHECK("unscoped: all 8 pages out are judged, and all 5 references",
	      t.out_mine == 8 && t.out_other == 0 && leak_extra_refs_mine(&t) == 5);
	leak_tracker_free(&t);

	/* A tree never seen (no fork record for the root): unscope judges all. */
	memset(&t, 0, sizeof(t));
	leak_tracker_scope(&t, 4242);
	scope_feed(&t);
	CHECK("a root never seen: nothing is the command's", t.tree_seen == 0 && t.out_mine == 0);
	leak_tracker_unscope(&t);
	ng = leak_groups(&t, flat_stack, NULL, NULL, 0, &g);
	for (i = 0, mine = 0; i < ng; i++)
		mine += g[i].mine ? g[i].count : 1000;
	CHECK("unscope: then all 8 pages and 5 references are judged",
	      t.out_mine == 8 && t.out_other == 0 && mine == 8 && leak_extra_refs_mine(&t) == 5);
	free(g);
	leak_tracker_free(&t);

	/* Fallback modes (refs_on_free): the free drops the page's reference. */
	memset(&t, 0, sizeof(t));
	t.st.refs_on_free = true;
	leak_tracker_scope(&t, 1000);
	ltask(&t, DEVMEM_REC_TASK_FORK, 1000, 2000);
	lpage(&t, DEVMEM_REC_PAGE_INIT, 2000, 40, 0xa000, 1);
	lpage(&t, DEVMEM_REC_PAGE_INIT, 2000, 41, 0xa000, 1);
	lref(&t, DEVMEM_REC_GET_PGMAP, 2000, 0xa000, 3);	/* not held: no puts seen */
	lpage(&t, DEVMEM_REC_FOLIO_FREE, 7, 40, 0xa000, 1);
	CHECK("refs_on_free: 1 page out, no reference beyond it",
	      t.out_mine == 1 && leak_extra_refs_mine(&t) == 0 && leak_extra_refs(&t) == 0);
	leak_tracker_free(&t);
}

static void test_lost(void)
{
	uint64_t drops[DEVMEM_DROP_MAX], lost = 0, no_stack = 0;
	unsigned i;

	for (i = 0; i < DEVMEM_DROP_MAX; i++)
		drops[i] = 1ull << (4 * i);	/* 1, 16, 256, 4096, 65536, 1048576 */
	CHECK("lost: every drop but no_stack, recursion misses and the rest",
	      devmem_lost(drops, 7, 100) == 1 + 16 + 256 + 4096 + 1048576 + 7 + 100);
	CHECK("lost: END with every key gives the same figure as live",
	      devmem_lost_from_end("end_ns=5\nrecords=9\ndropped=1118333\nringbuf_full=1\n"
				   "pgmap_map_full=16\nproc_map_full=256\npage_map_full=4096\n"
				   "no_stack=65536\nprobe_missed=1048576\nrecursion_misses=7\n"
				   "bad_records=60\nwrite_errors=40\nevents_seen=3\n", &lost, &no_stack) == 0 &&
	      lost == devmem_lost(drops, 7, 100) && no_stack == 65536);
	CHECK("lost: no_stack alone is not lost, live or recorded",
	      devmem_lost((uint64_t[DEVMEM_DROP_MAX]){ [DEVMEM_DROP_STACK] = 5 }, 0, 0) == 0 &&
	      devmem_lost_from_end("dropped=5\nringbuf_full=0\nno_stack=5\n", &lost, &no_stack) == 0 &&
	      lost == 0 && no_stack == 5);
	CHECK("lost: an older END with only the total is taken at it",
	      devmem_lost_from_end("records=3\ndropped=12\n", &lost, &no_stack) == 0 && lost == 12);
	CHECK("lost: an END without figures, or none, is no verdict",
	      devmem_lost_from_end("records=3\n", &lost, &no_stack) == -1 &&
	      devmem_lost_from_end(NULL, &lost, &no_stack) == -1 &&
	      devmem_lost_from_end("ringbuf_fullx=0\ndropped=x\n", &lost, &no_stack) == -1);
}

int main(void)
{
	test_leak_scope();
	test_lost();
	return failures ? 1 : 0;
}
