// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "folded.h"
#include "output.h"

const char *const folded_root[FOLDED_KINDS] = {
	[FOLDED_LEAKED] = "leaked device pages",
	[FOLDED_LIVE] = "live device pages",
	[FOLDED_HANDED_OUT] = "device pages handed out",
	[FOLDED_TO_SYSTEM] = "pages migrated to system",
	[FOLDED_FAULTS] = "device page faults",
};

#define NO_STACK "[no stack]"
#define STACK_MAX 4096		/* as leak_groups(): 32 frames of 128 */

static uint64_t mix(uint64_t x)	/* splitmix64's finalizer */
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static size_t hash(const struct folded_entry *k, size_t mask)
{
	return mix(k->pgmap ^ mix(((uint64_t)k->pid << 32 | (uint32_t)k->stack_id) ^
				  mix(k->kind))) & mask;
}

static bool same(const struct folded_entry *a, const struct folded_entry *b)
{
	return a->pgmap == b->pgmap && a->pid == b->pid && a->stack_id == b->stack_id &&
	       a->kind == b->kind;
}

/* Keep the table at most half full; slots hold entry index + 1. */
static int grow_slots(struct folded *f)
{
	size_t n = f->nslot ? f->nslot * 2 : 256, i, h;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -1;
	for (i = 0; i < f->n; i++) {
		for (h = hash(&f->e[i], n - 1); s[h]; h = (h + 1) & (n - 1))
			;
		s[h] = i + 1;
	}
	free(f->slot);
	f->slot = s;
	f->nslot = n;
	return 0;
}

int folded_add(struct folded *f, enum folded_kind kind, uint64_t pgmap, uint32_t pid,
	       const char *comm, int32_t stack_id, uint64_t weight)
{
	struct folded_entry k = { .pgmap = pgmap, .kind = kind, .pid = pid,
				  .stack_id = stack_id < 0 ? -1 : stack_id };
	size_t h;

	if ((f->n + 1) * 2 > f->nslot && (f->n >= UINT32_MAX - 1 || grow_slots(f)))
		goto oom;
	for (h = hash(&k, f->nslot - 1); f->slot[h]; h = (h + 1) & (f->nslot - 1))
		if (same(&f->e[f->slot[h] - 1], &k)) {
			f->e[f->slot[h] - 1].weight += weight;
			return 0;
		}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct folded_entry *e = realloc(f->e, cap * sizeof(*e));

		if (!e)
			goto oom;
		f->e = e;
		f->cap = cap;
	}
	k.weight = weight;
	snprintf(k.comm, sizeof(k.comm), "%s", comm ? comm : "");
	f->e[f->n++] = k;
	f->slot[h] = f->n;
	return 0;
oom:
	f->oom++;
	return -1;
}

int folded_add_pages(struct folded *f, enum folded_kind kind, const struct leak_tracker *t)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct page_out *p = &t->pages[i];

		/* Leaked pages are the judged ones: the command's (leaks.h scope). */
		if (kind == FOLDED_LEAKED && !p->mine)
			continue;
		if (p->live && folded_add(f, kind, p->pgmap, p->pid, p->comm, p->stack_id, p->nr_pages))
			rc = -1;
	}
	return rc;
}

char *folded_frame(char *dst, size_t len, const char *src, size_t n)
{
	size_t i, o = 0, cut = n;

	/* "sym+0x1f": the return address's offset splits one function into
	 * as many frames as it has call sites; flame graphs want functions. */
	for (i = n; i > 0; i--)
		if (src[i - 1] == '+') {
			size_t j = i + 2;

			if (j <= n && !strncmp(src + i, "0x", 2)) {
				while (j < n && strchr("0123456789abcdefABCDEF", src[j]))
					j++;
				if (j == n && j > i + 2)
					cut = i - 1;
			}
			break;
		}
	for (i = 0; i < cut && o + 1 < len; i++) {
		unsigned char c = src[i];

		dst[o++] = c == ';' ? ':' : c < 0x20 || c == 0x7f ? '?' : c;
	}
	dst[o] = 0;
	if (!o)
		snprintf(dst, len, "[unknown]");
	return dst;
}

/* Append src to buf (frames joined by ';'); false when it is full. */
static bool append(char *buf, size_t len, size_t *at, const char *src, size_t n)
{
	char frame[512];

	folded_frame(frame, sizeof(frame), src, n);
	n = strlen(frame);
	if (*at + (*at ? 1 : 0) + n + 1 > len)
		return false;
	if (*at)
		buf[(*at)++] = ';';
	memcpy(buf + *at, frame, n + 1);
	*at += n;
	return true;
}

static void pgmap_frame(const struct devmem_state *st, uint64_t pgmap, char *buf, size_t len)
{
	uint64_t row;

	if (!st || !u64map_get(&st->pgmap_idx, pgmap, &row)) {
		snprintf(buf, len, "unknown pgmap");
	} else if (st->pgmaps[row].start || st->pgmaps[row].end) {
		snprintf(buf, len, "%s pgmap %#" PRIx64 "-%#" PRIx64,
			 devmem_pgmap_type_name(st->pgmaps[row].type), st->pgmaps[row].start,
			 st->pgmaps[row].end);
	} else {
		snprintf(buf, len, "%s pgmap", devmem_pgmap_type_name(st->pgmaps[row].type));
	}
}

struct line {
	char *text;
	uint64_t weight;
};

static int by_text(const void *a, const void *b)
{
	return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

/* "root;pgmap;comm (pid);outermost;...;innermost", or NULL if suppressed. */
static char *line_of(const struct folded_entry *e, const struct folded_opts *o, bool *suppressed)
{
	char stack[STACK_MAX], text[STACK_MAX + 512], frame[128];
	const char *end, *s;
	size_t at = 0, q;

	*suppressed = false;
	stack[0] = 0;
	if (e->stack_id >= 0 && o->stack_of)
		o->stack_of(o->ctx, e->stack_id, stack, sizeof(stack));
	for (q = 0; q < o->nsuppress; q++)
		if (strstr(stack[0] ? stack : "(no stack)", o->suppress[q])) {
			*suppressed = true;
			return NULL;
		}
	append(text, sizeof(text), &at, folded_root[e->kind], strlen(folded_root[e->kind]));
	pgmap_frame(o->st, e->pgmap, frame, sizeof(frame));
	append(text, sizeof(text), &at, frame, strlen(frame));
	snprintf(frame, sizeof(frame), "%s (%u)", e->comm, e->pid);
	append(text, sizeof(text), &at, frame, strlen(frame));
	if (!stack[0]) {
		append(text, sizeof(text), &at, NO_STACK, strlen(NO_STACK));
		return strdup(text);
	}
	/* The tools name stacks leaf first; the format wants the root first. */
	for (end = stack + strlen(stack); end > stack; end = s > stack ? s - 1 : stack) {
		for (s = end; s > stack && s[-1] != ';'; s--)
			;
		if (!append(text, sizeof(text), &at, s, end - s))
			break;	/* cannot happen: text has room for all of stack */
	}
	return strdup(text);
}

int folded_write(const struct folded *f, FILE *out, const struct folded_opts *o)
{
	struct line *l = NULL;
	size_t n = 0, i, j;
	int rc = -1;

	if (f->oom) {
		errno = ENOMEM;
		return -1;
	}
	if (f->n && !(l = calloc(f->n, sizeof(*l))))
		return -1;
	for (i = 0; i < f->n; i++) {
		bool suppressed;

		if (!f->e[i].weight)
			continue;
		l[n].text = line_of(&f->e[i], o, &suppressed);
		if (suppressed)
			continue;
		if (!l[n].text)
			goto out;
		l[n++].weight = f->e[i].weight;
	}
	qsort(l, n, sizeof(*l), by_text);
	for (i = 0; i < n; i = j) {
		uint64_t w = 0;

		for (j = i; j < n && !strcmp(l[j].text, l[i].text); j++)
			w += l[j].weight;
		fprintf(out, "%s %" PRIu64 "\n", l[i].text, w);
	}
	rc = fflush(out) || ferror(out) ? -1 : 0;
out:
	for (i = 0; i < n; i++)
		free(l[i].text);
	free(l);
	return rc;
}

int folded_write_file(const struct folded *f, const char *path, const struct folded_opts *o)
{
	FILE *out = strcmp(path, "-") ? devmem_report_open(path) : stdout;
	int rc, e;

	if (!out)
		return -1;
	rc = folded_write(f, out, o);
	e = errno;
	if (out != stdout && devmem_report_close(out) && !rc) {
		rc = -1;
		e = errno;
	}
	errno = e;
	return rc;
}

int folded_write_pages(const char *path, enum folded_kind kind, const struct leak_tracker *t,
		       const struct folded_opts *o)
{
	struct folded f = { 0 };
	int rc;

	folded_add_pages(&f, kind, t);
	rc = folded_write_file(&f, path, o);
	folded_free(&f);
	return rc;
}

void folded_free(struct folded *f)
{
	free(f->e);
	free(f->slot);
	memset(f, 0, sizeof(*f));
}
