/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procfs: a process's or thread's stat line, the boot id, our pid
 * namespace. Every reader of /proc goes through procfs_root.
 */
#ifndef DEVMEM_PROCFS_H
#define DEVMEM_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "devmem_abi.h"

/*
 * The root of procfs, "/proc" unless a test points it at a fixture tree
 * laid out the same way.
 */
extern const char *procfs_root;

/* A stat line's fields that the tools read. */
struct procfs_stat {
	char comm[DEVMEM_COMM_LEN];	/* may hold spaces and parentheses */
	char state;			/* 'R', 'S', 'D', 'Z'... */
	bool has_counts;		/* the line went on to num_threads and starttime */
	long threads;			/* num_threads (field 20) */
	unsigned long long start_time;	/* starttime (field 22), in clock ticks */
};

/*
 * /proc/PID/stat, or /proc/PID/task/TID/stat when tid is not 0, under
 * root (NULL: procfs_root). Returns 0, or -errno: -ENOENT or -ESRCH when
 * it is gone, -EIO when it reads empty, -EINVAL when it is no stat line.
 */
int procfs_stat(const char *root, uint32_t pid, uint32_t tid, struct procfs_stat *st);
/* This boot's id (/proc/sys/kernel/random/boot_id) without its newline; "" if unreadable. */
void procfs_boot_id(char *buf, size_t len);
/* Are we in the initial pid namespace, where the records' pids are ours? */
bool procfs_in_init_pidns(void);

#endif
