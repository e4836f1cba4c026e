// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pure half of the struct page walk: see pagewalk_model.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmem_abi.h"
#include "pagewalk_model.h"

int32_t devmem_walk_free_refcount(uint32_t type)
{
	/*
	 * Since Linux 6.15 ("fs/dax: Fix ZONE_DEVICE page reference counts")
	 * only MEMORY_DEVICE_GENERIC pages are initialised and left free
	 * with a reference; private, coherent, fsdax and p2pdma pages sit at 0.
	 */
	return type == DEVMEM_PGMAP_GENERIC ? 1 : 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct devmem_pfn_range *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

static bool ignored_region(const char *name)
{
	return !strcmp(name, "System RAM") || !strncmp(name, "Kernel ", 7);
}

int devmem_iomem_scan_ranges(const char *text, struct devmem_pfn_range *out, size_t max)
{
	size_t n = 0, i, m;
	const char *p = text;

	while (p && *p) {
		const char *eol = strchr(p, '\n');
		unsigned long long s, e;
		char name[128];
		int used = 0;

		if (sscanf(p, " %llx-%llx : %n", &s, &e, &used) == 2 && used > 0) {
			size_t len = eol ? (size_t)(eol - p - used) : strlen(p + used);

			if (len >= sizeof(name))
				len = sizeof(name) - 1;
			memcpy(name, p + used, len);
			name[len] = 0;
			if (e >= s && (s || e) && !ignored_region(name)) {
				if (n == max)
					return -1;
				out[n].start = s >> 12;
				out[n].end = (e >> 12) + 1;
				n++;
			}
		}
		p = eol ? eol + 1 : NULL;
	}
	if (!n)
		return 0;
	qsort(out, n, sizeof(*out), cmp_range);
	for (i = 1, m = 0; i < n; i++) {
		if (out[i].start <= out[m].end) {
			if (out[i].end > out[m].end)
				out[m].end = out[i].end;
		} else {
			out[++m] = out[i];
		}
	}
	return (int)(m + 1);
}

int devmem_walk_summary_add(struct devmem_walk_summary *s, const struct devmem_walk_folio *f)
{
	uint32_t order = f->order > 30 ? 30 : f->order;

	s->in_use_pages += 1ULL << order;
	s->in_use_folios++;
	if (s->nr_listed >= s->max_listed) {
		s->not_listed++;
		return 0;
	}
	if (!s->listed) {
		s->listed = calloc(s->max_listed, sizeof(*s->listed));
		if (!s->listed) {
			s->not_listed++;
			return -ENOMEM;
		}
	}
	s->listed[s->nr_listed++] = *f;
	return 0;
}

void devmem_walk_summary_free(struct devmem_walk_summary *s)
{
	free(s->listed);
	s->listed = NULL;
	s->nr_listed = 0;
}

void devmem_walk_summary_json(struct json *j, const struct devmem_walk_summary *s)
{
	size_t i;

	json_bool(j, "complete", s->done && !s->error);
	json_u64(j, "in_use_pages", s->in_use_pages);
	json_u64(j, "in_use_folios", s->in_use_folios);
	json_u64(j, "pages_walked", s->pages_walked);
	json_u64(j, "unreadable_pages", s->unreadable);
	json_u64(j, "other_pgmap_pages", s->foreign);
	json_u64(j, "walk_ns", s->walk_ns);
	json_arr_open(j, "folios");
	for (i = 0; i < s->nr_listed; i++) {
		json_obj_open(j, NULL);
		json_hex(j, "pfn", s->listed[i].pfn);
		json_u64(j, "order", s->listed[i].order);
		json_i64(j, "refcount", s->listed[i].refcount);
		json_i64(j, "mapcount", s->listed[i].mapcount);
		json_obj_close(j);
	}
	json_arr_close(j);
	json_u64(j, "folios_not_listed", s->not_listed);
}
