// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "devmem.skel.h"
#include "stacks.h"

#define MAX_FRAMES 32

const char *devmem_stack_text(const struct devmem_session *s, const struct ksyms *k,
			      int32_t id, char *buf, size_t len)
{
	uint64_t ips[MAX_FRAMES] = { 0 };
	uint32_t key = id;

	buf[0] = 0;
	if (id < 0 || bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.stacks), &key, ips))
		return buf;
	return ksyms_stack_text(k, ips, MAX_FRAMES, buf, len);
}
