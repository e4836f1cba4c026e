// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * devmemreport --events: the replay hands each record to a callback that
 * queues a copy in a heap ordered by time; once the file is EVENTS_REORDER_NS
 * past it, the record goes through the replay again, to the callbacks that
 * print it. One line per record, as perf script prints (docs/devmemreport.md):
 *
 *	devmem-wl  219/219   [001]    52.123456: page_init: pgmap=... pfn=0x... order=0 nr=1
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "events.h"
#include "output.h"
#include "pgmap_names.h"
#include "replay.h"
#include "tracefile.h"

struct queued {
	uint64_t ts_ns, seq;	/* seq: records of the same time stay in file order */
	size_t size;
	unsigned char rec[];	/* as in the file: the replay upgrades it again */
};

static bool before(const struct queued *a, const struct queued *b)
{
	return a->ts_ns != b->ts_ns ? a->ts_ns < b->ts_ns : a->seq < b->seq;
}

static void swap(struct queued **a, struct queued **b)
{
	struct queued *t = *a;

	*a = *b;
	*b = t;
}

static struct queued *pop(struct events *ev)
{
	struct queued *top = ev->heap[0];
	size_t i = 0, c;

	ev->heap[0] = ev->heap[--ev->n];
	while ((c = 2 * i + 1) < ev->n) {
		if (c + 1 < ev->n && before(ev->heap[c + 1], ev->heap[c]))
			c++;
		if (!before(ev->heap[c], ev->heap[i]))
			break;
		swap(&ev->heap[c], &ev->heap[i]);
		i = c;
	}
	return top;
}

/* A pgmap as the line names it: its short name, its address with --raw-addresses. */
static const char *pgmap_of(const struct events *ev, uint64_t pgmap, char *buf, size_t len)
{
	uint64_t i;

	if (!pgmap)
		return "none";
	if (devmem_raw_addresses)
		snprintf(buf, len, "%#" PRIx64, pgmap);
	else if (u64map_get(&ev->env->st->pgmap_idx, pgmap, &i))
		pgmap_short_name(&ev->env->st->pgmaps[i], buf, len);
	else
		return "unknown";
	return buf;
}

/* The common part: comm, pid/tid, cpu, time in seconds.microseconds, event. */
static FILE *line(const struct events *ev, const struct devmem_rec_hdr *h)
{
	char comm[DEVMEM_COMM_LEN + 1];
	size_t i;

	memcpy(comm, h->comm, DEVMEM_COMM_LEN);
	comm[DEVMEM_COMM_LEN] = 0;
	for (i = 0; comm[i]; i++)	/* one line, whitespace-separated fields */
		if ((unsigned char)comm[i] <= ' ' || comm[i] == 0x7f)
			comm[i] = '_';
	fprintf(ev->env->out, "%16s %7u/%-7u [%03u] %5" PRIu64 ".%06" PRIu64 ": %s:", comm, h->pid,
		h->tid, h->cpu, (uint64_t)h->ts_ns / 1000000000, (uint64_t)h->ts_ns % 1000000000 / 1000,
		devmem_rec_type_name(h->type));
	return ev->env->out;
}

static unsigned int order_of(uint64_t nr)
{
	unsigned int o = 0;

	while (o < 63 && (1ull << o) < nr)
		o++;
	return o;
}

static void frames(struct events *ev, int32_t id)
{
	char text[4096], *frame, *save = NULL;

	if (!ev->env->with_stacks || id < 0)
		return;
	if (!devmem_stack_lookup(ev->env->stacks, id, text, sizeof(text))[0])
		snprintf(text, sizeof(text), "(no stack)");	/* not in the STACKS chunk */
	for (frame = strtok_r(text, ";", &save); frame; frame = strtok_r(NULL, ";", &save))
		fprintf(ev->env->out, "\t%s\n", frame);
	fputc('\n', ev->env->out);
}

#define EV(ctx) ((struct events *)(ctx))
#define PGMAP(ev, p) pgmap_of(ev, p, name, sizeof(name))

static void pr_pgmap(void *ctx, const struct devmem_rec_pgmap *r)
{
	char name[3 * DEVMEM_NAME_LEN];

	/* A device private range (ABI 4) says so: its addresses are no physical ones. */
	fprintf(line(EV(ctx), &r->hdr), " pgmap=%s type=%s start=%#" PRIx64 " end=%#" PRIx64
		" nr_pages=%" PRIu64 " nr_range=%u error=%d%s\n", PGMAP(EV(ctx), r->pgmap),
		devmem_pgmap_type_name(r->type), (uint64_t)r->start, (uint64_t)r->end,
		(uint64_t)r->nr_pages, r->nr_range, r->error,
		r->space == DEVMEM_SPACE_DEVICE_PRIVATE ? " space=device_private" : "");
}

/*
 * A page as "PREFIXpfn=0x... PREFIXindex=N": pfn "-" where it has none
 * (ABI 4), no index where the record has none (before ABI 4, or no page).
 */
static const char *page_at(char *buf, size_t len, const char *prefix, uint64_t pfn,
			   uint64_t index)
{
	int n = pfn == DEVMEM_PFN_NONE ? snprintf(buf, len, "%spfn=-", prefix) :
		snprintf(buf, len, "%spfn=%#" PRIx64, prefix, pfn);

	if (index != DEVMEM_INDEX_FROM_PFN && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - n, " %sindex=%" PRIu64, prefix, index);
	return buf;
}

static void pr_page(void *ctx, const struct devmem_rec_page *r)
{
	char name[3 * DEVMEM_NAME_LEN], at[80];

	fprintf(line(EV(ctx), &r->hdr), " pgmap=%s %s order=%u nr=%u\n",
		PGMAP(EV(ctx), r->pgmap), page_at(at, sizeof(at), "", r->pfn, r->index),
		order_of(r->nr_pages), r->nr_pages);
	if (r->hdr.type == DEVMEM_REC_PAGE_INIT)
		frames(EV(ctx), r->stack_id);
}

static void pr_ref(void *ctx, const struct devmem_rec_pgmap_ref *r)
{
	char name[3 * DEVMEM_NAME_LEN], at[80];
	bool page = r->pgmap && r->pfn;	/* a put may name no page, a failed get no pgmap */

	fprintf(line(EV(ctx), &r->hdr), " pgmap=%s %s refs=%" PRIu64 "\n",
		PGMAP(EV(ctx), r->pgmap),
		page_at(at, sizeof(at), "", r->pfn, page ? r->index : DEVMEM_INDEX_FROM_PFN),
		(uint64_t)r->nr);
}

static void pr_longterm(void *ctx, const struct devmem_rec_longterm *r)
{
	char name[3 * DEVMEM_NAME_LEN], at[80];

	fprintf(line(EV(ctx), &r->hdr), " pgmap=%s %s dst_pfn=%#" PRIx64
		" nr=%" PRIu64 " result=%d\n", PGMAP(EV(ctx), r->pgmap),
		page_at(at, sizeof(at), "src_", r->src_pfn, r->src_index),
		(uint64_t)r->dst_pfn, (uint64_t)r->nr_pages, r->result);
}

static void pr_cow(void *ctx, const struct devmem_rec_cow *r)
{
	char name[3 * DEVMEM_NAME_LEN], at[80];

	fprintf(line(EV(ctx), &r->hdr), " pgmap=%s %s new_pfn=%#" PRIx64
		" address=%#" PRIx64 "\n", PGMAP(EV(ctx), r->pgmap),
		page_at(at, sizeof(at), "old_", r->old_pfn, r->old_index),
		(uint64_t)r->new_pfn, (uint64_t)r->address);
}

static void pr_fault(void *ctx, const struct devmem_rec_fault *r)
{
	char name[3 * DEVMEM_NAME_LEN], at[80];

	fprintf(line(EV(ctx), &r->hdr), " pgmap=%s %s address=%#" PRIx64
		" nr=%u ret=%#x latency_ns=%" PRIu64 "%s\n", PGMAP(EV(ctx), r->pgmap),
		page_at(at, sizeof(at), "", r->pfn, r->index), (uint64_t)r->address, r->nr_pages, r->ret,
		(uint64_t)r->latency_ns, r->flags & DEVMEM_FAULT_NO_PROGRESS ? " no_progress" : "");
}

static void pr_migrate(void *ctx, const struct devmem_rec_migrate *r)
{
	static const char *const stages[] = { "?", "setup", "range", "pages", "finalize" };
	char name[3 * DEVMEM_NAME_LEN];

	fprintf(line(EV(ctx), &r->hdr), " stage=%s pgmap=%s start=%#" PRIx64 " npages=%" PRIu64
		" nr_migrate=%" PRIu64 " to_device=%" PRIu64 " to_system=%" PRIu64 "\n",
		stages[r->stage < 5 ? r->stage : 0], PGMAP(EV(ctx), r->pgmap), (uint64_t)r->start,
		(uint64_t)r->npages, (uint64_t)r->nr_migrate, (uint64_t)r->nr_to_device,
		(uint64_t)r->nr_to_system);
}

static void pr_wait(void *ctx, const struct devmem_rec_pgmap_wait *r)
{
	char name[3 * DEVMEM_NAME_LEN], live[32] = "unknown";

	if (r->live_pages != DEVMEM_LIVE_UNKNOWN)
		snprintf(live, sizeof(live), "%" PRIu64, (uint64_t)r->live_pages);
	fprintf(line(EV(ctx), &r->hdr), " stage=%s pgmap=%s live_pages=%s wait_ns=%" PRIu64 "\n",
		r->stage == DEVMEM_WAIT_BEGIN ? "begin" : r->stage == DEVMEM_WAIT_END ? "end" : "?",
		PGMAP(EV(ctx), r->pgmap), live, (uint64_t)r->wait_ns);
	if (r->stage == DEVMEM_WAIT_BEGIN)
		frames(EV(ctx), r->stack_id);
}

static void pr_task(void *ctx, const struct devmem_rec_task *r)
{
	if (r->hdr.type == DEVMEM_REC_TASK_FORK)
		fprintf(line(EV(ctx), &r->hdr), " parent=%u child=%u\n", r->parent_tgid, r->tgid);
	else
		fprintf(line(EV(ctx), &r->hdr), " tgid=%u\n", r->tgid);
}

static const struct devmem_ops print_ops = {
	.pgmap_create = pr_pgmap, .pgmap_destroy = pr_pgmap,
	.page_init = pr_page, .folio_free = pr_page,
	.get_pgmap = pr_ref, .put_pgmap = pr_ref,
	.longterm = pr_longterm, .cow = pr_cow, .fault = pr_fault, .migrate = pr_migrate,
	.pgmap_wait = pr_wait, .task_fork = pr_task, .task_exit = pr_task,
};

/* Print every queued record at least EVENTS_REORDER_NS older than the newest (all: 0). */
static void drain(struct events *ev, uint64_t window)
{
	while (ev->n && (!window || ev->heap[0]->ts_ns + window <= ev->newest_ns)) {
		struct queued *q = pop(ev);

		devmem_replay_record(q->rec, q->size, &print_ops, ev);
		free(q);
	}
}

/* Every callback: a copy of the record as the file holds it, into the heap. */
static void queue(void *ctx, const void *rec)
{
	const struct devmem_rec_hdr *h = rec;
	struct events *ev = ctx;
	struct queued *q;
	size_t i;

	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 1024;
		struct queued **p = realloc(ev->heap, cap * sizeof(*p));

		if (!p) {
			ev->oom++;
			return;
		}
		ev->heap = p;
		ev->cap = cap;
	}
	q = malloc(sizeof(*q) + h->size);
	if (!q) {
		ev->oom++;
		return;
	}
	*q = (struct queued){ .ts_ns = h->ts_ns, .seq = ev->seq++, .size = h->size };
	memcpy(q->rec, rec, h->size);
	for (i = ev->n++; i && before(q, ev->heap[(i - 1) / 2]); i = (i - 1) / 2)
		ev->heap[i] = ev->heap[(i - 1) / 2];
	ev->heap[i] = q;
	if (h->ts_ns > ev->newest_ns)
		ev->newest_ns = h->ts_ns;
	drain(ev, EVENTS_REORDER_NS);
}

#define QUEUE(fn, type) static void fn(void *ctx, const type *r) { queue(ctx, r); }
QUEUE(q_pgmap, struct devmem_rec_pgmap)
QUEUE(q_page, struct devmem_rec_page)
QUEUE(q_ref, struct devmem_rec_pgmap_ref)
QUEUE(q_longterm, struct devmem_rec_longterm)
QUEUE(q_cow, struct devmem_rec_cow)
QUEUE(q_fault, struct devmem_rec_fault)
QUEUE(q_migrate, struct devmem_rec_migrate)
QUEUE(q_wait, struct devmem_rec_pgmap_wait)
QUEUE(q_task, struct devmem_rec_task)

const struct devmem_ops events_queue_ops = {
	.pgmap_create = q_pgmap, .pgmap_destroy = q_pgmap,
	.page_init = q_page, .folio_free = q_page,
	.get_pgmap = q_ref, .put_pgmap = q_ref,
	.longterm = q_longterm, .cow = q_cow, .fault = q_fault, .migrate = q_migrate,
	.pgmap_wait = q_wait, .task_fork = q_task, .task_exit = q_task,
};

uint64_t events_finish(struct events *ev)
{
	drain(ev, 0);
	free(ev->heap);
	ev->heap = NULL;
	ev->cap = 0;
	return ev->oom;
}

int events_dump(const char *path, unsigned int flags, const struct events_env *env, char *err,
		size_t errlen)
{
	struct events ev = { .env = env };
	struct dmt_info info;
	int rc;

	uint64_t oom;

	rc = dmt_read_flags(path, &events_queue_ops, &ev, &info, flags, err, errlen);
	oom = events_finish(&ev);
	dmt_info_free(&info);
	if (oom && rc == DMT_READ_OK) {
		snprintf(err, errlen, "%s: out of memory: %" PRIu64 " events not shown", path, oom);
		rc = DMT_READ_IO;
	}
	return rc;
}
