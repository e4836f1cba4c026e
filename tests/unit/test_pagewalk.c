// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of tools/lib/pagewalk_model.c, built with ASan and UBSan: a
 * free page's refcount by pgmap type, the physical ranges /proc/iomem leads
 * the pgmap scan to, and the bounded summary a walk fills: exact page
 * counts (a 512-page folio counts 512, over a million folios), the listed
 * folios bounded, the JSON object. One PASS/FAIL line per check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devmem_abi.h"
#include "pagewalk_model.h"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS pagewalk: %s\n", name); \
	else { printf("FAIL pagewalk: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

static void test_free_ref(void)
{
	CHECK("a free private page has refcount 0", devmem_walk_free_refcount(DEVMEM_PGMAP_PRIVATE) == 0);
	CHECK("a free coherent page has refcount 0", devmem_walk_free_refcount(DEVMEM_PGMAP_COHERENT) == 0);
	CHECK("a free generic page has refcount 1", devmem_walk_free_refcount(DEVMEM_PGMAP_GENERIC) == 1);
}

/* The VM's /proc/iomem, with a device private chunk and the coherent RAM. */
static const char iomem[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"00100000-3fffffff : System RAM\n"
	"  01000000-01ffffff : Kernel code\n"
	"40000000-5fffffff : Reserved\n"
	"80000000-8fffffff : PCI Bus 0000:00\n"
	"  80000000-80ffffff : 0000:00:02.0\n"
	"  8f000000-9fffffff : 0000:00:03.0\n"
	"100000000-17fffffff : System RAM\n"
	"fff0000000-ffffffffff : hmm_dmirror\n"
	"00000000-00000000 : zeroed for non-root\n";

static void test_iomem(void)
{
	struct devmem_pfn_range r[8];
	int n = devmem_iomem_scan_ranges(iomem, r, 8);

	CHECK("iomem: RAM and kernel regions left out, overlaps merged", n == 4);
	if (n != 4)
		return;
	CHECK("iomem: the reserved page 0", r[0].start == 0 && r[0].end == 1);
	CHECK("iomem: the coherent RAM memmap= hid", r[1].start == 0x40000 && r[1].end == 0x60000);
	CHECK("iomem: a PCI window and a child past its end, merged",
	      r[2].start == 0x80000 && r[2].end == 0xa0000);
	CHECK("iomem: the private chunk, end inclusive to pfn end exclusive",
	      r[3].start == 0xfff0000 && r[3].end == 0x10000000);
	CHECK("iomem: too many regions for the buffer is an error",
	      devmem_iomem_scan_ranges(iomem, r, 2) == -1);
	CHECK("iomem: all zero (not root) gives nothing",
	      devmem_iomem_scan_ranges("00000000-00000000 : hmm_dmirror\n", r, 8) == 0);
}

static void test_summary(void)
{
	struct devmem_walk_summary s = { .max_listed = 3 };
	struct devmem_walk_folio f = { .pfn = 0x1000, .order = 9, .refcount = 2, .mapcount = 0 };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *mem;
	struct json j;

	devmem_walk_summary_add(&s, &f);	/* a leaked THP: 512 pages */
	for (i = 0; i < 16; i++) {
		f.pfn = 0x2000 + i;
		f.order = 0;
		f.refcount = 1;
		devmem_walk_summary_add(&s, &f);
	}
	CHECK("summary: a 512-page folio and 16 pages are 528 pages in 17 folios",
	      s.in_use_pages == 528 && s.in_use_folios == 17);
	CHECK("summary: 3 listed, 14 counted as not listed", s.nr_listed == 3 && s.not_listed == 14);
	CHECK("summary: listed in the order walked", s.listed[0].order == 9 && s.listed[2].pfn == 0x2001);
	s.done = true;
	s.pages_walked = 65536;
	mem = open_memstream(&buf, &len);
	json_begin(&j, mem);
	json_obj_open(&j, NULL);
	devmem_walk_summary_json(&j, &s);
	json_obj_close(&j);
	fclose(mem);
	CHECK("summary: JSON object",
	      buf && !strcmp(buf, "{\"complete\":true,\"in_use_pages\":528,\"in_use_folios\":17,"
			     "\"pages_walked\":65536,\"unreadable_pages\":0,\"other_pgmap_pages\":0,"
			     "\"walk_ns\":0,\"folios\":[{\"pfn\":\"0x1000\",\"order\":9,\"refcount\":2,"
			     "\"mapcount\":0},{\"pfn\":\"0x2000\",\"order\":0,\"refcount\":1,\"mapcount\":0},"
			     "{\"pfn\":\"0x2001\",\"order\":0,\"refcount\":1,\"mapcount\":0}],"
			     "\"folios_not_listed\":14}"));
	if (buf && strncmp(buf, "{\"complete\"", 11))
		printf("  got %s\n", buf);
	free(buf);
	devmem_walk_summary_free(&s);

	/* A 16 GiB device, every page out: 4M folios, exact, 64 listed. */
	memset(&s, 0, sizeof(s));
	s.max_listed = DEVMEM_WALK_LISTED_DEFAULT;
	f.order = 0;
	for (i = 0; i < (4u << 20); i++) {
		f.pfn = i;
		devmem_walk_summary_add(&s, &f);
	}
	CHECK("summary: 4M pages counted exactly, 64 listed",
	      s.in_use_pages == (4u << 20) && s.nr_listed == 64 && s.not_listed == (4u << 20) - 64);
	devmem_walk_summary_free(&s);

	memset(&s, 0, sizeof(s));	/* --walk-folios 0: counts only */
	devmem_walk_summary_add(&s, &f);
	CHECK("summary: nothing listed with max_listed 0", s.in_use_pages == 1 && !s.listed && s.not_listed == 1);
	f.order = 200;			/* a damaged order is capped, not shifted past 63 */
	devmem_walk_summary_add(&s, &f);
	CHECK("summary: a bad order is capped at 30", s.in_use_pages == 1 + (1ULL << 30));
}

int main(void)
{
	test_free_ref();
	test_iomem();
	test_summary();
	return failures ? 1 : 0;
}
