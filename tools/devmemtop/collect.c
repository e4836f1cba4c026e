// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemtop's intervals: records or the kernel's totals into the state,
 * the processes that exit, stuck faults, losses, late start's settling,
 * debugfs's check of the live counts, and the teardowns that wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include "clock.h"
#include "debugfs.h"
#include "devmemtop.h"
#include "exporter.h"
#include "fault_hooks.h"
#include "kcounts.h"
#include "ktasks.h"
#include "pgmaps.h"
#include "procs.h"
#include "slots.h"
#include "replay.h"
#include "stuck_live.h"

#define DEBUGFS_PGMAPS debugfs_pgmaps_path()

int devmemtop_on_record(void *ctx, void *data, size_t size)
{
	struct top *t = ctx;

	if (devmem_replay_record(data, size, &devmem_state_ops, &t->st))
		t->bad_records++;
	return 0;
}

int devmemtop_poll(struct top *t, int timeout_ms)
{
	int rc;

	if (!t->exporting)
		return devmem_session_poll(&t->sess, timeout_ms);
	/*
	 * Scrapers are served while we wait; records are taken after, so with
	 * records (-p) wait in short slices: the ring buffer must not fill.
	 */
	if (t->sess.rb && timeout_ms > 10)
		timeout_ms = 10;
	rc = exporter_poll(timeout_ms);
	return rc ? rc : t->sess.rb ? devmem_session_poll(&t->sess, 0) : 0;
}

/*
 * debugfs's live page counts, the kernel's truth, against the shadow count.
 * The kernel counts them by walking every struct page of every pgmap (7.3's
 * series; millions on a GPU), so the file is read only when it can be
 * judged, while no pgmap moves pages, and then at most every
 * DEVMEM_DEBUGFS_READ_NS unless events came in since the last read.
 */
static void check_live(struct top *t)
{
	uint64_t now = host_now_ns(), moved = 0;
	struct debugfs_pgmaps dp;
	size_t i, k;

	for (i = 0; i < t->st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &t->st.pgmaps[i];

		if (r->inits != r->mark[RATE_INIT] || r->frees != r->mark[RATE_FREE]) {
			for (i = 0; i < t->nr_live_true; i++)
				t->mismatch_runs[i] = 0;	/* nothing to judge while pages move */
			return;
		}
	}
	/*
	 * Only pages handed out or freed, and pgmaps made or torn down, change
	 * what debugfs says: faults do not, and a task spinning on a stuck
	 * fault makes 10^4 a second, each of which made the next interval
	 * walk every struct page again.
	 */
	for (i = 0; i < t->st.nr_pgmaps; i++)
		moved += t->st.pgmaps[i].inits + t->st.pgmaps[i].frees + t->st.pgmaps[i].destroyed;
	moved += t->st.nr_pgmaps;
	if (t->live_checked_ns && now - t->live_checked_ns < DEVMEM_DEBUGFS_READ_NS &&
	    moved == t->live_checked_events)
		return;
	t->live_checked_ns = now;
	t->live_checked_events = moved;
	if (t->nr_live_true < t->st.nr_pgmaps) {
		int64_t *lt = realloc(t->live_true, t->st.nr_pgmaps * sizeof(*lt));
		int *runs;

		if (lt)
			t->live_true = lt;
		runs = lt ? realloc(t->mismatch_runs, t->st.nr_pgmaps * sizeof(*runs)) : NULL;
		if (!runs)	/* keep what we had; check again next interval */
			return;
		t->mismatch_runs = runs;
		for (i = t->nr_live_true; i < t->st.nr_pgmaps; i++)
			t->mismatch_runs[i] = 0;
		t->nr_live_true = t->st.nr_pgmaps;
	}
	for (i = 0; i < t->nr_live_true; i++)
		t->live_true[i] = -1;
	debugfs_pgmaps_read(DEBUGFS_PGMAPS, &dp);	/* unreadable: every count unknown */
	for (k = 0; k < dp.lines.n; k++)
		for (i = 0; i < t->st.nr_pgmaps; i++)
			if (t->st.pgmaps[i].start == dp.lines.v[k].start && !t->st.pgmaps[i].destroyed)
				t->live_true[i] = dp.lines.v[k].live;
	debugfs_pgmaps_free(&dp);
	for (i = 0; i < t->nr_live_true; i++) {
		const struct devmem_pgmap_row *r = &t->st.pgmaps[i];
		/*
		 * Judge only a pgmap that was quiet through the interval: while
		 * pages move, debugfs and the totals are read moments apart.
		 */
		bool quiet = r->inits == r->mark[RATE_INIT] && r->frees == r->mark[RATE_FREE];
		bool differ = quiet && t->live_true[i] >= 0 && !r->live_pending &&
			      t->live_true[i] != devmem_pgmap_live(r);

		t->mismatch_runs[i] = differ ? t->mismatch_runs[i] + 1 : 0;
	}
}

/* A teardown's report, and the view whose processes hold its pages. */
struct owner_ctx {
	const struct top *t;
	struct teardown_report *rep;
};

static void add_owner(void *ctx, uint32_t tgid, uint64_t pages)
{
	const struct owner_ctx *o = ctx;
	const struct top *t = o->t;
	struct teardown_report *rep = o->rep;
	const struct devmem_proc_row *p = NULL;
	uint64_t i;

	if (u64map_get(&t->st.proc_idx, tgid + 1ull, &i))
		p = &t->st.procs[i];
	teardown_add_holder(rep, tgid, p ? p->comm : "", p && t->probe ? p->exited : -1, pages, 0);
}

/*
 * What each waiting teardown waits for: the waiting task as procfs shows
 * it now, the pages still out by the process they were handed to.
 */
static void collect_teardowns(struct top *t)
{
	uint64_t now = host_now_ns();
	size_t i, n = 0, unseen = 0;

	for (i = 0; i < t->nr_td; i++)
		teardown_free(&t->td[i]);
	t->nr_td = 0;
	for (i = 0; i < t->st.nr_pgmaps; i++)
		n += teardown_wanted(&t->st.pgmaps[i]) ||
		     devmem_walked_teardown_unseen(devmem_late_start_walked(&t->late, &t->st.pgmaps[i]),
						   &t->st.pgmaps[i]);
	if (!n)
		return;
	free(t->td);
	free(t->td_row);
	t->td = calloc(n, sizeof(*t->td));
	t->td_row = calloc(n, sizeof(*t->td_row));
	if (!t->td || !t->td_row) {
		t->st.oom++;
		return;
	}
	for (i = 0; i < t->st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &t->st.pgmaps[i];
		const struct devmem_walked *w = devmem_late_start_walked(&t->late, r);
		struct teardown_report *rep = &t->td[t->nr_td];
		struct owner_ctx ctx = { t, rep };

		if (devmem_walked_teardown_unseen(w, r)) {
			devmem_walked_teardown_begin(rep, w, r, now, t->started_ns,
						     (uint64_t)(t->stall_s * 1e9));
			unseen++;
		} else if (teardown_wanted(r)) {
			teardown_begin(rep, r, now, (uint64_t)(t->stall_s * 1e9),
				       !t->st.refs_on_free);
			ktask_read_teardown(rep);
		} else {
			continue;
		}
		if (r->pgmap)
			devmem_pgmap_owners(&t->sess, r->pgmap, add_owner, &ctx);
		teardown_finish(rep);
		t->td_row[t->nr_td++] = i;
	}
	devmem_teardown_pair_early(t->td, t->nr_td, unseen, t->early, t->nr_early);
}

const struct teardown_report *top_teardown(const struct top *t, const struct devmem_pgmap_row *r)
{
	size_t i;

	for (i = 0; i < t->nr_td; i++)
		if (&t->st.pgmaps[t->td_row[i]] == r)
			return &t->td[i];
	return NULL;
}

void devmemtop_collect(struct top *t)
{
	/* Before the read: the read after a process is found gone is final. */
	if (t->probe)
		devmem_procs_probe(&t->st, devmem_proc_probe_procfs, NULL, false);
	if (t->sess.rb)
		devmem_session_poll(&t->sess, 0);
	else
		devmem_state_from_kernel(&t->st, &t->sess, devmem_procs_kernel_totals);
	if (t->probe)
		devmem_procs_probe(&t->st, devmem_proc_probe_procfs, NULL, true);
	/* Paused, nothing is shown: nothing shown exited may go. */
	if (t->evict && !t->paused)
		t->procs_removed += devmem_procs_evict(&t->st, devmem_proc_forget_kernel, &t->sess);
	if (!t->sess.rb && !t->paused && devmem_pgmaps_evict(&t->st, devmem_pgmap_forget_kernel,
							    &t->sess)) {
		size_t i;

		/* rows moved: a mismatch run is judged again from its start */
		for (i = 0; i < t->nr_live_true; i++)
			t->mismatch_runs[i] = 0;
	}
	devmem_slots_release(&t->sess);
	devmem_fault_hooks_update(&t->sess, false);
	if (devmem_spins_read(&t->spins, &t->sess, host_now_ns()))
		t->spins.oom++;
	devmem_spins_judge(&t->spins, &t->st, host_now_ns(), t->stuck_after_ns, t->filter_pid);
	/* Unreadable: the last figures stay, and the loss is not called none. */
	if (devmem_read_drops(&t->sess, t->drops, &t->recursion_misses))
		t->st.oom++;
	pgmap_namer_update(&t->namer, &t->st);	/* new pgmaps, or owners just learned */
	devmem_late_start_settle(&t->late, &t->st, &t->sess);
	check_live(t);
	devmem_state_mark(&t->st, host_now_ns());
	collect_teardowns(t);
	devmem_late_start_waiters_refresh(t->early, t->nr_early);
}
