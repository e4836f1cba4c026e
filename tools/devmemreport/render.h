/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef DEVMEMREPORT_RENDER_H
#define DEVMEMREPORT_RENDER_H

#include <stddef.h>
#include "collect.h"

/* Long-term and CoW listings, the timeline, and what is still out. */
void render_listings(const struct report *r, const char *stacks, size_t limit);
void render_csv(const struct report *r);
/* Files created 0600 (output.h); 0, or -1 with errno. */
int render_perfetto(const struct report *r, const char *path);
int render_svg(const struct report *r, const char *path);
/* Folded stacks (docs/folded.md) to path, "-" for stdout: what replay
 * gathered (r->want_folded) and the pages still out. 0, or -1 (errno). */
int render_folded(struct report *r, const char *stacks, const char *path);
/* Stack lookup in a trace's STACKS chunk; ctx is that text. */
const char *stacks_in_file(void *ctx, int32_t id, char *buf, size_t len);

#endif
