// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rec-cost [N] [DIR]: what devmemrec's user side costs per record, stage by
 * stage, without a kernel that has device memory. N records of the
 * synthetic stream (trace-stream.h) are laid out as a BPF ring buffer lays
 * them out (an 8-byte header each, 8-byte aligned), then taken the way
 * libbpf's ring_buffer__consume() takes them (an acquire load of the
 * header, a callback, a release store of the consumer position), with more
 * of devmemrec's work in the callback at each stage:
 *   ring    the consume loop alone, an empty callback
 *   check   + the record checked as devmemrec checks it (replay.h)
 *   copy    + the record appended to the EVENTS chunk being built
 *   crc     + the chunk's CRC-32 (as the writer's flush computes it)
 *   write   + the chunk written with write(2) to DIR (default /dev/shm)
 *   writer  the consume loop and the trace writer itself (dmt_write_record),
 *           to a file in DIR: should be about check + what write adds
 * Prints ns per record for each (best of 5 passes) and the difference
 * from the stage before. Run it under perf, or qemu-x86_64 for TCG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "crc32.h"
#include "replay.h"
#include "trace-stream.h"
#include "tracefile.h"

#define RING_HDR 8		/* BPF_RINGBUF_HDR_SZ */
#define CHUNK (256u << 10)	/* the writer's EVENTS chunk */

enum stage { RING, CHECK, COPY, CRC, WRITE, WRITER, NR_STAGES };
static const char *const stage_names[NR_STAGES] = { "ring", "check", "copy", "crc", "write",
						    "writer" };

static struct {
	enum stage stage;
	unsigned char *chunk;
	size_t len;
	int fd;
	struct dmt_writer w;
	uint64_t sink;
} cost;

static void chunk_out(void)
{
	if (cost.stage >= CRC)
		cost.sink += dmt_crc32(0, cost.chunk, cost.len);
	if (cost.stage >= WRITE && write(cost.fd, cost.chunk, cost.len) != (ssize_t)cost.len) {
		perror("rec-cost: write");
		exit(1);
	}
	cost.len = 0;
}

static int on_record(void *data, size_t size)
{
	if (cost.stage == RING)
		return 0;
	if (cost.stage == WRITER) {
		if (devmem_replay_record(data, size, NULL, NULL))
			return -1;
		cost.sink += devmem_rec_pgmap(data);
		return dmt_write_record(&cost.w, data, size);
	}
	if (devmem_replay_record(data, size, NULL, NULL))
		return -1;
	cost.sink += devmem_rec_pgmap(data);
	if (cost.stage == CHECK)
		return 0;
	if (cost.len + size > CHUNK)
		chunk_out();
	memcpy(cost.chunk + cost.len, data, size);
	cost.len += size;
	return 0;
}

/* libbpf's ringbuf_process_ring(), over a ring already full. */
static void consume(unsigned char *ring, size_t bytes, uint64_t *cons_pos)
{
	uint64_t pos = 0;

	while (pos < bytes) {
		uint32_t len = __atomic_load_n((uint32_t *)(ring + pos), __ATOMIC_ACQUIRE);

		if (on_record(ring + pos + RING_HDR, len)) {
			fprintf(stderr, "rec-cost: record at %llu refused\n", (unsigned long long)pos);
			exit(1);
		}
		pos += (len + RING_HDR + 7) & ~7ull;
		__atomic_store_n(cons_pos, pos, __ATOMIC_RELEASE);
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000, i, cons_pos, bytes = 0;
	const char *dir = argc > 2 ? argv[2] : "/dev/shm";
	unsigned char *ring = malloc(n * (TRACE_STREAM_MAX + RING_HDR));
	double prev = 0;
	char path[4096], err[256];
	int s, pass;

	cost.chunk = malloc(CHUNK);
	if (!n || !ring || !cost.chunk) {
		fprintf(stderr, "usage: rec-cost [NRECORDS] [DIR]\n");
		return 2;
	}
	for (i = 0; i < n; i++) {
		uint32_t len = trace_stream_record(i, ring + bytes + RING_HDR);

		memcpy(ring + bytes, &len, sizeof(len));
		bytes += (len + RING_HDR + 7) & ~7ull;
	}
	snprintf(path, sizeof(path), "%s/rec-cost.%d", dir, (int)getpid());
	printf("%llu records, %.1f bytes each on average, ns per record (best of 5):\n",
	       (unsigned long long)n, (double)(bytes - n * RING_HDR) / n);
	for (s = RING; s < NR_STAGES; s++) {
		double best = 0;

		cost.stage = s;
		for (pass = 0; pass < 5; pass++) {
			uint64_t t0;

			unlink(path);
			if (dmt_writer_open(&cost.w, path, err, sizeof(err))) {
				fprintf(stderr, "rec-cost: %s\n", err);
				return 1;
			}
			cost.fd = cost.w.fd;
			t0 = now_ns();
			consume(ring, bytes, &cons_pos);
			if (s == WRITER ? dmt_flush(&cost.w) != 0 : (chunk_out(), 0)) {
				fprintf(stderr, "rec-cost: writing %s failed\n", path);
				return 1;
			}
			t0 = now_ns() - t0;
			if (!pass || t0 < best)
				best = t0;
			dmt_writer_close(&cost.w);
		}
		best /= n;
		printf("  %-7s %7.1f", stage_names[s], best);
		if (s > RING && s < WRITER)
			printf("  (+%.1f)", best - prev);
		printf("\n");
		prev = best;
	}
	unlink(path);
	free(ring);
	free(cost.chunk);
	return cost.sink == 1;	/* keeps the work from being optimised away */
}
