// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Stuck faults (tools/lib/stuck.c) and the replay's no-progress counts,
 * under ASan and UBSan: what is live, what is stuck, the order, the rows'
 * counts, the JSON, and that a fault record's flag is counted per pgmap
 * and per process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmem_abi.h"
#include "json.h"
#include "replay.h"
#include "state.h"
#include "stuck.h"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS stuck: %s\n", name); \
	else { printf("FAIL stuck: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

#define S 1000000000ull
#define PGMAP_A 0xffff888000001000ull
#define PGMAP_B 0xffff888000002000ull

static void fault(struct devmem_state *st, uint32_t pid, uint64_t pgmap, uint64_t pfn,
		  uint32_t flags)
{
	struct devmem_rec_fault r;

	memset(&r, 0, sizeof(r));
	r.hdr.type = DEVMEM_REC_FAULT;
	r.hdr.size = sizeof(r);
	r.hdr.pid = r.hdr.tid = pid;
	snprintf(r.hdr.comm, sizeof(r.hdr.comm), "p%u", pid);
	r.pfn = pfn;
	r.pgmap = pgmap;
	r.address = 0x7f0000000000ull + pfn * 4096;
	r.latency_ns = 1000;
	r.nr_pages = 1;
	r.flags = flags;
	devmem_replay_record(&r, sizeof(r), &devmem_state_ops, st);
}

static void test_classify(void)
{
	uint64_t now = 100 * S;

	CHECK("a spin whose last repeat is 1 s old or less is live",
	      devmem_spin_classify(now - 3 * S, now - S, now, S) == DEVMEM_SPIN_STUCK);
	CHECK("a spin with no repeat for over 1 s has ended, however long it spun",
	      devmem_spin_classify(now - 30 * S, now - S - 1, now, S) == DEVMEM_SPIN_ENDED);
	CHECK("spun exactly the threshold: stuck",
	      devmem_spin_classify(now - S, now, now, S) == DEVMEM_SPIN_STUCK);
	CHECK("spun 1 ns less than the threshold: spinning, not stuck",
	      devmem_spin_classify(now - S + 1, now, now, S) == DEVMEM_SPIN_SPINNING);
	CHECK("a repeat stamped after now (read moments apart) is live",
	      devmem_spin_classify(now - 2 * S, now + 5, now, S) == DEVMEM_SPIN_STUCK);
	CHECK("a threshold of 5 s: 3 s is spinning",
	      devmem_spin_classify(now - 3 * S, now, now, 5 * S) == DEVMEM_SPIN_SPINNING);
	CHECK("forget: an entry still for 10 s stays, for longer goes",
	      !devmem_spin_forget(now - 10 * S, now) && devmem_spin_forget(now - 10 * S - 1, now));
	CHECK("forget: an entry from the future stays", !devmem_spin_forget(now + S, now));
}

static struct devmem_spin spin(uint32_t pid, uint32_t tid, uint64_t pgmap, uint64_t first,
			       uint64_t last, uint64_t repeats)
{
	struct devmem_spin e;

	memset(&e, 0, sizeof(e));
	e.pid = pid;
	e.tid = tid;
	snprintf(e.comm, sizeof(e.comm), "p%u", pid);
	e.pgmap = pgmap;
	e.pfn = 0x100000 + tid;
	e.address = 0x7f0000001000ull;
	e.first_ns = first;
	e.last_ns = last;
	e.repeats = repeats;
	return e;
}

static void test_judge(void)
{
	struct devmem_state st = { 0 };
	struct devmem_spins s = { 0 };
	uint64_t now = 100 * S;
	struct devmem_spin e;
	char *text = NULL, line[256];
	size_t len = 0, i;
	struct json j;
	FILE *f;

	/* rows: two pgmaps, three processes */
	fault(&st, 10, PGMAP_A, 1, 0);
	fault(&st, 20, PGMAP_A, 2, 0);
	fault(&st, 30, PGMAP_B, 3, 0);
	e = spin(10, 11, PGMAP_A, now - 2 * S, now, 5000);	/* stuck 2 s */
	devmem_spins_add(&s, &e);
	e = spin(10, 12, PGMAP_A, now - 9 * S, now - S / 2, 90000);	/* stuck 8.5 s */
	devmem_spins_add(&s, &e);
	e = spin(20, 20, PGMAP_A, now - S / 2, now, 40);	/* spinning 0.5 s */
	devmem_spins_add(&s, &e);
	e = spin(30, 30, PGMAP_B, now - 20 * S, now - 5 * S, 7);	/* ended */
	devmem_spins_add(&s, &e);
	for (i = 0; i < 40; i++) {	/* growth past the first allocation */
		e = spin(1000 + i, 1000 + i, PGMAP_B, now - 20 * S, now - 15 * S, 1);
		devmem_spins_add(&s, &e);
	}
	devmem_spins_judge(&s, &st, now, S, 0);
	CHECK("judge: 2 stuck, 1 spinning", s.nr_stuck == 2 && s.nr_spinning == 1 && s.n == 44);
	CHECK("judge: stuck first, longest first, then spinning, then ended",
	      s.v[0].tid == 12 && s.v[1].tid == 11 && s.v[2].tid == 20 &&
	      s.v[3].state == DEVMEM_SPIN_ENDED);
	CHECK("judge: pgmap A has 2 stuck threads, B none",
	      st.pgmaps[0].pgmap == PGMAP_A && st.pgmaps[0].stuck == 2 && st.pgmaps[1].stuck == 0);
	CHECK("judge: process 10 has 2, 20 and 30 none",
	      st.procs[0].pid == 10 && st.procs[0].stuck == 2 && st.procs[1].stuck == 0 &&
	      st.procs[2].stuck == 0);

	f = open_memstream(&text, &len);
	json_begin(&j, f);
	json_arr_open(&j, NULL);
	devmem_json_stuck(&j, &s, &st);
	json_arr_close(&j);
	fclose(f);
	CHECK("json: the two stuck ones, with tid, address, pfn, repeats, seconds",
	      text && strstr(text, "\"tid\":12,\"comm\":\"p10\",\"address\":\"0x7f0000001000\","
			     "\"pfn\":\"0x10000c\"") && strstr(text, "\"repeats\":90000,\"spinning_s\":8.5") &&
	      strstr(text, "\"tid\":11") && !strstr(text, "\"tid\":20") && !strstr(text, "\"tid\":30"));
	CHECK("json: no kernel address without --raw-addresses", text && !strstr(text, "0xffff"));
	free(text);
	devmem_stuck_text(&s.v[0], &st, line, sizeof(line));
	CHECK("text: one line says who, where and how long",
	      strstr(line, "STUCK pid 10 tid 12 (p10) at 0x7f0000001000 pfn 0x10000c") &&
	      strstr(line, "90000 faults without progress in 8.5 s"));

	/* -p 20: only its spin, and the counts follow */
	devmem_spins_judge(&s, &st, now, S, 20);
	CHECK("filter: -p 20 keeps its spin alone, not stuck",
	      s.n == 1 && s.v[0].pid == 20 && s.nr_stuck == 0 && st.pgmaps[0].stuck == 0 &&
	      st.procs[0].stuck == 0);
	devmem_spins_clear(&s);
	devmem_spins_judge(&s, &st, now, S, 0);
	CHECK("an empty table: nothing stuck", s.n == 0 && s.nr_stuck == 0);
	devmem_spins_free(&s);
	devmem_state_free(&st);
}

static void test_replay_no_progress(void)
{
	struct devmem_state st = { 0 };
	int i;

	/* 64 clean faults, then one page faulted 1 + 500 times without progress */
	for (i = 0; i < 64; i++)
		fault(&st, 10, PGMAP_A, 0x1000 + i, 0);
	fault(&st, 20, PGMAP_A, 0x2000, 0);
	for (i = 0; i < 500; i++)
		fault(&st, 20, PGMAP_A, 0x2000, DEVMEM_FAULT_NO_PROGRESS);
	CHECK("replay: pgmap faults 565, 500 without progress",
	      st.nr_pgmaps == 1 && st.pgmaps[0].faults == 565 && st.pgmaps[0].faults_no_progress == 500);
	CHECK("replay: the clean process has none, the spinning one 500",
	      st.nr_procs == 2 && st.procs[0].faults == 64 && st.procs[0].faults_no_progress == 0 &&
	      st.procs[1].faults == 501 && st.procs[1].faults_no_progress == 500);
	devmem_state_mark(&st, 10 * S);
	for (i = 0; i < 300; i++)
		fault(&st, 20, PGMAP_A, 0x2000, DEVMEM_FAULT_NO_PROGRESS);
	devmem_state_mark(&st, 12 * S);
	CHECK("rates: 300 faults in 2 s is 150/s, per pgmap and per process",
	      st.pgmaps[0].rate[RATE_FAULT] == 150.0 && st.procs[1].fault_rate == 150.0 &&
	      st.procs[0].fault_rate == 0.0);
	devmem_state_free(&st);
}

int main(void)
{
	test_classify();
	test_judge();
	test_replay_no_progress();
	return failures ? 1 : 0;
}
