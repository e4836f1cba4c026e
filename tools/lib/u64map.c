// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include "u64map.h"

#define TOMB UINT64_MAX

static size_t slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return key & (cap - 1);
}

static size_t find(const struct u64map *m, uint64_t key)
{
	size_t i = slot(key, m->cap);

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	return i;
}

bool u64map_get(const struct u64map *m, uint64_t key, uint64_t *val)
{
	size_t i;

	if (!m->cap || !key || key == TOMB)
		return false;
	i = find(m, key);
	if (m->keys[i] != key)
		return false;
	if (val)
		*val = m->vals[i];
	return true;
}

static int grow(struct u64map *m)
{
	struct u64map n = { .cap = m->cap ? m->cap * 2 : 64 };
	size_t i;

	while (n.cap < 4 * (m->live + 1))
		n.cap *= 2;
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = calloc(n.cap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		free(n.keys);
		free(n.vals);
		return -ENOMEM;
	}
	for (i = 0; i < m->cap; i++)
		if (m->keys[i] && m->keys[i] != TOMB) {
			size_t j = find(&n, m->keys[i]);

			n.keys[j] = m->keys[i];
			n.vals[j] = m->vals[i];
			n.used++;
			n.live++;
		}
	u64map_free(m);
	*m = n;
	return 0;
}

int u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	size_t i;

	if (!key || key == TOMB)
		return -EINVAL;
	if ((m->used + 1) * 4 > m->cap * 3 && grow(m))
		return -ENOMEM;
	i = find(m, key);
	if (m->keys[i] != key) {
		m->keys[i] = key;
		m->used++;
		m->live++;
	}
	m->vals[i] = val;
	return 0;
}

bool u64map_del(struct u64map *m, uint64_t key)
{
	size_t i;

	if (!u64map_get(m, key, NULL))
		return false;
	i = find(m, key);
	m->keys[i] = TOMB;
	m->live--;
	return true;
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct u64map){ 0 };
}
