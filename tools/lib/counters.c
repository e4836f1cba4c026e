// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stddef.h>
#include "counters.h"

#define IS_SIGNED(type) __builtin_types_compatible_p(type, devmem_s64)
#define PGMAP_ROW(type, f, views, title, width, metric, help)				\
	{ #f, views, title, width, metric, help, offsetof(struct devmem_pgmap_counts, f),	\
	  IS_SIGNED(type) },
#define PROC_ROW(type, f, views, title, width, metric, help)				\
	{ #f, views, title, width, metric, help, offsetof(struct devmem_proc_counters, f),	\
	  IS_SIGNED(type) },

static const struct devmem_counter pgmap_counters[] = { DEVMEM_PGMAP_COUNTERS(PGMAP_ROW) };
static const struct devmem_counter proc_counters[] = { DEVMEM_PROC_COUNTERS(PROC_ROW) };

const struct devmem_counter_set devmem_pgmap_counter_set = {
	pgmap_counters, sizeof(pgmap_counters) / sizeof(pgmap_counters[0])
};
const struct devmem_counter_set devmem_proc_counter_set = {
	proc_counters, sizeof(proc_counters) / sizeof(proc_counters[0])
};

void devmem_counters_json(struct json *j, const struct devmem_counter_set *set,
			  const void *counts)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct devmem_counter *k = &set->c[i];

		if (!(k->views & CV_JSON))
			continue;
		if (k->is_signed)
			json_i64(j, k->name, devmem_counter_i64(k, counts));
		else
			json_u64(j, k->name, devmem_counter_u64(k, counts));
	}
}

void devmem_counters_csv_header(FILE *f, const struct devmem_counter_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->c[i].views & CV_CSV)
			fprintf(f, ",%s", set->c[i].name);
}

const char *devmem_counter_text(const struct devmem_counter *k, const void *counts, char *buf,
				size_t len)
{
	if (k->is_signed)
		snprintf(buf, len, "%" PRId64, devmem_counter_i64(k, counts));
	else
		snprintf(buf, len, "%" PRIu64, devmem_counter_u64(k, counts));
	return buf;
}

void devmem_counters_csv(FILE *f, const struct devmem_counter_set *set, const void *counts)
{
	char buf[32];
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->c[i].views & CV_CSV)
			fprintf(f, ",%s", devmem_counter_text(&set->c[i], counts, buf, sizeof(buf)));
}

void devmem_counters_text_header(FILE *f, const struct devmem_counter_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->c[i].title)
			fprintf(f, " %*s", set->c[i].width, set->c[i].title);
}

void devmem_counters_text(FILE *f, const struct devmem_counter_set *set, const void *counts)
{
	char buf[32];
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->c[i].title)
			fprintf(f, " %*s", set->c[i].width,
				devmem_counter_text(&set->c[i], counts, buf, sizeof(buf)));
}
