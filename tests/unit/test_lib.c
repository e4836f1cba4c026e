// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of tools/lib, built with ASan and UBSan: the replay path's
 * validation, the state the callbacks build, the hash table, the debugfs
 * parser, the JSON writer, and that the hash table, the state and the leak
 * tracker stay the same size through 10 million page inits and frees.
 * Prints one PASS/FAIL line per check.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "json.h"
#include "leaks.h"
#include "lost.h"
#include "replay.h"
#include "state.h"
#include "u64map.h"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS lib: %s\n", name); \
	else { printf("FAIL lib: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

static void hdr(struct devmem_rec_hdr *h, unsigned type, unsigned size, unsigned pid)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->size = size;
	h->pid = pid;
	snprintf(h->comm, sizeof(h->comm), "p%u", pid);
}

static struct devmem_rec_page page_rec(unsigned type, unsigned pid, uint64_t pfn, uint64_t pgmap)
{
	struct devmem_rec_page r;

	hdr(&r.hdr, type, sizeof(r), pid);
	r.pfn = pfn;
	r.pgmap = pgmap;
	r.type = DEVMEM_PGMAP_PRIVATE;
	r.stack_id = -1;
	r.nr_pages = 1;
	r.flags = 0;
	return r;
}

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
	st.refs_on_free = true;
	r = page_rec(DEVMEM_REC_FOLIO_FREE, 10, 503, 0xa000);
	feed(&st, &r);
	CHECK("refs_on_free: a free drops the reference", st.pgmaps[0].refs == 1);

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

static void test_seed_debugfs(void)
{
	char path[] = "/tmp/devmem-pgmaps-XXXXXX";
	struct devmem_state st = { 0 };
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("# pgmap type start end owner nr_pages live_pages\n"
	      "0000000082ec8606 coherent 0x40000000 0x4fffffff 000000003a559b50 65536 3\n"
	      "garbage line\n"
	      "00000000bdd6a09e private 0xffe0000000 0xffefffffff 00000000158ff02b 65536 0\n", f);
	fclose(f);
	CHECK("debugfs seed reads the well-formed lines", devmem_state_seed_debugfs(&st, path) == 2);
	CHECK("debugfs seed keeps type, range and live pages",
	      st.pgmaps[0].type == DEVMEM_PGMAP_COHERENT && st.pgmaps[0].start == 0x40000000 &&
	      devmem_pgmap_live(&st.pgmaps[0]) == 3 && st.pgmaps[1].type == DEVMEM_PGMAP_PRIVATE);
	devmem_state_pgmap_meta(&st, 0xdead000, 0x40000000, 0x4fffffff, DEVMEM_PGMAP_COHERENT, 1, 65536);
	CHECK("the BPF side's address adopts the seeded row by start",
	      st.nr_pgmaps == 2 && st.pgmaps[0].pgmap == 0xdead000);
	unlink(path);
	CHECK("a missing file is an error, not a crash",
	      devmem_state_seed_debugfs(&st, "/nonexistent/pgmaps") < 0);
	devmem_state_free(&st);
}

static void test_json(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_begin(&j, f);
	json_obj_open(&j, NULL);
	json_str(&j, "comm", "a\"b\\c\n\x01");
	json_arr_open(&j, "xs");
	json_u64(&j, NULL, 1);
	json_i64(&j, NULL, -2);
	json_arr_close(&j);
	json_hex(&j, "p", 0xff);
	json_double(&j, "r", 0.0 / 0.0);
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	CHECK("json escapes strings and places commas",
	      !strcmp(buf, "{\"comm\":\"a\\\"b\\\\c\\u000a\\u0001\",\"xs\":[1,-2],\"p\":\"0xff\",\"r\":null}\n"));
	free(buf);
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

static const char *flat_stack(void *ctx, int32_t id, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, "stack%d", (int)id);
	return buf;
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
	devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t);
	devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t);
	r.hdr.type = DEVMEM_REC_FOLIO_FREE;
	devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t);
	/* The 10M, as flat_feed() does, watching the page array's size. */
	for (k = 0; k < FLAT_OPS; k++) {
		r = flat_rec(DEVMEM_REC_PAGE_INIT, k);
		devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t);
		if (k >= FLAT_WINDOW) {
			r = flat_rec(DEVMEM_REC_FOLIO_FREE, k - FLAT_WINDOW);
			r.hdr.pid = 1;
			devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t);
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
	      t.st.nr_procs == FLAT_PIDS + 1 && u64map_count(&t.st.page_owner) == FLAT_WINDOW &&
	      u64map_capacity(&t.st.page_owner) <= FLAT_MAX_CAP);

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
		devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t);
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


/* Records through the tracker's replay ops, as the ring buffer gives them. */
static void lfeed(struct leak_tracker *t, const void *rec)
{
	devmem_replay_record(rec, ((const struct devmem_rec_hdr *)rec)->size, leak_tracker_ops(), t);
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
	test_abi2_pages();
	test_replay_validation();
	test_state_accounting();
	test_u64map();
	test_seed_debugfs();
	test_json();
	test_u64map_model();
	test_u64map_flat();
	test_state_flat();
	test_leaks_flat();
	test_leak_scope();
	test_lost();
	return failures ? 1 : 0;
}
