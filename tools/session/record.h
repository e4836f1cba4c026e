/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a recording (devmemrec) takes from the BPF side beyond its records:
 * the pgmap addresses it learned, as PGMAP_DESC lines ahead of the records
 * and a PGMAP_ADDRS chunk at the end (docs/trace-format.md).
 */
#ifndef DEVMEM_RECORD_H
#define DEVMEM_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "attach.h"
#include "tracefile.h"

/*
 * The PGMAP_ADDRS line of one pgmap address, from the pgmap_meta map:
 * its length, or 0 when the map does not have it (it was full).
 */
int devmem_pgmap_addr_line(const struct devmem_session *s, uint64_t pgmap, char *line,
			   size_t len);
/* The PGMAP_ADDRS chunk: every pgmap address the BPF side learned. */
int devmem_write_pgmap_addrs(struct dmt_writer *w, const struct devmem_session *s);

#endif
