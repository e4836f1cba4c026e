// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "iomem.h"
#include "readfile.h"

const char *iomem_path = "/proc/iomem";

int iomem_parse(const char *text, struct iomem *io)
{
	size_t cap = 0;
	const char *line, *nl;

	memset(io, 0, sizeof(*io));
	for (line = text; line && *line; line = nl ? nl + 1 : NULL) {
		unsigned long long start, end;
		char name[256];
		int indent = 0, used = 0;
		size_t len;

		nl = strchr(line, '\n');
		len = nl ? (size_t)(nl - line) : strlen(line);
		while (line[indent] == ' ')
			indent++;
		if (sscanf(line + indent, "%llx-%llx : %n", &start, &end, &used) != 2 || !used ||
		    (size_t)(indent + used) >= len || end < start)
			continue;
		len -= indent + used;
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, line + indent + used, len);
		name[len] = 0;
		if (io->n == cap) {
			struct iomem_res *p = realloc(io->res, (cap = cap ? cap * 2 : 64) * sizeof(*p));

			if (!p) {
				iomem_free(io);
				return -ENOMEM;
			}
			io->res = p;
		}
		io->res[io->n].start = start;
		io->res[io->n].end = end;
		io->res[io->n].depth = indent / 2;	/* the kernel indents by two per level */
		pgmap_clean_name(io->res[io->n].name, sizeof(io->res[io->n].name), name);
		io->n++;
	}
	return 0;
}


char *iomem_text(size_t *len)
{
	return host_read_file(iomem_path, len);
}

int iomem_load(struct iomem *io)
{
	char *text = iomem_text(NULL);
	int e;

	memset(io, 0, sizeof(*io));
	if (!text)
		return -errno;
	e = iomem_parse(text, io);
	free(text);
	return e;
}
