// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The views' columns and sorting, shared by batch output and the UI. */
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include "clock.h"
#include "devmemtop.h"
#include "lost.h"
#include "output.h"
#include "pgmap_names.h"

#define PG(r) ((const struct devmem_pgmap_row *)(r))
#define PR(r) ((const struct devmem_proc_row *)(r))

static double k_pgmap(const void *r) { return (double)PG(r)->start; }
static double k_type(const void *r) { return PG(r)->type; }
static double k_owner(const void *r) { return (double)PG(r)->owner; }
static double k_pgmap_addr(const void *r) { return (double)PG(r)->pgmap; }
/* Names sort by their first letters: enough to group rows of one driver. */
static double k_name(const char *s)
{
	double v = 0;
	int i;

	for (i = 0; i < 6; i++)
		v = v * 256 + (unsigned char)(*s ? *s++ : 0);
	return -v;	/* the sort is descending: A before Z */
}
static double k_driver(const void *r) { return k_name(PG(r)->driver); }
static double k_device(const void *r) { return k_name(PG(r)->device); }
static double k_live(const void *r) { return (double)devmem_pgmap_live(PG(r)); }
static double k_refs(const void *r) { return (double)PG(r)->refs; }
static double k_init_s(const void *r) { return PG(r)->rate[RATE_INIT]; }
static double k_free_s(const void *r) { return PG(r)->rate[RATE_FREE]; }
static double k_todev_s(const void *r) { return PG(r)->rate[RATE_TO_DEVICE]; }
static double k_tosys_s(const void *r) { return PG(r)->rate[RATE_TO_SYSTEM]; }
static double k_lat(const void *r) { return (double)devmem_lat_percentile(PG(r)->fault_lat, 99); }
/* Fault latency p50/p99 (->migrate_to_ram() time, where the kernel says). */
static void f_lat(char *b, size_t n, const void *r)
{
	uint64_t p50 = devmem_lat_percentile(PG(r)->fault_lat, 50);
	uint64_t p99 = devmem_lat_percentile(PG(r)->fault_lat, 99);

	if (!p99)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.0f/%.0fus", p50 / 1e3, p99 / 1e3);
}

static void f_pgmap(char *b, size_t n, const void *r)
{
	snprintf(b, n, "%#llx-%#llx", (unsigned long long)PG(r)->start,
		 (unsigned long long)PG(r)->end);
}
/* A teardown that waits for references is shown with its age, not hidden. */
static void f_type(char *b, size_t n, const void *r)
{
	const struct devmem_pgmap_row *p = PG(r);
	uint64_t now = host_now_ns();

	if (p->waiting)
		snprintf(b, n, "%s(wait %llus)", devmem_pgmap_type_name(p->type),
			 (unsigned long long)(now > p->wait_since_ns ?
					      (now - p->wait_since_ns) / 1000000000ull : 0));
	else
		snprintf(b, n, "%s%s", devmem_pgmap_type_name(p->type), p->destroyed ? "(gone)" : "");
}
static void f_driver(char *b, size_t n, const void *r)
{
	snprintf(b, n, "%s", PG(r)->driver[0] ? PG(r)->driver : "unknown");
}
static void f_device(char *b, size_t n, const void *r) { pgmap_device_label(PG(r), b, n); }
/* Kernel addresses, shown only with --raw-addresses. */
static void f_addr(char *b, size_t n, uint64_t a)
{
	/* A pgmap known only from debugfs has no address or owner yet. */
	if (!a)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%#llx", (unsigned long long)a);
}
static void f_pgmap_addr(char *b, size_t n, const void *r) { f_addr(b, n, PG(r)->pgmap); }
static void f_owner(char *b, size_t n, const void *r) { f_addr(b, n, PG(r)->owner); }
static void f_live(char *b, size_t n, const void *r) { snprintf(b, n, "%lld", (long long)devmem_pgmap_live(PG(r))); }
static void f_bytes(char *b, size_t n, const void *r)
{
	double v = devmem_pgmap_live(PG(r)) * 4096.0;
	const char *u = "BKMGT";
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(b, n, i ? "%.1f%c" : "%.0f%c", v, u[i]);
}
/* Live pages of the pgmap's capacity, as a bar: how full the device is. */
static double fill(const struct devmem_pgmap_row *r)
{
	int64_t live = devmem_pgmap_live(r);

	return r->nr_pages && live > 0 ? (double)live / r->nr_pages : 0;
}
static double k_fill(const void *r) { return fill(PG(r)); }
static void f_fill(char *b, size_t n, const void *r)
{
	double f = fill(PG(r));
	int i, full = (int)(f * 8 + 0.5);
	char bar[9];

	if (!PG(r)->nr_pages) {
		snprintf(b, n, "-");
		return;
	}
	/* No spaces: a batch line still splits into one field per column. */
	for (i = 0; i < 8; i++)
		bar[i] = i < full ? '#' : '.';
	bar[8] = 0;
	snprintf(b, n, "%.0f%%[%s]", f * 100, bar);
}
static void f_refs(char *b, size_t n, const void *r) { snprintf(b, n, "%+lld", (long long)PG(r)->refs); }
static void f_rate(char *b, size_t n, double v) { snprintf(b, n, "%.1f", v); }
static void f_init_s(char *b, size_t n, const void *r) { f_rate(b, n, PG(r)->rate[RATE_INIT]); }
static void f_free_s(char *b, size_t n, const void *r) { f_rate(b, n, PG(r)->rate[RATE_FREE]); }
static void f_todev_s(char *b, size_t n, const void *r) { f_rate(b, n, PG(r)->rate[RATE_TO_DEVICE]); }
static void f_tosys_s(char *b, size_t n, const void *r) { f_rate(b, n, PG(r)->rate[RATE_TO_SYSTEM]); }
static double k_fault_s(const void *r) { return PG(r)->rate[RATE_FAULT]; }
static void f_fault_s(char *b, size_t n, const void *r) { f_rate(b, n, PG(r)->rate[RATE_FAULT]); }
static double k_stuck(const void *r) { return PG(r)->stuck; }
static void f_stuck(char *b, size_t n, const void *r) { snprintf(b, n, "%u", PG(r)->stuck); }

static const struct column pgmap_head[] = {
	{ .name = "RANGE", .width = 27, .key = k_pgmap, .fmt = f_pgmap },
	{ .name = "TYPE", .width = 18, .key = k_type, .fmt = f_type },
	{ .name = "DRIVER", .width = 10, .key = k_driver, .fmt = f_driver },
	{ .name = "DEVICE", .width = 14, .key = k_device, .fmt = f_device },
	{ .name = "LIVE", .width = 8, .key = k_live, .fmt = f_live },
	{ .name = "BYTES", .width = 8, .key = k_live, .fmt = f_bytes },
	{ .name = "FILL", .width = 12, .key = k_fill, .fmt = f_fill },
	{ .name = "REFS", .width = 7, .key = k_refs, .fmt = f_refs },
	{ .name = "INIT/s", .width = 8, .key = k_init_s, .fmt = f_init_s },
	{ .name = "FREE/s", .width = 8, .key = k_free_s, .fmt = f_free_s },
	{ .name = "TODEV/s", .width = 8, .key = k_todev_s, .fmt = f_todev_s },
	{ .name = "FROMDEV/s", .width = 9, .key = k_tosys_s, .fmt = f_tosys_s },
};
/* The counters the head shows as rates. */
static const size_t pgmap_as_rates[] = {
	offsetof(struct devmem_pgmap_counts, inits), offsetof(struct devmem_pgmap_counts, frees),
	offsetof(struct devmem_pgmap_counts, to_device), offsetof(struct devmem_pgmap_counts, to_system),
};
static const struct column pgmap_tail[] = {
	{ .name = "FLT-P50/P99", .width = 13, .key = k_lat, .fmt = f_lat },
	{ .name = "FLT/s", .width = 8, .key = k_fault_s, .fmt = f_fault_s },
	{ .name = "STUCK", .width = 5, .key = k_stuck, .fmt = f_stuck },
	/* Last, so that the others keep their places without them. */
	{ .name = "PGMAP", .width = 18, .key = k_pgmap_addr, .fmt = f_pgmap_addr, .raw = true },
	{ .name = "OWNER", .width = 18, .key = k_owner, .fmt = f_owner, .raw = true },
};
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
struct column pgmap_columns[ARRAY_LEN(pgmap_head) + DEVMEM_NR_PGMAP_COUNTERS + ARRAY_LEN(pgmap_tail)];
size_t nr_pgmap_columns;

size_t pgmap_columns_shown(void)
{
	size_t n = nr_pgmap_columns;

	while (!devmem_raw_addresses && n && pgmap_columns[n - 1].raw)
		n--;
	return n;
}

static double k_pid(const void *r) { return PR(r)->pid; }
static void f_pid(char *b, size_t n, const void *r) { snprintf(b, n, "%u", PR(r)->pid); }
static void f_comm(char *b, size_t n, const void *r) { snprintf(b, n, "%s", PR(r)->comm); }
static double k_p_fault_s(const void *r) { return PR(r)->fault_rate; }
static void f_p_fault_s(char *b, size_t n, const void *r) { snprintf(b, n, "%.1f", PR(r)->fault_rate); }
static double k_p_stuck(const void *r) { return PR(r)->stuck; }
static void f_p_stuck(char *b, size_t n, const void *r) { snprintf(b, n, "%u", PR(r)->stuck); }

static const struct column proc_head[] = {
	{ .name = "PID", .width = 7, .key = k_pid, .fmt = f_pid },
	{ .name = "COMM", .width = 16, .key = k_pid, .fmt = f_comm },
};
static const struct column proc_tail[] = {
	{ .name = "FLT/s", .width = 8, .key = k_p_fault_s, .fmt = f_p_fault_s },
	{ .name = "STUCK", .width = 5, .key = k_p_stuck, .fmt = f_p_stuck },
};
struct column proc_columns[ARRAY_LEN(proc_head) + DEVMEM_NR_PROC_COUNTERS + ARRAY_LEN(proc_tail)];
size_t nr_proc_columns;

static bool listed(const size_t *offs, size_t n, size_t off)
{
	while (n--)
		if (offs[n] == off)
			return true;
	return false;
}

/* head, the set's titled counters but those in skip[], tail: into cols. */
static size_t build(struct column *cols, const struct column *head, size_t nh,
		    const struct devmem_counter_set *set, size_t counts_off,
		    const size_t *skip, size_t nskip, const struct column *tail, size_t nt)
{
	size_t n = 0, i;

	for (i = 0; i < nh; i++)
		cols[n++] = head[i];
	for (i = 0; i < set->n; i++) {
		const struct devmem_counter *k = &set->c[i];

		if (k->title && !listed(skip, nskip, k->off))
			cols[n++] = (struct column){ .name = k->title, .width = k->width,
						     .counter = k, .counts_off = counts_off };
	}
	for (i = 0; i < nt; i++)
		cols[n++] = tail[i];
	return n;
}

__attribute__((constructor)) static void columns_init(void)
{
	nr_pgmap_columns = build(pgmap_columns, pgmap_head, ARRAY_LEN(pgmap_head),
				 &devmem_pgmap_counter_set, offsetof(struct devmem_pgmap_row, c),
				 pgmap_as_rates, ARRAY_LEN(pgmap_as_rates),
				 pgmap_tail, ARRAY_LEN(pgmap_tail));
	nr_proc_columns = build(proc_columns, proc_head, ARRAY_LEN(proc_head),
				&devmem_proc_counter_set, offsetof(struct devmem_proc_row, c),
				NULL, 0, proc_tail, ARRAY_LEN(proc_tail));
}

double column_key(const struct column *c, const void *row)
{
	const void *counts = (const char *)row + c->counts_off;

	if (!c->counter)
		return c->key(row);
	return c->counter->is_signed ? (double)devmem_counter_i64(c->counter, counts) :
				       (double)devmem_counter_u64(c->counter, counts);
}

void column_fmt(const struct column *c, char *buf, size_t len, const void *row)
{
	if (c->counter)
		devmem_counter_text(c->counter, (const char *)row + c->counts_off, buf, len);
	else
		c->fmt(buf, len, row);
}

bool pgmap_visible(const struct top *t, const struct devmem_pgmap_row *r)
{
	char name[3 * DEVMEM_NAME_LEN];

	if (t->filter_name[0])
		return !strcmp(pgmap_short_name(r, name, sizeof(name)), t->filter_name);
	return !t->filter_pgmap || r->pgmap == t->filter_pgmap || r->start == t->filter_pgmap;
}

bool proc_visible(const struct top *t, const struct devmem_proc_row *r)
{
	return !t->filter_pid || r->pid == t->filter_pid;
}

/* qsort has no context argument: the active column lives here. */
static const struct column *sort_by;

static int cmp_rows(const void *a, const void *b)
{
	double x = column_key(sort_by, *(const void *const *)a);
	double y = column_key(sort_by, *(const void *const *)b);

	return (x < y) - (x > y);	/* descending */
}

size_t sorted_pgmaps(const struct top *t, const struct devmem_pgmap_row ***out)
{
	const struct devmem_pgmap_row **rows = calloc(t->st.nr_pgmaps + 1, sizeof(*rows));
	size_t i, n = 0;

	if (!rows)
		return 0;
	for (i = 0; i < t->st.nr_pgmaps; i++)
		if (pgmap_visible(t, &t->st.pgmaps[i]))
			rows[n++] = &t->st.pgmaps[i];
	sort_by = &pgmap_columns[t->sort_col[VIEW_PGMAPS]];
	qsort(rows, n, sizeof(*rows), cmp_rows);
	*out = rows;
	return n;
}

size_t sorted_procs(const struct top *t, const struct devmem_proc_row ***out)
{
	const struct devmem_proc_row **rows = calloc(t->st.nr_procs + 1, sizeof(*rows));
	size_t i, n = 0;

	if (!rows)
		return 0;
	for (i = 0; i < t->st.nr_procs; i++)
		if (proc_visible(t, &t->st.procs[i]))
			rows[n++] = &t->st.procs[i];
	sort_by = &proc_columns[t->sort_col[VIEW_PROCS]];
	qsort(rows, n, sizeof(*rows), cmp_rows);
	*out = rows;
	return n;
}

/* Events lost (lost.h): the one definition every tool shares. */
uint64_t total_drops(const struct top *t)
{
	return devmem_lost(t->drops, t->recursion_misses, t->bad_records + t->st.oom);
}

bool pgmap_mismatch(const struct top *t, const struct devmem_pgmap_row *r)
{
	size_t i = r - t->st.pgmaps;

	return i < t->nr_live_true && t->mismatch_runs[i] >= 2;
}
