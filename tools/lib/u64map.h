/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A u64 -> u64 open-addressing hash table; key 0 is not allowed. */
#ifndef DEVMEM_U64MAP_H
#define DEVMEM_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys, *vals;	/* key 0: empty slot, UINT64_MAX: deleted */
	size_t cap, used, live;
};

bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val);
int u64map_put(struct u64map *m, uint64_t key, uint64_t val);	/* 0 or -ENOMEM */
bool u64map_del(struct u64map *m, uint64_t key);
void u64map_free(struct u64map *m);

#endif
