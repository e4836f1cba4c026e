// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of pgmaps that come and go, built with ASan and UBSan:
 * a live view (tools/devmemtop/pgmaps.c) over a fabricated kernel that
 * makes and retires 12,000 pgmaps, a few at once, at reused addresses and
 * ranges; and a replay (tools/lib/state.c) of 12,000 pgmaps' records.
 * Every total exact at every interval, every retired entry forgotten
 * exactly once, rows bounded by the pgmaps alive, and no counter of the
 * exposition ever lower than in the one before. One PASS/FAIL line per
 * check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"
#include "pgmaps.h"
#include "replay.h"
#include "state.h"
#define CHECK_GROUP "pgmaps"
#include "check.h"
#include "records.h"

#define LIFETIMES 12000
#define ALIVE 3		/* pgmaps alive at once */
#define RANGES 4	/* physical ranges they are made at */
#define ADDRS 5		/* kernel addresses they are made at (slab reuse) */
#define PAGES 64	/* pages each live pgmap hands out per interval */

static uint64_t range_start(int r)
{
	return 0x100000000ull + (uint64_t)r * 0x10000000ull;
}

/* ---- the fabricated kernel: live pgmaps and retired entries ---- */

struct kpgmap {
	bool live;
	uint64_t addr;
	int range;
	uint64_t inits, frees;
};

struct kernel {
	struct kpgmap k[ALIVE];
	uint8_t *retired;	/* by key: 1 retired, 2 forgotten */
	uint64_t next_key, forgets, bad_forgets;
};

static bool forget(void *ctx, uint64_t key)
{
	struct kernel *kn = ctx;

	if (key >= kn->next_key || kn->retired[key] != 1) {
		kn->bad_forgets++;
		return false;
	}
	kn->retired[key] = 2;
	kn->forgets++;
	return true;
}

static bool addr_free(const struct kernel *kn, uint64_t addr)
{
	for (int i = 0; i < ALIVE; i++)
		if (kn->k[i].live && kn->k[i].addr == addr)
			return false;
	return true;
}

/* What kcounts.c does with a live pgmap's totals: the kernel's replace ours. */
static void read_live(struct devmem_state *st, const struct kpgmap *p)
{
	struct devmem_pgmap_row *r;

	devmem_state_pgmap_meta(st, p->addr, range_start(p->range),
				range_start(p->range) + 0xfffffff, DEVMEM_PGMAP_PRIVATE, 0x42, 65536);
	r = devmem_state_pgmap(st, p->addr);
	if (r) {
		r->c.inits = p->inits;
		r->c.frees = p->frees;
	}
}

/* ... and with a retired one (read_retired()): final totals, detached. */
static void read_retired(struct devmem_state *st, struct kernel *kn, const struct kpgmap *p)
{
	struct devmem_pgmap_row *r;

	read_live(st, p);
	r = devmem_state_pgmap(st, p->addr);
	if (!r)
		return;
	u64map_del(&st->pgmap_idx, p->addr);
	r->pgmap = 0;
	r->destroyed = true;
	r->retired_key = kn->next_key + 1;
	kn->retired[kn->next_key++] = 1;
}

/* Each counter sample of an exposition: "series value" lines, sorted. */
static char *counters_of(const struct devmem_metrics *m, const struct devmem_state *st)
{
	struct devmem_metrics_info info = { .version = "test" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	devmem_metrics_write(f, m, st, &info, DEVMEM_METRICS_PROMETHEUS);
	fclose(f);
	return buf;
}

/* Samples of prev's counters (_total) that are lower in cur, or missing. */
static int went_down(const char *prev, const char *cur)
{
	const char *line;
	int n = 0;

	for (line = prev; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char series[512], *at;
		const char *sp = strchr(line, ' ');
		size_t len = sp ? (size_t)(sp - line) : 0;
		unsigned long long was, now;

		if (line[0] == '#' || !sp || len + 2 > sizeof(series))
			continue;
		memcpy(series, line, len);
		series[len] = 0;
		/* a counter: its name (before any label) ends in _total */
		series[strcspn(series, "{")] = 0;
		if (strlen(series) < 6 || strcmp(series + strlen(series) - 6, "_total"))
			continue;
		memcpy(series, line, len);
		series[len] = ' ';
		series[len + 1] = 0;
		was = strtoull(sp + 1, NULL, 10);
		at = strstr(cur, series);
		while (at && at != cur && at[-1] != '\n')
			at = strstr(at + 1, series);
		now = at ? strtoull(at + len + 1, NULL, 10) : 0;
		if (!at || now < was)
			printf("pgmaps: %.*s: %llu, then %s %llu\n", (int)len, series, was,
			       at ? "" : "gone,", now);
		n += !at || now < was;
	}
	return n;
}

static void test_live_view(void)
{
	struct kernel kn = { .retired = calloc(LIFETIMES + 1, 1) };
	struct devmem_state st = { 0 };
	struct devmem_metrics m = { .max_procs = DEVMEM_METRICS_MAX_PROCS_DEFAULT };
	uint64_t made = 0, want_total = 0, want_range[RANGES] = { 0 };
	uint64_t interval = 0, max_rows = 0, wrong_total = 0, wrong_range = 0, down = 0;
	char *prev = NULL;
	size_t i;

	while (made < LIFETIMES || kn.forgets < kn.next_key || interval < 4) {
		uint64_t total = 0, by_range[RANGES] = { 0 };

		for (i = 0; i < ALIVE; i++) {
			struct kpgmap *p = &kn.k[i];
			uint64_t a = made % ADDRS;

			if (!p->live && made < LIFETIMES) {
				while (!addr_free(&kn, 0xffff888000000000ull + a * 0x1000))
					a = (a + 1) % ADDRS;
				*p = (struct kpgmap){ true, 0xffff888000000000ull + a * 0x1000,
						      (int)(made % RANGES), 0, 0 };
				made++;
			}
			if (!p->live)
				continue;
			p->inits += PAGES;
			p->frees += PAGES;
			want_total += PAGES;
			want_range[p->range] += PAGES;
			/* a third of them retire in each interval: lifetimes of 1 to many */
			if ((interval + i) % 3 == 0) {
				read_retired(&st, &kn, p);
				p->live = false;
			} else {
				read_live(&st, p);
			}
		}
		devmem_pgmaps_evict(&st, forget, &kn);
		devmem_metrics_update(&m, &st);
		for (i = 0; i < st.nr_pgmaps; i++) {
			total += st.pgmaps[i].inits;
			for (int r = 0; r < RANGES; r++)
				by_range[r] += st.pgmaps[i].start == range_start(r) ? st.pgmaps[i].inits : 0;
		}
		wrong_total += total != want_total;
		for (int r = 0; r < RANGES; r++)
			wrong_range += by_range[r] != want_range[r];
		if (st.nr_pgmaps > max_rows)
			max_rows = st.nr_pgmaps;
		/* the exposition, every 50th interval and at the end of a burst */
		if (interval % 50 == 0 || made == LIFETIMES) {
			char *cur = counters_of(&m, &st);

			if (prev && cur)
				down += went_down(prev, cur);
			free(prev);
			prev = cur;
		}
		interval++;
	}
	printf("pgmaps: %llu lifetimes in %llu intervals, at most %llu rows\n",
	       (unsigned long long)made, (unsigned long long)interval,
	       (unsigned long long)max_rows);
	CHECK("12,000 pgmaps made and retired, every one forgotten exactly once",
	      made == LIFETIMES && kn.next_key == LIFETIMES && kn.forgets == LIFETIMES &&
	      !kn.bad_forgets);
	CHECK("the all-pgmap total is exact at every interval", !wrong_total);
	CHECK("each range's total is exact at every interval", !wrong_range);
	CHECK("at the end, one history row per range and nothing else",
	      st.nr_pgmaps == RANGES && st.pgmaps[0].history && st.pgmaps[RANGES - 1].history);
	CHECK("rows never exceed the pgmaps alive, retired and shown, plus one per range",
	      max_rows <= 2 * ALIVE + RANGES);
	CHECK("the all-pgmap total at the end", want_total > 0 && st.pgmaps[0].inits +
	      st.pgmaps[1].inits + st.pgmaps[2].inits + st.pgmaps[3].inits == want_total);
	CHECK("no counter sample of the exposition goes down or away", !down);
	CHECK("nothing untracked", !st.oom);
	free(prev);
	free(kn.retired);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

static void feed(struct devmem_state *st, const void *rec)
{
	devmem_replay_record(rec, ((const struct devmem_rec_hdr *)rec)->size, &devmem_state_ops, st);
}

static void test_replay(void)
{
	struct devmem_state st = { 0 };
	uint64_t n, inits = 0, frees = 0, wrong = 0, live_rows = 0;
	size_t i;

	for (n = 0; n < LIFETIMES; n++) {
		uint64_t addr = 0xffff888000000000ull + (n % ADDRS) * 0x1000;
		struct devmem_rec_pgmap pg = { 0 };
		struct devmem_rec_pgmap_wait w = { 0 };
		struct devmem_rec_page p;
		uint64_t k;

		hdr(&pg.hdr, DEVMEM_REC_PGMAP_CREATE, sizeof(pg), 1);
		pg.pgmap = addr;
		pg.start = range_start(n % RANGES);
		pg.end = pg.start + 0xfffffff;
		pg.nr_pages = 65536;
		pg.type = DEVMEM_PGMAP_PRIVATE;
		pg.nr_range = 1;
		feed(&st, &pg);
		for (k = 0; k < 1 + n % 7; k++) {
			p = page_rec(DEVMEM_REC_PAGE_INIT, 10, (pg.start >> 12) + k, addr);
			feed(&st, &p);
			p = page_rec(DEVMEM_REC_FOLIO_FREE, 10, (pg.start >> 12) + k, addr);
			feed(&st, &p);
		}
		pg.hdr.type = DEVMEM_REC_PGMAP_DESTROY;
		feed(&st, &pg);
		hdr(&w.hdr, DEVMEM_REC_PGMAP_WAIT, sizeof(w), 1);
		w.pgmap = addr;
		w.stack_id = -1;
		w.stage = DEVMEM_WAIT_BEGIN;
		feed(&st, &w);
		w.stage = DEVMEM_WAIT_END;
		feed(&st, &w);
	}
	for (i = 0; i < st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &st.pgmaps[i];

		inits += r->inits;
		frees += r->frees;
		wrong += r->inits != 1 + i % 7 || r->frees != r->inits || !r->destroyed ||
			 r->start != range_start(i % RANGES);
		live_rows += !r->destroyed;
	}
	CHECK("a replay of 12,000 pgmaps at 5 addresses keeps a row for each",
	      st.nr_pgmaps == LIFETIMES);
	CHECK("each row has exactly its own pgmap's pages, destroyed", !wrong && !live_rows);
	CHECK("the replay's totals are exact", inits == frees && inits == 12000 / 7 * 28 +
	      (12000 % 7) * (12000 % 7 + 1) / 2);
	CHECK("the replay counted every record, untracked none",
	      st.by_type[DEVMEM_REC_PGMAP_CREATE] == LIFETIMES &&
	      st.by_type[DEVMEM_REC_PGMAP_WAIT] == 2 * LIFETIMES &&
	      st.by_type[DEVMEM_REC_PAGE_INIT] == inits && !st.oom);
	devmem_state_free(&st);
}

int main(void)
{
	test_live_view();
	test_replay();
	return failures ? 1 : 0;
}
