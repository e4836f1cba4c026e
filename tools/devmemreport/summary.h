/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* devmemreport's summary of a recording, as text or JSON (summary.c). */
#ifndef DEVMEMREPORT_SUMMARY_H
#define DEVMEMREPORT_SUMMARY_H

#include "collect.h"
#include "state.h"
#include "tracefile.h"

/* The header and the tables; warning: why the file is incomplete, or NULL. */
void summary_text(const char *path, const struct dmt_info *info, const struct devmem_state *st,
		  const char *warning);
/* Each teardown the recording left waiting, or that waited with pages out. */
void summary_teardowns(const struct report *rep, const struct dmt_info *info, double stall_s);
/* All of it as one JSON document; salvaged: the skipped ranges, or NULL. */
void summary_json(const char *path, const struct dmt_info *info, const struct report *rep,
		  const char *warning, const struct dmt_info *salvaged, double stall_s);

#endif
