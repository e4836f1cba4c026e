/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Both fallback modes, on a kernel with the class-based migrate_device
 * tracepoints (the "rework" of Balbir Singh's migrate_device events, in
 * the MM CI mirror, linux-mm/linux-mm 392093f93bd2; our fixture kernel,
 * vm/patches/fixture-7.3-migrate-device-rework.patch): a batch's pages
 * are counted from its events rather than from fentry or kprobes on
 * migrate_vma_finalize() and migrate_device_finalize(). The same counts,
 * from the same arrays at the same moment (fallback.bpf.h's on_finalize()):
 *  - migrate_vma_finalize_start(migrate): a migrate_vma batch, its
 *    fault_page, before __migrate_device_finalize() commits it;
 *  - migrate_device_finalize_start(src, dst, npages): fired inside every
 *    __migrate_device_finalize(), so for a migrate_vma batch too; counted
 *    only outside one (migrate_device_range() and the long-term pin's
 *    migrate_device_coherent_folio()), which in_vma_finalize tells;
 *  - migrate_vma_finalize_done(migrate): the migrate_vma batch is over.
 * User space loads these three, all or none, in place of the fallback
 * mode's two batch rows (tools/session/modes.c, rework[]).
 */
#ifndef DEVMEM_REWORK_BPF_H
#define DEVMEM_REWORK_BPF_H

SEC("tp_btf/migrate_vma_finalize_start")
int BPF_PROG(rw_vma_finalize, const struct migrate_vma *migrate)
{
	vma_finalize_enter((struct migrate_vma *)migrate);
	return 0;
}

SEC("tp_btf/migrate_vma_finalize_done")
int BPF_PROG(rw_vma_fin_done, const struct migrate_vma *migrate)
{
	vma_finalize_exit();
	return 0;
}

SEC("tp_btf/migrate_device_finalize_start")
int BPF_PROG(rw_dev_finalize, const unsigned long *src, const unsigned long *dst,
	     unsigned long npages)
{
	device_finalize_enter((const __u64 *)src, (const __u64 *)dst, npages);
	return 0;
}

#endif
