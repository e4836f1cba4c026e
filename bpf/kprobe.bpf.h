/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kprobe mode: the same functions through kprobes and kretprobes, where
 * fentry cannot attach (no BTF trampolines, or a locked-down kernel).
 */
#ifndef DEVMEM_KPROBE_BPF_H
#define DEVMEM_KPROBE_BPF_H

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

/* Device private pgmaps with the pending series: see fentry.bpf.h. */
SEC("kprobe/memremap_device_private_pagemap")
int BPF_KPROBE(kp_memremap_private, struct dev_pagemap *pgmap)
{
	stash_args(STASH_MEMREMAP_PRIVATE, (__u64)pgmap, 0);
	return 0;
}

SEC("kretprobe/memremap_device_private_pagemap")
int BPF_KRETPROBE(krp_memremap_private, unsigned long ret)
{
	struct entry_args a;
	int r = (int)ret;

	if (unstash_args(STASH_MEMREMAP_PRIVATE, &a))
		on_pgmap(DEVMEM_REC_PGMAP_CREATE, (void *)a.a0, r < 0 && r >= -4095 ? r : 0);
	return 0;
}

SEC("kprobe/memunmap_device_private_pagemap")
int BPF_KPROBE(kp_memunmap_private, struct dev_pagemap *pgmap)
{
	stash_args(STASH_MEMUNMAP_PRIVATE, (__u64)pgmap, 0);
	on_pgmap(DEVMEM_REC_PGMAP_DESTROY, pgmap, 0);
	on_pgmap_wait(ctx, pgmap, DEVMEM_WAIT_BEGIN, DEVMEM_LIVE_UNKNOWN, 0);
	return 0;
}

SEC("kretprobe/memunmap_device_private_pagemap")
int BPF_KRETPROBE(krp_memunmap_private)
{
	struct entry_args a;

	if (unstash_args(STASH_MEMUNMAP_PRIVATE, &a))
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
		      devmem_folio_nr_pages(folio), 0);
	return 0;
}

/* Since 6.18 there is no cached pgmap: the second register is stale. */
SEC("kprobe/get_dev_pagemap")
int BPF_KPROBE(kp_get_dev_pagemap, unsigned long pfn, struct dev_pagemap *cached)
{
	stash_args(STASH_GET_PGMAP, pfn, get_pgmap_cached_arg ? (__u64)cached : 0);
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
 * command's descendants. User space loads these (modes.c's tasks) only when
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

#endif
