// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The text chunks' contents: META and END keys, pgmap descriptions, stacks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state.h"
#include "tracefile.h"

const char *dmt_meta_get(const char *text, const char *key, char *buf, size_t len)
{
	size_t k = strlen(key);
	const char *line;

	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, key, k) && line[k] == '=') {
			const char *v = line + k + 1, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);

			if (n >= len)
				n = len - 1;
			memcpy(buf, v, n);
			buf[n] = 0;
			return buf;
		}
	return NULL;
}

const struct dmt_end_key_info dmt_end_keys[DMT_END_NR_KEYS] = {
	[DMT_END_NS] = { "end_ns", 0 },
	[DMT_END_RECORDS] = { "records", 0 },
	[DMT_END_FILTERED] = { "filtered", 0 },
	[DMT_END_DROPPED] = { "dropped", DMT_END_DROPS | DMT_END_LOSS },
	[DMT_END_RINGBUF_FULL] = { "ringbuf_full", DMT_END_DROPS | DMT_END_LOSS },
	[DMT_END_PGMAP_MAP_FULL] = { "pgmap_map_full", DMT_END_DROPS | DMT_END_LOSS },
	[DMT_END_PROC_MAP_FULL] = { "proc_map_full", DMT_END_DROPS | DMT_END_LOSS },
	[DMT_END_PAGE_MAP_FULL] = { "page_map_full", DMT_END_DROPS | DMT_END_LOSS },
	[DMT_END_NO_STACK] = { "no_stack", DMT_END_LOSS },
	[DMT_END_PROBE_MISSED] = { "probe_missed", DMT_END_DROPS | DMT_END_LOSS },
	[DMT_END_RECURSION_MISSES] = { "recursion_misses", DMT_END_DROPS | DMT_END_LOSS },
	[DMT_END_BAD_RECORDS] = { "bad_records", DMT_END_DROPS },
	[DMT_END_WRITE_ERRORS] = { "write_errors", 0 },
	[DMT_END_EVENTS_SEEN] = { "events_seen", DMT_END_DROPS },
	[DMT_END_COMMAND_NOT_RUN] = { "command_not_run", 0 },
};

int dmt_end_text(char *buf, size_t len, const uint64_t v[DMT_END_NR_KEYS], unsigned int skip)
{
	size_t n = 0;
	int i, w;

	for (i = 0; i < DMT_END_NR_KEYS; i++) {
		if (dmt_end_keys[i].flags & skip)
			continue;
		w = snprintf(n < len ? buf + n : NULL, n < len ? len - n : 0, "%s=%llu\n",
			     dmt_end_keys[i].name, (unsigned long long)v[i]);
		if (w < 0)
			return w;
		n += w;
	}
	return n;
}

int dmt_resolve_pgmap(void *ctx, uint64_t pgmap, struct devmem_pgmap_row *meta)
{
	const char *line;

	for (line = ctx; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long long p, start, end, owner, nr;
		unsigned int type;

		/* The first line for an address: the one written when it was first seen. */
		if (sscanf(line, "%llx %llx %llx %u %llx %llu", &p, &start, &end, &type, &owner,
			   &nr) == 6 && p == pgmap) {
			meta->start = start;
			meta->end = end;
			meta->type = type;
			meta->owner = owner;
			meta->nr_pages = nr;
			return 0;
		}
	}
	return -1;
}

const char *devmem_stack_lookup(const char *stacks, int32_t id, char *buf, size_t len)
{
	const char *line;

	buf[0] = 0;
	for (line = stacks; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char *end;
		long v = strtol(line, &end, 10);

		if (end != line && v == id && *end == ' ') {
			size_t n = strcspn(end + 1, "\n");

			if (n >= len)
				n = len - 1;
			memcpy(buf, end + 1, n);
			buf[n] = 0;
			break;
		}
	}
	return buf;
}
