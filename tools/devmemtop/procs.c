// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procs.h"

enum devmem_liveness devmem_proc_probe_procfs(void *ctx, uint32_t pid, uint64_t *start_time)
{
	const char *root = ctx ? ctx : "/proc";
	char path[256], buf[1024], state;
	unsigned long long start;
	long threads;
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/stat", root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? DEVMEM_PROC_GONE : DEVMEM_PROC_UNKNOWN;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)	/* ESRCH: it went away between open and read */
		return errno == ESRCH ? DEVMEM_PROC_GONE : DEVMEM_PROC_UNKNOWN;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: the fields start after the last ')' */
	p = strrchr(buf, ')');
	/* state (3), then 16 fields to num_threads (20), itrealvalue, starttime (22) */
	if (!p || sscanf(p + 1, " %c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
			 "%*s %*s %ld %*s %llu", &state, &threads, &start) != 3)
		return DEVMEM_PROC_UNKNOWN;
	/*
	 * A zombie has left its device memory (exit_mm) and only waits to be
	 * reaped; but a group leader that exited before its threads is a
	 * zombie too, while the process lives on in them (num_threads > 1).
	 */
	if ((state == 'Z' || state == 'X') && threads <= 1)
		return DEVMEM_PROC_GONE;
	*start_time = start;
	return DEVMEM_PROC_ALIVE;
}

void devmem_procs_probe(struct devmem_state *st, devmem_proc_probe_fn probe, void *ctx,
			bool only_new)
{
	size_t i;

	for (i = 0; i < st->nr_procs; i++) {
		struct devmem_proc_row *r = &st->procs[i];
		enum devmem_liveness l;
		uint64_t start = 0;

		if (r->exited || (only_new && r->probed))
			continue;
		l = probe(ctx, r->pid, &start);
		if (l == DEVMEM_PROC_UNKNOWN)
			continue;	/* keep the row; ask again next interval */
		/* Another start time: the pid is a new process's, ours is gone. */
		if (l == DEVMEM_PROC_GONE || (r->probed && start != r->start_time)) {
			r->exited = true;
			r->exited_shown = false;
		} else if (!r->probed) {
			r->start_time = start;
		}
		r->probed = true;
	}
}

void devmem_proc_raw(const struct devmem_proc_row *r, struct devmem_proc_counters *out)
{
#define RAW(type, f, ...) out->f = r->f + r->base.f;
	DEVMEM_PROC_COUNTERS(RAW)
#undef RAW
}

/* Anything a dead process cannot do: a count went up (frees only lower held). */
static bool grew(const struct devmem_proc_counters *now, const struct devmem_proc_counters *was)
{
#define GREW(type, f, ...) || now->f > was->f
	return false DEVMEM_PROC_COUNTERS(GREW);
#undef GREW
}

struct devmem_proc_row *devmem_procs_kernel_totals(struct devmem_state *st, uint32_t pid,
						   const char *comm,
						   const struct devmem_proc_counters *c)
{
	struct devmem_proc_counters base = { 0 }, raw;
	struct devmem_proc_row *r = NULL;
	uint64_t i;
	size_t k;

	if (u64map_get(&st->proc_idx, pid + 1ull, &i))
		r = &st->procs[i];
	if (r && r->final_read) {
		devmem_proc_raw(r, &raw);
		if (grew(c, &raw)) {
			/*
			 * Its tgid is another process's now, and so is the BPF
			 * entry: the dead row stays as it was last read, the new
			 * one shows what was added since.
			 */
			base = raw;
			r->retired = true;
			u64map_del(&st->proc_idx, pid + 1ull);
			r = NULL;
		}
	}
	if (!r) {
		r = devmem_state_proc(st, pid, comm);
		if (!r)
			return NULL;
		r->base = base;
	} else if (comm && comm[0]) {
		memcpy(r->comm, comm, sizeof(r->comm));
		r->comm[sizeof(r->comm) - 1] = 0;
	}
	/*
	 * The entry holds no page any more: neither does any process that had
	 * its tgid, whose rows were frozen with pages out (pid reuse).
	 */
	if (!c->held && r->base.held) {
		r->base.held = 0;
		for (k = 0; k < st->nr_procs; k++)
			if (st->procs[k].retired && st->procs[k].pid == pid && st->procs[k].held) {
				st->procs[k].held = 0;
				st->procs[k].exited_shown = false;
			}
	}
	devmem_proc_raw(r, &raw);
	if (!devmem_proc_counters_same(c, &raw))
		r->exited_shown = false;	/* to be shown with these numbers */
#define OWN(type, f, ...) r->f = c->f - r->base.f;
	DEVMEM_PROC_COUNTERS(OWN)
#undef OWN
	/* found gone before this read: this read has all it did */
	if (r->exited)
		r->final_read = true;
	return r;
}

size_t devmem_procs_evict(struct devmem_state *st, devmem_proc_forget_fn forget, void *ctx)
{
	size_t i, j = 0, removed = 0;

	for (i = 0; i < st->nr_procs; i++) {
		struct devmem_proc_row *r = &st->procs[i];
		bool go = r->exited && r->exited_shown && r->held == 0;

		if (go && !r->retired) {
			struct devmem_proc_counters raw;

			/* a frozen dead row with pages out shares the entry */
			devmem_proc_raw(r, &raw);
			go = raw.held == 0 && (!forget || forget(ctx, r->pid, &raw));
			if (go)
				u64map_del(&st->proc_idx, r->pid + 1ull);
		}
		if (go) {
			removed++;
			continue;
		}
		if (r->exited)
			r->exited_shown = true;	/* the caller prints it next */
		if (j != i) {
			st->procs[j] = *r;
			/* an overwrite: no allocation, cannot fail */
			if (!st->procs[j].retired)
				u64map_put(&st->proc_idx, st->procs[j].pid + 1ull, j);
		}
		j++;
	}
	st->nr_procs = j;
	st->last_proc_row = 0;
	return removed;
}
