/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* devmemrec: the command line (main.c) and the recording (record.c). */
#ifndef DEVMEMREC_H
#define DEVMEMREC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "attach.h"
#include "pgmap_filter.h"
#include "tracefile.h"
#include "u64map.h"

/* What the command line asks for. */
struct rec_env {
	const char *output;		/* -o */
	double duration;		/* -d, 0: no limit */
	const char *pgmap;		/* --pgmap ID (pgmap_filter.h), NULL: every pgmap */
	struct devmem_attach_opts attach;
	char **command;			/* -- COMMAND [ARGS...], NULL-terminated; NULL: none */
};

struct rec {
	struct dmt_writer w;
	const struct devmem_session *sess;
	struct pgmap_filter pgmap;	/* --pgmap */
	uint64_t kept, filtered, bad, write_errors, dropped;
	struct u64map stack_ids;	/* id + 1 of every stack a record names */
	struct u64map described;	/* pgmaps with a PGMAP_DESC line */
	/* Records come in runs (a batch's pages): the last of each, looked up once. */
	uint64_t last_described, last_stack;
	bool ended;		/* the END totals are taken: later records are not ours */
	bool drops_unknown;	/* the drop counters could not be read */
	uint64_t start;		/* start_ns, as META says */
	/* The command, if any: its pid while it runs, its wait status. */
	pid_t child;
	int status;
	bool command_ran;
};

/* A devmem_record_fn: one record into the file, filtered (ctx: struct rec). */
int rec_on_record(void *ctx, void *data, size_t size);
/* The META chunk, then the PGMAPS chunk with its read's window (late start). */
void rec_begin(struct rec *r, const struct rec_env *env);
/* Start the command, unless stopped first; r->child, r->status say how. */
void rec_start_command(struct rec *r, char **argv);
/* Take records until a stop, -d, the command's exit or a write error. */
void rec_loop(struct rec *r, struct devmem_session *s, const struct rec_env *env);
/* The command goes too; the END totals, the names and stacks, END. */
void rec_end(struct rec *r, struct devmem_session *s, const struct rec_env *env);
/* After the writer failed: say so, let the command finish; the exit status. */
int rec_write_failed(struct rec *r, const char *out);

#endif
