/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef DEVMEMTOP_H
#define DEVMEMTOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "attach.h"
#include "late_start_live.h"
#include "pgmap_names.h"
#include "counters.h"
#include "state.h"
#include "teardown.h"
#include "stuck.h"

enum view { VIEW_PGMAPS, VIEW_PROCS };

/*
 * A column of a view: header, width, sort key, and how to print it. A
 * counter's column (devmem_counters.h) has no functions of its own: it
 * reads the counter at counts_off in the row.
 */
struct column {
	const char *name;
	int width;
	double (*key)(const void *row);
	void (*fmt)(char *buf, size_t len, const void *row);
	bool raw;	/* a kernel address: only with --raw-addresses */
	const struct devmem_counter *counter;
	size_t counts_off;
};

double column_key(const struct column *c, const void *row);
void column_fmt(const struct column *c, char *buf, size_t len, const void *row);

/*
 * Each view's columns: its own first, then every counter with a text
 * title in declaration order (but those the view shows as rates), then
 * its own last ones. Made before main() runs.
 */
extern struct column pgmap_columns[];
extern size_t nr_pgmap_columns;
/* The pgmap columns shown: all, or all but the raw ones (which come last). */
size_t pgmap_columns_shown(void);
extern struct column proc_columns[];
extern size_t nr_proc_columns;

/* Everything that is drawn: state plus what the user chose. */
struct top {
	struct devmem_state st;
	struct devmem_session sess;
	char kernel[65];	/* struct utsname release */
	double interval_s;
	enum view view;
	size_t sort_col[2];	/* per view */
	size_t max_rows;	/* -r: rows per table in text and on screen, 0 all */
	bool paused;
	bool exporting;	/* --listen or --textfile */
	uint32_t filter_pid;
	uint64_t filter_pgmap;	/* address or physical start; 0 none */
	char filter_name[3 * DEVMEM_NAME_LEN];	/* or a short name; "" none */
	struct pgmap_namer namer;
	uint64_t drops[DEVMEM_DROP_MAX], recursion_misses, bad_records;
	int64_t *live_true;	/* per pgmap row, from debugfs; -1 unknown */
	int *mismatch_runs;	/* consecutive intervals true != shadow */
	uint64_t live_checked_ns, live_checked_events;	/* last debugfs read, and the
							 * pages handed out and freed then */
	size_t nr_live_true;
	/* Late start: the debugfs seed's settling, the walk at start. */
	struct devmem_late_start late;
	/*
	 * Processes that exit (tools/devmemtop/procs.h): probe marks rows of gone
	 * processes exited (only in the initial pid namespace, where the BPF
	 * side's tgids are ours to look up); evict removes those that hold
	 * no pages once shown (totals mode, unless --keep-exited).
	 */
	bool probe, evict;
	uint64_t procs_removed;
	/*
	 * Teardowns that wait (docs/teardown.md), rebuilt each interval:
	 * td[i] reports pgmap row td_row[i]. A wait stalls after stall_s.
	 */
	double stall_s;
	uint64_t started_ns;	/* when devmemtop started: an unseen teardown waited longer */
	struct teardown_report *td;
	size_t *td_row, nr_td;
	/*
	 * Tasks already blocked in memunmap_pages() when we started: their
	 * teardown began unseen (late start). Found once, from procfs; re-read
	 * each interval (state 0 once the call returned or the task is gone).
	 */
#define TOP_MAX_EARLY 16
	struct ktask early[TOP_MAX_EARLY];
	size_t nr_early;
	/* Threads whose fault repeats without progress (stuck.h), judged each interval. */
	struct devmem_spins spins;
	uint64_t stuck_after_ns;	/* --stuck-after */
};

/* The teardown report of a pgmap row, or NULL when it has none. */
const struct teardown_report *top_teardown(const struct top *t, const struct devmem_pgmap_row *r);

bool pgmap_visible(const struct top *t, const struct devmem_pgmap_row *r);
bool proc_visible(const struct top *t, const struct devmem_proc_row *r);
/* Rows of the current view, filtered and sorted; caller frees. */
size_t sorted_pgmaps(const struct top *t, const struct devmem_pgmap_row ***out);
size_t sorted_procs(const struct top *t, const struct devmem_proc_row ***out);
uint64_t total_drops(const struct top *t);
bool pgmap_mismatch(const struct top *t, const struct devmem_pgmap_row *r);

/* A devmem_record_fn (-p: records, not totals): ctx is the struct top. */
int devmemtop_on_record(void *ctx, void *data, size_t size);
/* Take records (in records mode) for up to timeout_ms; <0 on a real error. */
int devmemtop_poll(struct top *t, int timeout_ms);
/* Close an interval: drain records, learn pgmaps, read losses, rates. */
void devmemtop_collect(struct top *t);

void batch_text(struct top *t);
void batch_json(struct top *t);
int ui_run(struct top *t, int (*poll)(struct top *t, int timeout_ms), int iterations);

#endif
