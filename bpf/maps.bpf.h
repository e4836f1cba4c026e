/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What user space sets before load (rodata) and the maps both sides use:
 * devmem_maps.h says what user space reads in each.
 */
#ifndef DEVMEM_MAPS_BPF_H
#define DEVMEM_MAPS_BPF_H

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
 * (0: none, before Linux 6.19), see core_fixes.bpf.h. */
const volatile __u32 page_init_order_arg;
/* kprobe mode: get_dev_pagemap() still takes a cached pgmap (before 6.18). */
const volatile bool get_pgmap_cached_arg = true;
/* Fallback modes: list private pgmaps' ->migrate_to_ram for user space to hook. */
const volatile bool learn_fault_hooks;

#define MIGRATE_PFN_VALID	(1UL << 0)
#define MIGRATE_PFN_MIGRATE	(1UL << 1)
#define MIGRATE_PFN_COMPOUND	(1UL << 4)	/* Linux 6.19+: a PMD-sized entry */
/* Jordan Niethe's series (docs/kernels-next.md): a device private offset, no pfn. */
#define MIGRATE_PFN_DEVICE_PRIVATE (1UL << 5)
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
 * (last_pgmap), so a page event usually costs no hash lookup for them.
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

/* Retired pgmaps, for user space to read and give back: devmem_maps.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEVMEM_MAX_RETIRED);
	__type(key, __u64);
	__type(value, struct devmem_pgmap_retired);
} pgmap_retired SEC(".maps");

/* Slots user space gave back, zeroed, taken before next_slot grows. */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, DEVMEM_MAX_PGMAPS);
	__type(value, __u32);
} free_pgmap_slots SEC(".maps");

/*
 * Never read by a program: an update of a map-in-map from user space
 * returns only after every running (non-sleepable) program has finished
 * (the kernel's maybe_wait_bpf_programs()), so user space updates it to
 * wait for programs that may still hold a slot it is about to zero.
 */
struct rcu_fence_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct rcu_fence_inner);
} rcu_fence SEC(".maps");

static __u32 next_slot;		/* slots handed out so far */
static __u64 retire_serial;	/* pgmap_retired's keys */
static __u32 next_pgmap_serial;	/* page_owner's key prefixes handed out */
/*
 * Bumped when a pgmap retires, and by user space before it zeroes a slot:
 * every CPU's cached slot goes stale.
 */
__u32 slot_gen;

/* Each CPU's last pgmap: its slot (live views) and type (records). */
struct pgmap_cache {
	__u64 pgmap;
	__u64 index_base, nr_pages;	/* its page_owner keys (devmem_pgmap_meta) */
	__u32 slot, gen, type;
	__u32 serial, nr_range;
	__u32 seq, busy;	/* see cache_barrier() */
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
	       STASH_MEMUNMAP, STASH_MEMREMAP_PRIVATE, STASH_MEMUNMAP_PRIVATE };

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

#endif
