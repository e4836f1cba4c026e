/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Primitives every handler uses: kernel addresses as numbers, pfns,
 * drop counts, ring buffer reservations, a pgmap's meta entry.
 */
#ifndef DEVMEM_CORE_BPF_H
#define DEVMEM_CORE_BPF_H

static __u64 vmemmap;

/*
 * The verifier forbids arithmetic on the typed pointers tp_btf and fentry
 * programs get. Copied through the program's own stack by a helper, the
 * address is a scalar; nothing shared, so nesting programs cannot clash.
 * Works on scalars too (kprobe arguments); for rare events.
 */
static __always_inline __u64 addr_of(const void *p)
{
	const void *tmp = p;
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &tmp);
	return v;
}

/*
 * The same for the hot paths, without a helper call (a probe read costs
 * about twice an empty program under TCG, bench/run.sh's calibration). A
 * program that may leak pointers (CAP_PERFMON, which every tracing program
 * needs) may subtract one pointer from another: p - &events is a number,
 * and the map's own address, learned once, turns it into p's. Only for
 * BTF-typed pointers: a scalar minus a pointer is refused.
 */
static __u64 events_addr;

static __always_inline __u64 btf_addr(const void *p)
{
	__u64 d;

	if (!events_addr)
		events_addr = addr_of(&events);
	d = (__u64)p - (__u64)(const void *)&events;
	barrier_var(d);
	return d + events_addr;
}

static __always_inline void drop(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline void count_event(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&event_counts, &type);

	if (n)
		__sync_fetch_and_add(n, 1);
}

#include "fault_spin.bpf.h"

/* The pfn of a struct page (or folio) at address addr. */
static __always_inline __u64 pfn_of(__u64 addr)
{
	if (!vmemmap) {
		__u64 base = X86_VMEMMAP_DEFAULT;

		if (vmemmap_base_addr)
			bpf_probe_read_kernel(&base, sizeof(base), (void *)vmemmap_base_addr);
		vmemmap = base;
	}
	return (addr - vmemmap) / bpf_core_type_size(struct page);
}

static __always_inline __u64 page_to_pfn(const void *page)
{
	return pfn_of(addr_of(page));
}

/*
 * Waking the reader for every record costs more than the record: wake it
 * only once a good amount is waiting. Readers poll with a timeout anyway.
 */
#define WAKEUP_BYTES (256 << 10)

static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* A record for the ring buffer, or NULL; tgid decides the pid filter. */
static __always_inline void *reserve_for(__u32 type, __u32 size, __u32 tgid)
{
	struct devmem_rec_hdr *h;
	__u64 id;

	if (!emit_records || (filter_pid && tgid != filter_pid))
		return NULL;
	id = bpf_get_current_pid_tgid();
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		drop(DEVMEM_DROP_RINGBUF);
		return NULL;
	}
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	return h;
}

static __always_inline __u32 current_pid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline void *reserve(__u32 type, __u32 size)
{
	return reserve_for(type, size, current_pid());
}

/* What the BPF side knows of a pgmap, learned from the kernel the first time. */
static __always_inline struct devmem_pgmap_meta *pgmap_meta_of(__u64 pgmap)
{
	struct devmem_pgmap_meta *m, zero = {};
	const struct dev_pagemap *pg = (const void *)pgmap;

	if (!pgmap)
		return NULL;
	m = bpf_map_lookup_elem(&pgmap_meta, &pgmap);
	if (m)
		return m;
	zero.type = BPF_CORE_READ(pg, type);
	zero.owner = (__u64)BPF_CORE_READ(pg, owner);
	zero.ops = (__u64)BPF_CORE_READ(pg, ops);
	zero.pages = devmem_pgmap_pages(pg);
	zero.start = BPF_CORE_READ(pg, range.start);
	zero.end = BPF_CORE_READ(pg, range.end);
	zero.nr_range = BPF_CORE_READ(pg, nr_range);
	zero.index_base = zero.pages ? pfn_of(zero.pages) : zero.start >> 12;
	/* Two CPUs learning the pgmap at once: one serial goes unused. */
	zero.serial = __sync_fetch_and_add(&next_pgmap_serial, 1) + 1;
	if (learn_fault_hooks)
		fault_hook_learn(pg, zero.type);
	/* A pgmap made before we started: its size from its first range. */
	if (zero.end > zero.start)
		zero.nr_pages = (zero.end - zero.start + 1) >> 12;
	if (bpf_map_update_elem(&pgmap_meta, &pgmap, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&pgmap_meta, &pgmap)) {
		drop(DEVMEM_DROP_PGMAP_MAP);
		return NULL;
	}
	return bpf_map_lookup_elem(&pgmap_meta, &pgmap);
}

#endif
