/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Fallback modes (fentry, kprobe): device private faults through each
 * private pgmap's own ->migrate_to_ram(). The BPF side lists the callbacks
 * it finds in the pgmaps it meets (fault_hooks); here each new one is
 * named from kallsyms and gets the kp_fault_hook/krp_fault_hook pair,
 * attached at run time (an fentry target is fixed at load, and the driver
 * is known only once its pgmap is seen). See docs/devmemtop.md.
 */
#ifndef DEVMEM_FAULT_HOOKS_H
#define DEVMEM_FAULT_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct devmem_session;

/* Can this kernel take kprobes (the perf kprobe PMU or tracefs)? */
bool devmem_fault_hooks_possible(void);
/* Start hooking faults in this session (after load); 0 or -ENOMEM. */
int devmem_fault_hooks_init(struct devmem_session *s);
/*
 * Attach to the callbacks found since the last call (at most every 100 ms
 * unless force). Returns how many are hooked in all.
 */
size_t devmem_fault_hooks_update(struct devmem_session *s, bool force);
/* kretprobe instances that ran out on the hooks so far. */
uint64_t devmem_fault_hooks_missed(const struct devmem_session *s);
/* "name, name" of the hooked callbacks, "" for none. */
const char *devmem_fault_hooks_names(const struct devmem_session *s, char *buf, size_t len);
void devmem_fault_hooks_free(struct devmem_session *s);

#endif
