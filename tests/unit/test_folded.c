// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of tools/lib/folded.c, built with ASan and UBSan: the exact
 * folded lines of hand-built page sets (root first, weights in pages, a
 * 512-page folio counting 512, sorted, merged), sanitising, "[no stack]",
 * suppression, and a write that fails. One PASS/FAIL line per check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "folded.h"
#include "leaks.h"
#include "replay.h"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS folded: %s\n", name); \
	else { printf("FAIL folded: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

/* Compare, and show both on a mismatch: the lines are the point. */
static void check_text(const char *name, const char *got, const char *want)
{
	if (!strcmp(got, want)) {
		printf("PASS folded: %s\n", name);
		return;
	}
	printf("FAIL folded: %s: got\n%s---- want\n%s----\n", name, got, want);
	failures++;
}

/* Stacks as the tools name them: leaf first, "sym+0xoff". */
static const char *stack_of(void *ctx, int32_t id, char *buf, size_t len)
{
	static const char *const stacks[] = {
		[1] = "zone_device_page_init+0x12;dmirror_devmem_alloc_page+0x3a;"
		      "dmirror_migrate_to_device+0x1a7;dmirror_fops_unlocked_ioctl+0x2b;__x64_sys_ioctl+0x90",
		/* same functions, other return offsets: the same line */
		[2] = "zone_device_page_init+0x12;dmirror_devmem_alloc_page+0x3a;"
		      "dmirror_migrate_to_device+0x1c0;dmirror_fops_unlocked_ioctl+0x2b;__x64_sys_ioctl+0x90",
		[3] = "zone_device_page_init+0x12;svm_migrate_ram_to_vram+0x40;kfd_ioctl+0x11",
		/* hostile text: a ';' cannot be told from a separator, so it is
		 * one here, but a newline, a tab and a bare '+' stay inside */
		[4] = "evil\nname+0x1;tab\there+nothex;+0x10",
	};

	(void)ctx;
	snprintf(buf, len, "%s", id > 0 && id < 5 ? stacks[id] : "");	/* 5: unknown id */
	return buf;
}

static void page(struct leak_tracker *t, unsigned type, unsigned pid, const char *comm,
		 uint64_t pfn, uint64_t pgmap, int32_t stack, uint32_t nr)
{
	struct devmem_rec_page r = { .hdr = { .type = type, .size = sizeof(r), .pid = pid },
				     .pfn = pfn, .pgmap = pgmap, .type = DEVMEM_PGMAP_COHERENT,
				     .stack_id = stack, .nr_pages = nr,
				     .index = DEVMEM_INDEX_FROM_PFN };

	snprintf(r.hdr.comm, sizeof(r.hdr.comm), "%s", comm);
	devmem_replay_record(&r, sizeof(r), leak_tracker_ops(), &t->st);
}

/* What folded_write() prints, as a string the caller frees. */
static char *written(const struct folded *f, const struct folded_opts *o, int *rc)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	*rc = folded_write(f, m, o);
	fclose(m);
	return buf;
}

static void test_pages(void)
{
	struct leak_tracker t = { 0 };
	struct folded f = { 0 };
	struct folded_opts o = { .stack_of = stack_of, .st = &t.st };
	char *got;
	int rc;
	uint64_t i;

	devmem_state_pgmap_meta(&t.st, 0xa000, 0x240000000, 0x24fffffff, DEVMEM_PGMAP_COHERENT, 0, 65536);
	/* 64 pages from stack 1, every 4th kept (16); 8 from stack 2, 2 kept */
	for (i = 0; i < 64; i++)
		page(&t, DEVMEM_REC_PAGE_INIT, 100, "devmem-wl", 0x240000 + i, 0xa000, 1, 1);
	for (i = 0; i < 64; i++)
		if (i % 4 != 3)
			page(&t, DEVMEM_REC_FOLIO_FREE, 100, "devmem-wl", 0x240000 + i, 0xa000, -1, 1);
	for (i = 0; i < 8; i++)
		page(&t, DEVMEM_REC_PAGE_INIT, 100, "devmem-wl", 0x241000 + i, 0xa000, 2, 1);
	for (i = 0; i < 6; i++)
		page(&t, DEVMEM_REC_FOLIO_FREE, 100, "devmem-wl", 0x241000 + i, 0xa000, -1, 1);
	/* a 2 MiB folio of another process, another pgmap (never described) */
	page(&t, DEVMEM_REC_PAGE_INIT, 7, "gpu;job\n1", 0x300000, 0xb000, 3, 512);
	/* no stack, an unknown stack id, and hostile frames */
	page(&t, DEVMEM_REC_PAGE_INIT, 100, "devmem-wl", 0x242000, 0xa000, -1, 1);
	page(&t, DEVMEM_REC_PAGE_INIT, 100, "devmem-wl", 0x242001, 0xa000, 5, 2);
	page(&t, DEVMEM_REC_PAGE_INIT, 100, "devmem-wl", 0x242010, 0xa000, 4, 1);

	CHECK("the page set is built", !folded_add_pages(&f, FOLDED_LEAKED, &t) && f.oom == 0);
	got = written(&f, &o, &rc);
	CHECK("writing succeeds", rc == 0);
	check_text("exact lines: root first, weights in pages, merged, sorted, sanitised", got,
		"leaked device pages;coherent pgmap 0x240000000-0x24fffffff;devmem-wl (100);"
		"[no stack] 3\n"
		"leaked device pages;coherent pgmap 0x240000000-0x24fffffff;devmem-wl (100);"
		"[unknown];tab?here+nothex;evil?name 1\n"
		"leaked device pages;coherent pgmap 0x240000000-0x24fffffff;devmem-wl (100);"
		"__x64_sys_ioctl;dmirror_fops_unlocked_ioctl;dmirror_migrate_to_device;"
		"dmirror_devmem_alloc_page;zone_device_page_init 18\n"
		"leaked device pages;coherent pgmap;gpu:job?1 (7);"
		"kfd_ioctl;svm_migrate_ram_to_vram;zone_device_page_init 512\n");
	free(got);

	/* Suppression drops lines as devmemleak's verdict does. */
	{
		char *sup[] = { "dmirror_migrate_to_device", "(no stack)" };

		o.suppress = sup;
		o.nsuppress = 2;
		got = written(&f, &o, &rc);
		check_text("suppressed stacks (and \"(no stack)\") are left out", got,
			"leaked device pages;coherent pgmap 0x240000000-0x24fffffff;devmem-wl (100);"
			"[unknown];tab?here+nothex;evil?name 1\n"
			"leaked device pages;coherent pgmap;gpu:job?1 (7);"
			"kfd_ioctl;svm_migrate_ram_to_vram;zone_device_page_init 512\n");
		free(got);
		o.suppress = NULL;
		o.nsuppress = 0;
	}

	/* Without a stack namer or a state: every line says so. */
	{
		struct folded_opts bare = { 0 };

		got = written(&f, &bare, &rc);
		check_text("no namer, no state: [no stack] and unknown pgmap, still weighted", got,
			"leaked device pages;unknown pgmap;devmem-wl (100);[no stack] 22\n"
			"leaked device pages;unknown pgmap;gpu:job?1 (7);[no stack] 512\n");
		free(got);
	}
	folded_free(&f);

	/* Kinds share one file; a second add of the same key adds up. */
	folded_add(&f, FOLDED_FAULTS, 0xa000, 100, "devmem-wl", -1, 1);
	folded_add(&f, FOLDED_FAULTS, 0xa000, 100, "devmem-wl", -1, 512);
	folded_add(&f, FOLDED_HANDED_OUT, 0xa000, 100, "devmem-wl", 1, 64);
	folded_add(&f, FOLDED_TO_SYSTEM, 0, 100, "devmem-wl", -1, 0);	/* weight 0: no line */
	got = written(&f, &o, &rc);
	check_text("several kinds, weights added per key, zero weights left out", got,
		"device page faults;coherent pgmap 0x240000000-0x24fffffff;devmem-wl (100);[no stack] 513\n"
		"device pages handed out;coherent pgmap 0x240000000-0x24fffffff;devmem-wl (100);"
		"__x64_sys_ioctl;dmirror_fops_unlocked_ioctl;dmirror_migrate_to_device;"
		"dmirror_devmem_alloc_page;zone_device_page_init 64\n");
	free(got);

	/* A write that fails is reported, never a silent short file. */
	errno = 0;
	CHECK("a full disk fails the write (ENOSPC)",
	      folded_write_file(&f, "/dev/full", &o) == -1 && errno == ENOSPC);
	CHECK("an unopenable path fails", folded_write_file(&f, "/nonexistent/x.folded", &o) == -1);
	f.oom = 1;
	errno = 0;
	got = written(&f, &o, &rc);
	CHECK("lost additions refuse the file (ENOMEM), write nothing",
	      rc == -1 && errno == ENOMEM && !strcmp(got, ""));
	free(got);
	folded_free(&f);
	leak_tracker_free(&t);
}

static void test_frame(void)
{
	char b[32];

	check_text("';' becomes ':'", folded_frame(b, sizeof(b), "a;b", 3), "a:b");
	check_text("newline, CR, tab, DEL become '?'", folded_frame(b, sizeof(b), "a\nb\rc\td\x7f", 8),
		   "a?b?c?d?");
	check_text("a +0x offset is dropped", folded_frame(b, sizeof(b), "foo+0x1aF", 9), "foo");
	check_text("a + that is no offset stays", folded_frame(b, sizeof(b), "foo+0xzz", 8), "foo+0xzz");
	check_text("a bare +0x stays", folded_frame(b, sizeof(b), "foo+0x", 6), "foo+0x");
	check_text("an empty frame is [unknown]", folded_frame(b, sizeof(b), "", 0), "[unknown]");
	check_text("an offset alone is [unknown]", folded_frame(b, sizeof(b), "+0x10", 5), "[unknown]");
	check_text("only n bytes are read", folded_frame(b, sizeof(b), "abcdef", 3), "abc");
	check_text("a long frame is cut to the buffer", folded_frame(b, 5, "abcdefgh", 8), "abcd");
	check_text("a hex address stays", folded_frame(b, sizeof(b), "0xffffffff81000000", 18),
		   "0xffffffff81000000");
}

/* Many keys: the hash table grows and every weight lands on its key. */
static void test_many(void)
{
	struct folded f = { 0 };
	uint64_t sum = 0;
	size_t i;
	int ok = 1;

	for (i = 0; i < 200000; i++)
		ok &= !folded_add(&f, FOLDED_HANDED_OUT, i % 7, (uint32_t)(i % 1000), "p",
				  (int32_t)(i % 13) - 1, 1 + i % 3);
	for (i = 0; i < f.n; i++)
		sum += f.e[i].weight;
	/* keys: lcm(7, 1000, 13) = 91000 distinct (pgmap, pid, stack) */
	CHECK("200000 additions: 91000 keys, no weight lost",
	      ok && f.n == 91000 && sum == 200000 + 200000 / 3 * 3 + 1 * 1 && f.oom == 0);
	folded_free(&f);
}

int main(void)
{
	test_frame();
	test_pages();
	test_many();
	return failures ? 1 : 0;
}
