/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What each event does to the counters of devmem_counters.h, written once
 * and compiled twice: the BPF handlers (bpf/handlers.bpf.h) count live
 * totals with it, and the replay (tools/lib/state.c) counts a recording's
 * records with it, so a live view and a report cannot disagree on what an
 * event means. A handler passes what its record will hold; the replay
 * passes the record's fields.
 *
 * s is the pgmap's counters, p the process's: the one the event is
 * charged to (the caller, or for a free the page's owner). Either may be
 * NULL: not known, or no room to count it (counted as a drop elsewhere).
 */
#ifndef DEVMEMSCOPE_RULES_H
#define DEVMEMSCOPE_RULES_H

#include "devmem_abi.h"
#include "devmem_counters.h"

#ifdef __VMLINUX_H__
/* Several CPUs, and nested programs on one, add to the same totals. */
#define DEVMEM_ADD(field, n) __sync_fetch_and_add(&(field), (n))
#define DEVMEM_RULE static __always_inline
#else
#include <stdbool.h>
#define DEVMEM_ADD(field, n) ((field) += (n))
#define DEVMEM_RULE static inline __attribute__((always_inline))
#endif

/*
 * A page handed out: a page takes a pgmap reference with it, unless the
 * kernel says the reference comes as a get event of its own (v1 of 7.3's
 * series: DEVMEM_PAGE_REF_SEPARATE).
 */
DEVMEM_RULE void devmem_rule_page_init(struct devmem_pgmap_counts *s,
				       struct devmem_proc_counters *p, __u64 nr, __u32 flags)
{
	if (s) {
		DEVMEM_ADD(s->inits, nr);
		if (!(flags & DEVMEM_PAGE_REF_SEPARATE))
			DEVMEM_ADD(s->ref_inits, nr);
	}
	if (p) {
		DEVMEM_ADD(p->inits, nr);
		DEVMEM_ADD(p->held, nr);
	}
}

/*
 * The free of a private or coherent page is where its reference goes when
 * no put event comes for it: in the fallback modes (refs_on_free:
 * put_dev_pagemap() is inline, so no put is seen at all), and on 7.3's
 * series, whose folio events imply the folio's references
 * (DEVMEM_PAGE_FREE_DROPS_REFS) and whose puts are only put_dev_pagemap()'s.
 */
DEVMEM_RULE bool devmem_free_drops_ref(bool refs_on_free, __u32 flags, __u32 pgmap_type)
{
	return (refs_on_free || (flags & DEVMEM_PAGE_FREE_DROPS_REFS)) &&
	       (pgmap_type == DEVMEM_PGMAP_PRIVATE || pgmap_type == DEVMEM_PGMAP_COHERENT);
}

/* A page freed: it counts against whoever was handed it (p), not who freed it. */
DEVMEM_RULE void devmem_rule_folio_free(struct devmem_pgmap_counts *s,
					struct devmem_proc_counters *owner, __u64 nr,
					bool refs_on_free, __u32 flags, __u32 pgmap_type)
{
	if (s) {
		DEVMEM_ADD(s->frees, nr);
		if (devmem_free_drops_ref(refs_on_free, flags, pgmap_type))
			DEVMEM_ADD(s->ref_frees, nr);
	}
	if (owner)
		DEVMEM_ADD(owner->held, -(__s64)nr);
}

DEVMEM_RULE void devmem_rule_get_pgmap(struct devmem_pgmap_counts *s, __u64 nr)
{
	if (s)
		DEVMEM_ADD(s->gets, nr);
}

DEVMEM_RULE void devmem_rule_put_pgmap(struct devmem_pgmap_counts *s, __u64 nr)
{
	if (s)
		DEVMEM_ADD(s->puts, nr);
}

/*
 * A pgmap's references held now. Without put events a get is never
 * matched: it is counted, but not held as a reference.
 */
DEVMEM_RULE __s64 devmem_pgmap_refs(const struct devmem_pgmap_counts *s, bool refs_on_free)
{
	/* in unsigned arithmetic, which wraps: counts from a file may be anything */
	return (__s64)(s->ref_inits - s->ref_frees + (refs_on_free ? 0 : s->gets - s->puts));
}

/* A long-term pin's migration of coherent pages: failed ones stay put. */
DEVMEM_RULE void devmem_rule_longterm(struct devmem_pgmap_counts *s,
				      struct devmem_proc_counters *p, __u64 nr, int result)
{
	if (s) {
		if (result)
			DEVMEM_ADD(s->longterm_failed, nr);
		else
			DEVMEM_ADD(s->longterm, nr);
	}
	if (p && !result)
		DEVMEM_ADD(p->longterm, nr);
}

DEVMEM_RULE void devmem_rule_cow(struct devmem_pgmap_counts *s, struct devmem_proc_counters *p)
{
	if (s)
		DEVMEM_ADD(s->cow, 1);
	if (p)
		DEVMEM_ADD(p->cow, 1);
}

/* A CPU fault on a device private page; stuck: DEVMEM_FAULT_NO_PROGRESS. */
DEVMEM_RULE void devmem_rule_fault(struct devmem_pgmap_counts *s, struct devmem_proc_counters *p,
				   bool stuck)
{
	if (s) {
		DEVMEM_ADD(s->faults, 1);
		if (stuck)
			DEVMEM_ADD(s->faults_no_progress, 1);
	}
	if (p) {
		DEVMEM_ADD(p->faults, 1);
		if (stuck)
			DEVMEM_ADD(p->faults_no_progress, 1);
	}
}

/* A migration batch's finalize: the pages it moved each way. */
DEVMEM_RULE void devmem_rule_migrated(struct devmem_pgmap_counts *s,
				      struct devmem_proc_counters *p, __u64 to_dev, __u64 to_sys)
{
	if (s) {
		DEVMEM_ADD(s->to_device, to_dev);
		DEVMEM_ADD(s->to_system, to_sys);
	}
	if (p) {
		DEVMEM_ADD(p->to_device, to_dev);
		DEVMEM_ADD(p->to_system, to_sys);
	}
}

/* The fault latency histogram's bucket: floor(log2(ns)), capped. */
DEVMEM_RULE __u32 devmem_lat_bucket(__u64 ns)
{
	__u32 b = 0;

	/* without a loop the verifier has to unroll */
	if (ns >> 32) { ns >>= 32; b += 32; }
	if (ns >> 16) { ns >>= 16; b += 16; }
	if (ns >> 8) { ns >>= 8; b += 8; }
	if (ns >> 4) { ns >>= 4; b += 4; }
	if (ns >> 2) { ns >>= 2; b += 2; }
	if (ns >> 1)
		b += 1;
	return b < DEVMEM_LAT_BUCKETS ? b : DEVMEM_LAT_BUCKETS - 1;
}

#endif
