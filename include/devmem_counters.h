/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every pgmap and process counter, declared once (docs/architecture.md,
 * "Adding a counter"). The BPF side's per-CPU totals, the replay's rows,
 * the kernel-totals fold and every view (JSON, CSV, text, metrics) are
 * made from these lists; what an event does to them is written once too,
 * in devmem_rules.h.
 *
 * X(type, field, views, title, width, metric, help)
 *   type    devmem_u64, or devmem_s64 for a count that goes down (held)
 *   field   the struct field, and the JSON and CSV name
 *   views   CV_JSON, CV_CSV: where the count is shown (0: kept for a
 *           derived number only)
 *   title   the text views' column title, NULL for none; width its width
 *   metric  devmemtop's Prometheus counter, NULL for none
 *   help    what it counts, in the metric's HELP line
 * The order is the JSON order; the other views keep it among themselves.
 * Every counter only grows over a pgmap's life, but held.
 */
#ifndef DEVMEMSCOPE_COUNTERS_H
#define DEVMEMSCOPE_COUNTERS_H

/* The same 8 bytes on both sides; user space prints them as uint64_t. */
#ifdef __VMLINUX_H__
typedef __u64 devmem_u64;
typedef __s64 devmem_s64;
#else
#include <stdint.h>
typedef uint64_t devmem_u64;
typedef int64_t devmem_s64;
#endif

#define CV_JSON 1
#define CV_CSV 2

#define DEVMEM_PGMAP_COUNTERS(X)									\
	X(devmem_u64, inits, CV_JSON | CV_CSV, "INITS", 8, "devmem_pages_initialized",			\
	  "Device pages handed out (zone_device_page_init), per pgmap.")				\
	X(devmem_u64, frees, CV_JSON | CV_CSV, "FREES", 8, "devmem_pages_freed",				\
	  "Device pages freed back to their driver, per pgmap.")					\
	X(devmem_u64, gets, CV_JSON | CV_CSV, NULL, 0, NULL,							\
	  "References taken on the pgmap by pfn (get_dev_pagemap).")					\
	X(devmem_u64, puts, CV_JSON | CV_CSV, NULL, 0, NULL,							\
	  "References dropped (put_dev_pagemap).")							\
	X(devmem_u64, ref_inits, 0, NULL, 0, NULL,								\
	  "Pages handed out that took their pgmap reference with them.")				\
	X(devmem_u64, ref_frees, 0, NULL, 0, NULL,								\
	  "Frees that dropped their page's reference (no put event: fallback modes).")			\
	X(devmem_u64, to_device, CV_JSON | CV_CSV, "TODEV", 9, "devmem_pages_migrated_to_device",		\
	  "Pages migrated from system memory into this pgmap.")						\
	X(devmem_u64, to_system, CV_JSON | CV_CSV, "FROMDEV", 9, "devmem_pages_migrated_to_system",		\
	  "Pages migrated out of this pgmap into system memory.")					\
	X(devmem_u64, longterm, CV_JSON | CV_CSV, "LONGTERM", 8, "devmem_longterm_pin_migrated_pages",	\
	  "Pages migrated out of device memory for a long-term pin (FOLL_LONGTERM).")			\
	X(devmem_u64, longterm_failed, CV_JSON | CV_CSV, NULL, 0, "devmem_longterm_pin_failed_pages",	\
	  "Pages a long-term pin could not migrate out of device memory.")				\
	X(devmem_u64, cow, CV_JSON | CV_CSV, "COW", 6, "devmem_cow_replacements",				\
	  "Device pages replaced by a system page on a copy-on-write fault.")				\
	X(devmem_u64, faults, CV_JSON | CV_CSV, "FAULTS", 7, "devmem_cpu_faults",				\
	  "CPU faults on device private pages of this pgmap.")						\
	X(devmem_u64, faults_no_progress, CV_JSON, "NOPROG", 7, "devmem_fault_no_progress",			\
	  "CPU faults that repeated the thread's last fault, on the same page, with nothing migrated to system memory since.")

#define DEVMEM_PROC_COUNTERS(X)										\
	X(devmem_s64, held, CV_JSON | CV_CSV, "HELD", 8, NULL,						\
	  "Device pages this process was handed that are still out.")					\
	X(devmem_u64, inits, CV_JSON | CV_CSV, "INITS", 8, "devmem_process_pages_initialized",		\
	  "Device pages handed out to this process.")							\
	X(devmem_u64, to_device, CV_JSON | CV_CSV, "TODEV", 8, "devmem_process_pages_migrated_to_device",	\
	  "Pages this process migrated into device memory.")						\
	X(devmem_u64, to_system, CV_JSON | CV_CSV, "FROMDEV", 8, "devmem_process_pages_migrated_to_system",	\
	  "Pages this process migrated out of device memory.")					\
	X(devmem_u64, faults, CV_JSON | CV_CSV, "FAULTS", 7, "devmem_process_cpu_faults",			\
	  "CPU faults of this process on device private pages.")					\
	X(devmem_u64, faults_no_progress, CV_JSON, "NOPROG", 7, NULL,					\
	  "CPU faults that repeated the thread's last fault without progress.")				\
	X(devmem_u64, longterm, CV_JSON | CV_CSV, "LONGTERM", 8, NULL,					\
	  "Pages this process pushed out of device memory with a long-term pin.")			\
	X(devmem_u64, cow, CV_JSON | CV_CSV, "COW", 6, NULL,							\
	  "Device pages this process replaced on a copy-on-write fault.")

#define DEVMEM_COUNTER_FIELD(type, field, ...) type field;
#define DEVMEM_PGMAP_INDEX(type, field, ...) DEVMEM_PGMAP_IDX_##field,
#define DEVMEM_PROC_INDEX(type, field, ...) DEVMEM_PROC_IDX_##field,
/* Each counter's place in its list (and in the tables of counters.h). */
enum devmem_pgmap_counter_idx { DEVMEM_PGMAP_COUNTERS(DEVMEM_PGMAP_INDEX) DEVMEM_NR_PGMAP_COUNTERS };
enum devmem_proc_counter_idx { DEVMEM_PROC_COUNTERS(DEVMEM_PROC_INDEX) DEVMEM_NR_PROC_COUNTERS };

/* A pgmap's counters: the BPF side's per-CPU value, and a replay row's. */
struct devmem_pgmap_counts {
	DEVMEM_PGMAP_COUNTERS(DEVMEM_COUNTER_FIELD)
};

/* A process's counters, the same way. */
struct devmem_proc_counters {
	DEVMEM_PROC_COUNTERS(DEVMEM_COUNTER_FIELD)
};

/*
 * A struct's counters under their own names and as one struct c: a row
 * says r->faults, a fold takes &r->c.
 */
#define DEVMEM_PGMAP_COUNTERS_MEMBER							\
	union {										\
		struct devmem_pgmap_counts c;						\
		struct { DEVMEM_PGMAP_COUNTERS(DEVMEM_COUNTER_FIELD) };			\
	}
#define DEVMEM_PROC_COUNTERS_MEMBER							\
	union {										\
		struct devmem_proc_counters c;						\
		struct { DEVMEM_PROC_COUNTERS(DEVMEM_COUNTER_FIELD) };			\
	}

#endif
