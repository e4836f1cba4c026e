// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemreport: post-mortem analysis of a devmemrec trace. It replays the
 * file through the same callbacks devmemtop feeds from the ring buffer.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attach.h"
#include "json.h"
#include "output.h"
#include "pgmap_names.h"
#include "state.h"
#include "tracefile.h"
#include "collect.h"
#include "render.h"

/* Exit codes beyond the shared ones (docs/devmemreport.md). */
#define EXIT_TRUNCATED 6	/* report covers the file up to its last whole chunk */
#define EXIT_CORRUPT 7		/* the file is damaged: nothing reported */

static const char *pgmap_addrs;

/* Pgmap addresses the recorder described: "pgmap start end type owner nr_pages". */
static int resolve(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta)
{
	const char *line;

	(void)ctx;
	for (line = pgmap_addrs; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long p, start, end, owner, nr;
		unsigned int type;

		if (sscanf(line, "%llx %llx %llx %u %llx %llu", &p, &start, &end, &type, &owner, &nr) == 6 &&
		    p == pgmap) {
			meta->start = start;
			meta->end = end;
			meta->type = type;
			meta->owner = owner;
			meta->nr_pages = nr;
			return 0;
		}
	}
	return -1;
}

static void text_report(const char *path, const struct dmt_info *info, const struct devmem_state *st,
			const char *warning)
{
	char buf[128], mode[64];
	size_t i;

	printf("trace %s: format %u.%u, %" PRIu64 " chunks, %" PRIu64 " records\n", path,
	       info->version_major, info->version_minor, info->chunks, info->records);
	if (warning)
		printf("warning: %s\n", warning);
	printf("kernel %s, attach mode %s, recorded by %s\n",
	       dmt_meta_get(info->meta, "kernel", buf, sizeof(buf)) ? buf : "?",
	       dmt_meta_get(info->meta, "attach_mode", mode, sizeof(mode)) ? mode : "?",
	       info->meta && strstr(info->meta, "tool=") ? "devmemrec" : "?");
	printf("dropped while recording: %s\n",
	       info->end && dmt_meta_get(info->end, "dropped", buf, sizeof(buf)) ? buf :
	       "unknown (the recording did not finish)");
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
		       r->destroyed ? "  (destroyed)" : "");
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

static void json_report(const char *path, const struct dmt_info *info, const struct devmem_state *st,
			const char *warning)
{
	static const char *const meta_keys[] = { "kernel", "boot_id", "host", "attach_mode",
						 "unavailable", "tool" };
	static const char *const end_keys[] = { "dropped", "ringbuf_full", "pgmap_map_full",
						"proc_map_full", "page_map_full", "probe_missed", "recursion_misses",
						"bad_records", "events_seen" };
	struct json j;
	char buf[256];
	size_t i;

	json_begin(&j, stdout);
	json_obj_open(&j, NULL);
	json_u64(&j, "schema", 1);
	json_str(&j, "file", path);
	json_bool(&j, "complete", info->end != NULL && !warning);
	if (warning)
		json_str(&j, "warning", warning);
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
	json_obj_close(&j);
	json_obj_open(&j, "events_by_type");
	for (i = 1; i < DEVMEM_REC_TYPE_MAX; i++)
		json_u64(&j, devmem_rec_type_name(i), st->by_type[i]);
	json_obj_close(&j);
	json_arr_open(&j, "pgmaps");
	for (i = 0; i < st->nr_pgmaps; i++) {
		json_obj_open(&j, NULL);
		devmem_json_pgmap_fields(&j, &st->pgmaps[i]);
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "perfetto", required_argument, NULL, 'P' },
		{ "svg", required_argument, NULL, 'S' },
		{ "limit", required_argument, NULL, 'l' },
		{ "raw-addresses", no_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static struct report rep;
	struct devmem_state *stp = &rep.t.st;
	struct dmt_info first, info;
	const char *perfetto = NULL, *svg = NULL;
	char err[512], buf[64];
	bool json = false, csv = false;
	size_t limit = 20;
	int c, rc;

	while ((c = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'c': csv = true; break;
		case 'P': perfetto = optarg; break;
		case 'S': svg = optarg; break;
		case 'l': limit = strtoul(optarg, NULL, 10); break;
		case 'X': devmem_raw_addresses = true; break;
		case 'h':
			printf("usage: devmemreport [--json | --csv] [--perfetto OUT] [--svg OUT] [--limit N] [--raw-addresses] FILE\n\n"
			       "Summary, per-pgmap and per-process tables of a devmemrec trace, the\n"
			       "long-term migration and CoW listings, a timeline and what was still\n"
			       "out at the end (N lines each, default 20). --perfetto writes Chrome\n"
			       "trace JSON for ui.perfetto.dev; --svg plots live pages per pgmap.\n"
			       "Pgmaps go by driver and device names, resolved when the trace was\n"
			       "recorded; --raw-addresses adds their kernel addresses and owners.\n"
			       "Exit status: 0 ok, 1 cannot read, 2 usage, 6 truncated (reported up\n"
			       "to the last whole chunk), 7 corrupt (nothing reported).\n");
			return 0;
		default: return DEVMEM_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: devmemreport [--json | --csv] [--perfetto OUT] [--svg OUT] [--limit N] [--raw-addresses] FILE\n");
		return DEVMEM_EXIT_USAGE;
	}
	/* First pass: what the file says about itself; second: the events. */
	rc = dmt_scan(argv[optind], &first, err, sizeof(err));
	if (rc == DMT_READ_OK || rc == DMT_READ_TRUNCATED) {
		pgmap_addrs = first.pgmap_addrs;
		stp->resolve = resolve;
		stp->refs_on_free = dmt_meta_get(first.meta, "attach_mode", buf, sizeof(buf)) &&
				    strcmp(buf, "tracepoint");
		if (first.pgmaps)
			devmem_state_seed_text(stp, first.pgmaps);
		rep.want_samples = perfetto || svg;
		rc = dmt_read(argv[optind], report_ops(), &rep, &info, err, sizeof(err));
		pgmap_names_apply(stp, first.pgmap_names);	/* named where it was recorded */
	}
	if (rc == DMT_READ_IO || rc == DMT_READ_CORRUPT) {
		if (json)
			printf("{\"schema\":1,\"error\":\"%s\",\"exit\":%d}\n",
			       rc == DMT_READ_IO ? "cannot_read" : "corrupt",
			       rc == DMT_READ_IO ? DEVMEM_EXIT_ERROR : EXIT_CORRUPT);
		fprintf(stderr, "devmemreport: %s%s%s\n", rc == DMT_READ_CORRUPT ? argv[optind] : "",
			rc == DMT_READ_CORRUPT ? ": " : "", err);
		dmt_info_free(&first);
		report_free(&rep);
		return rc == DMT_READ_IO ? DEVMEM_EXIT_ERROR : EXIT_CORRUPT;
	}
	if (json) {
		json_report(argv[optind], &info, stp, rc ? err : NULL);
	} else if (csv) {
		render_csv(&rep);
	} else {
		text_report(argv[optind], &info, stp, rc ? err : NULL);
		render_listings(&rep, info.stacks, limit);
	}
	if (perfetto && render_perfetto(&rep, perfetto))
		fprintf(stderr, "devmemreport: %s: cannot write\n", perfetto);
	if (svg && render_svg(&rep, svg))
		fprintf(stderr, "devmemreport: %s: cannot write\n", svg);
	if (rc)
		fprintf(stderr, "devmemreport: %s: %s\n", argv[optind], err);
	dmt_info_free(&first);
	dmt_info_free(&info);
	report_free(&rep);
	return rc ? EXIT_TRUNCATED : 0;
}
