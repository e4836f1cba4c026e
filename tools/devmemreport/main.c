// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemreport: post-mortem analysis of a devmemrec trace. It replays the
 * file through the same callbacks devmemtop feeds from the ring buffer.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exit_codes.h"
#include "lost.h"
#include "version.h"
#include "json.h"
#include "late_start.h"
#include "output.h"
#include "pgmap_names.h"
#include "state.h"
#include "teardown.h"
#include "tracefile.h"
#include "collect.h"
#include "render.h"

/* Where the skipped ranges of a salvaged file go in the JSON document. */
static const struct dmt_info *salvaged;
static double stall_s = TEARDOWN_DEFAULT_STALL_S;

/*
 * The teardown of row r as the recording left it (docs/teardown.md): the
 * waiting task as recorded, the pages still out at the end by holder and
 * allocation stack. "Now" is the end of the recording.
 */
static void teardown_of(struct teardown_report *t, const struct report *rep,
			const struct devmem_pgmap_row *r, const struct dmt_info *info)
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

static void text_teardowns(const struct report *rep, const struct dmt_info *info)
{
	const struct devmem_state *st = &rep->t.st;
	size_t i;

	for (i = 0; i < st->nr_pgmaps; i++) {
		struct teardown_report t;
		char label[3 * DEVMEM_NAME_LEN];

		if (!teardown_wanted(&st->pgmaps[i]))
			continue;
		teardown_of(&t, rep, &st->pgmaps[i], info);
		putchar('\n');
		teardown_text(stdout, &t, pgmap_short_name(&st->pgmaps[i], label, sizeof(label)));
		teardown_free(&t);
	}
}

static void text_report(const char *path, const struct dmt_info *info, const struct devmem_state *st,
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
	printf("\n%-26s %-9s %-10s %-14s %8s %6s %8s %8s %9s %9s %8s %6s %7s\n", "RANGE", "TYPE",
	       "DRIVER", "DEVICE", "LIVE", "REFS", "INITS", "FREES", "TODEV", "FROMDEV", "LONGTERM",
	       "COW", "FAULTS");
	for (i = 0; i < st->nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &st->pgmaps[i];
		char range[64], device[2 * DEVMEM_NAME_LEN];

		snprintf(range, sizeof(range), "%#" PRIx64 "-%#" PRIx64, r->start, r->end);
		printf("%-26s %-9s %-10s %-14s %8" PRId64 " %+6" PRId64 " %8" PRIu64 " %8" PRIu64 " %9" PRIu64
		       " %9" PRIu64 " %8" PRIu64 " %6" PRIu64 " %7" PRIu64 "%s\n",
		       range, devmem_pgmap_type_name(r->type), r->driver[0] ? r->driver : "unknown",
		       pgmap_device_label(r, device, sizeof(device)), devmem_pgmap_live(r), r->refs,
		       r->inits, r->frees, r->to_device, r->to_system, r->longterm, r->cow, r->faults,
		       r->waiting ? "  (teardown waiting)" : r->destroyed ? "  (destroyed)" :
		       r->live_pending ? "  ~live" : "");
	}
	printf("\n%-7s %-16s %6s %8s %8s %8s %7s %8s %6s\n", "PID", "COMM", "HELD", "INITS", "TODEV",
	       "FROMDEV", "FAULTS", "LONGTERM", "COW");
	for (i = 0; i < st->nr_procs; i++) {
		const struct devmem_proc_row *p = &st->procs[i];

		printf("%-7u %-16s %6" PRId64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %7" PRIu64
		       " %8" PRIu64 " %6" PRIu64 "\n", p->pid, p->comm, p->held, p->inits,
		       p->to_device, p->to_system, p->faults, p->longterm, p->cow);
	}
}

/*
 * A seeded pgmap's live count is exact only if every record of its pages
 * is in the file (docs/counting.md, "Late start"): not with a pid or pgmap
 * filter, not with records lost, not without the END chunk that says.
 */
static void seeded_exact(struct devmem_state *st, const struct dmt_info *first,
			 const struct dmt_info *info)
{
	uint64_t lost = 0, no_stack = 0;
	char pid[32] = "0", pgmap[32] = "0";

	dmt_meta_get(first->meta, "filter_pid", pid, sizeof(pid));
	dmt_meta_get(first->meta, "filter_pgmap", pgmap, sizeof(pgmap));
	if (strtoull(pid, NULL, 0) == 0 && strtoull(pgmap, NULL, 0) == 0 &&
	    !devmem_lost_from_end(info->end, &lost, &no_stack) && lost == 0)
		return;
	devmem_state_seeded_estimates(st);
}

static void json_report(const char *path, const struct dmt_info *info, const struct report *rep,
			const char *warning)
{
	const struct devmem_state *st = &rep->t.st;
	static const char *const meta_keys[] = { "kernel", "boot_id", "host", "attach_mode",
						 "unavailable", "tool" };
	static const char *const end_keys[] = { "dropped", "ringbuf_full", "pgmap_map_full",
						"proc_map_full", "page_map_full", "probe_missed", "recursion_misses",
						"bad_records", "events_seen" };
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
	for (i = 0; i < sizeof(end_keys) / sizeof(end_keys[0]); i++)
		if (dmt_meta_get(info->end, end_keys[i], buf, sizeof(buf)))
			json_u64(&j, end_keys[i], strtoull(buf, NULL, 10));
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

			teardown_of(&t, rep, &st->pgmaps[i], info);
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

static void usage(FILE *f)
{
	fprintf(f,
"usage: devmemreport [--json | --csv] [--perfetto OUT] [--svg OUT] [--folded OUT]\n"
"                    [--limit N] [--salvage] [--raw-addresses] [--stall SEC] FILE\n"
"       devmemreport --version\n"
"\n"
"Summary, per-pgmap and per-process tables of a devmemrec trace, the\n"
"long-term migration and CoW listings, a timeline and what was still\n"
"out at the end (N lines each, default 20). --perfetto writes Chrome\n"
"trace JSON for ui.perfetto.dev; --svg plots live pages per pgmap;\n"
"--folded writes pages by kernel stack for flame graphs (docs/folded.md;\n"
"OUT \"-\" is stdout, instead of the report).\n"
"--salvage skips damaged chunks instead of refusing the file, names the\n"
"skipped byte ranges on stderr and reports the rest. Pgmaps go by driver\n"
"and device names, resolved when the trace was recorded; --raw-addresses\n"
"adds their kernel addresses and owners. A teardown (memunmap_pages())\n"
"that had not ended when the recording did is shown with the task that\n"
"waits and the pages it waits for; waiting --stall SEC (default 10) or\n"
"longer, it is stalled (docs/teardown.md).\n"
"\n");
	devmem_print_exit_codes(f, DEVMEM_TOOL_REPORT);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "perfetto", required_argument, NULL, 'P' },
		{ "svg", required_argument, NULL, 'S' },
		{ "folded", required_argument, NULL, 'F' },
		{ "limit", required_argument, NULL, 'l' },
		{ "salvage", no_argument, NULL, 'V' },
		{ "raw-addresses", no_argument, NULL, 'X' },
		{ "stall", required_argument, NULL, 'T' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct report rep;
	struct devmem_state *stp = &rep.t.st;
	struct dmt_info first, info;
	const char *perfetto = NULL, *svg = NULL, *folded = NULL, *path;
	char err[512], buf[64];
	bool json = false, csv = false;
	unsigned int flags = 0;
	size_t limit = 20, i;
	int c, rc, exit_rc, folded_failed = 0;

	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'c': csv = true; break;
		case 'P': perfetto = optarg; break;
		case 'S': svg = optarg; break;
		case 'F': folded = optarg; break;
		case 'l': {
			char *end;

			errno = 0;
			limit = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "devmemreport: --limit %s: not a number of rows\n", optarg);
				return DEVMEM_EXIT_USAGE;
			}
			break;
		}
		case 'V': flags |= DMT_READ_SALVAGE; break;
		case 'T': {
			char *end;

			errno = 0;
			stall_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(stall_s >= 0)) {
				fprintf(stderr, "devmemreport: --stall %s: not a number of seconds\n", optarg);
				return DEVMEM_EXIT_USAGE;
			}
			break;
		}
		case 'X': devmem_raw_addresses = true; break;
		case 'v': devmem_print_version(stdout, "devmemreport"); return DEVMEM_EXIT_OK;
		case 'h': usage(stdout); return DEVMEM_EXIT_OK;
		default: usage(stderr); return DEVMEM_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return DEVMEM_EXIT_USAGE;
	}
	path = argv[optind];
	memset(&info, 0, sizeof(info));
	/* First pass: what the file says about itself; second: the events. */
	rc = dmt_scan_flags(path, &first, flags, err, sizeof(err));
	if (rc == DMT_READ_OK || rc == DMT_READ_TRUNCATED || rc == DMT_READ_SALVAGED) {
		/* Pgmaps described in-band or at the end name the rows, finished or not. */
		stp->resolve = dmt_resolve_pgmap;
		stp->resolve_ctx = first.pgmap_addrs;
		stp->refs_on_free = dmt_meta_get(first.meta, "attach_mode", buf, sizeof(buf)) &&
				    strcmp(buf, "tracepoint");
		if (first.pgmaps)
			devmem_state_seed_text(stp, first.pgmaps);
		rep.want_samples = perfetto || svg;
		rep.want_folded = folded != NULL;
		rc = dmt_read_flags(path, report_ops(), stp, &info, flags, err, sizeof(err));
		pgmap_names_apply(stp, first.pgmap_names);	/* named where it was recorded */
		seeded_exact(stp, &first, &info);
	}
	if (rc == DMT_READ_IO || rc == DMT_READ_CORRUPT) {
		exit_rc = rc == DMT_READ_IO ? DEVMEM_EXIT_ERROR : DEVMEM_EXIT_CORRUPT;
		if (json)
			printf("{\"schema\":1,\"error\":\"%s\",\"exit\":%d}\n",
			       rc == DMT_READ_IO ? "cannot_read" : "corrupt", exit_rc);
		fprintf(stderr, "devmemreport: %s%s%s%s\n", rc == DMT_READ_CORRUPT ? path : "",
			rc == DMT_READ_CORRUPT ? ": " : "", err,
			rc == DMT_READ_CORRUPT && !(flags & DMT_READ_SALVAGE) ?
			" (--salvage reports the undamaged chunks)" : "");
		dmt_info_free(&first);
		dmt_info_free(&info);
		report_free(&rep);
		return exit_rc;
	}
	if (rc == DMT_READ_SALVAGED)	/* which bytes are missing, before the report */
		for (i = 0; i < info.nr_skips; i++)
			fprintf(stderr, "devmemreport: %s: skipped bytes %llu-%llu (%llu bytes): %s\n",
				path, (unsigned long long)info.skips[i].start,
				(unsigned long long)info.skips[i].end,
				(unsigned long long)(info.skips[i].end - info.skips[i].start),
				info.skips[i].why);
	if (info.nr_skipped > info.nr_skips)
		fprintf(stderr, "devmemreport: %s: and %llu more skipped ranges\n", path,
			(unsigned long long)(info.nr_skipped - info.nr_skips));
	salvaged = rc == DMT_READ_SALVAGED ? &info : NULL;
	if (folded && !strcmp(folded, "-")) {
		/* stdout holds the folded stacks alone */
	} else if (json) {
		json_report(path, &info, &rep, rc ? err : NULL);
	} else if (csv) {
		render_csv(&rep);
	} else {
		text_report(path, &info, stp, rc ? err : NULL);
		text_teardowns(&rep, &info);
		render_listings(&rep, info.stacks, limit);
	}
	if (perfetto && render_perfetto(&rep, perfetto))
		fprintf(stderr, "devmemreport: %s: cannot write\n", perfetto);
	if (svg && render_svg(&rep, svg))
		fprintf(stderr, "devmemreport: %s: cannot write\n", svg);
	if (folded && (folded_failed = render_folded(&rep, info.stacks, folded)))
		fprintf(stderr, "devmemreport: %s: cannot write folded stacks: %s\n", folded, strerror(errno));
	if (rc)
		fprintf(stderr, "devmemreport: %s: %s\n", path, err);
	exit_rc = folded_failed ? DEVMEM_EXIT_ERROR : rc == DMT_READ_SALVAGED ? DEVMEM_EXIT_SALVAGED :
		  rc == DMT_READ_TRUNCATED ? DEVMEM_EXIT_TRUNCATED : DEVMEM_EXIT_OK;
	dmt_info_free(&first);
	dmt_info_free(&info);
	report_free(&rep);
	return exit_rc;
}
