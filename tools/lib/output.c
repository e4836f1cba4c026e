// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "output.h"

void devmem_json_pgmap_fields(struct json *j, const struct devmem_pgmap_row *r)
{
	json_hex(j, "pgmap", r->pgmap);
	json_str(j, "type", devmem_pgmap_type_name(r->type));
	json_hex(j, "start", r->start);
	json_hex(j, "end", r->end);
	json_hex(j, "owner", r->owner);
	json_u64(j, "nr_pages", r->nr_pages);
	json_bool(j, "destroyed", r->destroyed);
	json_i64(j, "live_pages", devmem_pgmap_live(r));
	json_i64(j, "live_bytes", devmem_pgmap_live(r) * 4096);
	json_i64(j, "refs", r->refs);
	json_u64(j, "inits", r->inits);
	json_u64(j, "frees", r->frees);
	json_u64(j, "gets", r->gets);
	json_u64(j, "puts", r->puts);
	json_u64(j, "to_device", r->to_device);
	json_u64(j, "to_system", r->to_system);
	json_u64(j, "longterm", r->longterm);
	json_u64(j, "longterm_failed", r->longterm_failed);
	json_u64(j, "cow", r->cow);
	json_u64(j, "faults", r->faults);
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

void devmem_json_proc_fields(struct json *j, const struct devmem_proc_row *r)
{
	json_u64(j, "pid", r->pid);
	json_str(j, "comm", r->comm);
	json_i64(j, "held", r->held);
	json_u64(j, "inits", r->inits);
	json_u64(j, "to_device", r->to_device);
	json_u64(j, "to_system", r->to_system);
	json_u64(j, "faults", r->faults);
	json_u64(j, "longterm", r->longterm);
	json_u64(j, "cow", r->cow);
}
