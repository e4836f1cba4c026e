/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * devmemtop as a Prometheus exporter (docs/metrics.md):
 * --web.listen-address serves /metrics, over TLS and with basic auth as
 * --web.config.file says; --textfile writes the same exposition for
 * node_exporter's textfile collector, and removes it on the way out.
 * Both show the state as of the last interval.
 */
#ifndef DEVMEMTOP_EXPORTER_H
#define DEVMEMTOP_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include "devmemtop.h"
#include "options.h"	/* DEVMEM_EXPORTER_PORT */


struct exporter_opts {
	const char *listen;	/* ADDR:PORT, or NULL */
	const char *web_config;	/* --web.config.file, or NULL */
	const char *textfile;	/* path, or NULL */
	size_t max_procs;
};

/*
 * Read the web configuration and listen (before attaching, so a wrong
 * file or a taken port fails at once); *usage on a malformed address or
 * configuration. Warns on stderr when serving beyond loopback without
 * TLS or without authentication. Returns 0 or -1 with err set.
 */
int exporter_open(const struct exporter_opts *o, bool *usage, char *err, size_t errlen);
/* After each devmemtop_collect(): new exposition, textfile written.
 * Returns 0, or -1 if the textfile could not be written (err says why). */
int exporter_interval(struct top *t, char *err, size_t errlen);
/* Whether /metrics is served over TLS. */
bool exporter_tls(void);
/* Serve scrapers for up to timeout_ms; 0 or -errno. */
int exporter_poll(int timeout_ms);
/* Stop serving; the textfile is removed, so nobody reads it as current. */
void exporter_close(void);

#endif
