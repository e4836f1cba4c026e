// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Checksums ahead: a second thread walks the chunk headers in front of the
 * reader and computes each chunk's CRC (and so takes the page faults of
 * the first touch) while the reader replays the chunk before. It only
 * computes: the reader still checks everything in order, and takes a CRC
 * from it only for a chunk whose header it saw byte for byte at the same
 * offset; for anything else (after damage, while salvaging) it computes its
 * own. So results never depend on it. The reader never waits for it either:
 * a CRC not ready when wanted is computed in place, and the helper skips
 * what the reader has passed, so a helper short of CPU costs next to nothing.
 */
#define _GNU_SOURCE	/* sched_getaffinity */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "tracefile.h"
#include "trace_internal.h"
#define AHEAD_SLOTS 8	/* chunks computed and not yet taken: 2 MiB of EVENTS */

#ifdef DMT_FUZZING
size_t dmt_crc_ahead_min = SIZE_MAX;	/* no checksums to compute */
#else
size_t dmt_crc_ahead_min = 4 * EVENTS_CHUNK_BYTES;
#endif
uint64_t dmt_crc_ahead_hits;

struct ahead_slot {
	size_t off;
	struct dmt_chunk_header h;	/* as the helper read it */
	uint32_t crc;
};

struct dmt_ahead {
	pthread_t thread;
	pthread_mutex_t lock;	/* guards slot[] and the fields after it */
	pthread_cond_t cond;
	const unsigned char *data;
	size_t len, start;
	struct ahead_slot slot[AHEAD_SLOTS];
	uint64_t produced, taken;	/* slots filled, slots let go */
	size_t reader_off;	/* the chunk the reader is at */
	uint64_t hits;		/* CRCs the reader took (for the unit test) */
	bool waiting;		/* the helper waits for free slots */
	bool stop;
};

static void *ahead_main(void *arg)
{
	struct dmt_ahead *a = arg;
	size_t off = a->start;
	struct dmt_chunk_header h;

	/* Only chunks that fit the file: the reader judges the rest. */
	while (a->len - off >= sizeof(h)) {
		bool passed, stop;
		uint32_t c;

		memcpy(&h, a->data + off, sizeof(h));
		if (h.magic != DMT_CHUNK_MAGIC || h.size > DMT_MAX_CHUNK ||
		    a->len - off - sizeof(h) < h.size)
			break;
		pthread_mutex_lock(&a->lock);
		while (a->produced - a->taken == AHEAD_SLOTS && !a->stop) {
			a->waiting = true;
			pthread_cond_wait(&a->cond, &a->lock);
			a->waiting = false;
		}
		stop = a->stop;
		passed = a->reader_off >= off;
		pthread_mutex_unlock(&a->lock);
		if (stop)
			break;
		if (passed) {	/* the reader got here first */
			off += sizeof(h) + h.size;
			continue;
		}
		c = chunk_crc(&h, a->data + off + sizeof(h));
		pthread_mutex_lock(&a->lock);
		a->slot[a->produced % AHEAD_SLOTS] = (struct ahead_slot){ off, h, c };
		a->produced++;
		pthread_mutex_unlock(&a->lock);
		off += sizeof(h) + h.size;
	}
	return NULL;
}

/* Worth a thread: a file of some size, and a second CPU to run it on. */
struct dmt_ahead *dmt_ahead_start(const unsigned char *data, size_t len, size_t start)
{
	struct dmt_ahead *a;
	cpu_set_t cpus;

	if (len < dmt_crc_ahead_min || start >= len ||
	    sched_getaffinity(0, sizeof(cpus), &cpus) || CPU_COUNT(&cpus) < 2)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->data = data;
	a->len = len;
	a->start = start;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if (pthread_create(&a->thread, NULL, ahead_main, a)) {
		pthread_cond_destroy(&a->cond);
		pthread_mutex_destroy(&a->lock);
		free(a);
		return NULL;	/* the reader computes them all itself */
	}
	return a;
}

/* Ends the helper; returns how many CRCs the reader took from it. */
uint64_t dmt_ahead_stop(struct dmt_ahead *a)
{
	uint64_t hits;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	hits = a->hits;
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
	return hits;
}

/*
 * The checksum of the chunk at off with header *h: the helper's, if it has
 * it ready for this very header, else our own. Offsets asked for only grow,
 * so the helper's slots before off are let go on the way.
 */
uint32_t dmt_chunk_crc_at(struct dmt_ahead *a, size_t off, const struct dmt_chunk_header *h,
			  const unsigned char *payload)
{
	bool hit = false;
	uint32_t c = 0;

	if (!a)
		return chunk_crc(h, payload);
	pthread_mutex_lock(&a->lock);
	a->reader_off = off;
	while (a->taken < a->produced) {
		const struct ahead_slot *s = &a->slot[a->taken % AHEAD_SLOTS];

		if (s->off > off)
			break;	/* not a chunk it saw */
		a->taken++;
		if (s->off == off) {
			hit = !memcmp(&s->h, h, sizeof(*h));
			c = s->crc;
			break;
		}
	}
	a->hits += hit;
	/* A wakeup costs a system call: only once half the slots are free. */
	if (a->waiting && a->produced - a->taken <= AHEAD_SLOTS / 2)
		pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return hit ? c : chunk_crc(h, payload);
}
