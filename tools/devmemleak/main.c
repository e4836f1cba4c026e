// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemleak: run a command (or read a devmemrec trace) and report every
 * device page handed out and never freed, and every pgmap reference taken
 * and never put, grouped by allocation stack. A CI gate: exit 0 clean,
 * 1 leaks, 2 the tool could not give a verdict.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "version.h"
#include "folded.h"
#include "ksyms.h"
#include "leaks.h"
#include "replay.h"
#include "stacks.h"
#include "state.h"
#include "tracefile.h"

#define EXIT_CLEAN 0
#define EXIT_LEAKS 1
#define EXIT_TOOL 2
#define MAX_SUPPRESS 64

static struct leak_tracker L;
static uint64_t bad_records;

static int on_record(void *ctx, void *data, size_t size)
{
	if (devmem_replay_record(data, size, leak_tracker_ops(), ctx))
		bad_records++;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct devmem_session sess;
static struct ksyms ksyms;
static struct dmt_info info;

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

static void xml_escaped(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if ((unsigned char)*s >= 0x20 || *s == '\n')
				fputc(*s, f);
		}
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: devmemleak [options] -- COMMAND [ARGS...]\n"
"       devmemleak [options] -i FILE\n"
"\n"
"Report every device page handed out and never freed, and every pgmap\n"
"reference taken and never put, while COMMAND ran (or in a devmemrec trace),\n"
"grouped by allocation stack with pid, comm, count and age.\n"
"\n"
"  -i, --input FILE      judge a devmemrec trace instead of running a command\n"
"      --settle SEC      after COMMAND exits, keep watching SEC seconds (default 1)\n"
"      --suppress FILE   leaks whose stack contains a line of FILE do not count\n"
"      --junit FILE      also write the verdict as JUnit XML\n"
"      --folded FILE     also write the leaked pages' stacks for flame graphs\n"
"      --attach MODE     auto (default), tracepoint, fentry or kprobe\n"
"      --ringbuf BYTES   ring buffer size (power of 2, default 8 MiB)\n"
"  -v, --version\n"
"  -h, --help\n"
"\n"
"Exit status: 0 no leaks, 1 leaks, 2 no verdict (usage, cannot attach, lost\n"
"events, unreadable trace).\n"
"\n"
"Example:\n"
"  devmemleak --junit leaks.xml -- ./gpu-tests --quick\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "settle", required_argument, NULL, 'S' },
		{ "suppress", required_argument, NULL, 'P' },
		{ "junit", required_argument, NULL, 'J' },
		{ "folded", required_argument, NULL, 'F' },
		{ "attach", required_argument, NULL, 'A' },
		{ "ringbuf", required_argument, NULL, 'R' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct devmem_attach_opts o = { .mode = DEVMEM_MODE_AUTO, .stacks = true, .records = true };
	const char *input = NULL, *junit = NULL, *suppress_path = NULL, *folded = NULL;
	char *suppress[MAX_SUPPRESS], err[1024], what[512] = "", buf[64];
	uint64_t drops[DEVMEM_DROP_MAX] = { 0 }, misses = 0, lost = 0, now = 0;
	uint64_t leaked = 0, suppressed = 0, leaked_refs;
	struct leak_group *groups = NULL;
	size_t ngroups, nsup = 0, i, j;
	double settle = 1;
	int c, rc, status = 0, verdict;

	while ((c = getopt_long(argc, argv, "+i:h", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'i': input = optarg; break;
		case 'S':
			errno = 0;
			settle = strtod(optarg, &end);
			if (errno || *end || settle < 0)
				goto usage_error;
			break;
		case 'P': suppress_path = optarg; break;
		case 'R':
			errno = 0;
			o.ringbuf_bytes = strtoul(optarg, &end, 0);
			if (errno || *end || o.ringbuf_bytes < 4096)
				goto usage_error;
			break;
		case 'J': junit = optarg; break;
		case 'F': folded = optarg; break;
		case 'A':
			if (devmem_mode_parse(optarg, &o.mode))
				goto usage_error;
			break;
		case 'v': devmem_print_version(stdout, "devmemleak"); return 0;
		case 'h': usage(stdout); return EXIT_CLEAN;
		default: goto usage_error;
		}
	}
	if (!input == (optind >= argc))
		goto usage_error;	/* exactly one of -i FILE and COMMAND */
	if (suppress_path) {
		FILE *f = fopen(suppress_path, "r");
		char line[512];

		if (!f) {
			fprintf(stderr, "devmemleak: %s: %s\n", suppress_path, strerror(errno));
			return EXIT_TOOL;
		}
		while (nsup < MAX_SUPPRESS && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\r\n")] = 0;
			if (line[0] && line[0] != '#')
				suppress[nsup++] = strdup(line);
		}
		fclose(f);
	}

	if (input) {
		/* References need the attach mode: read it first, then judge. */
		rc = dmt_scan(input, &info, err, sizeof(err));
		if (rc == DMT_READ_OK) {
			L.st.refs_on_free = dmt_meta_get(info.meta, "attach_mode", buf, sizeof(buf)) &&
					    strcmp(buf, "tracepoint");
			dmt_info_free(&info);
			rc = dmt_read(input, leak_tracker_ops(), &L, &info, err, sizeof(err));
		}
		if (rc != DMT_READ_OK) {
			fprintf(stderr, "devmemleak: %s: %s%s\n", input, err,
				rc == DMT_READ_TRUNCATED ? " (no verdict on a partial recording)" : "");
			return EXIT_TOOL;
		}
		if (!info.end || !dmt_meta_get(info.end, "dropped", buf, sizeof(buf))) {
			fprintf(stderr, "devmemleak: %s: the recording did not finish: no verdict\n", input);
			return EXIT_TOOL;
		}
		lost = strtoull(buf, NULL, 10) + L.st.oom;
		now = dmt_meta_get(info.end, "end_ns", buf, sizeof(buf)) ? strtoull(buf, NULL, 10) : 0;
		snprintf(what, sizeof(what), "recording %s", input);
	} else {
		uint64_t until = 0, poll_errors = 0;
		pid_t child;

		rc = devmem_attach(&sess, &o, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "devmemleak: %s\n", err);
			return EXIT_TOOL;
		}
		L.st.refs_on_free = sess.mode != DEVMEM_MODE_TRACEPOINT;
		if (devmem_session_records(&sess, on_record, &L, err, sizeof(err))) {
			fprintf(stderr, "devmemleak: %s\n", err);
			devmem_detach(&sess);
			return EXIT_TOOL;
		}
		devmem_catch_signals();
		child = fork();
		if (child == 0) {
			execvp(argv[optind], argv + optind);
			fprintf(stderr, "devmemleak: %s: %s\n", argv[optind], strerror(errno));
			_exit(127);
		}
		while (!devmem_stop && child > 0) {
			if (devmem_session_poll(&sess, 100) < 0)
				poll_errors++;	/* records may be gone: no verdict */
			if (!until && waitpid(child, &status, WNOHANG) == child)
				until = mono_ns() + (uint64_t)(settle * 1e9);	/* settle */
			if (until && mono_ns() >= until)
				break;
		}
		if (devmem_stop && child > 0 && !until) {
			kill(child, SIGTERM);
			waitpid(child, &status, 0);
		}
		devmem_session_poll(&sess, 0);
		devmem_read_drops(&sess, drops, &misses);
		for (i = 0; i < DEVMEM_DROP_MAX; i++)
			if (i != DEVMEM_DROP_STACK)
				lost += drops[i];
		lost += misses + bad_records + L.st.oom + poll_errors;
		now = mono_ns();
		ksyms_load(&ksyms);
		snprintf(what, sizeof(what), "`%s` (%s)", argv[optind],
			 WIFEXITED(status) ? "exited" : "killed");
		if (devmem_stop) {
			fprintf(stderr, "devmemleak: interrupted: no verdict\n");
			devmem_detach(&sess);
			return EXIT_TOOL;
		}
	}

	ngroups = leak_groups(&L, input ? stack_recorded : stack_live, NULL, suppress, nsup, &groups);
	for (j = 0; j < ngroups; j++)
		*(groups[j].suppressed ? &suppressed : &leaked) += groups[j].count;
	leaked_refs = leak_extra_refs(&L);
	verdict = lost ? EXIT_TOOL : leaked || leaked_refs ? EXIT_LEAKS : EXIT_CLEAN;
	printf("devmemleak: %s: %llu leaked device pages, %llu leaked pgmap references, "
	       "%llu suppressed, %llu events lost\n", what, (unsigned long long)leaked,
	       (unsigned long long)leaked_refs, (unsigned long long)suppressed,
	       (unsigned long long)lost);
	for (j = 0; j < ngroups; j++) {
		char stack[sizeof(groups[j].stack)], *frame, *save = NULL;

		printf("\n%llu page%s of pgmap %#llx handed to pid %u (%s), oldest %.1f s ago%s, allocated at:\n",
		       (unsigned long long)groups[j].count, groups[j].count == 1 ? "" : "s",
		       (unsigned long long)groups[j].pgmap, groups[j].pid, groups[j].comm,
		       now > groups[j].oldest_ns ? (now - groups[j].oldest_ns) / 1e9 : 0.0,
		       groups[j].suppressed ? " [suppressed]" : "");
		memcpy(stack, groups[j].stack, sizeof(stack));
		for (frame = strtok_r(stack, ";", &save); frame; frame = strtok_r(NULL, ";", &save))
			printf("    %s\n", frame);
	}
	if (lost)
		printf("\nno verdict: %llu events were lost, so some frees may be missing\n",
		       (unsigned long long)lost);
	/* The pages the verdict counts, by stack (docs/folded.md). */
	if (folded && folded_write_pages(folded, FOLDED_LEAKED, &L, &(struct folded_opts){
			input ? stack_recorded : stack_live, NULL, &L.st, suppress, nsup })) {
		fprintf(stderr, "devmemleak: %s: %s\n", folded, strerror(errno));
		verdict = EXIT_TOOL;
	}
	if (junit) {
		FILE *f = fopen(junit, "w");

		if (f) {
			fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				   "<testsuites><testsuite name=\"devmemleak\" tests=\"1\" failures=\"%d\" errors=\"%d\">\n"
				   "<testcase classname=\"devmemleak\" name=\"",
				verdict == EXIT_LEAKS, verdict == EXIT_TOOL);
			xml_escaped(f, what);
			fputs("\">", f);
			if (verdict != EXIT_CLEAN) {
				fprintf(f, "<%s message=\"%llu leaked device pages, %llu leaked pgmap references, %llu events lost\">",
					verdict == EXIT_LEAKS ? "failure" : "error",
					(unsigned long long)leaked, (unsigned long long)leaked_refs,
					(unsigned long long)lost);
				for (j = 0; j < ngroups; j++) {
					if (groups[j].suppressed)
						continue;
					fprintf(f, "%llu pages of pgmap %#llx, pid %u (",
						(unsigned long long)groups[j].count,
						(unsigned long long)groups[j].pgmap, groups[j].pid);
					xml_escaped(f, groups[j].comm);
					fputs(")\n", f);
				}
				fprintf(f, "</%s>", verdict == EXIT_LEAKS ? "failure" : "error");
			}
			fputs("</testcase></testsuite></testsuites>\n", f);
			fclose(f);
		} else {
			fprintf(stderr, "devmemleak: %s: %s\n", junit, strerror(errno));
			verdict = EXIT_TOOL;
		}
	}
	if (!input)
		devmem_detach(&sess);
	ksyms_free(&ksyms);
	dmt_info_free(&info);
	leak_tracker_free(&L);
	free(groups);
	for (i = 0; i < nsup; i++)
		free(suppress[i]);
	return verdict;
usage_error:
	usage(stderr);
	return EXIT_TOOL;
}
