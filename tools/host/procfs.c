// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "procfs.h"

const char *procfs_root = "/proc";

/* A one-line procfs file, NUL-terminated, in one read: its length, or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)	/* ESRCH: it went away between open and read */
		n = -errno;
	close(fd);
	buf[n < 0 ? 0 : n] = 0;
	return n;
}

int procfs_stat(const char *root, uint32_t pid, uint32_t tid, struct procfs_stat *st)
{
	char path[256], buf[1024], *lp, *rp;
	ssize_t n;
	size_t l;

	memset(st, 0, sizeof(*st));
	if (tid)
		snprintf(path, sizeof(path), "%s/%u/task/%u/stat", root ? root : procfs_root, pid, tid);
	else
		snprintf(path, sizeof(path), "%s/%u/stat", root ? root : procfs_root, pid);
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 ? (int)n : -EIO;
	/* "pid (comm) S ...": comm may hold spaces and parentheses, so the last ')' */
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')');
	if (!lp || !rp || rp < lp || rp[1] != ' ' || !rp[2])
		return -EINVAL;
	l = rp - lp - 1;
	if (l >= sizeof(st->comm))
		l = sizeof(st->comm) - 1;
	memcpy(st->comm, lp + 1, l);
	st->comm[l] = 0;
	st->state = rp[2];
	/* state (3), then 16 fields to num_threads (20), itrealvalue, starttime (22) */
	st->has_counts = sscanf(rp + 1, " %*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
				"%*s %*s %*s %ld %*s %llu", &st->threads, &st->start_time) == 2;
	return 0;
}

void procfs_boot_id(char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id", procfs_root);
	read_small(path, buf, len);
	buf[strcspn(buf, "\n")] = 0;
}

bool procfs_in_init_pidns(void)
{
	char path[256];
	struct stat st;

	/* A kernel without pid namespaces (no such file) has only the initial one. */
	snprintf(path, sizeof(path), "%s/self/ns/pid", procfs_root);
	if (stat(path, &st))
		return true;
	/* PROC_PID_INIT_INO: the initial pid namespace's fixed inode number */
	return st.st_ino == 0xEFFFFFFCU;
}
