/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Processes that come and go under a live view (devmemtop). Rows of
 * processes that have exited and hold no device pages are removed, with
 * their BPF proc_counts entries, once the outputs have shown them exited;
 * a dead process that still holds pages stays: that is a leak. A recording
 * (devmemreport, devmemleak) keeps every process and never calls this.
 *
 * One interval of a live view, in this order:
 *   devmem_procs_probe(st, .., false)   rows known: still alive?
 *   read the kernel's totals, each through devmem_procs_kernel_totals()
 *   devmem_procs_probe(st, .., true)    rows just made: note their start
 *   devmem_procs_evict()                remove, then mark what is shown
 * Probing before the read makes the read after a process was found gone
 * hold all it ever did (final_read); anything new on its tgid after that
 * is a new process that got the pid (docs/devmemtop.md, "Processes").
 */
#ifndef DEVMEM_PROCS_H
#define DEVMEM_PROCS_H

#include <stddef.h>
#include <stdint.h>
#include "state.h"

enum devmem_liveness { DEVMEM_PROC_UNKNOWN, DEVMEM_PROC_ALIVE, DEVMEM_PROC_GONE };

/* Is pid alive, and since when (*start_time, any stable unit)? */
typedef enum devmem_liveness (*devmem_proc_probe_fn)(void *ctx, uint32_t pid,
						     uint64_t *start_time);
/*
 * The probe of this system: /proc/PID/stat's starttime (field 22), from
 * the procfs at ctx (a const char *, NULL for "/proc"). Only meaningful in
 * the initial pid namespace, where the BPF side's tgids are ours.
 */
enum devmem_liveness devmem_proc_probe_procfs(void *ctx, uint32_t pid, uint64_t *start_time);

/*
 * Probe rows not yet known to be gone: only those never probed (just made)
 * if only_new. A row whose process is gone, or whose pid now belongs to a
 * process that started at another time, is marked exited.
 */
void devmem_procs_probe(struct devmem_state *st, devmem_proc_probe_fn probe, void *ctx,
			bool only_new);

/*
 * One kernel entry's numbers (summed over CPUs) into the row of its tgid.
 * If that row's process is gone and the entry shows something it cannot
 * have done (any count grew), the tgid is another process's now: the old
 * row is retired, frozen as it was, and a new row shows the entry minus
 * what the old one had. NULL without memory.
 */
struct devmem_proc_row *devmem_procs_kernel_totals(struct devmem_state *st, uint32_t pid,
						   const char *comm,
						   const struct devmem_proc_counters *c);

/* The kernel entry's numbers that a row has read: its own plus its base. */
void devmem_proc_raw(const struct devmem_proc_row *r, struct devmem_proc_counters *out);

/*
 * Remove rows of exited processes that hold no pages and were shown
 * exited, with these numbers, in the last interval's outputs; forget
 * (NULL: nothing to forget, as with -p) deletes their kernel entries
 * first. Then mark every exited row as shown: the caller prints next.
 * Rows keep their order; returns how many were removed.
 */
size_t devmem_procs_evict(struct devmem_state *st, devmem_proc_forget_fn forget, void *ctx);

#endif
