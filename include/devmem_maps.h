/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Values of the BPF maps that user space reads: the BPF side's own running
 * totals, kept even when the ring buffer drops records.
 */
#ifndef DEVMEMSCOPE_MAPS_H
#define DEVMEMSCOPE_MAPS_H

#include "devmem_abi.h"

#define DEVMEM_MAX_PGMAPS 256
#define DEVMEM_MAX_PROCS 4096
#define DEVMEM_MAX_PAGES (256 * 1024)

/* pgmaps: key __u64 pgmap address */
struct devmem_pgmap_stats {
	__u64 start, end, owner, nr_pages;
	__u32 type, nr_range;
	__s64 live_pages;	/* page inits minus frees seen */
	__s64 refs;		/* shadow reference count: inits + gets - puts */
	__u64 inits, frees, gets, get_failed, puts;
	__u64 to_device, to_system, longterm, longterm_failed, cow, faults;
};

/* procs: key __u32 tgid */
struct devmem_proc_stats {
	char comm[DEVMEM_COMM_LEN];
	__s64 held;		/* device pages it was handed and still out */
	__u64 inits, to_device, to_system, faults, longterm, cow;
};

/* outstanding: key __u64 pfn, one entry per device page handed out */
struct devmem_page_info {
	__u64 pgmap;
	__u64 ts_ns;
	__u32 pid;
	__s32 stack_id;
	char comm[DEVMEM_COMM_LEN];
};

#endif
