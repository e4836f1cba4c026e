// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The struct page walk's loader and runs: see pagewalk.h and bpf/pagewalk.bpf.c. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "iomem.h"
#include "ksyms.h"
#include "pagewalk.h"
#include "pagewalk.skel.h"

struct pagewalk {
	struct pagewalk_bpf *skel;
	uint64_t pgmap;
	int32_t free_ref;
};

int devmem_pagewalk_open(struct pagewalk **out, char *err, size_t errlen)
{
	struct pagewalk *w = calloc(1, sizeof(*w));
	uint64_t vmemmap_base;
	const char *env;
	int rc;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->skel = pagewalk_bpf__open();
	if (!w->skel) {
		rc = -errno;
		snprintf(err, errlen, "cannot open the page walk's BPF object: %s", strerror(errno));
		free(w);
		return rc;
	}
	/* KASLR moves the vmemmap; without randomization it sits at its default. */
	if (!ksyms_lookup("vmemmap_base", &vmemmap_base))
		vmemmap_base = 0;
	w->skel->rodata->vmemmap_base_addr = vmemmap_base;
	/*
	 * Fewer steps per run, for tests: a walk must come out the same
	 * however it is cut into runs.
	 */
	env = getenv("DEVMEM_PAGEWALK_STEPS");
	if (env && strtoul(env, NULL, 0) > 0 && strtoul(env, NULL, 0) <= DEVMEM_WALK_STEPS)
		w->skel->rodata->walk_steps = strtoul(env, NULL, 0);
	rc = pagewalk_bpf__load(w->skel);
	if (rc) {
		snprintf(err, errlen, "cannot load the page walk (syscall programs with "
			 "bpf_probe_read_kernel: CAP_BPF and CAP_PERFMON, no lockdown): %s",
			 strerror(-rc));
		pagewalk_bpf__destroy(w->skel);
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void devmem_pagewalk_close(struct pagewalk *w)
{
	if (!w)
		return;
	pagewalk_bpf__destroy(w->skel);
	free(w);
}

void devmem_pagewalk_filter(struct pagewalk *w, uint64_t pgmap, int32_t free_refcount)
{
	w->pgmap = pgmap;
	w->free_ref = free_refcount;
}

static int run(struct bpf_program *prog)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) ? -errno : 0;
}

int devmem_pagewalk(struct pagewalk *w, uint64_t start_pfn, uint64_t nr_pages,
		    int (*cb)(void *ctx, const struct devmem_walk_folio *f), void *ctx,
		    struct devmem_walk_summary *stats)
{
	struct pagewalk_bpf__bss *b = w->skel->bss;
	uint64_t t0 = host_now_ns();
	int rc = 0;
	uint32_t i;

	b->walk_next = start_pfn;
	b->walk_end = start_pfn + nr_pages;
	b->walk_pgmap = w->pgmap;
	b->walk_free_ref = w->free_ref;
	b->walk_pages = b->walk_unreadable = b->walk_foreign = 0;
	while (!rc && b->walk_next < b->walk_end) {
		uint64_t before = b->walk_next;

		rc = run(w->skel->progs.pagewalk);
		for (i = 0; !rc && i < b->walk_n && i < DEVMEM_WALK_OUT_MAX; i++)
			rc = cb(ctx, &b->walk_out[i]);
		if (!rc && b->walk_next == before)
			rc = -EIO;	/* no progress: never loop for good */
	}
	if (stats) {
		stats->pages_walked += b->walk_pages;
		stats->unreadable += b->walk_unreadable;
		stats->foreign += b->walk_foreign;
		stats->walk_ns += host_now_ns() - t0;
		stats->done = b->walk_next >= b->walk_end;
		if (rc < 0)
			stats->error = rc;
	}
	return rc;
}

static int add_cb(void *ctx, const struct devmem_walk_folio *f)
{
	devmem_walk_summary_add(ctx, f);	/* out of memory: counted, not listed */
	return 0;
}

int devmem_pagewalk_pgmap(struct pagewalk *w, const struct devmem_walk_pgmap *pg,
			  struct devmem_walk_summary *s)
{
	uint64_t start = pg->start >> 12, end = (pg->end >> 12) + 1;

	devmem_pagewalk_filter(w, pg->pgmap, devmem_walk_free_refcount(pg->type));
	return devmem_pagewalk(w, start, end - start, add_cb, s, s);
}

int devmem_pgmap_scan(struct pagewalk *w, uint64_t start_pfn, uint64_t end_pfn, uint64_t stride,
		      int (*cb)(void *ctx, const struct devmem_walk_pgmap *pg), void *ctx)
{
	struct pagewalk_bpf__bss *b = w->skel->bss;
	int rc = 0;
	uint32_t i;

	b->scan_next = start_pfn;
	b->scan_end = end_pfn;
	b->scan_stride = stride ? stride : 1;
	while (!rc && b->scan_next < b->scan_end) {
		uint64_t before = b->scan_next;

		rc = run(w->skel->progs.pgmap_scan);
		for (i = 0; !rc && i < b->scan_n && i < DEVMEM_SCAN_OUT_MAX; i++)
			rc = cb(ctx, &b->scan_out[i]);
		if (!rc && b->scan_next == before)
			rc = -EIO;
	}
	return rc;
}

struct found {
	struct devmem_walk_pgmap *v;
	size_t n, cap;
};

static int found_cb(void *ctx, const struct devmem_walk_pgmap *pg)
{
	struct found *f = ctx;
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].pgmap == pg->pgmap && f->v[i].start == pg->start)
			return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		void *v = realloc(f->v, cap * sizeof(*f->v));

		if (!v)
			return -ENOMEM;
		f->v = v;
		f->cap = cap;
	}
	f->v[f->n++] = *pg;
	return 0;
}

#define IOMEM_MAX_RANGES 4096
#define SCAN_STRIDE 512	/* pfns: the 2 MiB subsection */

int devmem_pgmap_find(struct pagewalk *w, const struct devmem_pfn_range *extra, size_t nr_extra,
		      struct devmem_walk_pgmap **out)
{
	struct devmem_pfn_range *r = calloc(IOMEM_MAX_RANGES, sizeof(*r));
	struct found f = { 0 };
	char *text = iomem_text(NULL);
	size_t i;
	int n = 0, rc = 0;
	/* What the scan looked at, on stderr: for a pgmap it should have found. */
	bool debug = getenv("DEVMEM_PAGEWALK_DEBUG");

	if (r && text)
		n = devmem_iomem_scan_ranges(text, r, IOMEM_MAX_RANGES);
	free(text);
	if (!r) {
		free(f.v);
		return -ENOMEM;
	}
	for (i = 0; n > 0 && i < (size_t)n && !rc; i++) {
		rc = devmem_pgmap_scan(w, r[i].start, r[i].end, SCAN_STRIDE, found_cb, &f);
		if (debug)
			fprintf(stderr, "pagewalk: scan pfns %#llx-%#llx: %d, %zu pgmaps so far\n",
				(unsigned long long)r[i].start, (unsigned long long)r[i].end, rc, f.n);
	}
	for (i = 0; i < nr_extra && !rc; i++)
		rc = devmem_pgmap_scan(w, extra[i].start, extra[i].end, SCAN_STRIDE, found_cb, &f);
	for (i = 0; debug && i < f.n; i++)
		fprintf(stderr, "pagewalk: pgmap type %u %#llx-%#llx\n", f.v[i].type,
			(unsigned long long)f.v[i].start, (unsigned long long)f.v[i].end);
	free(r);
	if (rc < 0) {
		free(f.v);
		return rc;
	}
	*out = f.v;
	return (int)f.n;
}
