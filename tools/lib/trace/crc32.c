// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Carry-less multiplication folding for CRC-32, after Gopal et al., "Fast
 * CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction"
 * (Intel, 2009), in the bit-reflected domain, with the constants the
 * paper gives for the gzip polynomial (as in zlib's and Linux's x86 code),
 * and the same four times as wide with AVX-512's VPCLMULQDQ where the CPU
 * has it (about three times as fast). Short inputs and the tail go to zlib.
 *
 * A CPU that has the instruction may still run it slowly: an emulated one
 * does (qemu's TCG: about 8 ns a byte folded, against 3 for zlib's tables),
 * and so does a recording made in such a guest, once per chunk. The fold is
 * used only where it is measured faster than zlib, once per process.
 */
#include <time.h>
#include <zlib.h>
#include "crc32.h"

static int forced = -1;	/* dmt_crc32_limit(); -1: the measured choice */

#if defined(__x86_64__) && !defined(DMT_NO_SIMD)
#include <immintrin.h>

/*
 * From four 128-bit lanes (the state of the last 512 bits folded, len bytes
 * after them, a multiple of 16) to the CRC: shared by both folds.
 */
__attribute__((target("pclmul,sse4.1")))
static inline uint32_t fold_tail(__m128i x1, __m128i x2, __m128i x3, __m128i x4,
				 const unsigned char *buf, size_t len)
{
	const __m128i k3k4 = _mm_set_epi64x(0x00ccaa009e, 0x01751997d0);
	const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124);
	const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);
	const __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);
	__m128i x5;

	/* the four lanes into one */
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
	x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
	x1 = _mm_xor_si128(_mm_xor_si128(x1, x3), x5);
	x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
	x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
	x1 = _mm_xor_si128(_mm_xor_si128(x1, x4), x5);
	while (len >= 16) {
		x2 = _mm_loadu_si128((const __m128i *)buf);
		x5 = _mm_clmulepi64_si128(x1, k3k4, 0x00);
		x1 = _mm_clmulepi64_si128(x1, k3k4, 0x11);
		x1 = _mm_xor_si128(_mm_xor_si128(x1, x2), x5);
		buf += 16;
		len -= 16;
	}
	/* 128 bits to 64 */
	x2 = _mm_clmulepi64_si128(x1, k3k4, 0x10);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
	x2 = _mm_srli_si128(x1, 4);
	x1 = _mm_and_si128(x1, mask32);
	x1 = _mm_clmulepi64_si128(x1, k5k0, 0x00);
	x1 = _mm_xor_si128(x1, x2);
	/* Barrett reduction to 32 bits */
	x2 = _mm_and_si128(x1, mask32);
	x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
	x2 = _mm_and_si128(x2, mask32);
	x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
	x1 = _mm_xor_si128(x1, x2);
	return (uint32_t)_mm_extract_epi32(x1, 1);
}

__attribute__((target("pclmul,sse4.1")))
static uint32_t crc32_fold(uint32_t crc, const unsigned char *buf, size_t len)
{
	/* len >= 64, a multiple of 16; crc is the inverted running value */
	const __m128i k1k2 = _mm_set_epi64x(0x01c6e41596, 0x0154442bd4);
	__m128i x1, x2, x3, x4, x5, x6, x7, x8;

	x1 = _mm_loadu_si128((const __m128i *)(buf + 0x00));
	x2 = _mm_loadu_si128((const __m128i *)(buf + 0x10));
	x3 = _mm_loadu_si128((const __m128i *)(buf + 0x20));
	x4 = _mm_loadu_si128((const __m128i *)(buf + 0x30));
	x1 = _mm_xor_si128(x1, _mm_cvtsi32_si128((int)crc));
	buf += 64;
	len -= 64;
	/* four 128-bit lanes folded 512 bits forward at a time */
	while (len >= 64) {
		x5 = _mm_clmulepi64_si128(x1, k1k2, 0x00);
		x6 = _mm_clmulepi64_si128(x2, k1k2, 0x00);
		x7 = _mm_clmulepi64_si128(x3, k1k2, 0x00);
		x8 = _mm_clmulepi64_si128(x4, k1k2, 0x00);
		x1 = _mm_clmulepi64_si128(x1, k1k2, 0x11);
		x2 = _mm_clmulepi64_si128(x2, k1k2, 0x11);
		x3 = _mm_clmulepi64_si128(x3, k1k2, 0x11);
		x4 = _mm_clmulepi64_si128(x4, k1k2, 0x11);
		x1 = _mm_xor_si128(_mm_xor_si128(x1, x5),
				   _mm_loadu_si128((const __m128i *)(buf + 0x00)));
		x2 = _mm_xor_si128(_mm_xor_si128(x2, x6),
				   _mm_loadu_si128((const __m128i *)(buf + 0x10)));
		x3 = _mm_xor_si128(_mm_xor_si128(x3, x7),
				   _mm_loadu_si128((const __m128i *)(buf + 0x20)));
		x4 = _mm_xor_si128(_mm_xor_si128(x4, x8),
				   _mm_loadu_si128((const __m128i *)(buf + 0x30)));
		buf += 64;
		len -= 64;
	}
	return fold_tail(x1, x2, x3, x4, buf, len);
}

/*
 * The same with VPCLMULQDQ: four 512-bit registers, each four lanes of the
 * loop above, folded 2048 bits forward at a time (constants x^(2048+32) and
 * x^(2048-32) mod P, reflected, as k1 and k2 are for 512), then into one
 * register with k1k2, and that register's lanes go to fold_tail().
 */
__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.1")))
static inline __m512i fold512(__m512i z, __m512i k, __m512i data)
{
	return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(z, k, 0x00),
					 _mm512_clmulepi64_epi128(z, k, 0x11), data, 0x96);
}

__attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.1")))
static uint32_t crc32_fold_avx512(uint32_t crc, const unsigned char *buf, size_t len)
{
	/* len >= 256, a multiple of 16; crc is the inverted running value */
	const __m512i k2048 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01322d1430, 0x011542778a));
	const __m512i k512 = _mm512_broadcast_i32x4(_mm_set_epi64x(0x01c6e41596, 0x0154442bd4));
	__m512i z0, z1, z2, z3;

	z0 = _mm512_loadu_si512(buf + 0x00);
	z1 = _mm512_loadu_si512(buf + 0x40);
	z2 = _mm512_loadu_si512(buf + 0x80);
	z3 = _mm512_loadu_si512(buf + 0xc0);
	z0 = _mm512_xor_si512(z0, _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)crc)));
	buf += 256;
	len -= 256;
	while (len >= 256) {
		z0 = fold512(z0, k2048, _mm512_loadu_si512(buf + 0x00));
		z1 = fold512(z1, k2048, _mm512_loadu_si512(buf + 0x40));
		z2 = fold512(z2, k2048, _mm512_loadu_si512(buf + 0x80));
		z3 = fold512(z3, k2048, _mm512_loadu_si512(buf + 0xc0));
		buf += 256;
		len -= 256;
	}
	z0 = fold512(z0, k512, z1);
	z0 = fold512(z0, k512, z2);
	z0 = fold512(z0, k512, z3);
	while (len >= 64) {
		z0 = fold512(z0, k512, _mm512_loadu_si512(buf));
		buf += 64;
		len -= 64;
	}
	return fold_tail(_mm512_extracti32x4_epi32(z0, 0), _mm512_extracti32x4_epi32(z0, 1),
			 _mm512_extracti32x4_epi32(z0, 2), _mm512_extracti32x4_epi32(z0, 3),
			 buf, len);
}

/* What the CPU has: 0 neither, 1 PCLMULQDQ, 2 VPCLMULQDQ with AVX-512 too. */
static int cpu_level(void)
{
	__builtin_cpu_init();
	return !__builtin_cpu_supports("pclmul") || !__builtin_cpu_supports("sse4.1") ? 0 :
	       __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx512f") ? 2 : 1;
}

static uint32_t fold(int level, uint32_t crc, const unsigned char *p, size_t n)
{
	return level == 2 && n >= 256 ? ~crc32_fold_avx512(~crc, p, n) : ~crc32_fold(~crc, p, n);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * level, or 0 where zlib is faster on this machine: the best of three
 * runs each over 16 KiB (tens of microseconds here, a millisecond under
 * emulation), zlib first so that neither finds the buffer colder.
 */
static int measured_level(int level)
{
	static unsigned char buf[16 << 10];
	uint64_t best[2] = { UINT64_MAX, UINT64_MAX }, t;
	uint32_t sum = 0;
	int i, k;

	for (i = 0; i < 3; i++)
		for (k = 0; k < 2; k++) {
			t = now_ns();
			sum += k ? fold(level, 0, buf, sizeof(buf)) :
			       (uint32_t)crc32_z(0, buf, sizeof(buf));
			t = now_ns() - t;
			if (t < best[k])
				best[k] = t;
		}
	return best[1] <= best[0] && sum != 1 ? level : 0;	/* sum: keeps the work */
}

/*
 * The fold to use. The trace reader's CRC thread may ask first at the
 * same time as the reader: both may measure, either answer is right (the
 * CRCs are the same), and the atomics keep that race defined.
 */
static int fold_level(void)
{
	static int cached = -1, cpu = -1;
	int level = __atomic_load_n(&cached, __ATOMIC_RELAXED);

	if (forced >= 0) {
		int has = __atomic_load_n(&cpu, __ATOMIC_RELAXED);

		if (has < 0) {
			has = cpu_level();
			__atomic_store_n(&cpu, has, __ATOMIC_RELAXED);
		}
		return forced < has ? forced : has;
	}
	if (level < 0) {
		level = cpu_level();
		if (level)
			level = measured_level(level);
		__atomic_store_n(&cached, level, __ATOMIC_RELAXED);
	}
	return level;
}

void dmt_crc32_limit(int level)
{
	forced = level;
}

uint32_t dmt_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int level = len >= 64 ? fold_level() : 0;

	if (level) {
		size_t n = len & ~(size_t)15;

		crc = fold(level, crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc32_z(crc, p, len);
}
#else
void dmt_crc32_limit(int level)
{
	(void)level;
}

uint32_t dmt_crc32(uint32_t crc, const void *buf, size_t len)
{
	return (uint32_t)crc32_z(crc, buf, len);
}
#endif
