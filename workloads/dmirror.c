// SPDX-License-Identifier: GPL-2.0
/*
 * devmem-wl's helpers: test_hmm's device files and commands, and buffers
 * of private anonymous memory filled with a pattern the CPU can check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dmirror.h"
#include "hmm_uapi.h"

size_t page_size;

void die(const char *what)
{
	fprintf(stderr, "devmem-wl: %s: %s\n", what, strerror(errno));
	exit(EXIT_SETUP);
}

int dmirror_open(int dev)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/dev/hmm_dmirror%d", dev);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die(path);
	return fd;
}

/* One test_hmm command over npages at addr; returns cmd.cpages. */
uint64_t dmirror_cmd(int fd, unsigned long req, void *addr, void *ptr,
		     size_t npages)
{
	struct hmm_dmirror_cmd cmd = {
		.addr = (uintptr_t)addr,
		.ptr = (uintptr_t)ptr,
		.npages = npages,
	};

	while (ioctl(fd, req, &cmd))
		if (errno != EINTR)
			die("test_hmm ioctl");
	return cmd.cpages;
}

/*
 * Migrate npages at buf between system and device memory. test_hmm copies
 * the data it moved to cmd.ptr, so that must be a separate buffer: pointed
 * at buf itself, the copy would fault device private pages straight back.
 */
uint64_t dmirror_migrate(int fd, unsigned long req, char *buf,
			 size_t npages)
{
	char *mirror = malloc(npages * page_size);
	uint64_t moved;

	if (!mirror)
		die("malloc");
	moved = dmirror_cmd(fd, req, buf, mirror, npages);
	free(mirror);
	return moved;
}

/* Pages whose snapshot says they sit in this device's memory. */
size_t pages_on_device(int fd, char *buf, size_t npages)
{
	unsigned char *prot = calloc(npages, 1);
	size_t i, n = 0;

	if (!prot)
		die("calloc");
	dmirror_cmd(fd, HMM_DMIRROR_SNAPSHOT, buf, prot, npages);
	for (i = 0; i < npages; i++) {
		unsigned char where = prot[i] & HMM_DMIRROR_PROT_WHERE_MASK;

		n += where == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL ||
		     where == HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL;
	}
	free(prot);
	return n;
}

/*
 * With DEVMEM_WL_MIDWAY set, run it through the shell while the pages sit
 * in device memory, so a test can look at the system in that state.
 */
void midway(void)
{
	const char *cmd = getenv("DEVMEM_WL_MIDWAY");

	if (cmd && system(cmd))
		fprintf(stderr, "devmem-wl: DEVMEM_WL_MIDWAY command failed\n");
}

/* Map npages of private anonymous memory and fill every page. */
char *buf_map(size_t npages)
{
	char *buf = mmap(NULL, npages * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i, w, words = page_size / sizeof(uint64_t);

	if (buf == MAP_FAILED)
		die("mmap");
	for (i = 0; i < npages; i++)
		for (w = 0; w < words; w++)
			((uint64_t *)(buf + i * page_size))[w] = pattern(i, w);
	return buf;
}

/* Read every page from the CPU; returns how many still hold the pattern. */
size_t buf_intact(const char *buf, size_t npages)
{
	size_t i, w, words = page_size / sizeof(uint64_t), n = 0;

	for (i = 0; i < npages; i++) {
		const uint64_t *p = (const uint64_t *)(buf + i * page_size);
		bool ok = true;

		for (w = 0; w < words; w++)
			ok &= p[w] == pattern(i, w);
		n += ok;
	}
	return n;
}

/*
 * Migration is best effort: with other tasks migrating at the same time a
 * page can be busy (locked, or held in another CPU's LRU batch) and is
 * skipped, and test_hmm then fails a migration to the device with ENOENT
 * although it moved the rest. A driver retries; so does this, until the
 * page tables say every page is where it was sent. Returns n.
 */
uint64_t migrate_all(int fd, unsigned long req, char *buf, size_t n)
{
	char *mirror = malloc(n * page_size);
	size_t want = req == HMM_DMIRROR_MIGRATE_TO_DEV ? n : 0;
	int tries;

	if (!mirror)
		die("malloc");
	for (tries = 0; tries < 1000; tries++) {
		struct hmm_dmirror_cmd cmd = { .addr = (uintptr_t)buf,
					       .ptr = (uintptr_t)mirror, .npages = n };

		if (ioctl(fd, req, &cmd) && errno != ENOENT && errno != EINTR)
			die("test_hmm ioctl");
		if (pages_on_device(fd, buf, n) == want)
			break;
	}
	free(mirror);
	if (tries == 1000) {
		errno = EBUSY;
		die("migration does not complete");
	}
	return n;
}
