// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemleak: run a command (or read a devmemrec trace) and report every
 * device page handed out and never freed, and every pgmap reference taken
 * and never put, grouped by allocation stack. A CI gate with valgrind's
 * contract (docs/devmemleak.md, docs/exit-codes.md): with a verdict and no
 * leak it exits with the command's own status; leaks give 23 (or
 * --error-exitcode); no verdict gives 24 and says why. Only the command
 * and its descendants are judged; other processes are shown apart.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "exit_codes.h"
#include "folded.h"
#include "version.h"
#include "json.h"
#include "kcounts.h"
#include "ktasks.h"
#include "ksyms.h"
#include "leaks.h"
#include "lost.h"
#include "output.h"
#include "pgmap_names.h"
#include "replay.h"
#include "stacks.h"
#include "state.h"
#include "teardown.h"
#include "tracefile.h"

#define MAX_SUPPRESS 64
#define DEFAULT_SETTLE_S 10.0
#define DEFAULT_QUIET_MS 500
#define POLL_MS 100

static struct leak_tracker L;
static uint64_t bad_records;
static uint64_t no_stack;	/* page inits without a stack: not lost (lost.h) */

static int on_record(void *ctx, void *data, size_t size)
{
	if (devmem_replay_record(data, size, leak_tracker_ops(), ctx))
		bad_records++;
	return 0;
}

static struct devmem_session sess;
static struct ksyms ksyms;
static struct dmt_info info;
static struct dmt_info scan;	/* -i: the file's own pgmap descriptions and names */
static struct pgmap_namer namer;

static const char *stack_live(void *ctx, int32_t id, char *buf, size_t len)
{
	(void)ctx;
	return devmem_stack_text(&sess, &ksyms, id, buf, len);
}

static const char *stack_recorded(void *ctx, int32_t id, char *buf, size_t len)
{
	(void)ctx;
	return devmem_stack_lookup(info.stacks, id, buf, len);
}

/*
 * Text for XML attributes and content: markup escaped, and any bytes a comm
 * may hold kept valid (well-formed UTF-8 as is, other bytes as the
 * character of the same value, as the JSON output does; controls dropped).
 */
static void xml_escaped(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	while (*s) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if (*s >= 0x80 && (n = json_utf8_len(s))) {
				fwrite(s, 1, n, f);
				s += n;
				continue;
			}
			if (*s >= 0x80)
				fprintf(f, "&#x%02x;", *s);
			else if (*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
		s++;
	}
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

static void usage(FILE *f)
{
	fprintf(f,
"usage: devmemleak [options] -- COMMAND [ARGS...]\n"
"       devmemleak [options] -i FILE\n"
"\n"
"Report every device page handed out and never freed, and every pgmap\n"
"reference taken and never put, by COMMAND and its descendants (or in a\n"
"devmemrec trace), grouped by allocation stack with pid, comm, count and age.\n"
"Pages other processes hold are shown apart and never fail the run.\n"
"\n"
"  -i, --input FILE          judge a devmemrec trace instead of running a command\n"
"      --settle SEC          after COMMAND exits, wait at most SEC seconds for its\n"
"                            pages to come back (default %.0f)\n"
"      --quiet MS            ... and stop once none came back for MS ms and its\n"
"                            processes are gone (default %d)\n"
"      --timeout SEC         stop waiting for COMMAND after SEC seconds: stuck in a\n"
"                            pgmap teardown, the pages it waits for are the\n"
"                            verdict; else no verdict (default: no limit)\n"
"      --stall SEC           a teardown waiting this long is stalled (default %.0f)\n"
"      --error-exitcode N    exit status for leaks, 1..255 (default %d)\n"
"      --suppress FILE       leaks whose stack contains a line of FILE do not count\n"
"      --junit FILE          also write the verdict as JUnit XML\n"
"      --folded FILE         also write the leaked pages' stacks for flame graphs\n"
"      --raw-addresses       pgmaps by kernel address, not driver/device name\n"
"      --attach MODE         auto (default), tracepoint, fentry or kprobe\n"
"      --ringbuf BYTES       ring buffer size (power of 2, default 8 MiB)\n"
"  -h, --help\n"
"\n", DEFAULT_SETTLE_S, DEFAULT_QUIET_MS, TEARDOWN_DEFAULT_STALL_S, DEVMEM_EXIT_LEAKS);
	devmem_print_exit_codes(f, DEVMEM_TOOL_LEAK);
	fprintf(f,
"\n"
"Examples:\n"
"  devmemleak --junit leaks.xml -- ./gpu-tests --quick\n"
"  devmemleak --timeout 60 -- rmmod my_gpu_driver\n");
}

/* How the run went, for the report and the exit status. */
struct outcome {
	char name[300];		/* the JUnit testcase: "`cmd`", "recording FILE" */
	char what[600];		/* "`cmd` exited 0", "recording FILE" */
	char no_verdict[600];	/* why there is none; "" when there is one */
	char scope[256];
	char settle[256];
	int cmd_status;		/* the exit status a shell would give */
};

static void no_verdict(struct outcome *o, const char *fmt, const char *arg)
{
	if (!o->no_verdict[0])
		snprintf(o->no_verdict, sizeof(o->no_verdict), fmt, arg);
}

static uint64_t ms_since(uint64_t t0)
{
	uint64_t now = devmem_now_ns();

	return now > t0 ? (now - t0) / 1000000 : 0;
}

/* In-scope pages or references still out. */
static bool mine_outstanding(void)
{
	return L.out_mine || leak_extra_refs_mine(&L);
}

/*
 * Start COMMAND. Its exec is reported back through a close-on-exec pipe:
 * EOF means it ran, 4 bytes are the errno of a failed exec. Returns the
 * pid, or -1 with o->no_verdict saying why.
 */
static pid_t start_command(char **argv, struct outcome *o)
{
	int p[2], e = 0;
	ssize_t n;
	pid_t child;

	if (pipe2(p, O_CLOEXEC)) {
		no_verdict(o, "could not start the command: pipe: %s", strerror(errno));
		snprintf(o->what, sizeof(o->what), "`%s` could not start: %s", argv[0], strerror(errno));
		return -1;
	}
	child = fork();
	if (child == 0) {
		close(p[0]);
		execvp(argv[0], argv);
		e = errno;
		if (write(p[1], &e, sizeof(e)) != sizeof(e))
			fprintf(stderr, "devmemleak: %s: %s\n", argv[0], strerror(e));
		_exit(127);
	}
	if (child < 0) {
		e = errno;
		close(p[0]);
		close(p[1]);
		snprintf(o->what, sizeof(o->what), "`%s` could not start: fork: %s", argv[0], strerror(e));
		no_verdict(o, "%s", "the command could not start (fork failed)");
		return -1;
	}
	close(p[1]);
	do
		n = read(p[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == sizeof(e)) {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		snprintf(o->what, sizeof(o->what), "`%s` could not start: %s", argv[0], strerror(e));
		no_verdict(o, "%s", "the command could not start");
		return -1;
	}
	return child;
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

/*
 * Run the command under the tracer, then settle: stop at once when none of
 * its pages or references is out; else wait until its processes are all
 * gone and none of its pages came back for quiet_ms, at most settle_s.
 * Returns the total losses.
 */
/* A pgmap teardown that waits now, if any (the first). */
static const struct devmem_pgmap_row *waiting_teardown(void)
{
	for (size_t i = 0; i < L.st.nr_pgmaps; i++)
		if (L.st.pgmaps[i].waiting)
			return &L.st.pgmaps[i];
	return NULL;
}

static uint64_t run_live(char **argv, double settle_s, long quiet_ms, double timeout_s,
			 struct outcome *o)
{
	uint64_t drops[DEVMEM_DROP_MAX] = { 0 }, misses = 0, poll_errors = 0, exited = 0;
	uint64_t started = devmem_now_ns();
	bool timed_out = false;
	int status = 0;
	pid_t child;

	/* In a container our pid is not the one the records carry. */
	if (sess.tracks_tasks && devmem_in_init_pidns())
		leak_tracker_scope(&L, getpid());
	child = devmem_stop ? -1 : start_command(argv, o);
	if (child < 0 && devmem_stop)
		snprintf(o->what, sizeof(o->what), "`%s` not run: interrupted first", argv[0]);
	while (child > 0 && !devmem_stop) {
		if (devmem_session_poll(&sess, POLL_MS) < 0)
			poll_errors++;	/* records may be gone: no verdict */
		if (waitpid(child, &status, WNOHANG) == child) {
			exited = devmem_now_ns();
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
		if (devmem_session_poll(&sess, 0) < 0)
			poll_errors++;
		w = waiting_teardown();
		if (w) {
			pgmap_namer_update(&namer, &L.st);
			snprintf(o->what, sizeof(o->what), "`%s` still running after --timeout %g s, "
				 "pid %u stuck in the teardown of pgmap %s", argv[0], timeout_s,
				 w->wait_pid, devmem_pgmap_label(&L.st, w->pgmap, pgmap, sizeof(pgmap)));
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
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (child > 0)
		describe_status(o, argv[0], status);
	/*
	 * "Settled after" and --settle count from the command's exit as the
	 * records saw it (else its reaping); the quiet interval only from its
	 * reaping, since closing its files, after the exit record, may still
	 * hand work to a driver's workqueue.
	 */
	while (exited && !devmem_stop) {
		uint64_t waited, since, start = exited;

		if (devmem_session_poll(&sess, 0) < 0)
			poll_errors++;
		if (L.root_exit_ns && L.root_exit_ns < exited)
			start = L.root_exit_ns;
		waited = ms_since(start);
		since = ms_since(L.last_mine_ns > exited ? L.last_mine_ns : exited);
		if (!mine_outstanding()) {
			snprintf(o->settle, sizeof(o->settle), "settled after %.1f s: all pages back",
				 waited / 1e3);
			break;
		}
		if (!L.tree_alive && since >= (uint64_t)quiet_ms) {
			snprintf(o->settle, sizeof(o->settle), "settled after %.1f s: quiet for %.1f s",
				 waited / 1e3, since / 1e3);
			break;
		}
		if (waited >= settle_s * 1e3) {
			int n = snprintf(o->settle, sizeof(o->settle),
					 "settled after %.1f s: --settle limit %g s reached",
					 waited / 1e3, settle_s);

			if (L.tree_alive && n > 0 && (size_t)n < sizeof(o->settle))
				snprintf(o->settle + n, sizeof(o->settle) - n,
					 " (%llu of its processes still running)",
					 (unsigned long long)L.tree_alive);
			break;
		}
		if (devmem_session_poll(&sess, POLL_MS) < 0)
			poll_errors++;
	}
	if (devmem_stop)
		no_verdict(o, "%s", "interrupted");
	if (devmem_session_poll(&sess, 0) < 0)
		poll_errors++;
	devmem_read_drops(&sess, drops, &misses);
	no_stack = drops[DEVMEM_DROP_STACK];
	return devmem_lost(drops, misses, bad_records + L.st.oom + poll_errors);
}

/* Judge a recording; returns the losses, or UINT64_MAX after a message. */
static uint64_t read_recording(const char *input, struct outcome *o)
{
	char err[1024], buf[64], cmd[256];
	uint64_t lost;
	int rc;

	/* References need the attach mode, scope the recorder's pid: read META first. */
	rc = dmt_scan(input, &scan, err, sizeof(err));
	if (rc == DMT_READ_OK) {
		L.st.refs_on_free = dmt_meta_get(scan.meta, "attach_mode", buf, sizeof(buf)) &&
				    strcmp(buf, "tracepoint");
		if (dmt_meta_get(scan.meta, "command", cmd, sizeof(cmd)) && cmd[0] &&
		    dmt_meta_get(scan.meta, "recorder_pid", buf, sizeof(buf)) && atoi(buf) > 0)
			leak_tracker_scope(&L, atoi(buf));
		/* Pgmaps as the file describes them, in-band or at the end. */
		L.st.resolve = dmt_resolve_pgmap;
		L.st.resolve_ctx = scan.pgmap_addrs;
		rc = dmt_read(input, leak_tracker_ops(), &L.st, &info, err, sizeof(err));
		pgmap_names_apply(&L.st, scan.pgmap_names);	/* named where recorded */
	}
	snprintf(o->what, sizeof(o->what), "recording %s", input);
	if (rc != DMT_READ_OK) {
		fprintf(stderr, "devmemleak: %s: %s%s\n", input, err,
			rc == DMT_READ_TRUNCATED ? " (no verdict on a partial recording)" : "");
		no_verdict(o, "%s", rc == DMT_READ_TRUNCATED ? "the recording is cut short" :
			   rc == DMT_READ_IO ? "cannot read the recording" : "the recording is damaged");
		return UINT64_MAX;
	}
	if (devmem_lost_from_end(info.end, &lost, &no_stack)) {
		fprintf(stderr, "devmemleak: %s: the recording did not finish: no verdict\n", input);
		no_verdict(o, "%s", "the recording did not finish");
		return UINT64_MAX;
	}
	/* A command stopped before it started leaked nothing because it did nothing. */
	if (dmt_meta_get(info.end, "command_not_run", buf, sizeof(buf)) && atoi(buf))
		no_verdict(o, "%s", "the recorded command never ran (devmemrec was stopped first)");
	return lost + L.st.oom;
}

static void print_groups(const struct leak_group *g, size_t n, bool mine, uint64_t now)
{
	size_t j;

	for (j = 0; j < n; j++) {
		char stack[sizeof(g[j].stack)], *frame, *save = NULL, pgmap[3 * DEVMEM_NAME_LEN];

		if (g[j].mine != mine)
			continue;
		if (!mine) {	/* not judged: who holds what, no stacks */
			printf("    %llu page%s of pgmap %s handed to pid %u (%s)\n",
			       (unsigned long long)g[j].count, g[j].count == 1 ? "" : "s",
			       devmem_pgmap_label(&L.st, g[j].pgmap, pgmap, sizeof(pgmap)),
			       g[j].pid, g[j].comm);
			continue;
		}
		printf("\n%llu page%s of pgmap %s handed to pid %u (%s), oldest %.1f s ago%s, allocated at:\n",
		       (unsigned long long)g[j].count, g[j].count == 1 ? "" : "s",
		       devmem_pgmap_label(&L.st, g[j].pgmap, pgmap, sizeof(pgmap)), g[j].pid, g[j].comm,
		       now > g[j].oldest_ns ? (now - g[j].oldest_ns) / 1e9 : 0.0,
		       g[j].suppressed ? " [suppressed]" : "");
		memcpy(stack, g[j].stack, sizeof(stack));
		for (frame = strtok_r(stack, ";", &save); frame; frame = strtok_r(NULL, ";", &save))
			printf("    %s\n", frame);
	}
}

static int pid_gone(void *ctx, uint32_t pid)
{
	(void)ctx;
	return kill((pid_t)pid, 0) && errno == ESRCH;
}

/* What each teardown that waits (or waited with pages out) waits for. */
static void print_teardowns(const struct leak_group *g, size_t n, uint64_t now, double stall_s,
			    int (*exited)(void *ctx, uint32_t pid), bool live)
{
	for (size_t i = 0; i < L.st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &L.st.pgmaps[i];
		struct teardown_report t;
		char label[3 * DEVMEM_NAME_LEN];

		if (!teardown_wanted(r))
			continue;
		teardown_begin(&t, r, now, (uint64_t)(stall_s * 1e9), !L.st.refs_on_free);
		if (live)
			ktask_read_teardown(&t);
		if (r->wait_has_stack)
			(live ? stack_live : stack_recorded)(NULL, r->wait_stack_id, t.begin_stack,
							     sizeof(t.begin_stack));
		teardown_add_groups(&t, g, n, exited, NULL);
		teardown_finish(&t);
		putchar('\n');
		teardown_text(stdout, &t, devmem_pgmap_label(&L.st, r->pgmap, label, sizeof(label)));
		teardown_free(&t);
	}
}

static int write_junit(const char *path, const struct outcome *o, int verdict, int leak_status,
		       uint64_t leaked, uint64_t leaked_refs, uint64_t lost,
		       const struct leak_group *g, size_t n)
{
	bool failure = verdict == leak_status && !o->no_verdict[0] && (leaked || leaked_refs);
	bool error = o->no_verdict[0] != 0;
	FILE *f = fopen(path, "w");
	size_t j;

	if (!f)
		return -errno;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites><testsuite name=\"devmemleak\" tests=\"1\" failures=\"%d\" errors=\"%d\">\n"
		   "<testcase classname=\"devmemleak\" name=\"", failure, error);
	xml_escaped(f, o->name);
	fputs("\">", f);
	if (error) {
		fputs("<error message=\"no verdict: ", f);
		xml_escaped(f, o->no_verdict);
		fputs("\"></error>", f);
	} else if (failure) {
		fprintf(f, "<failure message=\"%llu leaked device pages, %llu leaked pgmap references, %llu events lost\">",
			(unsigned long long)leaked, (unsigned long long)leaked_refs,
			(unsigned long long)lost);
		for (j = 0; j < n; j++) {
			if (g[j].suppressed || !g[j].mine)
				continue;
			char pgmap[3 * DEVMEM_NAME_LEN];

			fprintf(f, "%llu pages of pgmap %s, pid %u (", (unsigned long long)g[j].count,
				devmem_pgmap_label(&L.st, g[j].pgmap, pgmap, sizeof(pgmap)), g[j].pid);
			xml_escaped(f, g[j].comm);
			fputs(")\n", f);
		}
		fputs("</failure>", f);
	}
	/* How the command ended is context, not the leak verdict: CI reads the exit status. */
	fputs("<system-out>", f);
	xml_escaped(f, o->what);
	if (o->settle[0]) {
		fputs("\n", f);
		xml_escaped(f, o->settle);
	}
	fputs("</system-out></testcase></testsuite></testsuites>\n", f);
	/* A flush that failed earlier leaves a cut file: that is no verdict. */
	if (ferror(f)) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "settle", required_argument, NULL, 'S' },
		{ "quiet", required_argument, NULL, 'Q' },
		{ "error-exitcode", required_argument, NULL, 'E' },
		{ "suppress", required_argument, NULL, 'P' },
		{ "junit", required_argument, NULL, 'J' },
		{ "folded", required_argument, NULL, 'F' },
		{ "raw-addresses", no_argument, NULL, 'X' },
		{ "version", no_argument, NULL, 'v' },
		{ "attach", required_argument, NULL, 'A' },
		{ "ringbuf", required_argument, NULL, 'R' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "stall", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct devmem_attach_opts ao = { .mode = DEVMEM_MODE_AUTO, .stacks = true, .records = true };
	const char *input = NULL, *junit = NULL, *suppress_path = NULL, *folded = NULL;
	char *suppress[MAX_SUPPRESS], err[1024];
	uint64_t lost = 0, now = 0, leaked = 0, suppressed = 0, leaked_refs, other_refs;
	struct leak_group *groups = NULL;
	size_t ngroups, nsup = 0, i, j;
	double settle = DEFAULT_SETTLE_S;
	long quiet = DEFAULT_QUIET_MS, leak_status = DEVMEM_EXIT_LEAKS;
	double timeout = 0, stall = TEARDOWN_DEFAULT_STALL_S;
	static struct outcome o;
	int c, rc, verdict;

	while ((c = getopt_long(argc, argv, "+i:h", longopts, NULL)) != -1) {
		char *end;

		errno = 0;
		switch (c) {
		case 'i': input = optarg; break;
		case 'S':
			settle = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(settle >= 0 && settle <= 86400))
				goto usage_error;
			break;
		case 'Q':
			quiet = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || quiet < 0 || quiet > 3600000)
				goto usage_error;
			break;
		case 'E':
			leak_status = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || leak_status < 1 || leak_status > 255)
				goto usage_error;
			break;
		case 'T':
			timeout = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(timeout > 0 && timeout <= 86400 * 30))
				goto usage_error;
			break;
		case 'L':
			stall = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(stall >= 0 && stall <= 86400 * 30))
				goto usage_error;
			break;
		case 'P': suppress_path = optarg; break;
		case 'R':
			ao.ringbuf_bytes = strtoul(optarg, &end, 0);
			if (errno || *end || ao.ringbuf_bytes < 4096)
				goto usage_error;
			break;
		case 'J': junit = optarg; break;
		case 'F': folded = optarg; break;
		case 'X': devmem_raw_addresses = true; break;
		case 'v': devmem_print_version(stdout, "devmemleak"); return DEVMEM_EXIT_OK;
		case 'A':
			if (devmem_mode_parse(optarg, &ao.mode))
				goto usage_error;
			break;
		case 'h': usage(stdout); return DEVMEM_EXIT_OK;
		default: usage(stderr); return DEVMEM_EXIT_USAGE;
		}
	}
	if (!input == (optind >= argc)) {
		fprintf(stderr, "devmemleak: give exactly one of -i FILE and -- COMMAND\n");
		usage(stderr);
		return DEVMEM_EXIT_USAGE;
	}
	if (suppress_path) {
		FILE *f = fopen(suppress_path, "r");
		char line[512];

		if (!f) {
			fprintf(stderr, "devmemleak: %s: %s\n", suppress_path, strerror(errno));
			return DEVMEM_EXIT_USAGE;
		}
		while (nsup < MAX_SUPPRESS && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = 0;
			if (line[0] && line[0] != '#')
				suppress[nsup++] = strdup(line);
		}
		fclose(f);
	}

	snprintf(o.name, sizeof(o.name), input ? "recording %s" : "`%s`", input ? input : argv[optind]);
	if (input) {
		lost = read_recording(input, &o);
		if (lost == UINT64_MAX)
			goto done_early;
		now = 0;
		if (dmt_meta_get(info.end, "end_ns", err, sizeof(err)))
			now = strtoull(err, NULL, 10);
	} else {
		devmem_catch_signals();	/* a stop while loading: "interrupted", no verdict */
		rc = devmem_attach(&sess, &ao, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "devmemleak: %s\n", err);
			snprintf(o.what, sizeof(o.what), "`%s` not run", argv[optind]);
			no_verdict(&o, "cannot trace this kernel (%s)", rc == DEVMEM_EXIT_PERM ?
				   "not allowed to load BPF programs" : rc == DEVMEM_EXIT_NO_BTF ?
				   "no BTF" : "nothing to attach to");
			goto done_early;
		}
		L.st.refs_on_free = sess.mode != DEVMEM_MODE_TRACEPOINT;
		L.st.resolve = devmem_resolve_pgmap;	/* range, type, ops from the BPF side */
		L.st.resolve_ctx = &sess;
		if (devmem_session_records(&sess, on_record, &L.st, err, sizeof(err))) {
			fprintf(stderr, "devmemleak: %s\n", err);
			devmem_detach(&sess);
			snprintf(o.what, sizeof(o.what), "`%s` not run", argv[optind]);
			no_verdict(&o, "%s", "cannot read the ring buffer");
			goto done_early;
		}
		lost = run_live(argv + optind, settle, quiet, timeout, &o);
		now = devmem_now_ns();
		ksyms_load(&ksyms);
		pgmap_namer_update(&namer, &L.st);	/* driver and device, as devmemtop */
	}

	/* A tree never seen (another pid namespace?): judge every process. */
	if (L.scoped && !L.tree_seen && !o.no_verdict[0]) {
		leak_tracker_unscope(&L);
		snprintf(o.scope, sizeof(o.scope), "every process (the command's processes were never "
			 "seen forking: another pid namespace?)");
	} else if (L.scoped) {
		snprintf(o.scope, sizeof(o.scope), "the command and its descendants (%llu process%s)",
			 (unsigned long long)L.tree_seen, L.tree_seen == 1 ? "" : "es");
	} else {
		snprintf(o.scope, sizeof(o.scope), "every process (%s)",
			 input ? "the recording was not made with devmemrec -- COMMAND" :
			 !devmem_in_init_pidns() ? "devmemleak runs in a pid namespace: its children's pids are "
			 "not the kernel's" : "this kernel reports no forks to BPF");
	}
	ngroups = leak_groups(&L, input ? stack_recorded : stack_live, NULL, suppress, nsup, &groups);
	for (j = 0; j < ngroups; j++)
		if (groups[j].mine)
			*(groups[j].suppressed ? &suppressed : &leaked) += groups[j].count;
	leaked_refs = leak_extra_refs_mine(&L);
	other_refs = leak_extra_refs(&L) - leaked_refs;
	if (lost) {
		char n[32];

		snprintf(n, sizeof(n), "%llu", (unsigned long long)lost);
		no_verdict(&o, "%s events were lost, so some frees may be missing", n);
	}

	printf("devmemleak: %s: %llu leaked device pages, %llu leaked pgmap references, "
	       "%llu suppressed, %llu events lost\n", o.what, (unsigned long long)leaked,
	       (unsigned long long)leaked_refs, (unsigned long long)suppressed,
	       (unsigned long long)lost);
	printf("judged: %s\n", o.scope);
	if (o.settle[0])
		printf("%s\n", o.settle);
	if (L.out_other || other_refs) {
		printf("other processes: %llu pages still out, %llu pgmap references, not judged\n",
		       (unsigned long long)L.out_other, (unsigned long long)other_refs);
		print_groups(groups, ngroups, false, now);
	}
	if (no_stack)
		printf("%llu page inits without a stack (stack map full): shown as (no stack), not lost\n",
		       (unsigned long long)no_stack);
	print_groups(groups, ngroups, true, now);
	print_teardowns(groups, ngroups, now, stall, input ? NULL : pid_gone, !input);
	/* The pages the verdict counts, by stack (docs/folded.md). */
	if (folded && folded_write_pages(folded, FOLDED_LEAKED, &L, &(struct folded_opts){
			input ? stack_recorded : stack_live, NULL, &L.st, suppress, nsup })) {
		fprintf(stderr, "devmemleak: %s: %s\n", folded, strerror(errno));
		no_verdict(&o, "cannot write the folded stacks to %s", folded);
	}
	goto verdict;

done_early:
	printf("devmemleak: %s\n", o.what);
	leaked = leaked_refs = 0;
	ngroups = 0;
verdict:
	if (o.no_verdict[0])
		verdict = DEVMEM_EXIT_NO_VERDICT;
	else if (leaked || leaked_refs)
		verdict = leak_status;
	else
		verdict = input ? DEVMEM_EXIT_OK : o.cmd_status;
	if (junit) {
		int e = write_junit(junit, &o, verdict, leak_status, leaked, leaked_refs, lost,
				    groups, ngroups);

		if (e) {
			fprintf(stderr, "devmemleak: %s: %s\n", junit, strerror(-e));
			no_verdict(&o, "cannot write the JUnit file %s", junit);
			verdict = DEVMEM_EXIT_NO_VERDICT;
		}
	}
	if (o.no_verdict[0])
		printf("\nno verdict: %s: exit %d\n", o.no_verdict, verdict);
	else if (leaked || leaked_refs)
		printf("\nleaks: %llu device pages, %llu pgmap references: exit %d\n",
		       (unsigned long long)leaked, (unsigned long long)leaked_refs, verdict);
	else if (input)
		printf("\nclean: exit 0\n");
	else
		printf("\nclean: exit %d, the command's status\n", verdict);
	if (!input && sess.skel)
		devmem_detach(&sess);
	ksyms_free(&ksyms);
	dmt_info_free(&info);
	dmt_info_free(&scan);
	pgmap_namer_free(&namer);
	leak_tracker_free(&L);
	free(groups);
	for (i = 0; i < nsup; i++)
		free(suppress[i]);
	return verdict;
usage_error:
	fprintf(stderr, "devmemleak: bad argument '%s'\n", optarg);
	usage(stderr);
	return DEVMEM_EXIT_USAGE;
}
