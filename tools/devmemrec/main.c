// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemrec: record what device memory does to a trace file, for
 * devmemreport to analyse later, here or on another machine. This file
 * reads the command line (cmd_record()) and runs the recording
 * (__cmd_record()); record.c writes the file.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "devmemrec.h"
#include "exit_codes.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: devmemrec -o FILE [options] [-- COMMAND [ARGS...]]\n"
"\n"
"Record device memory events to FILE (created 0600: it holds kernel\n"
"addresses) until interrupted, for -d seconds, or while COMMAND runs.\n"
"FILE must be new or a regular file (truncated); a symlink, a device or\n"
"a file with other hard links is refused (exit 2). If a write fails (disk\n"
"full), the file is cut back to its last whole chunk, recording stops\n"
"and devmemrec exits 9; COMMAND runs on, unrecorded. A FILE that cannot\n"
"be created exits 9 too, before anything is loaded.\n"
"\n"
"  -o, --output FILE     the trace file (docs/trace-format.md)\n"
"  -d, --duration SEC    stop after SEC seconds\n"
"  -p, --pid PID         only events caused by PID\n"
"      --pgmap ID        only events naming this pgmap: its name\n"
"                        (test_hmm/hmm_dmirror#0), physical start or address\n"
"      --attach MODE     auto (default), tracepoint, fentry or kprobe\n"
"      --ringbuf BYTES   ring buffer size (power of 2, default 8 MiB)\n"
"      --no-stacks       no allocation stacks (one per call site otherwise)\n"
"  -v, --version\n"
"  -h, --help\n"
"\n"
"Examples:\n"
"  devmemrec -o run.dmt -- ./gpu-job --size 4G\n"
"  devmemrec -o idle.dmt -d 60\n"
"  devmemrec -o gpu0.dmt --pgmap test_hmm/hmm_dmirror#0 -- ./gpu-job\n"
"\n");
	devmem_print_exit_codes(f, DEVMEM_TOOL_REC);
}

/*
 * "open" refusals are usage errors: nothing was run, the argument is
 * wrong. A file the system would not let us create or open, or whose
 * header could not be written, is a write failure.
 */
static int open_exit(int e)
{
	return e == DMT_OPEN_REFUSED ? DEVMEM_EXIT_USAGE : DEVMEM_EXIT_WRITE;
}

/*
 * A new FILE needs a directory it can be created in: known before the
 * programs load (seconds), not after. 0, or DMT_OPEN_ERROR with err set.
 */
static int check_new_output(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	if (!lstat(path, &st) || errno != ENOENT)
		return 0;	/* there, or another error: the open says */
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + (slash == path) : 1,
		 slash ? path : ".");
	if (!access(dir, W_OK | X_OK))
		return 0;
	snprintf(err, errlen, "%s: cannot create it: %s", path, strerror(errno));
	return DMT_OPEN_ERROR;
}

static int __cmd_record(const struct rec_env *env)
{
	struct rec r = { 0 };
	struct devmem_session s;
	char err[1024];
	int rc;

	if (env->pgmap)
		pgmap_filter_parse(&r.pgmap, env->pgmap);	/* checked by cmd_record() */
	/* Refuse a wrong -o before loading anything; the open checks again. */
	rc = dmt_check_output(env->output, err, sizeof(err));
	if (!rc)
		rc = check_new_output(env->output, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devmemrec: %s\n", err);
		return open_exit(rc);
	}
	/* A file size limit must give EFBIG, cut back and reported, not kill us. */
	signal(SIGXFSZ, SIG_IGN);
	/*
	 * From here a SIGINT or SIGTERM ends the recording cleanly, even one
	 * sent while the programs load (seconds, on a big kernel): the file
	 * still gets its END chunk.
	 */
	devmem_catch_signals();
	rc = devmem_attach(&s, &env->attach, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devmemrec: %s\n", err);
		return rc;
	}
	rc = dmt_writer_open(&r.w, env->output, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devmemrec: %s\n", err);
		devmem_detach(&s);
		return open_exit(rc);
	}
	r.sess = &s;
	rec_begin(&r, env);
	if (!r.w.error && devmem_session_records(&s, rec_on_record, &r, err, sizeof(err))) {
		fprintf(stderr, "devmemrec: %s\n", err);
		dmt_writer_close(&r.w);
		devmem_detach(&s);
		return DEVMEM_EXIT_ERROR;
	}
	rec_start_command(&r, env->command);
	if (!r.w.error && !devmem_stop)
		fprintf(stderr, "devmemrec: recording to %s in %s mode\n", env->output,
			devmem_mode_name(s.mode));
	rec_loop(&r, &s, env);
	if (!r.w.error)
		rec_end(&r, &s, env);
	/* Whatever happened, nothing stays attached; the last records are counted. */
	devmem_detach(&s);
	u64map_free(&r.stack_ids);
	u64map_free(&r.described);
	pgmap_filter_free(&r.pgmap);
	if (dmt_writer_close(&r.w))
		return rec_write_failed(&r, env->output);
	if (r.drops_unknown)
		fprintf(stderr, "devmemrec: %llu events to %s, losses unknown (the drop counters "
			"could not be read)\n", (unsigned long long)r.kept, env->output);
	else
		fprintf(stderr, "devmemrec: %llu events to %s, %llu lost\n",
			(unsigned long long)r.kept, env->output, (unsigned long long)r.dropped);
	rc = DEVMEM_EXIT_OK;
	if (env->command)
		rc = WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 128 + WTERMSIG(r.status);
	return rc;
}

static int cmd_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "pgmap", required_argument, NULL, 'G' },
		{ "attach", required_argument, NULL, 'A' },
		{ "ringbuf", required_argument, NULL, 'R' },
		{ "no-stacks", no_argument, NULL, 'S' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct rec_env env = {
		.attach = { .mode = DEVMEM_MODE_AUTO, .stacks = true, .records = true },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+o:d:p:h", longopts, NULL)) != -1) {
		char *end;

		errno = 0;
		switch (c) {
		case 'o': env.output = optarg; break;
		case 'd':
			env.duration = strtod(optarg, &end);
			if (errno || *end || env.duration <= 0)
				goto bad;
			break;
		case 'p':
			env.attach.filter_pid = strtoul(optarg, &end, 10);
			if (errno || *end || !env.attach.filter_pid)
				goto bad;
			break;
		case 'G': {
			struct pgmap_filter f;

			if (pgmap_filter_parse(&f, optarg))
				goto bad;
			env.pgmap = optarg;
			break;
		}
		case 'A':
			if (devmem_mode_parse(optarg, &env.attach.mode))
				goto bad;
			break;
		case 'R':
			env.attach.ringbuf_bytes = strtoul(optarg, &end, 0);
			if (errno || *end || env.attach.ringbuf_bytes < 4096)
				goto bad;
			break;
		case 'S': env.attach.stacks = false; break;
		case 'v': devmem_print_version(stdout, "devmemrec"); return DEVMEM_EXIT_OK;
		case 'h': usage(stdout); return DEVMEM_EXIT_OK;
		default: usage(stderr); return DEVMEM_EXIT_USAGE;
		}
	}
	if (!env.output) {
		fprintf(stderr, "devmemrec: -o FILE is required\n");
		usage(stderr);
		return DEVMEM_EXIT_USAGE;
	}
	env.command = optind < argc ? argv + optind : NULL;
	return __cmd_record(&env);
bad:
	fprintf(stderr, "devmemrec: bad argument '%s'\n", optarg);
	usage(stderr);
	return DEVMEM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	return cmd_record(argc, argv);
}
