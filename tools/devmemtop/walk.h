/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * devmemtop's struct page walk at start (docs/pagewalk.md): the walk is
 * late start's (session/late_start_live.h); this shows what it found.
 */
#ifndef DEVMEMTOP_WALK_H
#define DEVMEMTOP_WALK_H

#include "devmemtop.h"
#include "json.h"

/* Find and walk every pgmap; how many were walked, or <0 (said on stderr). */
int walk_at_start(struct top *t, size_t max_listed);
/* The row's "pages_walk" object, if it was walked. */
void walk_json(struct json *j, const struct devmem_pgmap_row *r);
/* The text section: a line per walked pgmap. */
void walk_text(const struct top *t);

#endif
