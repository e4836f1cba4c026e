// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "iomem.h"
#include "ksyms.h"
#include "pgmap_host.h"

static void read_ksyms(struct pgmap_namer *nm)
{
	struct ksyms *k = nm->src_data;

	if (!k)
		k = nm->src_data = calloc(1, sizeof(*k));
	if (!k)
		return;
	ksyms_free(k);
	ksyms_load(k);	/* unreadable, or no memory: it names nothing */
}

static bool place(const struct pgmap_namer *nm, struct ksym_hit *h)
{
	const struct ksyms *k = nm->src_data;
	const struct ksym *s, *next;

	h->found = false;
	h->sym[0] = h->mod[0] = 0;
	h->off = 0;
	s = k ? ksyms_place(k, h->addr, &next) : NULL;
	if (!s)
		return false;
	h->found = true;
	h->off = h->addr - s->addr;
	snprintf(h->sym, sizeof(h->sym), "%s", ksyms_sym_name(k, s));
	snprintf(h->mod, sizeof(h->mod), "%s", ksyms_sym_mod(k, s));
	return !h->off || (next && !strcmp(ksyms_sym_mod(k, next), h->mod));
}

static void read_iomem(struct iomem *io)
{
	iomem_load(io);	/* unreadable: empty, names no device */
}

static void free_ksyms(struct pgmap_namer *nm)
{
	if (nm->src_data)
		ksyms_free(nm->src_data);
	free(nm->src_data);
	nm->src_data = NULL;
	/*
	 * The table's megabytes came from the heap's middle (libbpf's frees
	 * of BTF raised malloc's mmap threshold above their size), under
	 * what the intervals allocated since: without a trim they stay
	 * resident, free but never given back.
	 */
	malloc_trim(0);
}

const struct pgmap_name_source pgmap_host_source = {
	.read_ksyms = read_ksyms,
	.place = place,
	.read_iomem = read_iomem,
	.now_ns = host_now_ns,
	.free = free_ksyms,
};
