/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel addresses to "symbol+0xoff", from /proc/kallsyms. */
#ifndef DEVMEM_KSYMS_H
#define DEVMEM_KSYMS_H

#include <stddef.h>
#include <stdint.h>

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *syms;
	size_t n;
	char *names;
};

int ksyms_load(struct ksyms *k);	/* 0, or -errno */
/* Writes "name+0xoff" (or the hex address) to buf. */
const char *ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t len);
void ksyms_free(struct ksyms *k);

#endif
