// SPDX-License-Identifier: GPL-2.0
/*
 * The bench's baseline: empty programs on the busiest events (page init and
 * folio free; with the 7.3 series also the pgmap references each page takes
 * and drops) of whichever series the kernel has (bench/bpf-empty.c
 * loads the pair that exists), or on the functions behind them. Their run_time_ns / run_cnt
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

SEC("tp_btf/zone_device_pgmap_get")
int BPF_PROG(empty_zd_get)
{
	return 0;
}

SEC("tp_btf/zone_device_pgmap_put")
int BPF_PROG(empty_zd_put)
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

/*
 * bpf-empty --fentry: the functions devmemscope's fentry mode (stock
 * kernels) takes page events from, attached the way it attaches them.
 */
SEC("fexit/zone_device_page_init")
int BPF_PROG(empty_fx_init)
{
	return 0;
}

SEC("fentry/free_zone_device_folio")
int BPF_PROG(empty_fx_free)
{
	return 0;
}

/*
 * Calibration (bpf-empty --calibrate; Linux 7.3 series only): one program
 * per primitive a handler can use, all on zone_device_folio_init at once.
 * Each one's run_time_ns / run_cnt minus the empty program's is what that
 * primitive costs on this machine, so a handler's cost can be read as a
 * sum of its parts (bench/run.sh prints the table).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cal_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} cal_phash SEC(".maps");

struct cal_chunk {
	__u32 slot[512];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 22);
	__type(key, __u64);
	__type(value, struct cal_chunk);
} cal_chunks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cal_chunk);
} cal_zero SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} cal_rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 32 * sizeof(__u64));
} cal_stacks SEC(".maps");

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_pid_tgid)
{
	return bpf_get_current_pid_tgid() == 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_ktime)
{
	return bpf_ktime_get_ns() == 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_comm)
{
	char comm[16];

	return bpf_get_current_comm(comm, sizeof(comm));
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_probe_read, const struct folio *folio)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), folio);
	return v == 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_btf_load, const struct folio *folio, const struct dev_pagemap *pgmap)
{
	return pgmap->type == 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_array_atom)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&cal_array, &k);

	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_array_add)
{
	__u32 k = 0;
	__u64 *n = bpf_map_lookup_elem(&cal_array, &k);

	if (n)
		*n += 1;
	return 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_pcpu_hash)
{
	__u64 k = 1, zero = 0;
	__u64 *n = bpf_map_lookup_elem(&cal_phash, &k);

	if (!n) {
		bpf_map_update_elem(&cal_phash, &k, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&cal_phash, &k);
	}
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_chunk_hash)
{
	__u64 k = 1;
	__u32 z = 0;
	struct cal_chunk *c = bpf_map_lookup_elem(&cal_chunks, &k);

	if (!c) {
		struct cal_chunk *zc = bpf_map_lookup_elem(&cal_zero, &z);

		if (zc)
			bpf_map_update_elem(&cal_chunks, &k, zc, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&cal_chunks, &k);
	}
	if (c)
		c->slot[7] = 1;
	return 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_ringbuf)
{
	__u64 *r = bpf_ringbuf_reserve(&cal_rb, 64, 0);

	if (r) {
		*r = 1;
		bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
	}
	return 0;
}

SEC("tp_btf/zone_device_folio_init")
int BPF_PROG(cal_stackid)
{
	return bpf_get_stackid(ctx, &cal_stacks, 0) < 0;
}
