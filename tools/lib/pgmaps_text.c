// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmem_abi.h"
#include "pgmaps_text.h"
#include "state.h"

/* The type's number from its name, one past the last when not known. */
static uint32_t type_of(const char *name)
{
	uint32_t t;

	for (t = 1; t <= DEVMEM_PGMAP_P2PDMA; t++)
		if (!strcmp(name, devmem_pgmap_type_name(t)))
			break;
	return t;
}

int devmem_pgmap_lines_parse(const char *text, struct devmem_pgmap_lines *l)
{
	char type[32], id[32], owner[32];
	unsigned long long start, end, nr, live;
	size_t cap = 0;
	const char *line;

	memset(l, 0, sizeof(*l));
	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		struct devmem_pgmap_line *v;

		if (sscanf(line, "# read_ns %llu %llu", &start, &end) == 2) {
			l->has_read_ns = true;
			l->read_from_ns = start;
			l->read_to_ns = end;
			continue;
		}
		if (line[0] == '#' || sscanf(line, "%31s %31s %llx %llx %31s %llu %llu",
					     id, type, &start, &end, owner, &nr, &live) != 7)
			continue;
		if (l->n == cap) {
			v = realloc(l->v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			l->v = v;
		}
		v = &l->v[l->n++];
		v->start = start;
		v->end = end;
		v->nr_pages = nr;
		v->live = live;
		v->type = type_of(type);
	}
	return 0;
}

void devmem_pgmap_lines_free(struct devmem_pgmap_lines *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int64_t devmem_pgmap_lines_live(const struct devmem_pgmap_lines *l, uint64_t start)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].start == start)
			return (int64_t)l->v[i].live;
	return -1;
}
