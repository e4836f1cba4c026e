/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pgmaps that come and go under a live view (devmemtop's kernel totals).
 * The BPF side retires a pgmap once its teardown ended (pgmap_retired in
 * devmem_maps.h); the next read gives its row the final totals
 * (retired_key). Once the outputs have shown it destroyed with them, its
 * totals are added to the history row of its type and range, its kernel
 * entry is forgotten and its slot given back. So a live view holds a row
 * per live pgmap and one per range that had dead ones, however many came
 * and went, and no total, of one range or of all, ever goes down.
 *
 * One interval: read the kernel's totals, devmem_pgmaps_evict(), release
 * the slots (tools/session/slots.h), then the outputs.
 */
#ifndef DEVMEM_PGMAPS_H
#define DEVMEM_PGMAPS_H

#include <stddef.h>
#include "state.h"

/*
 * Move rows of retired pgmaps shown destroyed in the last interval's
 * outputs into their range's history row, forgetting their kernel entries
 * first (a row whose entry cannot be forgotten stays for the next call);
 * then mark every retired row as shown: the caller prints next. Rows keep
 * their order; returns how many were removed.
 */
size_t devmem_pgmaps_evict(struct devmem_state *st, devmem_pgmap_forget_fn forget, void *ctx);

#endif
