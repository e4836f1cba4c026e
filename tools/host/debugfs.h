/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * debugfs's list of live pgmaps (kpatches/), the one reader: the whole
 * file in the host layer's one buffer policy (readfile.h), its lines
 * parsed once (pgmaps_text.h). The kernel walks every struct page of
 * every pgmap to write it: read it only when it is needed.
 */
#ifndef DEVMEM_DEBUGFS_H
#define DEVMEM_DEBUGFS_H

#include <stddef.h>
#include "pgmaps_text.h"

/*
 * zone_device/pgmaps with the 7.3 series, devmem/pgmaps with 6.12's: the
 * first that exists, else the first.
 */
const char *debugfs_pgmaps_path(void);

struct debugfs_pgmaps {
	char *text;		/* the file as read, NUL-terminated */
	size_t len;
	struct devmem_pgmap_lines lines;
};

/* Read path whole and parse it: 0, or -errno (then p is empty). */
int debugfs_pgmaps_read(const char *path, struct debugfs_pgmaps *p);
void debugfs_pgmaps_free(struct debugfs_pgmaps *p);
/* The text alone, malloc'd (a recording's PGMAPS chunk): NULL with errno. */
char *debugfs_pgmaps_text(const char *path, size_t *len);

#endif
