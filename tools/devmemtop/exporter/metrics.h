/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus / OpenMetrics exposition of a struct devmem_state: the same
 * rows the text, JSON and full-screen outputs print (docs/metrics.md lists
 * every metric). Writing is separate from the per-interval update, which
 * is the only step that remembers anything between scrapes: which
 * processes have their own series and what the others added up to.
 */
#ifndef DEVMEM_METRICS_H
#define DEVMEM_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "state.h"


enum devmem_metrics_format {
	DEVMEM_METRICS_PROMETHEUS,	/* text/plain; version=0.0.4 */
	DEVMEM_METRICS_OPENMETRICS,	/* application/openmetrics-text; version=1.0.0 */
};

#define DEVMEM_METRICS_MAX_PROCS_DEFAULT 50
#define DEVMEM_METRICS_MAX_LABELS 8
#define DEVMEM_METRICS_LABEL_LEN 64

/* Label values are raw here; the writer escapes them. */
struct devmem_labels {
	size_t n;
	struct {
		const char *name;
		char value[DEVMEM_METRICS_LABEL_LEN];
	} l[DEVMEM_METRICS_MAX_LABELS];
};

/*
 * What identifies a pgmap's series: the one place that names its labels
 * (a driver and device label go here too). Rows with the same labels are
 * one series: their counters are added up.
 */
void devmem_metrics_pgmap_labels(const struct devmem_pgmap_row *r, struct devmem_labels *out);

/*
 * The remembered values of a process's counters, by their index in
 * devmem_counters.h; those with a metric name are exported.
 */
#define MPROC_MAX DEVMEM_NR_PROC_COUNTERS

struct devmem_metrics_proc {
	uint64_t serial;		/* the state row's (rows move when the
					 * live view removes dead ones) */
	uint64_t seen[MPROC_MAX];	/* counters at the last update */
	bool listed;			/* has its own series */
};

struct devmem_metrics {
	size_t max_procs;	/* processes with their own series; the rest are "other" */
	struct devmem_metrics_proc *procs;	/* parallel to the state's procs
						 * as of the last update */
	size_t nr_procs, cap_procs;
	uint64_t other[MPROC_MAX];	/* what unlisted processes added: monotonic */
	int64_t other_held;
	size_t nr_other;
};

/* What the tool knows besides the state. */
struct devmem_metrics_info {
	const char *version;	/* devmem_release(), the VERSION file */
	const char *attach_mode;
	const char *kernel;
	const uint64_t *drops;	/* DEVMEM_DROP_MAX, or NULL */
	uint64_t recursion_misses, bad_records;
	uint64_t now_ns;	/* CLOCK_MONOTONIC, for teardown ages */
	uint64_t stall_ns;	/* a teardown waiting this long is stalled */
};

/*
 * Close an interval: pick the processes that get their own series (the
 * max_procs holding most pages) and add what the others did since the
 * last update to "other". Returns 0, or -ENOMEM (nothing changed).
 */
int devmem_metrics_update(struct devmem_metrics *m, const struct devmem_state *st);
/* The exposition of the state as of the last update. */
void devmem_metrics_write(FILE *f, const struct devmem_metrics *m, const struct devmem_state *st,
			  const struct devmem_metrics_info *info, enum devmem_metrics_format fmt);
void devmem_metrics_free(struct devmem_metrics *m);

/* A label value, escaped (\\ \" \n) and made valid UTF-8 (U+FFFD per bad byte). */
void devmem_metrics_escape(FILE *f, const char *s);
/* The Content-Type of a format. */
const char *devmem_metrics_content_type(enum devmem_metrics_format fmt);
/* The format a scraper's Accept header asks for (OpenMetrics only if it says so). */
enum devmem_metrics_format devmem_metrics_negotiate(const char *accept);

#endif
