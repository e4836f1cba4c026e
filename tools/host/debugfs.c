// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "debugfs.h"
#include "readfile.h"

const char *debugfs_pgmaps_path(void)
{
	static const char *const paths[] = {
		"/sys/kernel/debug/zone_device/pgmaps",	/* kpatches/ (7.3) */
		"/sys/kernel/debug/devmem/pgmaps",	/* kpatches/6.12/ */
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], F_OK))
			return paths[i];
	return paths[0];
}

char *debugfs_pgmaps_text(const char *path, size_t *len)
{
	return host_read_file(path, len);
}

int debugfs_pgmaps_read(const char *path, struct debugfs_pgmaps *p)
{
	int e;

	memset(p, 0, sizeof(*p));
	p->text = debugfs_pgmaps_text(path, &p->len);
	if (!p->text)
		return -errno;
	e = devmem_pgmap_lines_parse(p->text, &p->lines);
	if (e)
		debugfs_pgmaps_free(p);
	return e;
}

void debugfs_pgmaps_free(struct debugfs_pgmaps *p)
{
	free(p->text);
	devmem_pgmap_lines_free(&p->lines);
	memset(p, 0, sizeof(*p));
}
