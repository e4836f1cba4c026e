/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Output shared by the tools: the same JSON for a pgmap or process row. */
#ifndef DEVMEM_OUTPUT_H
#define DEVMEM_OUTPUT_H

#include "json.h"
#include "state.h"

/* The fields of one row, inside an object the caller opened. */
void devmem_json_pgmap_fields(struct json *j, const struct devmem_pgmap_row *r);
void devmem_json_proc_fields(struct json *j, const struct devmem_proc_row *r);

#endif
