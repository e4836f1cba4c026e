// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemrec's recording: records into the file as they come, the chunks
 * around them (META and PGMAPS first, the names, stacks and END last), and
 * the command being recorded.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "clock.h"
#include "command.h"
#include "debugfs.h"
#include "devmemrec.h"
#include "kcounts.h"
#include "ksyms.h"
#include "lost.h"
#include "pgmap_names_live.h"
#include "procfs.h"
#include "record.h"
#include "replay.h"
#include "stacks.h"
#include "version.h"

#define DEBUGFS_PGMAPS debugfs_pgmaps_path()

/*
 * A pgmap named for the first time: what the BPF side learned of it goes
 * into a PGMAP_DESC chunk ahead of the records, so a recording killed
 * before its END chunk still names its pgmaps. The line is PGMAP_ADDRS's.
 */
static void describe_pgmap(struct rec *r, uint64_t pgmap)
{
	char line[160];
	int n;

	/* Not there (its map was full): the END chunk's PGMAP_ADDRS may still say. */
	n = devmem_pgmap_addr_line(r->sess, pgmap, line, sizeof(line));
	if (!n)
		return;
	if (!dmt_write_desc(&r->w, line, n))
		u64map_put(&r->described, pgmap, 1);
}

int rec_on_record(void *ctx, void *data, size_t size)
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
	if (!pgmap_filter_keeps(&r->pgmap, pgmap)) {
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

void rec_begin(struct rec *r, const struct rec_env *env)
{
	char text[8192], host[256] = "", boot_id[64], *pgmaps, command[1024] = "", filter[160] = "0";
	uint64_t read_from, read_to;
	size_t pgmaps_len = 0;
	struct utsname u;
	int k;

	/*
	 * With a COMMAND, devmemleak -i judges only its process tree: the
	 * command's processes are our children, seen forking in the records.
	 */
	for (k = 0; env->command && env->command[k]; k++) {
		size_t at = strlen(command);

		snprintf(command + at, sizeof(command) - at, "%s%s", k ? " " : "", env->command[k]);
	}
	command[strcspn(command, "\n")] = 0;	/* one META line */
	/* What --pgmap asked for: an address or start as a number, else the name. */
	if (r->pgmap.value)
		snprintf(filter, sizeof(filter), "%#llx", (unsigned long long)r->pgmap.value);
	else if (r->pgmap.name[0])
		snprintf(filter, sizeof(filter), "%s", r->pgmap.name);
	uname(&u);
	gethostname(host, sizeof(host) - 1);
	procfs_boot_id(boot_id, sizeof(boot_id));
	r->start = host_now_ns();
	snprintf(text, sizeof(text),
		 "kernel=%s\nboot_id=%s\nclock=CLOCK_MONOTONIC\nstart_ns=%llu\nhost=%s\n"
		 "tool=devmemrec %s\nabi_version=%d\nattach_mode=%s\nunavailable=%s\n"
		 "filter_pid=%u\nfilter_pgmap=%s\nrecorder_pid=%d\ncommand=%s\n",
		 u.release, boot_id, (unsigned long long)r->start, host, devmem_release(),
		 DEVMEM_ABI_VERSION, devmem_mode_name(r->sess->mode), r->sess->unavailable,
		 env->attach.filter_pid, filter,
		 procfs_in_init_pidns() ? (int)getpid() : 0, command);	/* 0: cannot scope */
	dmt_write_chunk(&r->w, DMT_CHUNK_META, text, strlen(text));
	/*
	 * The pgmaps that exist now, whole, right after META (errors are sticky
	 * in r->w), and when they were read: the records from before the read
	 * are in its live counts already (session/late_start_live.h, 3).
	 */
	read_from = host_now_ns();
	pgmaps = debugfs_pgmaps_text(DEBUGFS_PGMAPS, &pgmaps_len);	/* NULL: "" */
	read_to = host_now_ns();
	if (pgmaps && pgmaps_len) {
		char *p = realloc(pgmaps, pgmaps_len + 64);

		if (p) {
			pgmaps = p;
			pgmaps_len += snprintf(p + pgmaps_len, 64, "# read_ns %llu %llu\n",
					       (unsigned long long)read_from,
					       (unsigned long long)read_to);
		}
	}
	dmt_write_text(&r->w, DMT_CHUNK_PGMAPS, pgmaps ? pgmaps : "", pgmaps ? pgmaps_len : 0);
	if (pgmap_filter_on(&r->pgmap))
		pgmap_filter_begin(&r->pgmap, r->sess, pgmaps);
	free(pgmaps);
}

void rec_start_command(struct rec *r, char **argv)
{
	if (argv && !r->w.error && devmem_stop) {
		fprintf(stderr, "devmemrec: interrupted before COMMAND started; not run\n");
		r->status = W_EXITCODE(0, devmem_stop);	/* exits 128 + the signal, as a shell */
	} else if (argv && !r->w.error) {
		struct command cmd;
		int e = -command_start(&cmd, argv, "devmemrec");

		r->child = cmd.pid;
		r->command_ran = r->child > 0;
		if (e) {
			fprintf(stderr, "devmemrec: %s: %s\n", cmd.failed, strerror(e));
			r->status = W_EXITCODE(127, 0);	/* could not run, as a shell says */
			devmem_stop = 1;
		} else if (cmd.exec_errno) {	/* it exits 127, reaped below */
			fprintf(stderr, "devmemrec: %s: %s\n", argv[0], strerror(cmd.exec_errno));
		}
	}
}

void rec_loop(struct rec *r, struct devmem_session *s, const struct rec_env *env)
{
	uint64_t flushed = host_now_ns();

	while (!devmem_stop && !r->w.error) {
		int e = devmem_session_poll(s, 100);

		if (e < 0) {
			fprintf(stderr, "devmemrec: ring buffer: %s\n", strerror(-e));
			r->write_errors++;	/* counted as lost: the file says so */
			break;
		}
		/* A chunk at least every second: a killed recorder loses little. */
		if (host_now_ns() - flushed > 1000000000ull) {
			dmt_flush(&r->w);	/* an error stops the loop */
			flushed = host_now_ns();
		}
		if (env->duration && host_now_ns() - r->start > env->duration * 1e9)
			break;
		if (r->child > 0 && command_exited(r->child, &r->status)) {
			r->child = 0;
			break;
		}
	}
}

void rec_end(struct rec *r, struct devmem_session *s, const struct rec_env *env)
{
	uint64_t drops[DEVMEM_DROP_MAX] = { 0 }, misses = 0;
	char text[8192];

	if (r->child > 0) {	/* interrupted: the command goes too */
		kill(r->child, SIGTERM);
		command_wait(r->child, &r->status);	/* a second signal must not lose it */
		r->child = 0;
	}
	devmem_session_poll(s, 0);
	r->drops_unknown = devmem_read_drops(s, drops, &misses) != 0;
	/* "dropped" is what lost.h calls lost: no_stack is apart. */
	r->dropped = devmem_lost(drops, misses, r->bad + r->write_errors);
	{
		const uint64_t end[DMT_END_NR_KEYS] = {
			[DMT_END_NS] = host_now_ns(),
			[DMT_END_RECORDS] = r->kept,
			[DMT_END_FILTERED] = r->filtered,
			[DMT_END_DROPPED] = r->dropped,
			[DMT_END_RINGBUF_FULL] = drops[DEVMEM_DROP_RINGBUF],
			[DMT_END_PGMAP_MAP_FULL] = drops[DEVMEM_DROP_PGMAP_MAP],
			[DMT_END_PROC_MAP_FULL] = drops[DEVMEM_DROP_PROC_MAP],
			[DMT_END_PAGE_MAP_FULL] = drops[DEVMEM_DROP_PAGE_MAP],
			[DMT_END_NO_STACK] = drops[DEVMEM_DROP_STACK],
			[DMT_END_PROBE_MISSED] = drops[DEVMEM_DROP_PROBE_MISSED],
			[DMT_END_RECURSION_MISSES] = misses,
			[DMT_END_BAD_RECORDS] = r->bad,
			[DMT_END_WRITE_ERRORS] = r->write_errors,
			[DMT_END_EVENTS_SEEN] = devmem_events_seen(s),
			[DMT_END_COMMAND_NOT_RUN] = env->command && !r->command_ran,
		};

		/*
		 * Losses unknown: no drop counts at all, not zeros, so that no
		 * reader takes the recording for a whole one (docs/trace-format.md).
		 */
		dmt_end_text(text, sizeof(text), end, r->drops_unknown ? DMT_END_LOSS : 0);
	}
	r->ended = true;
	/*
	 * Each stops at the first write error: the writer keeps it. The
	 * names are a nicety: failing to make them (no memory) must not
	 * cost the END chunk, without which nothing can judge the file.
	 */
	if (!dmt_flush(&r->w) && !devmem_write_pgmap_addrs(&r->w, s) &&
	    !write_stacks(&r->w, s, &r->stack_ids)) {
		if (pgmap_names_record(&r->w, s, DEBUGFS_PGMAPS) && !r->w.error)
			fprintf(stderr, "devmemrec: pgmap names left out of %s\n", env->output);
		if (!r->w.error)
			dmt_write_chunk(&r->w, DMT_CHUNK_END, text, strlen(text));	/* last: complete */
	}
}

int rec_write_failed(struct rec *r, const char *out)
{
	char why[512];

	fprintf(stderr, "devmemrec: %s: %s\n", out, dmt_writer_strerror(&r->w, why, sizeof(why)));
	fprintf(stderr, "devmemrec: recording stopped; %s reads up to its last whole chunk "
		"(no END chunk)\n", out);
	if (r->child > 0) {
		/* Our failure is not the command's: let it finish, unrecorded. */
		fprintf(stderr, "devmemrec: waiting for COMMAND (pid %d) to finish, "
			"unrecorded\n", (int)r->child);
		while (waitpid(r->child, &r->status, 0) < 0 && errno == EINTR)
			if (devmem_stop)	/* interrupted: the command goes too */
				kill(r->child, SIGTERM);
	}
	return DEVMEM_EXIT_WRITE;
}
