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

#endif
