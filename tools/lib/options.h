/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one option table of the four tools (docs/options.md). Each tool's
 * getopt_long() tables, its --help and the OPTIONS, SYNOPSIS and EXAMPLES
 * of its man page are all made from it, so they cannot drift; a letter or
 * a long name means one thing in every tool, with one argument and unit.
 */
#ifndef DEVMEM_OPTIONS_H
#define DEVMEM_OPTIONS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "exit_codes.h"	/* DEVMEM_TOOL_* */

/*
 * The port --help, the docs, the tests and deploy/ suggest for
 * --web.listen-address: outside Prometheus's full 9100-9999 allocations
 * and not the OpenTelemetry SDKs' 9464 (docs/deploy.md says how it was
 * chosen).
 */
#define DEVMEM_EXPORTER_PORT 29464

enum devmem_opt {
	DEVMEM_OPT_HELP,
	DEVMEM_OPT_VERSION,
	DEVMEM_OPT_VERBOSE,
	/* what is traced, and how */
	DEVMEM_OPT_PID,
	DEVMEM_OPT_PGMAP,
	DEVMEM_OPT_ATTACH,
	DEVMEM_OPT_RINGBUF,
	DEVMEM_OPT_RAW_ADDRESSES,
	DEVMEM_OPT_STALL,
	/* devmemtop */
	DEVMEM_OPT_BATCH,
	DEVMEM_OPT_JSON,
	DEVMEM_OPT_DELAY,
	DEVMEM_OPT_ITERATIONS,
	DEVMEM_OPT_MAXROWS,
	DEVMEM_OPT_SORT,
	DEVMEM_OPT_LISTEN,
	DEVMEM_OPT_WEB_CONFIG,
	DEVMEM_OPT_TEXTFILE,
	DEVMEM_OPT_METRICS_MAX_PROCS,
	DEVMEM_OPT_KEEP_EXITED,
	DEVMEM_OPT_NO_WALK,
	DEVMEM_OPT_WALK_FOLIOS,
	DEVMEM_OPT_STUCK_AFTER,
	/* devmemrec */
	DEVMEM_OPT_OUTPUT,
	DEVMEM_OPT_DURATION,
	DEVMEM_OPT_NO_STACKS,
	/* devmemleak */
	DEVMEM_OPT_INPUT,
	DEVMEM_OPT_SETTLE,
	DEVMEM_OPT_QUIET,
	DEVMEM_OPT_TIMEOUT,
	DEVMEM_OPT_ERROR_EXITCODE,
	DEVMEM_OPT_SUPPRESS,
	DEVMEM_OPT_JUNIT,
	DEVMEM_OPT_LOG_FILE,
	DEVMEM_OPT_FOLDED,
	/* devmemreport */
	DEVMEM_OPT_CSV,
	DEVMEM_OPT_EVENTS,
	DEVMEM_OPT_STACKS,
	DEVMEM_OPT_PERFETTO,
	DEVMEM_OPT_SVG,
	DEVMEM_OPT_LIMIT,
	DEVMEM_OPT_SALVAGE,
	DEVMEM_NR_OPTS
};

/* What an option's argument is: how it is parsed, and named in --help. */
enum devmem_arg {
	DEVMEM_ARG_NONE,
	DEVMEM_ARG_SECONDS,	/* a duration: devmem_parse_seconds() */
	DEVMEM_ARG_COUNT,	/* a whole number */
	DEVMEM_ARG_BYTES,	/* a size in bytes: devmem_parse_bytes() */
	DEVMEM_ARG_FILE,	/* a path; "-" where the help says so */
	DEVMEM_ARG_WORD,	/* anything else: the row's argname says what */
};

/*
 * A row: one option of one or more tools. An option that means the same
 * in several tools but needs other words in each has one row per wording;
 * every row of an option has the same letter, name and argument.
 */
struct devmem_option {
	enum devmem_opt id;
	char letter;		/* 0: long name only */
	const char *name;
	enum devmem_arg arg;
	const char *argname;	/* shown after the name: SEC, FILE, ... */
	unsigned int tools;	/* DEVMEM_TOOL_* */
	const char *help;	/* a sentence or two; --help wraps it */
	const char *deflt;	/* "(default ...)" in --help and the man page */
	bool alias;		/* an old name: accepted, not shown */
};

extern const struct devmem_option devmem_options[];
extern const unsigned int devmem_nr_options;

/* What each tool is: its synopsis, a paragraph, and examples. */
struct devmem_example {
	const char *cmd, *what;
};

struct devmem_tool_doc {
	unsigned int tool;
	const char *name;
	const char *summary;		/* the man page's NAME line */
	const char *synopsis[3];	/* after the name; NULL ends */
	const char *description;	/* --help's paragraph */
	const char *notes;		/* --help's last lines, or NULL */
	struct devmem_example examples[6];
};

extern const struct devmem_tool_doc devmem_tool_docs[];
extern const unsigned int devmem_nr_tool_docs;
const struct devmem_tool_doc *devmem_tool_doc(unsigned int tool);

/*
 * The row of option id for tool, or NULL when the tool has no such
 * option. The tools' getopt_long() tables: built once by devmem_getopt().
 */
const struct devmem_option *devmem_option_of(unsigned int tool, enum devmem_opt id);

struct devmem_getopt {
	unsigned int tool;
	bool stop_at_command;	/* "+": the rest is COMMAND [ARGS...] */
	char shortopts[64];
	struct option longopts[DEVMEM_NR_OPTS + 8];
	const char *bad;	/* the argument refused last, for the message */
};

void devmem_getopt_init(struct devmem_getopt *g, unsigned int tool, bool stop_at_command);
/*
 * The next option's id, -1 at the end, or DEVMEM_NR_OPTS for an unknown
 * option or a missing argument (getopt_long has said which).
 */
int devmem_getopt(struct devmem_getopt *g, int argc, char **argv);

/*
 * The one syntax of each kind of argument: 0, or -1 when the text is not
 * one (nothing written). A duration is a number of seconds, fractions
 * allowed, with an optional unit: "500ms", "1.5", "2s", "10m", "1h".
 * A size may end in K, M or G (binary). min and max bound the value.
 */
int devmem_parse_seconds(const char *s, double min, double max, double *out);
int devmem_parse_count(const char *s, double min, double max, double *out);
int devmem_parse_bytes(const char *s, double min, double max, double *out);

/*
 * An option's default for tool, parsed as its argument is: the one copy
 * of a default that only the command line uses. NAN when it has none.
 */
double devmem_option_default(unsigned int tool, enum devmem_opt id);

/*
 * The options of a tool as --help and the man page list them: by long
 * name, help, version and verbose last; aliases left out. out holds
 * DEVMEM_MAX_TOOL_OPTS. Returns how many.
 */
#define DEVMEM_MAX_TOOL_OPTS 64
size_t devmem_tool_options(unsigned int tool, const struct devmem_option **out);

/*
 * text, printed from column col: wrapped before column 80, each new line
 * indented to indent.
 */
void devmem_print_wrapped(FILE *f, const char *text, int col, int indent);

/* "usage:" lines, the paragraph, options, exit codes and examples. */
void devmem_usage(FILE *f, unsigned int tool);
/*
 * A usage error: the tool's name and what is wrong, then where help is,
 * on stderr. The hint alone follows getopt's own message. Both return
 * DEVMEM_EXIT_USAGE.
 */
int devmem_usage_error(unsigned int tool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int devmem_usage_hint(unsigned int tool);

/*
 * -v: how much the tools say about loading BPF (libbpf's own messages,
 * and which attach modes were tried and why they failed). 0: nothing.
 */
extern int devmem_verbose;

#endif
