/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device private faults in the fentry and kprobe modes, where the fault
 * happens inside do_swap_page() and only the pgmap's own ->migrate_to_ram()
 * tells it from a swap fault. Two ways in, each fault counted once:
 *
 *  - the driver's callback itself, ->migrate_to_ram(): which function that
 *    is, is known only once a private pgmap is seen (fault_hooks, filled
 *    by fault_hook_learn()), after load. User space then attaches the
 *    kp_fault_hook/krp_fault_hook pair to it (tools/lib/fault_hooks.c),
 *    in both modes: an fentry program's target is fixed when it is loaded.
 *    This sees a driver that gives up before it migrates anything.
 *  - migrate_vma_setup() with args->fault_page set, which is how every
 *    driver migrates the faulting page (the page's extra reference from
 *    do_swap_page() is accounted for only through fault_page, Linux 6.0),
 *    to the migrate_vma_finalize() of the same args: attached at load, so
 *    it counts the faults that come before the hook is in (a pgmap's
 *    first ones). Entry programs only: an fexit program on a function
 *    that is hot when it is attached (a task spinning on a fault) took
 *    the 7.3 guest down under TCG (tests/vm-stuck.sh), and none is
 *    needed: the fault is counted at the finalize's entry, right after
 *    its batch. A fault whose setup fails has no finalize and is not
 *    counted this way.
 *
 * Once the hook is in, a fault enters it before its migrate_vma_setup(),
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

/* migrate_vma_setup(): a fault's migration begins, unless the hook has it. */
static __always_inline void fault_setup_enter(const struct migrate_vma *args)
{
	struct fault_task *t;
	const struct page *page;

	if (!bpf_core_field_exists(args->fault_page))
		return;
	page = BPF_CORE_READ(args, fault_page);
	if (!page)
		return;
	t = fault_task_of(true);
	if (!t || t->entry_vmf)
		return;
	t->setup_args = (__u64)args;
	t->setup_page = (__u64)page;
	t->setup_addr = BPF_CORE_READ(args, start);
	t->setup_ns = bpf_ktime_get_ns();
}

/*
 * migrate_vma_finalize(args), after its batch was counted: the end of the
 * fault whose setup took the same args for the same page. A stale entry
 * (a setup that failed) matches no later finalize: another migration has
 * no fault_page, another fault overwrote it.
 */
static __always_inline void fault_setup_done(const struct migrate_vma *args)
{
	struct fault_task *t;
	__u64 page, ns;

	if (!bpf_core_field_exists(args->fault_page))
		return;
	t = fault_task_of(false);
	if (!t || !t->setup_page || t->setup_args != (__u64)args)
		return;
	page = t->setup_page;
	if ((__u64)BPF_CORE_READ(args, fault_page) != page)
		return;
	t->setup_page = 0;
	ns = bpf_ktime_get_ns() - t->setup_ns;
	on_fault((const void *)page, t->setup_addr, 0, ns ? ns : 1, 1);
}

SEC("fentry/migrate_vma_setup")
int BPF_PROG(fentry_vma_setup, struct migrate_vma *args)
{
	fault_setup_enter(args);
	return 0;
}

SEC("kprobe/migrate_vma_setup")
int BPF_KPROBE(kp_vma_setup, struct migrate_vma *args)
{
	fault_setup_enter(args);
	return 0;
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
	t->setup_page = 0;
	on_fault(BPF_CORE_READ(vmf, page), BPF_CORE_READ(vmf, address), ret, ns ? ns : 1, 1);
	return 0;
}

#endif
