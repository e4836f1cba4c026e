// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Batch mode: plain text or one JSON document per interval on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "devmemtop.h"
#include "json.h"
#include "lost.h"
#include "output.h"
#include "walk.h"
#include "fault_hooks.h"

static void row_line(const struct column *cols, size_t n, const void *row)
{
	char buf[64];
	size_t i;

	for (i = 0; i < n; i++) {
		column_fmt(&cols[i], buf, sizeof(buf), row);
		printf(i ? " %*s" : "%-*s", cols[i].width, buf);
	}
}

static void header_line(const struct column *cols, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf(i ? " %*s" : "%-*s", cols[i].width, cols[i].name);
	putchar('\n');
}

void batch_text(struct top *t)
{
	const struct devmem_pgmap_row **pg;
	const struct devmem_proc_row **pr;
	size_t i, n;

	printf("devmemtop: kernel %s, mode %s, %llu events (%.1f/s), %llu lost\n",
	       t->kernel, devmem_mode_name(t->sess.mode), (unsigned long long)t->st.events,
	       t->st.event_rate, (unsigned long long)total_drops(t));
	if (t->sess.unavailable[0])
		printf("  not seen in this mode: %s\n", t->sess.unavailable);
	if (t->sess.fault_hooks) {
		char hooks[256];

		printf("  faults seen through: %s\n",
		       devmem_fault_hooks_names(&t->sess, hooks, sizeof(hooks))[0] ? hooks :
		       "migrate_vma_finalize() (no driver callback hooked)");
	}
	for (i = 0; i < t->spins.n && t->spins.v[i].state == DEVMEM_SPIN_STUCK; i++) {
		char line[256];

		puts(devmem_stuck_text(&t->spins.v[i], &t->st, line, sizeof(line)));
	}
	header_line(pgmap_columns, pgmap_columns_shown());
	n = sorted_pgmaps(t, &pg);
	for (i = 0; i < n && (!t->max_rows || i < t->max_rows); i++) {
		row_line(pgmap_columns, pgmap_columns_shown(), pg[i]);
		puts(pgmap_mismatch(t, pg[i]) ? " !live" : pg[i]->live_pending ? " ~live" : "");
	}
	if (i < n)
		printf("(%zu more pgmaps)\n", n - i);
	free(pg);
	putchar('\n');
	walk_text(t);
	header_line(proc_columns, nr_proc_columns);
	n = sorted_procs(t, &pr);
	for (i = 0; i < n && (!t->max_rows || i < t->max_rows); i++) {
		row_line(proc_columns, nr_proc_columns, pr[i]);
		puts(pr[i]->exited ? " exited" : "");
	}
	if (i < n)
		printf("(%zu more processes)\n", n - i);
	free(pr);
	putchar('\n');
	for (i = 0; i < t->nr_td; i++) {
		char label[3 * DEVMEM_NAME_LEN];

		teardown_text(stdout, &t->td[i], devmem_pgmap_label(&t->st,
			      t->st.pgmaps[t->td_row[i]].pgmap, label, sizeof(label)));
		putchar('\n');
	}
	for (i = 0; i < t->nr_early; i++) {
		const struct ktask *k = &t->early[i];

		printf("in memunmap_pages() since before we started: pid %u tid %u (%s)%s\n",
		       k->pid, k->tid, k->comm, k->state ? "" : ", returned since");
		if (k->state)
			teardown_text_frames(stdout, k->stack, "    ");
		putchar('\n');
	}
	fflush(stdout);
}

void batch_json(struct top *t)
{
	const struct devmem_pgmap_row **pg;
	const struct devmem_proc_row **pr;
	struct json j;
	size_t i, n;
	int k;

	json_begin(&j, stdout);
	json_obj_open(&j, NULL);
	json_u64(&j, "schema", 1);
	json_u64(&j, "time_unix", (uint64_t)time(NULL));
	json_double(&j, "interval_s", t->interval_s);
	json_str(&j, "kernel", t->kernel);
	json_str(&j, "mode", devmem_mode_name(t->sess.mode));
	json_str(&j, "unavailable", t->sess.unavailable);
	json_u64(&j, "events", t->st.events);
	json_double(&j, "events_per_s", t->st.event_rate);
	json_obj_open(&j, "drops");
	for (k = 0; k < DEVMEM_DROP_MAX; k++)
		json_u64(&j, devmem_drop_names[k], t->drops[k]);
	json_u64(&j, "recursion_misses", t->recursion_misses);
	json_u64(&j, "bad_records", t->bad_records);
	json_u64(&j, "untracked_oom", t->st.oom);
	json_u64(&j, "total", total_drops(t));
	json_obj_close(&j);
	json_u64(&j, "processes_removed", t->procs_removed);
	json_double(&j, "stuck_after_s", t->stuck_after_ns / 1e9);
	if (t->sess.fault_hooks) {
		char hooks[256];

		json_str(&j, "fault_hooks", devmem_fault_hooks_names(&t->sess, hooks, sizeof(hooks)));
	}
	json_u64(&j, "faults_spinning", t->spins.nr_spinning);
	json_arr_open(&j, "stuck_faults");
	devmem_json_stuck(&j, &t->spins, &t->st);
	json_arr_close(&j);
	json_arr_open(&j, "pgmaps");
	n = sorted_pgmaps(t, &pg);
	for (i = 0; i < n; i++) {
		const struct devmem_pgmap_row *r = pg[i];
		size_t idx = r - t->st.pgmaps;

		json_obj_open(&j, NULL);
		devmem_json_pgmap_fields(&j, r);
		if (idx < t->nr_live_true && t->live_true[idx] >= 0)
			json_i64(&j, "live_pages_kernel", t->live_true[idx]);
		json_bool(&j, "live_mismatch", pgmap_mismatch(t, r));
		json_double(&j, "init_per_s", r->rate[RATE_INIT]);
		json_double(&j, "free_per_s", r->rate[RATE_FREE]);
		json_double(&j, "to_device_per_s", r->rate[RATE_TO_DEVICE]);
		json_double(&j, "to_system_per_s", r->rate[RATE_TO_SYSTEM]);
		walk_json(&j, r);
		if (top_teardown(t, r))
			teardown_json(&j, top_teardown(t, r));
		json_double(&j, "faults_per_s", r->rate[RATE_FAULT]);
		json_u64(&j, "stuck", r->stuck);
		json_obj_close(&j);
	}
	free(pg);
	json_arr_close(&j);
	json_arr_open(&j, "processes");
	n = sorted_procs(t, &pr);
	for (i = 0; i < n; i++) {
		json_obj_open(&j, NULL);
		devmem_json_proc_fields(&j, pr[i]);
		json_bool(&j, "exited", pr[i]->exited);
		json_double(&j, "faults_per_s", pr[i]->fault_rate);
		json_u64(&j, "stuck", pr[i]->stuck);
		json_obj_close(&j);
	}
	free(pr);
	json_arr_close(&j);
	json_arr_open(&j, "teardown_tasks_before_start");
	for (i = 0; i < t->nr_early; i++) {
		const struct ktask *k = &t->early[i];

		json_obj_open(&j, NULL);
		json_u64(&j, "pid", k->pid);
		json_u64(&j, "tid", k->tid);
		json_str(&j, "comm", k->comm);
		json_bool(&j, "waiting", k->state != 0);
		teardown_json_frames(&j, "stack", k->state ? k->stack : "");
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	json_end(&j);
}
