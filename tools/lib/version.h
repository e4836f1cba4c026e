/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef DEVMEM_VERSION_H
#define DEVMEM_VERSION_H

#include <stdio.h>

/* "TOOL VERSION (devmemscope; ...)" for --version: the release (VERSION)
 * and the formats it reads and writes. */
void devmem_print_version(FILE *f, const char *tool);
const char *devmem_release(void);	/* "0.4.0" */

#endif
