// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the teardown report (tools/lib/teardown.c) and of the
 * procfs task reader under it (tools/host/ktasks.c), built with ASan and
 * UBSan: a recording's teardown that began and never ended, one that
 * ended, an old short wait record, the report's holders, stacks and
 * references, its JSON and text, and tasks found by their kernel stack in
 * a fixture procfs tree. Prints one PASS/FAIL line per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "json.h"
#include "ktasks.h"
#include "procfs.h"
#include "leaks.h"
#include "replay.h"
#include "teardown.h"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS teardown: %s\n", name); \
	else { printf("FAIL teardown: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

#define PGMAP 0xffff888012340000ull
#define SEC 1000000000ull

static void feed(struct leak_tracker *t, const void *rec)
{
	int rc = devmem_replay_record(rec, ((const struct devmem_rec_hdr *)rec)->size,
				      leak_tracker_ops(), &t->st);

	if (rc)
		printf("FAIL teardown: a fixture record is refused: %s\n", devmem_replay_strerror(rc));
	failures += rc != 0;
}

static void hdr(struct devmem_rec_hdr *h, unsigned type, unsigned size, unsigned pid,
		const char *comm, uint64_t ts)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->size = size;
	h->pid = pid;
	h->tid = pid + 1;
	h->ts_ns = ts;
	snprintf(h->comm, sizeof(h->comm), "%s", comm);
}

static void pgmap_rec(struct leak_tracker *t, unsigned type, uint64_t ts)
{
	struct devmem_rec_pgmap r;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr, type, sizeof(r), 1, "modprobe", ts);
	r.pgmap = PGMAP;
	r.start = 0x100000000ull;
	r.end = 0x10fffffffull;
	r.nr_pages = 65536;
	r.type = DEVMEM_PGMAP_PRIVATE;
	r.nr_range = 1;
	feed(t, &r);
}

/* A folio of nr pages from pfn, handed to pid at ts, stack id sid. */
static void page(struct leak_tracker *t, unsigned type, unsigned pid, const char *comm,
		 uint64_t pfn, unsigned nr, int sid, uint64_t ts)
{
	struct devmem_rec_page r;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr, type, sizeof(r), pid, comm, ts);
	r.pfn = pfn;
	r.pgmap = PGMAP;
	r.type = DEVMEM_PGMAP_PRIVATE;
	r.stack_id = sid;
	r.index = DEVMEM_INDEX_FROM_PFN;
	r.nr_pages = nr;
	r.flags = DEVMEM_PAGE_REF_SEPARATE;
	feed(t, &r);
}

static void ref(struct leak_tracker *t, unsigned type, unsigned pid, uint64_t nr, uint64_t ts)
{
	struct devmem_rec_pgmap_ref r;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr, type, sizeof(r), pid, "p", ts);
	r.pgmap = PGMAP;
	r.nr = nr;
	feed(t, &r);
}

static void wait_rec(struct leak_tracker *t, unsigned stage, uint64_t live, uint64_t wait_ns,
		     int sid, uint64_t ts, size_t size)
{
	struct devmem_rec_pgmap_wait r;

	memset(&r, 0, sizeof(r));
	hdr(&r.hdr, DEVMEM_REC_PGMAP_WAIT, size, 4242, "rmmod", ts);
	r.pgmap = PGMAP;
	r.live_pages = live;
	r.wait_ns = wait_ns;
	r.stage = stage;
	r.stack_id = sid;
	feed(t, &r);
}

static const char *stack_of(void *ctx, int32_t id, char *buf, size_t len)
{
	(void)ctx;
	snprintf(buf, len, id == 7 ? "zone_device_folio_init;dmirror_devmem_alloc_page;"
		 "dmirror_migrate_to_device" : id == 9 ? "memunmap_pages;dmirror_device_remove_chunks"
		 : "stack%d", (int)id);
	return buf;
}

static char *json_of(const struct teardown_report *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_begin(&j, f);
	json_obj_open(&j, NULL);
	teardown_json(&j, t);
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	return buf;
}

static char *text_of(const struct teardown_report *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	teardown_text(f, t, "test_hmm/hmm_dmirror#1");
	fclose(f);
	return buf;
}

/*
 * 16 pages to pid 100 in two folios (order 3 and 8 single pages), 4 to
 * pid 101, 8 of pid 100's freed, one get_dev_pagemap() reference, then
 * memunmap_pages() by pid 4242 that waits for the rest and never returns.
 */
static void hung_feed(struct leak_tracker *t, size_t wait_size)
{
	unsigned i;

	pgmap_rec(t, DEVMEM_REC_PGMAP_CREATE, 1 * SEC);
	page(t, DEVMEM_REC_PAGE_INIT, 100, "devmem-wl", 0x100000, 8, 7, 2 * SEC);
	ref(t, DEVMEM_REC_GET_PGMAP, 100, 8, 2 * SEC);
	for (i = 0; i < 8; i++) {
		page(t, DEVMEM_REC_PAGE_INIT, 100, "devmem-wl", 0x100010 + i, 1, 7, 3 * SEC);
		ref(t, DEVMEM_REC_GET_PGMAP, 100, 1, 3 * SEC);
	}
	for (i = 0; i < 4; i++) {
		page(t, DEVMEM_REC_PAGE_INIT, 101, "other", 0x100020 + i, 1, 11, 4 * SEC);
		ref(t, DEVMEM_REC_GET_PGMAP, 101, 1, 4 * SEC);
	}
	page(t, DEVMEM_REC_FOLIO_FREE, 100, "devmem-wl", 0x100000, 8, -1, 5 * SEC);
	ref(t, DEVMEM_REC_PUT_PGMAP, 100, 8, 5 * SEC);
	ref(t, DEVMEM_REC_GET_PGMAP, 55, 1, 5 * SEC);	/* get_dev_pagemap(): no page */
	pgmap_rec(t, DEVMEM_REC_PGMAP_DESTROY, 6 * SEC);
	wait_rec(t, DEVMEM_WAIT_BEGIN, 12, 0, 9, 6 * SEC, wait_size);
}

static void test_hung(void)
{
	struct leak_tracker t = { 0 };
	struct teardown_report rep;
	struct leak_group *g = NULL;
	const struct devmem_pgmap_row *r;
	char *js, *tx;
	size_t n;

	hung_feed(&t, sizeof(struct devmem_rec_pgmap_wait));
	r = &t.st.pgmaps[0];
	CHECK("a teardown that began waits, and is not destroyed",
	      t.st.nr_pgmaps == 1 && r->waiting && !r->destroyed);
	CHECK("the waiting task is the one that began it", r->wait_pid == 4242 &&
	      r->wait_tid == 4243 && !strcmp(r->wait_comm, "rmmod") && r->wait_has_stack &&
	      r->wait_stack_id == 9 && r->wait_live_pages == 12);
	CHECK("it is wanted in a report", teardown_wanted(r));

	teardown_begin(&rep, r, 36 * SEC, 10 * SEC, true);
	stack_of(NULL, r->wait_stack_id, rep.begin_stack, sizeof(rep.begin_stack));
	n = leak_groups(&t, stack_of, NULL, NULL, 0, &g);
	CHECK("groups added", teardown_add_groups(&rep, g, n, NULL, NULL) == 0);
	teardown_finish(&rep);
	CHECK("waited 30 s, stalled past 10 s", rep.waiting && rep.stalled &&
	      rep.waited_ns == 30 * SEC);
	CHECK("12 pages outstanding, exactly", rep.outstanding == 12 && rep.outstanding_exact &&
	      rep.live_at_begin == 12);
	CHECK("one reference without a page (get_dev_pagemap())", rep.refs_without_page == 1);
	CHECK("holders by pages: pid 100 8 pages since 3 s, pid 101 4 since 4 s",
	      rep.nr_holders == 2 && rep.holders[0].pid == 100 && rep.holders[0].pages == 8 &&
	      rep.holders[0].oldest_ns == 3 * SEC && rep.holders[0].exited == -1 &&
	      !strcmp(rep.holders[0].comm, "devmem-wl") && rep.holders[1].pid == 101 &&
	      rep.holders[1].pages == 4 && rep.unattributed == 0);
	CHECK("stacks: pid 100's 8 at dmirror_migrate_to_device's, then pid 101's 4",
	      rep.nr_stacks == 2 && rep.stacks[0].pages == 8 &&
	      !strcmp(rep.stacks[0].stack, "zone_device_folio_init;dmirror_devmem_alloc_page;"
		      "dmirror_migrate_to_device") && rep.stacks[1].pages == 4 &&
	      !strcmp(rep.stacks[1].stack, "stack11"));
	js = json_of(&rep);
	if (getenv("TD_DUMP")) fputs(js, stderr);
	CHECK("JSON: state, task as recorded, pages, references", js && strstr(js,
	      "\"teardown\":{\"waiting\":true,\"stalled\":true,\"waited_s\":30.000,"
	      "\"began_before_start\":false,\"task\":{\"pid\":4242,\"tid\":4243,\"comm\":\"rmmod\","
	      "\"stack_at_begin\":[\"memunmap_pages\",\"dmirror_device_remove_chunks\"]},"
	      "\"outstanding_pages\":12,\"outstanding_exact\":true,\"live_pages_at_begin\":12,"
	      "\"references_without_page\":1,"));
	CHECK("JSON: holders with ages, then stacks", js && strstr(js,
	      "\"holders\":[{\"pid\":100,\"comm\":\"devmem-wl\",\"pages\":8,\"oldest_age_s\":33.000},"
	      "{\"pid\":101,\"comm\":\"other\",\"pages\":4,\"oldest_age_s\":32.000}],"
	      "\"unattributed_pages\":0,\"stacks\":[{\"pid\":100,\"comm\":\"devmem-wl\",\"pages\":8,"
	      "\"oldest_age_s\":33.000,\"stack\":[\"zone_device_folio_init\",\"dmirror_devmem_alloc_page\","
	      "\"dmirror_migrate_to_device\"]},"));
	tx = text_of(&rep);
	if (getenv("TD_DUMP"))
		fputs(tx, stderr);
	CHECK("text: what it waits for, who waits, who holds, from where", tx && !strcmp(tx,
	      "teardown of test_hmm/hmm_dmirror#1: stalled 30.0 s, 12 pages outstanding, "
	      "1 reference without a page (get_dev_pagemap())\n"
	      "  waiting in memunmap_pages(): pid 4242 tid 4243 (rmmod)\n"
	      "  its kernel stack when the wait began:\n"
	      "    memunmap_pages\n"
	      "    dmirror_device_remove_chunks\n"
	      "  8 pages handed to pid 100 (devmem-wl), oldest 33.0 s ago\n"
	      "  4 pages handed to pid 101 (other), oldest 32.0 s ago\n"
	      "  8 pages (pid 100, devmem-wl) handed out at:\n"
	      "    zone_device_folio_init\n"
	      "    dmirror_devmem_alloc_page\n"
	      "    dmirror_migrate_to_device\n"
	      "  4 pages (pid 101, other) handed out at:\n"
	      "    stack11\n"));
	free(js);
	free(tx);
	free(g);
	teardown_free(&rep);

	/* It ends: the pages came back, the pgmap is destroyed. */
	page(&t, DEVMEM_REC_FOLIO_FREE, 100, "devmem-wl", 0x100010, 1, -1, 40 * SEC);
	wait_rec(&t, DEVMEM_WAIT_END, 0, 34 * SEC, -1, 40 * SEC, sizeof(struct devmem_rec_pgmap_wait));
	r = &t.st.pgmaps[0];
	CHECK("an end: no longer waiting, destroyed, waited 34 s",
	      !r->waiting && r->destroyed && r->wait_ns == 34 * SEC);
	teardown_begin(&rep, r, 41 * SEC, 10 * SEC, true);
	teardown_finish(&rep);
	CHECK("an ended teardown is not stalled", !rep.waiting && !rep.stalled &&
	      rep.waited_ns == 34 * SEC);
	teardown_free(&rep);
	leak_tracker_free(&t);
}

static void test_old_record(void)
{
	struct leak_tracker t = { 0 };
	struct teardown_report rep;

	/* Written before the stack id: the record ends at pad. */
	hung_feed(&t, offsetof(struct devmem_rec_pgmap_wait, stack_id));
	CHECK("a short wait record replays, with no stack",
	      t.st.pgmaps[0].waiting && !t.st.pgmaps[0].wait_has_stack);
	teardown_begin(&rep, &t.st.pgmaps[0], 7 * SEC, 10 * SEC, false);
	teardown_finish(&rep);
	CHECK("waiting 1 s is not stalled; references unknown without put events",
	      rep.waiting && !rep.stalled && rep.refs_without_page == -1);
	CHECK("no holder source: all 12 pages unattributed", rep.unattributed == 12 &&
	      !rep.nr_holders && !rep.stacks_kept);
	teardown_free(&rep);
	leak_tracker_free(&t);
}

/* Found by a walk after it began: 20 pages in use, 21 references. */
static void test_unseen(void)
{
	struct leak_tracker t = { 0 };
	struct teardown_report rep;
	struct ktask k = { .pid = 77, .tid = 78, .comm = "rmmod", .state = 'D',
			   .stack = "memunmap_pages;dmirror_device_remove_chunks" };
	char *js, *tx;

	pgmap_rec(&t, DEVMEM_REC_PGMAP_CREATE, 1 * SEC);
	/* since the tool started: 2 of the 20 came back */
	page(&t, DEVMEM_REC_FOLIO_FREE, 100, "devmem-wl", 0x100000, 2, -1, 9 * SEC);
	teardown_begin_unseen(&rep, &t.st.pgmaps[0], 12 * SEC, 8 * SEC, 3 * SEC, 20, true, 21);
	CHECK("unseen: waiting at least since the tool started, stalled past 3 s",
	      rep.waiting && rep.began_unseen && rep.waited_ns == 4 * SEC && rep.stalled);
	CHECK("unseen: the walk's 20 pages less the 2 freed since; 3 references without a page",
	      rep.outstanding == 18 && rep.outstanding_exact && rep.refs_without_page == 3 &&
	      rep.live_at_begin == -1 && !rep.task_known);
	teardown_finish(&rep);
	CHECK("unseen: no holder known", rep.unattributed == 18 && !rep.nr_holders);
	teardown_set_task(&rep, &k);
	js = json_of(&rep);
	CHECK("unseen JSON: began before start, the task paired", js && strstr(js,
	      "\"waited_s\":4.000,\"began_before_start\":true,\"task\":{\"pid\":77,\"tid\":78,"
	      "\"comm\":\"rmmod\",\"state\":\"uninterruptible\",\"stack\":[\"memunmap_pages\","));
	tx = text_of(&rep);
	CHECK("unseen text: a lower bound, and why", tx && !strncmp(tx,
	      "teardown of test_hmm/hmm_dmirror#1: stalled at least 4.0 s (began before we started), "
	      "18 pages outstanding, 3 references without a page (get_dev_pagemap())\n", 120));
	if (getenv("TD_DUMP") && tx)
		fputs(tx, stderr);
	free(js);
	free(tx);
	teardown_free(&rep);
	leak_tracker_free(&t);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* procfs laid out as the kernel does: PID/task/TID/{stat,stack}. */
static void fake_task(const char *root, unsigned pid, unsigned tid, const char *comm, char state,
		      const char *stack)
{
	char dir[512], text[256];

	snprintf(dir, sizeof(dir), "%s/%u", root, pid);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/%u/task", root, pid);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/%u/task/%u", root, pid, tid);
	mkdir(dir, 0700);
	snprintf(text, sizeof(text), "%u (%s) %c 1 1 1 0 -1\n", tid, comm, state);
	put_file(dir, "stat", text);
	put_file(dir, "stack", stack);
}

static void test_ktasks(void)
{
	char root[] = "/tmp/devmem-ktasks-XXXXXX";
	static const char stuck[] =
		"[<0>] __wait_for_common+0x1a3/0x1f0\n"
		"[<0>] memunmap_pages+0x1c6/0x2d0\n"
		"[<0>] dmirror_device_remove_chunks+0x61/0x110 [test_hmm]\n"
		"[<0>] dmirror_fops_unlocked_ioctl+0x2ab/0x790 [test_hmm]\n"
		"[<0>] __x64_sys_ioctl+0x90/0xd0\n"
		"[<0>] do_syscall_64+0x82/0x190\n"
		"[<0>] entry_SYSCALL_64_after_hwframe+0x76/0x7e\n";
	struct ktask found[4], k;
	int n;

	if (!mkdtemp(root)) {
		CHECK("a fixture procfs tree", 0);
		return;
	}
	fake_task(root, 300, 300, "rmmod", 'D', stuck);
	fake_task(root, 300, 301, "rmmod", 'S', stuck);	/* not blocked: not stuck */
	fake_task(root, 400, 400, "my (odd) comm", 'D', stuck);
	fake_task(root, 500, 500, "other", 'D', "[<0>] memunmap_pages_x+0x1/0x2\n");
	fake_task(root, 600, 600, "kworker/0:1", 'I', "[<0>] worker_thread+0x1/0x2\n");
	procfs_root = root;
	n = ktasks_find("memunmap_pages", found, 4);
	CHECK("the blocked tasks in memunmap_pages(), no other", n == 2 &&
	      ((found[0].pid == 300 && found[1].pid == 400) ||
	       (found[0].pid == 400 && found[1].pid == 300)));
	k = found[0].pid == 300 ? found[0] : found[1];
	CHECK("the task: pid, tid, comm, state, its stack by function, leaf first",
	      n == 2 && k.tid == 300 && !strcmp(k.comm, "rmmod") && k.state == 'D' &&
	      !strcmp(k.stack, "__wait_for_common;memunmap_pages;dmirror_device_remove_chunks;"
		      "dmirror_fops_unlocked_ioctl;__x64_sys_ioctl;do_syscall_64;"
		      "entry_SYSCALL_64_after_hwframe"));
	k = found[0].pid == 400 ? found[0] : found[1];
	CHECK("a comm with spaces and parentheses", n == 2 && !strcmp(k.comm, "my (odd) comm"));
	CHECK("found with room for one: counted all, filled one",
	      ktasks_find("memunmap_pages", found, 1) == 2);
	CHECK("a thread re-read: still blocked there", ktask_read(300, 300, &k) == 0 &&
	      k.pid == 300 && k.state == 'D' && ktask_stack_has(k.stack, "memunmap_pages"));
	CHECK("a gone thread", ktask_read(300, 999, &k) < 0 && k.state == 0);
	CHECK("whole frames only", !ktask_stack_has("a;memunmap_pages_x;b", "memunmap_pages") &&
	      ktask_stack_has("memunmap_pages", "memunmap_pages") &&
	      !ktask_stack_has("x_memunmap_pages", "memunmap_pages") && !ktask_stack_has("", "x"));
	procfs_root = "/nonexistent-proc";
	CHECK("an unreadable procfs is an error", ktasks_find("memunmap_pages", found, 4) < 0);
	procfs_root = "/proc";
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd))
			printf("note: could not remove %s\n", root);
	}
}

int main(void)
{
	test_hung();
	test_old_record();
	test_unseen();
	test_ktasks();
	return failures ? 1 : 0;
}
