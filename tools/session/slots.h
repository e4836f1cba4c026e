/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Giving per-CPU slots back to the BPF side (a live view's pgmap_counts
 * and proc_counts). A slot is queued when its row goes, then released in
 * one batch per interval: every CPU's cached slot is made stale, a fence
 * waits for every program that may still hold it, and only then is it
 * zeroed and put on the BPF side's free queue. So no program can add to a
 * slot after it was zeroed for its next owner.
 */
#ifndef DEVMEM_SLOTS_H
#define DEVMEM_SLOTS_H

#include <stdbool.h>
#include <stdint.h>
#include "attach.h"

/*
 * Make what releasing needs now, while the tool may still create BPF
 * maps: the fence's inner map. An exporter that dropped CAP_BPF could
 * not make it later, and no slot would ever come back. 0 or -errno.
 */
int devmem_slots_prepare(struct devmem_session *s);
/* Queue a proc_counts slot whose proc_slot entry is gone; false without memory. */
bool devmem_slot_return_proc(struct devmem_session *s, uint32_t slot);
/*
 * A devmem_pgmap_forget_fn (state.h) on pgmap_retired (ctx: the struct
 * devmem_session): delete the retired entry key and queue its slot.
 */
bool devmem_pgmap_forget_kernel(void *ctx, uint64_t key);
/*
 * Release what was queued: stale caches, fence, zero, free queue. Slots
 * that cannot be released now stay queued for the next call. How many
 * were released.
 */
size_t devmem_slots_release(struct devmem_session *s);
void devmem_slots_free(struct devmem_session *s);

#endif
