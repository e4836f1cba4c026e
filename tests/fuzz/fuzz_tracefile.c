// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: any bytes through the trace reader and the state, once
 * strict and once salvaging (devmemreport --salvage), with what the two
 * must agree on checked: salvage never changes a file that reads whole,
 * never reads fewer records than the strict reader, and a salvaged read
 * always lists what it skipped. Then the records once more through
 * devmemreport --events (tools/devmemreport/events.c), printed to
 * /dev/null with their stacks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "events.h"
#include "state.h"
#include "tracefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct devmem_state st = { 0 }, sst = { 0 };
	struct dmt_info info, sinfo;
	char err[256], serr[256];
	int rc, src;

	rc = dmt_read_buffer(data, len, &devmem_state_ops, &st, &info, err, sizeof(err));
	src = dmt_read_buffer_flags(data, len, &devmem_state_ops, &sst, &sinfo, DMT_READ_SALVAGE,
				    serr, sizeof(serr));
	if (rc == DMT_READ_SALVAGED)
		abort();	/* only ever with the flag */
	if (rc == DMT_READ_OK && (src != DMT_READ_OK || sinfo.records != info.records ||
				  sst.nr_pgmaps != st.nr_pgmaps))
		abort();
	/* A strict read stops at the first damage; salvage reads at least that far. */
	if ((rc == DMT_READ_OK || rc == DMT_READ_TRUNCATED) && sinfo.records < info.records)
		abort();
	if (src == DMT_READ_SALVAGED && (!sinfo.nr_skipped || !sinfo.nr_skips))
		abort();
	if (src != DMT_READ_SALVAGED && sinfo.nr_skipped)
		abort();
	if (rc == DMT_READ_OK || rc == DMT_READ_TRUNCATED) {
		static FILE *null;
		struct events_env env = { .st = &st, .stacks = info.stacks, .with_stacks = true };
		struct events ev = { .env = &env };
		struct dmt_info einfo;

		if (!null)
			null = fopen("/dev/null", "w");
		env.out = null;
		if (null && dmt_read_buffer(data, len, &events_queue_ops, &ev, &einfo, err,
					    sizeof(err)) != rc)
			abort();	/* the same bytes read the same way */
		events_finish(&ev);
		dmt_info_free(&einfo);
	}
	dmt_info_free(&info);
	dmt_info_free(&sinfo);
	devmem_state_free(&st);
	devmem_state_free(&sst);
	return 0;
}
