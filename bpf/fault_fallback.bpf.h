/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device private faults in the fentry and kprobe modes, where the fault
 * happens inside do_swap_page() and only the pgmap's own ->migrate_to_ram()
 * tells it from a swap fault. Two ways in, each fault counted once:
 *
 *  - the driver's callback itself, ->migrate_to_ram(): which function that
 *    is, is known only once a private pgmap is seen (fault_hooks, filled
 *    by fault_hook_learn()), after load. User space then attaches the
 *    kp_fault_hook/krp_fault_hook pair to it (tools/session/fault_hooks.c),
 *    in both modes: an fentry program's target is fixed when it is loaded.
 *    This sees a driver that gives up before it migrates anything.
 *  - migrate_vma_finalize() of a migrate_vma with fault_page set, which
 *    is how every driver migrates the faulting page (the page's extra
 *    reference from do_swap_page() is accounted for only through
 *    fault_page, Linux 6.0): the programs every fallback mode has on it
 *    already, so it counts the faults that come before the hook is in (a
 *    pgmap's first ones), right after their batch. No latency this way,
 *    and a fault whose migrate_vma_setup() fails (no finalize) is not
 *    seen. A program on migrate_vma_setup() to time it took the 7.3 guest
 *    down under qemu TCG while a task spun through it (tests/vm-stuck.sh,
 *    three runs; see docs/devmemtop.md).
 *
 * Once the hook is in, a fault enters it before its migrate_vma_finalize(),
 * which then leaves the fault to the hook (entry_vmf). The return probe is
 * attached before the entry one, so a fault the entry saw is always
 * finished by the return. Included by devmem.bpf.c after on_fault().
 */
#ifndef DEVMEM_FAULT_FALLBACK_BPF_H
#define DEVMEM_FAULT_FALLBACK_BPF_H

static __always_inline struct fault_task *fault_task_of(bool create)
{
	return bpf_task_storage_get(&fault_task, bpf_get_current_task_btf(), NULL,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
}

/*
 * migrate_vma_finalize(args), after its batch was counted: with
 * args->fault_page set, this is a fault's migration, unless the hook has
 * the fault (its entry ran first). No latency: the start is not seen.
 */
static __always_inline void fault_at_finalize(const struct migrate_vma *args)
{
	struct fault_task *t;
	const struct page *page;

	if (!bpf_core_field_exists(args->fault_page))
		return;
	page = BPF_CORE_READ(args, fault_page);
	if (!page)
		return;
	t = fault_task_of(false);
	if (t && t->entry_vmf)
		return;
	on_fault(page, BPF_CORE_READ(args, start), 0, 0, 1);
}

/* The driver's ->migrate_to_ram(); no section target: user space attaches them. */
SEC("kprobe")
int BPF_KPROBE(kp_fault_hook, struct vm_fault *vmf)
{
	struct fault_task *t = fault_task_of(true);

	if (t) {
		t->entry_vmf = (__u64)vmf;
		t->entry_ns = bpf_ktime_get_ns();
	}
	return 0;
}

SEC("kretprobe")
int BPF_KRETPROBE(krp_fault_hook, unsigned int ret)
{
	struct fault_task *t = fault_task_of(false);
	struct vm_fault *vmf;
	__u64 ns;

	if (!t || !t->entry_vmf)
		return 0;	/* entered before the entry probe was in */
	/* The vm_fault lives in the faulting task's frame until the fault ends. */
	vmf = (struct vm_fault *)t->entry_vmf;
	ns = bpf_ktime_get_ns() - t->entry_ns;
	t->entry_vmf = 0;
	on_fault(BPF_CORE_READ(vmf, page), BPF_CORE_READ(vmf, address), ret, ns ? ns : 1, 1);
	return 0;
}

#endif
