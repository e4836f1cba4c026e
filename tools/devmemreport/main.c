// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemreport: post-mortem analysis of a devmemrec trace. It replays the
 * file through the same callbacks devmemtop feeds from the ring buffer.
 * This file reads the command line (cmd_report()) and writes what it asks
 * for (__cmd_report()): collect.c reads the file, summary.c and render.c
 * show it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exit_codes.h"
#include "options.h"
#include "version.h"
#include "output.h"
#include "teardown.h"
#include "tracefile.h"
#include "collect.h"
#include "events.h"
#include "render.h"
#include "summary.h"

/* What the command line asks for. */
struct report_env {
	const char *path;
	const char *perfetto, *svg, *folded;	/* files to write, or NULL */
	bool json, csv;
	bool events, stacks;	/* --events: each record, --stacks: with its frames */
	unsigned int flags;	/* DMT_READ_SALVAGE */
	size_t limit;		/* lines per listing */
	double stall_s;
};

/* A file the report goes to could not be written whole: say which, and why. */
static int cannot_write(const char *path, const char *what)
{
	fprintf(stderr, "devmemreport: %s: cannot write %s: %s\n", path, what, strerror(errno));
	return 1;
}

/* stdout, flushed: 1 after saying it could not be written whole. */
static int stdout_failed(void)
{
	if (fflush(stdout))
		return cannot_write("standard output", "the report");
	if (!ferror(stdout))
		return 0;
	errno = EIO;
	return cannot_write("standard output", "the report");
}

/* A file that cannot be read, or is damaged and not salvaged: the exit status. */
static int unreadable(const struct report_env *env, int rc, const char *err)
{
	int exit_rc = rc == DMT_READ_IO ? DEVMEM_EXIT_ERROR : DEVMEM_EXIT_CORRUPT;

	if (env->json)
		printf("{\"schema\":1,\"error\":\"%s\",\"exit\":%d}\n",
		       rc == DMT_READ_IO ? "cannot_read" : "corrupt", exit_rc);
	fprintf(stderr, "devmemreport: %s%s%s%s\n", rc == DMT_READ_CORRUPT ? env->path : "",
		rc == DMT_READ_CORRUPT ? ": " : "", err,
		rc == DMT_READ_CORRUPT && !(env->flags & DMT_READ_SALVAGE) ?
		" (--salvage reports the undamaged chunks)" : "");
	return exit_rc;
}

static int __cmd_report(const struct report_env *env)
{
	static struct report rep;
	const char *path = env->path, *folded = env->folded;
	struct dmt_info first, info;
	int rc, exit_rc, write_failed = 0, events_failed = 0;
	char err[512];
	size_t i;

	rep.want_samples = env->perfetto || env->svg;
	rep.want_folded = folded != NULL;
	rc = report_read(&rep, path, env->flags, &first, &info, err, sizeof(err));
	if (rc == DMT_READ_IO || rc == DMT_READ_CORRUPT) {
		exit_rc = unreadable(env, rc, err);
		if (stdout_failed())
			exit_rc = DEVMEM_EXIT_WRITE;
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
	if (folded && !strcmp(folded, "-")) {
		/* stdout holds the folded stacks alone */
	} else if (env->events) {
		struct events_env ev = { stdout, &rep.t.st, info.stacks, env->stacks };

		char why[512];

		/* The file read whole already: what fails now is memory, an error. */
		if (events_dump(path, env->flags, &ev, why, sizeof(why)) == DMT_READ_IO) {
			fprintf(stderr, "devmemreport: %s\n", why);
			events_failed = 1;
		}
	} else if (env->json) {
		summary_json(path, &info, &rep, rc ? err : NULL,
			     rc == DMT_READ_SALVAGED ? &info : NULL, env->stall_s);
	} else if (env->csv) {
		render_csv(&rep);
	} else {
		summary_text(path, &info, &rep.t.st, rc ? err : NULL);
		summary_teardowns(&rep, &info, env->stall_s);
		render_listings(&rep, info.stacks, env->limit);
	}
	if (env->perfetto && render_perfetto(&rep, env->perfetto))
		write_failed = cannot_write(env->perfetto, "the Perfetto trace");
	if (env->svg && render_svg(&rep, env->svg))
		write_failed = cannot_write(env->svg, "the SVG plot");
	if (folded && render_folded(&rep, info.stacks, folded))
		write_failed = cannot_write(strcmp(folded, "-") ? folded : "standard output",
					    "the folded stacks");
	write_failed |= stdout_failed();
	if (rc)
		fprintf(stderr, "devmemreport: %s: %s\n", path, err);
	/* A report cut short is worse than a file read in part: it says so first. */
	exit_rc = write_failed ? DEVMEM_EXIT_WRITE : events_failed ? DEVMEM_EXIT_ERROR :
		  rc == DMT_READ_SALVAGED ? DEVMEM_EXIT_SALVAGED :
		  rc == DMT_READ_TRUNCATED ? DEVMEM_EXIT_TRUNCATED : DEVMEM_EXIT_OK;
	dmt_info_free(&first);
	dmt_info_free(&info);
	report_free(&rep);
	return exit_rc;
}

static int cmd_report(int argc, char **argv)
{
	struct report_env env = { .stall_s = TEARDOWN_DEFAULT_STALL_S };
	struct devmem_getopt g;
	double v;
	int c;

	env.limit = (size_t)devmem_option_default(DEVMEM_TOOL_REPORT, DEVMEM_OPT_LIMIT);
	devmem_getopt_init(&g, DEVMEM_TOOL_REPORT, false);
	while ((c = devmem_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case DEVMEM_OPT_JSON: env.json = true; break;
		case DEVMEM_OPT_CSV: env.csv = true; break;
		case DEVMEM_OPT_EVENTS: env.events = true; break;
		case DEVMEM_OPT_STACKS: env.stacks = true; break;
		case DEVMEM_OPT_PERFETTO: env.perfetto = optarg; break;
		case DEVMEM_OPT_SVG: env.svg = optarg; break;
		case DEVMEM_OPT_FOLDED: env.folded = optarg; break;
		case DEVMEM_OPT_LIMIT:
			if (devmem_parse_count(optarg, 0, 1e12, &v))
				return devmem_usage_error(DEVMEM_TOOL_REPORT, "--limit %s: not a number "
							  "of rows", optarg);
			env.limit = (size_t)v;
			break;
		case DEVMEM_OPT_SALVAGE: env.flags |= DMT_READ_SALVAGE; break;
		case DEVMEM_OPT_STALL:
			if (devmem_parse_seconds(optarg, 0, 86400.0 * 30, &env.stall_s))
				return devmem_usage_error(DEVMEM_TOOL_REPORT, "--stall %s: not a "
							  "duration", optarg);
			break;
		case DEVMEM_OPT_RAW_ADDRESSES: devmem_raw_addresses = true; break;
		case DEVMEM_OPT_VERSION:
			devmem_print_version(stdout, "devmemreport");
			return DEVMEM_EXIT_OK;
		case DEVMEM_OPT_HELP: devmem_usage(stdout, DEVMEM_TOOL_REPORT); return DEVMEM_EXIT_OK;
		default: return devmem_usage_hint(DEVMEM_TOOL_REPORT);
		}
	}
	if (optind != argc - 1)
		return devmem_usage_error(DEVMEM_TOOL_REPORT, "give one trace FILE");
	if (env.events ? env.json || env.csv : env.stacks)
		return devmem_usage_error(DEVMEM_TOOL_REPORT, "%s", env.events ?
					  "--events prints text: not with --json or --csv" :
					  "--stacks goes with --events");
	env.path = argv[optind];
	return __cmd_report(&env);
}

int main(int argc, char **argv)
{
	return cmd_report(argc, argv);
}
