/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The counters of devmem_counters.h as tables that views iterate: each
 * row is one counter, with its names in every view and where it sits in
 * struct devmem_pgmap_counts or struct devmem_proc_counters. JSON, CSV,
 * the text tables and the metrics print these; none lists a counter by
 * hand.
 */
#ifndef DEVMEM_COUNTERS_TABLE_H
#define DEVMEM_COUNTERS_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "devmem_counters.h"
#include "json.h"

struct devmem_counter {
	const char *name;	/* field, JSON and CSV name */
	unsigned int views;	/* CV_JSON, CV_CSV */
	const char *title;	/* text column title; NULL: not in text */
	int width;
	const char *metric, *help;
	size_t off;		/* in the counters struct */
	bool is_signed;
};

struct devmem_counter_set {
	const struct devmem_counter *c;
	size_t n;
};

extern const struct devmem_counter_set devmem_pgmap_counter_set, devmem_proc_counter_set;

static inline int64_t devmem_counter_i64(const struct devmem_counter *k, const void *counts)
{
	int64_t v;

	__builtin_memcpy(&v, (const char *)counts + k->off, sizeof(v));
	return v;
}

static inline uint64_t devmem_counter_u64(const struct devmem_counter *k, const void *counts)
{
	return (uint64_t)devmem_counter_i64(k, counts);
}

/* Each JSON counter of the set as a field of the open object. */
void devmem_counters_json(struct json *j, const struct devmem_counter_set *set,
			  const void *counts);
/* ",name" for each CSV counter, and ",value". */
void devmem_counters_csv_header(FILE *f, const struct devmem_counter_set *set);
void devmem_counters_csv(FILE *f, const struct devmem_counter_set *set, const void *counts);
/* The counter as text: signed or not. */
const char *devmem_counter_text(const struct devmem_counter *k, const void *counts, char *buf,
				size_t len);
/* " %*s" of each titled counter: the titles, then a row's values. */
void devmem_counters_text_header(FILE *f, const struct devmem_counter_set *set);
void devmem_counters_text(FILE *f, const struct devmem_counter_set *set, const void *counts);

#endif
