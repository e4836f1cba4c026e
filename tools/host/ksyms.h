/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Kernel addresses to "symbol+0xoff", from /proc/kallsyms. */
#ifndef DEVMEM_KSYMS_H
#define DEVMEM_KSYMS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ksym {
	uint64_t addr;
	char *name;
};

struct ksyms {
	struct ksym *syms;
	size_t n;
	char *names;
};

/* No kernel function is this long: farther from a symbol is unnamed. */
#define KSYMS_MAX_FUNC_SIZE (1ULL << 20)

int ksyms_load(struct ksyms *k);	/* 0, or -errno */
int ksyms_read(struct ksyms *k, FILE *f);	/* kallsyms text from f */
/* Writes "name+0xoff" (or the hex address) to buf. */
const char *ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t len);
/*
 * "frame;frame;..." from the leaf, without the tracer's frames at the leaf
 * (the BPF program and trampoline, then the tracepoint's); buf, or "" for
 * no frames. ips ends at nips or the first 0.
 */
const char *ksyms_stack_text(const struct ksyms *k, const uint64_t *ips, size_t nips,
			     char *buf, size_t len);
void ksyms_free(struct ksyms *k);

#endif
