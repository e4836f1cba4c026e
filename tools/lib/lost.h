/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One definition of "events lost", for every tool and every mode: live,
 * and from a recording's END chunk. An event is lost when it happened and
 * no record or count of it will ever reach user space, so a count built
 * from the rest may be wrong (a lost free looks like a leak):
 *  - every slot of the BPF "drops" array but DEVMEM_DROP_STACK: ring
 *    buffer full, pgmap maps full, proc map full, page owner table full,
 *    kretprobe/fentry runs missed;
 *  - BPF recursion misses (a program that did not run);
 *  - other: records the replay refused (bad records), pages or rows the
 *    user-space tracker had no memory for (OOM), ring buffer read errors,
 *    a recorder's write errors.
 * Not lost: no_stack (DEVMEM_DROP_STACK). A page handed out without its
 * allocation stack is still seen handed out and freed; only the report is
 * poorer ("(no stack)"). Tools show it apart, it never voids a verdict.
 */
#ifndef DEVMEM_LOST_H
#define DEVMEM_LOST_H

#include <stdint.h>
#include "devmem_abi.h"

/* Each drop slot's name, as END chunks and JSON output spell it. */
extern const char *const devmem_drop_names[DEVMEM_DROP_MAX];

uint64_t devmem_lost(const uint64_t drops[DEVMEM_DROP_MAX], uint64_t recursion_misses,
		     uint64_t other);
/*
 * The same from an END chunk's "key=value" text (devmemrec writes each
 * drop slot, recursion_misses, bad_records and write_errors). A recorder
 * that wrote only the "dropped" total is taken at that total (no_stack
 * included: the safe side). Returns 0, or -1 when neither is there.
 */
int devmem_lost_from_end(const char *end, uint64_t *lost, uint64_t *no_stack);

#endif
