// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the hash table (tools/lib/u64map.c) and of memory that
 * stays flat, built with ASan and UBSan: the table against a plain array,
 * then the table, the state and the leak tracker through 10 million page
 * inits and frees. One PASS/FAIL line per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "leaks.h"
#include "replay.h"
#include "state.h"
#include "u64map.h"
#define CHECK_GROUP "lib"
#include "check.h"
#include "records.h"

static void test_u64map(void)
{
	struct u64map m = { 0 };
	uint64_t i, v, bad = 0;

	for (i = 1; i <= 100000; i++)
		if (u64map_put(&m, i * 7919, i))
			bad++;
	for (i = 1; i <= 100000; i += 2)
		u64map_del(&m, i * 7919);
	for (i = 1; i <= 100000; i++) {
		bool there = u64map_get(&m, i * 7919, &v);

		if (there != !(i & 1) || (there && v != i))
			bad++;
	}
	CHECK("u64map keeps 100000 keys through deletes", bad == 0 && m.live == 50000);
	CHECK("u64map refuses key 0", u64map_put(&m, 0, 1) != 0);
	u64map_free(&m);
}

/*
 * Memory that stays flat however long a tool runs: 10 million pages handed
 * out and freed, at most FLAT_WINDOW out at a time (pfns never reused, the
 * worst case for the hash tables). The capacities are the check; RSS, from
 * /proc/self/statm, is a second one with a bound loose enough for ASan.
 * Under ASan at -O1 the three take about 1, 2 and 4 s of CPU: still the
 * full 10M, as the issue asks.
 */
#define FLAT_OPS	10000000ull
#define FLAT_WINDOW	1000ull
#define FLAT_MAX_CAP	4096	/* 1000 live keys fit in 2048 slots */
#define FLAT_RSS_KIB	(8 * 1024)
#define FLAT_PFN0	0x100000ull
#define FLAT_PGMAP	0xb000ull
#define FLAT_PIDS	4
#define FLAT_STACKS	3

static long rss_kib(void)
{
	long size, resident = -1;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static bool rss_flat(const char *what, long before)
{
	long after = rss_kib();

	printf("info lib: %s: RSS %ld KiB before, %ld KiB after (+%ld KiB)\n",
	       what, before, after, after - before);
	return before > 0 && after > 0 && after - before < FLAT_RSS_KIB;
}

static void test_u64map_flat(void)
{
	struct u64map m = { 0 };
	uint64_t i, v, bad = 0;
	size_t maxcap = 0;
	long rss = rss_kib();

	for (i = 1; i <= FLAT_OPS; i++) {
		if (u64map_put(&m, i, i * 3))
			bad++;
		if (i > FLAT_WINDOW && !u64map_del(&m, i - FLAT_WINDOW))
			bad++;
		if (u64map_capacity(&m) > maxcap)
			maxcap = u64map_capacity(&m);
	}
	printf("info lib: u64map: %llu put/del, %zu live: capacity %zu, at most %zu\n",
	       FLAT_OPS, u64map_count(&m), u64map_capacity(&m), maxcap);
	CHECK("u64map: 10M put/del with 1000 live keys never needs more than 4096 slots",
	      bad == 0 && maxcap <= FLAT_MAX_CAP);
	for (i = 1; i <= FLAT_OPS; i++) {
		bool there = u64map_get(&m, i, &v);

		if (there != (i > FLAT_OPS - FLAT_WINDOW) || (there && v != i * 3))
			bad++;
		if (i == 1000)	/* the deleted keys: a sample is enough */
			i = FLAT_OPS - 2 * FLAT_WINDOW;
	}
	CHECK("u64map: after 10M put/del exactly the last 1000 keys are there",
	      bad == 0 && u64map_count(&m) == FLAT_WINDOW);
	CHECK("u64map: RSS flat through 10M put/del", rss_flat("u64map", rss));

	/* Grow big, then empty it: it gives the memory back. */
	for (i = 1; i <= 100000; i++)
		u64map_put(&m, i * 7919, i);
	maxcap = u64map_capacity(&m);
	for (i = 1; i <= 100000; i++)
		if (i > 10 && !u64map_del(&m, i * 7919))
			bad++;
	printf("info lib: u64map: 101000 keys in %zu slots; 1010 left in %zu\n",
	       maxcap, u64map_capacity(&m));
	CHECK("u64map: shrinks to 4096 slots when 101000 keys fall to 1010",
	      bad == 0 && maxcap == 262144 && u64map_capacity(&m) == 4096);
	for (i = FLAT_OPS - FLAT_WINDOW + 1; i <= FLAT_OPS; i++)
		u64map_del(&m, i);
	for (i = 1; i <= 10; i++)
		if (!u64map_get(&m, i * 7919, &v) || v != i)
			bad++;
	CHECK("u64map: shrinks to its minimum size with 10 keys left, keeping them",
	      bad == 0 && u64map_count(&m) == 10 && u64map_capacity(&m) == U64MAP_MIN_CAP);
	u64map_free(&m);
}

/* Random put/del/get against a plain array, through growing and shrinking
 * phases: deleted slots reused, cleaned in place, tables resized. */
static void test_u64map_model(void)
{
	enum { KEYS = 20000 };
	static uint64_t model[KEYS + 1];	/* 0: absent */
	struct u64map m = { 0 };
	uint64_t seed = 42, v, bad = 0, live = 0, k, op;
	size_t caps = 0, last = 0;

	for (op = 0; op < 2000000; op++) {
		/* phase: keys up to 20000, up to 2000, up to 100: grow and shrink */
		uint64_t span = (op / 250000) % 3 == 0 ? KEYS : (op / 250000) % 3 == 1 ? 2000 : 100;
		int what;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		k = (seed >> 33) % span + 1;
		what = (seed >> 20) % 8;
		if ((op / 250000) % 3 == 0 && what == 7)
			what = 0;	/* grow phase: more puts */
		if ((op / 250000) % 3 != 0 && what < 2)
			k = (seed >> 40) % KEYS + 1, what = 5;	/* shrink phases: delete anywhere */
		if (what < 4) {
			if (u64map_put(&m, k * 0x9e3779b97f4a7c15ull, op + 1))
				bad++;
			live += !model[k];
			model[k] = op + 1;
		} else if (what < 6) {
			if (u64map_del(&m, k * 0x9e3779b97f4a7c15ull) != !!model[k])
				bad++;
			live -= !!model[k];
			model[k] = 0;
		} else if (u64map_get(&m, k * 0x9e3779b97f4a7c15ull, &v) != !!model[k] ||
			   (model[k] && v != model[k])) {
			bad++;
		}
		if (u64map_count(&m) != live || (m.cap && m.used * 4 > m.cap * 3))
			bad++;
		if (u64map_capacity(&m) != last) {
			last = u64map_capacity(&m);
			caps++;
		}
	}
	for (k = 1; k <= KEYS; k++)
		if (u64map_get(&m, k * 0x9e3779b97f4a7c15ull, &v) != !!model[k] ||
		    (model[k] && v != model[k]))
			bad++;
	printf("info lib: u64map model: %zu capacity changes, %llu keys in %zu slots at the end\n",
	       caps, (unsigned long long)live, u64map_capacity(&m));
	CHECK("u64map matches a plain array through 2M random put/del/get, growing and shrinking",
	      bad == 0 && caps > 6);
	u64map_free(&m);
}

/* Page i: pid 100 + i % 4, stack i % 3; built from templates (no snprintf
 * per record: it would be most of the time). */
static struct devmem_rec_page flat_rec(unsigned type, uint64_t i)
{
	static struct devmem_rec_page tmpl[FLAT_PIDS];
	struct devmem_rec_page r;

	if (!tmpl[0].hdr.size)
		for (r.hdr.pid = 0; r.hdr.pid < FLAT_PIDS; r.hdr.pid++)
			tmpl[r.hdr.pid] = page_rec(0, 100 + r.hdr.pid, 0, FLAT_PGMAP);
	r = tmpl[i % FLAT_PIDS];
	r.hdr.type = type;
	r.hdr.ts_ns = i + 1;
	r.pfn = FLAT_PFN0 + i;
	r.stack_id = i % FLAT_STACKS;
	return r;
}

/* 10M inits, each page freed FLAT_WINDOW inits later, as the tools feed them. */
static void flat_feed(const struct devmem_ops *ops, void *ctx, uint64_t *bad)
{
	struct devmem_rec_page r;
	uint64_t i;

	for (i = 0; i < FLAT_OPS; i++) {
		r = flat_rec(DEVMEM_REC_PAGE_INIT, i);
		if (devmem_replay_record(&r, sizeof(r), ops, ctx))
			(*bad)++;
		if (i < FLAT_WINDOW)
			continue;
		r = flat_rec(DEVMEM_REC_FOLIO_FREE, i - FLAT_WINDOW);
		r.hdr.pid = 1;	/* freed by someone else: still counts against the owner */
		if (devmem_replay_record(&r, sizeof(r), ops, ctx))
			(*bad)++;
	}
}

static bool flat_state(const struct devmem_state *st, uint64_t inits, uint64_t frees)
{
	const struct devmem_pgmap_row *pg = st->nr_pgmaps == 1 ? &st->pgmaps[0] : NULL;
	int64_t held = 0;
	size_t i;

	for (i = 0; i < st->nr_procs; i++)
		if (st->procs[i].pid >= 100 && st->procs[i].pid < 100 + FLAT_PIDS &&
		    st->procs[i].held == (int64_t)FLAT_WINDOW / FLAT_PIDS &&
		    st->procs[i].inits == FLAT_OPS / FLAT_PIDS)
			held += st->procs[i].held;
	printf("info lib: state: %llu inits, %llu frees, %lld live; page_owner %zu keys in %zu slots, "
	       "proc_idx %zu, pgmap_idx %zu slots\n",
	       pg ? (unsigned long long)pg->inits : 0, pg ? (unsigned long long)pg->frees : 0,
	       pg ? (long long)devmem_pgmap_live(pg) : 0, u64map_count(&st->page_owner),
	       u64map_capacity(&st->page_owner), u64map_capacity(&st->proc_idx),
	       u64map_capacity(&st->pgmap_idx));
	return pg && pg->pgmap == FLAT_PGMAP && pg->inits == inits && pg->frees == frees &&
	       devmem_pgmap_live(pg) == (int64_t)FLAT_WINDOW && st->nr_procs == FLAT_PIDS &&
	       held == (int64_t)FLAT_WINDOW && st->events == inits + frees &&
	       u64map_count(&st->page_owner) == FLAT_WINDOW &&
	       u64map_capacity(&st->page_owner) <= FLAT_MAX_CAP &&
	       u64map_capacity(&st->proc_idx) == U64MAP_MIN_CAP &&
	       u64map_capacity(&st->pgmap_idx) == U64MAP_MIN_CAP;
}

static void test_state_flat(void)
{
	struct devmem_state st = { 0 };
	uint64_t bad = 0;
	long rss = rss_kib();

	flat_feed(&devmem_state_ops, &st, &bad);
	CHECK("state: 10M page inits and frees replayed, every record accepted", bad == 0);
	CHECK("state: after 10M inits and frees the counts are exact and page_owner has <= 4096 slots",
	      flat_state(&st, FLAT_OPS, FLAT_OPS - FLAT_WINDOW));
	CHECK("state: RSS flat through 10M page inits and frees", rss_flat("state", rss));
	devmem_state_free(&st);
}

static void test_leaks_flat(void)
{
	struct leak_tracker t = { 0 };
	struct devmem_rec_page r;
	struct leak_group *g = NULL;
	size_t ng, i, j, maxcap = 0;
	uint64_t bad = 0, total = 0, k;
	long rss = rss_kib();

	/* pfn 7 handed out twice with no free seen between: one stays out. */
	r = page_rec(DEVMEM_REC_PAGE_INIT, 99, 7, FLAT_PGMAP);
	r.hdr.ts_ns = 0;	/* the oldest of all */
	devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t.st);
	devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t.st);
	r.hdr.type = DEVMEM_REC_FOLIO_FREE;
	devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t.st);
	/* The 10M, as flat_feed() does, watching the page array's size. */
	for (k = 0; k < FLAT_OPS; k++) {
		r = flat_rec(DEVMEM_REC_PAGE_INIT, k);
		devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t.st);
		if (k >= FLAT_WINDOW) {
			r = flat_rec(DEVMEM_REC_FOLIO_FREE, k - FLAT_WINDOW);
			r.hdr.pid = 1;
			devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t.st);
		}
		if (t.cap > maxcap)
			maxcap = t.cap;
	}
	printf("info lib: leaks: %zu entries in %zu slots (at most %zu); idx %zu slots\n",
	       t.n, t.cap, maxcap, u64map_capacity(&t.idx));
	CHECK("leaks: 10M inits and frees never need more than 4096 page slots",
	      maxcap <= FLAT_MAX_CAP && u64map_capacity(&t.idx) <= FLAT_MAX_CAP &&
	      u64map_count(&t.idx) == FLAT_WINDOW && t.st.oom == 0);
	/* pfn 7 adds two inits, one free and pid 99's row. */
	CHECK("leaks: the state under the tracker is exact too",
	      t.st.nr_pgmaps == 1 && t.st.pgmaps[0].inits == FLAT_OPS + 2 &&
	      t.st.pgmaps[0].frees == FLAT_OPS - FLAT_WINDOW + 1 &&
	      devmem_pgmap_live(&t.st.pgmaps[0]) == (int64_t)FLAT_WINDOW + 1 &&
	      t.st.nr_procs == FLAT_PIDS + 1);
	/* The tracker charges frees to the holders: one pfn map, not two. */
	for (i = 0, k = 0; i < t.st.nr_procs; i++)
		k += t.st.procs[i].held != (t.st.procs[i].pid == 99 ? 1 :
					    (int64_t)(FLAT_WINDOW / FLAT_PIDS));
	CHECK("leaks: each process holds exactly its pages still out (pid 1 freed them all), "
	      "and the state keeps no second pfn map",
	      k == 0 && u64map_count(&t.st.page_owner) == 0 && u64map_capacity(&t.st.page_owner) == 0);

	/* Exactly the pages still out: the last 1000, plus pfn 7's first. */
	ng = leak_groups(&t, flat_stack, NULL, NULL, 0, &g);
	for (i = 0; i < ng; i++) {
		uint64_t count = 0, oldest = UINT64_MAX;
		char want[32];

		total += g[i].count;
		if (g[i].pid == 99) {
			if (g[i].count != 1 || g[i].oldest_ns != 0 || strcmp(g[i].stack, "stack-1") ||
			    strcmp(g[i].comm, "p99"))
				bad++;
			continue;
		}
		for (k = FLAT_OPS - FLAT_WINDOW; k < FLAT_OPS; k++)
			if (100 + k % FLAT_PIDS == g[i].pid &&
			    (snprintf(want, sizeof(want), "stack%d", (int)(k % FLAT_STACKS)),
			     !strcmp(want, g[i].stack))) {
				count++;
				if (k + 1 < oldest)
					oldest = k + 1;
			}
		snprintf(want, sizeof(want), "p%u", g[i].pid);
		if (g[i].count != count || g[i].oldest_ns != oldest || g[i].pgmap != FLAT_PGMAP ||
		    strcmp(g[i].comm, want))
			bad++;
		for (j = 0; j < i; j++)
			if (g[j].count < g[i].count)
				bad++;
	}
	printf("info lib: leaks: %zu groups, %llu pages still out\n", ng, (unsigned long long)total);
	CHECK("leaks: after 10M inits and frees it reports exactly the 1001 pages still out",
	      bad == 0 && ng == FLAT_PIDS * FLAT_STACKS + 1 && total == FLAT_WINDOW + 1);
	free(g);
	CHECK("leaks: RSS flat through 10M page inits and frees", rss_flat("leaks", rss));

	/* Free everything but pfn 7's stray entry: the array shrinks back. */
	for (k = FLAT_OPS - FLAT_WINDOW; k < FLAT_OPS; k++) {
		r = flat_rec(DEVMEM_REC_FOLIO_FREE, k);
		devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t.st);
	}
	ng = leak_groups(&t, flat_stack, NULL, NULL, 0, &g);
	printf("info lib: leaks: all freed: %zu entries in %zu slots, idx %zu slots\n",
	       t.n, t.cap, u64map_capacity(&t.idx));
	CHECK("leaks: all freed but one: only that page is reported, small arrays",
	      ng == 1 && g[0].pid == 99 && g[0].count == 1 && t.cap <= 1024 &&
	      u64map_capacity(&t.idx) == U64MAP_MIN_CAP);
	free(g);
	leak_tracker_free(&t);
}

int main(void)
{
	test_u64map();
	test_u64map_model();
	test_u64map_flat();
	test_state_flat();
	test_leaks_flat();
	return failures ? 1 : 0;
}
