// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemleak --json: the report as one JSON document, for scripts and CI
 * (its schema is in docs/devmemleak.md). The same numbers as the text
 * report, from the same struct leak.
 */
#include <string.h>
#include "devmemleak.h"
#include "json.h"
#include "output.h"

static const char *verdict_name(const struct leak *lk)
{
	if (lk->o.no_verdict[0])
		return "no_verdict";
	return lk->leaked || lk->leaked_refs ? "leaks" : "clean";
}

static void json_group(struct json *j, const struct leak *lk, const struct leak_group *g)
{
	char pgmap[3 * DEVMEM_NAME_LEN], stack[sizeof(g->stack)], *frame, *save = NULL;

	json_obj_open(j, NULL);
	json_bool(j, "judged", g->mine);
	json_bool(j, "suppressed", g->suppressed);
	json_u64(j, "pages", g->count);
	json_str(j, "pgmap", devmem_pgmap_label(&lk->lt.st, g->pgmap, pgmap, sizeof(pgmap)));
	json_u64(j, "pid", g->pid);
	json_str(j, "comm", g->comm);
	json_double(j, "oldest_age_s", lk->now > g->oldest_ns ? (lk->now - g->oldest_ns) / 1e9 : 0.0);
	/* The oldest page: its index in the pgmap, its pfn where it has one. */
	json_u64(j, "index", g->oldest_index);
	if (g->oldest_pfn == DEVMEM_PFN_NONE)
		json_str(j, "pfn", "-");
	else
		json_hex(j, "pfn", g->oldest_pfn);
	json_arr_open(j, "stack");
	memcpy(stack, g->stack, sizeof(stack));
	for (frame = strtok_r(stack, ";", &save); frame; frame = strtok_r(NULL, ";", &save))
		json_str(j, NULL, frame);
	json_arr_close(j);
	json_obj_close(j);
}

void leak_report_json(const struct leak *lk, const struct leak_env *env, int verdict)
{
	const struct outcome *o = &lk->o;
	struct json j;
	size_t i;

	json_begin(&j, lk->out);
	json_obj_open(&j, NULL);
	json_u64(&j, "schema", 1);
	json_str(&j, "subject", o->name);
	json_str(&j, "outcome", o->what);
	if (env->input)
		json_null(&j, "command_status");
	else
		json_i64(&j, "command_status", o->cmd_status);
	json_str(&j, "verdict", verdict_name(lk));
	json_i64(&j, "exit", verdict);
	json_arr_open(&j, "no_verdict");
	for (i = 0; i < o->nreasons; i++)
		json_str(&j, NULL, o->reasons[i]);
	json_arr_close(&j);
	json_bool(&j, "judged", lk->judged);
	if (lk->judged) {
		json_str(&j, "scope", o->scope);
		json_str(&j, "settle", o->settle);
		json_u64(&j, "leaked_pages", lk->leaked);
		json_u64(&j, "leaked_refs", lk->leaked_refs);
		json_u64(&j, "suppressed_pages", lk->suppressed);
		json_u64(&j, "lost", lk->lost);
		json_u64(&j, "no_stack", lk->no_stack);
		json_u64(&j, "other_pages", lk->lt.out_other);
		json_u64(&j, "other_refs", lk->other_refs);
		json_arr_open(&j, "groups");
		for (i = 0; i < lk->ngroups; i++)
			json_group(&j, lk, &lk->groups[i]);
		json_arr_close(&j);
	}
	json_obj_close(&j);
	json_end(&j);
}
