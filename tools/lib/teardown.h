/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a pgmap teardown waits for (docs/teardown.md): memunmap_pages()
 * waits, with no timeout, for every page and reference of the pgmap. The
 * report names the task stuck in it with its kernel stack, how long it has
 * waited, and the pages still out, grouped by the process they were handed
 * to and, where stacks were kept, by where they were handed out.
 *
 * One model, filled by each tool from what it has (devmemtop: the BPF
 * side's page owners; devmemleak and devmemreport: the pages a recording
 * saw handed out), drawn the same way by all of them.
 */
#ifndef DEVMEM_TEARDOWN_H
#define DEVMEM_TEARDOWN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "json.h"
#include "task.h"
#include "leaks.h"
#include "state.h"

#define TEARDOWN_DEFAULT_STALL_S 10.0

/* Pages still out, handed to one process (pid 0: before we saw it). */
struct teardown_holder {
	uint32_t pid;
	char comm[DEVMEM_COMM_LEN];
	int exited;		/* 1 gone, 0 alive, -1 unknown */
	uint64_t pages;
	uint64_t oldest_ns;	/* handed out at (CLOCK_MONOTONIC); 0 unknown */
};

/* The same pages by allocation stack (only where stacks were kept). */
struct teardown_stack {
	uint32_t pid;
	char comm[DEVMEM_COMM_LEN];
	char stack[4096];	/* "frame;frame;...", leaf first */
	uint64_t pages, oldest_ns;
};

struct teardown_report {
	const struct devmem_pgmap_row *row;
	uint64_t now_ns;
	bool waiting;		/* memunmap_pages() has not returned */
	bool began_unseen;	/* before the tool started: waited_ns is a lower bound */
	bool stalled;		/* ... for at least the stall threshold */
	uint64_t waited_ns;	/* so far, or in all once it ended */
	/* The waiting task, now (procfs); task.state 0 when it is gone. */
	bool task_known;
	bool task_read;		/* task is as procfs shows it now (a live tool) */
	struct ktask task;
	char begin_stack[4096];	/* its stack when the wait began (recordings) */
	int64_t outstanding;	/* pages still out */
	bool outstanding_exact;	/* every page was seen handed out, or debugfs said */
	int64_t live_at_begin;	/* pages in use when it began; -1 unknown */
	/* references beyond the pages (get_dev_pagemap() holders); -1 unknown */
	int64_t refs_without_page;
	struct teardown_holder *holders;
	size_t nr_holders;
	struct teardown_stack *stacks;
	size_t nr_stacks;
	bool stacks_kept;	/* a stack source exists (a recording) */
	uint64_t unattributed;	/* outstanding pages no holder is known for */
};

/*
 * Should a row get a report: its teardown waits now, or it ended after a
 * wait with pages out (a recording read afterwards shows both).
 */
bool teardown_wanted(const struct devmem_pgmap_row *r);
/*
 * Start a report of row at now_ns (the clock of the row's wait_since_ns).
 * The waiting task is the recorded pid and comm; a live tool reads it as
 * it is now with ktask_read_teardown() (tools/host). stall_ns: how long a wait takes to stall.
 * refs_known: the mode sees every reference (tracepoints), so the ones
 * not tied to a page can be told.
 */
void teardown_begin(struct teardown_report *t, const struct devmem_pgmap_row *r,
		    uint64_t now_ns, uint64_t stall_ns, bool refs_known);
/*
 * A teardown that began before the tool started (a started tool found the
 * pgmap's reference killed): it has waited at least since since_ns. The
 * pages out come from a walk of its struct pages (in_use, exact when the
 * walk was whole), the references from the killed reference's count (-1
 * unknown). The waiting task is unknown until teardown_set_task().
 */
void teardown_begin_unseen(struct teardown_report *t, const struct devmem_pgmap_row *r,
			   uint64_t now_ns, uint64_t since_ns, uint64_t stall_ns,
			   int64_t in_use, bool exact, int64_t refs);
void teardown_set_task(struct teardown_report *t, const struct ktask *k);
/* Add pages handed to pid; merged by pid. 0 or -ENOMEM. */
int teardown_add_holder(struct teardown_report *t, uint32_t pid, const char *comm, int exited,
			uint64_t pages, uint64_t oldest_ns);
int teardown_add_stack(struct teardown_report *t, uint32_t pid, const char *comm,
		       const char *stack, uint64_t pages, uint64_t oldest_ns);
/*
 * From a recording's pages still out (leak_groups()): the groups of the
 * report's pgmap, by process and by stack. exited(ctx, pid) says whether
 * a holder is gone (1, 0, -1 unknown); NULL: unknown.
 */
int teardown_add_groups(struct teardown_report *t, const struct leak_group *g, size_t n,
			int (*exited)(void *ctx, uint32_t pid), void *ctx);
/* Sort, and count what no holder explains. */
void teardown_finish(struct teardown_report *t);
void teardown_free(struct teardown_report *t);

/* The "teardown" object of a pgmap in every tool's JSON. */
/* A task's state letter as the reports name it ("uninterruptible" for D). */
const char *task_state_name(char s);
void teardown_json(struct json *j, const struct teardown_report *t);
/* Text, one indented block; label names the pgmap. */
void teardown_text(FILE *f, const struct teardown_report *t, const char *label);
/* A stack as ktasks and stacks.c give it ("a;b;c", leaf first): a JSON
 * array of frames under key, or one indented frame per line. */
void teardown_json_frames(struct json *j, const char *key, const char *stack);
void teardown_text_frames(FILE *f, const char *stack, const char *indent);
/* "waiting 12.3 s" / "stalled 12.3 s" / "ended after 0.0 s": short state. */
const char *teardown_state(const struct teardown_report *t, char *buf, size_t len);

#endif
