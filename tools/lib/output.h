/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Output shared by the tools: the same JSON for a pgmap or process row. */
#ifndef DEVMEM_OUTPUT_H
#define DEVMEM_OUTPUT_H

#include "json.h"
#include "state.h"

/*
 * Set by --raw-addresses: outputs show pgmap addresses and owner cookies,
 * which are kernel addresses. Off, a pgmap goes by its short name
 * ("test_hmm/hmm_dmirror#0", pgmap_names.h).
 */
extern bool devmem_raw_addresses;

/* The fields of one row, inside an object the caller opened. */
void devmem_json_pgmap_fields(struct json *j, const struct devmem_pgmap_row *r);
/*
 * How text output names the pgmap at a kernel address: its short name, or
 * the address itself with --raw-addresses.
 */
const char *devmem_pgmap_label(const struct devmem_state *st, uint64_t pgmap, char *buf,
			       size_t len);
void devmem_json_proc_fields(struct json *j, const struct devmem_proc_row *r);

/*
 * A file a report goes to (a log, JUnit, folded stacks, Perfetto, SVG):
 * a new one is created 0600, as trace files are, since reports may hold
 * kernel addresses (--raw-addresses); an existing one (a log being
 * replaced, /dev/stderr, /dev/full) is truncated and its mode left alone:
 * it is not ours. NULL with errno set.
 */
FILE *devmem_report_open(const char *path);
/*
 * Flush and close a report file: 0, or -1 with errno saying why a write
 * failed (EIO when the error came earlier and its cause is gone).
 */
int devmem_report_close(FILE *f);

#endif
