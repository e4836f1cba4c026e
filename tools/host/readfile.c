// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "readfile.h"

#define READ_FIRST (1 << 14)

static struct {
	const char *path;
	int fd;
} kept[HOST_KEPT_FILES];

int host_keep_open(const char *path)
{
	size_t i;

	for (i = 0; i < HOST_KEPT_FILES; i++) {
		if (kept[i].path && !strcmp(kept[i].path, path))
			return 0;
		if (!kept[i].path) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				return -errno;
			kept[i].path = path;
			kept[i].fd = fd;
			return 0;
		}
	}
	return -ENOSPC;
}

FILE *host_open_file(const char *path)
{
	size_t i;
	int fd;
	FILE *f;

	for (i = 0; i < HOST_KEPT_FILES && kept[i].path; i++) {
		if (strcmp(kept[i].path, path))
			continue;
		/* a duplicate shares the open file, its opener's credentials and its offset */
		if (lseek(kept[i].fd, 0, SEEK_SET) < 0 || (fd = fcntl(kept[i].fd, F_DUPFD_CLOEXEC, 0)) < 0)
			return NULL;
		f = fdopen(fd, "r");
		if (!f)
			close(fd);
		return f;
	}
	return fopen(path, "re");
}

void host_close_kept(void)
{
	size_t i;

	for (i = 0; i < HOST_KEPT_FILES && kept[i].path; i++)
		close(kept[i].fd);
	memset(kept, 0, sizeof(kept));
}

char *host_read_file(const char *path, size_t *len)
{
	FILE *f = host_open_file(path);
	size_t cap = READ_FIRST, n = 0;
	char *buf, *p;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		size_t want = cap - 1 - n, got = fread(buf + n, 1, want, f);

		n += got;
		if (got < want)
			break;	/* the end, or an error: what came is the text */
		p = realloc(buf, cap * 2);
		if (!p) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = p;
		cap *= 2;
	}
	fclose(f);
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}
