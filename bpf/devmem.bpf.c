// SPDX-License-Identifier: GPL-2.0
/*
 * devmemscope's BPF side: one object, one skeleton. Three sets of programs
 * feed one set of handlers (handlers.bpf.h):
 *  - "tracepoint" mode: the series' trace events, tp_btf programs.
 *    tp_73.bpf.h: Linux 7.3's (kpatches/): zone_device_pgmap_create,
 *    _destroy_begin, _destroy_end, zone_device_folio_init, _folio_free,
 *    zone_device_pgmap_get, _put, zone_device_private_fault,
 *    zone_device_cow_replace, and migrate_device_pgmap_pages_done,
 *    _finalize_start, migrate_device_coherent_folio_done.
 *    tp_612.bpf.h: the 6.12 backport's devmem_* events (kpatches/6.12/),
 *    the migration batch events as classic tracepoints, whose records
 *    already hold the counts the kernel computed in TP_fast_assign.
 *  - "fentry" and "kprobe" modes (fentry.bpf.h, kprobe.bpf.h, sharing
 *    fallback.bpf.h): the functions the tracepoints sit in, for kernels
 *    without the series. Faults are seen through each driver's
 *    ->migrate_to_ram (fault_fallback.bpf.h); CoW replacement and
 *    put_dev_pagemap() are inlined there and are not seen. Where the
 *    kernel has the class-based migrate_device events, both take a
 *    batch's pages from those (rework.bpf.h).
 * User space picks one set by skeleton program (tools/session/modes.c).
 * Handlers keep per-CPU totals for live views (count_in_kernel) and emit
 * one ring buffer record per event for recordings (emit_records); each
 * tool asks for one of the two (docs/counting.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "devmem_maps.h"
#include "devmem_rules.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#include "maps.bpf.h"
#include "core.bpf.h"
#include "slots.bpf.h"
#include "handlers.bpf.h"
#include "tp_612.bpf.h"
#include "tp_73.bpf.h"
#include "fallback.bpf.h"
#include "fentry.bpf.h"
#include "kprobe.bpf.h"
#include "rework.bpf.h"
