/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one exit-code table of the four tools (docs/exit-codes.md). Each
 * tool's --help prints its rows with devmem_print_exit_codes(), and a test
 * checks that the document and the table say the same.
 */
#ifndef DEVMEM_EXIT_CODES_H
#define DEVMEM_EXIT_CODES_H

#include <stdio.h>

enum devmem_exit {
	DEVMEM_EXIT_OK = 0,
	DEVMEM_EXIT_ERROR = 1,		/* runtime error */
	DEVMEM_EXIT_USAGE = 2,		/* bad option: nothing was run */
	DEVMEM_EXIT_PERM = 3,		/* not allowed to load BPF programs */
	DEVMEM_EXIT_NOTHING = 4,	/* nothing to trace: no tracepoints, no fallback */
	DEVMEM_EXIT_NO_BTF = 5,		/* kernel without BTF */
	DEVMEM_EXIT_TRUNCATED = 6,	/* trace ends inside a chunk: read up to it */
	DEVMEM_EXIT_CORRUPT = 7,	/* trace damaged: nothing reported */
	DEVMEM_EXIT_SALVAGED = 8,	/* --salvage skipped damaged chunks */
	DEVMEM_EXIT_WRITE = 9,		/* a recording or a report cut short by a write error */
	DEVMEM_EXIT_NO_DUMP = 10,	/* devmemcore: the dump cannot be read */
	DEVMEM_EXIT_MISMATCH = 11,	/* devmemcore: the vmlinux is not the dumped kernel */
	DEVMEM_EXIT_NO_DEBUGINFO = 12,	/* devmemcore: no DWARF for the kernel */
	DEVMEM_EXIT_NO_VMCOREINFO = 13,	/* devmemcore: no VMCOREINFO and no vmlinux */
	DEVMEM_EXIT_LEAKS = 23,		/* devmemleak: leaks (--error-exitcode) */
	DEVMEM_EXIT_NO_VERDICT = 24,	/* devmemleak: cannot judge, says why */
};

/* Which tools a row applies to. */
#define DEVMEM_TOOL_TOP		(1u << 0)
#define DEVMEM_TOOL_REC		(1u << 1)
#define DEVMEM_TOOL_REPORT	(1u << 2)
#define DEVMEM_TOOL_LEAK	(1u << 3)
#define DEVMEM_TOOL_CORE	(1u << 4)

struct devmem_exit_code {
	int code;
	const char *name;
	unsigned int tools;
	const char *meaning;
};

extern const struct devmem_exit_code devmem_exit_codes[];
extern const unsigned int devmem_nr_exit_codes;

/* "Exit status:" and the rows for tool, as --help shows them. */
void devmem_print_exit_codes(FILE *f, unsigned int tool);

#endif
