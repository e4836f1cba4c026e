// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemleak -- COMMAND: attach, start the command, take its records
 * until it ends, then wait for its pages to settle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "clock.h"
#include "command.h"
#include "devmemleak.h"
#include "kcounts.h"
#include "lost.h"
#include "output.h"
#include "procfs.h"
#include "replay.h"

#define POLL_MS 100

static int on_record(void *ctx, void *data, size_t size)
{
	struct leak *lk = ctx;

	if (devmem_replay_record(data, size, leak_tracker_ops(), &lk->lt.st))
		lk->bad_records++;
	return 0;
}

static const char *signal_name(int sig)
{
	static const struct { int sig; const char *name; } names[] = {
		{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" }, { SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" },
		{ SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" }, { SIGKILL, "SIGKILL" },
		{ SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
		{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" },
		{ SIGXCPU, "SIGXCPU" }, { SIGXFSZ, "SIGXFSZ" }, { SIGSYS, "SIGSYS" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return "?";
}

static uint64_t ms_since(uint64_t t0)
{
	uint64_t now = host_now_ns();

	return now > t0 ? (now - t0) / 1000000 : 0;
}

/* In-scope pages or references still out. */
static bool mine_outstanding(const struct leak_tracker *lt)
{
	return lt->out_mine || leak_extra_refs_mine(lt);
}

/*
 * Start COMMAND. Its exec is reported back through a close-on-exec pipe:
 * EOF means it ran, 4 bytes are the errno of a failed exec. Returns the
 * pid, or -1 with o->no_verdict saying why.
 */
static pid_t start_command(char **argv, struct outcome *o)
{
	struct command c;
	int e = -command_start(&c, argv, "devmemleak");

	if (e && !strcmp(c.failed, "pipe")) {
		no_verdict(o, "could not start the command: pipe: %s", strerror(e));
		snprintf(o->what, sizeof(o->what), "`%s` could not start: %s", argv[0], strerror(e));
		return -1;
	}
	if (e) {
		snprintf(o->what, sizeof(o->what), "`%s` could not start: fork: %s", argv[0], strerror(e));
		no_verdict(o, "%s", "the command could not start (fork failed)");
		return -1;
	}
	if (c.exec_errno) {
		command_wait(c.pid, NULL);
		snprintf(o->what, sizeof(o->what), "`%s` could not start: %s", argv[0],
			 strerror(c.exec_errno));
		no_verdict(o, "%s", "the command could not start");
		return -1;
	}
	return c.pid;
}

static void describe_status(struct outcome *o, const char *cmd, int status)
{
	if (WIFSIGNALED(status)) {
		o->cmd_status = 128 + WTERMSIG(status);
		snprintf(o->what, sizeof(o->what), "`%s` killed by signal %d (%s)", cmd,
			 WTERMSIG(status), signal_name(WTERMSIG(status)));
	} else {
		o->cmd_status = WEXITSTATUS(status);
		snprintf(o->what, sizeof(o->what), "`%s` exited %d", cmd, WEXITSTATUS(status));
	}
}

/* A pgmap teardown that waits now, if any (the first). */
static const struct devmem_pgmap_row *waiting_teardown(const struct devmem_state *st)
{
	for (size_t i = 0; i < st->nr_pgmaps; i++)
		if (st->pgmaps[i].waiting)
			return &st->pgmaps[i];
	return NULL;
}

/* After the command exited at exited: wait for its pages; the poll errors. */
static uint64_t settle(struct leak *lk, const struct leak_env *env, uint64_t exited)
{
	const struct leak_tracker *lt = &lk->lt;
	struct outcome *o = &lk->o;
	double settle_s = env->settle;
	uint64_t quiet_ms = (uint64_t)(env->quiet * 1e3);
	uint64_t poll_errors = 0;

	/*
	 * "Settled after" and --settle count from the command's exit as the
	 * records saw it (else its reaping); the quiet interval only from its
	 * reaping, since closing its files, after the exit record, may still
	 * hand work to a driver's workqueue.
	 */
	while (!devmem_stop) {
		uint64_t waited, since, start = exited;

		if (devmem_session_poll(&lk->sess, 0) < 0)
			poll_errors++;
		if (lt->root_exit_ns && lt->root_exit_ns < exited)
			start = lt->root_exit_ns;
		waited = ms_since(start);
		since = ms_since(lt->last_mine_ns > exited ? lt->last_mine_ns : exited);
		if (!mine_outstanding(lt)) {
			snprintf(o->settle, sizeof(o->settle), "settled after %.1f s: all pages back",
				 waited / 1e3);
			break;
		}
		if (!lt->tree_alive && since >= quiet_ms) {
			snprintf(o->settle, sizeof(o->settle), "settled after %.1f s: quiet for %.1f s",
				 waited / 1e3, since / 1e3);
			break;
		}
		if (waited >= settle_s * 1e3) {
			int n = snprintf(o->settle, sizeof(o->settle),
					 "settled after %.1f s: --settle limit %g s reached",
					 waited / 1e3, settle_s);

			if (lt->tree_alive && n > 0 && (size_t)n < sizeof(o->settle))
				snprintf(o->settle + n, sizeof(o->settle) - n,
					 " (%llu of its processes still running)",
					 (unsigned long long)lt->tree_alive);
			break;
		}
		if (devmem_session_poll(&lk->sess, POLL_MS) < 0)
			poll_errors++;
	}
	return poll_errors;
}

/*
 * Run the command under the tracer, then settle: stop at once when none of
 * its pages or references is out; else wait until its processes are all
 * gone and none of its pages came back for quiet_ms, at most settle_s.
 * Returns the total losses.
 */
static uint64_t run_live(struct leak *lk, const struct leak_env *env)
{
	struct leak_tracker *lt = &lk->lt;
	struct outcome *o = &lk->o;
	char **argv = env->command;
	double timeout_s = env->timeout;
	uint64_t drops[DEVMEM_DROP_MAX] = { 0 }, misses = 0, poll_errors = 0, exited = 0;
	uint64_t started = host_now_ns();
	bool timed_out = false;
	int status = 0;
	pid_t child;

	/* In a container our pid is not the one the records carry. */
	if (lk->sess.tracks_tasks && procfs_in_init_pidns())
		leak_tracker_scope(lt, getpid());
	child = devmem_stop ? -1 : start_command(argv, o);
	if (child < 0 && devmem_stop)
		snprintf(o->what, sizeof(o->what), "`%s` not run: interrupted first", argv[0]);
	while (child > 0 && !devmem_stop) {
		if (devmem_session_poll(&lk->sess, POLL_MS) < 0)
			poll_errors++;	/* records may be gone: no verdict */
		if (command_exited(child, &status)) {
			exited = host_now_ns();
			break;
		}
		if (timeout_s > 0 && ms_since(started) >= timeout_s * 1e3) {
			timed_out = true;
			break;
		}
	}
	if (timed_out) {
		const struct devmem_pgmap_row *w;
		char pgmap[3 * DEVMEM_NAME_LEN];

		/*
		 * A task in memunmap_pages() sleeps uninterruptibly: it cannot be
		 * killed, and waiting for it would hang the gate. Kill what can
		 * die and leave the rest; the records so far are the verdict.
		 */
		kill(child, SIGKILL);
		if (devmem_session_poll(&lk->sess, 0) < 0)
			poll_errors++;
		w = waiting_teardown(&lt->st);
		if (w) {
			pgmap_namer_update(&lk->namer, &lt->st);
			snprintf(o->what, sizeof(o->what), "`%s` still running after --timeout %g s, "
				 "pid %u stuck in the teardown of pgmap %s", argv[0], timeout_s,
				 w->wait_pid, devmem_pgmap_label(&lt->st, w->pgmap, pgmap, sizeof(pgmap)));
			snprintf(o->settle, sizeof(o->settle), "not settled: the teardown waits for "
				 "the pages below");
		} else {
			snprintf(o->what, sizeof(o->what), "`%s` still running after --timeout %g s: "
				 "killed", argv[0], timeout_s);
			no_verdict(o, "%s", "the command did not finish within --timeout, and no "
				   "pgmap teardown waits");
		}
		o->cmd_status = 128 + SIGKILL;
		child = -1;
	}
	if (child > 0 && !exited) {	/* interrupted: the command goes too */
		kill(child, SIGTERM);
		command_wait(child, &status);
	}
	if (child > 0)
		describe_status(o, argv[0], status);
	if (exited)
		poll_errors += settle(lk, env, exited);
	if (devmem_stop)
		no_verdict(o, "%s", "interrupted");
	if (devmem_session_poll(&lk->sess, 0) < 0)
		poll_errors++;
	if (devmem_read_drops(&lk->sess, drops, &misses))
		no_verdict(o, "%s", "the drop counters could not be read, so events lost are unknown");
	lk->no_stack = drops[DEVMEM_DROP_STACK];
	return devmem_lost(drops, misses, lk->bad_records + lt->st.oom + poll_errors);
}

int leak_run(struct leak *lk, const struct leak_env *env)
{
	char err[1024];
	int rc;

	devmem_catch_signals();	/* a stop while loading: "interrupted", no verdict */
	rc = devmem_attach(&lk->sess, &env->attach, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devmemleak: %s\n", err);
		snprintf(lk->o.what, sizeof(lk->o.what), "`%s` not run", env->command[0]);
		no_verdict(&lk->o, "cannot trace this kernel (%s)", rc == DEVMEM_EXIT_PERM ?
			   "not allowed to load BPF programs" : rc == DEVMEM_EXIT_NO_BTF ?
			   "no BTF" : "nothing to attach to");
		return -1;
	}
	lk->lt.st.refs_on_free = lk->sess.mode != DEVMEM_MODE_TRACEPOINT;
	lk->lt.st.resolve = devmem_resolve_pgmap;	/* range, type, ops from the BPF side */
	lk->lt.st.resolve_ctx = &lk->sess;
	if (devmem_session_records(&lk->sess, on_record, lk, err, sizeof(err))) {
		fprintf(stderr, "devmemleak: %s\n", err);
		devmem_detach(&lk->sess);
		snprintf(lk->o.what, sizeof(lk->o.what), "`%s` not run", env->command[0]);
		no_verdict(&lk->o, "%s", "cannot read the ring buffer");
		return -1;
	}
	lk->lost = run_live(lk, env);
	lk->now = host_now_ns();
	ksyms_load(&lk->ksyms);
	pgmap_namer_update(&lk->namer, &lk->lt.st);	/* driver and device, as devmemtop */
	return 0;
}
