// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"
#include "readfile.h"

const char *ksyms_path = "/proc/kallsyms";

/* One kallsyms line, split in place: "ADDR TYPE NAME[\t[MODULE]]". */
struct ksym_line {
	uint64_t addr;
	char type;
	const char *name, *mod;	/* mod: NULL for the kernel */
	size_t mod_len;
};

static bool parse_line(char *s, struct ksym_line *l)
{
	char *save = NULL, *a = strtok_r(s, " \t\n", &save);
	char *type = strtok_r(NULL, " \t\n", &save);
	char *m, *end;

	l->name = strtok_r(NULL, " \t\n", &save);
	m = strtok_r(NULL, " \t\n", &save);
	if (!a || !type || !l->name)
		return false;
	errno = 0;
	l->addr = strtoull(a, &end, 16);
	if (errno || *end)
		return false;
	l->type = type[0];
	l->mod = m && m[0] == '[' ? m + 1 : NULL;
	l->mod_len = l->mod ? strcspn(l->mod, "]") : 0;
	return true;
}

/* Text into the pool; its offset, or UINT32_MAX without memory. */
static uint32_t pool_add(struct ksyms *k, const char *s, size_t len)
{
	uint32_t at = k->pool_len;

	if (k->pool_len + len + 1 > k->pool_cap) {
		size_t c = k->pool_cap ? k->pool_cap * 2 : 1 << 16;
		char *p;

		while (c < k->pool_len + len + 1)
			c *= 2;
		if (c > UINT32_MAX || !(p = realloc(k->pool, c)))
			return UINT32_MAX;
		k->pool = p;
		k->pool_cap = c;
	}
	memcpy(k->pool + at, s, len);
	k->pool[at + len] = 0;
	k->pool_len += len + 1;
	return at;
}

/* The index of a module's name, added if new; -1 without memory. */
static int mod_index(struct ksyms *k, const char *name, size_t len)
{
	size_t i;
	uint32_t *p, at;

	for (i = k->nmods; i-- > 1;)	/* its symbols come together: the last one first */
		if (!strncmp(k->pool + k->mods[i], name, len) && !k->pool[k->mods[i] + len])
			return i;
	if (k->nmods > UINT16_MAX || (at = pool_add(k, name, len)) == UINT32_MAX ||
	    !(p = realloc(k->mods, (k->nmods + 1) * sizeof(*p))))
		return -1;
	k->mods = p;
	k->mods[k->nmods] = at;
	return k->nmods++;
}

/* One more symbol, in file order; 0 or -ENOMEM. */
static int add_sym(struct ksyms *k, size_t *cap, const struct ksym_line *l)
{
	struct ksym *s;
	int mod = 0;

	if (k->n == *cap) {
		struct ksym *p = realloc(k->syms, (*cap ? *cap * 2 : 4096) * sizeof(*p));

		if (!p)
			return -ENOMEM;
		k->syms = p;
		*cap = *cap ? *cap * 2 : 4096;
	}
	if (l->mod)
		mod = mod_index(k, l->mod, l->mod_len);
	s = &k->syms[k->n];
	s->addr = l->addr;
	s->type = l->type;
	s->mod = mod;
	s->name = pool_add(k, l->name, strlen(l->name));
	if (mod < 0 || s->name == UINT32_MAX)
		return -ENOMEM;
	k->n++;
	return 0;
}

static bool is_func(const struct ksym *s)
{
	return s->type == 't' || s->type == 'T' || s->type == 'w' || s->type == 'W';
}

/* Absolute symbols are not places; without root every address is 0. */
static bool is_place(const struct ksym *s)
{
	return s->addr && s->type != 'a' && s->type != 'A';
}

struct by_addr {
	uint64_t addr;
	uint32_t sym;
};

static int by_addr(const void *a, const void *b)
{
	const struct by_addr *x = a, *y = b;

	if (x->addr != y->addr)
		return (x->addr > y->addr) - (x->addr < y->addr);
	return (x->sym > y->sym) - (x->sym < y->sym);	/* file order */
}

/* The symbols in() takes, by address, then file order; NULL without memory. */
static uint32_t *view(const struct ksyms *k, bool (*in)(const struct ksym *), size_t *n)
{
	struct by_addr *v = malloc((k->n ? k->n : 1) * sizeof(*v));
	uint32_t *idx = malloc((k->n ? k->n : 1) * sizeof(*idx));
	size_t i;

	*n = 0;
	for (i = 0; v && idx && i < k->n; i++)
		if (in(&k->syms[i])) {
			v[*n].addr = k->syms[i].addr;
			v[(*n)++].sym = i;
		}
	if (v && idx) {
		qsort(v, *n, sizeof(*v), by_addr);
		for (i = 0; i < *n; i++)
			idx[i] = v[i].sym;
	} else {
		free(idx);
		idx = NULL;
	}
	free(v);
	return idx;
}

int ksyms_read(struct ksyms *k, FILE *f)
{
	size_t cap = 0, linecap = 0;
	char *line = NULL;
	struct ksym_line l;
	int e = 0;

	memset(k, 0, sizeof(*k));
	k->mods = malloc(sizeof(*k->mods));
	if (!k->mods || pool_add(k, "", 0) == UINT32_MAX)
		e = -ENOMEM;
	else
		k->mods[k->nmods++] = 0;	/* mod 0: "", the kernel */
	while (!e && f && getline(&line, &linecap, f) > 0)
		if (parse_line(line, &l))
			e = add_sym(k, &cap, &l);
	free(line);
	if (!e) {
		k->funcs = view(k, is_func, &k->nfuncs);
		k->places = view(k, is_place, &k->nplaces);
		if (!k->funcs || !k->places)
			e = -ENOMEM;
	}
	if (e) {
		ksyms_free(k);
		return e;
	}
	return k->nfuncs ? 0 : -ENOENT;
}

int ksyms_load(struct ksyms *k)
{
	FILE *f = host_open_file(ksyms_path);
	int e;

	memset(k, 0, sizeof(*k));
	if (!f)
		return -errno;
	e = ksyms_read(k, f);
	fclose(f);
	return e;
}

void ksyms_free(struct ksyms *k)
{
	free(k->syms);
	free(k->funcs);
	free(k->places);
	free(k->mods);
	free(k->pool);
	memset(k, 0, sizeof(*k));
}

bool ksyms_addr_of(const struct ksyms *k, const char *name, uint64_t *addr)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(ksyms_sym_name(k, &k->syms[i]), name)) {
			if (addr)
				*addr = k->syms[i].addr;
			return true;
		}
	return false;
}

bool ksyms_lookup(const char *name, uint64_t *addr)
{
	FILE *f = host_open_file(ksyms_path);
	size_t linecap = 0;
	char *line = NULL;
	struct ksym_line l;
	bool found = false;

	while (f && !found && getline(&line, &linecap, f) > 0)
		if (parse_line(line, &l) && !strcmp(l.name, name)) {
			found = true;
			if (addr)
				*addr = l.addr;
		}
	free(line);
	if (f)
		fclose(f);
	return found;
}

/* The first entry of a view above addr. */
static size_t above(const struct ksyms *k, const uint32_t *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[v[mid]].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const char *ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t len)
{
	size_t lo = above(k, k->funcs, k->nfuncs, addr);	/* the last function at or below */
	const struct ksym *s = lo ? &k->syms[k->funcs[lo - 1]] : NULL;

	/*
	 * Past any function's end, the nearest symbol below is a wrong name: a
	 * BPF program missing from kallsyms would take the kernel's last one.
	 */
	if (s && addr && addr - s->addr < KSYMS_MAX_FUNC_SIZE)
		snprintf(buf, len, "%s+%#llx", ksyms_sym_name(k, s),
			 (unsigned long long)(addr - s->addr));
	else
		snprintf(buf, len, "%#llx", (unsigned long long)addr);
	return buf;
}

const struct ksym *ksyms_place(const struct ksyms *k, uint64_t addr, const struct ksym **next)
{
	size_t lo = above(k, k->places, k->nplaces, addr), i;

	if (next)
		*next = lo < k->nplaces ? &k->syms[k->places[lo]] : NULL;
	if (!lo || addr - k->syms[k->places[lo - 1]].addr > KSYMS_MAX_PLACE_OFF)
		return NULL;
	for (i = lo - 1; i && k->syms[k->places[i - 1]].addr == k->syms[k->places[i]].addr; i--)
		;	/* the first in file order at that address */
	return &k->syms[k->places[i]];
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
