/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What devmemreport keeps beyond the shared state: listings and samples. */
#ifndef DEVMEMREPORT_COLLECT_H
#define DEVMEMREPORT_COLLECT_H

#include "folded.h"
#include "leaks.h"
#include "tracefile.h"

/* Live pages of one pgmap row at one moment. */
struct sample {
	uint64_t ts_ns;
	uint32_t row;
	int64_t live;
};

struct report {
	struct leak_tracker t;	/* extended by report_ops(): report_of() */
	struct devmem_rec_longterm *longterm;
	size_t nlongterm, caplongterm;
	struct devmem_rec_cow *cow;
	size_t ncow, capcow;
	struct devmem_rec_pgmap *life;	/* pgmap create and destroy */
	size_t nlife, caplife;
	struct devmem_rec_pgmap_wait *ends;	/* teardowns that ended */
	size_t nends, capends;
	struct sample *samples;	/* kept only for --perfetto and --svg */
	size_t nsamples, capsamples;
	bool want_samples;
	struct folded folded;	/* kept only for --folded */
	bool want_folded;
	uint64_t first_ts, last_ts;
};

/* The leak tracker's callbacks, extended; ctx is &rep->t.st, as for them. */
const struct devmem_ops *report_ops(void);
void report_free(struct report *r);
/*
 * Read the file at path into rep (want_samples and want_folded set
 * first): a scan for what it says about itself (into first), then its
 * records (info). Returns an enum dmt_read_status, err saying why.
 */
int report_read(struct report *rep, const char *path, unsigned int flags,
		struct dmt_info *first, struct dmt_info *info, char *err, size_t errlen);

#endif
