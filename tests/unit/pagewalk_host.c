// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The struct page walk on the host's own kernel (tests/unit.sh): the
 * kernel image's pages (reserved, none of them moves) walked in one go
 * and cut into runs of 1000 steps, so that the walk resumes across runs
 * and across full output buffers. The two must list the same pages. Prints "skip: why" and exits 2 where BPF cannot run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pagewalk.h"

struct list {
	struct devmem_walk_folio *v;
	size_t n, cap;
	uint64_t pages;
};

static int add(void *ctx, const struct devmem_walk_folio *f)
{
	struct list *l = ctx;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			return -1;
	}
	l->v[l->n++] = *f;
	l->pages += 1ULL << f->order;
	return 0;
}

static int walk(const char *steps, uint64_t start, uint64_t n, struct list *l)
{
	struct pagewalk *w;
	char err[256];

	if (steps)
		setenv("DEVMEM_PAGEWALK_STEPS", steps, 1);
	else
		unsetenv("DEVMEM_PAGEWALK_STEPS");
	if (devmem_pagewalk_open(&w, err, sizeof(err))) {
		printf("skip: %s\n", err);
		exit(2);
	}
	devmem_pagewalk_filter(w, 0, 0);
	if (devmem_pagewalk(w, start, n, add, l, NULL)) {
		printf("walk failed\n");
		exit(1);
	}
	devmem_pagewalk_close(w);
	return 0;
}

/*
 * The same folios, page for page. Not their counts: a page of the kernel
 * image can gain or lose a reference between two walks on a live
 * kernel (one walk in six did under load), and that says nothing of
 * the walk.
 */
static int same_pages(const struct list *a, const struct list *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (a->v[i].pfn != b->v[i].pfn || a->v[i].order != b->v[i].order ||
		    a->v[i].flags != b->v[i].flags)
			return 0;
	return 1;
}

int main(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	unsigned long long s, e, lo = ~0ULL, hi = 0;
	char line[256];
	struct list a = { 0 }, b = { 0 };

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, ": Kernel ") && sscanf(line, " %llx-%llx", &s, &e) == 2 && e) {
			lo = s < lo ? s : lo;
			hi = e > hi ? e : hi;
		}
	if (f)
		fclose(f);
	if (hi <= lo) {
		printf("skip: no kernel image in /proc/iomem (not root?)\n");
		return 2;
	}
	walk(NULL, lo >> 12, (hi >> 12) + 1 - (lo >> 12), &a);
	walk("1000", lo >> 12, (hi >> 12) + 1 - (lo >> 12), &b);
	printf("pages=%llu in_use_pages=%llu folios=%zu cut_in_use_pages=%llu cut_folios=%zu same=%d\n",
	       (hi >> 12) + 1 - (lo >> 12), (unsigned long long)a.pages, a.n,
	       (unsigned long long)b.pages, b.n,
	       same_pages(&a, &b));
	free(a.v);
	free(b.v);
	return 0;
}
