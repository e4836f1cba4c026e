/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A kernel task as a report names it: a recording says who it was, a live
 * tool also reads its state and stack from procfs (tools/host/ktasks.c).
 */
#ifndef DEVMEM_TASK_H
#define DEVMEM_TASK_H

#include <stdint.h>
#include "devmem_abi.h"

#define KTASK_STACK_LEN 1024

struct ktask {
	uint32_t pid, tid;
	char comm[DEVMEM_COMM_LEN];
	char state;			/* /proc stat's: 'D' uninterruptible, 0 gone */
	char stack[KTASK_STACK_LEN];	/* function names, leaf first, ';'-joined;
					 * "" when unreadable */
};

#endif
