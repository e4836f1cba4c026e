/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * /proc/kallsyms, the one reader and the one table: every symbol with its
 * type and module, in file order, and two views by address, file order
 * among equal addresses: the functions, which name stack frames
 * ("symbol+0xoff"), and the places, what a pgmap's ops or owner cookie
 * points at (data too). Lookups by name (an attach point, vmemmap_base)
 * take the first in file order, of any type.
 */
#ifndef DEVMEM_KSYMS_H
#define DEVMEM_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset into pool */
	uint16_t mod;		/* index into mods; 0 is "", the kernel */
	char type;		/* kallsyms' letter: 't', 'D', 'a'... */
};

struct ksyms {
	struct ksym *syms;	/* file order */
	size_t n;
	uint32_t *funcs;	/* t, T, w, W: text and weak functions */
	size_t nfuncs;
	uint32_t *places;	/* every symbol but the absolute ones (a, A) and
				 * those at 0 (every address, without root) */
	size_t nplaces;		/* (views: indexes into syms, by address) */
	uint32_t *mods;		/* module names' offsets into pool */
	size_t nmods;
	char *pool;
	size_t pool_len, pool_cap;
};

/* "/proc/kallsyms", unless a test points it at a fixture. */
extern const char *ksyms_path;

/* No kernel function is this long: farther from a symbol is unnamed. */
#define KSYMS_MAX_FUNC_SIZE (1ULL << 20)
/* Nor is a place farther than this past its symbol (a heap pointer past
 * the last per-CPU symbol is no place). */
#define KSYMS_MAX_PLACE_OFF (1ULL << 20)

/*
 * Read ksyms_path (ksyms_load) or kallsyms text from f (ksyms_read). 0;
 * -ENOENT when it holds no function (the table keeps what it holds);
 * -ENOMEM, or -errno when the file cannot be opened (then empty).
 */
int ksyms_load(struct ksyms *k);
int ksyms_read(struct ksyms *k, FILE *f);
void ksyms_free(struct ksyms *k);

static inline const char *ksyms_sym_name(const struct ksyms *k, const struct ksym *s)
{
	return k->pool + s->name;
}

static inline const char *ksyms_sym_mod(const struct ksyms *k, const struct ksym *s)
{
	return k->pool + k->mods[s->mod];
}

/* The first symbol named name, in file order: true, *addr (may be NULL) its address. */
bool ksyms_addr_of(const struct ksyms *k, const char *name, uint64_t *addr);
/* The same, in one pass over ksyms_path that stops there: no table. */
bool ksyms_lookup(const char *name, uint64_t *addr);

/* Writes "name+0xoff" (or the hex address) to buf: the function addr is in. */
const char *ksyms_name(const struct ksyms *k, uint64_t addr, char *buf, size_t len);
/*
 * The place at or below addr: the first symbol in file order at the
 * nearest address, NULL when none is within KSYMS_MAX_PLACE_OFF. *next
 * (may be NULL) gets the first place above addr, or NULL: whether it is
 * of the same module tells whether addr is surely the found one's.
 */
const struct ksym *ksyms_place(const struct ksyms *k, uint64_t addr, const struct ksym **next);
/*
 * "frame;frame;..." from the leaf, without the tracer's frames at the leaf
 * (the BPF program and trampoline, then the tracepoint's); buf, or "" for
 * no frames. ips ends at nips or the first 0.
 */
const char *ksyms_stack_text(const struct ksyms *k, const uint64_t *ips, size_t nips,
			     char *buf, size_t len);

#endif
