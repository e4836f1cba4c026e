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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "httpd.h"
#include "json.h"
#include "late_start.h"
#include "ksyms.h"
#include "exit_codes.h"
#include "leaks.h"
#include "output.h"
#include "pgmap_names.h"
#include "lost.h"
#include "metrics.h"
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
 * docs/exit-codes.md and the table the tools print from say the same: each
 * entry is a row of the document, and the document has no other row.
 */
static void test_exit_codes_doc(void)
{
	static const char *const names[] = { "devmemtop", "devmemrec", "devmemreport", "devmemleak" };
	FILE *f = fopen("docs/exit-codes.md", "r");
	char line[512], row[512];
	unsigned int i, t, rows = 0, found = 0;

	for (i = 0; f && i < devmem_nr_exit_codes; i++) {
		const struct devmem_exit_code *e = &devmem_exit_codes[i];
		char code[16] = "*", tools[128] = "";

		if (e->code >= 0)
			snprintf(code, sizeof(code), "%d", e->code);
		if (e->tools == 0xf) {
			snprintf(tools, sizeof(tools), "all");
		} else {
			for (t = 0; t < 4; t++)
				if (e->tools & (1u << t))
					snprintf(tools + strlen(tools), sizeof(tools) - strlen(tools),
						 "%s%s", tools[0] ? ", " : "", names[t]);
		}
		snprintf(row, sizeof(row), "| %s | %s | %s | %s |\n", code, e->name, tools, e->meaning);
		rewind(f);
		while (fgets(line, sizeof(line), f))
			if (!strcmp(line, row)) {
				found++;
				break;
			}
		if (strcmp(line, row))
			printf("info lib: docs/exit-codes.md lacks the row %s", row);
	}
	if (f) {
		rewind(f);
		while (fgets(line, sizeof(line), f))
			if (line[0] == '|' && (line[2] == '*' || (line[2] >= '0' && line[2] <= '9')))
				rows++;
		fclose(f);
	}
	CHECK("docs/exit-codes.md has exactly the rows of tools/lib/exit_codes.c",
	      f && found == devmem_nr_exit_codes && rows == devmem_nr_exit_codes);
}

/* A comm holds any bytes: the JSON stays valid and loses none of them. */
static void test_json_bytes(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_begin(&j, f);
	json_obj_open(&j, NULL);
	/* é (valid), a lone continuation byte, 0xff, an overlong '/', a
	 * surrogate, then 'ü' cut after its first byte as the kernel cuts comm */
	json_str(&j, "c", "\xc3\xa9\x80\xff\xc0\xaf\xed\xa0\x80x\xc3");
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	CHECK("json keeps valid UTF-8 and escapes every other byte as \\u00XX",
	      !strcmp(buf, "{\"c\":\"\xc3\xa9\\u0080\\u00ff\\u00c0\\u00af\\u00ed\\u00a0\\u0080x\\u00c3\"}\n"));
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

/* Drivers and devices by name (tools/lib/pgmap_names.c). */
static const char sample_iomem[] =
	"00000000-00000fff : Reserved\n"
	"00100000-3fffffff : System RAM\n"
	"  01000000-015fffff : Kernel code\n"
	"not an iomem line\n"
	"c0000000-febfffff : PCI Bus 0000:00\n"
	"  e0000000-efffffff : PCI Bus 0000:01\n"
	"    e0000000-efffffff : 0000:01:00.0\n"
	"      e0000000-e7ffffff : nvidia-uvm-hmm\n"
	"  f0000000-f0ffffff : 0000:00:02.0\n"
	"40000000-5fffffff : Reserved\n"
	"ffe0000000-ffefffffff : hmm_dmirror\n"
	"fff0000000-ffffffffff : hmm_dmirror\n"
	"38000000000-38fffffffff : 0000:03:00.0\n";

static const char sample_kallsyms[] =
	"0000000000000000 A fixed_percpu_data\n"
	"0000000000012340 D cpu_number\n"
	"ffffffff81227384 t dmirror_snapshot_invalidate\n"
	"ffffffff816324e0 d dmirror_devmem_ops\n"
	"ffffffff81e73d60 b dmirror_devices\n"
	"ffffffff81e747a0 b dmirror_dev\n"
	"ffffffffc0a01000 d uvm_pmm_devmem_ops\t[nvidia_uvm]\n"
	"ffffffffc0b02000 d foo_pagemap_ops\t[foo_gpu]\n"
	"ffffffffc0b02040 d foo_devices\t[foo_gpu]\n"
	"ffffffffc0c03000 d nouveau_dmem_pagemap_ops\t[nouveau]\n";

static void test_driver_names(void)
{
	static const struct { const char *sym, *mod, *res, *want; } cases[] = {
		{ "dmirror_devmem_ops", NULL, NULL, "test_hmm" },
		{ "dmirror_devices", "", "", "test_hmm" },	/* test_hmm's owner cookie */
		{ "svm_migrate_pgmap_ops", "amdgpu", NULL, "amdgpu" },
		{ "nouveau_dmem_pagemap_ops", "nouveau", NULL, "nouveau" },
		{ "xe_pagemap_ops", "xe", NULL, "xe" },
		{ "drm_pagemap_pagemap_ops", "drm_gpusvm_helper", NULL, "xe" },
		{ "uvm_pmm_devmem_ops", "nvidia_uvm", NULL, "nvidia-uvm" },
		{ "p2pdma_pgmap_ops", NULL, NULL, "p2pdma" },
		/* not in the table: the module, then the device, then the symbol */
		{ "foo_pagemap_ops", "foo_gpu", "hmm_dmirror", "foo_gpu" },
		{ "foo_pagemap_ops", NULL, "nouveau_dmem", "nouveau" },
		{ "foo_pagemap_ops", NULL, "0000:03:00.0", "foo_pagemap_ops" },
		{ NULL, NULL, "nvidia-uvm-hmm", "nvidia-uvm" },
		{ NULL, NULL, "hmm_dmirror", "test_hmm" },
		{ NULL, NULL, NULL, "unknown" },
		{ "", "", "not-in-iomem", "unknown" },
		{ "bad name,\"#/x", NULL, NULL, "bad_name____x" },	/* safe in text and CSV */
	};
	char buf[DEVMEM_NAME_LEN], what[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pgmap_driver_name(cases[i].sym, cases[i].mod, cases[i].res, buf, sizeof(buf));
		snprintf(what, sizeof(what), "driver of symbol %s [%s], device %s is %s",
			 cases[i].sym ? cases[i].sym : "(none)", cases[i].mod ? cases[i].mod : "",
			 cases[i].res ? cases[i].res : "(none)", cases[i].want);
		CHECK(what, !strcmp(buf, cases[i].want));
	}
	CHECK("PCI device names are told from bus windows",
	      pgmap_is_pci_name("0000:03:00.0") && !pgmap_is_pci_name("PCI Bus 0000:00") &&
	      !pgmap_is_pci_name("0000:03:00.0x") && !pgmap_is_pci_name("0000:03:00"));
}

static void test_iomem(void)
{
	struct iomem io;
	long r, pci;

	CHECK("iomem sample parses", iomem_parse(sample_iomem, &io) == 0);
	CHECK("iomem keeps every resource line, skips the rest", io.n == 12);
	CHECK("iomem reads depth from indentation and cleans names",
	      io.res[6].depth == 3 && !strcmp(io.res[3].name, "PCI_Bus_0000:00"));
	r = iomem_find(&io, 0xe0100000, 0xe01fffff, &pci);
	CHECK("a range under a PCI BAR: the innermost resource and its PCI device",
	      r == 6 && !strcmp(io.res[r].name, "nvidia-uvm-hmm") && pci == 5 &&
	      !strcmp(io.res[pci].name, "0000:01:00.0"));
	r = iomem_find(&io, 0xe8000000, 0xe8ffffff, &pci);
	CHECK("a range in the BAR but outside its child: the BAR itself", r == 5 && pci == 5);
	r = iomem_find(&io, 0xf0000000, 0xf00fffff, &pci);
	CHECK("a BAR named after its device is device and PCI device at once", r == 7 && pci == 7);
	r = iomem_find(&io, 0xfff0000000, 0xffffffffff, &pci);
	CHECK("test_hmm's private range is hmm_dmirror, not under PCI",
	      r == 10 && !strcmp(io.res[r].name, "hmm_dmirror") && pci == -1);
	r = iomem_find(&io, 0x38000100000, 0x39000ffffff, &pci);
	CHECK("a range that spills out of its resource is not said to be in it", r == -1);
	r = iomem_find(&io, 0x40000000, 0x4fffffff, &pci);
	CHECK("a memmap= carve-out (\"Reserved\" once the kernel has PCI) names no device",
	      r == -1 && pci == -1);
	iomem_free(&io);
	CHECK("an empty iomem parses to nothing", iomem_parse("", &io) == 0 && io.n == 0 &&
	      iomem_find(&io, 1, 2, &pci) == -1);
	iomem_free(&io);
}

static void test_ksyms_resolve(void)
{
	struct ksym_hit h[5] = {
		{ .addr = 0xffffffff81e73d60 + 0x5a0 },	/* dmirror_devices[1] */
		{ .addr = 0xffff888012345678 },		/* a heap pointer */
		{ .addr = 0xffffffffc0a01000 },		/* a module's ops */
		{ .addr = 0xffffffffc0b02048 },
		{ .addr = 0x10 },
	};
	FILE *f = fmemopen((void *)sample_kallsyms, strlen(sample_kallsyms), "r");

	pgmap_ksyms_resolve(f, h, 5);
	fclose(f);
	CHECK("kallsyms names a static owner cookie with its offset",
	      h[0].found && !strcmp(h[0].sym, "dmirror_devices") && h[0].off == 0x5a0 && !h[0].mod[0]);
	CHECK("a heap pointer is named by nothing (not the last per-CPU symbol)", !h[1].found);
	CHECK("a module symbol carries its module",
	      h[2].found && !strcmp(h[2].sym, "uvm_pmm_devmem_ops") && !strcmp(h[2].mod, "nvidia_uvm"));
	CHECK("the nearest symbol below wins, in any order",
	      h[3].found && !strcmp(h[3].sym, "foo_devices") && h[3].off == 8);
	CHECK("absolute symbols name nothing", !h[4].found);
	f = fmemopen((void *)"0000000000000000 T _text\n0000000000000000 b dmirror_devices\n", 58, "r");
	pgmap_ksyms_resolve(f, h, 1);
	fclose(f);
	CHECK("kallsyms without root (all zeros) names nothing", !h[0].found);
}

/*
 * The stack a tracepoint program takes, leaf first: its own frame, the
 * tracepoint's, then the caller's. Whether or not kallsyms still listed the
 * program when it was read, the text starts at the traced function.
 */
static void test_stack_text(void)
{
	static const char with_prog[] =
		"ffffffff81000000 T _text\n"
		"ffffffff81001000 T zone_device_page_init\n"
		"ffffffff81002000 t __traceiter_devmem_page_init\n"
		"ffffffff81003000 T bpf_trace_run1\n"
		"ffffffff81004000 T dmirror_migrate_to_device.constprop.0\n"
		"ffffffff81a00000 T asm_sysvec_apic_timer_interrupt\n"
		"ffffffff81a01000 D some_data\n"
		"ffffffffa0001000 t bpf_prog_6deef7357e7b4530_on_page_init\t[bpf]\n"
		"ffffffffa0100000 t bpf_trampoline_6442491234\t[bpf]\n";
	uint64_t tp[6] = { 0xffffffffa0001040, 0xffffffff81003010, 0xffffffff81002020,
			   0xffffffff81001030, 0xffffffff81004040, 0 };
	uint64_t fentry[4] = { 0xffffffffa0001040, 0xffffffffa0100020, 0xffffffff81001000,
			       0xffffffff81004040 };
	const char *want = "zone_device_page_init+0x30;dmirror_migrate_to_device.constprop.0+0x40";
	struct ksyms k;
	char buf[512], name[64];
	FILE *f = fmemopen((void *)with_prog, strlen(with_prog), "r");

	CHECK("kallsyms text: the 8 text symbols, data left out", !ksyms_read(&k, f) && k.n == 8);
	fclose(f);
	CHECK("a tracepoint stack starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, tp, 6, buf, sizeof(buf)), want));
	CHECK("an fentry stack starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, fentry, 4, buf, sizeof(buf)),
		      "zone_device_page_init+0;dmirror_migrate_to_device.constprop.0+0x40"));
	ksyms_free(&k);

	/* The same stack, read while kallsyms no longer listed the programs. */
	f = fmemopen((void *)with_prog, strstr(with_prog, "ffffffffa0001000") - with_prog, "r");
	CHECK("kallsyms text without the programs", !ksyms_read(&k, f) && k.n == 6);
	fclose(f);
	CHECK("a program kallsyms lost is not named after the kernel's last function",
	      !strcmp(ksyms_name(&k, 0xffffffffa0001040, name, sizeof(name)), "0xffffffffa0001040"));
	CHECK("... and a tracepoint stack still starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, tp, 6, buf, sizeof(buf)), want));
	CHECK("... and an fentry stack too",
	      !strcmp(ksyms_stack_text(&k, fentry, 4, buf, sizeof(buf)),
		      "zone_device_page_init+0;dmirror_migrate_to_device.constprop.0+0x40"));
	CHECK("a function's end is still named",
	      !strcmp(ksyms_name(&k, 0xffffffff81a00000 + KSYMS_MAX_FUNC_SIZE - 1, name, sizeof(name)),
		      "asm_sysvec_apic_timer_interrupt+0xfffff"));
	CHECK("a stack with no frames is empty", !ksyms_stack_text(&k, tp + 5, 1, buf, sizeof(buf))[0]);
	ksyms_free(&k);

	/* kprobe mode: the stack starts at the probed function. */
	f = fmemopen((void *)with_prog, strlen(with_prog), "r");
	CHECK("kallsyms text again", !ksyms_read(&k, f));
	fclose(f);
	{
		/*
		 * The guess unwinder (CONFIG_UNWINDER_GUESS) put a stale
		 * interrupt return address between the program and the
		 * tracepoint (vm-folded, before the guests had ORC): it is
		 * what the kernel reported, so it stays, with the frames
		 * after it; only the leading run of tracer frames is cut.
		 */
		uint64_t stray[6] = { 0xffffffffa0001040, 0xffffffff81a00010, 0xffffffff81003010,
				      0xffffffff81002020, 0xffffffff81001030, 0xffffffff81004040 };

		CHECK("a frame between the program and the tracepoint ends the cut",
		      !strcmp(ksyms_stack_text(&k, stray, 6, buf, sizeof(buf)),
			      "asm_sysvec_apic_timer_interrupt+0x10;bpf_trace_run1+0x10;"
			      "__traceiter_devmem_page_init+0x20;zone_device_page_init+0x30;"
			      "dmirror_migrate_to_device.constprop.0+0x40"));
	}
	{
		/* A program that called a subprogram: two BPF frames, then the tracepoint. */
		uint64_t sub[6] = { 0xffffffffa0001080, 0xffffffffa0001040, 0xffffffff81003010,
				    0xffffffff81002020, 0xffffffff81001030, 0xffffffff81004040 };

		CHECK("every BPF frame at the leaf is cut, then the tracepoint's",
		      !strcmp(ksyms_stack_text(&k, sub, 6, buf, sizeof(buf)), want));
	}
	{
		uint64_t kp[4] = { 0xffffffff81001010, 0xffffffff81004040, 0xffffffffa0100020,
				   0xffffffff81000100 };

		CHECK("a kprobe stack keeps every frame, another tool's trampoline deeper in too",
		      !strcmp(ksyms_stack_text(&k, kp, 4, buf, sizeof(buf)),
			      "zone_device_page_init+0x10;dmirror_migrate_to_device.constprop.0+0x40;"
			      "bpf_trampoline_6442491234+0x20;_text+0x100"));
	}
	ksyms_free(&k);
	memset(&k, 0, sizeof(k));	/* kallsyms unreadable: nothing named */
	CHECK("with nothing named the stack is its addresses, not empty",
	      !strcmp(ksyms_stack_text(&k, tp, 2, buf, sizeof(buf)),
		      "0xffffffffa0001040;0xffffffff81003010"));
}

static void write_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
}

static const struct devmem_pgmap_row *row_at(const struct devmem_state *st, uint64_t start)
{
	size_t i;

	for (i = 0; i < st->nr_pgmaps; i++)
		if (st->pgmaps[i].start == start)
			return &st->pgmaps[i];
	return NULL;
}

static bool named(const struct devmem_state *st, uint64_t start, const char *want)
{
	const struct devmem_pgmap_row *r = row_at(st, start);
	char buf[3 * DEVMEM_NAME_LEN];

	return r && !strcmp(pgmap_short_name(r, buf, sizeof(buf)), want);
}

static void test_pgmap_namer(void)
{
	char ks[] = "/tmp/devmem-kallsyms-XXXXXX", io[] = "/tmp/devmem-iomem-XXXXXX";
	struct devmem_state st = { 0 }, back = { 0 };
	struct pgmap_namer nm = { 0 };
	char *text, *json = NULL;
	size_t len = 0, n;
	struct json j;
	FILE *f;

	write_file(ks, sample_kallsyms);
	write_file(io, sample_iomem);
	nm.kallsyms_path = ks;
	nm.iomem_path = io;
	/* As the VM has them: two private (debugfs first), two coherent. */
	devmem_state_seed_text(&st,
		"0000000082ec8606 private 0xffe0000000 0xffefffffff 000000003a559b50 65536 0\n"
		"00000000bdd6a09e private 0xfff0000000 0xffffffffff 00000000158ff02b 65536 0\n"
		"00000000bdd6a09f p2pdma 0xf0000000 0xf00fffff 00000000158ff02c 256 0\n");
	devmem_state_pgmap_meta(&st, 0xffff888000a00000, 0x40000000, 0x4fffffff,
				DEVMEM_PGMAP_COHERENT, 0xffffffff81e73d60 + 0x5a0, 65536);
	/* A GPU's: owner on the heap, range under a PCI BAR, driver not in any table */
	devmem_state_pgmap_meta(&st, 0xffff888000b00000, 0xe0000000, 0xe00fffff,
				DEVMEM_PGMAP_PRIVATE, 0xffff888077770000, 256);
	/* Nothing to go by at all */
	devmem_state_pgmap_meta(&st, 0xffff888000c00000, 0x60000000, 0x6000ffff,
				DEVMEM_PGMAP_COHERENT, 0xffff888066660000, 16);
	n = pgmap_namer_update(&nm, &st);
	CHECK("the namer names every row", n == 6);
	CHECK("a row known only by its range under a PCI device: unknown driver, PCI device",
	      named(&st, 0xf0000000, "unknown/0000:00:02.0#0"));
	CHECK("debugfs rows (owner unknown) are test_hmm by their hmm_dmirror resource",
	      named(&st, 0xffe0000000, "test_hmm/hmm_dmirror#0") &&
	      named(&st, 0xfff0000000, "test_hmm/hmm_dmirror#1"));
	CHECK("a coherent pgmap in memmap= memory: test_hmm by its owner, not-in-iomem",
	      named(&st, 0x40000000, "test_hmm/not-in-iomem#0"));
	CHECK("a pgmap under a PCI BAR: its device and PCI device",
	      named(&st, 0xe0000000, "nvidia-uvm/nvidia-uvm-hmm@0000:01:00.0#0") &&
	      !strcmp(row_at(&st, 0xe0000000)->pci, "0000:01:00.0"));
	CHECK("a pgmap that cannot be named is unknown, and still has a name",
	      named(&st, 0x60000000, "unknown/not-in-iomem#0"));
	CHECK("nothing new: nothing renamed", pgmap_namer_update(&nm, &st) == 0);
	devmem_state_pgmap_meta(&st, 0xffff888000d00000, 0xf0000000, 0xf00fffff,
				DEVMEM_PGMAP_P2PDMA, 0xffffffffc0b02040, 256);
	CHECK("an owner learned later names the driver from kallsyms (its module)",
	      pgmap_namer_update(&nm, &st) == 1 && named(&st, 0xf0000000, "foo_gpu/0000:00:02.0#0") &&
	      st.nr_pgmaps == 6);

	/*
	 * A GPU driver's owner is a heap pointer: its ops, read by the BPF
	 * side, name it (here a range no resource holds).
	 */
	devmem_state_pgmap_meta(&st, 0xffff888000e00000, 0x78000000, 0x7800ffff,
				DEVMEM_PGMAP_PRIVATE, 0xffff888055550000, 16);
	devmem_state_pgmap(&st, 0xffff888000e00000)->ops = 0xffffffffc0c03000;
	CHECK("a heap owner with nouveau's ops: nouveau, by its ops",
	      pgmap_namer_update(&nm, &st) == 1 && named(&st, 0x78000000, "nouveau/not-in-iomem#0"));

	/* The trace chunk: what one machine resolved, applied on another. */
	text = pgmap_names_format(&st, &len);
	devmem_state_seed_text(&back,
		"0 private 0xfff0000000 0xffffffffff 0 65536 0\n"
		"0 private 0xffe0000000 0xffefffffff 0 65536 0\n"
		"0 coherent 0x40000000 0x4fffffff 0 65536 0\n"
		"0 coherent 0x70000000 0x7000ffff 0 16 0\n");
	CHECK("the names chunk names the rows by start",
	      text && pgmap_names_apply(&back, text) == 3 &&
	      named(&back, 0x40000000, "test_hmm/not-in-iomem#0"));
	CHECK("...numbered in the reader's row order",
	      named(&back, 0xfff0000000, "test_hmm/hmm_dmirror#0") &&
	      named(&back, 0xffe0000000, "test_hmm/hmm_dmirror#1"));
	CHECK("a row the chunk does not name shows as unknown",
	      named(&back, 0x70000000, "unknown/unknown#0"));
	CHECK("a chunk with garbage lines names nothing and does not crash",
	      pgmap_names_apply(&back, "# header\n0x1 0x2\nxyz\n0x40000000 0x4fffffff a\n") == 0);
	free(text);

	/* JSON: no kernel address unless asked for. */
	f = open_memstream(&json, &len);
	json_begin(&j, f);
	json_obj_open(&j, NULL);
	devmem_json_pgmap_fields(&j, row_at(&st, 0x40000000));
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	CHECK("pgmap JSON has name, driver and device, and no kernel address",
	      strstr(json, "\"name\":\"test_hmm/not-in-iomem#0\",\"driver\":\"test_hmm\","
			   "\"device\":\"not-in-iomem\",\"pci\":\"\"") &&
	      !strstr(json, "0xffff") && !strstr(json, "\"pgmap\"") && !strstr(json, "\"owner\""));
	free(json);
	json = NULL;
	devmem_raw_addresses = true;
	f = open_memstream(&json, &len);
	json_begin(&j, f);
	json_obj_open(&j, NULL);
	devmem_json_pgmap_fields(&j, row_at(&st, 0x40000000));
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	devmem_raw_addresses = false;
	CHECK("with --raw-addresses it has the pgmap address and owner cookie",
	      strstr(json, "\"pgmap\":\"0xffff888000a00000\",\"owner\":\"0xffffffff81e74300\""));
	free(json);
	unlink(ks);
	unlink(io);
	pgmap_namer_free(&nm);
	devmem_state_free(&st);
	devmem_state_free(&back);
}

static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now; }

/* Name one new row at second t; how many kallsyms reads it took. */
static unsigned int name_at(struct pgmap_namer *nm, struct devmem_state *st, uint64_t t,
			    uint64_t pgmap, uint64_t start, uint64_t owner, uint64_t ops)
{
	unsigned int before = nm->ksyms_reads;

	fake_now = t * 1000000000ull;
	if (pgmap) {
		devmem_state_pgmap_meta(st, pgmap, start, start + 0xffff, DEVMEM_PGMAP_PRIVATE,
					owner, 16);
		devmem_state_pgmap(st, pgmap)->ops = ops;
	}
	pgmap_namer_update(nm, st);
	return nm->ksyms_reads - before;
}

/*
 * kallsyms is read once and kept: a pgmap the table places costs no read;
 * one it cannot (past a module's last symbol, a heap pointer) is read about
 * again only a minute after the last read, and then named for good.
 */
static void test_namer_kallsyms_cache(void)
{
	static const char before[] =
		"ffffffffc0001000 t dmirror_fops_open\t[test_hmm]\n"
		"ffffffffc0002000 d dmirror_devmem_ops\t[test_hmm]\n"
		"ffffffffc0003000 b dmirror_devices\t[test_hmm]\n"
		"ffffffffc0005000 t other_fn\t[other]\n";
	char ks[] = "/tmp/devmem-kallsyms-XXXXXX", io[] = "/tmp/devmem-iomem-XXXXXX";
	struct devmem_state st = { 0 };
	struct pgmap_namer nm = { .clock_ns = fake_clock };
	char early[DEVMEM_NAME_LEN];
	unsigned int r[8];
	FILE *f;

	write_file(ks, before);
	write_file(io, sample_iomem);
	nm.kallsyms_path = ks;
	nm.iomem_path = io;
	r[0] = name_at(&nm, &st, 1, 0xa1000, 0x71000000, 0xffff888000001000, 0xffffffffc0002000);
	r[1] = name_at(&nm, &st, 2, 0xa2000, 0x72000000, 0xffffffffc0001010, 0);
	/* A module loaded after the read: its ops lie past other's last symbol. */
	r[2] = name_at(&nm, &st, 3, 0xa3000, 0x73000000, 0xffff888000003000, 0xffffffffc0008000);
	snprintf(early, sizeof(early), "%s", row_at(&st, 0x73000000)->driver);
	r[3] = name_at(&nm, &st, 30, 0, 0, 0, 0);
	f = fopen(ks, "a");
	fputs("ffffffffc0008000 d nouveau_dmem_pagemap_ops\t[nouveau]\n", f);
	fclose(f);
	r[4] = name_at(&nm, &st, 62, 0, 0, 0, 0);
	/* A heap pointer no read will ever place: one more read, a minute on. */
	r[5] = name_at(&nm, &st, 63, 0xa4000, 0x74000000, 0xffff888012345000, 0);
	r[6] = name_at(&nm, &st, 100, 0, 0, 0, 0) + name_at(&nm, &st, 123, 0, 0, 0, 0) * 10;
	r[7] = name_at(&nm, &st, 500, 0, 0, 0, 0);
	printf("info lib: kallsyms reads per update: %u %u %u %u %u %u %u/%u %u (%u in all)\n",
	       r[0], r[1], r[2], r[3], r[4], r[5], r[6] % 10, r[6] / 10, r[7], nm.ksyms_reads);
	CHECK("kallsyms: the first lookup reads it once and names the driver by its ops",
	      r[0] == 1 && !strcmp(row_at(&st, 0x71000000)->driver, "test_hmm"));
	CHECK("kallsyms: a second pgmap the kept table places costs no read",
	      r[1] == 0 && !strcmp(row_at(&st, 0x72000000)->driver, "test_hmm"));
	CHECK("kallsyms: an address past a module's last symbol is not given that module's name",
	      r[2] == 0 && !strcmp(early, "unknown"));
	CHECK("kallsyms: ...nor read again within the minute", r[3] == 0);
	CHECK("kallsyms: a minute after the last read, one read names the module loaded since",
	      r[4] == 1 && !strcmp(row_at(&st, 0x73000000)->driver, "nouveau"));
	CHECK("kallsyms: a heap pointer is read for again once, a minute after the last read",
	      r[5] == 0 && r[6] == 10 && !strcmp(row_at(&st, 0x74000000)->driver, "unknown"));
	CHECK("kallsyms: once read for, nothing more is read", r[7] == 0 && nm.ksyms_reads == 3);
	unlink(ks);
	unlink(io);
	pgmap_namer_free(&nm);
	devmem_state_free(&st);
}

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

/* ---- Prometheus / OpenMetrics exposition (tools/lib/metrics.c) ---- */

/* A state as the kernel totals would fill it, by hand. */
static void metrics_state(struct devmem_state *st)
{
	struct devmem_pgmap_row *p;
	struct devmem_proc_row *r;

	memset(st, 0, sizeof(*st));
	/* a private pgmap: 64 pages in and out, 10 faults with latencies */
	p = devmem_state_pgmap(st, 0xffff888001000000ull);
	p->type = DEVMEM_PGMAP_PRIVATE;
	p->start = 0x40000000;
	p->end = 0x4fffffff;
	p->owner = 0xffffffff81c5ece0ull;
	p->nr_pages = 65536;
	p->inits = 70;
	p->frees = 64;
	p->to_device = 64;
	p->to_system = 64;
	p->faults = 10;
	p->faults_no_progress = 3;	/* a thread spins on one page */
	p->stuck = 1;
	p->fault_lat[0] = 1;	/* 0 or 1 ns */
	p->fault_lat[10] = 6;	/* 1024..2047 ns */
	p->fault_lat[20] = 2;	/* ~1 ms */
	p->fault_lat[DEVMEM_LAT_BUCKETS - 1] = 1;	/* beyond the last edge */
	/* a coherent pgmap that waits in teardown since t = 1 s */
	p = devmem_state_pgmap(st, 0xffff888002000000ull);
	p->type = DEVMEM_PGMAP_COHERENT;
	p->start = 0x50000000;
	p->end = 0x5fffffff;
	p->owner = 0xffffffff81c5ece0ull;
	p->nr_pages = 65536;
	p->inits = 32;
	p->longterm = 32;
	p->longterm_failed = 3;
	p->cow = 5;
	p->destroyed = false;
	p->waiting = true;
	p->wait_since_ns = 1000000000ull;
	p->wait_live_pages = 32;
	p->wait_ns = 1500000ull;
	st->by_type[DEVMEM_REC_PAGE_INIT] = 102;
	st->by_type[DEVMEM_REC_FOLIO_FREE] = 64;
	st->events = 166;
	/* comm buffers are DEVMEM_COMM_LEN bytes, as in a record */
	static const char wl_a[DEVMEM_COMM_LEN] = "wl-a", odd[DEVMEM_COMM_LEN] = "a\"b\\c\nd\xff",
		small[DEVMEM_COMM_LEN] = "small";

	r = devmem_state_proc(st, 100, wl_a);
	r->held = 6;
	r->inits = 70;
	r->to_device = 64;
	r->to_system = 64;
	r->faults = 10;
	/* any bytes: a quote, a backslash, a newline and a byte that is no UTF-8 */
	r = devmem_state_proc(st, 200, odd);
	r->held = 32;
	r->inits = 32;
	r = devmem_state_proc(st, 300, small);
	r->held = 1;
	r->to_device = 7;
}

static char *metrics_text(const struct devmem_metrics *m, const struct devmem_state *st,
			  enum devmem_metrics_format fmt)
{
	static const uint64_t drops[DEVMEM_DROP_MAX] = { [DEVMEM_DROP_RINGBUF] = 4 };
	struct devmem_metrics_info info = { .version = "0.0.0-test", .attach_mode = "tracepoint", .kernel = "6.12.0",
					    .drops = drops, .recursion_misses = 1,
					    .now_ns = 3500000000ull, .stall_ns = 2000000000ull };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	devmem_metrics_write(f, m, st, &info, fmt);
	fclose(f);
	return buf;
}

/* Does text hold this exact line? */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

#define PRIV "type=\"private\",pgmap=\"0x40000000-0x4fffffff\""
#define COH "type=\"coherent\",pgmap=\"0x50000000-0x5fffffff\""

/* promtool check metrics on text: its exit status and what it said. */
static int promtool(const char *text, char *said, size_t len)
{
	char path[] = "/tmp/devmem-metrics-XXXXXX", cmd[256];
	int fd = mkstemp(path), rc;
	size_t n = 0;
	FILE *p;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics <%s 2>&1", path);
	p = popen(cmd, "r");
	said[0] = 0;
	if (p) {
		n = fread(said, 1, len - 1, p);
		said[n] = 0;
		rc = pclose(p);
	} else {
		rc = -1;
	}
	unlink(path);
	return rc;
}

/* Names are an info metric beside the series; kernel addresses only when asked. */
static void test_metrics_names(void)
{
	struct devmem_metrics m = { .max_procs = 2 };
	struct devmem_state st;
	char *text;

	metrics_state(&st);
	snprintf(st.pgmaps[0].driver, sizeof(st.pgmaps[0].driver), "nouveau");
	snprintf(st.pgmaps[0].device, sizeof(st.pgmaps[0].device), "nouveau_dmem");
	snprintf(st.pgmaps[0].pci, sizeof(st.pgmaps[0].pci), "0000:01:00.0");
	devmem_metrics_update(&m, &st);
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("metrics: a named pgmap's driver, device and PCI device in devmem_pgmap_info",
	      has_line(text, "devmem_pgmap_info{" PRIV ",driver=\"nouveau\",device=\"nouveau_dmem\","
			     "pci=\"0000:01:00.0\"} 1"));
	CHECK("metrics: no kernel address without --raw-addresses", !strstr(text, "0xffff"));
	free(text);
	devmem_raw_addresses = true;
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	devmem_raw_addresses = false;
	CHECK("metrics: --raw-addresses adds the owner cookie to devmem_pgmap_info only",
	      strstr(text, ",owner=\"0xffffffff81c5ece0\"} 1") &&
	      has_line(text, "devmem_pages_migrated_to_device_total{" PRIV "} 64"));
	free(text);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

static void test_metrics_exposition(void)
{
	struct devmem_metrics m = { .max_procs = 2 };
	struct devmem_state st;
	char *text, *om, said[4096], want[256];
	const char *p;
	int rc, b;

	metrics_state(&st);
	CHECK("metrics: the first update succeeds", devmem_metrics_update(&m, &st) == 0);
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	/* The checked-in expected exposition, byte for byte. */
	{
		FILE *f = fopen("tests/unit/metrics-expected.prom", "r");
		char *exp = calloc(1, 1 << 16);
		size_t n = f && exp ? fread(exp, 1, (1 << 16) - 1, f) : 0;

		CHECK("metrics: the exposition is exactly tests/unit/metrics-expected.prom",
		      n && !strcmp(exp, text));
		if (getenv("METRICS_DUMP"))
			fputs(text, stderr);
		if (f)
			fclose(f);
		free(exp);
	}
	CHECK("metrics: info names the attach mode, ABI and version",
	      has_line(text, "devmem_info{version=\"0.0.0-test\",abi=\"2\","
			     "attach_mode=\"tracepoint\",kernel=\"6.12.0\"} 1"));
	CHECK("metrics: a counter's TYPE names its _total sample in the 0.0.4 format",
	      has_line(text, "# TYPE devmem_pages_migrated_to_device_total counter"));
	CHECK("metrics: per-pgmap counters carry type, pgmap and owner",
	      has_line(text, "devmem_pages_migrated_to_device_total{" PRIV "} 64") &&
	      has_line(text, "devmem_pages_initialized_total{" COH "} 32") &&
	      has_line(text, "devmem_longterm_pin_migrated_pages_total{" COH "} 32") &&
	      has_line(text, "devmem_longterm_pin_failed_pages_total{" COH "} 3") &&
	      has_line(text, "devmem_cow_replacements_total{" COH "} 5") &&
	      has_line(text, "devmem_cpu_faults_total{" PRIV "} 10"));
	CHECK("metrics: live pages and bytes, capacity",
	      has_line(text, "devmem_pgmap_live_pages{" PRIV "} 6") &&
	      has_line(text, "devmem_pgmap_live_bytes{" PRIV "} 24576") &&
	      has_line(text, "devmem_pgmap_capacity_pages{" COH "} 65536"));
	CHECK("metrics: a waiting teardown, its age and pages, the last wait",
	      has_line(text, "devmem_teardown_waiting{" COH "} 1") &&
	      has_line(text, "devmem_teardown_wait_seconds{" COH "} 2.5") &&
	      has_line(text, "devmem_teardown_wait_pages{" COH "} 32") &&
	      has_line(text, "devmem_teardown_last_wait_seconds{" COH "} 0.0015") &&
	      has_line(text, "devmem_teardown_wait_seconds{" PRIV "} 0"));
	/* buckets: cumulative, le = 2^(b+1) - 1 ns, +Inf == _count */
	CHECK("metrics: histogram buckets are cumulative at exact edges",
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"0.000000001\"} 1") &&
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"0.000001023\"} 1") &&
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"0.000002047\"} 7") &&
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"0.002097151\"} 9") &&
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"549.755813887\"} 9"));
	CHECK("metrics: the +Inf bucket is the count",
	      has_line(text, "devmem_fault_latency_seconds_bucket{" PRIV ",le=\"+Inf\"} 10") &&
	      has_line(text, "devmem_fault_latency_seconds_count{" PRIV "} 10"));
	/* 1 + 6 * 1536 + 2 * 1.5 * 2^20 + 2^39 ns (the open bucket at its lower edge) */
	snprintf(want, sizeof(want), "devmem_fault_latency_seconds_sum{" PRIV "} %.15g",
		 (1 + 6 * 1536.0 + 2 * 1572864.0 + 549755813888.0) / 1e9);
	CHECK("metrics: _sum is estimated at bucket middles", has_line(text, want));
	for (b = 0, p = text; (p = strstr(p, "devmem_fault_latency_seconds_bucket{" COH)); p++)
		b++;
	CHECK("metrics: each pgmap has DEVMEM_LAT_BUCKETS buckets (the last is +Inf)",
	      b == DEVMEM_LAT_BUCKETS);
	CHECK("metrics: label values escaped, bad UTF-8 replaced",
	      has_line(text, "devmem_process_held_pages{pid=\"200\",comm=\"a\\\"b\\\\c\\nd\xef\xbf\xbd\"} 32"));
	CHECK("metrics: the two largest processes have their own series",
	      has_line(text, "devmem_process_pages_migrated_to_device_total{pid=\"100\",comm=\"wl-a\"} 64") &&
	      !strstr(text, "pid=\"300\""));
	CHECK("metrics: the rest are summed as comm=\"other\"",
	      has_line(text, "devmem_process_held_pages{comm=\"other\"} 1") &&
	      has_line(text, "devmem_process_pages_migrated_to_device_total{comm=\"other\"} 7") &&
	      has_line(text, "devmem_processes_folded 1"));
	CHECK("metrics: losses by kind",
	      has_line(text, "devmem_events_lost_total{kind=\"ringbuf_full\"} 4") &&
	      has_line(text, "devmem_events_lost_total{kind=\"bpf_recursion\"} 1") &&
	      has_line(text, "devmem_events_total{event=\"page_init\"} 102"));
	rc = promtool(text, said, sizeof(said));
	CHECK("metrics: promtool check metrics accepts the 0.0.4 text and says nothing",
	      rc == 0 && !said[0]);
	if (rc || said[0])
		printf("promtool said (exit %d): %s\n", rc, said);

	om = metrics_text(&m, &st, DEVMEM_METRICS_OPENMETRICS);
	CHECK("metrics: OpenMetrics names a counter's family without _total",
	      has_line(om, "# TYPE devmem_pages_migrated_to_device counter") &&
	      has_line(om, "devmem_pages_migrated_to_device_total{" PRIV "} 64"));
	CHECK("metrics: OpenMetrics has an info type and ends in # EOF",
	      has_line(om, "# TYPE devmem info") &&
	      strlen(om) > 6 && !strcmp(om + strlen(om) - 6, "# EOF\n"));
	{
		/* OpenMetrics HELP text may hold no raw quote; no escapes needed in either format */
		bool clean = true;

		for (p = om; (p = strstr(p, "# HELP ")); p++)
			if (strcspn(p, "\"\\") < strcspn(p, "\n"))
				clean = false;
		CHECK("metrics: no HELP text needs escaping (no quote, no backslash)", clean);
	}
	CHECK("metrics: the 0.0.4 text has no # EOF and an info gauge",
	      !strstr(text, "# EOF") && has_line(text, "# TYPE devmem_info gauge"));
	free(text);
	free(om);
	/* Late start: a base still estimated says so. */
	for (b = 0; b < (int)st.nr_pgmaps; b++)
		st.pgmaps[b].live_pending = st.pgmaps[b].type == DEVMEM_PGMAP_PRIVATE;
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("metrics: live_exact is 0 for a pgmap whose live pages are an estimate, 1 else",
	      has_line(text, "devmem_pgmap_live_exact{" PRIV "} 0") &&
	      has_line(text, "devmem_pgmap_live_exact{" COH "} 1"));
	free(text);

	CHECK("metrics: Prometheus's Accept header gets OpenMetrics",
	      devmem_metrics_negotiate("application/openmetrics-text;version=1.0.0,"
				       "application/openmetrics-text;version=0.0.1;q=0.75,"
				       "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") ==
	      DEVMEM_METRICS_OPENMETRICS);
	CHECK("metrics: curl's */* and no Accept get the text format",
	      devmem_metrics_negotiate("*/*") == DEVMEM_METRICS_PROMETHEUS &&
	      devmem_metrics_negotiate("") == DEVMEM_METRICS_PROMETHEUS);
	CHECK("metrics: OpenMetrics preferred less than text, or of another version, is not chosen",
	      devmem_metrics_negotiate("text/plain;q=0.9, application/openmetrics-text;q=0.5") ==
	      DEVMEM_METRICS_PROMETHEUS &&
	      devmem_metrics_negotiate("application/openmetrics-text;version=2.0.0") ==
	      DEVMEM_METRICS_PROMETHEUS);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

/* A counter of one label set never goes down, whatever comes and goes. */
static void test_metrics_monotonic(void)
{
	struct devmem_metrics m = { .max_procs = 1 };
	struct devmem_state st;
	struct devmem_proc_row *a, *b;
	struct devmem_pgmap_row *old, *fresh;
	static const char ca[DEVMEM_COMM_LEN] = "a", cb[DEVMEM_COMM_LEN] = "b";
	char *text;

	memset(&st, 0, sizeof(st));
	a = devmem_state_proc(&st, 1, ca);
	a->held = 10;
	a->to_device = 10;
	b = devmem_state_proc(&st, 2, cb);
	b->held = 5;
	b->to_device = 5;
	devmem_metrics_update(&m, &st);
	CHECK("monotonic: b is other with its 5 pages", m.other[MPROC_TO_DEVICE] == 5);
	/* b overtakes a: a's further pages go to other, b is listed with its total */
	b = &st.procs[1];
	b->held = 50;
	b->to_device = 50;
	st.procs[0].to_device = 12;
	devmem_metrics_update(&m, &st);
	CHECK("monotonic: other keeps what it had and takes a's 2 new pages",
	      m.other[MPROC_TO_DEVICE] == 7 && m.procs[1].listed && !m.procs[0].listed);
	devmem_metrics_update(&m, &st);
	CHECK("monotonic: an update with nothing new changes nothing", m.other[MPROC_TO_DEVICE] == 7);
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("monotonic: the exposition shows other and the listed process",
	      has_line(text, "devmem_process_pages_migrated_to_device_total{comm=\"other\"} 7") &&
	      has_line(text, "devmem_process_pages_migrated_to_device_total{pid=\"2\",comm=\"b\"} 50"));
	free(text);

	/*
	 * A pgmap torn down and made again at the same address and range: the
	 * dead row keeps its totals (kcounts.c and the replay both give the
	 * new one its own row), and the series adds them up.
	 */
	old = devmem_state_pgmap(&st, 0x1000);
	old->type = DEVMEM_PGMAP_PRIVATE;
	old->start = 0x40000000;
	old->end = 0x4fffffff;
	old->to_device = 64;
	old->destroyed = true;
	old->pgmap = 0;
	u64map_del(&st.pgmap_idx, 0x1000);
	fresh = devmem_state_pgmap(&st, 0x1000);
	fresh->type = DEVMEM_PGMAP_PRIVATE;
	fresh->start = 0x40000000;
	fresh->end = 0x4fffffff;
	fresh->to_device = 3;
	fresh->inits = 3;
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("monotonic: a pgmap made again adds to its dead predecessor's series",
	      has_line(text, "devmem_pages_migrated_to_device_total{type=\"private\","
			     "pgmap=\"0x40000000-0x4fffffff\"} 67"));
	CHECK("monotonic: its gauges are the live pgmap's, its live pages those of both",
	      has_line(text, "devmem_pgmap_destroyed{type=\"private\",pgmap=\"0x40000000-0x4fffffff\"} 0") &&
	      has_line(text, "devmem_pgmap_live_pages{type=\"private\",pgmap=\"0x40000000-0x4fffffff\"} 3"));
	free(text);
	/* The dead one's row after the live one's (the new pgmap took the row
	 * debugfs seeded): still the live one's gauges; live pages of both. */
	fresh = devmem_state_pgmap(&st, 0x2000);
	fresh->type = DEVMEM_PGMAP_PRIVATE;
	fresh->start = 0x60000000;
	fresh->end = 0x6fffffff;
	fresh->to_device = 5;
	fresh->inits = 5;
	old = devmem_state_pgmap(&st, 0x3000);
	old->type = DEVMEM_PGMAP_PRIVATE;
	old->start = 0x60000000;
	old->end = 0x6fffffff;
	old->to_device = 2;
	old->inits = 2;
	old->destroyed = true;
	text = metrics_text(&m, &st, DEVMEM_METRICS_PROMETHEUS);
	CHECK("monotonic: whatever the rows' order, the live pgmap's gauges, both pgmaps' pages",
	      has_line(text, "devmem_pages_migrated_to_device_total{type=\"private\","
			     "pgmap=\"0x60000000-0x6fffffff\"} 7") &&
	      has_line(text, "devmem_pgmap_destroyed{type=\"private\",pgmap=\"0x60000000-0x6fffffff\"} 0") &&
	      has_line(text, "devmem_pgmap_live_pages{type=\"private\",pgmap=\"0x60000000-0x6fffffff\"} 7"));
	free(text);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

/* ---- the /metrics HTTP server (tools/lib/httpd.c), driven in-process ---- */

static void test_handler(void *ctx, const struct httpd_request *req, struct httpd_response *resp)
{
	static const char body[] = "devmem_test 1\n";

	(void)ctx;
	if (strcmp(req->path, "/metrics")) {
		resp->status = 404;
		resp->body = "nope\n";
		resp->len = 5;
		return;
	}
	resp->status = 200;
	resp->content_type = devmem_metrics_content_type(devmem_metrics_negotiate(req->accept));
	resp->body = body;
	resp->len = sizeof(body) - 1;
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read what the server sends until it closes, serving it meanwhile. */
static size_t drain(struct httpd *h, int fd, char *out, size_t len, int max_ms)
{
	size_t got = 0;
	int waited;

	for (waited = 0; waited < max_ms; waited += 10) {
		ssize_t n;

		httpd_poll(h, 10);
		n = recv(fd, out + got, len - 1 - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += n;
	}
	out[got] = 0;
	return got;
}

/* One request on a new connection; the whole response. */
static void exchange(struct httpd *h, int port, const char *req, size_t len, char *out, size_t outlen)
{
	int fd = connect_to(port);

	out[0] = 0;
	if (fd < 0)
		return;
	if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
		close(fd);
		return;
	}
	drain(h, fd, out, outlen, 3000);
	close(fd);
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* One request, its length taken from the literal. */
#define REQ(s) exchange(&h, port, s, strlen(s), out, sizeof(out))

static void test_httpd(void)
{
	struct httpd h;
	char err[256], out[16384], *big;
	bool usage;
	int port, slow, i;

	CHECK("httpd: a malformed address is a usage error",
	      httpd_listen(&h, "9464", test_handler, NULL, &usage, err, sizeof(err)) && usage);
	CHECK("httpd: so is a port out of range",
	      httpd_listen(&h, "127.0.0.1:70000", test_handler, NULL, &usage, err, sizeof(err)) && usage);
	CHECK("httpd: and a name that is not numeric",
	      httpd_listen(&h, "example.org:80", test_handler, NULL, &usage, err, sizeof(err)) && usage);
	if (httpd_listen(&h, "127.0.0.1:0", test_handler, NULL, &usage, err, sizeof(err))) {
		CHECK("httpd: listens on 127.0.0.1:0", 0);
		printf("  %s\n", err);
		return;
	}
	port = httpd_port(&h);
	{
		struct httpd h2;

		snprintf(out, sizeof(out), "127.0.0.1:%d", port);
		CHECK("httpd: a port in use is a runtime error, not a usage error",
		      httpd_listen(&h2, out, test_handler, NULL, &usage, err, sizeof(err)) && !usage &&
		      strstr(err, "in use"));
	}
	h.timeout_ms = 300;

	REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	CHECK("httpd: GET /metrics is 200 with the body, Connection: close",
	      starts(out, "HTTP/1.1 200 OK\r\n") && strstr(out, "Content-Length: 14\r\n") &&
	      strstr(out, "Connection: close\r\n") && strstr(out, "\r\n\r\ndevmem_test 1\n") &&
	      strstr(out, "Content-Type: text/plain; version=0.0.4"));
	{
		static const char req[] = "GET /metrics?x=1 HTTP/1.0\n"
			"Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\n\n";

		exchange(&h, port, req, strlen(req), out, sizeof(out));
	}
	CHECK("httpd: HTTP/1.0, bare newlines, a query string and OpenMetrics by Accept",
	      starts(out, "HTTP/1.1 200 OK\r\n") &&
	      strstr(out, "Content-Type: application/openmetrics-text; version=1.0.0"));
	REQ("HEAD /metrics HTTP/1.1\r\n\r\n");
	CHECK("httpd: HEAD has the length and no body",
	      starts(out, "HTTP/1.1 200 OK\r\n") && strstr(out, "Content-Length: 14\r\n") &&
	      strlen(strstr(out, "\r\n\r\n")) == 4);
	REQ("GET / HTTP/1.1\r\n\r\n");
	CHECK("httpd: another path is 404", starts(out, "HTTP/1.1 404 Not Found\r\n"));
	REQ("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc");
	CHECK("httpd: POST is 405 with Allow",
	      starts(out, "HTTP/1.1 405 Method Not Allowed\r\n") && strstr(out, "Allow: GET, HEAD\r\n"));
	REQ("hello there\r\n\r\n");
	CHECK("httpd: a line that is no request is 400", starts(out, "HTTP/1.1 400 Bad Request\r\n"));
	REQ("GET /metrics HTTP/2.0\r\n\r\n");
	CHECK("httpd: HTTP/2 is 505", starts(out, "HTTP/1.1 505 "));
	big = malloc(HTTPD_REQUEST_MAX + 100);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', HTTPD_REQUEST_MAX + 100 - 26);
	exchange(&h, port, big, HTTPD_REQUEST_MAX + 100, out, sizeof(out));
	free(big);
	CHECK("httpd: a request head over 8 KiB is 431, and the answer arrives",
	      starts(out, "HTTP/1.1 431 "));

	/* A client that sends half a request and waits: others are still served. */
	slow = connect_to(port);
	CHECK("httpd: a slow client connects", slow >= 0 && send(slow, "GET /met", 8, 0) == 8);
	REQ("GET /metrics HTTP/1.1\r\n\r\n");
	CHECK("httpd: another client is served while a slow one waits",
	      starts(out, "HTTP/1.1 200 OK\r\n"));
	drain(&h, slow, out, sizeof(out), 2000);
	CHECK("httpd: the slow client gets 408 after the timeout and is closed",
	      starts(out, "HTTP/1.1 408 ") && h.timeouts == 1);
	close(slow);

	/* More idle clients than slots: they time out, then service resumes. */
	{
		int idle[HTTPD_MAX_CONNS + 4];

		/* polled in between, so that they take the slots, not the backlog */
		for (i = 0; i < HTTPD_MAX_CONNS + 4; i++) {
			idle[i] = connect_to(port);
			httpd_poll(&h, 1);
		}
		REQ("GET /metrics HTTP/1.1\r\n\r\n");
		CHECK("httpd: with every slot taken by idle clients, a scrape waits for the timeout, not forever",
		      starts(out, "HTTP/1.1 200 OK\r\n"));
		for (i = 0; i < HTTPD_MAX_CONNS + 4; i++)
			if (idle[i] >= 0)
				close(idle[i]);
	}
	/* A client that goes away before its answer must not kill us (SIGPIPE). */
	{
		int fd = connect_to(port);

		if (fd >= 0) {
			struct linger lg = { 1, 0 };

			send(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25, 0);
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);	/* RST */
		}
		for (i = 0; i < 20; i++)
			httpd_poll(&h, 10);
		REQ("GET /metrics HTTP/1.1\r\n\r\n");
		CHECK("httpd: a client that resets is dropped, and the next is served",
		      starts(out, "HTTP/1.1 200 OK\r\n"));
	}
	httpd_close(&h);
}

int main(void)
{
	test_abi2_pages();
	test_replay_validation();
	test_state_accounting();
	test_u64map();
	test_seed_debugfs();
	test_late_start();
	test_json();
	test_json_bytes();
	test_exit_codes_doc();
	test_u64map_model();
	test_u64map_flat();
	test_state_flat();
	test_leaks_flat();
	test_driver_names();
	test_iomem();
	test_ksyms_resolve();
	test_stack_text();
	test_pgmap_namer();
	test_namer_kallsyms_cache();
	test_leak_scope();
	test_lost();
	test_metrics_exposition();
	test_metrics_names();
	test_metrics_monotonic();
	test_httpd();
	return failures ? 1 : 0;
}
