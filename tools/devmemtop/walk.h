/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* devmemtop's struct page walk at start (walk.c, docs/pagewalk.md). */
#ifndef DEVMEMTOP_WALK_H
#define DEVMEMTOP_WALK_H

#include "devmemtop.h"
#include "json.h"
#include "pagewalk_model.h"

/* Find and walk every pgmap; how many were walked, or <0 (said on stderr). */
int walk_at_start(struct top *t, size_t max_listed);
/*
 * What the walk at start found for a row, NULL if it was not walked: for
 * the teardown report of a pgmap whose memunmap_pages() waits.
 */
const struct devmem_walk_summary *walk_summary(const struct devmem_pgmap_row *r);
/* The pgmap as the walk found it (its reference's state), or NULL. */
const struct devmem_walk_pgmap *walk_pgmap(const struct devmem_pgmap_row *r);
/* The row's "pages_walk" object, if it was walked. */
void walk_json(struct json *j, const struct devmem_pgmap_row *r);
/* The text section: a line per walked pgmap. */
void walk_text(const struct top *t);
void walk_free(void);

#endif
