/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one clock: CLOCK_MONOTONIC in nanoseconds, the clock of
 * bpf_ktime_get_ns(), so of every record's ts_ns and of a trace's
 * start_ns and end_ns.
 */
#ifndef DEVMEM_CLOCK_H
#define DEVMEM_CLOCK_H

#include <stdint.h>

uint64_t host_now_ns(void);

#endif
