// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "slots.h"
#include "devmem_maps.h"
#include "devmem.skel.h"

/* Slots queued by the rows that went since the last release. */
struct devmem_slot_returns {
	uint32_t pgmap[DEVMEM_MAX_PGMAPS], proc[DEVMEM_MAX_PROCS];
	size_t nr_pgmap, nr_proc;
	int fence_inner;	/* the map the fence stores; -1 until made */
};

static struct devmem_slot_returns *returns_of(struct devmem_session *s)
{
	if (!s->slot_returns) {
		s->slot_returns = calloc(1, sizeof(*s->slot_returns));
		if (s->slot_returns)
			s->slot_returns->fence_inner = -1;
	}
	return s->slot_returns;
}

bool devmem_slot_return_proc(struct devmem_session *s, uint32_t slot)
{
	struct devmem_slot_returns *q = returns_of(s);

	if (!q || q->nr_proc >= DEVMEM_MAX_PROCS)
		return false;
	q->proc[q->nr_proc++] = slot;
	return true;
}

bool devmem_pgmap_forget_kernel(void *ctx, uint64_t key)
{
	struct devmem_session *s = ctx;
	struct devmem_slot_returns *q = returns_of(s);
	int fd = bpf_map__fd(s->skel->maps.pgmap_retired);
	struct devmem_pgmap_retired v;
	__u64 k = key;

	if (!q)
		return false;
	if (bpf_map_lookup_elem(fd, &k, &v))
		return errno == ENOENT;
	/* One entry per slot: the queue cannot overflow while the BPF side
	 * hands out at most DEVMEM_MAX_PGMAPS. */
	if (v.slot != DEVMEM_NO_SLOT && q->nr_pgmap >= DEVMEM_MAX_PGMAPS)
		return false;
	if (bpf_map_delete_elem(fd, &k))
		return false;
	if (v.slot != DEVMEM_NO_SLOT)
		q->pgmap[q->nr_pgmap++] = v.slot;
	return true;
}

/*
 * Wait until every BPF program running now has finished: an update of a
 * map-in-map from user space returns only after a grace period
 * (maybe_wait_bpf_programs() in kernel/bpf/syscall.c, since Linux 4.12).
 */
static int make_fence_inner(struct devmem_slot_returns *q)
{
	if (q->fence_inner < 0)
		q->fence_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "devmem_fence", sizeof(__u32),
						sizeof(__u32), 1, NULL);
	return q->fence_inner < 0 ? -errno : 0;
}

int devmem_slots_prepare(struct devmem_session *s)
{
	struct devmem_slot_returns *q = returns_of(s);

	return q ? make_fence_inner(q) : -ENOMEM;
}

static int fence(struct devmem_session *s, struct devmem_slot_returns *q)
{
	__u32 k = 0;
	int fd, e;

	if ((e = make_fence_inner(q)))
		return e;
	fd = q->fence_inner;
	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.rcu_fence), &k, &fd, BPF_ANY) ?
	       -errno : 0;
}

static size_t per_cpu_size(size_t value)
{
	int n = libbpf_num_possible_cpus();

	return ((value + 7) & ~(size_t)7) * (n > 0 ? n : 1);
}

/* Zero slots[0..n) of the per-CPU map counts (and lat), push them on free. */
static size_t give_back(const uint32_t *slots, size_t n, int counts, size_t size, int lat,
			int free_q)
{
	void *zero = calloc(1, size);
	struct devmem_pgmap_lat zlat = { 0 };
	size_t i, done = 0;

	for (i = 0; zero && i < n; i++) {
		__u32 k = slots[i];

		/* A slot that cannot be zeroed is not given back: one slot fewer. */
		if (bpf_map_update_elem(counts, &k, zero, BPF_ANY))
			continue;
		if (lat >= 0 && bpf_map_update_elem(lat, &k, &zlat, BPF_ANY))
			continue;
		if (!bpf_map_update_elem(free_q, NULL, &k, BPF_ANY))
			done++;
	}
	free(zero);
	return done;
}

size_t devmem_slots_release(struct devmem_session *s)
{
	struct devmem_slot_returns *q = s->slot_returns;
	struct devmem_bpf *skel = s->skel;
	size_t done;

	if (!q || (!q->nr_pgmap && !q->nr_proc))
		return 0;
	/* A program that reads a generation from now on misses its cache. */
	__atomic_fetch_add(&skel->bss->slot_gen, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&skel->bss->proc_gen, 1, __ATOMIC_SEQ_CST);
	if (fence(s, q))
		return 0;	/* not now: they stay queued */
	done = give_back(q->pgmap, q->nr_pgmap, bpf_map__fd(skel->maps.pgmap_counts),
			 per_cpu_size(sizeof(struct devmem_pgmap_counts)),
			 bpf_map__fd(skel->maps.pgmap_lat), bpf_map__fd(skel->maps.free_pgmap_slots));
	done += give_back(q->proc, q->nr_proc, bpf_map__fd(skel->maps.proc_counts),
			  per_cpu_size(sizeof(struct devmem_proc_counts)), -1,
			  bpf_map__fd(skel->maps.free_proc_slots));
	q->nr_pgmap = q->nr_proc = 0;
	return done;
}

void devmem_slots_free(struct devmem_session *s)
{
	if (s->slot_returns && s->slot_returns->fence_inner >= 0)
		close(s->slot_returns->fence_inner);
	free(s->slot_returns);
	s->slot_returns = NULL;
}
