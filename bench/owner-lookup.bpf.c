// SPDX-License-Identifier: GPL-2.0
/*
 * bench/owner-lookup: what finding a device page's owner word costs, by
 * design (issue 19, docs/counting.md "Page owners"). Each program runs a
 * bpf_loop of nr_iter steps over nr_live live pages of one pgmap and times
 * it with bpf_ktime_get_ns(); user space runs them with BPF_PROG_TEST_RUN,
 * which runs a raw_tp program as a tracepoint runs it (RCU read side,
 * no migration), so a step costs what it would cost in a handler:
 *  - empty: the loop and the page index, nothing else (the floor);
 *  - hash: owner_slot() of bpf/slots.bpf.h on bpf/maps.bpf.h's page_owner,
 *    the tools' code itself, then the word update on_page_init() does;
 *  - aom: an ARRAY_OF_MAPS by pgmap slot, then that pgmap's inner ARRAY,
 *    every inner the template's size (both lookups inlined);
 *  - aom_var: the same with BPF_F_INNER_MAP, inner arrays sized by their
 *    pgmap (the inner lookup is then a call, not inlined);
 *  - arena: a BPF arena (Linux 6.9+), 4 bytes per page at index * 4.
 * The page index goes through the live set as i * mul (mod nr_live, a
 * power of 2): mul 1 is in order, an odd large mul scatters it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "devmem_maps.h"
#include "devmem_rules.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#include "maps.bpf.h"
#include "core.bpf.h"
/* The tools' own owner_slot(), among helpers this bench does not call. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"
#include "slots.bpf.h"
#pragma clang diagnostic pop
#include "owner-lookup.h"

/* Set by user space before each run. */
__u32 nr_iter, live_mask, mul, slot;
/* Written by each run. */
__u64 elapsed_ns, sum;

/* Array designs: a 64-byte block of OWNER_BLOCK_PAGES owner words per element. */
struct owner_block {
	__u32 owner[OWNER_BLOCK_PAGES];
};

struct owner_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, OWNER_MAX_PAGES / OWNER_BLOCK_PAGES);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct owner_block));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, DEVMEM_MAX_PGMAPS);
	__type(key, __u32);
	__array(values, struct owner_inner);
} owner_aom SEC(".maps");

struct owner_inner_var {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct owner_block));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, DEVMEM_MAX_PGMAPS);
	__type(key, __u32);
	__array(values, struct owner_inner_var);
} owner_aom_var SEC(".maps");

/*
 * libbpf 1.1 knows no arena: user space creates it (its map_extra, the
 * user address, does not fit a BTF map definition) and hands the fd over
 * before load. Pages are user space's too: it touches them through mmap.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARENA);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, OWNER_MAX_PAGES * 4 / 4096);
} owner_arena SEC(".maps");

/*
 * Clang 14 emits no addr_space_cast: write the instruction out. It makes
 * var, an arena offset, a pointer the verifier knows is into the arena
 * (BPF_ALU64 | BPF_MOV | BPF_X, off BPF_ADDR_SPACE_CAST, imm 1: from
 * address space 1 to 0).
 */
#define to_arena(var)							\
	asm volatile(".byte 0xbf;"					\
		     ".ifc %[v], r0; .byte 0x00; .endif;"		\
		     ".ifc %[v], r1; .byte 0x11; .endif;"		\
		     ".ifc %[v], r2; .byte 0x22; .endif;"		\
		     ".ifc %[v], r3; .byte 0x33; .endif;"		\
		     ".ifc %[v], r4; .byte 0x44; .endif;"		\
		     ".ifc %[v], r5; .byte 0x55; .endif;"		\
		     ".ifc %[v], r6; .byte 0x66; .endif;"		\
		     ".ifc %[v], r7; .byte 0x77; .endif;"		\
		     ".ifc %[v], r8; .byte 0x88; .endif;"		\
		     ".ifc %[v], r9; .byte 0x99; .endif;"		\
		     ".short 1; .long 1" : [v] "+r"(var))

struct loop_ctx {
	struct pgmap_cache v;	/* what pgmap_view() gives a handler */
	__u32 mask, mul;
	__u64 sum;
};

static __always_inline __u64 page_of(__u32 i, struct loop_ctx *c)
{
	return (i * c->mul) & c->mask;
}

static __always_inline __u32 owner_word(__u64 index)
{
	/* on_page_init()'s: (tgid + 1) | order << DEVMEM_OWNER_ORDER_SHIFT */
	return ((__u32)index + 1) | order_of(1) << DEVMEM_OWNER_ORDER_SHIFT;
}

static long empty_step(__u32 i, struct loop_ctx *c)
{
	c->sum += page_of(i, c);
	return 0;
}

static long hash_step(__u32 i, struct loop_ctx *c)
{
	__u64 index = page_of(i, c);
	__u32 *o = owner_slot(0, &c->v, c->v.index_base + index, true);

	if (o)
		*o = owner_word(index);
	c->sum += index;
	return 0;
}

/*
 * Inlined into each caller, so that outer is a constant map there and the
 * verifier can inline the lookups of the map it names.
 */
static __always_inline long aom_store(void *outer, __u32 i, struct loop_ctx *c)
{
	__u64 index = page_of(i, c);
	__u32 blk = index / OWNER_BLOCK_PAGES;
	struct owner_block *b;
	void *inner;

	inner = bpf_map_lookup_elem(outer, &c->v.slot);
	if (!inner)
		return 1;
	b = bpf_map_lookup_elem(inner, &blk);
	if (b)
		b->owner[index & (OWNER_BLOCK_PAGES - 1)] = owner_word(index);
	c->sum += index;
	return 0;
}

static long aom_step(__u32 i, struct loop_ctx *c)
{
	return aom_store(&owner_aom, i, c);
}

static long aom_var_step(__u32 i, struct loop_ctx *c)
{
	return aom_store(&owner_aom_var, i, c);
}

static long arena_step(__u32 i, struct loop_ctx *c)
{
	__u64 index = page_of(i, c);
	/* The arena's user address is 4 GiB aligned: an offset is a pointer. */
	__u32 *o = (__u32 *)(index * sizeof(__u32));

	to_arena(o);
	*o = owner_word(index);
	c->sum += index;
	return 0;
}

static __always_inline void setup(struct loop_ctx *c)
{
	__builtin_memset(c, 0, sizeof(*c));
	c->v.serial = 1;	/* page_owner keys of pgmap serial 1 */
	c->v.nr_range = 1;
	c->v.index_base = 0x100000;	/* the pgmap's first pfn */
	c->v.nr_pages = OWNER_MAX_PAGES;
	c->v.slot = slot;
	c->mask = live_mask;
	c->mul = mul;
}

#define LOOKUP_PROG(name)						\
SEC("raw_tp")								\
int run_##name(void *ctx)						\
{									\
	struct loop_ctx c;						\
	__u64 t0;							\
									\
	setup(&c);							\
	t0 = bpf_ktime_get_ns();					\
	bpf_loop(nr_iter, name##_step, &c, 0);				\
	elapsed_ns = bpf_ktime_get_ns() - t0;				\
	sum = c.sum;							\
	return 0;							\
}

LOOKUP_PROG(empty)
LOOKUP_PROG(hash)
LOOKUP_PROG(aom)
LOOKUP_PROG(aom_var)

SEC("raw_tp")
int run_arena(void *ctx)
{
	/* Names the arena, so that the verifier ties it to the program. */
	void *volatile arena = &owner_arena;
	struct loop_ctx c;
	__u64 t0;

	(void)arena;
	setup(&c);
	t0 = bpf_ktime_get_ns();
	bpf_loop(nr_iter, arena_step, &c, 0);
	elapsed_ns = bpf_ktime_get_ns() - t0;
	sum = c.sum;
	return 0;
}
