// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemrec: record what device memory does to a trace file, for
 * devmemreport to analyse later, here or on another machine.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "devmem_maps.h"
#include "devmem.skel.h"
#include "kcounts.h"
#include "ksyms.h"
#include "pgmap_names_live.h"
#include "replay.h"
#include "stacks.h"
#include "tracefile.h"
#include "u64map.h"

#define DEBUGFS_PGMAPS "/sys/kernel/debug/devmem/pgmaps"
#define TOOL_VERSION "0.1"

struct rec {
	struct dmt_writer w;
	uint64_t filter_pgmap, kept, filtered, bad, write_errors;
	struct u64map stack_ids;	/* id + 1 of every stack a record names */
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct rec *r = ctx;

	if (devmem_replay_record(data, size, NULL, NULL)) {
		r->bad++;
		return 0;
	}
	if (r->filter_pgmap && devmem_rec_pgmap(data) != r->filter_pgmap) {
		r->filtered++;
		return 0;
	}
	if (dmt_write_record(&r->w, data, size))
		r->write_errors++;
	else
		r->kept++;
	if (((struct devmem_rec_hdr *)data)->type == DEVMEM_REC_PAGE_INIT) {
		int32_t id = ((struct devmem_rec_page *)data)->stack_id;

		if (id >= 0)
			u64map_put(&r->stack_ids, id + 1ull, 1);
	}
	return 0;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = 0;
	if (f)
		fclose(f);
}

/* What the BPF side learned of each pgmap address, for devmemreport. */
static void write_pgmap_addrs(struct dmt_writer *w, const struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.pgmap_meta);
	struct devmem_pgmap_meta v;
	__u64 key, next, *prev = NULL;
	char buf[16384];
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next) && n < sizeof(buf) - 128) {
		if (!bpf_map_lookup_elem(fd, &next, &v))
			n += snprintf(buf + n, sizeof(buf) - n, "%#llx %#llx %#llx %u %#llx %llu\n",
				      (unsigned long long)next, (unsigned long long)v.start,
				      (unsigned long long)v.end, v.type, (unsigned long long)v.owner,
				      (unsigned long long)v.nr_pages);
		key = next;
		prev = &key;
	}
	dmt_write_chunk(w, DMT_CHUNK_PGMAP_ADDRS, buf, n);
}

/* The stacks records name, symbolized now: the file is read elsewhere. */
static void write_stacks(struct dmt_writer *w, const struct devmem_session *s,
			 const struct u64map *ids)
{
	size_t i, n = 0, cap = 1 << 16;
	char *buf = malloc(cap), frames[4096];
	struct ksyms k;

	if (!buf || ksyms_load(&k)) {
		free(buf);
		return;
	}
	for (i = 0; i < ids->cap; i++) {
		uint64_t key = ids->keys[i];

		if (!key || key == UINT64_MAX)
			continue;
		devmem_stack_text(s, &k, (int32_t)(key - 1), frames, sizeof(frames));
		if (n + strlen(frames) + 32 > cap) {
			char *p = realloc(buf, cap *= 2);

			if (!p)
				break;
			buf = p;
		}
		n += snprintf(buf + n, cap - n, "%d %s\n", (int)(key - 1), frames);
	}
	dmt_write_chunk(w, DMT_CHUNK_STACKS, buf, n);
	ksyms_free(&k);
	free(buf);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: devmemrec -o FILE [options] [-- COMMAND [ARGS...]]\n"
"\n"
"Record device memory events to FILE (created 0600: it holds kernel\n"
"addresses) until interrupted, for -d seconds, or while COMMAND runs.\n"
"\n"
"  -o, --output FILE     the trace file (docs/trace-format.md)\n"
"  -d, --duration SEC    stop after SEC seconds\n"
"  -p, --pid PID         only events caused by PID\n"
"      --pgmap ADDR      only events naming this pgmap address\n"
"      --attach MODE     auto (default), tracepoint, fentry or kprobe\n"
"      --ringbuf BYTES   ring buffer size (power of 2, default 8 MiB)\n"
"      --no-stacks       no allocation stacks (one per call site otherwise)\n"
"  -h, --help\n"
"\n"
"Exit status: COMMAND's when one is given, else 0; 1 error, 2 usage,\n"
"3 not permitted, 4 nothing to trace, 5 kernel without BTF.\n"
"\n"
"Examples:\n"
"  devmemrec -o run.dmt -- ./gpu-job --size 4G\n"
"  devmemrec -o idle.dmt -d 60\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "pid", required_argument, NULL, 'p' },
		{ "pgmap", required_argument, NULL, 'G' },
		{ "attach", required_argument, NULL, 'A' },
		{ "ringbuf", required_argument, NULL, 'R' },
		{ "no-stacks", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct devmem_attach_opts o = { .mode = DEVMEM_MODE_AUTO, .stacks = true, .records = true };
	char err[1024], text[8192], host[256] = "", boot_id[64], pgmaps[16384];
	uint64_t drops[DEVMEM_DROP_MAX], misses, start, flushed, dropped = 0;
	struct rec r = { 0 };
	const char *out = NULL;
	struct devmem_session s;
	double duration = 0;
	struct utsname u;
	int c, rc, status = 0, k;
	pid_t child = 0;

	while ((c = getopt_long(argc, argv, "+o:d:p:h", longopts, NULL)) != -1) {
		char *end;

		errno = 0;
		switch (c) {
		case 'o': out = optarg; break;
		case 'd':
			duration = strtod(optarg, &end);
			if (errno || *end || duration <= 0)
				goto bad;
			break;
		case 'p':
			o.filter_pid = strtoul(optarg, &end, 10);
			if (errno || *end || !o.filter_pid)
				goto bad;
			break;
		case 'G':
			r.filter_pgmap = strtoull(optarg, &end, 0);
			if (errno || *end || !r.filter_pgmap)
				goto bad;
			break;
		case 'A':
			if (devmem_mode_parse(optarg, &o.mode))
				goto bad;
			break;
		case 'R':
			o.ringbuf_bytes = strtoul(optarg, &end, 0);
			if (errno || *end || o.ringbuf_bytes < 4096)
				goto bad;
			break;
		case 'S': o.stacks = false; break;
		case 'h': usage(stdout); return DEVMEM_EXIT_OK;
		default: usage(stderr); return DEVMEM_EXIT_USAGE;
		}
	}
	if (!out) {
		fprintf(stderr, "devmemrec: -o FILE is required\n");
		usage(stderr);
		return DEVMEM_EXIT_USAGE;
	}
	rc = devmem_attach(&s, &o, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devmemrec: %s\n", err);
		return rc;
	}
	if (dmt_writer_open(&r.w, out, err, sizeof(err))) {
		fprintf(stderr, "devmemrec: %s\n", err);
		devmem_detach(&s);
		return DEVMEM_EXIT_ERROR;
	}
	uname(&u);
	gethostname(host, sizeof(host) - 1);
	slurp("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	boot_id[strcspn(boot_id, "\n")] = 0;
	start = now_ns(CLOCK_MONOTONIC);
	snprintf(text, sizeof(text),
		 "kernel=%s\nboot_id=%s\nclock=CLOCK_MONOTONIC\nstart_ns=%llu\nhost=%s\n"
		 "tool=devmemrec %s\nabi_version=%d\nattach_mode=%s\nunavailable=%s\n"
		 "filter_pid=%u\nfilter_pgmap=%#llx\n",
		 u.release, boot_id, (unsigned long long)start, host, TOOL_VERSION,
		 DEVMEM_ABI_VERSION, devmem_mode_name(s.mode), s.unavailable, o.filter_pid,
		 (unsigned long long)r.filter_pgmap);
	dmt_write_chunk(&r.w, DMT_CHUNK_META, text, strlen(text));
	slurp(DEBUGFS_PGMAPS, pgmaps, sizeof(pgmaps));
	dmt_write_chunk(&r.w, DMT_CHUNK_PGMAPS, pgmaps, strlen(pgmaps));
	if (devmem_session_records(&s, on_record, &r, err, sizeof(err))) {
		fprintf(stderr, "devmemrec: %s\n", err);
		dmt_writer_close(&r.w);
		devmem_detach(&s);
		return DEVMEM_EXIT_ERROR;
	}
	devmem_catch_signals();
	if (optind < argc) {
		child = fork();
		if (child < 0) {
			perror("devmemrec: fork");
			devmem_stop = 1;
		} else if (child == 0) {
			execvp(argv[optind], argv + optind);
			fprintf(stderr, "devmemrec: %s: %s\n", argv[optind], strerror(errno));
			_exit(127);
		}
	}
	fprintf(stderr, "devmemrec: recording to %s in %s mode\n", out, devmem_mode_name(s.mode));
	flushed = now_ns(CLOCK_MONOTONIC);
	while (!devmem_stop) {
		int e = devmem_session_poll(&s, 100);

		if (e < 0) {
			fprintf(stderr, "devmemrec: ring buffer: %s\n", strerror(-e));
			r.write_errors++;	/* counted as lost: the file says so */
			break;
		}
		/* A chunk at least every second: a killed recorder loses little. */
		if (now_ns(CLOCK_MONOTONIC) - flushed > 1000000000ull) {
			dmt_flush(&r.w);
			flushed = now_ns(CLOCK_MONOTONIC);
		}
		if (duration && now_ns(CLOCK_MONOTONIC) - start > duration * 1e9)
			break;
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			child = 0;
			break;
		}
	}
	if (child > 0) {	/* interrupted: the command goes too */
		kill(child, SIGTERM);
		waitpid(child, &status, 0);
	}
	devmem_session_poll(&s, 0);
	devmem_read_drops(&s, drops, &misses);
	for (k = 0; k < DEVMEM_DROP_MAX; k++)
		dropped += drops[k];
	dropped += misses + r.bad + r.write_errors;
	snprintf(text, sizeof(text),
		 "end_ns=%llu\nrecords=%llu\nfiltered=%llu\ndropped=%llu\nringbuf_full=%llu\n"
		 "pgmap_map_full=%llu\nproc_map_full=%llu\npage_map_full=%llu\nno_stack=%llu\n"
		 "probe_missed=%llu\nrecursion_misses=%llu\nbad_records=%llu\nwrite_errors=%llu\n"
		 "events_seen=%llu\n",
		 (unsigned long long)now_ns(CLOCK_MONOTONIC), (unsigned long long)r.kept,
		 (unsigned long long)r.filtered, (unsigned long long)dropped,
		 (unsigned long long)drops[DEVMEM_DROP_RINGBUF],
		 (unsigned long long)drops[DEVMEM_DROP_PGMAP_MAP],
		 (unsigned long long)drops[DEVMEM_DROP_PROC_MAP],
		 (unsigned long long)drops[DEVMEM_DROP_PAGE_MAP],
		 (unsigned long long)drops[DEVMEM_DROP_STACK],
		 (unsigned long long)drops[DEVMEM_DROP_PROBE_MISSED], (unsigned long long)misses,
		 (unsigned long long)r.bad, (unsigned long long)r.write_errors,
		 (unsigned long long)devmem_events_seen(&s));
	dmt_flush(&r.w);
	write_pgmap_addrs(&r.w, &s);
	write_stacks(&r.w, &s, &r.stack_ids);
	pgmap_names_record(&r.w, &s, DEBUGFS_PGMAPS);	/* names from this machine */
	u64map_free(&r.stack_ids);
	dmt_write_chunk(&r.w, DMT_CHUNK_END, text, strlen(text));	/* last: complete */
	rc = dmt_writer_close(&r.w) ? DEVMEM_EXIT_ERROR : DEVMEM_EXIT_OK;
	devmem_detach(&s);
	fprintf(stderr, "devmemrec: %llu events to %s, %llu dropped\n",
		(unsigned long long)r.kept, out, (unsigned long long)dropped);
	if (rc == DEVMEM_EXIT_OK && optind < argc)
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return rc;
bad:
	fprintf(stderr, "devmemrec: bad argument '%s'\n", optarg);
	usage(stderr);
	return DEVMEM_EXIT_USAGE;
}
