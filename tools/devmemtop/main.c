// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemtop: which pgmaps hold how many device pages, who migrates what,
 * where long-term pins and copy-on-write push pages out of device memory.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "devmemtop.h"
#include "version.h"
#include "exporter.h"
#include "devmem_maps.h"
#include "devmem.skel.h"
#include "kcounts.h"
#include "ktasks.h"
#include "metrics.h"
#include "procs.h"
#include "output.h"
#include "replay.h"
#include "walk.h"
#include "fault_hooks.h"
#include "stuck_live.h"

#define DEBUGFS_PGMAPS devmem_debugfs_pgmaps()

static int on_record(void *ctx, void *data, size_t size)
{
	struct top *t = ctx;

	if (devmem_replay_record(data, size, &devmem_state_ops, &t->st))
		t->bad_records++;
	return 0;
}

/* Take records (in records mode) for up to timeout_ms; <0 on a real error. */
static bool exporting;	/* --listen or --textfile */

static int poll_events(struct top *t, int timeout_ms)
{
	int rc;

	if (!exporting)
		return devmem_session_poll(&t->sess, timeout_ms);
	/*
	 * Scrapers are served while we wait; records are taken after, so with
	 * records (-p) wait in short slices: the ring buffer must not fill.
	 */
	if (t->sess.rb && timeout_ms > 10)
		timeout_ms = 10;
	rc = exporter_poll(timeout_ms);
	return rc ? rc : t->sess.rb ? devmem_session_poll(&t->sess, 0) : 0;
}

/*
 * debugfs's live page counts, the kernel's truth, against the shadow count.
 * The kernel counts them by walking every struct page of every pgmap (7.3's
 * series; millions on a GPU), so the file is read only when it can be
 * judged, while no pgmap moves pages, and then at most every
 * DEVMEM_DEBUGFS_READ_NS unless events came in since the last read.
 */

static void check_live(struct top *t)
{
	uint64_t now = devmem_now_ns(), moved = 0;
	FILE *f;
	char line[256];
	size_t i;

	for (i = 0; i < t->st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &t->st.pgmaps[i];

		if (r->inits != r->mark[RATE_INIT] || r->frees != r->mark[RATE_FREE]) {
			for (i = 0; i < t->nr_live_true; i++)
				t->mismatch_runs[i] = 0;	/* nothing to judge while pages move */
			return;
		}
	}
	/*
	 * Only pages handed out or freed, and pgmaps made or torn down, change
	 * what debugfs says: faults do not, and a task spinning on a stuck
	 * fault makes 10^4 a second, each of which made the next interval
	 * walk every struct page again.
	 */
	for (i = 0; i < t->st.nr_pgmaps; i++)
		moved += t->st.pgmaps[i].inits + t->st.pgmaps[i].frees + t->st.pgmaps[i].destroyed;
	moved += t->st.nr_pgmaps;
	if (t->live_checked_ns && now - t->live_checked_ns < DEVMEM_DEBUGFS_READ_NS &&
	    moved == t->live_checked_events)
		return;
	t->live_checked_ns = now;
	t->live_checked_events = moved;
	f = fopen(DEBUGFS_PGMAPS, "r");

	if (t->nr_live_true < t->st.nr_pgmaps) {
		int64_t *lt = realloc(t->live_true, t->st.nr_pgmaps * sizeof(*lt));
		int *runs;

		if (lt)
			t->live_true = lt;
		runs = lt ? realloc(t->mismatch_runs, t->st.nr_pgmaps * sizeof(*runs)) : NULL;
		if (!runs) {	/* keep what we had; check again next interval */
			if (f)
				fclose(f);
			return;
		}
		t->mismatch_runs = runs;
		for (i = t->nr_live_true; i < t->st.nr_pgmaps; i++)
			t->mismatch_runs[i] = 0;
		t->nr_live_true = t->st.nr_pgmaps;
	}
	for (i = 0; i < t->nr_live_true; i++)
		t->live_true[i] = -1;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long start, live;

		if (line[0] == '#' || sscanf(line, "%*s %*s %llx %*s %*s %*s %llu", &start, &live) != 2)
			continue;
		for (i = 0; i < t->st.nr_pgmaps; i++)
			if (t->st.pgmaps[i].start == start && !t->st.pgmaps[i].destroyed)
				t->live_true[i] = live;
	}
	if (f)
		fclose(f);
	for (i = 0; i < t->nr_live_true; i++) {
		const struct devmem_pgmap_row *r = &t->st.pgmaps[i];
		/*
		 * Judge only a pgmap that was quiet through the interval: while
		 * pages move, debugfs and the totals are read moments apart.
		 */
		bool quiet = r->inits == r->mark[RATE_INIT] && r->frees == r->mark[RATE_FREE];
		bool differ = quiet && t->live_true[i] >= 0 && !r->live_pending &&
			      t->live_true[i] != devmem_pgmap_live(r);

		t->mismatch_runs[i] = differ ? t->mismatch_runs[i] + 1 : 0;
	}
}

static void add_owner(void *ctx, uint32_t tgid, uint64_t pages)
{
	struct top *t = ((void **)ctx)[0];
	struct teardown_report *rep = ((void **)ctx)[1];
	const struct devmem_proc_row *p = NULL;
	uint64_t i;

	if (u64map_get(&t->st.proc_idx, tgid + 1ull, &i))
		p = &t->st.procs[i];
	teardown_add_holder(rep, tgid, p ? p->comm : "", p && t->probe ? p->exited : -1, pages, 0);
}

/*
 * What each waiting teardown waits for: the waiting task as procfs shows
 * it now, the pages still out by the process they were handed to.
 */
static void collect_teardowns(struct top *t)
{
	uint64_t now = devmem_now_ns();
	size_t i, n = 0, unseen = 0;

	for (i = 0; i < t->nr_td; i++)
		teardown_free(&t->td[i]);
	t->nr_td = 0;
	for (i = 0; i < t->st.nr_pgmaps; i++)
		n += teardown_wanted(&t->st.pgmaps[i]) ||
		     devmem_walked_teardown_unseen(devmem_late_start_walked(&t->late, &t->st.pgmaps[i]),
						   &t->st.pgmaps[i]);
	if (!n)
		return;
	free(t->td);
	free(t->td_row);
	t->td = calloc(n, sizeof(*t->td));
	t->td_row = calloc(n, sizeof(*t->td_row));
	if (!t->td || !t->td_row) {
		t->st.oom++;
		return;
	}
	for (i = 0; i < t->st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &t->st.pgmaps[i];
		const struct devmem_walked *w = devmem_late_start_walked(&t->late, r);
		struct teardown_report *rep = &t->td[t->nr_td];
		void *ctx[2] = { t, rep };

		if (devmem_walked_teardown_unseen(w, r)) {
			devmem_walked_teardown_begin(rep, w, r, now, t->started_ns,
						     (uint64_t)(t->stall_s * 1e9));
			unseen++;
		} else if (teardown_wanted(r)) {
			teardown_begin(rep, r, now, (uint64_t)(t->stall_s * 1e9),
				       !t->st.refs_on_free);
			ktask_read_teardown(rep);
		} else {
			continue;
		}
		if (r->start && r->end > r->start)
			devmem_pgmap_owners(&t->sess, r->start >> 12, (r->end - r->start + 1) >> 12,
					    add_owner, ctx);
		teardown_finish(rep);
		t->td_row[t->nr_td++] = i;
	}
	devmem_teardown_pair_early(t->td, t->nr_td, unseen, t->early, t->nr_early);
}

const struct teardown_report *top_teardown(const struct top *t, const struct devmem_pgmap_row *r)
{
	size_t i;

	for (i = 0; i < t->nr_td; i++)
		if (&t->st.pgmaps[t->td_row[i]] == r)
			return &t->td[i];
	return NULL;
}

void devmemtop_collect(struct top *t)
{
	/* Before the read: the read after a process is found gone is final. */
	if (t->probe)
		devmem_procs_probe(&t->st, devmem_proc_probe_procfs, NULL, false);
	if (t->sess.rb)
		devmem_session_poll(&t->sess, 0);
	else
		devmem_state_from_kernel(&t->st, &t->sess, devmem_procs_kernel_totals);
	if (t->probe)
		devmem_procs_probe(&t->st, devmem_proc_probe_procfs, NULL, true);
	/* Paused, nothing is shown: nothing shown exited may go. */
	if (t->evict && !t->paused)
		t->procs_removed += devmem_procs_evict(&t->st, devmem_proc_forget_kernel, &t->sess);
	devmem_fault_hooks_update(&t->sess, false);
	if (devmem_spins_read(&t->spins, &t->sess, devmem_now_ns()))
		t->spins.oom++;
	devmem_spins_judge(&t->spins, &t->st, devmem_now_ns(), t->stuck_after_ns, t->filter_pid);
	devmem_read_drops(&t->sess, t->drops, &t->recursion_misses);
	pgmap_namer_update(&t->namer, &t->st);	/* new pgmaps, or owners just learned */
	devmem_late_start_settle(&t->late, &t->st, &t->sess);
	check_live(t);
	devmem_state_mark(&t->st, devmem_now_ns());
	collect_teardowns(t);
	devmem_late_start_waiters_refresh(t->early, t->nr_early);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: devmemtop [options] [interval [count]]\n"
"\n"
"Live view of device memory (ZONE_DEVICE private and coherent pages):\n"
"pgmaps with their live pages and migrations, and the processes behind them.\n"
"\n"
"  -b, --batch           plain text, no screen handling\n"
"  -j, --json            batch mode, one JSON document per interval (docs/devmemtop.md)\n"
"  -d, --delay SEC       interval in seconds (default 1)\n"
"  -n, --iterations N    stop after N intervals (default: until interrupted)\n"
"  -p, --pid PID         only events caused by PID (and frees of its pages);\n"
"                        this takes a record per event instead of totals\n"
"      --pgmap ID        only this pgmap: its name (test_hmm/hmm_dmirror#0),\n"
"                        its physical start or its kernel address\n"
"  -r, --maxrows N       at most N rows per table (text and screen; JSON has all)\n"
"  -s, --sort COLUMN     sort by this column, e.g. FILL, LIVE, FAULTS, HELD\n"
"      --raw-addresses   show pgmap addresses and owner cookies (kernel\n"
"                        addresses; JSON \"pgmap\", \"owner\")\n"
"      --attach MODE     auto (default), tracepoint, fentry or kprobe\n"
"      --ringbuf BYTES   ring buffer size for -p (power of 2, default 8 MiB)\n"
"      --listen ADDR:PORT  serve Prometheus metrics at /metrics (docs/metrics.md);\n"
"                        no screen: add -b or -j to print reports as well\n"
"      --textfile FILE   write the metrics to FILE every interval, atomically,\n"
"                        for node_exporter's textfile collector (FILE.prom)\n"
"      --metrics-max-procs N  processes with their own series (default 50,\n"
"                        most held pages first); the rest are comm=\"other\"\n"
"      --stall SEC       a pgmap teardown that waits this long is stalled\n"
"                        (default %.0f; docs/teardown.md)\n"
"      --no-walk         do not walk the pgmaps' struct pages at start\n"
"      --walk-folios N   folios listed per pgmap by that walk (default 64)\n"
"      --stuck-after SEC a fault that repeats without progress this long is\n"
"                        stuck (default 1)\n"
"      --keep-exited     keep rows of exited processes that hold no pages (by\n"
"                        default they go once shown exited; at most 4096\n"
"                        processes are counted in a session then)\n"
"  -v, --version\n"
"  -h, --help\n"
"\n"
"Keys: 1 pgmaps view, 2 processes view, < > sort column, p pause,\n"
"      + - interval, f filter by pid, g filter by pgmap, q quit.\n"
"\n"
"Examples:\n"
"  devmemtop                    full screen, 1 s refresh\n"
"  devmemtop -b 5 3             three text reports, 5 s apart\n"
"  devmemtop -j -p 1234         JSON for what process 1234 does\n"
"  devmemtop --attach=fentry    without the devmem tracepoints\n"
"  devmemtop --listen :9464     a Prometheus exporter on port 9464\n", TEARDOWN_DEFAULT_STALL_S);
	fputc('\n', f);
	devmem_print_exit_codes(f, DEVMEM_TOOL_TOP);
}

static int parse_num(const char *s, double *out, double min)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || v < min)
		return -1;
	*out = v;
	return 0;
}

/* -s NAME: the pgmap view's column of that name, else the process view's. */
static int sort_by_name(struct top *t, const char *name)
{
	size_t i;

	for (i = 0; i < nr_pgmap_columns; i++)
		if (!strcasecmp(pgmap_columns[i].name, name)) {
			t->sort_col[VIEW_PGMAPS] = i;
			return 0;
		}
	for (i = 0; i < nr_proc_columns; i++)
		if (!strcasecmp(proc_columns[i].name, name)) {
			t->sort_col[VIEW_PROCS] = i;
			return 0;
		}
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "pid", required_argument, NULL, 'p' },
		{ "pgmap", required_argument, NULL, 'G' },
		{ "attach", required_argument, NULL, 'A' },
		{ "ringbuf", required_argument, NULL, 'R' },
		{ "raw-addresses", no_argument, NULL, 'X' },
		{ "maxrows", required_argument, NULL, 'r' },
		{ "sort", required_argument, NULL, 's' },
		{ "version", no_argument, NULL, 'v' },
		{ "listen", required_argument, NULL, 'L' },
		{ "textfile", required_argument, NULL, 'T' },
		{ "metrics-max-procs", required_argument, NULL, 'M' },
		{ "keep-exited", no_argument, NULL, 'K' },
		{ "stall", required_argument, NULL, 'S' },
		{ "no-walk", no_argument, NULL, 'W' },
		{ "walk-folios", required_argument, NULL, 'F' },
		{ "stuck-after", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* devmemtop shows no stacks; capturing them is for devmemleak. */
	struct devmem_attach_opts o = { .mode = DEVMEM_MODE_AUTO, .stacks = false };
	struct top t = { .interval_s = 1, .sort_col = { 4, 2 },	/* LIVE, HELD */
			 .stall_s = TEARDOWN_DEFAULT_STALL_S, .started_ns = devmem_now_ns(),
			 .stuck_after_ns = DEVMEM_STUCK_AFTER_NS_DEFAULT };
	struct exporter_opts xo = { .max_procs = DEVMEM_METRICS_MAX_PROCS_DEFAULT };
	bool batch = false, json = false, usage_err, keep_exited = false, walk = true;
	double walk_folios = DEVMEM_WALK_LISTED_DEFAULT;
	double count = 0, v;
	char err[1024];
	bool quiet;
	struct utsname u;
	int c, rc, iter, walked;

	while ((c = getopt_long(argc, argv, "bjd:n:p:r:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': batch = true; break;
		case 'j': batch = json = true; break;
		case 'd':
			if (parse_num(optarg, &t.interval_s, 0.01))
				goto bad;
			break;
		case 'n':
			if (parse_num(optarg, &count, 1))
				goto bad;
			break;
		case 'p':
			if (parse_num(optarg, &v, 1))
				goto bad;
			t.filter_pid = o.filter_pid = (uint32_t)v;
			break;
		case 'G': {
			char *end;

			errno = 0;
			t.filter_pgmap = strtoull(optarg, &end, 0);
			/* Not a number: a short name, whose form is "driver/device#N". */
			if (*end || end == optarg) {
				t.filter_pgmap = 0;
				if (!strchr(optarg, '#') || strlen(optarg) >= sizeof(t.filter_name))
					goto bad;
				snprintf(t.filter_name, sizeof(t.filter_name), "%s", optarg);
			} else if (errno || !t.filter_pgmap) {
				goto bad;
			}
			break;
		}
		case 'X': devmem_raw_addresses = true; break;
		case 'r':
			if (parse_num(optarg, &v, 1))
				goto bad;
			t.max_rows = (size_t)v;
			break;
		case 's':	/* a pgmap column (LIVE, FILL, ...) or a process one (HELD, ...) */
			if (sort_by_name(&t, optarg))
				goto bad;
			break;
		case 'A':
			if (devmem_mode_parse(optarg, &o.mode))
				goto bad;
			break;
		case 'R':
			if (parse_num(optarg, &v, 4096) || v > (1u << 31))
				goto bad;
			o.ringbuf_bytes = (uint32_t)v;
			break;
		case 'v': devmem_print_version(stdout, "devmemtop"); return 0;
		case 'L': xo.listen = optarg; break;
		case 'T':
			if (!*optarg)
				goto bad;
			xo.textfile = optarg;
			break;
		case 'M':
			if (parse_num(optarg, &v, 0) || v != (size_t)v)
				goto bad;
			xo.max_procs = (size_t)v;
			break;
		case 'K': keep_exited = true; break;
		case 'S':
			if (parse_num(optarg, &t.stall_s, 0))
				goto bad;
			break;
		case 'W': walk = false; break;
		case 'F':
			if (parse_num(optarg, &walk_folios, 0) || walk_folios > 1e6)
				goto bad;
			break;
		case 'U':
			if (parse_num(optarg, &v, 0.001) || v > 1e6)
				goto bad;
			t.stuck_after_ns = (uint64_t)(v * 1e9);
			break;
		case 'h': usage(stdout); return DEVMEM_EXIT_OK;
		default: usage(stderr); return DEVMEM_EXIT_USAGE;
		}
	}
	if (optind < argc && parse_num(argv[optind++], &t.interval_s, 0.01))
		goto bad;
	if (optind < argc && parse_num(argv[optind++], &count, 1))
		goto bad;
	if (optind < argc)
		goto bad;
	exporting = xo.listen || xo.textfile;
	if (exporting && exporter_open(&xo, &usage_err, err, sizeof(err))) {
		fprintf(stderr, "devmemtop: %s\n", err);
		return usage_err ? DEVMEM_EXIT_USAGE : DEVMEM_EXIT_ERROR;
	}
	/* An exporter draws no screen; it prints reports only if asked to. */
	quiet = exporting && !batch;
	if (!batch && (exporting || !isatty(STDOUT_FILENO)))
		batch = true;	/* no screen to draw on */

	uname(&u);
	snprintf(t.kernel, sizeof(t.kernel), "%s", u.release);
	/* Totals need no record per page; only a per-pid view does. */
	o.records = o.filter_pid != 0;
	o.counts = !o.records;
	/*
	 * In another pid namespace the BPF side's tgids are the host's: /proc
	 * here cannot say whether they live, so no row is taken for gone.
	 * With -p there is one process's row and no proc_counts entries: it
	 * is marked exited, never removed. Forgetting processes gives their
	 * BPF slots back, so fewer are needed (docs/counting.md).
	 */
	t.probe = devmem_in_init_pidns();
	t.evict = t.probe && !keep_exited && !o.records;
	o.max_procs = t.evict ? DEVMEM_EVICTING_PROCS : DEVMEM_MAX_PROCS;
	devmem_catch_signals();	/* a stop while loading still prints a last document */
	rc = devmem_attach(&t.sess, &o, err, sizeof(err));
	if (rc) {
		if (json)
			printf("{\"schema\":1,\"error\":\"%s\",\"exit\":%d}\n",
			       rc == DEVMEM_EXIT_NO_BTF ? "no_btf" : rc == DEVMEM_EXIT_PERM ?
			       "not_permitted" : "nothing_to_trace", rc);
		fprintf(stderr, "devmemtop: %s\n", err);
		if (exporting)
			exporter_close();
		return rc;
	}
	if (!json)
		fprintf(stderr, "devmemtop: attached in %s mode%s%s\n",
			devmem_mode_name(t.sess.mode), t.sess.unavailable[0] ? "; not seen: " : "",
			t.sess.unavailable);
	if (!t.probe && !json)
		fprintf(stderr, "devmemtop: in a pid namespace: rows of exited processes are "
			"kept (their pids are not ours to look up)\n");
	t.st.refs_on_free = t.sess.mode != DEVMEM_MODE_TRACEPOINT;
	t.st.resolve = devmem_resolve_pgmap;
	t.st.resolve_ctx = &t.sess;
	devmem_late_start_seed(&t.late, &t.st, &t.sess);
	/* Pages out before we started, a hung teardown's too (docs/pagewalk.md). */
	walked = walk ? walk_at_start(&t, (size_t)walk_folios) : 0;
	if (t.late.pending <= 0 && walked <= 0 && !json)
		fprintf(stderr, "devmemtop: no device memory known yet: %s %s; pgmaps appear "
			"here when their pages are used\n", DEBUGFS_PGMAPS, access(DEBUGFS_PGMAPS, R_OK) ?
			"cannot be read (no such file: the kernel lacks the series, or debugfs "
			"is not mounted), so pgmaps made before we started are not listed" :
			"lists none");
	if (o.records && devmem_session_records(&t.sess, on_record, &t, err, sizeof(err))) {
		fprintf(stderr, "devmemtop: %s\n", err);
		devmem_detach(&t.sess);
		return DEVMEM_EXIT_ERROR;
	}
	t.nr_early = devmem_late_start_waiters(t.early, TOP_MAX_EARLY);
	devmemtop_collect(&t);
	rc = DEVMEM_EXIT_OK;
	if (exporting) {
		if (exporter_interval(&t, err, sizeof(err))) {
			fprintf(stderr, "devmemtop: %s\n", err);
			rc = DEVMEM_EXIT_ERROR;
			devmem_stop = 1;
		} else if (xo.listen) {
			fprintf(stderr, "devmemtop: serving metrics on http://%s/metrics\n", xo.listen);
		}
	}
	if (!batch) {
		rc = ui_run(&t, poll_events, (int)count);
	} else {
		/* Every run prints a document, the last one after a stop. */
		for (iter = 0; !count || iter < count; iter++) {
			uint64_t end = devmem_now_ns() + (uint64_t)(t.interval_s * 1e9);

			/* Short polls: the BPF side wakes us only for a full buffer. */
			while (!devmem_stop && devmem_now_ns() < end)
				if (poll_events(&t, 100) < 0) {
					rc = DEVMEM_EXIT_ERROR;
					devmem_stop = 1;
				}
			devmemtop_collect(&t);
			if (exporting)
				exporter_interval(&t, err, sizeof(err));
			if (json)
				batch_json(&t);
			else if (!quiet)
				batch_text(&t);
			if (devmem_stop)
				break;
		}
	}
	devmem_detach(&t.sess);
	if (exporting)
		exporter_close();
	devmem_state_free(&t.st);
	pgmap_namer_free(&t.namer);
	devmem_late_start_free(&t.late);
	devmem_spins_free(&t.spins);
	free(t.live_true);
	free(t.mismatch_runs);
	for (size_t i = 0; i < t.nr_td; i++)
		teardown_free(&t.td[i]);
	free(t.td);
	free(t.td_row);
	return rc;
bad:
	fprintf(stderr, "devmemtop: bad argument '%s'\n", argv[optind - 1]);
	usage(stderr);
	return DEVMEM_EXIT_USAGE;
}
