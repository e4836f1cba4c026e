/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Faults that move nothing (docs/counting.md). A device private page that
 * cannot go back to system memory (an extra reference, a driver bug) makes
 * the CPU fault on it forever: ->migrate_to_ram() returns, the page is
 * still on the device, the task faults again. A fault "moves nothing" when
 * the thread's previous fault was on the same device page (pfn) at the
 * same user page, and the thread migrated no page to system memory since
 * that fault. Such a fault is a repeat; the first fault of a run cannot be
 * told from a good one yet and is not.
 *
 * Per-thread state is task-local storage (no hash lookup per fault, gone
 * with the task). Only a thread that repeats shows up in fault_spins, the
 * one table user space reads: written at each repeat, deleted at the
 * thread's next fault that is not one. Included by devmem.bpf.c after its
 * helpers (drop(), DEVMEM_ADD()).
 */
#ifndef DEVMEM_FAULT_SPIN_BPF_H
#define DEVMEM_FAULT_SPIN_BPF_H

struct fault_task {
	__u64 address, pfn, pgmap;	/* its last fault */
	__u64 sys_moved;	/* pages it migrated to system memory */
	__u64 sys_at_fault;	/* sys_moved at its last fault */
	__u64 first_ns;		/* the first fault on this page of the run */
	__u64 repeats;
	/* fallback modes: the fault in ->migrate_to_ram(), from its kprobe */
	__u64 entry_vmf, entry_ns;
	__u32 listed;		/* has an entry in fault_spins */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct fault_task);
} fault_task SEC(".maps");

/* Threads whose fault repeats without progress; see devmem_maps.h. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEVMEM_MAX_SPINS);
	__type(key, __u32);
	__type(value, struct devmem_fault_spin);
} fault_spins SEC(".maps");

/* Fallback modes: each private pgmap's ->migrate_to_ram, to hook by kprobe. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DEVMEM_MAX_FAULT_HOOKS);
	__type(key, __u64);
	__type(value, __u32);
} fault_hooks SEC(".maps");

/* A device private pgmap's fault callback, for user space to hook. */
static __always_inline void fault_hook_learn(const struct dev_pagemap *pg, __u32 type)
{
	__u64 fn;
	__u32 one = 1;

	if (type != DEVMEM_PGMAP_PRIVATE)
		return;
	fn = (__u64)BPF_CORE_READ(pg, ops, migrate_to_ram);
	if (fn && bpf_map_update_elem(&fault_hooks, &fn, &one, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&fault_hooks, &fn))
		drop(DEVMEM_DROP_PGMAP_MAP);
}

/* A committed migration batch of this thread: progress for its faults. */
static __always_inline void fault_spin_moved(__u64 to_sys)
{
	struct fault_task *t = bpf_task_storage_get(&fault_task, bpf_get_current_task_btf(), NULL, 0);

	/* No branch on to_sys: see on_migrate(). */
	if (t)
		t->sys_moved += to_sys;
}

/*
 * A device private fault returned: is it a repeat without progress? Keeps
 * fault_spins up to date. Only the thread itself writes its state.
 */
static __always_inline bool fault_spin_note(__u64 pgmap, __u64 pfn, __u64 address)
{
	struct fault_task *t = bpf_task_storage_get(&fault_task, bpf_get_current_task_btf(), NULL,
						    BPF_LOCAL_STORAGE_GET_F_CREATE);
	struct devmem_fault_spin v = {};
	__u64 id = bpf_get_current_pid_tgid(), now = bpf_ktime_get_ns();
	__u32 tid = (__u32)id;
	bool repeat;

	if (!t) {
		drop(DEVMEM_DROP_SPIN_MAP);
		return false;
	}
	address &= ~0xfffULL;
	repeat = t->first_ns && t->pfn == pfn && t->address == address && t->pgmap == pgmap &&
		 t->sys_moved == t->sys_at_fault;
	t->sys_at_fault = t->sys_moved;
	if (!repeat) {
		if (t->listed)
			bpf_map_delete_elem(&fault_spins, &tid);
		t->listed = 0;
		t->address = address;
		t->pfn = pfn;
		t->pgmap = pgmap;
		t->first_ns = now;
		t->repeats = 0;
		return false;
	}
	t->repeats++;
	v.pgmap = pgmap;
	v.pfn = pfn;
	v.address = address;
	v.first_ns = t->first_ns;
	v.last_ns = now;
	v.repeats = t->repeats;
	v.pid = id >> 32;
	v.tid = tid;
	bpf_get_current_comm(v.comm, sizeof(v.comm));
	/* A whole entry each time: user space may have deleted a stale one. */
	if (bpf_map_update_elem(&fault_spins, &tid, &v, BPF_ANY)) {
		drop(DEVMEM_DROP_SPIN_MAP);
		t->listed = 0;
	} else {
		t->listed = 1;
	}
	return true;
}

#endif
