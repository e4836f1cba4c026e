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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmemleak.h"
#include "exit_codes.h"
#include "options.h"
#include "output.h"
#include "pgmap_host.h"
#include "teardown.h"
#include "version.h"

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

/* A duration option's value; -1 (said why) when it is not one. */
static int leak_seconds(enum devmem_opt id, const char *s, double min, double max, double *out)
{
	if (!devmem_parse_seconds(s, min, max, out))
		return 0;
	devmem_usage_error(DEVMEM_TOOL_LEAK, "--%s %s: not a duration from %g to %g s",
			   devmem_option_of(DEVMEM_TOOL_LEAK, id)->name, s, min, max);
	return -1;
}

static int cmd_leak(int argc, char **argv)
{
	static struct leak_env env = {
		.attach = { .mode = DEVMEM_MODE_AUTO, .stacks = true, .records = true },
		.leak_status = DEVMEM_EXIT_LEAKS, .stall = TEARDOWN_DEFAULT_STALL_S,
	};
	static struct leak lk = { .namer.src = &pgmap_host_source };
	const char *suppress_path = NULL;
	struct devmem_getopt g;
	double v;
	int c;

	env.settle = devmem_option_default(DEVMEM_TOOL_LEAK, DEVMEM_OPT_SETTLE);
	env.quiet = devmem_option_default(DEVMEM_TOOL_LEAK, DEVMEM_OPT_QUIET);
	devmem_getopt_init(&g, DEVMEM_TOOL_LEAK, true);
	while ((c = devmem_getopt(&g, argc, argv)) != -1) {
		switch (c) {
		case DEVMEM_OPT_INPUT: env.input = optarg; break;
		case DEVMEM_OPT_SETTLE:
			if (leak_seconds(c, optarg, 0, 86400, &env.settle))
				return DEVMEM_EXIT_USAGE;
			break;
		case DEVMEM_OPT_QUIET:
			if (leak_seconds(c, optarg, 0, 3600, &env.quiet))
				return DEVMEM_EXIT_USAGE;
			break;
		case DEVMEM_OPT_TIMEOUT:
			if (leak_seconds(c, optarg, 0.001, 86400 * 30, &env.timeout))
				return DEVMEM_EXIT_USAGE;
			break;
		case DEVMEM_OPT_STALL:
			if (leak_seconds(c, optarg, 0, 86400 * 30, &env.stall))
				return DEVMEM_EXIT_USAGE;
			break;
		case DEVMEM_OPT_ERROR_EXITCODE:
			if (devmem_parse_count(optarg, 1, 255, &v))
				return devmem_usage_error(DEVMEM_TOOL_LEAK, "--error-exitcode %s: not "
							  "a status from 1 to 255", optarg);
			env.leak_status = (long)v;
			break;
		case DEVMEM_OPT_SUPPRESS: suppress_path = optarg; break;
		case DEVMEM_OPT_RINGBUF:
			if (devmem_parse_bytes(optarg, 4096, 1u << 31, &v))
				return devmem_usage_error(DEVMEM_TOOL_LEAK, "--ringbuf %s: not a size "
							  "from 4K to 2G", optarg);
			env.attach.ringbuf_bytes = (uint32_t)v;
			break;
		case DEVMEM_OPT_JUNIT: env.junit = optarg; break;
		case DEVMEM_OPT_LOG_FILE: env.log_file = optarg; break;
		case DEVMEM_OPT_JSON: env.json = true; break;
		case DEVMEM_OPT_FOLDED: env.folded = optarg; break;
		case DEVMEM_OPT_RAW_ADDRESSES: devmem_raw_addresses = true; break;
		case DEVMEM_OPT_ATTACH:
			if (devmem_mode_parse(optarg, &env.attach.mode))
				return devmem_usage_error(DEVMEM_TOOL_LEAK, "--attach %s: not auto, "
							  "tracepoint, fentry or kprobe", optarg);
			break;
		case DEVMEM_OPT_VERBOSE: devmem_verbose++; break;
		case DEVMEM_OPT_VERSION: devmem_print_version(stdout, "devmemleak"); return DEVMEM_EXIT_OK;
		case DEVMEM_OPT_HELP: devmem_usage(stdout, DEVMEM_TOOL_LEAK); return DEVMEM_EXIT_OK;
		default: return devmem_usage_hint(DEVMEM_TOOL_LEAK);
		}
	}
	if (!env.input == (optind >= argc))
		return devmem_usage_error(DEVMEM_TOOL_LEAK, "give exactly one of -i FILE and "
					  "-- COMMAND");
	if (suppress_path && read_suppressions(&env, suppress_path))
		return DEVMEM_EXIT_USAGE;
	env.command = env.input ? NULL : argv + optind;
	return __cmd_leak(&lk, &env);
}

int main(int argc, char **argv)
{
	return cmd_leak(argc, argv);
}
