/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The exposition formats' primitives (expo.c), for metrics.c. */
#ifndef DEVMEM_EXPO_H
#define DEVMEM_EXPO_H

#include <stdint.h>
#include <stdio.h>
#include "metrics.h"

enum expo_kind { COUNTER, GAUGE, HISTOGRAM, INFO };

/* Add name="value" to l (dropped past DEVMEM_METRICS_MAX_LABELS). */
void expo_label(struct devmem_labels *l, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* name{labels,extra="xval"} value; the value is already text. */
void expo_sample(FILE *f, const char *name, const char *suffix, const struct devmem_labels *l,
		 const char *extra, const char *xval, const char *value);
/* Numbers as sample values, in b (32 bytes); secs: exact decimal seconds. */
const char *expo_u64(char *b, uint64_t v);
const char *expo_i64(char *b, int64_t v);
const char *expo_secs(char *b, uint64_t ns);
/* A family's HELP and TYPE lines, named as the format wants. */
void expo_family(FILE *f, enum devmem_metrics_format fmt, const char *name, enum expo_kind k,
		 const char *help);

#endif
