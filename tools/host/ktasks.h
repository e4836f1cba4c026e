/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Tasks as procfs shows them now: a thread's kernel stack
 * (/proc/PID/task/TID/stack, root only, CONFIG_STACKTRACE) and its state,
 * and every thread whose stack holds a given function. A teardown report
 * names the task stuck in memunmap_pages() with where it is stuck now;
 * started after the hang, it finds that task by its stack. Under
 * procfs_root (procfs.h).
 */
#ifndef DEVMEM_KTASKS_H
#define DEVMEM_KTASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "task.h"
#include "teardown.h"

/*
 * Fill t for thread tid of process pid. Returns
 * 0, or -errno when the thread is gone (t->state 0). A stack the kernel
 * will not show (not root, no CONFIG_STACKTRACE) leaves t->stack "".
 */
int ktask_read(uint32_t pid, uint32_t tid, struct ktask *t);
/* Does the stack text (as above) hold the function fn as a whole frame? */
bool ktask_stack_has(const char *stack, const char *fn);
/*
 * Every thread blocked uninterruptibly ('D') whose kernel stack holds fn,
 * at most max of them in out[]: a stuck teardown or fault waits that way,
 * and only those threads' stacks are read. Returns how many there are
 * (which may exceed max), or -errno when procfs cannot be read.
 */
int ktasks_find(const char *fn, struct ktask *out, size_t max);
/*
 * A live tool's teardown report: its waiting task as procfs shows it now
 * (task_read). A task gone keeps the recorded pid and comm, state 0.
 */
void ktask_read_teardown(struct teardown_report *t);

#endif
