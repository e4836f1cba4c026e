// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemreport: post-mortem analysis of a devmemrec trace. It replays the
 * file through the same callbacks devmemtop feeds from the ring buffer.
 * This file reads the command line (cmd_report()) and writes what it asks
 * for (__cmd_report()): collect.c reads the file, summary.c and render.c
 * show it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exit_codes.h"
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

static void usage(FILE *f)
{
	fprintf(f,
"usage: devmemreport [--json | --csv] [--perfetto OUT] [--svg OUT] [--folded OUT]\n"
"                    [--limit N] [--salvage] [--raw-addresses] [--stall SEC] FILE\n"
"       devmemreport --events [--stacks] [--salvage] [--raw-addresses] FILE\n"
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
"--events prints every record instead, one line each in time order, as\n"
"perf script does: comm pid/tid [cpu] seconds.microseconds: event: fields;\n"
"--stacks adds the allocation stack below the lines that have one.\n"
"\n");
	devmem_print_exit_codes(f, DEVMEM_TOOL_REPORT);
}

static const struct option report_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "csv", no_argument, NULL, 'c' },
	{ "perfetto", required_argument, NULL, 'P' },
	{ "svg", required_argument, NULL, 'S' },
	{ "folded", required_argument, NULL, 'F' },
	{ "limit", required_argument, NULL, 'l' },
	{ "salvage", no_argument, NULL, 'V' },
	{ "raw-addresses", no_argument, NULL, 'X' },
	{ "stall", required_argument, NULL, 'T' },
	{ "events", no_argument, NULL, 'e' },
	{ "stacks", no_argument, NULL, 'k' },
	{ "version", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
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
	struct report_env env = { .limit = 20, .stall_s = TEARDOWN_DEFAULT_STALL_S };
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "jh", report_options, NULL)) != -1) {
		switch (c) {
		case 'j': env.json = true; break;
		case 'c': env.csv = true; break;
		case 'e': env.events = true; break;
		case 'k': env.stacks = true; break;
		case 'P': env.perfetto = optarg; break;
		case 'S': env.svg = optarg; break;
		case 'F': env.folded = optarg; break;
		case 'l':
			errno = 0;
			env.limit = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-') {
				fprintf(stderr, "devmemreport: --limit %s: not a number of rows\n", optarg);
				return DEVMEM_EXIT_USAGE;
			}
			break;
		case 'V': env.flags |= DMT_READ_SALVAGE; break;
		case 'T':
			errno = 0;
			env.stall_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(env.stall_s >= 0)) {
				fprintf(stderr, "devmemreport: --stall %s: not a number of seconds\n", optarg);
				return DEVMEM_EXIT_USAGE;
			}
			break;
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
	if (env.events ? env.json || env.csv : env.stacks) {
		fprintf(stderr, "devmemreport: %s\n", env.events ? "--events prints text: not with "
			"--json or --csv" : "--stacks goes with --events");
		return DEVMEM_EXIT_USAGE;
	}
	env.path = argv[optind];
	return __cmd_report(&env);
}

int main(int argc, char **argv)
{
	return cmd_report(argc, argv);
}
