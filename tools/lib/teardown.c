// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "teardown.h"

bool teardown_wanted(const struct devmem_pgmap_row *r)
{
	return r->waiting || (r->wait_since_ns && devmem_pgmap_live(r) > 0);
}

void teardown_begin(struct teardown_report *t, const struct devmem_pgmap_row *r,
		    uint64_t now_ns, uint64_t stall_ns, bool refs_known)
{
	memset(t, 0, sizeof(*t));
	t->row = r;
	t->now_ns = now_ns;
	t->waiting = r->waiting;
	t->waited_ns = r->waiting ? (now_ns > r->wait_since_ns ? now_ns - r->wait_since_ns : 0) :
		       r->wait_ns;
	t->stalled = r->waiting && t->waited_ns >= stall_ns;
	t->outstanding = devmem_pgmap_live(r);
	t->outstanding_exact = !r->live_pending;
	t->live_at_begin = r->wait_live_pages == DEVMEM_LIVE_UNKNOWN ? -1 :
			   (int64_t)r->wait_live_pages;
	/* A page holds one reference per page; the rest were taken by pfn. */
	t->refs_without_page = refs_known ? r->refs - t->outstanding : -1;
	if (r->wait_tid) {
		t->task_known = true;
		t->task.pid = r->wait_pid;
		t->task.tid = r->wait_tid;
		memcpy(t->task.comm, r->wait_comm, sizeof(t->task.comm));
	}
}

void teardown_begin_unseen(struct teardown_report *t, const struct devmem_pgmap_row *r,
			   uint64_t now_ns, uint64_t since_ns, uint64_t stall_ns,
			   int64_t in_use, bool exact, int64_t refs)
{
	memset(t, 0, sizeof(*t));
	t->row = r;
	t->now_ns = now_ns;
	t->waiting = t->began_unseen = true;
	t->waited_ns = now_ns > since_ns ? now_ns - since_ns : 0;
	t->stalled = t->waited_ns >= stall_ns;
	/* the walk's pages, plus what was handed out and freed since */
	t->outstanding = in_use + (r->seeded ? 0 : devmem_pgmap_live(r));
	t->outstanding_exact = exact;
	t->live_at_begin = -1;
	t->refs_without_page = refs >= 0 ? refs - t->outstanding : -1;
}

void teardown_set_task(struct teardown_report *t, const struct ktask *k)
{
	t->task_known = t->task_read = true;
	t->task = *k;
}

int teardown_add_holder(struct teardown_report *t, uint32_t pid, const char *comm, int exited,
			uint64_t pages, uint64_t oldest_ns)
{
	struct teardown_holder *h;
	size_t i;

	for (i = 0; i < t->nr_holders; i++)
		if (t->holders[i].pid == pid)
			break;
	if (i == t->nr_holders) {
		h = realloc(t->holders, (t->nr_holders + 1) * sizeof(*h));
		if (!h)
			return -ENOMEM;
		t->holders = h;
		h = &h[t->nr_holders++];
		memset(h, 0, sizeof(*h));
		h->pid = pid;
		h->exited = exited;
		snprintf(h->comm, sizeof(h->comm), "%s", comm ? comm : "");
	}
	h = &t->holders[i];
	h->pages += pages;
	if (oldest_ns && (!h->oldest_ns || oldest_ns < h->oldest_ns))
		h->oldest_ns = oldest_ns;
	return 0;
}

int teardown_add_stack(struct teardown_report *t, uint32_t pid, const char *comm,
		       const char *stack, uint64_t pages, uint64_t oldest_ns)
{
	struct teardown_stack *s = realloc(t->stacks, (t->nr_stacks + 1) * sizeof(*s));

	if (!s)
		return -ENOMEM;
	t->stacks = s;
	s = &s[t->nr_stacks++];
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	snprintf(s->comm, sizeof(s->comm), "%s", comm ? comm : "");
	snprintf(s->stack, sizeof(s->stack), "%s", stack ? stack : "");
	s->pages = pages;
	s->oldest_ns = oldest_ns;
	return 0;
}

int teardown_add_groups(struct teardown_report *t, const struct leak_group *g, size_t n,
			int (*exited)(void *ctx, uint32_t pid), void *ctx)
{
	size_t i;
	int e;

	t->stacks_kept = true;
	for (i = 0; i < n; i++) {
		if (g[i].pgmap != t->row->pgmap)
			continue;
		e = teardown_add_holder(t, g[i].pid, g[i].comm, exited ? exited(ctx, g[i].pid) : -1,
					g[i].count, g[i].oldest_ns);
		if (!e)
			e = teardown_add_stack(t, g[i].pid, g[i].comm, g[i].stack, g[i].count,
					       g[i].oldest_ns);
		if (e)
			return e;
	}
	return 0;
}

static int by_pages(const void *a, const void *b)
{
	const struct teardown_holder *x = a, *y = b;

	if (x->pages != y->pages)
		return (x->pages < y->pages) - (x->pages > y->pages);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int stack_by_pages(const void *a, const void *b)
{
	const struct teardown_stack *x = a, *y = b;

	if (x->pages != y->pages)
		return (x->pages < y->pages) - (x->pages > y->pages);
	if (x->pid != y->pid)
		return (x->pid > y->pid) - (x->pid < y->pid);
	return strcmp(x->stack, y->stack);
}

void teardown_finish(struct teardown_report *t)
{
	uint64_t held = 0;
	size_t i;

	if (t->nr_holders)
		qsort(t->holders, t->nr_holders, sizeof(*t->holders), by_pages);
	if (t->nr_stacks)
		qsort(t->stacks, t->nr_stacks, sizeof(*t->stacks), stack_by_pages);
	for (i = 0; i < t->nr_holders; i++)
		held += t->holders[i].pages;
	t->unattributed = t->outstanding > 0 && (uint64_t)t->outstanding > held ?
			  (uint64_t)t->outstanding - held : 0;
}

void teardown_free(struct teardown_report *t)
{
	free(t->holders);
	free(t->stacks);
	t->holders = NULL;
	t->stacks = NULL;
	t->nr_holders = t->nr_stacks = 0;
}

static double age_s(const struct teardown_report *t, uint64_t ns)
{
	return ns && t->now_ns > ns ? (t->now_ns - ns) / 1e9 : 0.0;
}

void teardown_json_frames(struct json *j, const char *key, const char *stack)
{
	char buf[4096], *f, *save = NULL;

	json_arr_open(j, key);
	snprintf(buf, sizeof(buf), "%s", stack);
	for (f = strtok_r(buf, ";", &save); f; f = strtok_r(NULL, ";", &save))
		json_str(j, NULL, f);
	json_arr_close(j);
}

const char *task_state_name(char s)
{
	switch (s) {
	case 0:   return "gone";
	case 'D': return "uninterruptible";
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'Z': return "zombie";
	}
	return "other";
}

void teardown_json(struct json *j, const struct teardown_report *t)
{
	size_t i;

	json_obj_open(j, "teardown");
	json_bool(j, "waiting", t->waiting);
	json_bool(j, "stalled", t->stalled);
	json_double(j, "waited_s", t->waited_ns / 1e9);
	json_bool(j, "began_before_start", t->began_unseen);
	if (t->task_known) {
		json_obj_open(j, "task");
		json_u64(j, "pid", t->task.pid);
		json_u64(j, "tid", t->task.tid);
		json_str(j, "comm", t->task.comm);
		if (t->task_read)
			json_str(j, "state", task_state_name(t->task.state));
		if (t->task.stack[0])
			teardown_json_frames(j, "stack", t->task.stack);
		if (t->begin_stack[0])
			teardown_json_frames(j, "stack_at_begin", t->begin_stack);
		json_obj_close(j);
	} else {
		json_null(j, "task");
	}
	json_i64(j, "outstanding_pages", t->outstanding);
	json_bool(j, "outstanding_exact", t->outstanding_exact);
	json_i64(j, "live_pages_at_begin", t->live_at_begin);
	json_i64(j, "references_without_page", t->refs_without_page);
	json_arr_open(j, "holders");
	for (i = 0; i < t->nr_holders; i++) {
		const struct teardown_holder *h = &t->holders[i];

		json_obj_open(j, NULL);
		json_u64(j, "pid", h->pid);
		json_str(j, "comm", h->comm);
		if (h->exited >= 0)
			json_bool(j, "exited", h->exited);
		json_u64(j, "pages", h->pages);
		if (h->oldest_ns)
			json_double(j, "oldest_age_s", age_s(t, h->oldest_ns));
		json_obj_close(j);
	}
	json_arr_close(j);
	json_u64(j, "unattributed_pages", t->unattributed);
	if (t->stacks_kept) {
		json_arr_open(j, "stacks");
		for (i = 0; i < t->nr_stacks; i++) {
			const struct teardown_stack *s = &t->stacks[i];

			json_obj_open(j, NULL);
			json_u64(j, "pid", s->pid);
			json_str(j, "comm", s->comm);
			json_u64(j, "pages", s->pages);
			json_double(j, "oldest_age_s", age_s(t, s->oldest_ns));
			teardown_json_frames(j, "stack", s->stack);
			json_obj_close(j);
		}
		json_arr_close(j);
	}
	json_obj_close(j);
}

const char *teardown_state(const struct teardown_report *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s%.1f s%s", t->stalled ? "stalled" : t->waiting ? "waiting" :
		 "ended after", t->began_unseen ? "at least " : "", t->waited_ns / 1e9,
		 t->began_unseen ? " (began before we started)" : "");
	return buf;
}

void teardown_text_frames(FILE *f, const char *stack, const char *indent)
{
	char buf[4096], *fr, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", stack);
	for (fr = strtok_r(buf, ";", &save); fr; fr = strtok_r(NULL, ";", &save))
		fprintf(f, "%s%s\n", indent, fr);
}

void teardown_text(FILE *f, const struct teardown_report *t, const char *label)
{
	char st[64];
	size_t i;

	fprintf(f, "teardown of %s: %s, %lld page%s outstanding%s", label,
		teardown_state(t, st, sizeof(st)), (long long)t->outstanding,
		t->outstanding == 1 ? "" : "s", t->outstanding_exact ? "" : " (estimate)");
	if (t->refs_without_page > 0)
		fprintf(f, ", %lld reference%s without a page (get_dev_pagemap())",
			(long long)t->refs_without_page, t->refs_without_page == 1 ? "" : "s");
	fputc('\n', f);
	if (t->task_known) {
		fprintf(f, "  %s in memunmap_pages(): pid %u tid %u (%s)%s%s\n",
			t->waiting ? "waiting" : "waited", t->task.pid, t->task.tid, t->task.comm,
			t->task_read ? ", " : "", t->task_read ? task_state_name(t->task.state) : "");
		if (t->task.stack[0]) {
			fprintf(f, "  its kernel stack now:\n");
			teardown_text_frames(f, t->task.stack, "    ");
		} else if (t->begin_stack[0]) {
			fprintf(f, "  its kernel stack when the wait began:\n");
			teardown_text_frames(f, t->begin_stack, "    ");
		}
	} else {
		fprintf(f, "  waiting task: unknown (the teardown began before we started; tasks "
			"blocked in memunmap_pages() are listed apart)\n");
	}
	for (i = 0; i < t->nr_holders; i++) {
		const struct teardown_holder *h = &t->holders[i];

		fprintf(f, "  %llu page%s handed to pid %u (%s)%s", (unsigned long long)h->pages,
			h->pages == 1 ? "" : "s", h->pid, h->comm,
			h->exited > 0 ? ", exited" : h->exited == 0 ? ", alive" : "");
		if (h->oldest_ns)
			fprintf(f, ", oldest %.1f s ago", age_s(t, h->oldest_ns));
		fputc('\n', f);
	}
	if (t->unattributed)
		fprintf(f, "  %llu page%s handed out before we started: holder unknown\n",
			(unsigned long long)t->unattributed, t->unattributed == 1 ? "" : "s");
	for (i = 0; i < t->nr_stacks; i++) {
		const struct teardown_stack *s = &t->stacks[i];

		fprintf(f, "  %llu page%s (pid %u, %s) handed out at:\n",
			(unsigned long long)s->pages, s->pages == 1 ? "" : "s", s->pid, s->comm);
		teardown_text_frames(f, s->stack, "    ");
	}
}
