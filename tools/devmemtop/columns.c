// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The views' columns and sorting, shared by batch output and the UI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
static double k_longterm(const void *r) { return (double)PG(r)->longterm; }
static double k_cow(const void *r) { return (double)PG(r)->cow; }
static double k_faults(const void *r) { return (double)PG(r)->faults; }
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
	uint64_t now = devmem_now_ns();

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
static void f_longterm(char *b, size_t n, const void *r)
{
	snprintf(b, n, "%llu", (unsigned long long)PG(r)->longterm);
}
static void f_cow(char *b, size_t n, const void *r) { snprintf(b, n, "%llu", (unsigned long long)PG(r)->cow); }
static void f_faults(char *b, size_t n, const void *r) { snprintf(b, n, "%llu", (unsigned long long)PG(r)->faults); }
static double k_fault_s(const void *r) { return PG(r)->rate[RATE_FAULT]; }
static void f_fault_s(char *b, size_t n, const void *r) { f_rate(b, n, PG(r)->rate[RATE_FAULT]); }
static double k_noprog(const void *r) { return (double)PG(r)->faults_no_progress; }
static void f_noprog(char *b, size_t n, const void *r)
{
	snprintf(b, n, "%llu", (unsigned long long)PG(r)->faults_no_progress);
}
static double k_stuck(const void *r) { return PG(r)->stuck; }
static void f_stuck(char *b, size_t n, const void *r) { snprintf(b, n, "%u", PG(r)->stuck); }

const struct column pgmap_columns[] = {
	{ "RANGE", 27, k_pgmap, f_pgmap, false },
	{ "TYPE", 18, k_type, f_type, false },
	{ "DRIVER", 10, k_driver, f_driver, false },
	{ "DEVICE", 14, k_device, f_device, false },
	{ "LIVE", 8, k_live, f_live, false },
	{ "BYTES", 8, k_live, f_bytes, false },
	{ "FILL", 12, k_fill, f_fill, false },
	{ "REFS", 7, k_refs, f_refs, false },
	{ "INIT/s", 8, k_init_s, f_init_s, false },
	{ "FREE/s", 8, k_free_s, f_free_s, false },
	{ "TODEV/s", 8, k_todev_s, f_todev_s, false },
	{ "FROMDEV/s", 9, k_tosys_s, f_tosys_s, false },
	{ "LONGTERM", 8, k_longterm, f_longterm, false },
	{ "COW", 6, k_cow, f_cow, false },
	{ "FAULTS", 7, k_faults, f_faults, false },
	{ "FLT-P50/P99", 13, k_lat, f_lat, false },
	{ "FLT/s", 8, k_fault_s, f_fault_s, false },
	{ "NOPROG", 7, k_noprog, f_noprog, false },
	{ "STUCK", 5, k_stuck, f_stuck, false },
	/* Last, so that the others keep their places without them. */
	{ "PGMAP", 18, k_pgmap_addr, f_pgmap_addr, true },
	{ "OWNER", 18, k_owner, f_owner, true },
};
const size_t nr_pgmap_columns = sizeof(pgmap_columns) / sizeof(pgmap_columns[0]);

size_t pgmap_columns_shown(void)
{
	size_t n = nr_pgmap_columns;

	while (!devmem_raw_addresses && n && pgmap_columns[n - 1].raw)
		n--;
	return n;
}

static double k_pid(const void *r) { return PR(r)->pid; }
static double k_held(const void *r) { return (double)PR(r)->held; }
static double k_p_inits(const void *r) { return (double)PR(r)->inits; }
static double k_p_todev(const void *r) { return (double)PR(r)->to_device; }
static double k_p_tosys(const void *r) { return (double)PR(r)->to_system; }
static double k_p_faults(const void *r) { return (double)PR(r)->faults; }
static double k_p_longterm(const void *r) { return (double)PR(r)->longterm; }
static double k_p_cow(const void *r) { return (double)PR(r)->cow; }
static void f_pid(char *b, size_t n, const void *r) { snprintf(b, n, "%u", PR(r)->pid); }
static void f_comm(char *b, size_t n, const void *r) { snprintf(b, n, "%s", PR(r)->comm); }
static void f_held(char *b, size_t n, const void *r) { snprintf(b, n, "%lld", (long long)PR(r)->held); }
#define F_U64(name, field) \
	static void name(char *b, size_t n, const void *r) \
	{ snprintf(b, n, "%llu", (unsigned long long)PR(r)->field); }
F_U64(f_p_inits, inits)
F_U64(f_p_todev, to_device)
F_U64(f_p_tosys, to_system)
F_U64(f_p_faults, faults)
F_U64(f_p_longterm, longterm)
F_U64(f_p_cow, cow)
F_U64(f_p_noprog, faults_no_progress)
static double k_p_fault_s(const void *r) { return PR(r)->fault_rate; }
static void f_p_fault_s(char *b, size_t n, const void *r) { snprintf(b, n, "%.1f", PR(r)->fault_rate); }
static double k_p_noprog(const void *r) { return (double)PR(r)->faults_no_progress; }
static double k_p_stuck(const void *r) { return PR(r)->stuck; }
static void f_p_stuck(char *b, size_t n, const void *r) { snprintf(b, n, "%u", PR(r)->stuck); }

const struct column proc_columns[] = {
	{ "PID", 7, k_pid, f_pid, false },
	{ "COMM", 16, k_pid, f_comm, false },
	{ "HELD", 8, k_held, f_held, false },
	{ "INITS", 8, k_p_inits, f_p_inits, false },
	{ "TODEV", 8, k_p_todev, f_p_todev, false },
	{ "FROMDEV", 8, k_p_tosys, f_p_tosys, false },
	{ "FAULTS", 7, k_p_faults, f_p_faults, false },
	{ "LONGTERM", 8, k_p_longterm, f_p_longterm, false },
	{ "COW", 6, k_p_cow, f_p_cow, false },
	{ "FLT/s", 8, k_p_fault_s, f_p_fault_s, false },
	{ "NOPROG", 7, k_p_noprog, f_p_noprog, false },
	{ "STUCK", 5, k_p_stuck, f_p_stuck, false },
};
const size_t nr_proc_columns = sizeof(proc_columns) / sizeof(proc_columns[0]);

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
	double x = sort_by->key(*(const void *const *)a), y = sort_by->key(*(const void *const *)b);

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
