/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A u64 -> u64 open-addressing hash table; key 0 is not allowed.
 *
 * Its size follows the live keys, not the history: deleted slots are
 * reused, a table clogged with them is cleaned (in place when its size
 * stays right), and it shrinks when fewer than 1/8 of its slots are live.
 * So a table that sees keys come and go forever stays as small as its peak
 * of live keys needs. Every operation is O(1) amortized.
 */
#ifndef DEVMEM_U64MAP_H
#define DEVMEM_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define U64MAP_MIN_CAP 64

struct u64map {
	uint64_t *keys, *vals;	/* key 0: empty slot, UINT64_MAX: deleted */
	size_t cap, used, live;	/* slots, live + deleted, live */
};

bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
int u64map_put(struct u64map *m, uint64_t key, uint64_t val);	/* 0, -EINVAL or -ENOMEM */
bool u64map_del(struct u64map *m, uint64_t key);
/* Delete every key in [lo, hi]; returns how many. O(capacity). */
size_t u64map_del_range(struct u64map *m, uint64_t lo, uint64_t hi);
void u64map_free(struct u64map *m);
/* Slots allocated (0 before the first put), and keys held. */
static inline size_t u64map_capacity(const struct u64map *m) { return m->cap; }
static inline size_t u64map_count(const struct u64map *m) { return m->live; }

#endif
