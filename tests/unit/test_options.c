// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The one option table (tools/lib/options.h), under ASan and UBSan: one
 * meaning per letter and per long name, every option reachable through
 * each tool's getopt tables by both its forms, the argument syntaxes, and
 * the defaults --help prints against the values the tools use.
 */
#define CHECK_GROUP "options"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "metrics.h"
#include "options.h"
#include "pagewalk_model.h"
#include "stuck.h"
#include "teardown.h"

static const unsigned int tools[] = {
	DEVMEM_TOOL_TOP, DEVMEM_TOOL_REC, DEVMEM_TOOL_REPORT, DEVMEM_TOOL_LEAK,
};

static void check_table(void)
{
	bool ok_ids = true, ok_same = true, ok_letter = true, ok_name = true, ok_once = true;
	unsigned int i, j, t;

	for (i = 0; i < DEVMEM_NR_OPTS; i++) {
		bool found = false;

		for (j = 0; j < devmem_nr_options; j++)
			found |= devmem_options[j].id == i;
		ok_ids &= found;
	}
	for (i = 0; i < devmem_nr_options; i++)
		for (j = 0; j < devmem_nr_options; j++) {
			const struct devmem_option *a = &devmem_options[i], *b = &devmem_options[j];

			if (a->id == b->id && !a->alias && !b->alias)
				ok_same &= a->letter == b->letter && !strcmp(a->name, b->name) &&
					   a->arg == b->arg && !a->argname == !b->argname &&
					   (!a->argname || !strcmp(a->argname, b->argname));
			if (a->letter && a->letter == b->letter)
				ok_letter &= a->id == b->id;
			if (!strcmp(a->name, b->name))
				ok_name &= a->id == b->id;
			if (i != j && a->id == b->id && !a->alias && !b->alias)
				ok_once &= !(a->tools & b->tools);
		}
	CHECK("every option has a row", ok_ids);
	CHECK("an option's rows share letter, name and argument", ok_same);
	CHECK("a letter means one option in every tool", ok_letter);
	CHECK("a long name means one option in every tool", ok_name);
	CHECK("no tool has two wordings of one option", ok_once);
	for (t = 0; t < 4; t++) {
		const struct devmem_tool_doc *d = devmem_tool_doc(tools[t]);

		CHECK("every tool has a synopsis, a summary and an example",
		      d && d->synopsis[0] && d->summary && d->examples[0].cmd);
		CHECK("every tool has -h, -V", devmem_option_of(tools[t], DEVMEM_OPT_HELP) &&
		      devmem_option_of(tools[t], DEVMEM_OPT_VERSION));
	}
	{
		char *argv[] = { "devmemtop", "--listen", "127.0.0.1:1", NULL };
		struct devmem_getopt g;

		devmem_getopt_init(&g, DEVMEM_TOOL_TOP, false);
		optind = 0;
		CHECK("an alias (--listen) is taken as its option (--web.listen-address)",
		      devmem_getopt(&g, 3, argv) == DEVMEM_OPT_LISTEN && !strcmp(optarg, "127.0.0.1:1"));
	}
	CHECK("the BPF tools have -v, devmemreport (which loads nothing) not",
	      devmem_option_of(DEVMEM_TOOL_TOP, DEVMEM_OPT_VERBOSE) &&
	      devmem_option_of(DEVMEM_TOOL_REC, DEVMEM_OPT_VERBOSE) &&
	      devmem_option_of(DEVMEM_TOOL_LEAK, DEVMEM_OPT_VERBOSE) &&
	      !devmem_option_of(DEVMEM_TOOL_REPORT, DEVMEM_OPT_VERBOSE));
}

/* Each option of each tool, given by letter and by long name, comes back as itself. */
static void check_getopt(void)
{
	bool ok = true, ok_unknown = true;
	unsigned int i, t;

	for (t = 0; t < 4; t++) {
		for (i = 0; i < devmem_nr_options; i++) {
			const struct devmem_option *o = &devmem_options[i];
			char lng[64], shrt[3] = { '-', o->letter, 0 };
			struct devmem_getopt g;
			int form;

			if (!(o->tools & tools[t]))
				continue;
			snprintf(lng, sizeof(lng), "--%s", o->name);
			for (form = 0; form < 2; form++) {
				char *argv[] = { "tool", form ? shrt : lng, "1", "rest", NULL };
				int id;

				if (form && !o->letter)
					continue;
				devmem_getopt_init(&g, tools[t], true);
				optind = 0;
				id = devmem_getopt(&g, o->arg ? 3 : 2, argv);
				if (id != (int)o->id || (o->arg && strcmp(optarg, "1"))) {
					printf("info options: tool %u: %s gave %d\n", tools[t], argv[1], id);
					ok = false;
				}
			}
		}
		{
			char *argv[] = { "tool", "--no-such-option", NULL };
			struct devmem_getopt g;

			devmem_getopt_init(&g, tools[t], false);
			optind = 0;
			opterr = 0;
			ok_unknown &= devmem_getopt(&g, 2, argv) == DEVMEM_NR_OPTS;
			opterr = 1;
		}
	}
	CHECK("every option of every tool parses by letter and by name", ok);
	CHECK("an unknown option is DEVMEM_NR_OPTS", ok_unknown);
	{
		char *argv[] = { "devmemrec", "--duration", "1", NULL };
		struct devmem_getopt g;

		devmem_getopt_init(&g, DEVMEM_TOOL_TOP, false);
		optind = 0;
		opterr = 0;
		CHECK("another tool's option is unknown (devmemtop --duration)",
		      devmem_getopt(&g, 3, argv) == DEVMEM_NR_OPTS);
		opterr = 1;
	}
}

static void check_parsers(void)
{
	double v = -1;

	CHECK("seconds: 2", !devmem_parse_seconds("2", 0, 100, &v) && v == 2);
	CHECK("seconds: 500ms", !devmem_parse_seconds("500ms", 0, 100, &v) && v == 0.5);
	CHECK("seconds: 1.5s", !devmem_parse_seconds("1.5s", 0, 100, &v) && v == 1.5);
	CHECK("seconds: 2m", !devmem_parse_seconds("2m", 0, 1e6, &v) && v == 120);
	CHECK("seconds: 1h", !devmem_parse_seconds("1h", 0, 1e6, &v) && v == 3600);
	v = -1;
	CHECK("seconds: 5x, '', 1e999, nan and 2 above a max of 1 are refused, v untouched",
	      devmem_parse_seconds("5x", 0, 100, &v) && devmem_parse_seconds("", 0, 100, &v) &&
	      devmem_parse_seconds("1e999", 0, 1e300, &v) &&
	      devmem_parse_seconds("nan", 0, 100, &v) &&
	      devmem_parse_seconds("2", 0, 1, &v) && v == -1);
	CHECK("count: 42", !devmem_parse_count("42", 0, 100, &v) && v == 42);
	CHECK("count: 1.5, -1, 7q refused", devmem_parse_count("1.5", 0, 100, &v) &&
	      devmem_parse_count("-1", 0, 100, &v) && devmem_parse_count("7q", 0, 100, &v));
	CHECK("bytes: 8M", !devmem_parse_bytes("8M", 0, 1e12, &v) && v == 8 << 20);
	CHECK("bytes: 4K, 1G, 4096", !devmem_parse_bytes("4K", 0, 1e12, &v) && v == 4096 &&
	      !devmem_parse_bytes("1G", 0, 1e12, &v) && v == 1 << 30 &&
	      !devmem_parse_bytes("4096", 0, 1e12, &v) && v == 4096);
	CHECK("bytes: 0.3K (not whole) and 4X refused", devmem_parse_bytes("0.3K", 0, 1e12, &v) &&
	      devmem_parse_bytes("4X", 0, 1e12, &v));
}

/* What --help says is the default is what the tools start from. */
static void check_defaults(void)
{
	CHECK("--stall's default is TEARDOWN_DEFAULT_STALL_S in each tool",
	      devmem_option_default(DEVMEM_TOOL_TOP, DEVMEM_OPT_STALL) == TEARDOWN_DEFAULT_STALL_S &&
	      devmem_option_default(DEVMEM_TOOL_LEAK, DEVMEM_OPT_STALL) == TEARDOWN_DEFAULT_STALL_S &&
	      devmem_option_default(DEVMEM_TOOL_REPORT, DEVMEM_OPT_STALL) == TEARDOWN_DEFAULT_STALL_S);
	CHECK("--stuck-after's default is DEVMEM_STUCK_AFTER_NS_DEFAULT",
	      devmem_option_default(DEVMEM_TOOL_TOP, DEVMEM_OPT_STUCK_AFTER) * 1e9 ==
	      (double)DEVMEM_STUCK_AFTER_NS_DEFAULT);
	CHECK("--walk-folios's default is DEVMEM_WALK_LISTED_DEFAULT",
	      devmem_option_default(DEVMEM_TOOL_TOP, DEVMEM_OPT_WALK_FOLIOS) ==
	      DEVMEM_WALK_LISTED_DEFAULT);
	CHECK("--metrics-max-procs's default is DEVMEM_METRICS_MAX_PROCS_DEFAULT",
	      devmem_option_default(DEVMEM_TOOL_TOP, DEVMEM_OPT_METRICS_MAX_PROCS) ==
	      DEVMEM_METRICS_MAX_PROCS_DEFAULT);
	CHECK("--error-exitcode's default is DEVMEM_EXIT_LEAKS",
	      devmem_option_default(DEVMEM_TOOL_LEAK, DEVMEM_OPT_ERROR_EXITCODE) ==
	      DEVMEM_EXIT_LEAKS);
	CHECK("--ringbuf's default is the BPF map's 8 MiB",
	      devmem_option_default(DEVMEM_TOOL_REC, DEVMEM_OPT_RINGBUF) == 8 << 20);
	CHECK("--delay 1, --settle 10, --quiet 0.5, --limit 20",
	      devmem_option_default(DEVMEM_TOOL_TOP, DEVMEM_OPT_DELAY) == 1 &&
	      devmem_option_default(DEVMEM_TOOL_LEAK, DEVMEM_OPT_SETTLE) == 10 &&
	      devmem_option_default(DEVMEM_TOOL_LEAK, DEVMEM_OPT_QUIET) == 0.5 &&
	      devmem_option_default(DEVMEM_TOOL_REPORT, DEVMEM_OPT_LIMIT) == 20);
	CHECK("an option without a default has none",
	      isnan(devmem_option_default(DEVMEM_TOOL_REC, DEVMEM_OPT_OUTPUT)));
}

/* --help: every line fits 80 columns. */
static void check_usage_width(void)
{
	bool ok = true;
	unsigned int t;

	for (t = 0; t < 4; t++) {
		char *buf = NULL, *line, *save;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		devmem_usage(f, tools[t]);
		fclose(f);
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (strlen(line) > 79) {
				printf("info options: too wide: %s\n", line);
				ok = false;
			}
		free(buf);
	}
	CHECK("every --help line is under 80 columns", ok);
}

int main(void)
{
	check_table();
	check_getopt();
	check_parsers();
	check_defaults();
	check_usage_width();
	return failures ? 1 : 0;
}
