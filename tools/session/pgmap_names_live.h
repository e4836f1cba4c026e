/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef DEVMEM_PGMAP_NAMES_LIVE_H
#define DEVMEM_PGMAP_NAMES_LIVE_H

#include "attach.h"
#include "tracefile.h"

/*
 * Write the PGMAP_NAMES chunk (docs/trace-format.md): driver and device
 * of every pgmap in debugfs and in the BPF side's pgmap_meta map, named
 * from this machine's kallsyms and /proc/iomem. 0, or -1.
 */
int pgmap_names_record(struct dmt_writer *w, const struct devmem_session *s,
		       const char *debugfs_path);

#endif
