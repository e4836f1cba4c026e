/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * devmemleak: the command line (main.c), a run under the tracer (run.c) or
 * a recording (recording.c), the verdict (verdict.c), the report as text
 * (verdict.c) or JSON (report_json.c), and its JUnit file (junit.c).
 */
#ifndef DEVMEMLEAK_H
#define DEVMEMLEAK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "attach.h"
#include "ksyms.h"
#include "leaks.h"
#include "pgmap_names.h"
#include "tracefile.h"


/* What the command line asks for. */
struct leak_env {
	const char *input;		/* -i FILE, or NULL: run command */
	char **command;			/* -- COMMAND [ARGS...], NULL-terminated */
	const char *junit, *folded;
	const char *log_file;		/* --log-file: the report, else stderr */
	bool json;			/* --json: the report as one JSON document */
	char **suppress;		/* --suppress's lines */
	size_t nsup;
	double settle, quiet, timeout, stall;
	long leak_status;
	struct devmem_attach_opts attach;
};

#define NO_VERDICT_REASONS 8

/* How the run went, for the report and the exit status. */
struct outcome {
	char name[300];		/* the JUnit testcase: "`cmd`", "recording FILE" */
	char what[600];		/* "`cmd` exited 0", "recording FILE" */
	char no_verdict[600];	/* why there is none (the first reason); "" when there is one */
	char reasons[NO_VERDICT_REASONS][600];	/* every reason, the first first */
	size_t nreasons;
	char scope[256];
	char settle[256];
	int cmd_status;		/* the exit status a shell would give */
};

/* One run of devmemleak: what it traced or read, and what it found. */
struct leak {
	struct leak_tracker lt;
	struct devmem_session sess;	/* a run under the tracer */
	struct ksyms ksyms;
	struct dmt_info info;		/* -i: the recording */
	struct dmt_info scan;		/* -i: the file's own pgmap descriptions and names */
	struct pgmap_namer namer;
	uint64_t bad_records;
	uint64_t no_stack;	/* page inits without a stack: not lost (lost.h) */
	struct outcome o;
	FILE *out;		/* the report: stderr or --log-file */
	bool judged;		/* there was something to judge: the numbers below hold */
	/* The verdict's numbers: now is the end of the run (of the recording). */
	uint64_t lost, now, leaked, suppressed, leaked_refs, other_refs;
	struct leak_group *groups;
	size_t ngroups;
};

void no_verdict(struct outcome *o, const char *fmt, const char *arg);
/*
 * Run the command under the tracer until it ends and its pages settle
 * (run.c); 0, or -1 when there is nothing to judge (o.what says why).
 */
int leak_run(struct leak *lk, const struct leak_env *env);
/* Read a recording (recording.c); 0, or -1 when there is nothing to judge. */
int leak_read(struct leak *lk, const struct leak_env *env);
/* Group what is still out, count it, write --folded (verdict.c). */
void leak_judge(struct leak *lk, const struct leak_env *env);
/*
 * The exit status: write the JUnit file, then the report to lk->out, as
 * text (verdict.c) or JSON (report_json.c).
 */
int leak_verdict(struct leak *lk, const struct leak_env *env);
/* The report as one JSON document (docs/devmemleak.md, "--json"). */
void leak_report_json(const struct leak *lk, const struct leak_env *env, int verdict);
/* The verdict as JUnit XML (junit.c); 0 or -errno. */
int write_junit(const char *path, const struct leak *lk, int verdict, int leak_status);

#endif
