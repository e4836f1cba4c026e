// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemleak's verdict: whose pages are judged, the groups still out by
 * allocation stack, the teardowns that wait for them, and the exit status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "devmemleak.h"
#include "folded.h"
#include "ktasks.h"
#include "output.h"
#include "procfs.h"
#include "stacks.h"
#include "teardown.h"

static const char *stack_live(void *ctx, int32_t id, char *buf, size_t len)
{
	const struct leak *lk = ctx;

	return devmem_stack_text(&lk->sess, &lk->ksyms, id, buf, len);
}

static const char *stack_recorded(void *ctx, int32_t id, char *buf, size_t len)
{
	const struct leak *lk = ctx;

	return devmem_stack_lookup(lk->info.stacks, id, buf, len);
}

void no_verdict(struct outcome *o, const char *fmt, const char *arg)
{
	char why[sizeof(o->no_verdict)];
	size_t i;

	snprintf(why, sizeof(why), fmt, arg);
	if (!o->no_verdict[0])
		memcpy(o->no_verdict, why, sizeof(why));
	for (i = 0; i < o->nreasons; i++)
		if (!strcmp(o->reasons[i], why))
			return;
	if (o->nreasons < NO_VERDICT_REASONS)
		memcpy(o->reasons[o->nreasons++], why, sizeof(why));
}

static void print_groups(const struct leak *lk, bool mine)
{
	const struct leak_group *g = lk->groups;
	uint64_t now = lk->now;
	size_t j, n = lk->ngroups;

	for (j = 0; j < n; j++) {
		char stack[sizeof(g[j].stack)], *frame, *save = NULL, pgmap[3 * DEVMEM_NAME_LEN];

		if (g[j].mine != mine)
			continue;
		if (!mine) {	/* not judged: who holds what, no stacks */
			fprintf(lk->out, "    %llu page%s of pgmap %s handed to pid %u (%s)\n",
			       (unsigned long long)g[j].count, g[j].count == 1 ? "" : "s",
			       devmem_pgmap_label(&lk->lt.st, g[j].pgmap, pgmap, sizeof(pgmap)),
			       g[j].pid, g[j].comm);
			continue;
		}
		fprintf(lk->out, "\n%llu page%s of pgmap %s handed to pid %u (%s), oldest %.1f s ago%s, allocated at:\n",
		       (unsigned long long)g[j].count, g[j].count == 1 ? "" : "s",
		       devmem_pgmap_label(&lk->lt.st, g[j].pgmap, pgmap, sizeof(pgmap)), g[j].pid, g[j].comm,
		       now > g[j].oldest_ns ? (now - g[j].oldest_ns) / 1e9 : 0.0,
		       g[j].suppressed ? " [suppressed]" : "");
		memcpy(stack, g[j].stack, sizeof(stack));
		for (frame = strtok_r(stack, ";", &save); frame; frame = strtok_r(NULL, ";", &save))
			fprintf(lk->out, "    %s\n", frame);
	}
}

static int pid_gone(void *ctx, uint32_t pid)
{
	(void)ctx;
	return kill((pid_t)pid, 0) && errno == ESRCH;
}

/* What each teardown that waits (or waited with pages out) waits for. */
static void print_teardowns(struct leak *lk, double stall_s,
			    int (*exited)(void *ctx, uint32_t pid), bool live)
{
	const struct devmem_state *st = &lk->lt.st;

	for (size_t i = 0; i < st->nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &st->pgmaps[i];
		struct teardown_report t;
		char label[3 * DEVMEM_NAME_LEN];

		if (!teardown_wanted(r))
			continue;
		teardown_begin(&t, r, lk->now, (uint64_t)(stall_s * 1e9), !st->refs_on_free);
		if (live)
			ktask_read_teardown(&t);
		if (r->wait_has_stack)
			(live ? stack_live : stack_recorded)(lk, r->wait_stack_id, t.begin_stack,
							     sizeof(t.begin_stack));
		teardown_add_groups(&t, lk->groups, lk->ngroups, exited, NULL);
		teardown_finish(&t);
		fputc('\n', lk->out);
		teardown_text(lk->out, &t, devmem_pgmap_label(st, r->pgmap, label, sizeof(label)));
		teardown_free(&t);
	}
}

/* Whose pages are judged: the command's tree, else every process, and why. */
static void judged_scope(struct leak *lk, const char *input)
{
	struct leak_tracker *lt = &lk->lt;
	struct outcome *o = &lk->o;

	/* A tree never seen (another pid namespace?): judge every process. */
	if (lt->scoped && !lt->tree_seen && !o->no_verdict[0]) {
		leak_tracker_unscope(lt);
		snprintf(o->scope, sizeof(o->scope), "every process (the command's processes were never "
			 "seen forking: another pid namespace?)");
	} else if (lt->scoped) {
		snprintf(o->scope, sizeof(o->scope), "the command and its descendants (%llu process%s)",
			 (unsigned long long)lt->tree_seen, lt->tree_seen == 1 ? "" : "es");
	} else {
		snprintf(o->scope, sizeof(o->scope), "every process (%s)",
			 input ? "the recording was not made with devmemrec -- COMMAND" :
			 !procfs_in_init_pidns() ? "devmemleak runs in a pid namespace: its children's pids are "
			 "not the kernel's" : "this kernel reports no forks to BPF");
	}
}

void leak_judge(struct leak *lk, const struct leak_env *env)
{
	const char *input = env->input, *folded = env->folded;
	struct leak_tracker *lt = &lk->lt;
	struct outcome *o = &lk->o;
	size_t j;

	lk->judged = true;
	judged_scope(lk, input);
	lk->ngroups = leak_groups(lt, input ? stack_recorded : stack_live, lk, env->suppress,
				  env->nsup, &lk->groups);
	for (j = 0; j < lk->ngroups; j++)
		if (lk->groups[j].mine)
			*(lk->groups[j].suppressed ? &lk->suppressed : &lk->leaked) += lk->groups[j].count;
	lk->leaked_refs = leak_extra_refs_mine(lt);
	lk->other_refs = leak_extra_refs(lt) - lk->leaked_refs;
	if (lk->lost) {
		char n[32];

		snprintf(n, sizeof(n), "%llu", (unsigned long long)lk->lost);
		no_verdict(o, "%s events were lost, so some frees may be missing", n);
	}
	/* The pages the verdict counts, by stack (docs/folded.md). */
	if (folded && folded_write_pages(folded, FOLDED_LEAKED, lt, &(struct folded_opts){
			input ? stack_recorded : stack_live, lk, &lt->st, env->suppress, env->nsup })) {
		fprintf(stderr, "devmemleak: %s: cannot write the folded stacks: %s\n", folded,
			strerror(errno));
		no_verdict(o, "cannot write the folded stacks to %s", folded);
	}
}

/* The report as text: its first line says how the command ended, its last the verdict. */
static void report_text(struct leak *lk, const struct leak_env *env, int verdict)
{
	const struct leak_tracker *lt = &lk->lt;
	const struct outcome *o = &lk->o;
	FILE *out = lk->out;

	if (!lk->judged) {	/* nothing to judge: how far it got */
		fprintf(out, "devmemleak: %s\n", o->what);
	} else {
		fprintf(out, "devmemleak: %s: %llu leaked device pages, %llu leaked pgmap references, "
			"%llu suppressed, %llu events lost\n", o->what, (unsigned long long)lk->leaked,
			(unsigned long long)lk->leaked_refs, (unsigned long long)lk->suppressed,
			(unsigned long long)lk->lost);
		fprintf(out, "judged: %s\n", o->scope);
		if (o->settle[0])
			fprintf(out, "%s\n", o->settle);
		if (lt->out_other || lk->other_refs) {
			fprintf(out, "other processes: %llu pages still out, %llu pgmap references, not judged\n",
				(unsigned long long)lt->out_other, (unsigned long long)lk->other_refs);
			print_groups(lk, false);
		}
		if (lk->no_stack)
			fprintf(out, "%llu page inits without a stack (stack map full): shown as (no stack), not lost\n",
				(unsigned long long)lk->no_stack);
		print_groups(lk, true);
		print_teardowns(lk, env->stall, env->input ? NULL : pid_gone, !env->input);
	}
	if (o->no_verdict[0])
		fprintf(out, "\nno verdict: %s: exit %d\n", o->no_verdict, verdict);
	else if (lk->leaked || lk->leaked_refs)
		fprintf(out, "\nleaks: %llu device pages, %llu pgmap references: exit %d\n",
			(unsigned long long)lk->leaked, (unsigned long long)lk->leaked_refs, verdict);
	else if (env->input)
		fprintf(out, "\nclean: exit 0\n");
	else
		fprintf(out, "\nclean: exit %d, the command's status\n", verdict);
}

int leak_verdict(struct leak *lk, const struct leak_env *env)
{
	const char *junit = env->junit;
	struct outcome *o = &lk->o;
	int verdict;

	if (o->no_verdict[0])
		verdict = DEVMEM_EXIT_NO_VERDICT;
	else if (lk->leaked || lk->leaked_refs)
		verdict = env->leak_status;
	else
		verdict = env->input ? DEVMEM_EXIT_OK : o->cmd_status;
	if (junit) {
		int e = write_junit(junit, lk, verdict, env->leak_status);

		if (e) {
			fprintf(stderr, "devmemleak: %s: cannot write the JUnit file: %s\n", junit,
				strerror(-e));
			no_verdict(o, "cannot write the JUnit file %s", junit);
			verdict = DEVMEM_EXIT_NO_VERDICT;
		}
	}
	if (env->json)
		leak_report_json(lk, env, verdict);
	else
		report_text(lk, env, verdict);
	return verdict;
}
