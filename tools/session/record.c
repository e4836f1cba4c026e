// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "devmem_maps.h"
#include "devmem.skel.h"
#include "record.h"

int devmem_pgmap_addr_line(const struct devmem_session *s, uint64_t pgmap, char *line,
			   size_t len)
{
	struct devmem_pgmap_meta v;
	__u64 key = pgmap;

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.pgmap_meta), &key, &v) || !v.start)
		return 0;
	return snprintf(line, len, "%#llx %#llx %#llx %u %#llx %llu\n",
			(unsigned long long)pgmap, (unsigned long long)v.start,
			(unsigned long long)v.end, v.type, (unsigned long long)v.owner,
			(unsigned long long)v.nr_pages);
}

/* What the BPF side learned of each pgmap address, for devmemreport: all of it. */
int devmem_write_pgmap_addrs(struct dmt_writer *w, const struct devmem_session *s)
{
	int fd = bpf_map__fd(s->skel->maps.pgmap_meta), e;
	struct devmem_pgmap_meta v;
	__u64 key, next, *prev = NULL;
	size_t n = 0, cap = 1 << 14;
	char *buf = malloc(cap);

	while (buf && !bpf_map_get_next_key(fd, prev, &next)) {
		if (n + 128 > cap) {
			char *p = realloc(buf, cap *= 2);

			if (!p)
				break;	/* what fits; the in-band lines have the rest */
			buf = p;
		}
		if (!bpf_map_lookup_elem(fd, &next, &v))
			n += snprintf(buf + n, cap - n, "%#llx %#llx %#llx %u %#llx %llu\n",
				      (unsigned long long)next, (unsigned long long)v.start,
				      (unsigned long long)v.end, v.type, (unsigned long long)v.owner,
				      (unsigned long long)v.nr_pages);
		key = next;
		prev = &key;
	}
	e = dmt_write_text(w, DMT_CHUNK_PGMAP_ADDRS, buf ? buf : "", n);
	free(buf);
	return e;
}
