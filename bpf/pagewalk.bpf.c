// SPDX-License-Identifier: GPL-2.0
/*
 * The struct page walk (docs/pagewalk.md): for a tool started after the
 * pages were handed out, such as one started because memunmap_pages() hangs,
 * read a pgmap's struct pages through the vmemmap and hand back each page or
 * folio in use, and find pgmaps from physical ranges.
 *
 * Both programs are BPF_PROG_TYPE_SYSCALL, run with BPF_PROG_TEST_RUN: no
 * attach point, sleepable (a long walk does not hold off preemption or an
 * RCU grace period; the run only disables migration), and their helpers
 * (syscall_prog_func_proto() -> tracing_prog_func_proto() ->
 * bpf_base_func_proto(), on 6.12 and 7.3) include bpf_probe_read_kernel()
 * (with CAP_PERFMON, unless lockdown forbids reading kernel memory) and
 * bpf_loop().
 * Inputs and outputs are globals in .bss, which user space has mmapped.
 * One run does at most DEVMEM_WALK_STEPS steps; user space goes on from
 * where it stopped.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "core_fixes.bpf.h"
#include "pagewalk_abi.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u64 vmemmap_base_addr;	/* &vmemmap_base, 0 if not dynamic */
const volatile __u32 walk_steps = DEVMEM_WALK_STEPS;	/* per run; tests make it small */

#define X86_VMEMMAP_DEFAULT	0xffffea0000000000UL
#define PAGE_SHIFT		12
/* The vmemmap of 52 bits of physical memory (5-level paging): 64 bytes a page */
#define VMEMMAP_BYTES		(1ULL << 46)
/* enum memory_type: MEMORY_DEVICE_PRIVATE (1) to MEMORY_DEVICE_PCI_P2PDMA (5) */
#define MEMORY_TYPE_FIRST	1
#define MEMORY_TYPE_LAST	5

/* The walk: [walk_next, walk_end) of pfns; only pages of walk_pgmap (0: any). */
__u64 walk_next, walk_end, walk_pgmap;
__s32 walk_free_ref;		/* a free page's refcount: 0, or 1 for MEMORY_DEVICE_GENERIC */
__u32 walk_n;			/* folios in walk_out */
__u64 walk_pages, walk_unreadable, walk_foreign;	/* pages stepped over, by kind */
struct devmem_walk_folio walk_out[DEVMEM_WALK_OUT_MAX];

/* The scan: [scan_next, scan_end) probed every scan_stride pfns. */
__u64 scan_next, scan_end, scan_stride;
__u32 scan_n;
struct devmem_walk_pgmap scan_out[DEVMEM_SCAN_OUT_MAX];

static __u64 vmemmap;

static __always_inline void learn_vmemmap(void)
{
	__u64 base = X86_VMEMMAP_DEFAULT;

	if (vmemmap)
		return;
	if (vmemmap_base_addr)
		bpf_probe_read_kernel(&base, sizeof(base), (void *)vmemmap_base_addr);
	vmemmap = base;
}

/*
 * A walked pgmap whose struct pages are its pages array (Jordan Niethe's
 * series, docs/kernels-next.md): its "pfns" are device private offsets,
 * offset first + i naming pages[i], as device_private_offset_to_page()
 * does. 0: the pages are in the vmemmap. Compile-tested only: no kernel
 * the tests boot has the series.
 */
static __u64 walk_array, walk_array_first, walk_array_pages;

static __always_inline __u64 page_addr(__u64 pfn)
{
	if (walk_array)	/* 0 outside the array: the read fails, unreadable */
		return pfn - walk_array_first < walk_array_pages ?
		       walk_array + (pfn - walk_array_first) * bpf_core_type_size(struct page) : 0;
	return vmemmap + pfn * bpf_core_type_size(struct page);
}

/* The walk's pgmap: its pages array, where it has one. */
static __always_inline void learn_array(void)
{
	const struct dev_pagemap___dp *dp = (const void *)walk_pgmap;

	walk_array = 0;
	/* A constant: without the series, the verifier never sees the reads below. */
	if (!devmem_private_pages_array() || !walk_pgmap)
		return;
	walk_array = devmem_pgmap_pages((const void *)walk_pgmap);
	if (!walk_array)
		return;
	walk_array_first = BPF_CORE_READ((const struct dev_pagemap *)walk_pgmap, range.start) >>
			   PAGE_SHIFT;
	walk_array_pages = BPF_CORE_READ(dp, nr_pages);
}

/* The words of a struct page this file reads, from one probe read. */
struct page_words {
	__u64 flags, word1, pgmap;
	__s32 refcount, mapcount;
	bool head, tail;
};

#define PAGE_BYTES 64	/* struct page is 64 bytes on x86-64 (56 without memcg) */

static __always_inline __u32 clamp_off(__u32 off, __u32 size)
{
	return off <= PAGE_BYTES - size ? off : PAGE_BYTES - size;
}

/* 0, or -1 when the struct page cannot be read (no memmap there). */
static __always_inline int read_page(__u64 pfn, struct page_words *w)
{
	__u8 buf[PAGE_BYTES];
	__u32 off;

	if (bpf_probe_read_kernel(buf, sizeof(buf), (void *)page_addr(pfn)))
		return -1;
	w->flags = *(__u64 *)buf;	/* the first word in every layout */
	/*
	 * The word after flags: compound_head (compound_info since 7.1),
	 * bit 0 set on a tail page, else the pgmap of a ZONE_DEVICE head
	 * or order-0 page (devmem_page_pgmap(), core_fixes.bpf.h).
	 */
	w->word1 = *(__u64 *)(buf + 8);
	off = clamp_off(devmem_pgmap_offset(), 8);
	w->pgmap = *(__u64 *)(buf + off);
	off = clamp_off(bpf_core_field_offset(struct page, _refcount), 4);
	w->refcount = *(__s32 *)(buf + off);
	off = clamp_off(bpf_core_field_offset(struct page, _mapcount), 4);
	w->mapcount = *(__s32 *)(buf + off) + 1;
	w->tail = w->word1 & 1;
	w->head = !w->tail && (w->flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head)));
	return 0;
}

/* Order and mapcount of the large folio whose head is at pfn. */
static __always_inline void read_large(__u64 pfn, struct devmem_walk_folio *f)
{
	__u64 addr = page_addr(pfn), f1 = 0;
	__s32 mc = -1;

	if (!bpf_core_field_exists(struct folio, _flags_1))
		return;
	bpf_probe_read_kernel(&f1, sizeof(f1),
			      (void *)(addr + bpf_core_field_offset(struct folio, _flags_1)));
	f->order = f1 & 0xff;	/* folio_large_order() */
	if (f->order > 30)
		f->order = 30;
	if (bpf_core_field_exists(struct folio, _large_mapcount)) {
		bpf_probe_read_kernel(&mc, sizeof(mc),
				      (void *)(addr + bpf_core_field_offset(struct folio,
									    _large_mapcount)));
		f->mapcount = mc + 1;
	}
}

static long walk_step(__u64 i, void *ctx)
{
	__u64 pfn = walk_next;
	struct page_words w;
	__u32 n = walk_n;
	struct devmem_walk_folio *f;

	if (pfn >= walk_end || n >= DEVMEM_WALK_OUT_MAX)
		return 1;
	walk_next = pfn + 1;
	walk_pages++;
	if (read_page(pfn, &w)) {
		walk_unreadable++;
		return 0;
	}
	/* A tail's pgmap word is its head; a head or order-0 page has its own. */
	if (!w.tail && walk_pgmap && w.pgmap != walk_pgmap) {
		walk_foreign++;
		return 0;
	}
	if (w.refcount <= walk_free_ref)
		return 0;
	f = &walk_out[n];
	f->pfn = pfn;
	f->order = 0;
	f->refcount = w.refcount;
	f->mapcount = w.mapcount;
	f->flags = w.tail ? DEVMEM_WALK_F_TAIL : 0;
	if (w.head) {
		read_large(pfn, f);
		/* The tails of a folio in use are its own: step over them. */
		walk_next = pfn + (1ULL << f->order);
		walk_pages += (1ULL << f->order) - 1;
	}
	walk_n = n + 1;
	return 0;
}

SEC("syscall")
int pagewalk(void *ctx)
{
	learn_vmemmap();
	learn_array();
	walk_n = 0;
	bpf_loop(walk_steps, walk_step, NULL, 0);
	return 0;
}

/*
 * memunmap_pages() kills pgmap->ref (__PERCPU_REF_DEAD, bit 1 of
 * percpu_count_ptr), switches it to atomic mode, which folds the per-CPU
 * counts into data->count less PERCPU_COUNT_BIAS, and drops the initial
 * reference: what is left is what it waits for. Until the switch is done
 * (an RCU grace period) the count still holds the bias, which makes it
 * negative as a long.
 */
static __always_inline void pgmap_ref_state(struct dev_pagemap *pg, struct devmem_walk_pgmap *out)
{
	unsigned long pcp = BPF_CORE_READ(pg, ref.percpu_count_ptr);
	long count = BPF_CORE_READ(pg, ref.data, count.counter);

	out->ref_dead = !!(pcp & 2);
	out->ref_count = out->ref_dead && count >= 0 ? count : -1;
}

/*
 * A pgmap pointer read from a page is believed only if the dev_pagemap it
 * points to has a range that covers the page: for a page outside ZONE_DEVICE
 * the word is something else (lru.next), and that is what rules it out.
 */
static __always_inline int pgmap_covering(__u64 p, __u64 pfn, struct devmem_walk_pgmap *out)
{
	struct dev_pagemap *pg = (void *)p;
	__u64 phys = pfn << PAGE_SHIFT, base;
	int nr = 0, i;

	__u32 type = 0;

	/* Not a kernel address (4- or 5-level), or a struct page's (an lru link) */
	if ((__s64)p >= 0 || (p >= vmemmap && p < vmemmap + VMEMMAP_BYTES))
		return -1;
	if (bpf_core_read(&nr, sizeof(nr), &pg->nr_range) || nr < 1 || nr > 64)
		return -1;
	if (bpf_core_read(&type, sizeof(type), &pg->type) || type < MEMORY_TYPE_FIRST ||
	    type > MEMORY_TYPE_LAST)
		return -1;
	base = p + bpf_core_field_offset(struct dev_pagemap, range);
	for (i = 0; i < DEVMEM_SCAN_MAX_RANGES && i < nr; i++) {
		__u64 r[2] = {};

		if (bpf_probe_read_kernel(r, sizeof(r), (void *)(base + i * sizeof(r))))
			return -1;
		/* memremap_pages() ranges are whole pages */
		if (r[0] <= phys && phys <= r[1] && !(r[0] & 0xfff) && !((r[1] + 1) & 0xfff)) {
			out->pgmap = p;
			out->start = r[0];
			out->end = r[1];
			out->nr_range = nr;
			out->type = type;
			out->ops = (__u64)BPF_CORE_READ(pg, ops);
			out->owner = (__u64)BPF_CORE_READ(pg, owner);
			pgmap_ref_state(pg, out);
			return 0;
		}
	}
	return -1;
}

static long scan_step(__u64 i, void *ctx)
{
	struct devmem_walk_pgmap found = {};
	__u64 pfn = scan_next, at = pfn;
	struct page_words w;
	__u32 n = scan_n, k;

	if (pfn >= scan_end || n >= DEVMEM_SCAN_OUT_MAX)
		return 1;
	scan_next = pfn + (scan_stride ? scan_stride : 1);
	if (read_page(pfn, &w))
		return 0;
	/* On a tail: its head is aligned to the folio's order. */
	for (k = 1; w.tail && k <= DEVMEM_SCAN_MAX_ORDER; k++) {
		at = pfn & ~((1ULL << k) - 1);
		if (read_page(at, &w))
			return 0;
	}
	if (w.tail || pgmap_covering(w.pgmap, at, &found))
		return 0;
	scan_out[n] = found;
	scan_n = n + 1;
	/* Go on after this range, on the stride's grid. */
	if ((found.end >> PAGE_SHIFT) + 1 > scan_next)
		scan_next = (found.end >> PAGE_SHIFT) + 1;
	return 0;
}

SEC("syscall")
int pgmap_scan(void *ctx)
{
	learn_vmemmap();
	walk_array = 0;		/* the scan reads the vmemmap only */
	scan_n = 0;
	bpf_loop(walk_steps, scan_step, NULL, 0);
	return 0;
}
