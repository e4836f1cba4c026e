/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The host layer's one buffer policy: a host file (debugfs, /proc/iomem)
 * is read whole, into a buffer that grows until the end of the file. No
 * reader cuts a file at a size of its own.
 */
#ifndef DEVMEM_READFILE_H
#define DEVMEM_READFILE_H

#include <stddef.h>
#include <stdio.h>

/*
 * All of path, NUL-terminated, malloc'd; *len (may be NULL) its length.
 * NULL with errno when it cannot be opened, or without memory. A read
 * error ends the text where it happened, as a short read would: seq_file
 * files give what they can.
 */
char *host_read_file(const char *path, size_t *len);

/*
 * Keep path open, so that later reads go through this open file: what
 * procfs shows depends on the opener's capabilities when the file was
 * opened (/proc/kallsyms' addresses, /proc/iomem's ranges), and a tool
 * that drops its capabilities keeps seeing what it saw before. 0 or
 * -errno; at most HOST_KEPT_FILES paths.
 */
#define HOST_KEPT_FILES 4
int host_keep_open(const char *path);
/* path for reading from its start: through the kept file when there is one. */
FILE *host_open_file(const char *path);
void host_close_kept(void);

#endif
