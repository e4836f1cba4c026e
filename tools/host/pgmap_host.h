/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pgmap namer's facts from this machine: kallsyms (ksyms.h, kept
 * between reads), /proc/iomem (iomem.h) and the one clock. A live tool
 * names its pgmaps with
 *
 *	struct pgmap_namer nm = { .src = &pgmap_host_source };
 */
#ifndef DEVMEM_PGMAP_HOST_H
#define DEVMEM_PGMAP_HOST_H

#include "pgmap_names.h"

extern const struct pgmap_name_source pgmap_host_source;

#endif
