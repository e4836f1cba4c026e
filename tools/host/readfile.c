// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "readfile.h"

#define READ_FIRST (1 << 14)

char *host_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
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
