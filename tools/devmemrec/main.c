// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemrec: record what device memory does to a trace file, for
 * devmemreport to analyse later, here or on another machine. This file
 * reads the command line (cmd_record()) and runs the recording
 * (__cmd_record()); record.c writes the file.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "devmemrec.h"
#include "exit_codes.h"
#include "options.h"
#include "version.h"

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
	struct rec_env env = {
		.attach = { .mode = DEVMEM_MODE_AUTO, .stacks = true, .records = true },
	};
	struct devmem_getopt g;
	double v;
	int c;

	devmem_getopt_init(&g, DEVMEM_TOOL_REC, true);
	while ((c = devmem_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case DEVMEM_OPT_OUTPUT: env.output = optarg; break;
		case DEVMEM_OPT_DURATION:
			if (devmem_parse_seconds(optarg, 0.001, 86400.0 * 365, &env.duration))
				return devmem_usage_error(DEVMEM_TOOL_REC, "--duration %s: not a "
							  "duration of 1ms or more", optarg);
			break;
		case DEVMEM_OPT_PID:
			if (devmem_parse_count(optarg, 1, 4194304, &v))
				return devmem_usage_error(DEVMEM_TOOL_REC, "--pid %s: not a pid", optarg);
			env.attach.filter_pid = (uint32_t)v;
			break;
		case DEVMEM_OPT_PGMAP: {
			struct pgmap_filter f;

			if (pgmap_filter_parse(&f, optarg))
				return devmem_usage_error(DEVMEM_TOOL_REC, "--pgmap %s: not a pgmap "
							  "name, physical start or address", optarg);
			env.pgmap = optarg;
			break;
		}
		case DEVMEM_OPT_ATTACH:
			if (devmem_mode_parse(optarg, &env.attach.mode))
				return devmem_usage_error(DEVMEM_TOOL_REC, "--attach %s: not auto, "
							  "tracepoint, fentry or kprobe", optarg);
			break;
		case DEVMEM_OPT_RINGBUF:
			if (devmem_parse_bytes(optarg, 4096, 1u << 31, &v))
				return devmem_usage_error(DEVMEM_TOOL_REC, "--ringbuf %s: not a size "
							  "from 4K to 2G", optarg);
			env.attach.ringbuf_bytes = (uint32_t)v;
			break;
		case DEVMEM_OPT_NO_STACKS: env.attach.stacks = false; break;
		case DEVMEM_OPT_VERBOSE: devmem_verbose++; break;
		case DEVMEM_OPT_VERSION: devmem_print_version(stdout, "devmemrec"); return DEVMEM_EXIT_OK;
		case DEVMEM_OPT_HELP: devmem_usage(stdout, DEVMEM_TOOL_REC); return DEVMEM_EXIT_OK;
		default: return devmem_usage_hint(DEVMEM_TOOL_REC);
		}
	}
	if (!env.output)
		return devmem_usage_error(DEVMEM_TOOL_REC, "-o FILE is required");
	env.command = optind < argc ? argv + optind : NULL;
	return __cmd_record(&env);
}

int main(int argc, char **argv)
{
	return cmd_record(argc, argv);
}
