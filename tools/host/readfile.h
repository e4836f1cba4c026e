/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The host layer's one buffer policy: a host file (debugfs, /proc/iomem)
 * is read whole, into a buffer that grows until the end of the file. No
 * reader cuts a file at a size of its own.
 */
#ifndef DEVMEM_READFILE_H
#define DEVMEM_READFILE_H

#include <stddef.h>

/*
 * All of path, NUL-terminated, malloc'd; *len (may be NULL) its length.
 * NULL with errno when it cannot be opened, or without memory. A read
 * error ends the text where it happened, as a short read would: seq_file
 * files give what they can.
 */
char *host_read_file(const char *path, size_t *len);

#endif
