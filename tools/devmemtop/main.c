// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemtop: which pgmaps hold how many device pages, who migrates what,
 * where long-term pins and copy-on-write push pages out of device memory.
 * This file reads the command line (cmd_top()) and runs the view
 * (__cmd_top()); collect.c closes each interval, ui.c and batch.c show it.
 */
#include <errno.h>
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
#include "options.h"
#include "output.h"
#include "pgmap_host.h"
#include "privs.h"
#include "procfs.h"
#include "slots.h"
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
		/* A report that cannot be written is an error, not a quiet loss. */
		if ((env->json || !env->quiet) && (fflush(stdout) || ferror(stdout))) {
			fprintf(stderr, "devmemtop: cannot write the report: %s\n",
				strerror(errno ? errno : EIO));
			rc = DEVMEM_EXIT_ERROR;
			break;
		}
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
	int rc, e;

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
	if ((e = devmem_slots_prepare(&t->sess))) {
		fprintf(stderr, "devmemtop: the slots' fence map: %s\n", strerror(-e));
		devmem_stop = 1;
		rc = DEVMEM_EXIT_ERROR;
	}
	/* Attached and walked: a server reachable from the network keeps only what counting needs. */
	if (!rc && env->exporter.listen &&
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

/* The value of a numeric option; -1 (said why) when it is not one. */
static int top_num(enum devmem_opt id, const char *s, double min, double max, double *out)
{
	const struct devmem_option *o = devmem_option_of(DEVMEM_TOOL_TOP, id);
	int e = o->arg == DEVMEM_ARG_SECONDS ? devmem_parse_seconds(s, min, max, out) :
		devmem_parse_count(s, min, max, out);

	if (e)
		devmem_usage_error(DEVMEM_TOOL_TOP, "--%s %s: not a %s from %g to %g", o->name, s,
				   o->arg == DEVMEM_ARG_SECONDS ? "duration" : "number", min, max);
	return e;
}

static int cmd_top(int argc, char **argv)
{
	/* devmemtop shows no stacks; capturing them is for devmemleak. */
	struct top_env env = {
		.attach = { .mode = DEVMEM_MODE_AUTO, .stacks = false },
		.exporter = { .max_procs = DEVMEM_METRICS_MAX_PROCS_DEFAULT },
		.walk = true, .walk_folios = DEVMEM_WALK_LISTED_DEFAULT,
	};
	struct top t = { .sort_col = { 4, 2 },	/* LIVE, HELD */
			 .stall_s = TEARDOWN_DEFAULT_STALL_S, .started_ns = host_now_ns(),
			 .stuck_after_ns = DEVMEM_STUCK_AFTER_NS_DEFAULT,
			 .namer.src = &pgmap_host_source };
	struct devmem_getopt g;
	double v;
	int c;

	t.interval_s = devmem_option_default(DEVMEM_TOOL_TOP, DEVMEM_OPT_DELAY);
	devmem_getopt_init(&g, DEVMEM_TOOL_TOP, false);
	while ((c = devmem_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case DEVMEM_OPT_BATCH: env.batch = true; break;
		case DEVMEM_OPT_JSON: env.batch = env.json = true; break;
		case DEVMEM_OPT_DELAY:
			if (top_num(c, optarg, 0.01, 86400, &t.interval_s))
				return DEVMEM_EXIT_USAGE;
			break;
		case DEVMEM_OPT_ITERATIONS:
			if (top_num(c, optarg, 1, 1e15, &env.count))
				return DEVMEM_EXIT_USAGE;
			break;
		case DEVMEM_OPT_PID:
			if (top_num(c, optarg, 1, 4194304, &v))
				return DEVMEM_EXIT_USAGE;
			t.filter_pid = env.attach.filter_pid = (uint32_t)v;
			break;
		case DEVMEM_OPT_PGMAP:
			if (pgmap_id_parse(optarg, &t.filter_pgmap, t.filter_name,
					   sizeof(t.filter_name)))
				return devmem_usage_error(DEVMEM_TOOL_TOP, "--pgmap %s: not a pgmap "
							  "name, physical start or address", optarg);
			break;
		case DEVMEM_OPT_RAW_ADDRESSES: devmem_raw_addresses = true; break;
		case DEVMEM_OPT_MAXROWS:
			if (top_num(c, optarg, 1, 1e9, &v))
				return DEVMEM_EXIT_USAGE;
			t.max_rows = (size_t)v;
			break;
		case DEVMEM_OPT_SORT:	/* a pgmap column (LIVE, FILL, ...) or a process one (HELD, ...) */
			if (sort_by_name(&t, optarg))
				return devmem_usage_error(DEVMEM_TOOL_TOP, "--sort %s: no such column",
							  optarg);
			break;
		case DEVMEM_OPT_ATTACH:
			if (devmem_mode_parse(optarg, &env.attach.mode))
				return devmem_usage_error(DEVMEM_TOOL_TOP, "--attach %s: not auto, "
							  "tracepoint, fentry or kprobe", optarg);
			break;
		case DEVMEM_OPT_RINGBUF:
			if (devmem_parse_bytes(optarg, 4096, 1u << 31, &v))
				return devmem_usage_error(DEVMEM_TOOL_TOP, "--ringbuf %s: not a size "
							  "from 4K to 2G", optarg);
			env.attach.ringbuf_bytes = (uint32_t)v;
			break;
		case DEVMEM_OPT_VERSION: devmem_print_version(stdout, "devmemtop"); return 0;
		case DEVMEM_OPT_VERBOSE: devmem_verbose++; break;
		case DEVMEM_OPT_LISTEN: env.exporter.listen = optarg; break;
		case DEVMEM_OPT_WEB_CONFIG:
			if (!*optarg)
				return devmem_usage_error(DEVMEM_TOOL_TOP, "--web.config.file: an "
							  "empty name");
			env.exporter.web_config = optarg;
			break;
		case DEVMEM_OPT_TEXTFILE:
			if (!*optarg)
				return devmem_usage_error(DEVMEM_TOOL_TOP, "--textfile: an empty name");
			env.exporter.textfile = optarg;
			break;
		case DEVMEM_OPT_METRICS_MAX_PROCS:
			if (top_num(c, optarg, 0, 1e9, &v))
				return DEVMEM_EXIT_USAGE;
			env.exporter.max_procs = (size_t)v;
			break;
		case DEVMEM_OPT_KEEP_EXITED: env.keep_exited = true; break;
		case DEVMEM_OPT_STALL:
			if (top_num(c, optarg, 0, 86400 * 30, &t.stall_s))
				return DEVMEM_EXIT_USAGE;
			break;
		case DEVMEM_OPT_NO_WALK: env.walk = false; break;
		case DEVMEM_OPT_WALK_FOLIOS:
			if (top_num(c, optarg, 0, 1e6, &env.walk_folios))
				return DEVMEM_EXIT_USAGE;
			break;
		case DEVMEM_OPT_STUCK_AFTER:
			if (top_num(c, optarg, 0.001, 1e6, &v))
				return DEVMEM_EXIT_USAGE;
			t.stuck_after_ns = (uint64_t)(v * 1e9);
			break;
		case DEVMEM_OPT_HELP: devmem_usage(stdout, DEVMEM_TOOL_TOP); return DEVMEM_EXIT_OK;
		default:
			return devmem_usage_hint(DEVMEM_TOOL_TOP);
		}
	}
	if (optind < argc && top_num(DEVMEM_OPT_DELAY, argv[optind++], 0.01, 86400,
				     &t.interval_s))
		return DEVMEM_EXIT_USAGE;
	if (optind < argc && top_num(DEVMEM_OPT_ITERATIONS, argv[optind++], 1, 1e15,
				     &env.count))
		return DEVMEM_EXIT_USAGE;
	if (optind < argc)
		return devmem_usage_error(DEVMEM_TOOL_TOP, "%s: more than an interval and a count",
					  argv[optind]);
	if (env.exporter.web_config && !env.exporter.listen)
		return devmem_usage_error(DEVMEM_TOOL_TOP, "--web.config.file configures "
					  "--web.listen-address, which is not given");
	return __cmd_top(&t, &env);
}

int main(int argc, char **argv)
{
	return cmd_top(argc, argv);
}
