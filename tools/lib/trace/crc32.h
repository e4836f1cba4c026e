/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * CRC-32 (ISO-HDLC, gzip's and zlib's): dmt_crc32(crc, buf, len) gives
 * what zlib's crc32() gives, folded with (V)PCLMULQDQ where the CPU has it
 * and it is faster there than zlib's tables (measured once). The trace
 * reader checks every chunk, so this is its hottest loop; devmemrec sums
 * every chunk it writes.
 */
#ifndef DEVMEM_CRC32_H
#define DEVMEM_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t dmt_crc32(uint32_t crc, const void *buf, size_t len);
/*
 * For tests: use level (0 zlib alone, 1 PCLMULQDQ, 2 also VPCLMULQDQ) or
 * the most of it the CPU has, unmeasured, so every path is checked on one
 * CPU; -1 goes back to the measured choice.
 */
void dmt_crc32_limit(int level);

#endif
