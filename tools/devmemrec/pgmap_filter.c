// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemrec --pgmap ID: the records of one pgmap, named as devmemtop's
 * --pgmap names it: its kernel address, its physical start, or its short
 * name ("test_hmm/hmm_dmirror#0"). Addresses are what the records carry;
 * a start or a name is matched once per pgmap, the first time a record
 * names it, from what the BPF side knows of it and the host's names (the
 * pgmaps of debugfs first, in its order, so that #N counts as in devmemtop
 * and devmemreport).
 */
#include <stdlib.h>
#include <string.h>
#include "late_start.h"
#include "kcounts.h"
#include "pgmap_filter.h"
#include "pgmap_host.h"

#define KEEP 1
#define DROP 2

int pgmap_filter_parse(struct pgmap_filter *f, const char *arg)
{
	memset(f, 0, sizeof(*f));
	return pgmap_id_parse(arg, &f->value, f->name, sizeof(f->name));
}

void pgmap_filter_begin(struct pgmap_filter *f, const struct devmem_session *s,
			const char *debugfs_text)
{
	f->namer.src = &pgmap_host_source;
	f->st.resolve = devmem_resolve_pgmap;
	f->st.resolve_ctx = (void *)s;
	if (debugfs_text)
		devmem_state_seed_text(&f->st, debugfs_text);
}

bool pgmap_filter_keeps(struct pgmap_filter *f, uint64_t pgmap)
{
	const struct devmem_pgmap_row *r;
	char name[sizeof(f->name)];
	uint64_t v;
	bool keep;

	if (!pgmap_filter_on(f))
		return true;
	if (pgmap == f->value)
		return true;
	if (!pgmap)
		return false;
	if (u64map_get(&f->verdict, pgmap, &v))
		return v == KEEP;
	r = devmem_state_pgmap(&f->st, pgmap);
	if (!r || !r->start)
		return false;	/* not described yet: asked again at its next record */
	if (f->name[0])
		pgmap_namer_update(&f->namer, &f->st);
	keep = f->name[0] ? !strcmp(pgmap_short_name(r, name, sizeof(name)), f->name) :
	       r->start == f->value;
	u64map_put(&f->verdict, pgmap, keep ? KEEP : DROP);	/* no memory: asked again */
	return keep;
}

void pgmap_filter_free(struct pgmap_filter *f)
{
	pgmap_namer_free(&f->namer);
	devmem_state_free(&f->st);
	u64map_free(&f->verdict);
}
