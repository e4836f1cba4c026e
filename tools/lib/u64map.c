// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include "u64map.h"

#define TOMB UINT64_MAX
#define NONE SIZE_MAX

/*
 * Load: at most 3/4 of the slots are used (live or deleted), so a probe
 * always ends at an empty slot. A resize sizes the table from the live keys
 * alone, so they fill more than 1/4 (unless at the minimum size) and at most
 * 1/2 of it: between two resizes come at least cap/8 operations, and deleted
 * slots never make it grow.
 */
static size_t cap_for(size_t live)
{
	size_t cap = U64MAP_MIN_CAP;

	while (cap < 2 * live)
		cap *= 2;
	return cap;
}

static size_t slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return key & (cap - 1);
}

/* The key's slot, or the empty slot that ends its probe; *tomb gets the
 * first deleted slot on the way (NONE if there is none). */
static size_t probe(const struct u64map *m, uint64_t key, size_t *tomb)
{
	const uint64_t *keys = m->keys;
	size_t mask = m->cap - 1, i = slot(key, m->cap), t = NONE;
	uint64_t k;

	while ((k = keys[i]) != key && k) {
		if (k == TOMB && t == NONE)
			t = i;
		i = (i + 1) & mask;
	}
	*tomb = t;
	return i;
}

static size_t find(const struct u64map *m, uint64_t key)
{
	const uint64_t *keys = m->keys;
	size_t mask = m->cap - 1, i = slot(key, m->cap);
	uint64_t k;

	while ((k = keys[i]) != key && k)
		i = (i + 1) & mask;
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

/*
 * Drop the deleted slots without allocating. Start after a slot that was
 * empty before (no probe crosses it) and take every key out and put it back
 * in slot order: each lands between its home slot and where it was, so the
 * keys already placed stay reachable.
 */
static void purge(struct u64map *m)
{
	size_t mask = m->cap - 1, s, k, i, j;

	for (s = 0; m->keys[s]; s++)
		;
	for (i = 0; i < m->cap; i++)
		if (m->keys[i] == TOMB)
			m->keys[i] = 0;
	for (k = 1; k < m->cap; k++) {
		uint64_t key, val;

		i = (s + k) & mask;
		key = m->keys[i];
		if (!key)
			continue;
		val = m->vals[i];
		m->keys[i] = 0;
		j = find(m, key);
		m->keys[j] = key;
		m->vals[j] = val;
	}
	m->used = m->live;
}

static int resize(struct u64map *m, size_t cap)
{
	struct u64map n = { .cap = cap };
	size_t i;

	if (cap == m->cap) {
		purge(m);
		return 0;
	}
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.vals = malloc(n.cap * sizeof(*n.vals));
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
	size_t i = 0, tomb = NONE;

	if (!key || key == TOMB)
		return -EINVAL;
	if (m->cap) {
		i = probe(m, key, &tomb);
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return 0;
		}
	}
	if (tomb != NONE) {
		i = tomb;		/* reuse a deleted slot: used stays */
	} else {
		if (!m->cap || (m->used + 1) * 4 > m->cap * 3) {
			if (resize(m, cap_for(m->live + 1)))
				return -ENOMEM;
			i = find(m, key);
		}
		m->used++;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->live++;
	return 0;
}

bool u64map_del(struct u64map *m, uint64_t key)
{
	size_t mask, i;

	if (!m->cap || !key || key == TOMB)
		return false;
	i = find(m, key);
	if (m->keys[i] != key)
		return false;
	mask = m->cap - 1;
	m->live--;
	if (m->keys[(i + 1) & mask]) {
		m->keys[i] = TOMB;
	} else {
		/* The end of a probe run: no probe goes past it, so this slot
		 * and the deleted ones just before it can be empty again. */
		do {
			m->keys[i] = 0;
			m->used--;
			i = (i - 1) & mask;
		} while (m->keys[i] == TOMB);
	}
	/* Failing to shrink is harmless: the table just stays bigger. */
	if (m->cap > U64MAP_MIN_CAP && m->live * 8 < m->cap)
		resize(m, cap_for(m->live));
	return true;
}

size_t u64map_del_range(struct u64map *m, uint64_t lo, uint64_t hi)
{
	size_t n = 0, i = 0;

	/* A deletion changes only its slot and earlier ones, unless it shrinks. */
	while (i < m->cap) {
		uint64_t k = m->keys[i];
		size_t cap = m->cap;

		if (k && k != TOMB && k >= lo && k <= hi) {
			u64map_del(m, k);
			n++;
			if (m->cap != cap) {
				i = 0;
				continue;
			}
		}
		i++;
	}
	return n;
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct u64map){ 0 };
}
