// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gen-trace FILE N: a trace file of N records of the synthetic migrate-heavy
 * stream (trace-stream.h), for timing devmemreport.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace-stream.h"
#include "tracefile.h"

int main(int argc, char **argv)
{
	const char *end = "dropped=0\nrecords=0\n", *meta = "kernel=synthetic\nattach_mode=tracepoint\n";
	unsigned char rec[TRACE_STREAM_MAX];
	unsigned long long n, i;
	struct dmt_writer w;
	char err[256];

	if (argc != 3 || !(n = strtoull(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: gen-trace FILE NRECORDS\n");
		return 2;
	}
	if (dmt_writer_open(&w, argv[1], err, sizeof(err))) {
		fprintf(stderr, "gen-trace: %s\n", err);
		return 1;
	}
	dmt_write_chunk(&w, DMT_CHUNK_META, meta, strlen(meta));
	for (i = 0; i < n; i++)
		dmt_write_record(&w, rec, trace_stream_record(i, rec));
	dmt_write_chunk(&w, DMT_CHUNK_END, end, strlen(end));
	return dmt_writer_close(&w) ? 1 : 0;
}
