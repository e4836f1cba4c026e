// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemleak: run a command (or read a devmemrec trace) and report every
 * device page handed out and never freed, and every pgmap reference taken
 * and never put, grouped by allocation stack. A CI gate with valgrind's
 * contract (docs/devmemleak.md, docs/exit-codes.md): with a verdict and no
 * leak it exits with the command's own status; leaks give 23 (or
 * --error-exitcode); no verdict gives 24 and says why. Only the command
 * and its descendants are judged; other processes are shown apart.
 *
 * This file reads the command line (cmd_leak()) and runs the steps
 * (__cmd_leak()): run.c or recording.c, then verdict.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmemleak.h"
#include "exit_codes.h"
#include "output.h"
#include "pgmap_host.h"
#include "teardown.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: devmemleak [options] -- COMMAND [ARGS...]\n"
"       devmemleak [options] -i FILE\n"
"\n"
"Report every device page handed out and never freed, and every pgmap\n"
"reference taken and never put, by COMMAND and its descendants (or in a\n"
"devmemrec trace), grouped by allocation stack with pid, comm, count and age.\n"
"Pages other processes hold are shown apart and never fail the run. The\n"
"report goes to stderr (or --log-file): stdout is COMMAND's alone.\n"
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
"      --log-file FILE       the report goes to FILE (created 0600), not stderr\n"
"      --json                the report as one JSON document (docs/devmemleak.md)\n"
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
"  devmemleak --json --log-file leaks.json -- ./gpu-tests > results.json\n"
"  devmemleak --timeout 60 -- rmmod my_gpu_driver\n");
}

static const struct option leak_options[] = {
	{ "input", required_argument, NULL, 'i' },
	{ "settle", required_argument, NULL, 'S' },
	{ "quiet", required_argument, NULL, 'Q' },
	{ "error-exitcode", required_argument, NULL, 'E' },
	{ "suppress", required_argument, NULL, 'P' },
	{ "junit", required_argument, NULL, 'J' },
	{ "log-file", required_argument, NULL, 'O' },
	{ "json", no_argument, NULL, 'j' },
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
/*
 * The report's file, opened before anything runs: a gate that cannot say
 * its verdict runs nothing. 0, or -1 after saying why.
 */
static int open_log(struct leak *lk, const char *path)
{
	lk->out = stderr;
	if (!path)
		return 0;
	lk->out = devmem_report_open(path);
	if (lk->out)
		return 0;
	fprintf(stderr, "devmemleak: %s: cannot write the report: %s; nothing run, no verdict: "
		"exit %d\n", path, strerror(errno), DEVMEM_EXIT_NO_VERDICT);
	return -1;
}

static int __cmd_leak(struct leak *lk, const struct leak_env *env)
{
	const char *input = env->input;
	int verdict;
	size_t i;

	snprintf(lk->o.name, sizeof(lk->o.name), input ? "recording %s" : "`%s`",
		 input ? input : env->command[0]);
	if (open_log(lk, env->log_file))
		verdict = DEVMEM_EXIT_NO_VERDICT;
	else if (input ? leak_read(lk, env) : leak_run(lk, env))
		verdict = leak_verdict(lk, env);	/* nothing to judge: says why */
	else {
		leak_judge(lk, env);
		verdict = leak_verdict(lk, env);
	}
	/* A report cut short is no report: no verdict, said where it can be. */
	if (lk->out && lk->out != stderr && devmem_report_close(lk->out)) {
		fprintf(stderr, "devmemleak: %s: cannot write the report: %s; no verdict: exit %d\n",
			env->log_file, strerror(errno), DEVMEM_EXIT_NO_VERDICT);
		verdict = DEVMEM_EXIT_NO_VERDICT;
	}
	if (!input && lk->sess.skel)
		devmem_detach(&lk->sess);
	ksyms_free(&lk->ksyms);
	dmt_info_free(&lk->info);
	dmt_info_free(&lk->scan);
	pgmap_namer_free(&lk->namer);
	leak_tracker_free(&lk->lt);
	free(lk->groups);
	for (i = 0; i < env->nsup; i++)
		free(env->suppress[i]);
	free(env->suppress);
	return verdict;
}

/*
 * --suppress FILE: a leak whose stack holds one of its lines does not
 * count. Every line, however many and however long.
 */
static int read_suppressions(struct leak_env *env, const char *path)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0, len = 0;
	char *line = NULL;
	int rc = 0;

	if (!f) {
		fprintf(stderr, "devmemleak: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &len, f) >= 0) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (env->nsup == cap) {
			char **p = realloc(env->suppress, (cap = cap ? cap * 2 : 64) * sizeof(*p));

			if (!p)
				break;
			env->suppress = p;
		}
		if (!(env->suppress[env->nsup] = strdup(line)))
			break;
		env->nsup++;
	}
	if (ferror(f) || !feof(f)) {	/* a line not kept is a leak not suppressed */
		fprintf(stderr, "devmemleak: %s: %s\n", path, ferror(f) ? strerror(errno) :
			"out of memory");
		rc = -1;
	}
	free(line);
	fclose(f);
	return rc;
}

static int cmd_leak(int argc, char **argv)
{
	static struct leak_env env = {
		.attach = { .mode = DEVMEM_MODE_AUTO, .stacks = true, .records = true },
		.settle = DEFAULT_SETTLE_S, .quiet = DEFAULT_QUIET_MS,
		.leak_status = DEVMEM_EXIT_LEAKS, .stall = TEARDOWN_DEFAULT_STALL_S,
	};
	static struct leak lk = { .namer.src = &pgmap_host_source };
	const char *suppress_path = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+i:h", leak_options, NULL)) != -1) {
		char *end;

		errno = 0;
		switch (c) {
		case 'i': env.input = optarg; break;
		case 'S':
			env.settle = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(env.settle >= 0 && env.settle <= 86400))
				goto usage_error;
			break;
		case 'Q':
			env.quiet = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || env.quiet < 0 || env.quiet > 3600000)
				goto usage_error;
			break;
		case 'E':
			env.leak_status = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || env.leak_status < 1 || env.leak_status > 255)
				goto usage_error;
			break;
		case 'T':
			env.timeout = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(env.timeout > 0 && env.timeout <= 86400 * 30))
				goto usage_error;
			break;
		case 'L':
			env.stall = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(env.stall >= 0 && env.stall <= 86400 * 30))
				goto usage_error;
			break;
		case 'P': suppress_path = optarg; break;
		case 'R':
			env.attach.ringbuf_bytes = strtoul(optarg, &end, 0);
			if (errno || *end || env.attach.ringbuf_bytes < 4096)
				goto usage_error;
			break;
		case 'J': env.junit = optarg; break;
		case 'O': env.log_file = optarg; break;
		case 'j': env.json = true; break;
		case 'F': env.folded = optarg; break;
		case 'X': devmem_raw_addresses = true; break;
		case 'v': devmem_print_version(stdout, "devmemleak"); return DEVMEM_EXIT_OK;
		case 'A':
			if (devmem_mode_parse(optarg, &env.attach.mode))
				goto usage_error;
			break;
		case 'h': usage(stdout); return DEVMEM_EXIT_OK;
		default: usage(stderr); return DEVMEM_EXIT_USAGE;
		}
	}
	if (!env.input == (optind >= argc)) {
		fprintf(stderr, "devmemleak: give exactly one of -i FILE and -- COMMAND\n");
		usage(stderr);
		return DEVMEM_EXIT_USAGE;
	}
	if (suppress_path && read_suppressions(&env, suppress_path))
		return DEVMEM_EXIT_USAGE;
	env.command = env.input ? NULL : argv + optind;
	return __cmd_leak(&lk, &env);
usage_error:
	fprintf(stderr, "devmemleak: bad argument '%s'\n", optarg);
	usage(stderr);
	return DEVMEM_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	return cmd_leak(argc, argv);
}
