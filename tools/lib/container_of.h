/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * From a pointer to a member back to the struct that embeds it, as in the
 * kernel and in perf (builtin-report.c's struct report embeds struct
 * perf_tool). Replay callbacks (replay.h) are handed the struct
 * devmem_state they feed; a struct leak_tracker embeds one, a report
 * embeds a leak tracker, and each finds itself from it with this, so no
 * struct has to start with the one it extends.
 */
#ifndef DEVMEM_CONTAINER_OF_H
#define DEVMEM_CONTAINER_OF_H

#include <stddef.h>

/* ptr must point at member of a type: the assignment checks its type. */
#define container_of(ptr, type, member) ({				\
	const __typeof__(((type *)0)->member) *__mptr = (ptr);		\
	(type *)((char *)__mptr - offsetof(type, member)); })

#endif
