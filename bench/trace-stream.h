/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A synthetic record stream shaped like a migrate-heavy run (page inits and
 * frees, puts, migration batches, faults) over four pgmaps and a few
 * processes: what gen-trace writes to a file and rec-cost feeds devmemrec's
 * writer.
 */
#ifndef DEVMEM_BENCH_TRACE_STREAM_H
#define DEVMEM_BENCH_TRACE_STREAM_H

#include <stdint.h>
#include "devmem_abi.h"

/* Room for the largest record trace_stream_record() makes. */
#define TRACE_STREAM_MAX 256

/* Record i of the stream into buf (TRACE_STREAM_MAX bytes): its size. */
size_t trace_stream_record(uint64_t i, void *buf);

#endif
