// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "version.h"
#include "devmem_abi.h"
#include "tracefile.h"
#include "release.h"	/* generated from VERSION by the Makefile */

void devmem_print_version(FILE *f, const char *tool)
{
	fprintf(f, "%s %s (devmemscope; record ABI %d, trace format %d.%d)\n", tool,
		DEVMEM_RELEASE, DEVMEM_ABI_VERSION, DMT_VERSION_MAJOR, DMT_VERSION_MINOR);
}

const char *devmem_release(void)
{
	return DEVMEM_RELEASE;
}
