// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ktasks.h"
#include "procfs.h"

/* "[<0>] memunmap_pages+0x1c6/0x2d0" -> "memunmap_pages" appended to buf. */
static void read_stack(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t n = 0;

	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *fn = strchr(line, ']'), *end;
		size_t l;

		if (!fn)
			continue;
		fn++;
		while (*fn == ' ')
			fn++;
		end = fn + strcspn(fn, "+ \n");
		l = end - fn;
		if (!l || n + l + 2 > len)
			continue;
		if (n)
			buf[n++] = ';';
		memcpy(buf + n, fn, l);
		n += l;
		buf[n] = 0;
	}
	fclose(f);
}

static int read_task(uint32_t pid, uint32_t tid, struct ktask *t, bool blocked_only)
{
	struct procfs_stat st;
	char path[256];
	int e;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->pid = pid;
	e = procfs_stat(NULL, pid, tid, &st);
	if (e)
		return e;	/* t->state 0: gone */
	memcpy(t->comm, st.comm, sizeof(t->comm));
	t->state = st.state;
	if (blocked_only && t->state != 'D')
		return 0;
	snprintf(path, sizeof(path), "%s/%u/task/%u/stack", procfs_root, pid, tid);
	read_stack(path, t->stack, sizeof(t->stack));
	return 0;
}

int ktask_read(uint32_t pid, uint32_t tid, struct ktask *t)
{
	return read_task(pid, tid, t, false);
}

bool ktask_stack_has(const char *stack, const char *fn)
{
	size_t l = strlen(fn);
	const char *p = stack;

	while (l && (p = strstr(p, fn))) {
		if ((p == stack || p[-1] == ';') && (p[l] == 0 || p[l] == ';'))
			return true;
		p += l;
	}
	return false;
}

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int ktasks_find(const char *fn, struct ktask *out, size_t max)
{
	DIR *procs = opendir(procfs_root), *tasks;
	struct dirent *p, *t;
	char path[512];
	int found = 0;

	if (!procs)
		return -errno;
	while ((p = readdir(procs))) {
		if (!numeric(p->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s/task", procfs_root, p->d_name);
		tasks = opendir(path);
		if (!tasks)
			continue;	/* gone meanwhile */
		while ((t = readdir(tasks))) {
			struct ktask k;

			if (!numeric(t->d_name) ||
			    read_task(strtoul(p->d_name, NULL, 10), strtoul(t->d_name, NULL, 10), &k,
				      true) || k.state != 'D' || !ktask_stack_has(k.stack, fn))
				continue;
			if ((size_t)found < max)
				out[found] = k;
			found++;
		}
		closedir(tasks);
	}
	closedir(procs);
	return found;
}

void ktask_read_teardown(struct teardown_report *t)
{
	struct ktask was = t->task;

	if (!t->task_known || !t->waiting)
		return;
	t->task_read = true;
	if (ktask_read(was.pid, was.tid, &t->task)) {
		t->task.pid = was.pid;
		memcpy(t->task.comm, was.comm, sizeof(t->task.comm));
	}
}
