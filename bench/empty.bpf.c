// SPDX-License-Identifier: GPL-2.0
/*
 * The bench's baseline: empty programs on the two busiest events, page init
 * and folio free, of whichever series the kernel has (bench/bpf-empty.c
 * loads the pair that exists). Their run_time_ns / run_cnt
 * (kernel.bpf_stats_enabled) is the price of any BPF program there at all;
 * devmemscope's own are measured against it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* kpatches/ (Linux 7.3): zone_device events */
SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(empty_zd_init)
{
	return 0;
}

SEC("tp_btf/zone_device_folio_free")
int BPF_PROG(empty_zd_free)
{
	return 0;
}

/* kpatches/6.12: devmem events */
SEC("tp_btf/devmem_page_init")
int BPF_PROG(empty_page_init)
{
	return 0;
}

SEC("tp_btf/devmem_folio_free")
int BPF_PROG(empty_folio_free)
{
	return 0;
}
