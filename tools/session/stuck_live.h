/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The BPF side's fault_spins table into a struct devmem_spins (stuck.h). */
#ifndef DEVMEM_STUCK_LIVE_H
#define DEVMEM_STUCK_LIVE_H

#include "attach.h"
#include "stuck.h"

/*
 * Replace s's entries with the table's; entries that have not moved for
 * DEVMEM_SPIN_FORGET_NS are deleted from it. 0, or -errno.
 */
int devmem_spins_read(struct devmem_spins *s, const struct devmem_session *sess, uint64_t now_ns);

#endif
