// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exposition: every family is written in one pass over the rows, all
 * its samples together, as both formats require. Tables below say which
 * field of a row each family shows, so a metric is one line to add.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "counters.h"
#include "expo.h"
#include "metrics.h"
#include "u64map.h"
#include "output.h"
#include "lost.h"
#include "json.h"

/* ---- labels ---- */

void devmem_metrics_pgmap_labels(const struct devmem_pgmap_row *r, struct devmem_labels *out)
{
	out->n = 0;
	/*
	 * What identifies a pgmap's series across devmemtop restarts: its type
	 * and physical range. Its names may change (learnt late, or gone with
	 * a teardown) and go in devmem_pgmap_info, to join on with group_left.
	 */
	expo_label(out, "type", "%s", devmem_pgmap_type_name(r->type));
	expo_label(out, "pgmap", "%#llx-%#llx", (unsigned long long)r->start,
	      (unsigned long long)r->end);
}

/* devmem_pgmap_info's labels: the series' labels, then driver and device. */
static void pgmap_info_labels(const struct devmem_pgmap_row *r, struct devmem_labels *out)
{
	devmem_metrics_pgmap_labels(r, out);
	expo_label(out, "driver", "%s", r->driver[0] ? r->driver : "unknown");
	expo_label(out, "device", "%s", r->device[0] ? r->device : "unknown");
	if (r->pci[0])
		expo_label(out, "pci", "%s", r->pci);
	/* kernel addresses only when asked for (--raw-addresses) */
	if (devmem_raw_addresses && r->owner)
		expo_label(out, "owner", "%#llx", (unsigned long long)r->owner);
}

static void proc_labels(const struct devmem_proc_row *r, struct devmem_labels *out)
{
	out->n = 0;
	expo_label(out, "pid", "%u", r->pid);
	expo_label(out, "comm", "%s", r->comm);
}

/* ---- pgmaps: rows grouped by their labels ---- */

struct pgmap_series {
	struct devmem_labels labels;
	char key[DEVMEM_METRICS_MAX_LABELS * (DEVMEM_METRICS_LABEL_LEN + 16)];
	size_t row;
};

static int series_cmp(const void *a, const void *b)
{
	const struct pgmap_series *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->row > y->row) - (x->row < y->row);
}

/*
 * One entry per row, sorted by labels and then by row, so that the rows of
 * one label set are adjacent and the newest (a pgmap made again at a dead
 * one's address and range) comes last.
 */
static struct pgmap_series *pgmap_series(const struct devmem_state *st)
{
	struct pgmap_series *s = calloc(st->nr_pgmaps ? st->nr_pgmaps : 1, sizeof(*s));
	size_t i, j;

	if (!s)
		return NULL;
	for (i = 0; i < st->nr_pgmaps; i++) {
		char *k = s[i].key;
		size_t left = sizeof(s[i].key);

		devmem_metrics_pgmap_labels(&st->pgmaps[i], &s[i].labels);
		s[i].row = i;
		for (j = 0; j < s[i].labels.n; j++) {
			int n = snprintf(k, left, "%s=%s%c", s[i].labels.l[j].name,
					 s[i].labels.l[j].value, 1);

			if (n < 0 || (size_t)n >= left)
				break;
			k += n;
			left -= n;
		}
	}
	qsort(s, st->nr_pgmaps, sizeof(*s), series_cmp);
	return s;
}

/* The end of the group that starts at i. */
static size_t group_end(const struct pgmap_series *s, size_t n, size_t i)
{
	size_t j = i + 1;

	while (j < n && !strcmp(s[j].key, s[i].key))
		j++;
	return j;
}

/* The pgmap counters with a metric, from devmem_counters.h. */
static const struct devmem_counter_set *const pg_set = &devmem_pgmap_counter_set;
static const struct devmem_counter_set *const proc_set = &devmem_proc_counter_set;

enum pg_gauge { G_LIVE, G_LIVE_BYTES, G_LIVE_EXACT, G_CAPACITY, G_REFS, G_DESTROYED, G_WAITING,
		G_WAIT_AGE, G_WAIT_PAGES, G_WAIT_OUT, G_STALLED, G_LAST_WAIT, G_STUCK, G_MAX };

static const struct {
	const char *name, *help;
} pgmap_gauges[G_MAX] = {
	[G_LIVE] = { "devmem_pgmap_live_pages", "Device pages of this pgmap handed out and not freed." },
	[G_LIVE_BYTES] = { "devmem_pgmap_live_bytes", "devmem_pgmap_live_pages in bytes (4 KiB pages)." },
	[G_LIVE_EXACT] = { "devmem_pgmap_live_exact", "0 while devmem_pgmap_live_pages is an estimate: the pgmap moved pages while debugfs was read at start; else 1." },
	[G_CAPACITY] = { "devmem_pgmap_capacity_pages", "Pages this pgmap spans." },
	[G_REFS] = { "devmem_pgmap_references", "References to this pgmap taken since devmemtop started and not dropped." },
	[G_DESTROYED] = { "devmem_pgmap_destroyed", "1 once the pgmap was torn down (memunmap_pages)." },
	[G_WAITING] = { "devmem_teardown_waiting", "1 while memunmap_pages() waits for this pgmap's last references." },
	[G_WAIT_AGE] = { "devmem_teardown_wait_seconds", "How long the current teardown has waited so far; 0 when none waits." },
	[G_WAIT_PAGES] = { "devmem_teardown_wait_pages", "Live pages when the current teardown began to wait; 0 when none waits." },
	[G_WAIT_OUT] = { "devmem_teardown_outstanding_pages", "Pages the current teardown still waits for; 0 when none waits." },
	[G_STALLED] = { "devmem_teardown_stalled", "1 while the current teardown has waited at least --stall seconds: alert on it." },
	[G_LAST_WAIT] = { "devmem_teardown_last_wait_seconds", "How long the last finished teardown waited." },
	[G_STUCK] = { "devmem_stuck_faults", "Threads whose CPU fault on this pgmap's pages has repeated without progress for longer than --stuck-after; alert on > 0." },
};

static const char *pg_gauge(char *b, const struct devmem_pgmap_row *r, enum pg_gauge g,
			    uint64_t now_ns, uint64_t stall_ns)
{
	uint64_t waited = r->waiting && now_ns > r->wait_since_ns ? now_ns - r->wait_since_ns : 0;

	switch (g) {
	case G_LIVE: return expo_i64(b, devmem_pgmap_live(r));
	case G_LIVE_BYTES: return expo_i64(b, devmem_pgmap_live(r) * 4096);
	case G_LIVE_EXACT: return expo_u64(b, !r->live_pending);
	case G_CAPACITY: return expo_u64(b, r->nr_pages);
	case G_REFS: return expo_i64(b, r->refs);
	case G_DESTROYED: return expo_u64(b, r->destroyed);
	case G_WAITING: return expo_u64(b, r->waiting);
	case G_WAIT_AGE: return expo_secs(b, waited);
	/* the fallback modes see no count at the begin: the live pages then */
	case G_WAIT_PAGES:
		return r->waiting && r->wait_live_pages == DEVMEM_LIVE_UNKNOWN ?
		       expo_i64(b, devmem_pgmap_live(r)) : expo_u64(b, r->waiting ? r->wait_live_pages : 0);
	case G_WAIT_OUT: return expo_i64(b, r->waiting ? devmem_pgmap_live(r) : 0);
	case G_STALLED: return expo_u64(b, r->waiting && waited >= stall_ns);
	case G_LAST_WAIT: return expo_secs(b, r->wait_ns);
	case G_STUCK: return expo_u64(b, r->stuck);
	case G_MAX: break;
	}
	return "0";
}

/*
 * A gauge of rows that share labels: pages and references still out are
 * added up (a dead pgmap's are still somewhere); the rest describe the
 * pgmap that lives, or the last one if none does. Which row is which does
 * not follow their order: a pgmap made again can take the row debugfs
 * seeded for the range.
 */
static const char *group_gauge(char *b, const struct devmem_state *st,
			       const struct pgmap_series *s, size_t n, enum pg_gauge g, uint64_t now_ns,
			       uint64_t stall_ns)
{
	const struct devmem_pgmap_row *pick = &st->pgmaps[s[n - 1].row];
	int64_t sum = 0;
	bool exact = true;
	size_t k;

	for (k = 0; k < n; k++) {
		const struct devmem_pgmap_row *r = &st->pgmaps[s[k].row];

		if (!r->destroyed)
			pick = r;
		sum += g == G_REFS ? r->refs : g == G_STUCK ? (int64_t)r->stuck : devmem_pgmap_live(r);
		exact &= !r->live_pending;
	}
	if (g == G_LIVE_EXACT)	/* of the sum: every row's must be */
		return expo_u64(b, exact);
	if (g == G_LIVE)
		return expo_i64(b, sum);
	if (g == G_LIVE_BYTES)
		return expo_i64(b, sum * 4096);
	if (g == G_REFS || g == G_STUCK)	/* threads stuck on any of them */
		return expo_i64(b, sum);
	return pg_gauge(b, pick, g, now_ns, stall_ns);
}

/*
 * The fault-latency histogram from the log2 buckets: bucket b holds
 * latencies of [2^b, 2^(b+1)) ns (b = 0 also 0 ns), the last one all
 * longer. Its le is the largest latency it holds, 2^(b+1) - 1 ns, so "le"
 * means <= exactly. The kernel keeps no sum: _sum is estimated at each
 * bucket's middle, 1.5 * 2^b ns, and at the open last bucket's lower edge
 * (docs/metrics.md).
 */
static void write_histogram(FILE *f, const struct pgmap_series *s, size_t n,
			    const struct devmem_state *st)
{
	size_t i, j;
	int b;
	char v[32], le[32];

	for (i = 0; i < n; i = j) {
		uint64_t hist[DEVMEM_LAT_BUCKETS] = { 0 }, cum = 0;
		double sum_ns = 0;

		j = group_end(s, n, i);
		for (size_t k = i; k < j; k++)
			for (b = 0; b < DEVMEM_LAT_BUCKETS; b++)
				hist[b] += st->pgmaps[s[k].row].fault_lat[b];
		for (b = 0; b < DEVMEM_LAT_BUCKETS; b++) {
			cum += hist[b];
			sum_ns += (double)hist[b] * (!b ? 1.0 : b == DEVMEM_LAT_BUCKETS - 1 ?
						     (double)(1ull << b) : 1.5 * (double)(1ull << b));
			if (b < DEVMEM_LAT_BUCKETS - 1)
				expo_sample(f, "devmem_fault_latency_seconds", "_bucket", &s[i].labels, "le",
				       expo_secs(le, (2ull << b) - 1), expo_u64(v, cum));
		}
		expo_sample(f, "devmem_fault_latency_seconds", "_bucket", &s[i].labels, "le", "+Inf",
		       expo_u64(v, cum));
		snprintf(v, sizeof(v), "%.15g", sum_ns / 1e9);
		expo_sample(f, "devmem_fault_latency_seconds", "_sum", &s[i].labels, NULL, NULL, v);
		expo_sample(f, "devmem_fault_latency_seconds", "_count", &s[i].labels, NULL, NULL,
		       expo_u64(v, cum));
	}
}

static void write_pgmaps(FILE *f, enum devmem_metrics_format fmt, const struct devmem_state *st,
			 uint64_t now_ns, uint64_t stall_ns)
{
	struct pgmap_series *s = pgmap_series(st);
	size_t n = st->nr_pgmaps, c, i, j;
	char v[32];
	int g;

	if (!s)
		return;	/* no memory: the families are left out, not half written */
	for (c = 0; c < pg_set->n; c++) {
		const struct devmem_counter *k = &pg_set->c[c];

		if (!k->metric)
			continue;
		expo_family(f, fmt, k->metric, COUNTER, k->help);
		for (i = 0; i < n; i = j) {
			uint64_t sum = 0;

			/* a dead pgmap's totals stay in its series: counters never go down */
			j = group_end(s, n, i);
			for (size_t r = i; r < j; r++)
				sum += devmem_counter_u64(k, &st->pgmaps[s[r].row].c);
			expo_sample(f, k->metric, "_total", &s[i].labels, NULL, NULL, expo_u64(v, sum));
		}
	}
	for (g = 0; g < G_MAX; g++) {
		expo_family(f, fmt, pgmap_gauges[g].name, GAUGE, pgmap_gauges[g].help);
		for (i = 0; i < n; i = j) {
			j = group_end(s, n, i);
			expo_sample(f, pgmap_gauges[g].name, "", &s[i].labels, NULL, NULL,
			       group_gauge(v, st, s + i, j - i, g, now_ns, stall_ns));
		}
	}
	expo_family(f, fmt, "devmem_fault_latency_seconds", HISTOGRAM,
	       "Time the driver took to migrate a faulting device private page to system memory.");
	write_histogram(f, s, n, st);
	expo_family(f, fmt, "devmem_pgmap", INFO,
	       "A pgmap's driver and device by name (kallsyms, /proc/iomem): join on type and pgmap.");
	for (i = 0; i < n; i = j) {
		const struct devmem_pgmap_row *r = &st->pgmaps[s[i].row];
		struct devmem_labels l;
		size_t k;

		j = group_end(s, n, i);
		for (k = i; k < j; k++)	/* the live pgmap of the range names it */
			if (!st->pgmaps[s[k].row].destroyed) {
				r = &st->pgmaps[s[k].row];
				break;
			}
		pgmap_info_labels(r, &l);
		expo_sample(f, "devmem_pgmap_info", "", &l, NULL, NULL, "1");
	}
	free(s);
}

/* ---- processes: the largest max_procs, the rest as comm="other" ---- */

/* Counter k of a process, 0 for those without a metric. */
static uint64_t proc_counter(const struct devmem_proc_row *r, int k)
{
	return proc_set->c[k].metric ? devmem_counter_u64(&proc_set->c[k], &r->c) : 0;
}

static bool proc_active(const struct devmem_proc_row *r)
{
	int k;

	for (k = 0; k < MPROC_MAX; k++)
		if (proc_counter(r, k))
			return true;
	return r->held != 0;
}

struct proc_rank {
	int64_t held;
	uint64_t activity;
	uint32_t pid;
	size_t idx;
};

/* Most held pages first, then most pages moved, then lowest pid. */
static int rank_cmp(const void *a, const void *b)
{
	const struct proc_rank *x = a, *y = b;

	if (x->held != y->held)
		return (x->held < y->held) - (x->held > y->held);
	if (x->activity != y->activity)
		return (x->activity < y->activity) - (x->activity > y->activity);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/*
 * Line the remembered values up with the state's rows again. The live view
 * removes rows of exited processes (procs.h), and the others move up: each
 * keeps its values by its serial; a removed one's values go with it. They
 * were already added to "other" (if it was there), which so never goes
 * down; a listed one's own series just ends, as any series of a process
 * that is gone. Returns 0 or -ENOMEM (nothing changed).
 */
static int follow_rows(struct devmem_metrics *m, const struct devmem_state *st)
{
	struct devmem_metrics_proc *np;
	struct u64map by_serial = { 0 };
	size_t i, n = m->nr_procs < st->nr_procs ? m->nr_procs : st->nr_procs;
	uint64_t k;

	for (i = 0; i < n && m->procs[i].serial == st->procs[i].serial; i++)
		;
	if (i == m->nr_procs) {	/* nothing moved: new rows came after the known ones */
		if (m->cap_procs < st->nr_procs) {
			np = realloc(m->procs, st->nr_procs * sizeof(*np));
			if (!np)
				return -ENOMEM;
			m->procs = np;
			m->cap_procs = st->nr_procs;
		}
		for (; i < st->nr_procs; i++)
			m->procs[i] = (struct devmem_metrics_proc){ .serial = st->procs[i].serial };
		return 0;
	}
	np = calloc(st->nr_procs ? st->nr_procs : 1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	for (i = 0; i < m->nr_procs; i++)
		if (u64map_put(&by_serial, m->procs[i].serial, i)) {
			u64map_free(&by_serial);
			free(np);
			return -ENOMEM;
		}
	for (i = 0; i < st->nr_procs; i++) {
		if (u64map_get(&by_serial, st->procs[i].serial, &k))
			np[i] = m->procs[k];
		else	/* new: a reused pid's row starts from nothing, too */
			np[i].serial = st->procs[i].serial;
	}
	u64map_free(&by_serial);
	free(m->procs);
	m->procs = np;
	m->cap_procs = st->nr_procs ? st->nr_procs : 1;
	return 0;
}

int devmem_metrics_update(struct devmem_metrics *m, const struct devmem_state *st)
{
	struct proc_rank *rank;
	size_t i, nr = 0;
	int k;

	rank = malloc((st->nr_procs ? st->nr_procs : 1) * sizeof(*rank));
	if (!rank)
		return -ENOMEM;
	if (follow_rows(m, st)) {
		free(rank);
		return -ENOMEM;
	}
	m->nr_procs = st->nr_procs;
	for (i = 0; i < st->nr_procs; i++) {
		const struct devmem_proc_row *r = &st->procs[i];

		m->procs[i].listed = false;
		/*
		 * A dead process whose pid was reused shares pid and maybe comm
		 * with the new one: one label set, so it gets no series.
		 */
		if (proc_active(r) && !r->retired)
			rank[nr++] = (struct proc_rank){ r->held, r->inits + r->to_device + r->to_system,
							 r->pid, i };
	}
	qsort(rank, nr, sizeof(*rank), rank_cmp);
	for (i = 0; i < nr && i < m->max_procs; i++)
		m->procs[rank[i].idx].listed = true;
	free(rank);
	m->other_held = 0;
	m->nr_other = 0;
	for (i = 0; i < st->nr_procs; i++) {
		const struct devmem_proc_row *r = &st->procs[i];
		struct devmem_metrics_proc *p = &m->procs[i];

		/*
		 * "other" takes what an unlisted process did since the last
		 * update, so it only grows, whoever comes and goes from the
		 * listed ones (a listed process's series shows its totals).
		 */
		for (k = 0; k < MPROC_MAX; k++) {
			uint64_t now = proc_counter(r, k);

			if (!p->listed && now > p->seen[k])
				m->other[k] += now - p->seen[k];
			p->seen[k] = now;
		}
		if (!p->listed && proc_active(r)) {
			m->other_held += r->held;
			m->nr_other++;
		}
	}
	return 0;
}

static int listed_cmp(const void *a, const void *b)
{
	const struct devmem_proc_row *x = *(const struct devmem_proc_row *const *)a;
	const struct devmem_proc_row *y = *(const struct devmem_proc_row *const *)b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static void write_procs(FILE *f, enum devmem_metrics_format fmt, const struct devmem_metrics *m,
			const struct devmem_state *st)
{
	const struct devmem_proc_row **rows = malloc((m->nr_procs ? m->nr_procs : 1) * sizeof(*rows));
	struct devmem_labels other = { .n = 1, .l = { { "comm", "other" } } }, l;
	bool any_other = m->nr_other > 0;
	size_t i, n = 0;
	char v[32];
	int k;

	if (!rows)
		return;
	for (i = 0; i < m->nr_procs && i < st->nr_procs; i++)
		if (m->procs[i].listed)
			rows[n++] = &st->procs[i];
	qsort(rows, n, sizeof(*rows), listed_cmp);
	for (k = 0; k < MPROC_MAX; k++)
		any_other |= m->other[k] > 0;

	expo_family(f, fmt, "devmem_process_held_pages", GAUGE,
	       "Device pages handed out to this process and not freed yet.");
	for (i = 0; i < n; i++) {
		proc_labels(rows[i], &l);
		expo_sample(f, "devmem_process_held_pages", "", &l, NULL, NULL, expo_i64(v, rows[i]->held));
	}
	if (any_other)
		expo_sample(f, "devmem_process_held_pages", "", &other, NULL, NULL, expo_i64(v, m->other_held));
	for (k = 0; k < MPROC_MAX; k++) {
		const char *name = proc_set->c[k].metric;

		if (!name)
			continue;
		expo_family(f, fmt, name, COUNTER, proc_set->c[k].help);
		for (i = 0; i < n; i++) {
			proc_labels(rows[i], &l);
			expo_sample(f, name, "_total", &l, NULL, NULL, expo_u64(v, proc_counter(rows[i], k)));
		}
		if (any_other)
			expo_sample(f, name, "_total", &other, NULL, NULL, expo_u64(v, m->other[k]));
	}
	expo_family(f, fmt, "devmem_processes_folded", GAUGE,
	       "Processes without a series of their own, summed into the comm=other series (--metrics-max-procs).");
	expo_sample(f, "devmem_processes_folded", "", NULL, NULL, NULL, expo_u64(v, m->nr_other));
	free(rows);
}

/* ---- the whole exposition ---- */

void devmem_metrics_write(FILE *f, const struct devmem_metrics *m, const struct devmem_state *st,
			  const struct devmem_metrics_info *info, enum devmem_metrics_format fmt)
{
	struct devmem_labels l = { 0 };
	char v[32];
	unsigned int k;

	expo_family(f, fmt, "devmem", INFO, "devmemtop's version, the trace ABI and how it attached.");
	expo_label(&l, "version", "%s", info->version ? info->version : "unknown");
	expo_label(&l, "abi", "%u", DEVMEM_ABI_VERSION);
	expo_label(&l, "attach_mode", "%s", info->attach_mode ? info->attach_mode : "unknown");
	expo_label(&l, "kernel", "%s", info->kernel ? info->kernel : "");
	expo_sample(f, "devmem_info", "", &l, NULL, NULL, "1");

	expo_family(f, fmt, "devmem_events", COUNTER, "Device memory events seen, by event.");
	for (k = 1; k < DEVMEM_REC_TYPE_MAX; k++)
		expo_sample(f, "devmem_events", "_total", NULL, "event", devmem_rec_type_name(k),
		       expo_u64(v, st->by_type[k]));
	expo_family(f, fmt, "devmem_events_lost", COUNTER,
	       "Events or rows lost, by why: the numbers above miss them.");
	for (k = 0; k < DEVMEM_DROP_MAX; k++)
		expo_sample(f, "devmem_events_lost", "_total", NULL, "kind", devmem_drop_names[k],
		       expo_u64(v, info->drops ? info->drops[k] : 0));
	expo_sample(f, "devmem_events_lost", "_total", NULL, "kind", "bpf_recursion",
	       expo_u64(v, info->recursion_misses));
	expo_sample(f, "devmem_events_lost", "_total", NULL, "kind", "bad_record", expo_u64(v, info->bad_records));
	expo_sample(f, "devmem_events_lost", "_total", NULL, "kind", "untracked_oom", expo_u64(v, st->oom));

	write_pgmaps(f, fmt, st, info->now_ns, info->stall_ns);
	write_procs(f, fmt, m, st);
	if (fmt == DEVMEM_METRICS_OPENMETRICS)
		fputs("# EOF\n", f);
}

void devmem_metrics_free(struct devmem_metrics *m)
{
	free(m->procs);
	m->procs = NULL;
	m->nr_procs = m->cap_procs = 0;
}
