// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "exit_codes.h"
#include "options.h"

#define ALL (DEVMEM_TOOL_TOP | DEVMEM_TOOL_REC | DEVMEM_TOOL_REPORT | DEVMEM_TOOL_LEAK | \
	     DEVMEM_TOOL_CORE)
#define LIVE (DEVMEM_TOOL_TOP | DEVMEM_TOOL_REC)

/* Keep in step with docs/exit-codes.md: tests/unit.sh compares them. */
const struct devmem_exit_code devmem_exit_codes[] = {
	{ 0, "ok", ALL & ~DEVMEM_TOOL_LEAK, "success" },
	{ 1, "error", ALL & ~DEVMEM_TOOL_LEAK, "runtime error (I/O, BPF maps, memory)" },
	{ 2, "usage", ALL, "bad option or argument; nothing was run" },
	{ 3, "perm", LIVE, "not allowed to load BPF programs" },
	{ 4, "nothing", LIVE, "nothing to trace: no devmem tracepoints and no fallback attaches" },
	{ 5, "no_btf", LIVE, "the kernel has no BTF" },
	{ 6, "truncated", DEVMEM_TOOL_REPORT,
	  "the file ends inside a chunk; the report covers everything before it" },
	{ 7, "corrupt", DEVMEM_TOOL_REPORT, "the file is damaged; nothing reported (try --salvage)" },
	{ 8, "salvaged", DEVMEM_TOOL_REPORT,
	  "--salvage skipped damaged chunks (named on stderr); the rest is reported" },
	{ 9, "write", DEVMEM_TOOL_REC | DEVMEM_TOOL_REPORT,
	  "writing failed (disk full, I/O error), the file named on stderr: devmemrec's recording holds every whole chunk before it; devmemreport's output is incomplete" },
	{ 10, "no_dump", DEVMEM_TOOL_CORE,
	  "the dump cannot be read: missing, not an ELF core, kdump file or /proc/kcore, or cut short" },
	{ 11, "mismatch", DEVMEM_TOOL_CORE,
	  "the vmlinux is not the dumped kernel (its linux_banner differs), or a dump without VMCOREINFO is of a relocated (KASLR) kernel" },
	{ 12, "no_debuginfo", DEVMEM_TOOL_CORE,
	  "no DWARF for the kernel: the vmlinux has none, is not an ELF file, or none was found" },
	{ 13, "no_vmcoreinfo", DEVMEM_TOOL_CORE,
	  "the dump has no VMCOREINFO note and no vmlinux (-k) was given to place the kernel by" },
	{ 23, "leaks", DEVMEM_TOOL_LEAK,
	  "leaked device pages or pgmap references (change with --error-exitcode)" },
	{ 24, "no_verdict", DEVMEM_TOOL_LEAK,
	  "no verdict: events lost, COMMAND could not start, a report could not be written, or the tool failed; the report (or stderr) says why" },
	{ -1, "command", DEVMEM_TOOL_REC | DEVMEM_TOOL_LEAK,
	  "otherwise COMMAND's own status (a signal N gives 128+N, as in a shell); COMMAND not run: 128+N when a signal N stopped us first, 127 when it could not start" },
};
const unsigned int devmem_nr_exit_codes = sizeof(devmem_exit_codes) / sizeof(devmem_exit_codes[0]);

void devmem_print_exit_codes(FILE *f, unsigned int tool)
{
	unsigned int i;

	fputs("Exit status:\n", f);
	for (i = 0; i < devmem_nr_exit_codes; i++) {
		const struct devmem_exit_code *e = &devmem_exit_codes[i];

		if (!(e->tools & tool))
			continue;
		if (e->code < 0)
			fputs("  *   ", f);
		else
			fprintf(f, "  %-3d ", e->code);
		devmem_print_wrapped(f, e->meaning, 6, 6);
	}
}
