// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* devmemleak -i FILE: judge a devmemrec recording instead of a run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmemleak.h"
#include "lost.h"

/* Judge a recording; returns the losses, or UINT64_MAX after a message. */
static uint64_t read_recording(struct leak *lk, const char *input)
{
	struct leak_tracker *lt = &lk->lt;
	struct outcome *o = &lk->o;
	char err[1024], buf[64], cmd[256];
	uint64_t lost;
	int rc;

	/* References need the attach mode, scope the recorder's pid: read META first. */
	rc = dmt_scan(input, &lk->scan, err, sizeof(err));
	if (rc == DMT_READ_OK) {
		lt->st.refs_on_free = dmt_meta_get(lk->scan.meta, "attach_mode", buf, sizeof(buf)) &&
				      strcmp(buf, "tracepoint");
		if (dmt_meta_get(lk->scan.meta, "command", cmd, sizeof(cmd)) && cmd[0] &&
		    dmt_meta_get(lk->scan.meta, "recorder_pid", buf, sizeof(buf)) && atoi(buf) > 0)
			leak_tracker_scope(lt, atoi(buf));
		/* Pgmaps as the file describes them, in-band or at the end. */
		lt->st.resolve = dmt_resolve_pgmap;
		lt->st.resolve_ctx = lk->scan.pgmap_addrs;
		rc = dmt_read(input, leak_tracker_ops(), &lt->st, &lk->info, err, sizeof(err));
		pgmap_names_apply(&lt->st, lk->scan.pgmap_names);	/* named where recorded */
	}
	snprintf(o->what, sizeof(o->what), "recording %s", input);
	if (rc != DMT_READ_OK) {
		fprintf(stderr, "devmemleak: %s: %s%s\n", input, err,
			rc == DMT_READ_TRUNCATED ? " (no verdict on a partial recording)" : "");
		no_verdict(o, "%s", rc == DMT_READ_TRUNCATED ? "the recording is cut short" :
			   rc == DMT_READ_IO ? "cannot read the recording" : "the recording is damaged");
		return UINT64_MAX;
	}
	if (devmem_lost_from_end(lk->info.end, &lost, &lk->no_stack)) {
		fprintf(stderr, "devmemleak: %s: the recording did not finish: no verdict\n", input);
		no_verdict(o, "%s", "the recording did not finish");
		return UINT64_MAX;
	}
	/* A command stopped before it started leaked nothing because it did nothing. */
	if (dmt_meta_get(lk->info.end, "command_not_run", buf, sizeof(buf)) && atoi(buf))
		no_verdict(o, "%s", "the recorded command never ran (devmemrec was stopped first)");
	return lost + lt->st.oom;
}

int leak_read(struct leak *lk, const struct leak_env *env)
{
	char err[1024];

	lk->lost = read_recording(lk, env->input);
	if (lk->lost == UINT64_MAX)
		return -1;
	lk->now = 0;
	if (dmt_meta_get(lk->info.end, "end_ns", err, sizeof(err)))
		lk->now = strtoull(err, NULL, 10);
	return 0;
}
