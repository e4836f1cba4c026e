// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemrec: record what device memory does to a trace file, for
 * devmemreport to analyse later, here or on another machine.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
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
#include "lost.h"
#include "version.h"
#include "devmem_maps.h"
#include "devmem.skel.h"
#include "kcounts.h"
#include "ksyms.h"
#include "pgmap_names_live.h"
#include "replay.h"
#include "stacks.h"
#include "tracefile.h"
#include "u64map.h"

#define DEBUGFS_PGMAPS devmem_debugfs_pgmaps()

struct rec {
	struct dmt_writer w;
	uint64_t filter_pgmap, kept, filtered, bad, write_errors;
	struct u64map stack_ids;	/* id + 1 of every stack a record names */
	struct u64map described;	/* pgmaps with a PGMAP_DESC line */
	/* Records come in runs (a batch's pages): the last of each, looked up once. */
	uint64_t last_described, last_stack;
	int meta_fd;		/* the BPF side's pgmap_meta map */
	bool ended;		/* the END totals are taken: later records are not ours */
};

/*
 * A pgmap named for the first time: what the BPF side learned of it goes
 * into a PGMAP_DESC chunk ahead of the records, so a recording killed
 * before its END chunk still names its pgmaps. The line is PGMAP_ADDRS's.
 */
static void describe_pgmap(struct rec *r, uint64_t pgmap)
{
	struct devmem_pgmap_meta v;
	__u64 key = pgmap;
	char line[160];
	int n;

	/* Not there (its map was full): the END chunk's PGMAP_ADDRS may still say. */
	if (bpf_map_lookup_elem(r->meta_fd, &key, &v) || !v.start)
		return;
	n = snprintf(line, sizeof(line), "%#llx %#llx %#llx %u %#llx %llu\n",
		     (unsigned long long)pgmap, (unsigned long long)v.start,
		     (unsigned long long)v.end, v.type, (unsigned long long)v.owner,
		     (unsigned long long)v.nr_pages);
	if (!dmt_write_desc(&r->w, line, n))
		u64map_put(&r->described, pgmap, 1);
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct rec *r = ctx;
	uint64_t pgmap;

	/*
	 * Detaching takes what is left in the ring buffer: events after the
	 * END chunk's totals (a tool exiting, say). Written after END, they
	 * would make the file hold more records than its END says were seen.
	 */
	if (r->ended)
		return 0;
	if (devmem_replay_record(data, size, NULL, NULL)) {
		r->bad++;
		return 0;
	}
	pgmap = devmem_rec_pgmap(data);
	if (r->filter_pgmap && pgmap != r->filter_pgmap) {
		r->filtered++;
		return 0;
	}
	if (pgmap && pgmap != r->last_described && !r->w.error) {
		if (!u64map_get(&r->described, pgmap, NULL))
			describe_pgmap(r, pgmap);
		if (u64map_get(&r->described, pgmap, NULL))
			r->last_described = pgmap;	/* else tried again next record */
	}
	/* After a write error the writer takes nothing more: these count as lost. */
	if (dmt_write_record(&r->w, data, size))
		r->write_errors++;
	else
		r->kept++;
	if (((struct devmem_rec_hdr *)data)->type == DEVMEM_REC_PAGE_INIT ||
	    ((struct devmem_rec_hdr *)data)->type == DEVMEM_REC_PGMAP_WAIT) {
		int32_t id = ((struct devmem_rec_hdr *)data)->type == DEVMEM_REC_PAGE_INIT ?
			     ((struct devmem_rec_page *)data)->stack_id :
			     size >= sizeof(struct devmem_rec_pgmap_wait) ?
			     ((struct devmem_rec_pgmap_wait *)data)->stack_id : -1;

		if (id >= 0 && id + 1ull != r->last_stack &&
		    !u64map_put(&r->stack_ids, id + 1ull, 1))
			r->last_stack = id + 1ull;
	}
	return 0;
}

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* All of a (debugfs or proc) file, NUL-terminated; "" if it cannot be read. */
static char *slurp_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 14, n = 0;
	char *buf = malloc(cap);

	while (buf && f) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (n < cap - 1)
			break;	/* EOF or error: seq_file fills what it can */
		{
			char *p = realloc(buf, cap * 2);

			if (!p) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = p;
			cap *= 2;
		}
	}
	if (f)
		fclose(f);
	if (!buf)
		return NULL;
	buf[n] = 0;
	*len = n;
	return buf;
}

static void slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = 0;
	if (f)
		fclose(f);
}

/* What the BPF side learned of each pgmap address, for devmemreport: all of it. */
static int write_pgmap_addrs(struct dmt_writer *w, const struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.pgmap_meta), e;
	struct devmem_pgmap_meta v;
	__u64 key, next, *prev = NULL;
	size_t n = 0, cap = 1 << 14;
	char *buf = malloc(cap);

	while (buf && !bpf_map_get_next_key(fd, prev, &next)) {
		if (n + 128 > cap) {
			char *p = realloc(buf, cap *= 2);

			if (!p)
				break;	/* what fits; the in-band lines have the rest */
			buf = p;
		}
		if (!bpf_map_lookup_elem(fd, &next, &v))
			n += snprintf(buf + n, cap - n, "%#llx %#llx %#llx %u %#llx %llu\n",
				      (unsigned long long)next, (unsigned long long)v.start,
				      (unsigned long long)v.end, v.type, (unsigned long long)v.owner,
				      (unsigned long long)v.nr_pages);
		key = next;
		prev = &key;
	}
	e = dmt_write_text(w, DMT_CHUNK_PGMAP_ADDRS, buf ? buf : "", n);
	free(buf);
	return e;
}

/* The stacks records name, symbolized now: the file is read elsewhere. */
static int write_stacks(struct dmt_writer *w, const struct devmem_session *s,
			const struct u64map *ids)
{
	size_t i, n = 0, cap = 1 << 16;
	char *buf = malloc(cap), frames[4096];
	struct ksyms k;
	int e;

	if (!buf || ksyms_load(&k)) {
		free(buf);
		return 0;	/* no symbols: the report says "no stack" */
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
	e = dmt_write_text(w, DMT_CHUNK_STACKS, buf, n);
	ksyms_free(&k);
	free(buf);
	return e;
}

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
"and devmemrec exits 9; COMMAND runs on, unrecorded.\n"
"\n"
"  -o, --output FILE     the trace file (docs/trace-format.md)\n"
"  -d, --duration SEC    stop after SEC seconds\n"
"  -p, --pid PID         only events caused by PID\n"
"      --pgmap ADDR      only events naming this pgmap address\n"
"      --attach MODE     auto (default), tracepoint, fentry or kprobe\n"
"      --ringbuf BYTES   ring buffer size (power of 2, default 8 MiB)\n"
"      --no-stacks       no allocation stacks (one per call site otherwise)\n"
"  -v, --version\n"
"  -h, --help\n"
"\n"
"Examples:\n"
"  devmemrec -o run.dmt -- ./gpu-job --size 4G\n"
"  devmemrec -o idle.dmt -d 60\n"
"\n");
	devmem_print_exit_codes(f, DEVMEM_TOOL_REC);
}

/* "open" refusals are usage errors: nothing was run, the argument is wrong. */
static int open_exit(int e)
{
	return e == DMT_OPEN_REFUSED ? DEVMEM_EXIT_USAGE :
	       e == DMT_OPEN_WRITE ? DEVMEM_EXIT_WRITE : DEVMEM_EXIT_ERROR;
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
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct devmem_attach_opts o = { .mode = DEVMEM_MODE_AUTO, .stacks = true, .records = true };
	char err[1024], text[8192], host[256] = "", boot_id[64], *pgmaps, command[1024] = "";
	uint64_t drops[DEVMEM_DROP_MAX], misses, start, flushed, dropped = 0;
	uint64_t read_from, read_to;
	struct rec r = { 0 };
	const char *out = NULL;
	struct devmem_session s;
	double duration = 0;
	struct utsname u;
	size_t pgmaps_len = 0;
	int c, rc, status = 0, k;
	pid_t child = 0;
	bool command_ran = false;

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
		case 'v': devmem_print_version(stdout, "devmemrec"); return DEVMEM_EXIT_OK;
		case 'h': usage(stdout); return DEVMEM_EXIT_OK;
		default: usage(stderr); return DEVMEM_EXIT_USAGE;
		}
	}
	if (!out) {
		fprintf(stderr, "devmemrec: -o FILE is required\n");
		usage(stderr);
		return DEVMEM_EXIT_USAGE;
	}
	/* Refuse a wrong -o before loading anything; the open checks again. */
	rc = dmt_check_output(out, err, sizeof(err));
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
	rc = devmem_attach(&s, &o, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devmemrec: %s\n", err);
		return rc;
	}
	rc = dmt_writer_open(&r.w, out, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devmemrec: %s\n", err);
		devmem_detach(&s);
		return open_exit(rc);
	}
	r.meta_fd = bpf_map__fd(s.skel->maps.pgmap_meta);
	/*
	 * With a COMMAND, devmemleak -i judges only its process tree: the
	 * command's processes are our children, seen forking in the records.
	 */
	for (k = optind; k < argc; k++) {
		size_t at = strlen(command);

		snprintf(command + at, sizeof(command) - at, "%s%s", k > optind ? " " : "", argv[k]);
	}
	command[strcspn(command, "\n")] = 0;	/* one META line */
	uname(&u);
	gethostname(host, sizeof(host) - 1);
	slurp("/proc/sys/kernel/random/boot_id", boot_id, sizeof(boot_id));
	boot_id[strcspn(boot_id, "\n")] = 0;
	start = now_ns(CLOCK_MONOTONIC);
	snprintf(text, sizeof(text),
		 "kernel=%s\nboot_id=%s\nclock=CLOCK_MONOTONIC\nstart_ns=%llu\nhost=%s\n"
		 "tool=devmemrec %s\nabi_version=%d\nattach_mode=%s\nunavailable=%s\n"
		 "filter_pid=%u\nfilter_pgmap=%#llx\nrecorder_pid=%d\ncommand=%s\n",
		 u.release, boot_id, (unsigned long long)start, host, devmem_release(),
		 DEVMEM_ABI_VERSION, devmem_mode_name(s.mode), s.unavailable, o.filter_pid,
		 (unsigned long long)r.filter_pgmap,
		 devmem_in_init_pidns() ? (int)getpid() : 0, command);	/* 0: cannot scope */
	dmt_write_chunk(&r.w, DMT_CHUNK_META, text, strlen(text));
	/*
	 * The pgmaps that exist now, whole, right after META (errors are sticky
	 * in r.w), and when they were read: the records from before the read
	 * are in its live counts already (docs/counting.md, "Late start").
	 */
	read_from = now_ns(CLOCK_MONOTONIC);
	pgmaps = slurp_all(DEBUGFS_PGMAPS, &pgmaps_len);
	read_to = now_ns(CLOCK_MONOTONIC);
	if (pgmaps && pgmaps_len) {
		char *p = realloc(pgmaps, pgmaps_len + 64);

		if (p) {
			pgmaps = p;
			pgmaps_len += snprintf(p + pgmaps_len, 64, "# read_ns %llu %llu\n",
					       (unsigned long long)read_from,
					       (unsigned long long)read_to);
		}
	}
	dmt_write_text(&r.w, DMT_CHUNK_PGMAPS, pgmaps ? pgmaps : "", pgmaps ? pgmaps_len : 0);
	free(pgmaps);
	if (!r.w.error && devmem_session_records(&s, on_record, &r, err, sizeof(err))) {
		fprintf(stderr, "devmemrec: %s\n", err);
		dmt_writer_close(&r.w);
		devmem_detach(&s);
		return DEVMEM_EXIT_ERROR;
	}
	if (optind < argc && !r.w.error && devmem_stop) {
		fprintf(stderr, "devmemrec: interrupted before COMMAND started; not run\n");
		status = W_EXITCODE(0, devmem_stop);	/* exits 128 + the signal, as a shell */
	} else if (optind < argc && !r.w.error) {
		child = fork();
		command_ran = child > 0;
		if (child < 0) {
			perror("devmemrec: fork");
			status = W_EXITCODE(127, 0);	/* could not run, as a shell says */
			devmem_stop = 1;
		} else if (child == 0) {
			signal(SIGXFSZ, SIG_DFL);	/* the command's own limits as usual */
			execvp(argv[optind], argv + optind);
			fprintf(stderr, "devmemrec: %s: %s\n", argv[optind], strerror(errno));
			_exit(127);
		}
	}
	if (!r.w.error && !devmem_stop)
		fprintf(stderr, "devmemrec: recording to %s in %s mode\n", out,
			devmem_mode_name(s.mode));
	flushed = now_ns(CLOCK_MONOTONIC);
	while (!devmem_stop && !r.w.error) {
		int e = devmem_session_poll(&s, 100);

		if (e < 0) {
			fprintf(stderr, "devmemrec: ring buffer: %s\n", strerror(-e));
			r.write_errors++;	/* counted as lost: the file says so */
			break;
		}
		/* A chunk at least every second: a killed recorder loses little. */
		if (now_ns(CLOCK_MONOTONIC) - flushed > 1000000000ull) {
			dmt_flush(&r.w);	/* an error stops the loop */
			flushed = now_ns(CLOCK_MONOTONIC);
		}
		if (duration && now_ns(CLOCK_MONOTONIC) - start > duration * 1e9)
			break;
		if (child > 0 && waitpid(child, &status, WNOHANG) == child) {
			child = 0;
			break;
		}
	}
	if (!r.w.error) {
		if (child > 0) {	/* interrupted: the command goes too */
			kill(child, SIGTERM);
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;	/* a second signal must not lose its status */
			child = 0;
		}
		devmem_session_poll(&s, 0);
		devmem_read_drops(&s, drops, &misses);
		/* "dropped" is what lost.h calls lost: no_stack is apart. */
		dropped = devmem_lost(drops, misses, r.bad + r.write_errors);
		snprintf(text, sizeof(text),
			 "end_ns=%llu\nrecords=%llu\nfiltered=%llu\ndropped=%llu\nringbuf_full=%llu\n"
			 "pgmap_map_full=%llu\nproc_map_full=%llu\npage_map_full=%llu\nno_stack=%llu\n"
			 "probe_missed=%llu\nrecursion_misses=%llu\nbad_records=%llu\nwrite_errors=%llu\n"
			 "events_seen=%llu\ncommand_not_run=%d\n",
			 (unsigned long long)now_ns(CLOCK_MONOTONIC), (unsigned long long)r.kept,
			 (unsigned long long)r.filtered, (unsigned long long)dropped,
			 (unsigned long long)drops[DEVMEM_DROP_RINGBUF],
			 (unsigned long long)drops[DEVMEM_DROP_PGMAP_MAP],
			 (unsigned long long)drops[DEVMEM_DROP_PROC_MAP],
			 (unsigned long long)drops[DEVMEM_DROP_PAGE_MAP],
			 (unsigned long long)drops[DEVMEM_DROP_STACK],
			 (unsigned long long)drops[DEVMEM_DROP_PROBE_MISSED], (unsigned long long)misses,
			 (unsigned long long)r.bad, (unsigned long long)r.write_errors,
			 (unsigned long long)devmem_events_seen(&s), optind < argc && !command_ran);
		r.ended = true;
		/*
		 * Each stops at the first write error: the writer keeps it. The
		 * names are a nicety: failing to make them (no memory) must not
		 * cost the END chunk, without which nothing can judge the file.
		 */
		if (!dmt_flush(&r.w) && !write_pgmap_addrs(&r.w, &s) &&
		    !write_stacks(&r.w, &s, &r.stack_ids)) {
			if (pgmap_names_record(&r.w, &s, DEBUGFS_PGMAPS) && !r.w.error)
				fprintf(stderr, "devmemrec: pgmap names left out of %s\n", out);
			if (!r.w.error)
				dmt_write_chunk(&r.w, DMT_CHUNK_END, text, strlen(text));	/* last: complete */
		}
	}
	/* Whatever happened, nothing stays attached; the last records are counted. */
	devmem_detach(&s);
	u64map_free(&r.stack_ids);
	u64map_free(&r.described);
	if (dmt_writer_close(&r.w)) {
		char why[512];

		fprintf(stderr, "devmemrec: %s: %s\n", out, dmt_writer_strerror(&r.w, why, sizeof(why)));
		fprintf(stderr, "devmemrec: recording stopped; %s reads up to its last whole chunk "
			"(no END chunk)\n", out);
		if (child > 0) {
			/* Our failure is not the command's: let it finish, unrecorded. */
			fprintf(stderr, "devmemrec: waiting for COMMAND (pid %d) to finish, "
				"unrecorded\n", (int)child);
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				if (devmem_stop)	/* interrupted: the command goes too */
					kill(child, SIGTERM);
		}
		return DEVMEM_EXIT_WRITE;
	}
	fprintf(stderr, "devmemrec: %llu events to %s, %llu lost\n",
		(unsigned long long)r.kept, out, (unsigned long long)dropped);
	rc = DEVMEM_EXIT_OK;
	if (optind < argc)
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return rc;
bad:
	fprintf(stderr, "devmemrec: bad argument '%s'\n", optarg);
	usage(stderr);
	return DEVMEM_EXIT_USAGE;
}
