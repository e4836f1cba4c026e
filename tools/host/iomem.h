/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /proc/iomem, the one reader: the whole file, parsed into the resources
 * the pgmap namer looks a range up in (struct iomem, pgmap_names.h).
 * Without root the kernel shows every address as 0.
 */
#ifndef DEVMEM_IOMEM_H
#define DEVMEM_IOMEM_H

#include <stddef.h>
#include "pgmap_names.h"

/* "/proc/iomem", unless a test points it at a fixture. */
extern const char *iomem_path;

/* Parse /proc/iomem text; 0, or -ENOMEM. Lines it cannot read are skipped. */
int iomem_parse(const char *text, struct iomem *io);
/* Read iomem_path whole and parse it: 0, or -errno (then io is empty). */
int iomem_load(struct iomem *io);
/* iomem_path's text, whole and malloc'd (the page walk's ranges); NULL with errno. */
char *iomem_text(size_t *len);

#endif
