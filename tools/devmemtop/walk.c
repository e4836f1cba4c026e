// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The struct page walk at start, as devmemtop shows it: JSON "pages_walk"
 * with the row, a text section. The walk itself is late start's
 * (session/late_start_live.c).
 */
#include <stdio.h>
#include "devmemtop.h"
#include "walk.h"

/* The walk whose rows walk_json() is handed: devmemtop has one. */
static const struct devmem_late_start *late;

int walk_at_start(struct top *t, size_t max_listed)
{
	char err[256] = "";
	int rc;

	late = &t->late;
	rc = devmem_late_start_walk(&t->late, &t->st, max_listed, err, sizeof(err));
	if (err[0])
		fprintf(stderr, "devmemtop: no struct page walk: %s\n", err);
	return rc;
}

void walk_json(struct json *j, const struct devmem_pgmap_row *r)
{
	const struct devmem_walked *x = late ? devmem_late_start_walked(late, r) : NULL;

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
		const struct devmem_walked *x = devmem_late_start_walked(&t->late, r);

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
