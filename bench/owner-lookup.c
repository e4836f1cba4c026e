// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * owner-lookup [RUNS]: what each design of the page owner table costs per
 * page event, side by side in one run (bench/owner-lookup.bpf.c says
 * which), with 1K, 64K and 1M live pages of one pgmap, visited in order
 * and scattered; then what each design's maps take (the kernel's memlock,
 * as bpftool map show prints it). RUNS rounds (default 9) each run every
 * design once, in a rotating order; figures are medians with their range.
 * Exit status: 0, 1 when the programs cannot be loaded or run, 2 on a bad
 * argument.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "owner-lookup.h"
#include "owner-lookup.skel.h"

#ifndef BPF_MAP_TYPE_ARENA
#define BPF_MAP_TYPE_ARENA 33
#endif
#define ARENA_PAGES (OWNER_MAX_PAGES * 4 / 4096)
#define ITERS (1u << 20)
#define MAX_RUNS 31
#define INNER_SLOT 3

enum { D_EMPTY, D_HASH, D_AOM, D_AOM_VAR, D_ARENA, NR_D };
static const char *const dname[NR_D] = {
	"empty loop step", "hash chunk (today)", "array of maps, inlined",
	"array of maps, sized inner", "arena",
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* median, min and max of n values (sorts them) */
static void stats(double *v, int n, double *med, double *lo, double *hi)
{
	qsort(v, n, sizeof(*v), cmp_double);
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*lo = v[0];
	*hi = v[n - 1];
}

/* The map's memlock line in /proc/self/fdinfo: what bpftool map show prints. */
static long long memlock(int fd)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int inner_array(__u32 flags, __u32 nr_pages, __u32 bytes_per_page)
{
	__u32 per_block = 64 / bytes_per_page;
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);

	return bpf_map_create(BPF_MAP_TYPE_ARRAY, "owner_inner", 4, 64,
			      (nr_pages + per_block - 1) / per_block, &o);
}

/* One run of a design's loop: the program writes its time in elapsed_ns. */
static int run_prog(struct bpf_program *p)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	return bpf_prog_test_run_opts(bpf_program__fd(p), &o);
}

struct bench {
	struct owner_lookup_bpf *skel;
	struct bpf_program *prog[NR_D];
	bool have_arena;
	int arena_err, runs;
	void *arena;
};

/* Opens and loads the programs; maps and fills the arena where there is one. */
static int bench_load(struct bench *b)
{
	/* Arenas came with Linux 6.9: without one, the other designs only. */
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_MMAPABLE,
		    .map_extra = OWNER_ARENA_ADDR);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARENA, "probe", 0, 0, 1, &o);

	b->have_arena = fd >= 0;
	b->arena_err = errno;
	if (fd >= 0)
		close(fd);
	b->skel = owner_lookup_bpf__open();
	if (!b->skel) {
		fprintf(stderr, "owner-lookup: cannot open the BPF object\n");
		return -1;
	}
	bpf_map__set_map_extra(b->skel->maps.owner_arena, OWNER_ARENA_ADDR);
	bpf_map__set_autocreate(b->skel->maps.owner_arena, b->have_arena);
	bpf_program__set_autoload(b->skel->progs.run_arena, b->have_arena);
	/* The tools' maps the bench does not use stay small. */
	bpf_map__set_max_entries(b->skel->maps.events, 4096);
	if (owner_lookup_bpf__load(b->skel)) {
		fprintf(stderr, "owner-lookup: cannot load the BPF programs\n");
		return -1;
	}
	b->prog[D_EMPTY] = b->skel->progs.run_empty;
	b->prog[D_HASH] = b->skel->progs.run_hash;
	b->prog[D_AOM] = b->skel->progs.run_aom;
	b->prog[D_AOM_VAR] = b->skel->progs.run_aom_var;
	b->prog[D_ARENA] = b->skel->progs.run_arena;
	if (b->have_arena) {
		fd = bpf_map__fd(b->skel->maps.owner_arena);
		b->arena = mmap((void *)OWNER_ARENA_ADDR, (size_t)ARENA_PAGES * 4096,
				PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (b->arena != (void *)OWNER_ARENA_ADDR) {
			fprintf(stderr, "owner-lookup: cannot map the arena: %s\n", strerror(errno));
			b->arena = NULL;
			return -1;
		}
		/* The pages of 1M owner words, allocated as user space touches them. */
		memset(b->arena, 0, (size_t)ARENA_PAGES * 4096);
	}
	b->skel->bss->slot = INNER_SLOT;
	b->skel->bss->nr_iter = ITERS;
	return 0;
}

/* Each pgmap size's inner arrays, as user space would create them. */
static int set_inner(struct bench *b, __u32 live)
{
	int inner = inner_array(0, OWNER_MAX_PAGES, 4);
	int inner_var = inner_array(BPF_F_INNER_MAP, live, 4);
	int e = inner < 0 || inner_var < 0 ||
		bpf_map_update_elem(bpf_map__fd(b->skel->maps.owner_aom), &(__u32){ INNER_SLOT },
				    &inner, 0) ||
		bpf_map_update_elem(bpf_map__fd(b->skel->maps.owner_aom_var),
				    &(__u32){ INNER_SLOT }, &inner_var, 0);

	if (e)
		fprintf(stderr, "owner-lookup: cannot create the inner arrays: %s\n",
			strerror(errno));
	/* The outer maps hold them now. */
	if (inner >= 0)
		close(inner);
	if (inner_var >= 0)
		close(inner_var);
	return e ? -1 : 0;
}

static void print_designs(const struct bench *b, double ns[NR_D][MAX_RUNS])
{
	double above[NR_D][MAX_RUNS], rel[NR_D][MAX_RUNS], med, lo, hi, rm, rl, rh;
	int runs = b->runs;

	for (int r = 0; r < runs; r++)
		for (int d = 0; d < NR_D; d++) {
			above[d][r] = ns[d][r] - ns[D_EMPTY][r];
			rel[d][r] = above[d][r] / above[D_HASH][r];
		}
	stats(ns[D_EMPTY], runs, &med, &lo, &hi);
	printf("  %-28s %7.2f ns (%.2f-%.2f), the floor\n", dname[D_EMPTY], med, lo, hi);
	for (int d = D_HASH; d < NR_D; d++) {
		if (d == D_ARENA && !b->have_arena) {
			printf("  %-28s none: cannot create one here (%s)\n", dname[d],
			       strerror(b->arena_err));
			continue;
		}
		stats(above[d], runs, &med, &lo, &hi);
		stats(rel[d], runs, &rm, &rl, &rh);
		printf("  %-28s %+7.2f ns (%+.2f..%+.2f)", dname[d], med, lo, hi);
		if (d != D_HASH)
			printf("  %.3fx the hash's (%.3f-%.3f)", rm, rl, rh);
		printf("\n");
	}
}

/* Every design, runs times in a rotating order, over live pages visited i * mul. */
static int measure(struct bench *b, __u32 live, __u32 mul)
{
	double ns[NR_D][MAX_RUNS] = { { 0 } };

	b->skel->bss->live_mask = live - 1;
	b->skel->bss->mul = mul;
	/* A first run of each: every live page's chunk exists, as after its page init. */
	for (int r = -1; r < b->runs; r++)
		for (int k = 0; k < NR_D; k++) {
			int d = (k + (r < 0 ? 0 : r)) % NR_D;

			if (d == D_ARENA && !b->have_arena)
				continue;
			if (run_prog(b->prog[d])) {
				fprintf(stderr, "owner-lookup: cannot run %s: %s\n", dname[d],
					strerror(errno));
				return -1;
			}
			if (r >= 0)
				ns[d][r] = (double)b->skel->bss->elapsed_ns / ITERS;
		}
	printf("\n%u live pages (%u KiB of owner words), %s:\n", live, live * 4 / 1024,
	       mul == 1 ? "in order" : "scattered");
	print_designs(b, ns);
	return 0;
}

static void print_memory(const struct bench *b)
{
	static const unsigned gib[] = { 16, 48, 80, 141, 192 };
	long long h = memlock(bpf_map__fd(b->skel->maps.page_owner)), tools = 0;
	struct bpf_map *m;

	printf("\nmemory (memlock, as bpftool map show prints it); target <= 16 bytes per live page\n");
	/* The tools' maps (bpf/maps.bpf.h) but the ring buffer, --ringbuf's. */
	bpf_object__for_each_map(m, b->skel->obj)
		if (strncmp(bpf_map__name(m), "owner_", 6) && !strchr(bpf_map__name(m), '.') &&
		    m != b->skel->maps.events && bpf_map__fd(m) >= 0)
			tools += memlock(bpf_map__fd(m));
	printf("  %-44s %10lld bytes, %.1f per live page\n",
	       "the tools' maps, ring buffer aside, 1M live", tools, (double)tools / OWNER_MAX_PAGES);
	printf("  %-44s %10lld bytes, %.1f per live page\n",
	       "hash chunks, 1M live pages (dense)", h, (double)h / OWNER_MAX_PAGES);
	if (b->have_arena) {
		long long a = memlock(bpf_map__fd(b->skel->maps.owner_arena));

		printf("  %-44s %10lld bytes, %.1f per live page\n",
		       "arena, 1M pages' words touched", a, (double)a / OWNER_MAX_PAGES);
	}
	for (unsigned g = 0; g < sizeof(gib) / sizeof(gib[0]); g++)
		for (unsigned bpp = 2; bpp <= 4; bpp += 2) {
			__u32 pages = (__u32)((unsigned long long)gib[g] << 30 >> 12);
			int fd = inner_array(BPF_F_INNER_MAP, pages, bpp);
			char what[64];
			long long ml;

			if (fd < 0) {
				printf("  pgmap of %u GiB: cannot create its array: %s\n", gib[g],
				       strerror(errno));
				continue;
			}
			ml = memlock(fd);
			snprintf(what, sizeof(what), "inner array, pgmap of %u GiB, %u B/page",
				 gib[g], bpp);
			printf("  %-44s %10lld bytes, %.2f per page of the pgmap\n", what, ml,
			       (double)ml / pages);
			close(fd);
		}
}

int main(int argc, char **argv)
{
	static const __u32 lives[] = { 1u << 10, 1u << 16, 1u << 20 };
	static const __u32 muls[] = { 1, 0x9e3779b1 };	/* in order, scattered */
	struct bench b = { .runs = argc > 1 ? atoi(argv[1]) : 9 };
	int rc = 0;

	if (argc > 2 || b.runs < 1 || b.runs > MAX_RUNS) {
		fprintf(stderr, "usage: owner-lookup [RUNS, 1-%d]\n", MAX_RUNS);
		return 2;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	if (bench_load(&b)) {
		rc = 1;
		goto out;
	}
	printf("owner-lookup: per page event, the owner word's lookup and update, %u steps a run,\n"
	       "%d runs of every design side by side; ns above the empty loop's step, median (min-max),\n"
	       "and the same run's ratio to today's hash\n", ITERS, b.runs);
	for (unsigned li = 0; li < sizeof(lives) / sizeof(lives[0]) && !rc; li++) {
		if (set_inner(&b, lives[li])) {
			rc = 1;
			break;
		}
		for (unsigned mi = 0; mi < sizeof(muls) / sizeof(muls[0]) && !rc; mi++)
			rc = measure(&b, lives[li], muls[mi]) ? 1 : 0;
	}
	if (!rc)
		print_memory(&b);
out:
	if (b.arena)
		munmap(b.arena, (size_t)ARENA_PAGES * 4096);
	owner_lookup_bpf__destroy(b.skel);
	return rc;
}
