// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of tools/devmemtop/procs.c, built with ASan and UBSan: a live view's
 * intervals over a fabricated system (which pids live, since when) and a
 * fabricated proc_counts map. A process that exits holding nothing is shown
 * exited once, then goes with its map entry; one that holds pages stays
 * with its exact count until they come back; a reused pid gets a row of its
 * own; the metrics' "other" counters never go down while rows go and move;
 * the /proc probe reads stat files with hostile comms and zombies.
 * One PASS/FAIL line per check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "metrics.h"
#include "procs.h"
#include "state.h"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS procs: %s\n", name); \
	else { printf("FAIL procs: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

/* ---- a fabricated system: pids, their start times, their map entries ---- */

#define MAXP 16

struct fake {
	struct {
		uint32_t pid;
		bool alive;
		uint64_t start;
		bool in_map;	/* has a proc_counts entry */
		struct devmem_proc_counters c;
		char comm[DEVMEM_COMM_LEN];
	} p[MAXP];
	size_t n;
	unsigned forgets, deleted;
	/* a tgid's next process adds this between our lookup and the delete */
	bool race;
};

static size_t slot(struct fake *f, uint32_t pid)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->p[i].pid == pid)
			return i;
	f->p[f->n].pid = pid;
	return f->n++;
}

/* A process starts (at start) and is handed pages. */
static void run(struct fake *f, uint32_t pid, uint64_t start, const char *comm, int64_t held,
		uint64_t inits)
{
	size_t i = slot(f, pid);

	f->p[i].alive = true;
	f->p[i].start = start;
	f->p[i].in_map = true;
	f->p[i].c.held += held;
	f->p[i].c.inits += inits;
	f->p[i].c.to_device += inits;
	snprintf(f->p[i].comm, sizeof(f->p[i].comm), "%s", comm);
}

static enum devmem_liveness probe(void *ctx, uint32_t pid, uint64_t *start)
{
	struct fake *f = ctx;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->p[i].pid == pid && f->p[i].alive) {
			*start = f->p[i].start;
			return DEVMEM_PROC_ALIVE;
		}
	return DEVMEM_PROC_GONE;
}

static bool forget(void *ctx, uint32_t pid, const struct devmem_proc_counters *raw)
{
	struct fake *f = ctx;
	size_t i = slot(f, pid);

	f->forgets++;
	if (f->race)	/* the tgid's next process: 3 pages before our lookup */
		run(f, pid, 20, "new", 3, 3);
	if (!f->p[i].in_map)
		return true;
	if (!devmem_proc_counters_same(&f->p[i].c, raw))
		return false;
	f->p[i].in_map = false;
	memset(&f->p[i].c, 0, sizeof(f->p[i].c));
	f->deleted++;
	return true;
}

/* One interval, in devmemtop_collect()'s order. */
static size_t tick(struct devmem_state *st, struct fake *f)
{
	size_t i;

	devmem_procs_probe(st, probe, f, false);
	for (i = 0; i < f->n; i++)
		if (f->p[i].in_map)
			devmem_procs_kernel_totals(st, f->p[i].pid, f->p[i].comm, &f->p[i].c);
	devmem_procs_probe(st, probe, f, true);
	return devmem_procs_evict(st, forget, f);
}

static const struct devmem_proc_row *row(const struct devmem_state *st, uint32_t pid)
{
	size_t i;

	for (i = 0; i < st->nr_procs; i++)
		if (st->procs[i].pid == pid && !st->procs[i].retired)
			return &st->procs[i];
	return NULL;
}

static size_t rows_of(const struct devmem_state *st, uint32_t pid)
{
	size_t i, n = 0;

	for (i = 0; i < st->nr_procs; i++)
		n += st->procs[i].pid == pid;
	return n;
}

static void test_exit_shown_once(void)
{
	struct devmem_state st = { 0 };
	struct fake f = { 0 };
	const struct devmem_proc_row *r;
	size_t removed;

	run(&f, 100, 1000, "job", 8, 8);
	run(&f, 101, 1001, "daemon", 0, 4);
	tick(&st, &f);
	r = row(&st, 100);
	CHECK("a running process: a row, not exited", st.nr_procs == 2 && r && !r->exited &&
	      r->inits == 8 && r->held == 8);
	f.p[slot(&f, 100)].c.held = 0;	/* its pages come back, then it exits */
	f.p[slot(&f, 100)].alive = false;
	removed = tick(&st, &f);
	r = row(&st, 100);
	CHECK("exited, held 0: still there, shown exited, with its numbers",
	      removed == 0 && r && r->exited && r->exited_shown && r->held == 0 && r->inits == 8);
	CHECK("exited, held 0: its map entry is still there", f.p[slot(&f, 100)].in_map &&
	      f.forgets == 0);
	removed = tick(&st, &f);
	CHECK("exited, held 0, shown once: removed at the next interval",
	      removed == 1 && !row(&st, 100) && st.nr_procs == 1);
	CHECK("and its proc_counts entry deleted", !f.p[slot(&f, 100)].in_map && f.deleted == 1);
	CHECK("the live process stays, found by its pid after the rows moved",
	      row(&st, 101) && row(&st, 101) == devmem_state_proc(&st, 101, NULL) &&
	      row(&st, 101)->inits == 4 && !row(&st, 101)->exited);

	/* a job over before its first read: shown exited once, all the same */
	run(&f, 102, 1002, "short", 0, 2);
	f.p[slot(&f, 102)].alive = false;
	removed = tick(&st, &f);
	r = row(&st, 102);
	CHECK("a job gone before its first read: shown once, exited",
	      removed == 0 && r && r->exited && r->inits == 2);
	removed = tick(&st, &f);
	CHECK("and removed after that one showing", removed == 1 && !row(&st, 102) &&
	      !f.p[slot(&f, 102)].in_map);
	CHECK("a removed row's slot is clean for the next process",
	      devmem_state_proc(&st, 555, NULL)->inits == 0 && !row(&st, 555)->exited &&
	      row(&st, 555)->serial > row(&st, 101)->serial);
	devmem_state_free(&st);
}

static void test_exit_holding(void)
{
	struct devmem_state st = { 0 };
	struct fake f = { 0 };
	const struct devmem_proc_row *r;
	size_t removed = 0;
	int i;

	run(&f, 200, 5, "leaker", 37, 64);
	tick(&st, &f);
	f.p[slot(&f, 200)].alive = false;
	for (i = 0; i < 10; i++)
		removed += tick(&st, &f);
	r = row(&st, 200);
	CHECK("exited holding 37 pages: kept through 10 intervals, exited, with held 37",
	      removed == 0 && r && r->exited && r->held == 37 && f.forgets == 0 &&
	      f.p[slot(&f, 200)].in_map);
	/* the driver frees them late: shown with 0 once, then gone */
	f.p[slot(&f, 200)].c.held = 0;
	removed = tick(&st, &f);
	r = row(&st, 200);
	CHECK("its pages come back: shown with held 0, still exited", removed == 0 && r &&
	      r->held == 0 && r->exited);
	removed = tick(&st, &f);
	CHECK("then removed, entry deleted", removed == 1 && !row(&st, 200) &&
	      !f.p[slot(&f, 200)].in_map);
	devmem_state_free(&st);
}

static void test_pid_reuse(void)
{
	struct devmem_state st = { 0 };
	struct fake f = { 0 };
	const struct devmem_proc_row *r;
	size_t removed;

	/*
	 * 300 exits with nothing held and is shown exited; its pid is reused,
	 * and the new process's first pages come between our read and the
	 * delete's lookup (forget sees them).
	 */
	run(&f, 300, 10, "old", 0, 16);
	tick(&st, &f);
	f.p[slot(&f, 300)].alive = false;
	tick(&st, &f);	/* shown exited */
	f.race = true;
	removed = tick(&st, &f);
	f.race = false;
	CHECK("reuse before the delete: the changed entry is not deleted, the row stays",
	      removed == 0 && f.deleted == 0 && f.p[slot(&f, 300)].in_map &&
	      row(&st, 300) && row(&st, 300)->exited && row(&st, 300)->inits == 16);
	removed = tick(&st, &f);
	r = row(&st, 300);
	CHECK("the new process has a row of its own: only its 3 pages, not 19, alive",
	      r && r->inits == 3 && r->held == 3 && !r->exited && !strcmp(r->comm, "new") &&
	      r->start_time == 20);
	CHECK("the dead one's row (shown exited, holding nothing) went, not the entry",
	      removed == 1 && rows_of(&st, 300) == 1 && f.p[slot(&f, 300)].in_map &&
	      f.deleted == 0);
	run(&f, 300, 20, "new", -3, 0);
	tick(&st, &f);
	CHECK("the new one counts on from the shared entry", row(&st, 300)->held == 0 &&
	      row(&st, 300)->inits == 3);

	/* a start time that changed: the pid is another process's */
	run(&f, 301, 30, "a", 1, 1);
	tick(&st, &f);
	f.p[slot(&f, 301)].start = 31;
	tick(&st, &f);
	CHECK("another start time under the same pid: the row is exited", row(&st, 301)->exited);
	run(&f, 301, 31, "b", 4, 4);
	tick(&st, &f);
	r = row(&st, 301);
	CHECK("and the new process's pages go to a new row", rows_of(&st, 301) == 2 &&
	      r && r->inits == 4 && r->held == 4 && r->start_time == 31 && !r->exited);

	/* reuse while the dead one still holds pages: they share the entry */
	run(&f, 302, 40, "leak", 5, 5);
	tick(&st, &f);
	f.p[slot(&f, 302)].alive = false;
	tick(&st, &f);
	tick(&st, &f);
	run(&f, 302, 41, "next", 2, 2);
	tick(&st, &f);
	r = row(&st, 302);
	CHECK("reused while the dead one holds 5: dead row keeps 5, new row has its 2",
	      rows_of(&st, 302) == 2 && r && r->held == 2 && r->inits == 2 &&
	      st.procs[st.nr_procs - 2].held == 5 && st.procs[st.nr_procs - 2].retired);
	f.p[slot(&f, 302)].c.held = 0;	/* every page of that tgid back */
	f.p[slot(&f, 302)].alive = false;
	tick(&st, &f);
	tick(&st, &f);
	tick(&st, &f);
	CHECK("once the entry holds nothing, both rows go and the entry is deleted",
	      rows_of(&st, 302) == 0 && !f.p[slot(&f, 302)].in_map);
	devmem_state_free(&st);
}

/* ---- metrics: rows that go and move under the exporter ---- */

static void test_metrics_other(void)
{
	struct devmem_metrics m = { .max_procs = 1 };
	struct devmem_state st = { 0 };
	struct fake f = { 0 };
	uint64_t before;
	bool never_down = true;
	int i;

	run(&f, 1, 1, "big", 100, 100);		/* listed */
	run(&f, 2, 2, "b", 0, 7);		/* other */
	run(&f, 3, 3, "c", 1, 5);		/* other */
	tick(&st, &f);
	devmem_metrics_update(&m, &st);
	CHECK("other: 7 + 5 pages to the device", m.other[DEVMEM_PROC_IDX_to_device] == 12 &&
	      m.nr_other == 2);
	f.p[slot(&f, 2)].alive = false;	/* b exits */
	for (i = 0; i < 3; i++) {
		before = m.other[DEVMEM_PROC_IDX_to_device];
		tick(&st, &f);
		run(&f, 3, 3, "c", 0, 1);	/* c goes on: one page an interval */
		devmem_metrics_update(&m, &st);
		never_down &= m.other[DEVMEM_PROC_IDX_to_device] >= before;
	}
	CHECK("other: b's row is gone, c moved into its place", !row(&st, 2) &&
	      st.procs[1].pid == 3);
	CHECK("other never went down while b went", never_down);
	/*
	 * Exactly 12 + c's pages read at each update (the 3rd interval's page
	 * is read at the next tick): rows that moved kept their own "seen".
	 */
	CHECK("other: 12 + c's 2 pages since, no more, no less (c kept its own seen)",
	      m.other[DEVMEM_PROC_IDX_to_device] == 14);
	CHECK("other: 1 process folded now", m.nr_other == 1);
	run(&f, 4, 4, "d", 0, 9);	/* a new process after the removal */
	tick(&st, &f);
	devmem_metrics_update(&m, &st);
	CHECK("other: a new process counts from 0, not from a removed row's seen",
	      m.other[DEVMEM_PROC_IDX_to_device] == 14 + 1 + 9);
	/* the listed process exits: its own series ends; other is unchanged */
	f.p[slot(&f, 1)].c.held = 0;
	f.p[slot(&f, 1)].alive = false;
	before = m.other[DEVMEM_PROC_IDX_to_device];
	tick(&st, &f);
	devmem_metrics_update(&m, &st);
	tick(&st, &f);
	devmem_metrics_update(&m, &st);
	CHECK("a listed process's removal neither lowers other nor adds it twice",
	      !row(&st, 1) && m.other[DEVMEM_PROC_IDX_to_device] == before);
	devmem_metrics_free(&m);
	devmem_state_free(&st);

	/* a retired row and its pid's new row: never two series of one label set */
	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	m = (struct devmem_metrics){ .max_procs = 5 };
	run(&f, 9, 1, "same", 4, 4);
	tick(&st, &f);
	f.p[slot(&f, 9)].alive = false;
	tick(&st, &f);
	tick(&st, &f);
	run(&f, 9, 2, "same", 1, 1);
	tick(&st, &f);
	devmem_metrics_update(&m, &st);
	CHECK("pid reuse: the dead row has no series, the new one has",
	      st.nr_procs == 2 && st.procs[0].retired && !m.procs[0].listed && m.procs[1].listed);
	devmem_metrics_free(&m);
	devmem_state_free(&st);
}

/* ---- the /proc probe ---- */

static void stat_file(const char *root, uint32_t pid, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%u", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/stat", root, pid);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
}

static void test_procfs_probe(void)
{
	char root[] = "/tmp/test_procs.XXXXXX";
	uint64_t start = 0;
	enum devmem_liveness l;

	if (!mkdtemp(root)) {
		CHECK("a temporary procfs", false);
		return;
	}
	/* fields after comm: state ppid ... num_threads(20) itrealvalue starttime(22) */
	stat_file(root, 10, "10 (a) b) (c d) S 1 10 10 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 "
		  "123456 1 2 3\n");
	stat_file(root, 11, "11 (zomb) Z 1 11 11 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 77 0 0\n");
	stat_file(root, 12, "12 (lead) Z 1 12 12 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 3 0 88 0 0\n");
	stat_file(root, 13, "13 (short S 1\n");
	l = devmem_proc_probe_procfs(root, 10, &start);
	CHECK("procfs: a comm with ') (' and spaces: alive since 123456",
	      l == DEVMEM_PROC_ALIVE && start == 123456);
	CHECK("procfs: a zombie alone is gone (its memory is released)",
	      devmem_proc_probe_procfs(root, 11, &start) == DEVMEM_PROC_GONE);
	start = 0;
	CHECK("procfs: a zombie leader with 3 threads lives on in them",
	      devmem_proc_probe_procfs(root, 12, &start) == DEVMEM_PROC_ALIVE && start == 88);
	CHECK("procfs: a stat it cannot parse says nothing",
	      devmem_proc_probe_procfs(root, 13, &start) == DEVMEM_PROC_UNKNOWN);
	CHECK("procfs: no such pid is gone", devmem_proc_probe_procfs(root, 14, &start) == DEVMEM_PROC_GONE);
	CHECK("/proc: this process is alive",
	      devmem_proc_probe_procfs(NULL, (uint32_t)getpid(), &start) == DEVMEM_PROC_ALIVE && start > 0);
	for (int pid = 10; pid <= 13; pid++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%d", root, pid);
		rmdir(path);
	}
	rmdir(root);
}

/* A replay (devmemreport, devmemleak) never probes: every row stays. */
static void test_replay_keeps_all(void)
{
	struct devmem_state st = { 0 };
	uint32_t pid;

	for (pid = 1; pid <= 50; pid++)
		devmem_state_proc(&st, pid, NULL);
	CHECK("without probes nothing is exited and evict removes nothing",
	      devmem_procs_evict(&st, forget, NULL) == 0 && st.nr_procs == 50);
	devmem_state_free(&st);
}

int main(void)
{
	test_exit_shown_once();
	test_exit_holding();
	test_pid_reuse();
	test_metrics_other();
	test_procfs_probe();
	test_replay_keeps_all();
	return failures ? 1 : 0;
}
