// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Late start, from the struct pages (docs/pagewalk.md): at start, find
 * every pgmap (debugfs's list where the kernel has it, /proc/iomem's
 * regions on any kernel), give each a row, and walk its pages once. The
 * result is shown with the row: JSON "pages_walk", a text section. A pgmap
 * whose memunmap_pages() already waits is found this way too (it is still
 * in /proc/iomem; debugfs no longer lists it).
 */
#include <stdio.h>
#include <stdlib.h>
#include "devmemtop.h"
#include "pagewalk.h"
#include "walk.h"

struct walked {
	struct devmem_walk_pgmap pg;
	struct devmem_walk_summary s;
};

static struct walked *walked;
static size_t nr_walked;

static const struct walked *walk_of(const struct devmem_pgmap_row *r);

const struct devmem_walk_summary *walk_summary(const struct devmem_pgmap_row *r)
{
	const struct walked *x = walk_of(r);

	return x ? &x->s : NULL;
}

const struct devmem_walk_pgmap *walk_pgmap(const struct devmem_pgmap_row *r)
{
	const struct walked *x = walk_of(r);

	return x ? &x->pg : NULL;
}

static const struct walked *walk_of(const struct devmem_pgmap_row *r)
{
	size_t i;

	for (i = 0; i < nr_walked; i++)
		if (r->pgmap ? walked[i].pg.pgmap == r->pgmap && walked[i].pg.start == r->start :
			       walked[i].pg.start == r->start)
			return &walked[i];
	return NULL;
}

int walk_at_start(struct top *t, size_t max_listed)
{
	struct devmem_pfn_range *extra = calloc(t->st.nr_pgmaps + 1, sizeof(*extra));
	struct devmem_walk_pgmap *pg = NULL;
	struct pagewalk *w;
	char err[256];
	size_t i, n = 0;
	int rc;

	if (!extra)
		return -1;
	for (i = 0; i < t->st.nr_pgmaps; i++)	/* seeded from debugfs */
		if (t->st.pgmaps[i].end > t->st.pgmaps[i].start) {
			extra[n].start = t->st.pgmaps[i].start >> 12;
			extra[n++].end = (t->st.pgmaps[i].end >> 12) + 1;
		}
	rc = devmem_pagewalk_open(&w, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "devmemtop: no struct page walk: %s\n", err);
		free(extra);
		return rc;
	}
	rc = devmem_pgmap_find(w, extra, n, &pg);
	free(extra);
	if (rc < 0) {
		fprintf(stderr, "devmemtop: no struct page walk: finding pgmaps failed (%d)\n", rc);
		devmem_pagewalk_close(w);
		return rc;
	}
	walked = calloc(rc ? rc : 1, sizeof(*walked));
	for (i = 0; walked && i < (size_t)rc; i++) {
		struct walked *x = &walked[nr_walked++];
		uint64_t idx;

		x->pg = pg[i];
		x->s.max_listed = max_listed;
		devmem_pagewalk_pgmap(w, &x->pg, &x->s);
		/* Its row: adopts a debugfs one of the same start, else a new one. */
		devmem_state_pgmap_meta(&t->st, x->pg.pgmap, x->pg.start, x->pg.end, x->pg.type,
					x->pg.owner, (x->pg.end + 1 - x->pg.start) >> 12);
		if (u64map_get(&t->st.pgmap_idx, x->pg.pgmap, &idx) && !t->st.pgmaps[idx].ops)
			t->st.pgmaps[idx].ops = x->pg.ops;
	}
	free(pg);
	devmem_pagewalk_close(w);
	return walked ? (int)nr_walked : -1;
}

void walk_json(struct json *j, const struct devmem_pgmap_row *r)
{
	const struct walked *x = walk_of(r);

	if (!x)
		return;
	json_obj_open(j, "pages_walk");
	devmem_walk_summary_json(j, &x->s);
	/* memunmap_pages() had begun: its reference was killed */
	json_bool(j, "teardown_began", x->pg.ref_dead);
	json_i64(j, "references", x->pg.ref_count);
	json_obj_close(j);
}

#define TEXT_FOLIOS 8

void walk_text(const struct top *t)
{
	char name[3 * DEVMEM_NAME_LEN];
	size_t i, k, shown = 0;

	for (i = 0; i < t->st.nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &t->st.pgmaps[i];
		const struct walked *x = walk_of(r);

		if (!x || !pgmap_visible(t, r))
			continue;
		if (!shown++)
			printf("In use at start, from the struct pages:\n");
		printf("%-24s %8llu pages in %llu folios%s", pgmap_short_name(r, name, sizeof(name)),
		       (unsigned long long)x->s.in_use_pages, (unsigned long long)x->s.in_use_folios,
		       x->s.done && !x->s.error ? "" : " (walk incomplete)");
		for (k = 0; k < x->s.nr_listed && k < TEXT_FOLIOS; k++)
			printf("%s pfn %#llx order %u ref %d map %d", k ? "," : ":",
			       (unsigned long long)x->s.listed[k].pfn, x->s.listed[k].order,
			       x->s.listed[k].refcount, x->s.listed[k].mapcount);
		if (x->s.in_use_folios > k)
			printf(" (%llu more)", (unsigned long long)(x->s.in_use_folios - k));
		putchar('\n');
	}
	if (shown)
		putchar('\n');
}

void walk_free(void)
{
	size_t i;

	for (i = 0; i < nr_walked; i++)
		devmem_walk_summary_free(&walked[i].s);
	free(walked);
	walked = NULL;
	nr_walked = 0;
}
