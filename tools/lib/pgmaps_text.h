/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * debugfs's pgmaps file, as the kernel writes it (kpatches/: zone_device/
 * pgmaps, devmem/pgmaps on 6.12) and a trace's PGMAPS chunk carries it:
 *
 *	# pgmap type start end owner nr_pages live_pages
 *	00000000bdd6a09e private 0xfff0000000 0xffffffffff 00000000158ff02b 65536 0
 *
 * and, in a recording, "# read_ns FROM TO": when devmemrec read it. Parsed
 * here, once, into lines: the host layer reads the file (debugfs.h), the
 * trace reader hands over the chunk's text.
 */
#ifndef DEVMEM_PGMAPS_TEXT_H
#define DEVMEM_PGMAPS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct devmem_pgmap_line {
	uint64_t start, end, nr_pages, live;
	uint32_t type;		/* DEVMEM_PGMAP_*; one past the last for a name not known */
};

struct devmem_pgmap_lines {
	struct devmem_pgmap_line *v;
	size_t n;
	bool has_read_ns;	/* a "# read_ns FROM TO" line; the last one's: */
	uint64_t read_from_ns, read_to_ns;
};

/*
 * Parse the text into l: 0, or -ENOMEM (l holds the lines before). Lines
 * of another form (the header, garbage) are skipped.
 */
int devmem_pgmap_lines_parse(const char *text, struct devmem_pgmap_lines *l);
void devmem_pgmap_lines_free(struct devmem_pgmap_lines *l);
/* The live pages of the first line for the range at start, or -1 if none. */
int64_t devmem_pgmap_lines_live(const struct devmem_pgmap_lines *l, uint64_t start);

#endif
