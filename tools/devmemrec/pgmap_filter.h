/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* devmemrec --pgmap ID: which records of which pgmap are kept (pgmap_filter.c). */
#ifndef DEVMEMREC_PGMAP_FILTER_H
#define DEVMEMREC_PGMAP_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include "attach.h"
#include "pgmap_names.h"
#include "state.h"
#include "u64map.h"

struct pgmap_filter {
	uint64_t value;			/* a kernel address or a physical start; 0: by name */
	char name[3 * DEVMEM_NAME_LEN];	/* "driver/device#N", or "" */
	struct devmem_state st;		/* the pgmaps seen, to name them */
	struct pgmap_namer namer;
	struct u64map verdict;		/* pgmap address -> KEEP or DROP, once decided */
};

static inline bool pgmap_filter_on(const struct pgmap_filter *f)
{
	return f->value || f->name[0];
}

/* --pgmap's argument: a number (address or start) or a short name; 0 or -1. */
int pgmap_filter_parse(struct pgmap_filter *f, const char *arg);
/* Once attached: pgmaps described by the session, seeded from debugfs's text. */
void pgmap_filter_begin(struct pgmap_filter *f, const struct devmem_session *s,
			const char *debugfs_text);
/* Whether records naming pgmap are kept (those naming none are not, when on). */
bool pgmap_filter_keeps(struct pgmap_filter *f, uint64_t pgmap);
void pgmap_filter_free(struct pgmap_filter *f);

#endif
