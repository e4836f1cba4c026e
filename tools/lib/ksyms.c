// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"

static int by_addr(const void *a, const void *b)
{
	uint64_t x = ((const struct ksym *)a)->addr, y = ((const struct ksym *)b)->addr;

	return (x > y) - (x < y);
}

int ksyms_load(struct ksyms *k)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	size_t cap = 0, ncap = 0, nlen = 0, i;
	unsigned long long addr;
	char type, name[256];

	memset(k, 0, sizeof(*k));
	if (!f)
		return -errno;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, name) == 3) {
		size_t l = strlen(name) + 1;

		if (type != 't' && type != 'T')
			continue;
		if (k->n == cap) {
			struct ksym *p = realloc(k->syms, (cap = cap ? cap * 2 : 4096) * sizeof(*p));

			if (!p)
				goto oom;
			k->syms = p;
		}
		if (nlen + l > ncap) {
			char *p = realloc(k->names, ncap = ncap ? ncap * 2 : 1 << 20);

			if (!p)
				goto oom;
			k->names = p;
		}
		memcpy(k->names + nlen, name, l);
		k->syms[k->n].addr = addr;
		k->syms[k->n++].name = (char *)(uintptr_t)nlen;	/* offset until names settles */
		nlen += l;
	}
	fclose(f);
	for (i = 0; i < k->n; i++)
		k->syms[i].name = k->names + (uintptr_t)k->syms[i].name;
	qsort(k->syms, k->n, sizeof(*k->syms), by_addr);
	return k->n ? 0 : -ENOENT;
oom:
	fclose(f);
	ksyms_free(k);
	return -ENOMEM;
}

const char *ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {	/* the last symbol at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo && addr)
		snprintf(buf, len, "%s+%#llx", k->syms[lo - 1].name,
			 (unsigned long long)(addr - k->syms[lo - 1].addr));
	else
		snprintf(buf, len, "%#llx", (unsigned long long)addr);
	return buf;
}

void ksyms_free(struct ksyms *k)
{
	free(k->syms);
	free(k->names);
	memset(k, 0, sizeof(*k));
}
