// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "devmem_maps.h"
#include "devmem.skel.h"
#include "stuck_live.h"

int devmem_spins_read(struct devmem_spins *s, const struct devmem_session *sess, uint64_t now_ns)
{
	int fd = bpf_map__fd(sess->skel->maps.fault_spins);
	__u32 key, next, *prev = NULL, stale[64];
	size_t nstale = 0, i;

	devmem_spins_clear(s);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct devmem_fault_spin v;
		struct devmem_spin e;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;	/* deleted by its thread meanwhile */
		/* Deleted after the walk: a delete would restart it. */
		if (devmem_spin_forget(v.last_ns, now_ns)) {
			if (nstale < sizeof(stale) / sizeof(stale[0]))
				stale[nstale++] = key;
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.pid = v.pid;
		e.tid = v.tid;
		memcpy(e.comm, v.comm, sizeof(e.comm));
		e.comm[sizeof(e.comm) - 1] = 0;
		e.pgmap = v.pgmap;
		e.pfn = v.pfn;
		e.address = v.address;
		e.first_ns = v.first_ns;
		e.last_ns = v.last_ns;
		e.repeats = v.repeats;
		if (devmem_spins_add(s, &e))
			return -ENOMEM;
	}
	/* More stale ones than that go at the next read. */
	for (i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	return 0;
}
