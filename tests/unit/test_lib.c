// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of tools/lib, built with ASan and UBSan: the replay path's
 * validation, the state the callbacks build, the hash table, the debugfs
 * parser and the JSON writer. Prints one PASS/FAIL line per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "json.h"
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

int main(void)
{
	test_replay_validation();
	test_state_accounting();
	test_u64map();
	test_seed_debugfs();
	test_json();
	return failures ? 1 : 0;
}
