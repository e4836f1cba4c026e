// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "output.h"
#include "stuck.h"

enum devmem_spin_state devmem_spin_classify(uint64_t first_ns, uint64_t last_ns, uint64_t now_ns,
					    uint64_t stuck_after_ns)
{
	/* A repeat stamped after now (read moments apart) is live. */
	if (now_ns > last_ns && now_ns - last_ns > DEVMEM_SPIN_LIVE_NS)
		return DEVMEM_SPIN_ENDED;
	if (last_ns > first_ns && last_ns - first_ns >= stuck_after_ns)
		return DEVMEM_SPIN_STUCK;
	return DEVMEM_SPIN_SPINNING;
}

bool devmem_spin_forget(uint64_t last_ns, uint64_t now_ns)
{
	return now_ns > last_ns && now_ns - last_ns > DEVMEM_SPIN_FORGET_NS;
}

void devmem_spins_clear(struct devmem_spins *s)
{
	s->n = 0;
	s->nr_stuck = 0;
	s->nr_spinning = 0;
}

int devmem_spins_add(struct devmem_spins *s, const struct devmem_spin *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		struct devmem_spin *v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			s->oom++;
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *e;
	return 0;
}

static int spin_cmp(const void *pa, const void *pb)
{
	const struct devmem_spin *a = pa, *b = pb;
	uint64_t da = devmem_spin_ns(a), db = devmem_spin_ns(b);

	if (a->state != b->state)	/* stuck, then spinning, then ended */
		return (a->state < b->state) - (a->state > b->state);
	if (da != db)
		return (da < db) - (da > db);
	return (a->tid > b->tid) - (a->tid < b->tid);
}

void devmem_spins_judge(struct devmem_spins *s, struct devmem_state *st, uint64_t now_ns,
			uint64_t stuck_after_ns, uint32_t filter_pid)
{
	size_t i, k;
	uint64_t idx;

	for (i = k = 0; i < s->n; i++)
		if (!filter_pid || s->v[i].pid == filter_pid)
			s->v[k++] = s->v[i];
	s->n = k;
	s->nr_stuck = s->nr_spinning = 0;
	for (i = 0; i < st->nr_pgmaps; i++)
		st->pgmaps[i].stuck = 0;
	for (i = 0; i < st->nr_procs; i++)
		st->procs[i].stuck = 0;
	for (i = 0; i < s->n; i++) {
		struct devmem_spin *e = &s->v[i];

		e->state = devmem_spin_classify(e->first_ns, e->last_ns, now_ns, stuck_after_ns);
		s->nr_stuck += e->state == DEVMEM_SPIN_STUCK;
		s->nr_spinning += e->state == DEVMEM_SPIN_SPINNING;
		if (e->state != DEVMEM_SPIN_STUCK)
			continue;
		if (u64map_get(&st->pgmap_idx, e->pgmap, &idx))
			st->pgmaps[idx].stuck++;
		if (u64map_get(&st->proc_idx, e->pid + 1ull, &idx))
			st->procs[idx].stuck++;
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), spin_cmp);
}

void devmem_json_stuck(struct json *j, const struct devmem_spins *s, const struct devmem_state *st)
{
	char name[3 * DEVMEM_NAME_LEN];
	size_t i;

	for (i = 0; i < s->n && s->v[i].state == DEVMEM_SPIN_STUCK; i++) {
		const struct devmem_spin *e = &s->v[i];
		uint64_t idx;

		json_obj_open(j, NULL);
		json_u64(j, "pid", e->pid);
		json_u64(j, "tid", e->tid);
		json_str(j, "comm", e->comm);
		json_hex(j, "address", e->address);
		json_hex(j, "pfn", e->pfn);
		json_str(j, "pgmap_name", devmem_pgmap_label(st, e->pgmap, name, sizeof(name)));
		json_str(j, "pgmap_type", u64map_get(&st->pgmap_idx, e->pgmap, &idx) ?
			 devmem_pgmap_type_name(st->pgmaps[idx].type) : "unknown");
		if (devmem_raw_addresses)
			json_hex(j, "pgmap", e->pgmap);
		json_u64(j, "repeats", e->repeats);
		json_double(j, "spinning_s", devmem_spin_ns(e) / 1e9);
		json_obj_close(j);
	}
}

const char *devmem_stuck_text(const struct devmem_spin *e, const struct devmem_state *st,
			      char *buf, size_t len)
{
	char name[3 * DEVMEM_NAME_LEN];

	snprintf(buf, len, "STUCK pid %u tid %u (%s) at %#llx pfn %#llx on %s: %llu faults "
		 "without progress in %.1f s",
		 e->pid, e->tid, e->comm, (unsigned long long)e->address,
		 (unsigned long long)e->pfn, devmem_pgmap_label(st, e->pgmap, name, sizeof(name)),
		 (unsigned long long)e->repeats, devmem_spin_ns(e) / 1e9);
	return buf;
}

void devmem_spins_free(struct devmem_spins *s)
{
	free(s->v);
	*s = (struct devmem_spins){ 0 };
}
