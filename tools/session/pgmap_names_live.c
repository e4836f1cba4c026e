// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The names of a recording's pgmaps, resolved where it runs: kallsyms and
 * /proc/iomem are this machine's, and a report may be read on another.
 * Kept apart from pgmap_names.c, which needs no BPF session (unit tests).
 */
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "devmem_maps.h"
#include "devmem.skel.h"
#include "debugfs.h"
#include "late_start.h"
#include "pgmap_host.h"
#include "pgmap_names.h"
#include "pgmap_names_live.h"

int pgmap_names_record(struct dmt_writer *w, const struct devmem_session *s,
		       const char *debugfs_path)
{
	struct pgmap_namer nm = { .src = &pgmap_host_source };
	struct devmem_state st = { 0 };
	struct debugfs_pgmaps dp;
	struct devmem_pgmap_meta v;
	__u64 key, next, *prev = NULL;
	int fd = bpf_map__fd(s->skel->maps.pgmap_meta), rc;
	char *text;
	size_t len;

	/* The pgmaps that existed at the end, and every one the BPF side saw. */
	if (!debugfs_pgmaps_read(debugfs_path, &dp)) {
		devmem_state_seed_lines(&st, &dp.lines);
		debugfs_pgmaps_free(&dp);
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (!bpf_map_lookup_elem(fd, &next, &v) && v.start) {
			struct devmem_pgmap_row *r;

			devmem_state_pgmap_meta(&st, next, v.start, v.end, v.type, v.owner,
						v.nr_pages);
			r = devmem_state_pgmap(&st, next);
			if (r)
				r->ops = v.ops;
		}
		key = next;
		prev = &key;
	}
	pgmap_namer_update(&nm, &st);
	text = pgmap_names_format(&st, &len);
	rc = text ? dmt_write_chunk(w, DMT_CHUNK_PGMAP_NAMES, text, len) : -1;
	free(text);
	pgmap_namer_free(&nm);
	devmem_state_free(&st);
	return rc;
}
