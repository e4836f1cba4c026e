/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * devmemtop as a Prometheus exporter (docs/metrics.md): --listen serves
 * /metrics, --textfile writes the same exposition for node_exporter's
 * textfile collector. Both show the state as of the last interval.
 */
#ifndef DEVMEMTOP_EXPORTER_H
#define DEVMEMTOP_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include "devmemtop.h"

struct exporter_opts {
	const char *listen;	/* ADDR:PORT, or NULL */
	const char *textfile;	/* path, or NULL */
	size_t max_procs;
};

/* Listen (before attaching, so a taken port fails at once); *usage on a
 * malformed address. Returns 0 or -1 with err set. */
int exporter_open(const struct exporter_opts *o, bool *usage, char *err, size_t errlen);
/* After each devmemtop_collect(): new exposition, textfile written.
 * Returns 0, or -1 if the textfile could not be written (err says why). */
int exporter_interval(struct top *t, char *err, size_t errlen);
/* Serve scrapers for up to timeout_ms; 0 or -errno. */
int exporter_poll(int timeout_ms);
/* Stop serving; the textfile is removed, so nobody reads it as current. */
void exporter_close(void);

#endif
