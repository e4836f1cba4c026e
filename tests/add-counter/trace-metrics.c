// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trace-metrics FILE: replay a trace into the model and print devmemtop's
 * metrics exposition of it, so tests/add-counter.sh can see a counter in
 * the metrics without a kernel.
 */
#include <stdio.h>
#include "metrics.h"
#include "state.h"
#include "tracefile.h"

int main(int argc, char **argv)
{
	struct devmem_state st = { 0 };
	struct devmem_metrics m = { .max_procs = 4 };
	struct devmem_metrics_info info = { .version = "test", .attach_mode = "tracepoint",
					    .kernel = "test" };
	struct dmt_info ti = { 0 };
	char err[256];

	if (argc != 2 || dmt_read(argv[1], &devmem_state_ops, &st, &ti, err, sizeof(err))) {
		fprintf(stderr, "trace-metrics: %s\n", argc == 2 ? err : "usage: trace-metrics FILE");
		return 1;
	}
	if (devmem_metrics_update(&m, &st))
		return 1;
	devmem_metrics_write(stdout, &m, &st, &info, DEVMEM_METRICS_PROMETHEUS);
	devmem_metrics_free(&m);
	dmt_info_free(&ti);
	devmem_state_free(&st);
	return 0;
}
