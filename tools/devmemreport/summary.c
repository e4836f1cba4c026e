// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemreport's summary of a recording: its header, the per-pgmap and
 * per-process tables, the teardowns that had not ended, as text or as
 * one JSON document. The listings and other formats are render.c's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "lost.h"
#include "output.h"
#include "pgmap_names.h"
#include "render.h"
#include "counters.h"
#include "summary.h"
#include "teardown.h"

/*
 * The teardown of row r as the recording left it (docs/teardown.md): the
 * waiting task as recorded, the pages still out at the end by holder and
 * allocation stack. "Now" is the end of the recording.
 */
static void teardown_of(struct teardown_report *t, const struct report *rep,
			const struct devmem_pgmap_row *r, const struct dmt_info *info, double stall_s)
{
	struct leak_group *g = NULL;
	char buf[32];
	uint64_t now = rep->last_ts;
	size_t n;

	if (dmt_meta_get(info->end, "end_ns", buf, sizeof(buf)))
		now = strtoull(buf, NULL, 10);
	teardown_begin(t, r, now, (uint64_t)(stall_s * 1e9), !rep->t.st.refs_on_free);
	if (r->wait_has_stack)
		stacks_in_file((void *)info->stacks, r->wait_stack_id, t->begin_stack,
			       sizeof(t->begin_stack));
	n = leak_groups(&rep->t, stacks_in_file, (void *)info->stacks, NULL, 0, &g);
	teardown_add_groups(t, g, n, NULL, NULL);
	free(g);
	teardown_finish(t);
}

void summary_teardowns(const struct report *rep, const struct dmt_info *info, double stall_s)
{
	const struct devmem_state *st = &rep->t.st;
	size_t i;

	for (i = 0; i < st->nr_pgmaps; i++) {
		struct teardown_report t;
		char label[3 * DEVMEM_NAME_LEN];

		if (!teardown_wanted(&st->pgmaps[i]))
			continue;
		teardown_of(&t, rep, &st->pgmaps[i], info, stall_s);
		putchar('\n');
		teardown_text(stdout, &t, pgmap_short_name(&st->pgmaps[i], label, sizeof(label)));
		teardown_free(&t);
	}
}

void summary_text(const char *path, const struct dmt_info *info, const struct devmem_state *st,
			  const char *warning)
{
	char buf[128], mode[64];
	uint64_t lost, no_stack;
	size_t i;

	printf("trace %s: format %u.%u, %" PRIu64 " chunks, %" PRIu64 " records\n", path,
	       info->version_major, info->version_minor, info->chunks, info->records);
	if (warning)
		printf("warning: %s\n", warning);
	printf("kernel %s, attach mode %s, recorded by %s\n",
	       dmt_meta_get(info->meta, "kernel", buf, sizeof(buf)) ? buf : "?",
	       dmt_meta_get(info->meta, "attach_mode", mode, sizeof(mode)) ? mode : "?",
	       info->meta && strstr(info->meta, "tool=") ? "devmemrec" : "?");
	if (!devmem_lost_from_end(info->end, &lost, &no_stack))
		printf("lost while recording: %" PRIu64 " (and %" PRIu64 " page inits without a stack)\n",
		       lost, no_stack);
	else
		printf("lost while recording: unknown (the recording did not finish)\n");
	printf("\n%-26s %-9s %-10s %-14s %8s %6s", "RANGE", "TYPE", "DRIVER", "DEVICE", "LIVE",
	       "REFS");
	devmem_counters_text_header(stdout, &devmem_pgmap_counter_set);
	putchar('\n');
	for (i = 0; i < st->nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &st->pgmaps[i];
		char range[64], device[2 * DEVMEM_NAME_LEN];

		snprintf(range, sizeof(range), "%#" PRIx64 "-%#" PRIx64, r->start, r->end);
		printf("%-26s %-9s %-10s %-14s %8" PRId64 " %+6" PRId64,
		       range, devmem_pgmap_type_name(r->type), r->driver[0] ? r->driver : "unknown",
		       pgmap_device_label(r, device, sizeof(device)), devmem_pgmap_live(r), r->refs);
		devmem_counters_text(stdout, &devmem_pgmap_counter_set, &r->c);
		printf("%s\n", r->waiting ? "  (teardown waiting)" : r->destroyed ? "  (destroyed)" :
		       r->live_pending ? "  ~live" : "");
	}
	printf("\n%-7s %-16s", "PID", "COMM");
	devmem_counters_text_header(stdout, &devmem_proc_counter_set);
	putchar('\n');
	for (i = 0; i < st->nr_procs; i++) {
		const struct devmem_proc_row *p = &st->procs[i];

		printf("%-7u %-16s", p->pid, p->comm);
		devmem_counters_text(stdout, &devmem_proc_counter_set, &p->c);
		putchar('\n');
	}
}

void summary_json(const char *path, const struct dmt_info *info, const struct report *rep,
		  const char *warning, const struct dmt_info *salvaged, double stall_s)
{
	const struct devmem_state *st = &rep->t.st;
	static const char *const meta_keys[] = { "kernel", "boot_id", "host", "attach_mode",
						 "unavailable", "tool" };
	struct json j;
	char buf[256];
	uint64_t lost, no_stack;
	size_t i;

	json_begin(&j, stdout);
	json_obj_open(&j, NULL);
	json_u64(&j, "schema", 1);
	json_str(&j, "file", path);
	json_bool(&j, "complete", info->end != NULL && !warning);
	if (warning)
		json_str(&j, "warning", warning);
	if (salvaged) {
		json_arr_open(&j, "skipped");
		for (i = 0; i < salvaged->nr_skips; i++) {
			json_obj_open(&j, NULL);
			json_u64(&j, "from", salvaged->skips[i].start);
			json_u64(&j, "to", salvaged->skips[i].end);
			json_str(&j, "why", salvaged->skips[i].why);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_u64(&j, "skipped_bytes", salvaged->skipped_bytes);
	}
	json_u64(&j, "records", info->records);
	json_obj_open(&j, "meta");
	for (i = 0; i < sizeof(meta_keys) / sizeof(meta_keys[0]); i++)
		if (dmt_meta_get(info->meta, meta_keys[i], buf, sizeof(buf)))
			json_str(&j, meta_keys[i], buf);
	json_obj_close(&j);
	json_obj_open(&j, "drops");
	for (i = 0; i < DMT_END_NR_KEYS; i++)
		if ((dmt_end_keys[i].flags & DMT_END_DROPS) &&
		    dmt_meta_get(info->end, dmt_end_keys[i].name, buf, sizeof(buf)))
			json_u64(&j, dmt_end_keys[i].name, strtoull(buf, NULL, 10));
	if (!devmem_lost_from_end(info->end, &lost, &no_stack))
		json_u64(&j, "lost", lost);	/* lost.h: what every tool calls lost */
	json_obj_close(&j);
	json_obj_open(&j, "events_by_type");
	for (i = 1; i < DEVMEM_REC_TYPE_MAX; i++)
		json_u64(&j, devmem_rec_type_name(i), st->by_type[i]);
	json_obj_close(&j);
	json_arr_open(&j, "pgmaps");
	for (i = 0; i < st->nr_pgmaps; i++) {
		json_obj_open(&j, NULL);
		devmem_json_pgmap_fields(&j, &st->pgmaps[i]);
		if (teardown_wanted(&st->pgmaps[i])) {
			struct teardown_report t;

			teardown_of(&t, rep, &st->pgmaps[i], info, stall_s);
			teardown_json(&j, &t);
			teardown_free(&t);
		}
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_arr_open(&j, "processes");
	for (i = 0; i < st->nr_procs; i++) {
		json_obj_open(&j, NULL);
		devmem_json_proc_fields(&j, &st->procs[i]);
		json_obj_close(&j);
	}
	json_arr_close(&j);
	json_obj_close(&j);
	json_end(&j);
}
