// SPDX-License-Identifier: GPL-2.0
/*
 * devmemscope's BPF side. Three sets of programs feed one set of handlers:
 *  - "tracepoint" mode: the devmem trace events of kpatches/6.12/ (tp_btf; the
 *    migration batch events as classic tracepoints, whose records already
 *    hold the counts the kernel computed in TP_fast_assign);
 *  - "fentry" and "kprobe" modes: the same kernel functions, for kernels
 *    without the series. CoW replacement and device private faults happen
 *    in inlined code there and are not seen.
 * User space picks one set with bpf_program__set_autoload() before load.
 * Handlers keep per-CPU totals for live views (count_in_kernel) and emit
 * one ring buffer record per event for recordings (emit_records); each
 * tool asks for one of the two (docs/counting.md).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "devmem_maps.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by user space between open and load. */
const volatile __u64 vmemmap_base_addr;	/* &vmemmap_base, 0 if not dynamic */
const volatile bool refs_on_free;	/* no put_dev_pagemap() hook: a free drops it */
const volatile __u32 filter_pid;	/* records only: by the page's owner for frees */
const volatile bool capture_stacks = true;
const volatile bool count_in_kernel = true;	/* live views: per-CPU totals */
const volatile bool emit_records = true;	/* recordings: ring buffer records */
/*
 * The page owner table is for per-process totals, -p and the fallback
 * modes' direction guess; a recording in tracepoint mode needs none of it
 * (the replay knows each page's owner from its init record).
 */
const volatile bool track_owners = true;
/*
 * The mode sees a teardown end (7.3's destroy_end, memunmap_pages()
 * return): a pgmap counts as destroyed only then, and waits until then.
 * Without it (6.12's series) the destroy event is all there is.
 */
const volatile bool teardown_ends;
/* proc_counts slots: fewer when user space gives them back (devmemtop) */
const volatile __u32 max_procs = DEVMEM_MAX_PROCS;
/* Fallback modes: which argument of zone_device_page_init() is the order
 * (0: none, before Linux 6.18), see core_fixes.bpf.h. */
const volatile __u32 page_init_order_arg;
/* Fallback modes: list private pgmaps' ->migrate_to_ram for user space to hook. */
const volatile bool learn_fault_hooks;

#define MIGRATE_PFN_VALID	(1UL << 0)
#define MIGRATE_PFN_MIGRATE	(1UL << 1)
#define MIGRATE_PFN_COMPOUND	(1UL << 4)	/* Linux 6.19+: a PMD-sized entry */
#define MIGRATE_PFN_SHIFT	6
#define PMD_ORDER		9
#define X86_VMEMMAP_DEFAULT	0xffffea0000000000UL

/* Resized by user space before load (--ringbuf). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEVMEM_MAX_PGMAPS);
	__type(key, __u64);
	__type(value, struct devmem_pgmap_meta);
} pgmap_meta SEC(".maps");

/*
 * Totals are per CPU: GPU drivers migrate from many CPUs at once. Adds are
 * atomic too, because a preemptible kernel may run two programs on one CPU.
 * A pgmap's totals sit in an array slot, given out once per pgmap (and
 * again when a new pgmap reuses a dead one's address): an array lookup is
 * inlined by the verifier, and each CPU remembers its last pgmap's slot
 * (last_slot), so a page event usually costs no hash lookup for them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_MAX_PGMAPS);
	__type(key, __u32);
	__type(value, struct devmem_pgmap_counts);
} pgmap_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, DEVMEM_MAX_PGMAPS);
	__type(key, __u32);
	__type(value, struct devmem_pgmap_lat);
} pgmap_lat SEC(".maps");

/* pgmap address -> its slot in pgmap_counts (user space reads it too) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEVMEM_MAX_PGMAPS);
	__type(key, __u64);
	__type(value, __u32);
} pgmap_slot SEC(".maps");

static __u32 next_slot;		/* slots handed out so far */
static __u32 slot_gen;		/* bumped when a pgmap address gets a new slot */

/* Each CPU's last pgmap: its slot (live views) and type (records). */
struct pgmap_cache {
	__u64 pgmap;
	__u32 slot, gen, type;
	__u32 seq, busy;	/* see cache_barrier() */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pgmap_cache);
} last_pgmap SEC(".maps");

/*
 * A process's totals, like a pgmap's, sit in a per-CPU array slot, found
 * through this CPU's last process (last_proc) or else proc_slot. Slots
 * come back when user space evicts a process that is gone and holds no
 * pages (devmem_proc_forget_kernel()): it zeroes the slot, pushes it on
 * free_proc_slots and bumps proc_gen, which makes every cached slot stale.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct devmem_proc_counts);
} proc_counts SEC(".maps");

/* tgid -> its slot in proc_counts (user space reads and deletes) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEVMEM_MAX_PROCS);
	__type(key, __u32);
	__type(value, __u32);
} proc_slot SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, DEVMEM_MAX_PROCS);
	__type(value, __u32);
} free_proc_slots SEC(".maps");

static __u32 next_proc_slot;
__u32 proc_gen;			/* bumped by user space at each eviction */

struct proc_cache {
	__u32 tgid, slot, gen;
	__u32 seq, busy;	/* see cache_barrier() */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct proc_cache);
} last_proc SEC(".maps");

/* Events seen, by record type, whether or not a record was emitted. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_REC_TYPE_MAX);
	__type(key, __u32);
	__type(value, __u64);
} event_counts SEC(".maps");

/* Who was handed each device page: see devmem_maps.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, DEVMEM_MAX_CHUNKS);
	__type(key, __u64);
	__type(value, struct devmem_owner_chunk);
} page_owner SEC(".maps");

/* A zeroed chunk to insert from: 2 KiB does not fit on the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct devmem_owner_chunk);
} zero_chunk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 32 * sizeof(__u64));
} stacks SEC(".maps");

/*
 * A full stack costs a full unwind (tens of microseconds under TCG), and a
 * driver hands out a migration batch's pages from one loop, so from one
 * call site. A task's stack is taken once per batch: the cache entry is
 * dropped at each migration event of the task, and trusted for 10 ms at
 * most, so pages handed out outside migrations get a fresh stack often.
 */
#define STACK_REUSE_NS (10 * 1000 * 1000)

struct task_stack {
	__u64 ts_ns;
	__s32 stack_id;
	__u32 pad;
};

/* Task-local: no hash lookup per page, and gone with the task. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_stack);
} batch_stack SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DEVMEM_DROP_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/*
 * fentry/kprobe modes: migrate_vma_finalize() calls migrate_device_finalize(),
 * which must not count the batch twice. The nesting is the task's, not the
 * CPU's: finalize can sleep and wake up elsewhere.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u32);
} in_vma_finalize SEC(".maps");

/*
 * kprobe mode: arguments stashed at entry for the return probe, by thread
 * and by function: memremap_pages() calls get_dev_pagemap() before it
 * returns, so one slot per thread would be overwritten.
 */
enum stash_fn { STASH_MEMREMAP = 1, STASH_PAGE_INIT, STASH_GET_PGMAP, STASH_LONGTERM,
	       STASH_MEMUNMAP };

struct stash_key {
	__u32 tid, fn;
};

struct entry_args {
	__u64 a0, a1;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct stash_key);
	__type(value, struct entry_args);
} stash SEC(".maps");

/*
 * The pgmap reference a freed page held is put right after the free, by
 * the same task: remember whose page that was, so that -p keeps the put
 * along with the free (the task may be a child, a kworker, an eviction).
 */
struct freeing {
	__u32 tid, owner;	/* owner: tgid + 1 of the page just freed */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct freeing);
} last_free SEC(".maps");

static __u64 vmemmap;

/*
 * The verifier forbids arithmetic on the typed pointers tp_btf and fentry
 * programs get. Copied through the program's own stack by a helper, the
 * address is a scalar; nothing shared, so nesting programs cannot clash.
 * Works on scalars too (kprobe arguments); for rare events.
 */
static __always_inline __u64 addr_of(const void *p)
{
	const void *tmp = p;
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &tmp);
	return v;
}

/*
 * The same for the hot paths, without a helper call (a probe read costs
 * about twice an empty program under TCG, bench/run.sh's calibration). A
 * program that may leak pointers (CAP_PERFMON, which every tracing program
 * needs) may subtract one pointer from another: p - &events is a number,
 * and the map's own address, learned once, turns it into p's. Only for
 * BTF-typed pointers: a scalar minus a pointer is refused.
 */
static __u64 events_addr;

static __always_inline __u64 btf_addr(const void *p)
{
	__u64 d;

	if (!events_addr)
		events_addr = addr_of(&events);
	d = (__u64)p - (__u64)(const void *)&events;
	barrier_var(d);
	return d + events_addr;
}

static __always_inline void drop(__u32 what)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &what);

	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline void count_event(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&event_counts, &type);

	if (n)
		__sync_fetch_and_add(n, 1);
}

#include "fault_spin.bpf.h"

/* The pfn of a struct page (or folio) at address addr. */
static __always_inline __u64 pfn_of(__u64 addr)
{
	if (!vmemmap) {
		__u64 base = X86_VMEMMAP_DEFAULT;

		if (vmemmap_base_addr)
			bpf_probe_read_kernel(&base, sizeof(base), (void *)vmemmap_base_addr);
		vmemmap = base;
	}
	return (addr - vmemmap) / bpf_core_type_size(struct page);
}

static __always_inline __u64 page_to_pfn(const void *page)
{
	return pfn_of(addr_of(page));
}

/*
 * Waking the reader for every record costs more than the record: wake it
 * only once a good amount is waiting. Readers poll with a timeout anyway.
 */
#define WAKEUP_BYTES (256 << 10)

static __always_inline __u64 wakeup_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_BYTES ?
	       BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* A record for the ring buffer, or NULL; tgid decides the pid filter. */
static __always_inline void *reserve_for(__u32 type, __u32 size, __u32 tgid)
{
	struct devmem_rec_hdr *h;
	__u64 id;

	if (!emit_records || (filter_pid && tgid != filter_pid))
		return NULL;
	id = bpf_get_current_pid_tgid();
	h = bpf_ringbuf_reserve(&events, size, 0);
	if (!h) {
		drop(DEVMEM_DROP_RINGBUF);
		return NULL;
	}
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = bpf_ktime_get_ns();
	h->pid = id >> 32;
	h->tid = (__u32)id;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
	return h;
}

static __always_inline __u32 current_pid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

static __always_inline void *reserve(__u32 type, __u32 size)
{
	return reserve_for(type, size, current_pid());
}

/* What the BPF side knows of a pgmap, learned from the kernel the first time. */
static __always_inline struct devmem_pgmap_meta *pgmap_meta_of(__u64 pgmap)
{
	struct devmem_pgmap_meta *m, zero = {};
	const struct dev_pagemap *pg = (const void *)pgmap;

	if (!pgmap)
		return NULL;
	m = bpf_map_lookup_elem(&pgmap_meta, &pgmap);
	if (m)
		return m;
	zero.type = BPF_CORE_READ(pg, type);
	zero.owner = (__u64)BPF_CORE_READ(pg, owner);
	zero.ops = (__u64)BPF_CORE_READ(pg, ops);
	zero.start = BPF_CORE_READ(pg, range.start);
	zero.end = BPF_CORE_READ(pg, range.end);
	zero.nr_range = BPF_CORE_READ(pg, nr_range);
	if (learn_fault_hooks)
		fault_hook_learn(pg, zero.type);
	/* A pgmap made before we started: its size from its first range. */
	if (zero.end > zero.start)
		zero.nr_pages = (zero.end - zero.start + 1) >> 12;
	if (bpf_map_update_elem(&pgmap_meta, &pgmap, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&pgmap_meta, &pgmap)) {
		drop(DEVMEM_DROP_PGMAP_MAP);
		return NULL;
	}
	return bpf_map_lookup_elem(&pgmap_meta, &pgmap);
}

/* A pgmap's slot in pgmap_counts, given out at its first event. */
static __noinline __u32 new_pgmap_slot(__u64 pgmap)
{
	__u32 slot, *sp;

	/* Checked first: a full table must not keep counting up and wrap. */
	if (next_slot >= DEVMEM_MAX_PGMAPS) {
		drop(DEVMEM_DROP_PGMAP_MAP);
		return DEVMEM_MAX_PGMAPS;
	}
	slot = __sync_fetch_and_add(&next_slot, 1);
	if (slot >= DEVMEM_MAX_PGMAPS) {
		drop(DEVMEM_DROP_PGMAP_MAP);
		return DEVMEM_MAX_PGMAPS;
	}
	/*
	 * Another CPU may give this pgmap a slot first: then its slot is used,
	 * and ours goes back if no slot was handed out after it.
	 */
	if (bpf_map_update_elem(&pgmap_slot, &pgmap, &slot, BPF_NOEXIST))
		__sync_val_compare_and_swap(&next_slot, slot + 1, slot);
	sp = bpf_map_lookup_elem(&pgmap_slot, &pgmap);
	return sp ? *sp : DEVMEM_MAX_PGMAPS;
}

/*
 * This CPU's cache entries are shared by every program on the CPU, and one
 * program can interrupt another (an IRQ, or preemption in fentry mode). So
 * an entry is a seqlock with one writer at a time: a writer takes busy by
 * compare-and-swap (a program that finds it taken leaves the entry alone),
 * makes seq odd, writes, makes it even again. A reader takes the entry
 * only if seq was even and the same before and after its reads: whatever
 * wrote in between, one writer or several in turn, it misses rather than
 * take another entry's slot.
 */
#define cache_barrier() asm volatile("" ::: "memory")

/*
 * What the hot paths need of a pgmap, from this CPU's cache when the event
 * is on the same pgmap as the last one (a migration batch's pages are):
 * its type, and in a live view its slot. A miss learns the pgmap from the
 * kernel (pgmap_meta_of) and gives it a slot. False for no pgmap.
 */
static __always_inline bool pgmap_cached(__u64 pgmap, __u32 *slot, __u32 *type)
{
	struct devmem_pgmap_meta *m;
	struct pgmap_cache *c;
	__u32 k = 0, gen, *sp;

	*slot = DEVMEM_MAX_PGMAPS;
	*type = 0;
	if (!pgmap)
		return false;
	gen = slot_gen;		/* read first: a change after it is seen next time */
	c = bpf_map_lookup_elem(&last_pgmap, &k);
	if (c) {
		__u32 seq = c->seq, cgen;
		__u64 key;

		cache_barrier();
		key = c->pgmap;
		*slot = c->slot;
		*type = c->type;
		cgen = c->gen;
		cache_barrier();
		if (!(seq & 1) && c->seq == seq && key == pgmap && cgen == gen)
			return true;
	}
	m = pgmap_meta_of(pgmap);
	*slot = DEVMEM_MAX_PGMAPS;
	if (count_in_kernel) {
		sp = bpf_map_lookup_elem(&pgmap_slot, &pgmap);
		*slot = sp ? *sp : new_pgmap_slot(pgmap);
	}
	*type = m ? m->type : 0;
	if (c && !__sync_val_compare_and_swap(&c->busy, 0, 1)) {
		c->seq++;
		cache_barrier();
		c->pgmap = pgmap;
		c->slot = *slot;
		c->type = *type;
		c->gen = gen;
		cache_barrier();
		c->seq++;
		cache_barrier();
		c->busy = 0;
	}
	return true;
}

static __always_inline __u32 pgmap_type(__u64 pgmap)
{
	__u32 slot, type;

	pgmap_cached(pgmap, &slot, &type);
	return type;
}

static __always_inline struct devmem_pgmap_counts *pgmap_counts_of(__u64 pgmap)
{
	__u32 slot, type;

	if (!count_in_kernel || !pgmap_cached(pgmap, &slot, &type))
		return NULL;
	return bpf_map_lookup_elem(&pgmap_counts, &slot);
}

/*
 * A recording's pgmaps are learned at their events (user space describes
 * them from pgmap_meta); a live view learned them in pgmap_counts_of().
 */
static __always_inline void learn_pgmap(__u64 pgmap)
{
	if (emit_records)
		pgmap_type(pgmap);
}

static __always_inline struct devmem_pgmap_lat *pgmap_lat_of(__u64 pgmap)
{
	__u32 slot, type;

	if (!count_in_kernel || !pgmap_cached(pgmap, &slot, &type))
		return NULL;
	return bpf_map_lookup_elem(&pgmap_lat, &slot);
}

/* A process's slot in proc_counts, given out at its first event. */
static __noinline __u32 new_proc_slot(__u32 pid, bool current)
{
	struct devmem_proc_counts *p;
	__u32 slot, *sp;

	if (bpf_map_pop_elem(&free_proc_slots, &slot)) {
		/* Checked first: a full table must not keep counting up and wrap. */
		if (next_proc_slot >= max_procs) {
			drop(DEVMEM_DROP_PROC_MAP);
			return max_procs;
		}
		slot = __sync_fetch_and_add(&next_proc_slot, 1);
		if (slot >= max_procs) {
			drop(DEVMEM_DROP_PROC_MAP);
			return max_procs;
		}
	}
	p = bpf_map_lookup_elem(&proc_counts, &slot);
	if (p && current)
		bpf_get_current_comm(p->comm, sizeof(p->comm));
	/*
	 * Another CPU may give this process a slot first: then its slot is
	 * used, and ours goes back (a slot never used is still all zero).
	 */
	if (bpf_map_update_elem(&proc_slot, &pid, &slot, BPF_NOEXIST)) {
		if (p)
			__builtin_memset(p->comm, 0, sizeof(p->comm));
		bpf_map_push_elem(&free_proc_slots, &slot, 0);
	}
	sp = bpf_map_lookup_elem(&proc_slot, &pid);
	return sp ? *sp : max_procs;
}

/* The same cache discipline as pgmap_cached(). */
static __always_inline struct devmem_proc_counts *proc_counts_of(__u32 pid, bool current)
{
	struct proc_cache *c;
	__u32 k = 0, gen, slot, *sp;

	if (!count_in_kernel)
		return NULL;
	gen = proc_gen;		/* read first: an eviction after it is seen next time */
	c = bpf_map_lookup_elem(&last_proc, &k);
	if (c) {
		__u32 seq = c->seq, key, cgen;

		cache_barrier();
		key = c->tgid;
		slot = c->slot;
		cgen = c->gen;
		cache_barrier();
		/* tgid + 1: 0 is no process yet */
		if (!(seq & 1) && c->seq == seq && key == pid + 1 && cgen == gen)
			return bpf_map_lookup_elem(&proc_counts, &slot);
	}
	sp = bpf_map_lookup_elem(&proc_slot, &pid);
	slot = sp ? *sp : new_proc_slot(pid, current);
	if (slot >= max_procs)
		return NULL;
	if (c && !__sync_val_compare_and_swap(&c->busy, 0, 1)) {
		c->seq++;
		cache_barrier();
		c->tgid = pid + 1;
		c->slot = slot;
		c->gen = gen;
		cache_barrier();
		c->seq++;
		cache_barrier();
		c->busy = 0;
	}
	return bpf_map_lookup_elem(&proc_counts, &slot);
}

#define ADD(field, n) __sync_fetch_and_add(&(field), (n))

/* log2 of a folio's page count (a power of 2), without a loop */
static __always_inline __u32 order_of(__u32 nr)
{
	__u32 o = 0;

	if (nr >> 16) { nr >>= 16; o += 16; }
	if (nr >> 8) { nr >>= 8; o += 8; }
	if (nr >> 4) { nr >>= 4; o += 4; }
	if (nr >> 2) { nr >>= 2; o += 2; }
	if (nr >> 1)
		o += 1;
	return o;
}

/* The owner slot of a page; creates its chunk when create is set. */
static __always_inline __u32 *owner_slot(__u64 pfn, bool create)
{
	__u64 chunk = pfn >> DEVMEM_CHUNK_SHIFT;
	__u32 zero = 0, idx = pfn & (DEVMEM_CHUNK_PAGES - 1);
	struct devmem_owner_chunk *c;

	if (!track_owners)
		return NULL;
	c = bpf_map_lookup_elem(&page_owner, &chunk);
	if (!c && create) {
		struct devmem_owner_chunk *z = bpf_map_lookup_elem(&zero_chunk, &zero);

		/* Another CPU may insert the same chunk first: EEXIST is fine. */
		if (z && bpf_map_update_elem(&page_owner, &chunk, z, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&page_owner, &chunk))
			drop(DEVMEM_DROP_PAGE_MAP);
		c = bpf_map_lookup_elem(&page_owner, &chunk);
	}
	return c ? &c->owner[idx] : NULL;
}

/* The stack of a device page's allocation: one full unwind per batch. */
static __always_inline __s32 batch_stack_id(void *ctx, const struct devmem_rec_hdr *h)
{
	struct task_stack *c = bpf_task_storage_get(&batch_stack, bpf_get_current_task_btf(), NULL,
						    BPF_LOCAL_STORAGE_GET_F_CREATE);
	__s32 id;

	if (c && c->stack_id >= 0 && h->ts_ns - c->ts_ns < STACK_REUSE_NS)
		return c->stack_id;
	id = bpf_get_stackid(ctx, &stacks, 0);
	if (id < 0) {
		drop(DEVMEM_DROP_STACK);
		return -1;
	}
	if (c) {
		c->ts_ns = h->ts_ns;	/* the record's: no second clock read */
		c->stack_id = id;
	}
	return id;
}

static __always_inline void new_batch(void)
{
	struct task_stack *c;

	if (!capture_stacks || !emit_records)
		return;
	c = bpf_task_storage_get(&batch_stack, bpf_get_current_task_btf(), NULL, 0);
	if (c)
		c->stack_id = -1;
}

/* ---- handlers: one per event, shared by all modes ---- */

static __always_inline void on_pgmap(__u32 type, const struct dev_pagemap *pg, int error)
{
	__u64 pgmap = addr_of(pg);
	struct devmem_rec_pgmap *r;
	struct devmem_pgmap_meta *m;
	int i, nr_range = BPF_CORE_READ(pg, nr_range);
	__u64 nr_pages = 0;

	count_event(type);
	for (i = 0; i < 8 && i < nr_range; i++) {
		struct range rg;

		bpf_core_read(&rg, sizeof(rg), &pg->ranges[i]);
		nr_pages += (rg.end - rg.start + 1) >> 12;
	}
	/*
	 * A new pgmap may reuse a dead one's address: start its totals over in
	 * a new slot at its first event; every CPU's cached slot goes stale.
	 */
	if (type == DEVMEM_REC_PGMAP_CREATE && !error) {
		bpf_map_delete_elem(&pgmap_meta, &pgmap);
		bpf_map_delete_elem(&pgmap_slot, &pgmap);
		__sync_fetch_and_add(&slot_gen, 1);
	}
	m = pgmap_meta_of(pgmap);	/* (re)learns type and range from the kernel */
	if (m) {
		m->nr_pages = nr_pages;
		m->destroyed = type == DEVMEM_REC_PGMAP_DESTROY && !teardown_ends;
	}
	r = reserve(type, sizeof(*r));
	if (!r)
		return;
	r->pgmap = pgmap;
	r->owner = (__u64)BPF_CORE_READ(pg, owner);
	r->start = BPF_CORE_READ(pg, range.start);
	r->end = BPF_CORE_READ(pg, range.end);
	r->nr_pages = nr_pages;
	r->type = BPF_CORE_READ(pg, type);
	r->nr_range = nr_range;
	r->error = error;
	r->pad = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_page_init(void *ctx, __u64 pfn, __u64 pgmap, __u32 nr, __u32 flags)
{
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	__u32 pid = current_pid();
	struct devmem_proc_counts *p = proc_counts_of(pid, true);
	__u32 *owner = owner_slot(pfn, true);
	struct devmem_rec_page *r;

	count_event(DEVMEM_REC_PAGE_INIT);
	if (s) {
		ADD(s->inits, nr);
		if (!(flags & DEVMEM_PAGE_REF_SEPARATE))
			ADD(s->ref_inits, nr);
	}
	if (p) {
		ADD(p->inits, nr);
		ADD(p->held, nr);
	}
	if (owner)
		*owner = (pid + 1) | order_of(nr) << DEVMEM_OWNER_ORDER_SHIFT;
	r = reserve_for(DEVMEM_REC_PAGE_INIT, sizeof(*r), pid);
	if (!r)
		return;
	r->pfn = pfn;
	r->pgmap = pgmap;
	r->type = pgmap_type(pgmap);
	r->stack_id = capture_stacks ? batch_stack_id(ctx, &r->hdr) : -1;
	r->nr_pages = nr;
	r->flags = flags;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_folio_free(__u64 pfn, __u64 pgmap, __u32 nr)
{
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	__u32 *owner = owner_slot(pfn, false), pid = 0, type = 0;
	struct devmem_rec_page *r;

	/* The type only decides refs_on_free and goes in records (rodata). */
	if (refs_on_free || emit_records)
		type = pgmap_type(pgmap);

	count_event(DEVMEM_REC_FOLIO_FREE);
	if (owner) {
		pid = *owner & DEVMEM_OWNER_PID_MASK;
		*owner = 0;
	}
	if (s) {
		ADD(s->frees, nr);
		if (refs_on_free && (type == DEVMEM_PGMAP_PRIVATE || type == DEVMEM_PGMAP_COHERENT))
			ADD(s->ref_frees, nr);
	}
	if (pid) {
		/* The page counts against whoever was handed it, not who frees it. */
		struct devmem_proc_counts *p = proc_counts_of(pid - 1, false);

		if (p)
			ADD(p->held, -(__s64)nr);
	}
	if (filter_pid) {
		__u32 zero = 0;
		struct freeing *f = bpf_map_lookup_elem(&last_free, &zero);

		if (f) {
			f->tid = (__u32)bpf_get_current_pid_tgid();
			f->owner = pid;
		}
	}
	/*
	 * -p: a free belongs to the page's owner. One we never saw handed out
	 * (before we started) belongs to nobody we filter for.
	 */
	r = reserve_for(DEVMEM_REC_FOLIO_FREE, sizeof(*r), pid ? pid - 1 : 0);
	if (!r)
		return;
	r->pfn = pfn;
	r->pgmap = pgmap;
	r->type = type;
	r->stack_id = -1;
	r->nr_pages = nr;
	r->flags = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_get_pgmap(__u64 pfn, __u64 pgmap, __u64 nr)
{
	struct devmem_rec_pgmap_ref *r;

	count_event(DEVMEM_REC_GET_PGMAP);
	if (pgmap) {
		struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);

		learn_pgmap(pgmap);
		if (s)
			ADD(s->gets, nr);
	}
	r = reserve(DEVMEM_REC_GET_PGMAP, sizeof(*r));
	if (!r)
		return;
	r->pfn = pfn;
	r->pgmap = pgmap;
	r->nr = nr;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_put_pgmap(__u64 pgmap, __u64 pfn, __u64 nr)
{
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	struct devmem_rec_pgmap_ref *r;
	__u32 pid = current_pid();

	count_event(DEVMEM_REC_PUT_PGMAP);
	learn_pgmap(pgmap);
	if (s)
		ADD(s->puts, nr);
	if (filter_pid) {
		__u32 zero = 0;
		struct freeing *f = bpf_map_lookup_elem(&last_free, &zero);

		if (f && f->tid == (__u32)bpf_get_current_pid_tgid() && f->owner) {
			pid = f->owner - 1;	/* the put of the page just freed */
			f->owner = 0;
		}
	}
	r = reserve_for(DEVMEM_REC_PUT_PGMAP, sizeof(*r), pid);
	if (!r)
		return;
	r->pfn = pfn;
	r->pgmap = pgmap;
	r->nr = nr;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_longterm(__u64 src_pfn, __u64 dst_pfn, __u64 pgmap, int result,
					__u64 nr)
{
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	struct devmem_proc_counts *p = proc_counts_of(current_pid(), true);
	struct devmem_rec_longterm *r;

	count_event(DEVMEM_REC_LONGTERM);
	learn_pgmap(pgmap);
	if (s) {
		if (result)
			ADD(s->longterm_failed, nr);
		else
			ADD(s->longterm, nr);
	}
	if (p && !result)
		ADD(p->longterm, nr);
	r = reserve(DEVMEM_REC_LONGTERM, sizeof(*r));
	if (!r)
		return;
	r->src_pfn = src_pfn;
	r->dst_pfn = result ? 0 : dst_pfn;
	r->pgmap = pgmap;
	r->result = result;
	r->pad = 0;
	r->nr_pages = nr;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_cow(const void *old, const void *new, __u64 address)
{
	__u64 pgmap = (__u64)devmem_page_pgmap(old);
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	struct devmem_proc_counts *p = proc_counts_of(current_pid(), true);
	struct devmem_rec_cow *r;

	count_event(DEVMEM_REC_COW);
	if (s)
		ADD(s->cow, 1);
	if (p)
		ADD(p->cow, 1);
	r = reserve(DEVMEM_REC_COW, sizeof(*r));
	if (!r)
		return;
	r->old_pfn = page_to_pfn(old);
	r->new_pfn = page_to_pfn(new);
	r->pgmap = pgmap;
	r->address = address;
	r->type = pgmap_type(pgmap);
	r->pad = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline __u32 lat_bucket(__u64 ns)
{
	__u32 b = 0;

	/* floor(log2(ns)), without a loop the verifier has to unroll */
	if (ns >> 32) { ns >>= 32; b += 32; }
	if (ns >> 16) { ns >>= 16; b += 16; }
	if (ns >> 8) { ns >>= 8; b += 8; }
	if (ns >> 4) { ns >>= 4; b += 4; }
	if (ns >> 2) { ns >>= 2; b += 2; }
	if (ns >> 1)
		b += 1;
	return b < DEVMEM_LAT_BUCKETS ? b : DEVMEM_LAT_BUCKETS - 1;
}

static __always_inline void on_fault(const void *page, __u64 address, __u32 ret,
				     __u64 latency_ns, __u32 nr)
{
	__u64 pgmap = (__u64)devmem_page_pgmap(page), pfn = page_to_pfn(page);
	struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
	struct devmem_proc_counts *p = proc_counts_of(current_pid(), true);
	bool stuck = pgmap && fault_spin_note(pgmap, pfn, address);
	struct devmem_rec_fault *r;

	count_event(DEVMEM_REC_FAULT);
	learn_pgmap(pgmap);
	if (s)
		ADD(s->faults, 1);
	if (s && stuck)
		ADD(s->faults_no_progress, 1);
	if (p && stuck)
		ADD(p->faults_no_progress, 1);
	if (s && latency_ns) {
		struct devmem_pgmap_lat *l = pgmap_lat_of(pgmap);
		__u32 b = lat_bucket(latency_ns);

		if (l && b < DEVMEM_LAT_BUCKETS)
			ADD(l->fault_lat[b], 1);
	}
	if (p)
		ADD(p->faults, 1);
	r = reserve(DEVMEM_REC_FAULT, sizeof(*r));
	if (!r)
		return;
	r->pfn = pfn;
	r->pgmap = pgmap;
	r->address = address;
	r->ret = ret;
	r->flags = stuck ? DEVMEM_FAULT_NO_PROGRESS : 0;
	r->latency_ns = latency_ns;
	r->nr_pages = nr;
	r->pad2 = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

/*
 * A teardown begins (the task calling memunmap_pages() is current) or ends.
 * Rare, so the waiter's stack is worth a full unwind in a recording; a live
 * view reads the waiter's stack as it is now, from /proc.
 */
/* wait_ns of an end whose mode saw only the call: time it from the begin */
#define WAIT_FROM_BEGIN (~0ULL)

static __always_inline void on_pgmap_wait(void *ctx, const struct dev_pagemap *pg, __u32 stage,
					  __u64 live_pages, __u64 wait_ns)
{
	__u64 pgmap = addr_of(pg), id = bpf_get_current_pid_tgid();
	struct devmem_pgmap_meta *m = pgmap_meta_of(pgmap);
	struct devmem_rec_pgmap_wait *r;

	count_event(DEVMEM_REC_PGMAP_WAIT);
	if (m) {
		m->waiting = stage == DEVMEM_WAIT_BEGIN;
		m->destroyed = stage == DEVMEM_WAIT_END;
		if (stage == DEVMEM_WAIT_BEGIN) {
			m->wait_since_ns = bpf_ktime_get_ns();
			m->wait_live_pages = live_pages;
			m->wait_pid = id >> 32;
			m->wait_tid = (__u32)id;
			bpf_get_current_comm(m->wait_comm, sizeof(m->wait_comm));
		} else {
			/* fallback modes: the whole call, as the entry saw it begin */
			if (wait_ns == WAIT_FROM_BEGIN)
				wait_ns = m->wait_tid == (__u32)id ?
					  bpf_ktime_get_ns() - m->wait_since_ns : 0;
			m->wait_ns = wait_ns;
		}
	} else if (wait_ns == WAIT_FROM_BEGIN) {
		wait_ns = 0;
	}
	r = reserve(DEVMEM_REC_PGMAP_WAIT, sizeof(*r));
	if (!r)
		return;
	r->pgmap = pgmap;
	r->live_pages = live_pages;
	r->wait_ns = wait_ns;
	r->stage = stage;
	r->pad = 0;
	r->stack_id = -1;
	if (capture_stacks && stage == DEVMEM_WAIT_BEGIN) {
		r->stack_id = bpf_get_stackid(ctx, &stacks, 0);
		if (r->stack_id < 0) {
			drop(DEVMEM_DROP_STACK);
			r->stack_id = -1;
		}
	}
	r->pad2 = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

static __always_inline void on_migrate(__u32 stage, __u64 start, __u64 npages,
				       __u64 nr_migrate, __u64 to_dev, __u64 to_sys,
				       __u64 pgmap, __u64 owner, __u64 flags)
{
	struct devmem_rec_migrate *r;

	count_event(DEVMEM_REC_MIGRATE);
	new_batch();
	/*
	 * No test of to_dev or to_sys here: in the fallback modes they are
	 * counted by a bpf_loop() callback, and a branch on them would make
	 * the verifier follow every value they can take.
	 */
	if (stage == DEVMEM_MIGRATE_FINALIZE) {
		struct devmem_pgmap_counts *s = pgmap_counts_of(pgmap);
		struct devmem_proc_counts *p = proc_counts_of(current_pid(), true);

		learn_pgmap(pgmap);
		fault_spin_moved(to_sys);
		if (s) {
			ADD(s->to_device, to_dev);
			ADD(s->to_system, to_sys);
		}
		if (p) {
			ADD(p->to_device, to_dev);
			ADD(p->to_system, to_sys);
		}
	}
	r = reserve(DEVMEM_REC_MIGRATE, sizeof(*r));
	if (!r)
		return;
	r->start = start;
	r->npages = npages;
	r->nr_migrate = nr_migrate;
	r->nr_to_device = to_dev;
	r->nr_to_system = to_sys;
	r->pgmap = pgmap;
	r->owner = owner;
	r->flags = flags;
	r->stage = stage;
	r->pad = 0;
	bpf_ringbuf_submit(r, wakeup_flags());
}

/* ---- tracepoint mode ---- */

SEC("tp_btf/devmem_pgmap_create")
int BPF_PROG(tp_pgmap_create, const struct dev_pagemap *pgmap, int error)
{
	on_pgmap(DEVMEM_REC_PGMAP_CREATE, pgmap, error);
	return 0;
}

SEC("tp_btf/devmem_pgmap_destroy")
int BPF_PROG(tp_pgmap_destroy, const struct dev_pagemap *pgmap, int error)
{
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	return 0;
}

SEC("tp_btf/devmem_page_init")
int BPF_PROG(tp_page_init, const struct page *page)
{
	on_page_init(ctx, pfn_of(btf_addr(page)), (__u64)devmem_page_pgmap(page), 1, 0);
	return 0;
}

SEC("tp_btf/devmem_folio_free")
int BPF_PROG(tp_folio_free, const struct page *page)
{
	on_folio_free(pfn_of(btf_addr(page)), (__u64)devmem_page_pgmap(page), 1);
	return 0;
}

SEC("tp_btf/devmem_get_pgmap")
int BPF_PROG(tp_get_pgmap, unsigned long pfn, const struct dev_pagemap *pgmap)
{
	on_get_pgmap(pfn, addr_of(pgmap), pgmap ? 1 : 0);
	return 0;
}

SEC("tp_btf/devmem_put_pgmap")
int BPF_PROG(tp_put_pgmap, const struct dev_pagemap *pgmap)
{
	on_put_pgmap(addr_of(pgmap), 0, 1);
	return 0;
}

SEC("tp_btf/devmem_longterm_migrate")
int BPF_PROG(tp_longterm, struct folio *src, struct folio *dst,
	     const struct dev_pagemap *pgmap, int result)
{
	on_longterm(page_to_pfn(src), dst ? page_to_pfn(dst) : 0, addr_of(pgmap), result, 1);
	return 0;
}

SEC("tp_btf/devmem_cow_replace")
int BPF_PROG(tp_cow, struct page *old, struct folio *new, unsigned long address)
{
	on_cow(old, new, address);
	return 0;
}

SEC("tp_btf/devmem_fault")
int BPF_PROG(tp_fault, struct page *page, unsigned long address, vm_fault_t ret)
{
	on_fault(page, address, ret, 0, 1);
	return 0;
}

SEC("tracepoint/devmem/devmem_migrate_vma_setup")
int tp_migrate_setup(struct trace_event_raw_devmem_migrate_collect *ctx)
{
	on_migrate(DEVMEM_MIGRATE_SETUP, ctx->start, ctx->npages, ctx->nr_migrate, 0, 0,
		   (__u64)ctx->pgmap, (__u64)ctx->owner, ctx->flags);
	return 0;
}

SEC("tracepoint/devmem/devmem_migrate_device_range")
int tp_migrate_range(struct trace_event_raw_devmem_migrate_collect *ctx)
{
	on_migrate(DEVMEM_MIGRATE_RANGE, ctx->start, ctx->npages, ctx->nr_migrate, 0, 0,
		   (__u64)ctx->pgmap, (__u64)ctx->owner, ctx->flags);
	return 0;
}

SEC("tracepoint/devmem/devmem_migrate_pages")
int tp_migrate_pages(struct trace_event_raw_devmem_migrate_batch *ctx)
{
	on_migrate(DEVMEM_MIGRATE_PAGES, ctx->start, ctx->npages, 0, ctx->nr_to_device,
		   ctx->nr_to_system, (__u64)ctx->pgmap, (__u64)ctx->owner, 0);
	return 0;
}

SEC("tracepoint/devmem/devmem_migrate_finalize")
int tp_migrate_finalize(struct trace_event_raw_devmem_migrate_batch *ctx)
{
	on_migrate(DEVMEM_MIGRATE_FINALIZE, ctx->start, ctx->npages, 0, ctx->nr_to_device,
		   ctx->nr_to_system, (__u64)ctx->pgmap, (__u64)ctx->owner, 0);
	return 0;
}

/*
 * ---- tracepoint mode, Linux 7.3 series (kpatches/) ----
 * Every event counts pages: folio events carry the order, reference
 * events nr, migration events page counts. A folio's init comes with a
 * zone_device_pgmap_get of its references, so its record says so.
 */

SEC("tp_btf/zone_device_pgmap_create")
int BPF_PROG(tp_zd_pgmap_create, const struct dev_pagemap *pgmap, int error)
{
	on_pgmap(DEVMEM_REC_PGMAP_CREATE, pgmap, error);
	return 0;
}

SEC("tp_btf/zone_device_pgmap_destroy_begin")
int BPF_PROG(tp_zd_destroy_begin, const struct dev_pagemap *pgmap, unsigned long live_pages)
{
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_BEGIN, live_pages, 0);
	return 0;
}

SEC("tp_btf/zone_device_pgmap_destroy_end")
int BPF_PROG(tp_zd_destroy_end, const struct dev_pagemap *pgmap, u64 wait_ns)
{
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_END, 0, wait_ns);
	return 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(tp_zd_folio_init, const struct folio *folio, const struct dev_pagemap *pgmap,
	     unsigned int order)
{
	on_page_init(ctx, pfn_of(btf_addr(folio)), btf_addr(pgmap), 1U << (order & 31),
		     DEVMEM_PAGE_REF_SEPARATE);
	return 0;
}

SEC("tp_btf/zone_device_folio_free")
int BPF_PROG(tp_zd_folio_free, const struct folio *folio, const struct dev_pagemap *pgmap,
	     unsigned int order)
{
	on_folio_free(pfn_of(btf_addr(folio)), btf_addr(pgmap), 1U << (order & 31));
	return 0;
}

SEC("tp_btf/zone_device_pgmap_get")
int BPF_PROG(tp_zd_pgmap_get, const struct dev_pagemap *pgmap, unsigned long pfn,
	     unsigned long nr)
{
	on_get_pgmap(pfn, addr_of(pgmap), nr);
	return 0;
}

SEC("tp_btf/zone_device_pgmap_put")
int BPF_PROG(tp_zd_pgmap_put, const struct dev_pagemap *pgmap, unsigned long pfn,
	     unsigned long nr)
{
	on_put_pgmap(addr_of(pgmap), pfn, nr);
	return 0;
}

SEC("tp_btf/zone_device_private_fault")
int BPF_PROG(tp_zd_fault, const struct page *page, const struct dev_pagemap *pgmap,
	     unsigned long address, unsigned int order, vm_fault_t ret, u64 duration_ns)
{
	on_fault(page, address, ret, duration_ns ? duration_ns : 1, 1U << (order & 31));
	return 0;
}

SEC("tp_btf/zone_device_cow_replace")
int BPF_PROG(tp_zd_cow, const struct page *old, const struct folio *new, unsigned long address)
{
	on_cow(old, new, address);
	return 0;
}

SEC("tp_btf/migrate_vma_setup")
int BPF_PROG(tp_md_vma_setup, unsigned long start, unsigned long npages,
	     unsigned long nr_migrate, unsigned long flags, const struct dev_pagemap *pgmap,
	     const void *owner)
{
	on_migrate(DEVMEM_MIGRATE_SETUP, start, npages, nr_migrate, 0, 0, addr_of(pgmap),
		   (__u64)owner, flags);
	return 0;
}

SEC("tp_btf/migrate_device_range")
int BPF_PROG(tp_md_range, unsigned long start, unsigned long npages,
	     unsigned long nr_migrate, unsigned long flags, const struct dev_pagemap *pgmap,
	     const void *owner)
{
	on_migrate(DEVMEM_MIGRATE_RANGE, start, npages, nr_migrate, 0, 0, addr_of(pgmap),
		   (__u64)owner, flags);
	return 0;
}

SEC("tp_btf/migrate_device_pfns")
int BPF_PROG(tp_md_pfns, unsigned long start, unsigned long npages,
	     unsigned long nr_migrate, unsigned long flags, const struct dev_pagemap *pgmap,
	     const void *owner)
{
	on_migrate(DEVMEM_MIGRATE_RANGE, start, npages, nr_migrate, 0, 0, addr_of(pgmap),
		   (__u64)owner, flags);
	return 0;
}

SEC("tp_btf/migrate_device_pages")
int BPF_PROG(tp_md_pages, unsigned long start, unsigned long npages,
	     unsigned long nr_to_device, unsigned long nr_to_system,
	     const struct dev_pagemap *pgmap, const void *owner)
{
	on_migrate(DEVMEM_MIGRATE_PAGES, start, npages, 0, nr_to_device, nr_to_system,
		   addr_of(pgmap), (__u64)owner, 0);
	return 0;
}

SEC("tp_btf/migrate_device_finalize")
int BPF_PROG(tp_md_finalize, unsigned long start, unsigned long npages,
	     unsigned long nr_to_device, unsigned long nr_to_system,
	     const struct dev_pagemap *pgmap, const void *owner)
{
	on_migrate(DEVMEM_MIGRATE_FINALIZE, start, npages, 0, nr_to_device, nr_to_system,
		   addr_of(pgmap), (__u64)owner, 0);
	return 0;
}

SEC("tp_btf/migrate_device_coherent_folio")
int BPF_PROG(tp_md_longterm, unsigned long src_pfn, unsigned long dst_pfn,
	     const struct dev_pagemap *pgmap, unsigned long nr_pages, int result)
{
	on_longterm(src_pfn, dst_pfn, addr_of(pgmap), result, nr_pages);
	return 0;
}

/* ---- fentry and kprobe modes ---- */

#include "fault_fallback.bpf.h"

/* The pgmap of a device page, from its struct page (vmemmap + pfn). */
static __always_inline __u64 pgmap_of_pfn(__u64 pfn)
{
	const void *page;

	page_to_pfn(NULL);	/* learns vmemmap */
	page = (const void *)(vmemmap + pfn * bpf_core_type_size(struct page));
	return (__u64)devmem_page_pgmap(page);
}

/*
 * Count a finalize batch from its pfn arrays: a destination the tool saw
 * handed out is device memory, a source it saw handed out left it.
 */
struct batch_ctx {
	const __u64 *src, *dst;
	__u64 to_dev, to_sys, pgmap;
};

static long count_one(__u64 i, struct batch_ctx *c)
{
	__u64 s = 0, d = 0;
	__u32 *owner;

	bpf_probe_read_kernel(&s, sizeof(s), &c->src[i]);
	bpf_probe_read_kernel(&d, sizeof(d), &c->dst[i]);
	if (!(s & MIGRATE_PFN_MIGRATE) || !(d & MIGRATE_PFN_VALID))
		return 0;
	/*
	 * No branch on the counters here: the verifier would have to track
	 * each value they can take and never see the loop converge.
	 */
	owner = owner_slot(d >> MIGRATE_PFN_SHIFT, false);
	/* A PMD-sized entry (Linux 6.19+) moves all its pages at once. */
	if (d & MIGRATE_PFN_COMPOUND) {
		if (owner && *owner) {
			c->to_dev += 1 << PMD_ORDER;
			if (!c->pgmap)
				c->pgmap = pgmap_of_pfn(d >> MIGRATE_PFN_SHIFT);
			return 0;
		}
		c->to_sys += 1 << PMD_ORDER;
		owner = owner_slot(s >> MIGRATE_PFN_SHIFT, false);
		if (!c->pgmap && owner && *owner)
			c->pgmap = pgmap_of_pfn(s >> MIGRATE_PFN_SHIFT);
		return 0;
	}
	if (owner && *owner) {
		c->to_dev++;
		if (!c->pgmap)
			c->pgmap = pgmap_of_pfn(d >> MIGRATE_PFN_SHIFT);
		return 0;
	}
	c->to_sys++;
	owner = owner_slot(s >> MIGRATE_PFN_SHIFT, false);
	if (!c->pgmap && owner && *owner)
		c->pgmap = pgmap_of_pfn(s >> MIGRATE_PFN_SHIFT);
	return 0;
}

static __always_inline void on_finalize(const __u64 *src, const __u64 *dst, __u64 npages,
					__u64 start, __u64 owner)
{
	struct batch_ctx c = { .src = src, .dst = dst };

	bpf_loop(npages, count_one, &c, 0);
	on_migrate(DEVMEM_MIGRATE_FINALIZE, start, npages, 0, c.to_dev, c.to_sys,
		   c.pgmap, owner, 0);
}

static __always_inline __u32 *vma_finalize_depth(bool create)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0, *n;

	n = bpf_map_lookup_elem(&in_vma_finalize, &tid);
	if (!n && create) {
		bpf_map_update_elem(&in_vma_finalize, &tid, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&in_vma_finalize, &tid);
	}
	return n;
}

static __always_inline void vma_finalize_enter(struct migrate_vma *m)
{
	__u32 *n;

	on_finalize((const __u64 *)BPF_CORE_READ(m, src), (const __u64 *)BPF_CORE_READ(m, dst),
		    BPF_CORE_READ(m, npages), BPF_CORE_READ(m, start),
		    (__u64)BPF_CORE_READ(m, pgmap_owner));
	fault_at_finalize(m);	/* after its batch: a fault's migration is committed */
	n = vma_finalize_depth(true);
	if (n)
		*n += 1;
}

static __always_inline void vma_finalize_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), *n = vma_finalize_depth(false);

	if (n && *n > 1)
		*n -= 1;
	else if (n)
		bpf_map_delete_elem(&in_vma_finalize, &tid);
}

static __always_inline void device_finalize_enter(const __u64 *src, const __u64 *dst, __u64 npages)
{
	if (!vma_finalize_depth(false))
		on_finalize(src, dst, npages, 0, 0);
}

SEC("fexit/memremap_pages")
int BPF_PROG(fexit_memremap_pages, struct dev_pagemap *pgmap, int nid, void *ret)
{
	long r = (long)ret;

	on_pgmap(DEVMEM_REC_PGMAP_CREATE, pgmap, r < 0 && r >= -4095 ? r : 0);
	return 0;
}

/*
 * The teardown from memunmap_pages() entry to return: the wait for the last
 * references is in between, and a call that never returns is a hung one.
 * How many pages it waits for comes from the page records and totals.
 */
SEC("fentry/memunmap_pages")
int BPF_PROG(fentry_memunmap_pages, struct dev_pagemap *pgmap)
{
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_BEGIN, DEVMEM_LIVE_UNKNOWN, 0);
	return 0;
}

SEC("fexit/memunmap_pages")
int BPF_PROG(fexit_memunmap_pages, struct dev_pagemap *pgmap)
{
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_END, 0, WAIT_FROM_BEGIN);
	return 0;
}

/* Attached to zone_device_page_init or zone_device_folio_init, see core_fixes.bpf.h. */
SEC("fexit/zone_device_page_init")
int BPF_PROG(fexit_page_init, struct page *page)
{
	__u64 order = 0;

	if (page_init_order_arg)
		bpf_get_func_arg(ctx, page_init_order_arg, &order);
	on_page_init(ctx, pfn_of(btf_addr(page)), (__u64)devmem_page_pgmap(page),
		     1U << (order & 31), 0);
	return 0;
}

/* On entry: after ->folio_free() the folio may already be reused (7.1). */
SEC("fentry/free_zone_device_folio")
int BPF_PROG(fentry_folio_free, struct folio *folio)
{
	on_folio_free(pfn_of(btf_addr(folio)), (__u64)devmem_page_pgmap(folio),
		      devmem_folio_nr_pages(folio));
	return 0;
}

SEC("fexit/get_dev_pagemap")
int fexit_get_dev_pagemap(void *ctx)
{
	__u64 pfn = 0, cached = 0, ret = 0;

	bpf_get_func_arg(ctx, 0, &pfn);
	if (bpf_get_func_arg_cnt(ctx) > 1)
		bpf_get_func_arg(ctx, 1, &cached);
	bpf_get_func_ret(ctx, &ret);
	if (!ret || ret != cached)	/* a cached pgmap comes back without a new reference */
		on_get_pgmap(pfn, ret, ret ? 1 : 0);
	return 0;
}

SEC("fexit/migrate_device_coherent_folio")
int BPF_PROG(fexit_longterm, struct folio *folio, int ret)
{
	on_longterm(page_to_pfn(folio), 0, (__u64)devmem_page_pgmap(folio), ret,
		    devmem_folio_nr_pages(folio));
	return 0;
}

SEC("fentry/migrate_vma_finalize")
int BPF_PROG(fentry_vma_finalize, struct migrate_vma *m)
{
	vma_finalize_enter(m);
	return 0;
}

SEC("fexit/migrate_vma_finalize")
int BPF_PROG(fexit_vma_finalize, struct migrate_vma *m)
{
	vma_finalize_exit();
	return 0;
}

SEC("fentry/migrate_device_finalize")
int BPF_PROG(fentry_device_finalize, unsigned long *src, unsigned long *dst, unsigned long npages)
{
	device_finalize_enter((const __u64 *)src, (const __u64 *)dst, npages);
	return 0;
}

static __always_inline void stash_args(enum stash_fn fn, __u64 a0, __u64 a1)
{
	struct stash_key k = { (__u32)bpf_get_current_pid_tgid(), fn };
	struct entry_args a = { a0, a1 };

	bpf_map_update_elem(&stash, &k, &a, BPF_ANY);
}

static __always_inline bool unstash_args(enum stash_fn fn, struct entry_args *a)
{
	struct stash_key k = { (__u32)bpf_get_current_pid_tgid(), fn };
	struct entry_args *p = bpf_map_lookup_elem(&stash, &k);

	if (!p)
		return false;
	*a = *p;
	bpf_map_delete_elem(&stash, &k);
	return true;
}

SEC("kprobe/memremap_pages")
int BPF_KPROBE(kp_memremap_pages, struct dev_pagemap *pgmap)
{
	stash_args(STASH_MEMREMAP, (__u64)pgmap, 0);
	return 0;
}

SEC("kretprobe/memremap_pages")
int BPF_KRETPROBE(krp_memremap_pages, void *ret)
{
	struct entry_args a;
	long r = (long)ret;

	if (unstash_args(STASH_MEMREMAP, &a))
		on_pgmap(DEVMEM_REC_PGMAP_CREATE, (void *)a.a0, r < 0 && r >= -4095 ? r : 0);
	return 0;
}

SEC("kprobe/memunmap_pages")
int BPF_KPROBE(kp_memunmap_pages, struct dev_pagemap *pgmap)
{
	stash_args(STASH_MEMUNMAP, (__u64)pgmap, 0);
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_BEGIN, DEVMEM_LIVE_UNKNOWN, 0);
	return 0;
}

SEC("kretprobe/memunmap_pages")
int BPF_KRETPROBE(krp_memunmap_pages)
{
	struct entry_args a;

	if (unstash_args(STASH_MEMUNMAP, &a))
		on_pgmap_wait(ctx, (void *)a.a0, DEVMEM_WAIT_END, 0, WAIT_FROM_BEGIN);
	return 0;
}

/* The page is initialized on return; stash it at entry. */
SEC("kprobe/zone_device_page_init")
int BPF_KPROBE(kp_page_init, struct page *page)
{
	__u64 order = page_init_order_arg == 2 ? PT_REGS_PARM3(ctx) :
		      page_init_order_arg == 1 ? PT_REGS_PARM2(ctx) : 0;

	stash_args(STASH_PAGE_INIT, (__u64)page, order);
	return 0;
}

SEC("kretprobe/zone_device_page_init")
int BPF_KRETPROBE(krp_page_init)
{
	struct entry_args a;

	if (unstash_args(STASH_PAGE_INIT, &a))
		on_page_init(ctx, pfn_of(a.a0), (__u64)devmem_page_pgmap((void *)a.a0),
			     1U << (a.a1 & 31), 0);
	return 0;
}

SEC("kprobe/free_zone_device_folio")
int BPF_KPROBE(kp_folio_free, struct folio *folio)
{
	on_folio_free(pfn_of((__u64)folio), (__u64)devmem_page_pgmap(folio),
		      devmem_folio_nr_pages(folio));
	return 0;
}

SEC("kprobe/get_dev_pagemap")
int BPF_KPROBE(kp_get_dev_pagemap, unsigned long pfn, struct dev_pagemap *cached)
{
	stash_args(STASH_GET_PGMAP, pfn, (__u64)cached);
	return 0;
}

SEC("kretprobe/get_dev_pagemap")
int BPF_KRETPROBE(krp_get_dev_pagemap, struct dev_pagemap *ret)
{
	struct entry_args a;

	if (unstash_args(STASH_GET_PGMAP, &a) && (!ret || (__u64)ret != a.a1))
		on_get_pgmap(a.a0, (__u64)ret, ret ? 1 : 0);
	return 0;
}

SEC("kprobe/migrate_device_coherent_folio")
int BPF_KPROBE(kp_longterm, struct folio *folio)
{
	stash_args(STASH_LONGTERM, (__u64)folio, (__u64)devmem_page_pgmap(folio));
	return 0;
}

SEC("kretprobe/migrate_device_coherent_folio")
int BPF_KRETPROBE(krp_longterm, int ret)
{
	struct entry_args a;

	if (unstash_args(STASH_LONGTERM, &a))
		on_longterm(page_to_pfn((void *)a.a0), 0, a.a1, ret,
			    devmem_folio_nr_pages((void *)a.a0));
	return 0;
}

SEC("kprobe/migrate_vma_finalize")
int BPF_KPROBE(kp_vma_finalize, struct migrate_vma *m)
{
	vma_finalize_enter(m);
	return 0;
}

SEC("kretprobe/migrate_vma_finalize")
int BPF_KRETPROBE(krp_vma_finalize)
{
	vma_finalize_exit();
	return 0;
}

SEC("kprobe/migrate_device_finalize")
int BPF_KPROBE(kp_device_finalize, unsigned long *src, unsigned long *dst, unsigned long npages)
{
	device_finalize_enter((const __u64 *)src, (const __u64 *)dst, npages);
	return 0;
}

/*
 * ---- every mode, records only: the process tree ----
 * Who forked whom and when a process ended, in record order with the page
 * records, so devmemleak can judge only the pages of its command and the
 * command's descendants. User space loads these ("task_" prefix) only when
 * it asks for records. Threads are not processes: a clone within the
 * thread group is not reported, and an exit only when the group is dead
 * (signal->live already dropped to 0 where the tracepoint fires, on 6.x
 * and 7.x alike). Two threads dying at once may both see 0: a second exit
 * record of the same tgid is harmless to readers.
 */
static __always_inline void task_rec(__u32 type, __u32 parent_tgid, __u32 tgid)
{
	struct devmem_rec_task *r;

	count_event(type);
	r = reserve_for(type, sizeof(*r), parent_tgid ? parent_tgid : tgid);
	if (!r)
		return;
	r->parent_tgid = parent_tgid;
	r->tgid = tgid;
	bpf_ringbuf_submit(r, wakeup_flags());
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(task_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);

	if (ptgid != ctgid)
		task_rec(DEVMEM_REC_TASK_FORK, ptgid, ctgid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(task_exit, struct task_struct *p)
{
	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		task_rec(DEVMEM_REC_TASK_EXIT, 0, BPF_CORE_READ(p, tgid));
	return 0;
}
