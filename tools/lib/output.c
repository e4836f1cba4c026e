// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "counters.h"
#include "output.h"
#include "pgmap_names.h"

bool devmem_raw_addresses;

void devmem_json_pgmap_fields(struct json *j, const struct devmem_pgmap_row *r)
{
	char name[3 * DEVMEM_NAME_LEN];

	json_str(j, "name", pgmap_short_name(r, name, sizeof(name)));
	json_str(j, "driver", r->driver[0] ? r->driver : "unknown");
	json_str(j, "device", r->device[0] ? r->device : "unknown");
	json_str(j, "pci", r->pci);	/* "" when not under a PCI device */
	/* Kernel addresses only when asked: JSON ends up in CI artifacts. */
	if (devmem_raw_addresses) {
		json_hex(j, "pgmap", r->pgmap);
		json_hex(j, "owner", r->owner);
	}
	json_str(j, "type", devmem_pgmap_type_name(r->type));
	json_hex(j, "start", r->start);
	json_hex(j, "end", r->end);
	json_u64(j, "nr_pages", r->nr_pages);
	json_bool(j, "destroyed", r->destroyed);
	json_i64(j, "live_pages", devmem_pgmap_live(r));
	json_i64(j, "live_bytes", devmem_pgmap_live(r) * 4096);
	json_bool(j, "live_exact", !r->live_pending);
	json_i64(j, "refs", r->refs);
	devmem_counters_json(j, &devmem_pgmap_counter_set, &r->c);
	json_obj_open(j, "fault_latency_ns");	/* upper bucket edges, log2 buckets */
	json_u64(j, "p50", devmem_lat_percentile(r->fault_lat, 50));
	json_u64(j, "p90", devmem_lat_percentile(r->fault_lat, 90));
	json_u64(j, "p99", devmem_lat_percentile(r->fault_lat, 99));
	json_obj_close(j);
	json_bool(j, "teardown_waiting", r->waiting);
	if (r->waiting) {
		json_u64(j, "teardown_since_ns", r->wait_since_ns);
		json_u64(j, "teardown_live_pages", r->wait_live_pages);
	}
	json_u64(j, "teardown_wait_ns", r->wait_ns);
}

const char *devmem_pgmap_label(const struct devmem_state *st, uint64_t pgmap, char *buf,
			       size_t len)
{
	uint64_t i;

	if (devmem_raw_addresses)
		snprintf(buf, len, "%#llx", (unsigned long long)pgmap);
	else if (u64map_get(&st->pgmap_idx, pgmap, &i))
		pgmap_short_name(&st->pgmaps[i], buf, len);
	else
		snprintf(buf, len, "an unknown pgmap");
	return buf;
}

void devmem_json_proc_fields(struct json *j, const struct devmem_proc_row *r)
{
	json_u64(j, "pid", r->pid);
	json_str(j, "comm", r->comm);
	devmem_counters_json(j, &devmem_proc_counter_set, &r->c);
}

FILE *devmem_report_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0600);
	FILE *f;
	int e;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

int devmem_report_close(FILE *f)
{
	int e = 0;

	if (fflush(f))
		e = errno;
	else if (ferror(f))
		e = EIO;
	if (fclose(f) && !e)
		e = errno;
	errno = e;
	return e ? -1 : 0;
}
