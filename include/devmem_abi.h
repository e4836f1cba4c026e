/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The devmemscope event ABI, shared by the BPF programs and user space, and
 * the body of the trace file format. Plain C, fixed-width types only: no
 * long, no pointers, no bool. Every record starts with struct devmem_rec_hdr:
 * a type tag and the size of the whole record, so a reader can skip what it
 * does not know.
 */
#ifndef DEVMEMSCOPE_ABI_H
#define DEVMEMSCOPE_ABI_H

#ifdef __VMLINUX_H__
/* BPF side: types come from vmlinux.h */
#else
#include <linux/types.h>
#endif

/*
 * 2: page records carry nr_pages (large device folios, Linux 6.19+),
 *    reference records nr, faults their ->migrate_to_ram() time; pgmap
 *    teardown waits. Readers take version 1 records, shorter, as if the
 *    new fields said one page, one reference, no time.
 * 3: no layout change: a folio free may drop its pgmap references
 *    (DEVMEM_PAGE_FREE_DROPS_REFS).
 * 4: page records carry the page's index in its pgmap, pgmap records the
 *    address space of their range: device private pages may have no pfn
 *    (docs/kernels-next.md). Readers give version 1-3 records the index
 *    pfn - (start >> 12) of their pgmap (tools/lib/state.c).
 */
#define DEVMEM_ABI_VERSION 4
#define DEVMEM_COMM_LEN 16

enum devmem_rec_type {
	DEVMEM_REC_PGMAP_CREATE = 1,	/* struct devmem_rec_pgmap */
	DEVMEM_REC_PGMAP_DESTROY = 2,	/* struct devmem_rec_pgmap */
	DEVMEM_REC_PAGE_INIT = 3,	/* struct devmem_rec_page: +1 reference */
	DEVMEM_REC_FOLIO_FREE = 4,	/* struct devmem_rec_page */
	DEVMEM_REC_GET_PGMAP = 5,	/* struct devmem_rec_pgmap_ref */
	DEVMEM_REC_PUT_PGMAP = 6,	/* struct devmem_rec_pgmap_ref */
	DEVMEM_REC_LONGTERM = 7,	/* struct devmem_rec_longterm */
	DEVMEM_REC_COW = 8,		/* struct devmem_rec_cow */
	DEVMEM_REC_FAULT = 9,		/* struct devmem_rec_fault */
	DEVMEM_REC_MIGRATE = 10,	/* struct devmem_rec_migrate */
	DEVMEM_REC_PGMAP_WAIT = 11,	/* struct devmem_rec_pgmap_wait (ABI 2) */
	DEVMEM_REC_TASK_FORK = 12,	/* struct devmem_rec_task */
	DEVMEM_REC_TASK_EXIT = 13,	/* struct devmem_rec_task */
	DEVMEM_REC_TYPE_MAX
};

/* Values of pgmap type fields: the kernel's enum memory_type. */
enum devmem_pgmap_type {
	DEVMEM_PGMAP_PRIVATE = 1,
	DEVMEM_PGMAP_COHERENT = 2,
	DEVMEM_PGMAP_FS_DAX = 3,
	DEVMEM_PGMAP_GENERIC = 4,
	DEVMEM_PGMAP_P2PDMA = 5,
};

struct devmem_rec_hdr {
	__u16 type;		/* enum devmem_rec_type */
	__u16 size;		/* of the whole record, header included */
	__u32 cpu;
	__u64 ts_ns;		/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 pid;		/* thread group id of the current task */
	__u32 tid;
	char comm[DEVMEM_COMM_LEN];
};

/*
 * A page's pfn where it has none: a device private page whose struct page
 * lies in its pgmap's pages array, outside the physical address space
 * (ABI 4). Such a page is named by its pgmap and index only.
 */
#define DEVMEM_PFN_NONE (~0ULL)
/*
 * The index of a page record from before ABI 4, as the replay hands it
 * on: the reader derives it from the pfn and the pgmap's range.
 */
#define DEVMEM_INDEX_FROM_PFN (~0ULL)

/* Values of devmem_rec_pgmap's space: what start and end address. */
enum devmem_space {
	DEVMEM_SPACE_PHYS = 0,		/* physical addresses; files before ABI 4 */
	DEVMEM_SPACE_DEVICE_PRIVATE = 1,	/* device private addresses (a pgmap with
					 * a pages array): never in /proc/iomem */
};

/* pgmap ids are the kernel's struct dev_pagemap addresses. */
struct devmem_rec_pgmap {
	struct devmem_rec_hdr hdr;
	__u64 pgmap;
	__u64 owner;
	__u64 start;		/* physical, first range */
	__u64 end;		/* inclusive */
	__u64 nr_pages;		/* all ranges */
	__u32 type;		/* enum devmem_pgmap_type */
	__u32 nr_range;
	__s32 error;		/* create: 0 or -errno */
	__u32 space;		/* enum devmem_space (ABI 4; 0 before) */
};

/* Page init and folio free: a folio of nr_pages pages, pfn its first. */
#define DEVMEM_PAGE_REF_SEPARATE 1	/* the init's pgmap references come as
					 * their own get record (Linux 7.3 series v1) */
#define DEVMEM_PAGE_FREE_DROPS_REFS 2	/* ABI 3: the free drops the folio's pgmap
					 * references, and no put record follows
					 * (Linux 7.3 series v2) */
struct devmem_rec_page {
	struct devmem_rec_hdr hdr;
	__u64 pfn;
	__u64 pgmap;
	__u32 type;
	__s32 stack_id;		/* kernel stack at page init, -1 if none */
	/* ABI 2 */
	__u32 nr_pages;		/* 1 << folio order */
	__u32 flags;		/* DEVMEM_PAGE_* */
	/* ABI 4 */
	__u64 index;		/* of pfn's page in its pgmap: the pages before it */
};

/* get: pgmap 0 means the lookup failed. put: pfn may be 0. */
struct devmem_rec_pgmap_ref {
	struct devmem_rec_hdr hdr;
	__u64 pfn;
	__u64 pgmap;
	/* ABI 2 */
	__u64 nr;		/* references taken or dropped */
	/* ABI 4 */
	__u64 index;		/* of the page in pgmap; meaningless where pfn is 0 */
};

struct devmem_rec_longterm {
	struct devmem_rec_hdr hdr;
	__u64 src_pfn;
	__u64 dst_pfn;		/* 0 unless result is 0 and the mode knows it */
	__u64 pgmap;
	__s32 result;
	__u32 pad;
	/* ABI 2 */
	__u64 nr_pages;
	/* ABI 4 */
	__u64 src_index;	/* src_pfn's page in pgmap (dst is a system page) */
};

struct devmem_rec_cow {
	struct devmem_rec_hdr hdr;
	__u64 old_pfn;
	__u64 new_pfn;
	__u64 pgmap;
	__u64 address;
	__u32 type;
	__u32 pad;
	/* ABI 4 */
	__u64 old_index;	/* old_pfn's page in pgmap (new is a system page) */
};

struct devmem_rec_fault {
	struct devmem_rec_hdr hdr;
	__u64 pfn;
	__u64 pgmap;
	__u64 address;
	__u32 ret;		/* vm_fault_t */
	__u32 flags;		/* DEVMEM_FAULT_*; 0 in files from before them */
	/* ABI 2 */
	__u64 latency_ns;	/* ->migrate_to_ram() took this long; 0 unknown */
	__u32 nr_pages;		/* of the faulting folio */
	__u32 pad2;
	/* ABI 4 */
	__u64 index;		/* of the faulting page in pgmap */
};

/*
 * The thread's previous fault was on the same page at the same address and
 * it migrated nothing to system memory since: this fault repeats one that
 * moved nothing (docs/counting.md, "Faults that move nothing").
 */
#define DEVMEM_FAULT_NO_PROGRESS	(1U << 0)

/* Fault latency histograms: bucket i holds [2^i, 2^(i+1)) ns. */
#define DEVMEM_LAT_BUCKETS 40

/* memunmap_pages() waiting for a pgmap's last references (ABI 2). */
enum devmem_wait_stage {
	DEVMEM_WAIT_BEGIN = 1,	/* live_pages still in use */
	DEVMEM_WAIT_END = 2,	/* waited wait_ns */
};

/*
 * BEGIN: hdr is the task that calls memunmap_pages() and waits; live_pages
 * is DEVMEM_LIVE_UNKNOWN where the kernel does not count them (fallback
 * modes: the reader knows them from the page records). END: the teardown
 * finished; wait_ns is the wait (tracepoints) or the whole call (fallback
 * modes, where only memunmap_pages() entry and return are seen).
 */
#define DEVMEM_LIVE_UNKNOWN (~0ULL)

struct devmem_rec_pgmap_wait {
	struct devmem_rec_hdr hdr;
	__u64 pgmap;
	__u64 live_pages;
	__u64 wait_ns;
	__u32 stage;		/* enum devmem_wait_stage */
	__u32 pad;
	/* added within ABI 2: older records are shorter, read as -1 */
	__s32 stack_id;		/* BEGIN: the waiting task's kernel stack, -1 none */
	__u32 pad2;
};

/*
 * Process tree, so a reader can tell which pages a command and its
 * descendants took (devmemleak's scope, docs/devmemleak.md). Emitted only
 * with records, in the same ring buffer, so in order with the page records:
 *  - TASK_FORK (sched_process_fork): a new process, not a new thread; hdr
 *    is the parent's task, parent_tgid its thread group, tgid the child's.
 *  - TASK_EXIT (sched_process_exit): the last thread of tgid exits, so the
 *    number may be reused from then on; parent_tgid is 0. Depending on the
 *    kernel the exit comes before (7.x) or after (6.x) the exit_mm() that
 *    frees the process's pages, so readers must not rely on either order.
 * Added within ABI 2: readers that predate them skip an unknown type.
 */
struct devmem_rec_task {
	struct devmem_rec_hdr hdr;
	__u32 parent_tgid;
	__u32 tgid;
};

enum devmem_migrate_stage {
	DEVMEM_MIGRATE_SETUP = 1,	/* migrate_vma_setup(): nr_migrate collected */
	DEVMEM_MIGRATE_RANGE = 2,	/* migrate_device_range(): nr_migrate collected */
	DEVMEM_MIGRATE_PAGES = 3,	/* metadata moved */
	DEVMEM_MIGRATE_FINALIZE = 4,	/* committed: count these */
};

struct devmem_rec_migrate {
	struct devmem_rec_hdr hdr;
	__u64 start;		/* user address, or first pfn for RANGE */
	__u64 npages;
	__u64 nr_migrate;
	__u64 nr_to_device;
	__u64 nr_to_system;
	__u64 pgmap;		/* the device side, 0 if unknown */
	__u64 owner;
	__u64 flags;		/* MIGRATE_VMA_SELECT_* for SETUP */
	__u32 stage;		/* enum devmem_migrate_stage */
	__u32 pad;
};

/* Losses counted by the BPF side, one slot each in the "drops" map. */
enum devmem_drop {
	DEVMEM_DROP_RINGBUF = 0,	/* ring buffer full: record lost */
	DEVMEM_DROP_PGMAP_MAP = 1,	/* pgmap maps full */
	DEVMEM_DROP_PROC_MAP = 2,	/* proc_counts map full */
	DEVMEM_DROP_PAGE_MAP = 3,	/* page owner table full */
	DEVMEM_DROP_STACK = 4,		/* no stack id (stack map full) */
	DEVMEM_DROP_PROBE_MISSED = 5,	/* kretprobe instances or fentry runs missed
					 * (filled in by user space) */
	DEVMEM_DROP_SPIN_MAP = 6,	/* fault_spins full: a repeating fault
					 * not listed (still counted) */
	DEVMEM_DROP_MAX
};

#endif
