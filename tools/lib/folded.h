/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Device pages by kernel stack in the collapsed-stack ("folded") format
 * that flamegraph.pl, speedscope and d3-flame-graph read: one line per
 * stack, frames root first joined by ';', a space, then the weight in
 * pages (docs/folded.md). Each line starts with three frames of our own:
 * what is weighted (enum folded_kind), the pgmap, the process.
 *
 * Pages are gathered by (kind, pgmap, pid, stack id), so a trace of
 * millions of records costs one entry per distinct call site; stacks are
 * named and lines sorted only when written.
 */
#ifndef DEVMEM_FOLDED_H
#define DEVMEM_FOLDED_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "leaks.h"
#include "state.h"

/* The root frame of a line: what its weight counts. */
enum folded_kind {
	FOLDED_LEAKED,		/* "leaked device pages": devmemleak's verdict */
	FOLDED_LIVE,		/* "live device pages": still out at the end */
	FOLDED_HANDED_OUT,	/* "device pages handed out": every page init */
	FOLDED_TO_SYSTEM,	/* "pages migrated to system": migrate records */
	FOLDED_FAULTS,		/* "device page faults": pages of faulting folios */
	FOLDED_KINDS
};

extern const char *const folded_root[FOLDED_KINDS];

struct folded_entry {
	uint64_t pgmap, weight;
	uint32_t kind, pid;
	int32_t stack_id;		/* < 0: the record had none */
	char comm[DEVMEM_COMM_LEN];	/* the first seen for this key */
};

struct folded {
	struct folded_entry *e;
	size_t n, cap;
	uint32_t *slot;		/* open addressing: index + 1, 0 empty */
	size_t nslot;
	uint64_t oom;		/* additions lost for want of memory */
};

/* Names a stack id: "frame;frame;..." leaf first, or "" if unknown. */
typedef const char *(*folded_stack_fn)(void *ctx, int32_t id, char *buf, size_t len);

struct folded_opts {
	folded_stack_fn stack_of;	/* NULL: every line is "[no stack]" */
	void *ctx;
	const struct devmem_state *st;	/* names the pgmaps; may be NULL */
	/* Leave out pages whose stack text (leaf first, "(no stack)" when
	 * none) contains one of these: devmemleak's --suppress. */
	char *const *suppress;
	size_t nsuppress;
};

/* Add weight pages; 0, or -1 without memory (counted in f->oom). */
int folded_add(struct folded *f, enum folded_kind kind, uint64_t pgmap, uint32_t pid,
	       const char *comm, int32_t stack_id, uint64_t weight);
/* Every page still out in t, weighted by its folio's nr_pages. */
int folded_add_pages(struct folded *f, enum folded_kind kind, const struct leak_tracker *t);
/*
 * Write the lines, sorted bytewise, identical lines merged. Returns 0, or
 * -1 when writing failed or f lost additions (f->oom: the file would be
 * short, so it is refused rather than written quietly wrong).
 */
int folded_write(const struct folded *f, FILE *out, const struct folded_opts *o);
/* The same to path ("-" is stdout); -1 with errno set on failure. */
int folded_write_file(const struct folded *f, const char *path, const struct folded_opts *o);
/* devmemleak's --folded: the pages still out in t as one kind, to path. */
int folded_write_pages(const char *path, enum folded_kind kind, const struct leak_tracker *t,
		       const struct folded_opts *o);
void folded_free(struct folded *f);

/* One frame made safe for the format: ';' becomes ':', control characters
 * '?', a "+0xOFF" suffix is dropped, "" becomes "[unknown]". Writes at
 * most len bytes with the NUL; returns dst. */
char *folded_frame(char *dst, size_t len, const char *src, size_t n);

#endif
