/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devmem-wl's helpers (dmirror.c): test_hmm's device files and commands,
 * buffers filled with a pattern, and its exit codes.
 */
#ifndef DEVMEM_WL_DMIRROR_H
#define DEVMEM_WL_DMIRROR_H

#include <stddef.h>
#include <stdint.h>

#define EXIT_MISMATCH 1
#define EXIT_SETUP 2

extern size_t page_size;	/* set by main() */

/* Says what failed and why (errno), then exits with EXIT_SETUP. */
__attribute__((noreturn)) void die(const char *what);
int dmirror_open(int dev);
/* One test_hmm command over npages at addr; returns cmd.cpages. */
uint64_t dmirror_cmd(int fd, unsigned long req, void *addr, void *ptr, size_t npages);
/* Migrate npages at buf between system and device memory; returns pages moved. */
uint64_t dmirror_migrate(int fd, unsigned long req, char *buf, size_t npages);
/* Pages whose snapshot says they sit in this device's memory. */
size_t pages_on_device(int fd, char *buf, size_t npages);
/* The same, retried until every page is where it was sent; returns n. */
uint64_t migrate_all(int fd, unsigned long req, char *buf, size_t n);
/* Runs $DEVMEM_WL_MIDWAY, if set, while the pages sit in device memory. */
void midway(void);

static inline uint64_t pattern(size_t page, size_t word)
{
	return (page << 20 | word) ^ 0x5a5a5a5a00000000ull;
}

/* Map npages of private anonymous memory and fill every page. */
char *buf_map(size_t npages);
/* Read every page from the CPU; returns how many still hold the pattern. */
size_t buf_intact(const char *buf, size_t npages);

#endif
