// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
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
	int e;

	memset(k, 0, sizeof(*k));
	if (!f)
		return -errno;
	e = ksyms_read(k, f);
	fclose(f);
	return e;
}

int ksyms_read(struct ksyms *k, FILE *f)
{
	size_t cap = 0, ncap = 0, nlen = 0, i;
	unsigned long long addr;
	char type, name[256];

	memset(k, 0, sizeof(*k));
	while (fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, name) == 3) {
		size_t l = strlen(name) + 1;

		if (type != 't' && type != 'T' && type != 'w' && type != 'W')	/* W: weak functions */
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
	for (i = 0; i < k->n; i++)
		k->syms[i].name = k->names + (uintptr_t)k->syms[i].name;
	qsort(k->syms, k->n, sizeof(*k->syms), by_addr);
	return k->n ? 0 : -ENOENT;
oom:
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
	/*
	 * Past any function's end, the nearest symbol below is a wrong name: a
	 * BPF program missing from kallsyms would take the kernel's last one.
	 */
	if (lo && addr && addr - k->syms[lo - 1].addr < KSYMS_MAX_FUNC_SIZE)
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

static bool starts_with(const char *name, const char *const *prefixes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/*
 * The tracer's own frames at the leaf of a stack taken by a BPF program:
 * the program itself (more than one frame if it called a subprogram) and,
 * in fentry/fexit mode, its trampoline; unnamed if kallsyms, read while
 * other programs were being loaded or freed, missed them.
 */
static bool is_bpf_frame(const char *name)
{
	static const char *const prefixes[] = { "bpf_prog_", "bpf_trampoline_" };

	return name[0] == '0' || starts_with(name, prefixes, sizeof(prefixes) / sizeof(*prefixes));
}

/*
 * In tracepoint mode, next: the tracepoint's frames, which call the
 * program. Which of them a stack holds depends on the kernel: 7.3 with
 * static calls and ORC shows bpf_trace_run3 alone (__bpf_trace_* ends in
 * a tail call); without static calls __traceiter_* calls __bpf_trace_*.
 */
static bool is_tracepoint_frame(const char *name)
{
	static const char *const prefixes[] = { "bpf_trace_run", "__traceiter_", "__bpf_trace_" };

	return starts_with(name, prefixes, sizeof(prefixes) / sizeof(*prefixes));
}

const char *ksyms_stack_text(const struct ksyms *k, const uint64_t *ips, size_t nips,
			     char *buf, size_t len)
{
	char name[160];
	size_t start = 0, n = 0, i;

	buf[0] = 0;
	/*
	 * The tracer's frames are real frames, but they say nothing about the
	 * caller: cut the BPF frames at the leaf, then the tracepoint's right
	 * after them. The rest is the traced function and its callers, as the
	 * kernel's unwinder gave them. Only the leading run is cut: a
	 * trampoline deeper in is another tool's fentry on a caller, and a
	 * frame the unwinder put between the program and the tracepoint (the
	 * guess unwinder reports stale return addresses, CONFIG_UNWINDER_GUESS)
	 * stays, with what follows it: it is what the kernel reported.
	 */
	while (start < nips && ips[start] &&
	       is_bpf_frame(ksyms_name(k, ips[start], name, sizeof(name))))
		start++;
	if (start == nips || !ips[start])
		start = 0;	/* nothing named: show the addresses */
	else
		while (start < nips && ips[start] &&
		       is_tracepoint_frame(ksyms_name(k, ips[start], name, sizeof(name))))
			start++;
	for (i = start; i < nips && ips[i] && n < len - 1; i++) {
		ksyms_name(k, ips[i], name, sizeof(name));
		n += snprintf(buf + n, len - n, "%s%s", n ? ";" : "", name);
	}
	return buf;
}
