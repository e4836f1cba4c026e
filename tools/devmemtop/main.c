// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemtop: which pgmaps hold how many device pages, who migrates what,
 * where long-term pins and copy-on-write push pages out of device memory.
 * This file reads the command line (cmd_top()) and runs the view
 * (__cmd_top()); collect.c closes each interval, ui.c and batch.c show it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "clock.h"
#include "devmemtop.h"
#include "debugfs.h"
#include "version.h"
#include "exporter.h"
#include "devmem_maps.h"
#include "kcounts.h"
#include "metrics.h"
#include "output.h"
#include "pgmap_host.h"
#include "privs.h"
#include "procfs.h"
#include "readfile.h"
#include "walk.h"

#define DEBUGFS_PGMAPS debugfs_pgmaps_path()

/* What the command line asks for beyond the view's own settings (struct top). */
struct top_env {
	struct devmem_attach_opts attach;
	struct exporter_opts exporter;
	bool batch, json, keep_exited, walk;
	bool quiet;	/* an exporter without -b or -j: no reports */
	double walk_folios, count;
};

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
"      --web.listen-address ADDR:PORT  serve Prometheus metrics at /metrics\n"
"                        (docs/metrics.md); :PORT is 127.0.0.1, every address\n"
"                        is 0.0.0.0:PORT or [::]:PORT; no screen: add -b or -j\n"
"                        to print reports as well\n"
"      --web.config.file FILE  TLS and basic auth for it, in Prometheus\n"
"                        exporter-toolkit's web configuration format\n"
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
"  devmemtop --web.listen-address :%d\n"
"                               a Prometheus exporter on 127.0.0.1:%d\n",
		TEARDOWN_DEFAULT_STALL_S, DEVMEM_EXPORTER_PORT, DEVMEM_EXPORTER_PORT);
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

/* --pgmap ID: an address or a physical start, else a short name. */
static int parse_pgmap(struct top *t, const char *s)
{
	char *end;

	errno = 0;
	t->filter_pgmap = strtoull(s, &end, 0);
	/* Not a number: a short name, whose form is "driver/device#N". */
	if (*end || end == s) {
		t->filter_pgmap = 0;
		if (!strchr(s, '#') || strlen(s) >= sizeof(t->filter_name))
			return -1;
		snprintf(t->filter_name, sizeof(t->filter_name), "%s", s);
	} else if (errno || !t->filter_pgmap) {
		return -1;
	}
	return 0;
}

/*
 * Attach, seed and walk what is out already (late start), and close a
 * first interval. 0, or the exit status after saying why.
 */
static int top_attach(struct top *t, struct top_env *env)
{
	struct devmem_attach_opts *o = &env->attach;
	char err[1024];
	struct utsname u;
	int rc, walked;

	uname(&u);
	snprintf(t->kernel, sizeof(t->kernel), "%s", u.release);
	/* Totals need no record per page; only a per-pid view does. */
	o->records = o->filter_pid != 0;
	o->counts = !o->records;
	/*
	 * In another pid namespace the BPF side's tgids are the host's: /proc
	 * here cannot say whether they live, so no row is taken for gone.
	 * With -p there is one process's row and no proc_counts entries: it
	 * is marked exited, never removed. Forgetting processes gives their
	 * BPF slots back, so fewer are needed (docs/counting.md).
	 */
	t->probe = procfs_in_init_pidns();
	t->evict = t->probe && !env->keep_exited && !o->records;
	o->max_procs = t->evict ? DEVMEM_EVICTING_PROCS : DEVMEM_MAX_PROCS;
	devmem_catch_signals();	/* a stop while loading still prints a last document */
	rc = devmem_attach(&t->sess, o, err, sizeof(err));
	if (rc) {
		if (env->json)
			printf("{\"schema\":1,\"error\":\"%s\",\"exit\":%d}\n",
			       rc == DEVMEM_EXIT_NO_BTF ? "no_btf" : rc == DEVMEM_EXIT_PERM ?
			       "not_permitted" : "nothing_to_trace", rc);
		fprintf(stderr, "devmemtop: %s\n", err);
		if (t->exporting)
			exporter_close();
		return rc;
	}
	if (!env->json)
		fprintf(stderr, "devmemtop: attached in %s mode%s%s\n",
			devmem_mode_name(t->sess.mode), t->sess.unavailable[0] ? "; not seen: " : "",
			t->sess.unavailable);
	if (!t->probe && !env->json)
		fprintf(stderr, "devmemtop: in a pid namespace: rows of exited processes are "
			"kept (their pids are not ours to look up)\n");
	t->st.refs_on_free = t->sess.mode != DEVMEM_MODE_TRACEPOINT;
	t->st.resolve = devmem_resolve_pgmap;
	t->st.resolve_ctx = &t->sess;
	devmem_late_start_seed(&t->late, &t->st, &t->sess);
	/* Pages out before we started, a hung teardown's too (docs/pagewalk.md). */
	walked = env->walk ? walk_at_start(t, (size_t)env->walk_folios) : 0;
	if (t->late.pending <= 0 && walked <= 0 && !env->json)
		fprintf(stderr, "devmemtop: no device memory known yet: %s %s; pgmaps appear "
			"here when their pages are used\n", DEBUGFS_PGMAPS, access(DEBUGFS_PGMAPS, R_OK) ?
			"cannot be read (no such file: the kernel lacks the series, or debugfs "
			"is not mounted), so pgmaps made before we started are not listed" :
			"lists none");
	if (o->records && devmem_session_records(&t->sess, devmemtop_on_record, t, err, sizeof(err))) {
		fprintf(stderr, "devmemtop: %s\n", err);
		devmem_detach(&t->sess);
		return DEVMEM_EXIT_ERROR;
	}
	t->nr_early = devmem_late_start_waiters(t->early, TOP_MAX_EARLY);
	devmemtop_collect(t);
	return 0;
}

/* The screen, or a report per interval; the exit status. */
static int top_run(struct top *t, const struct top_env *env)
{
	char err[1024];
	int rc = DEVMEM_EXIT_OK, iter;

	if (t->exporting) {
		if (exporter_interval(t, err, sizeof(err))) {
			fprintf(stderr, "devmemtop: %s\n", err);
			rc = DEVMEM_EXIT_ERROR;
			devmem_stop = 1;
		} else if (env->exporter.listen) {
			fprintf(stderr, "devmemtop: serving metrics on %s://%s/metrics\n",
				exporter_tls() ? "https" : "http", env->exporter.listen);
		}
	}
	if (!env->batch)
		return ui_run(t, devmemtop_poll, (int)env->count);
	/* Every run prints a document, the last one after a stop. */
	for (iter = 0; !env->count || iter < env->count; iter++) {
		uint64_t end = host_now_ns() + (uint64_t)(t->interval_s * 1e9);

		/* Short polls: the BPF side wakes us only for a full buffer. */
		while (!devmem_stop && host_now_ns() < end)
			if (devmemtop_poll(t, 100) < 0) {
				rc = DEVMEM_EXIT_ERROR;
				devmem_stop = 1;
			}
		devmemtop_collect(t);
		if (t->exporting)
			exporter_interval(t, err, sizeof(err));
		if (env->json)
			batch_json(t);
		else if (!env->quiet)
			batch_text(t);
		if (devmem_stop)
			break;
	}
	return rc;
}

static void top_free(struct top *t)
{
	devmem_state_free(&t->st);
	pgmap_namer_free(&t->namer);
	devmem_late_start_free(&t->late);
	devmem_spins_free(&t->spins);
	free(t->live_true);
	free(t->mismatch_runs);
	for (size_t i = 0; i < t->nr_td; i++)
		teardown_free(&t->td[i]);
	free(t->td);
	free(t->td_row);
}

static int __cmd_top(struct top *t, struct top_env *env)
{
	char err[1024];
	bool usage_err;
	int rc;

	t->exporting = env->exporter.listen || env->exporter.textfile;
	if (t->exporting && exporter_open(&env->exporter, &usage_err, err, sizeof(err))) {
		fprintf(stderr, "devmemtop: %s\n", err);
		return usage_err ? DEVMEM_EXIT_USAGE : DEVMEM_EXIT_ERROR;
	}
	/* An exporter draws no screen; it prints reports only if asked to. */
	env->quiet = t->exporting && !env->batch;
	if (!env->batch && (t->exporting || !isatty(STDOUT_FILENO)))
		env->batch = true;	/* no screen to draw on */
	rc = top_attach(t, env);
	if (rc)
		return rc;
	/* Attached and walked: a server reachable from the network keeps only what counting needs. */
	if (env->exporter.listen &&
	    top_drop_privileges(top_caps_needed(t->sess.fault_hooks != NULL), err, sizeof(err))) {
		fprintf(stderr, "devmemtop: dropping privileges: %s\n", err);
		devmem_stop = 1;
		rc = DEVMEM_EXIT_ERROR;
	}
	if (!rc)
		rc = top_run(t, env);
	devmem_detach(&t->sess);
	if (t->exporting)
		exporter_close();
	host_close_kept();
	top_free(t);
	return rc;
}

static const struct option top_options[] = {
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
	{ "web.listen-address", required_argument, NULL, 'L' },
	{ "listen", required_argument, NULL, 'L' },	/* the old name, still taken */
	{ "web.config.file", required_argument, NULL, 'C' },
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

static int cmd_top(int argc, char **argv)
{
	/* devmemtop shows no stacks; capturing them is for devmemleak. */
	struct top_env env = {
		.attach = { .mode = DEVMEM_MODE_AUTO, .stacks = false },
		.exporter = { .max_procs = DEVMEM_METRICS_MAX_PROCS_DEFAULT },
		.walk = true, .walk_folios = DEVMEM_WALK_LISTED_DEFAULT,
	};
	struct top t = { .interval_s = 1, .sort_col = { 4, 2 },	/* LIVE, HELD */
			 .stall_s = TEARDOWN_DEFAULT_STALL_S, .started_ns = host_now_ns(),
			 .stuck_after_ns = DEVMEM_STUCK_AFTER_NS_DEFAULT,
			 .namer.src = &pgmap_host_source };
	double v;
	int c;

	while ((c = getopt_long(argc, argv, "bjd:n:p:r:s:h", top_options, NULL)) != -1) {
		switch (c) {
		case 'b': env.batch = true; break;
		case 'j': env.batch = env.json = true; break;
		case 'd':
			if (parse_num(optarg, &t.interval_s, 0.01))
				goto bad;
			break;
		case 'n':
			if (parse_num(optarg, &env.count, 1))
				goto bad;
			break;
		case 'p':
			if (parse_num(optarg, &v, 1))
				goto bad;
			t.filter_pid = env.attach.filter_pid = (uint32_t)v;
			break;
		case 'G':
			if (parse_pgmap(&t, optarg))
				goto bad;
			break;
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
			if (devmem_mode_parse(optarg, &env.attach.mode))
				goto bad;
			break;
		case 'R':
			if (parse_num(optarg, &v, 4096) || v > (1u << 31))
				goto bad;
			env.attach.ringbuf_bytes = (uint32_t)v;
			break;
		case 'v': devmem_print_version(stdout, "devmemtop"); return 0;
		case 'L': env.exporter.listen = optarg; break;
		case 'C':
			if (!*optarg)
				goto bad;
			env.exporter.web_config = optarg;
			break;
		case 'T':
			if (!*optarg)
				goto bad;
			env.exporter.textfile = optarg;
			break;
		case 'M':
			if (parse_num(optarg, &v, 0) || v != (size_t)v)
				goto bad;
			env.exporter.max_procs = (size_t)v;
			break;
		case 'K': env.keep_exited = true; break;
		case 'S':
			if (parse_num(optarg, &t.stall_s, 0))
				goto bad;
			break;
		case 'W': env.walk = false; break;
		case 'F':
			if (parse_num(optarg, &env.walk_folios, 0) || env.walk_folios > 1e6)
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
	if (optind < argc && parse_num(argv[optind++], &env.count, 1))
		goto bad;
	if (optind < argc)
		goto bad;
	if (env.exporter.web_config && !env.exporter.listen) {
		fprintf(stderr, "devmemtop: --web.config.file configures --web.listen-address, "
			"which is not given\n");
		return DEVMEM_EXIT_USAGE;
	}
	return __cmd_top(&t, &env);
bad:
	fprintf(stderr, "devmemtop: bad argument '%s'\n", argv[optind - 1]);
	usage(stderr);
	return DEVMEM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	return cmd_top(argc, argv);
}
