// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "lost.h"

uint64_t devmem_lost(const uint64_t drops[DEVMEM_DROP_MAX], uint64_t recursion_misses,
		     uint64_t other)
{
	uint64_t n = recursion_misses + other;
	unsigned int i;

	/* No stack, no listing of a repeating fault: the event itself was counted. */
	for (i = 0; i < DEVMEM_DROP_MAX; i++)
		if (i != DEVMEM_DROP_STACK && i != DEVMEM_DROP_SPIN_MAP)
			n += drops[i];
	return n;
}

/* The value of "key=" on a line of text; false if absent or not a number. */
static bool end_value(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	const char *p;
	char *endp;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, klen) && p[klen] == '=') {
			*v = strtoull(p + klen + 1, &endp, 10);
			return endp != p + klen + 1 && (*endp == '\n' || !*endp);
		}
	return false;
}

/* The drop slots' names: END chunk keys and devmemtop's JSON fields. */
const char *const devmem_drop_names[DEVMEM_DROP_MAX] = {
	[DEVMEM_DROP_RINGBUF] = "ringbuf_full",
	[DEVMEM_DROP_PGMAP_MAP] = "pgmap_map_full",
	[DEVMEM_DROP_PROC_MAP] = "proc_map_full",
	[DEVMEM_DROP_PAGE_MAP] = "page_map_full",
	[DEVMEM_DROP_STACK] = "no_stack",
	[DEVMEM_DROP_PROBE_MISSED] = "probe_missed",
	[DEVMEM_DROP_SPIN_MAP] = "spin_map_full",
};

int devmem_lost_from_end(const char *end, uint64_t *lost, uint64_t *no_stack)
{
	uint64_t drops[DEVMEM_DROP_MAX] = { 0 }, misses = 0, bad = 0, werr = 0;
	unsigned int i;

	*lost = 0;
	*no_stack = 0;
	if (!end)
		return -1;
	if (!end_value(end, "ringbuf_full", &drops[DEVMEM_DROP_RINGBUF]))
		return end_value(end, "dropped", lost) ? 0 : -1;
	for (i = 0; i < DEVMEM_DROP_MAX; i++)
		end_value(end, devmem_drop_names[i], &drops[i]);
	end_value(end, "recursion_misses", &misses);
	end_value(end, "bad_records", &bad);
	end_value(end, "write_errors", &werr);
	*no_stack = drops[DEVMEM_DROP_STACK];
	*lost = devmem_lost(drops, misses, bad + werr);
	return 0;
}
