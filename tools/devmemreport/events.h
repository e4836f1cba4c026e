/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * devmemreport --events: every record of a recording, one line each in
 * time order, as perf script and trace-cmd report print theirs
 * (docs/devmemreport.md, "--events").
 */
#ifndef DEVMEMREPORT_EVENTS_H
#define DEVMEMREPORT_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "state.h"

/*
 * Records may come a little out of time order (each CPU takes its time
 * before it reserves its ring buffer slot): a record is printed once one
 * this much later has been read, the rest at the end.
 */
#define EVENTS_REORDER_NS 1000000000ull

struct events_env {
	FILE *out;
	const struct devmem_state *st;	/* the replayed file: pgmap names */
	const char *stacks;		/* the STACKS chunk, or NULL */
	bool with_stacks;		/* frames below each line that has them */
};

/* The records waiting for their turn: in a heap by time, then file order. */
struct events {
	const struct events_env *env;
	struct queued **heap;
	size_t n, cap;
	uint64_t seq, newest_ns, oom;
};

/*
 * Callbacks that queue each record (ctx: a struct events, zeroed but for
 * env), and the end of the replay: the rest printed, the heap freed;
 * returns the records it had no memory for.
 */
extern const struct devmem_ops events_queue_ops;
uint64_t events_finish(struct events *ev);

/*
 * Replay path (DMT_READ_* flags) and print its records to env->out.
 * Returns enum dmt_read_status; err says why for anything but OK.
 */
int events_dump(const char *path, unsigned int flags, const struct events_env *env, char *err,
		size_t errlen);

#endif
