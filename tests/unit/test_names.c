// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of the names given to pgmaps and stack frames
 * (tools/lib/pgmap_names.c, and the host layer's tools/host/ksyms.c,
 * iomem.c and pgmap_host.c), built with ASan and UBSan: drivers by
 * symbol, module and device, the kallsyms table and the stack frames it
 * names, /proc/iomem, and the namer and its kallsyms cache reading both
 * through pgmap_host_source, on fixtures. One PASS/FAIL line per check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "iomem.h"
#include "json.h"
#include "ksyms.h"
#include "output.h"
#include "pgmap_host.h"
#include "pgmap_names.h"
#include "late_start.h"
#include "state.h"
#define CHECK_GROUP "lib"
#include "check.h"

/* A temporary file holding len bytes of text; path is a mkstemp template. */
static void write_fixture(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fwrite(text, 1, len, f);
	fclose(f);
}

/* Drivers and devices by name (tools/lib/pgmap_names.c). */
static const char sample_iomem[] =
	"00000000-00000fff : Reserved\n"
	"00100000-3fffffff : System RAM\n"
	"  01000000-015fffff : Kernel code\n"
	"not an iomem line\n"
	"c0000000-febfffff : PCI Bus 0000:00\n"
	"  e0000000-efffffff : PCI Bus 0000:01\n"
	"    e0000000-efffffff : 0000:01:00.0\n"
	"      e0000000-e7ffffff : nvidia-uvm-hmm\n"
	"  f0000000-f0ffffff : 0000:00:02.0\n"
	"40000000-5fffffff : Reserved\n"
	"ffe0000000-ffefffffff : hmm_dmirror\n"
	"fff0000000-ffffffffff : hmm_dmirror\n"
	"38000000000-38fffffffff : 0000:03:00.0\n";

static const char sample_kallsyms[] =
	"0000000000000000 A fixed_percpu_data\n"
	"0000000000012340 D cpu_number\n"
	"ffffffff81227384 t dmirror_snapshot_invalidate\n"
	"ffffffff816324e0 d dmirror_devmem_ops\n"
	"ffffffff81e73d60 b dmirror_devices\n"
	"ffffffff81e747a0 b dmirror_dev\n"
	"ffffffffc0a01000 d uvm_pmm_devmem_ops\t[nvidia_uvm]\n"
	"ffffffffc0b02000 d foo_pagemap_ops\t[foo_gpu]\n"
	"ffffffffc0b02040 d foo_devices\t[foo_gpu]\n"
	"ffffffffc0c03000 d nouveau_dmem_pagemap_ops\t[nouveau]\n";

static void test_driver_names(void)
{
	static const struct { const char *sym, *mod, *res, *want; } cases[] = {
		{ "dmirror_devmem_ops", NULL, NULL, "test_hmm" },
		{ "dmirror_devices", "", "", "test_hmm" },	/* test_hmm's owner cookie */
		{ "svm_migrate_pgmap_ops", "amdgpu", NULL, "amdgpu" },
		{ "nouveau_dmem_pagemap_ops", "nouveau", NULL, "nouveau" },
		{ "xe_pagemap_ops", "xe", NULL, "xe" },
		{ "drm_pagemap_pagemap_ops", "drm_gpusvm_helper", NULL, "xe" },
		{ "uvm_pmm_devmem_ops", "nvidia_uvm", NULL, "nvidia-uvm" },
		{ "p2pdma_pgmap_ops", NULL, NULL, "p2pdma" },
		/* not in the table: the module, then the device, then the symbol */
		{ "foo_pagemap_ops", "foo_gpu", "hmm_dmirror", "foo_gpu" },
		{ "foo_pagemap_ops", NULL, "nouveau_dmem", "nouveau" },
		{ "foo_pagemap_ops", NULL, "0000:03:00.0", "foo_pagemap_ops" },
		{ NULL, NULL, "nvidia-uvm-hmm", "nvidia-uvm" },
		{ NULL, NULL, "hmm_dmirror", "test_hmm" },
		{ NULL, NULL, NULL, "unknown" },
		{ "", "", "not-in-iomem", "unknown" },
		{ "bad name,\"#/x", NULL, NULL, "bad_name____x" },	/* safe in text and CSV */
	};
	char buf[DEVMEM_NAME_LEN], what[160];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pgmap_driver_name(cases[i].sym, cases[i].mod, cases[i].res, buf, sizeof(buf));
		snprintf(what, sizeof(what), "driver of symbol %s [%s], device %s is %s",
			 cases[i].sym ? cases[i].sym : "(none)", cases[i].mod ? cases[i].mod : "",
			 cases[i].res ? cases[i].res : "(none)", cases[i].want);
		CHECK(what, !strcmp(buf, cases[i].want));
	}
	CHECK("PCI device names are told from bus windows",
	      pgmap_is_pci_name("0000:03:00.0") && !pgmap_is_pci_name("PCI Bus 0000:00") &&
	      !pgmap_is_pci_name("0000:03:00.0x") && !pgmap_is_pci_name("0000:03:00"));
}

/*
 * The stack a tracepoint program takes, leaf first: its own frame, the
 * tracepoint's, then the caller's. Whether or not kallsyms still listed the
 * program when it was read, the text starts at the traced function.
 */
static void test_stack_text(void)
{
	static const char with_prog[] =
		"ffffffff81000000 T _text\n"
		"ffffffff81001000 T zone_device_page_init\n"
		"ffffffff81002000 t __traceiter_devmem_page_init\n"
		"ffffffff81003000 T bpf_trace_run1\n"
		"ffffffff81004000 T dmirror_migrate_to_device.constprop.0\n"
		"ffffffff81a00000 T asm_sysvec_apic_timer_interrupt\n"
		"ffffffff81a01000 D some_data\n"
		"ffffffffa0001000 t bpf_prog_6deef7357e7b4530_on_page_init\t[bpf]\n"
		"ffffffffa0100000 t bpf_trampoline_6442491234\t[bpf]\n";
	uint64_t tp[6] = { 0xffffffffa0001040, 0xffffffff81003010, 0xffffffff81002020,
			   0xffffffff81001030, 0xffffffff81004040, 0 };
	uint64_t fentry[4] = { 0xffffffffa0001040, 0xffffffffa0100020, 0xffffffff81001000,
			       0xffffffff81004040 };
	const char *want = "zone_device_page_init+0x30;dmirror_migrate_to_device.constprop.0+0x40";
	struct ksyms k;
	char buf[512], name[64];
	FILE *f = fmemopen((void *)with_prog, strlen(with_prog), "r");

	CHECK("kallsyms text: the 8 text symbols, data left out", !ksyms_read(&k, f) && k.nfuncs == 8);
	fclose(f);
	CHECK("a tracepoint stack starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, tp, 6, buf, sizeof(buf)), want));
	CHECK("an fentry stack starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, fentry, 4, buf, sizeof(buf)),
		      "zone_device_page_init+0;dmirror_migrate_to_device.constprop.0+0x40"));
	ksyms_free(&k);

	/* The same stack, read while kallsyms no longer listed the programs. */
	f = fmemopen((void *)with_prog, strstr(with_prog, "ffffffffa0001000") - with_prog, "r");
	CHECK("kallsyms text without the programs", !ksyms_read(&k, f) && k.nfuncs == 6);
	fclose(f);
	CHECK("a program kallsyms lost is not named after the kernel's last function",
	      !strcmp(ksyms_name(&k, 0xffffffffa0001040, name, sizeof(name)), "0xffffffffa0001040"));
	CHECK("... and a tracepoint stack still starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, tp, 6, buf, sizeof(buf)), want));
	CHECK("... and an fentry stack too",
	      !strcmp(ksyms_stack_text(&k, fentry, 4, buf, sizeof(buf)),
		      "zone_device_page_init+0;dmirror_migrate_to_device.constprop.0+0x40"));
	CHECK("a function's end is still named",
	      !strcmp(ksyms_name(&k, 0xffffffff81a00000 + KSYMS_MAX_FUNC_SIZE - 1, name, sizeof(name)),
		      "asm_sysvec_apic_timer_interrupt+0xfffff"));
	CHECK("a stack with no frames is empty", !ksyms_stack_text(&k, tp + 5, 1, buf, sizeof(buf))[0]);
	ksyms_free(&k);

	/* kprobe mode: the stack starts at the probed function. */
	f = fmemopen((void *)with_prog, strlen(with_prog), "r");
	CHECK("kallsyms text again", !ksyms_read(&k, f));
	fclose(f);
	{
		/*
		 * The guess unwinder (CONFIG_UNWINDER_GUESS) put a stale
		 * interrupt return address between the program and the
		 * tracepoint (vm-folded, before the guests had ORC): it is
		 * what the kernel reported, so it stays, with the frames
		 * after it; only the leading run of tracer frames is cut.
		 */
		uint64_t stray[6] = { 0xffffffffa0001040, 0xffffffff81a00010, 0xffffffff81003010,
				      0xffffffff81002020, 0xffffffff81001030, 0xffffffff81004040 };

		CHECK("a frame between the program and the tracepoint ends the cut",
		      !strcmp(ksyms_stack_text(&k, stray, 6, buf, sizeof(buf)),
			      "asm_sysvec_apic_timer_interrupt+0x10;bpf_trace_run1+0x10;"
			      "__traceiter_devmem_page_init+0x20;zone_device_page_init+0x30;"
			      "dmirror_migrate_to_device.constprop.0+0x40"));
	}
	{
		/* A program that called a subprogram: two BPF frames, then the tracepoint. */
		uint64_t sub[6] = { 0xffffffffa0001080, 0xffffffffa0001040, 0xffffffff81003010,
				    0xffffffff81002020, 0xffffffff81001030, 0xffffffff81004040 };

		CHECK("every BPF frame at the leaf is cut, then the tracepoint's",
		      !strcmp(ksyms_stack_text(&k, sub, 6, buf, sizeof(buf)), want));
	}
	{
		uint64_t kp[4] = { 0xffffffff81001010, 0xffffffff81004040, 0xffffffffa0100020,
				   0xffffffff81000100 };

		CHECK("a kprobe stack keeps every frame, another tool's trampoline deeper in too",
		      !strcmp(ksyms_stack_text(&k, kp, 4, buf, sizeof(buf)),
			      "zone_device_page_init+0x10;dmirror_migrate_to_device.constprop.0+0x40;"
			      "bpf_trampoline_6442491234+0x20;_text+0x100"));
	}
	ksyms_free(&k);
	memset(&k, 0, sizeof(k));	/* kallsyms unreadable: nothing named */
	CHECK("with nothing named the stack is its addresses, not empty",
	      !strcmp(ksyms_stack_text(&k, tp, 2, buf, sizeof(buf)),
		      "0xffffffffa0001040;0xffffffff81003010"));
}

/* The one kallsyms table: symbols, modules, places, names. */
static void test_ksyms_table(void)
{
	static const char text[] =
		"0000000000000000 A fixed_percpu_data\n"
		"0000000000012340 D cpu_number\n"
		"ffffffff81000000 T _text\n"
		"ffffffff81000000 T _stext\n"
		"ffffffff81001000 t dmirror_snapshot_invalidate\n"
		"ffffffff816324e0 d dmirror_devmem_ops\n"
		"ffffffff816324e0 d dmirror_alias\n"
		"not a kallsyms line\n"
		"ffffffff81e73d60 D vmemmap_base\n"
		"ffffffffc0a01000 d uvm_pmm_devmem_ops\t[nvidia_uvm]\n"
		"ffffffffc0a02000 t uvm_fn\t[nvidia_uvm]\n"
		"ffffffffc0b02000 d foo_pagemap_ops\t[foo_gpu]\n"
		"ffffffffc0b02040 d foo_devices\t[foo_gpu]\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	char path[] = "/tmp/devmem-kallsyms-XXXXXX", name[64];
	const struct ksym *s, *next;
	struct ksyms k;
	uint64_t addr = 0;

	CHECK("kallsyms: every line read, the bad one skipped",
	      !ksyms_read(&k, f) && k.n == 12 && k.nfuncs == 4 && k.nplaces == 11);
	fclose(f);
	CHECK("equal addresses: a frame takes the last function in file order",
	      !strcmp(ksyms_name(&k, 0xffffffff81000010, name, sizeof(name)), "_stext+0x10"));
	s = ksyms_place(&k, 0xffffffff816324e8, &next);
	CHECK("equal addresses: a place is the first in file order, with its next place",
	      s && !strcmp(ksyms_sym_name(&k, s), "dmirror_devmem_ops") && !ksyms_sym_mod(&k, s)[0] &&
	      next && !strcmp(ksyms_sym_name(&k, next), "vmemmap_base"));
	s = ksyms_place(&k, 0xffffffffc0a01010, &next);
	CHECK("a module's place carries its module, and so does the next",
	      s && !strcmp(ksyms_sym_mod(&k, s), "nvidia_uvm") && !strcmp(ksyms_sym_mod(&k, next), "nvidia_uvm"));
	s = ksyms_place(&k, 0xffffffffc0b02048, &next);
	CHECK("past a module's last symbol: found, nothing next",
	      s && !strcmp(ksyms_sym_name(&k, s), "foo_devices") && !next);
	CHECK("no place for an absolute symbol or a heap pointer",
	      !ksyms_place(&k, 0x10, NULL) && !ksyms_place(&k, 0xffffffffc0b02040 + KSYMS_MAX_PLACE_OFF + 1, NULL) &&
	      ksyms_place(&k, 0xffffffffc0b02040 + KSYMS_MAX_PLACE_OFF, NULL));
	CHECK("by name: the first in file order, of any type",
	      ksyms_addr_of(&k, "vmemmap_base", &addr) && addr == 0xffffffff81e73d60 &&
	      ksyms_addr_of(&k, "fixed_percpu_data", &addr) && !addr && !ksyms_addr_of(&k, "nope", NULL));
	ksyms_free(&k);

	write_fixture(path, text, strlen(text));
	ksyms_path = path;
	CHECK("a table from ksyms_path", !ksyms_load(&k) && k.n == 12);
	ksyms_free(&k);
	addr = 0;
	CHECK("one pass by name, without a table",
	      ksyms_lookup("uvm_fn", &addr) && addr == 0xffffffffc0a02000 && !ksyms_lookup("nope", &addr));
	unlink(path);
	CHECK("an unreadable kallsyms: -errno, an empty table",
	      ksyms_load(&k) == -ENOENT && !k.n && !ksyms_lookup("uvm_fn", NULL));
	ksyms_path = "/proc/kallsyms";
	f = fmemopen((void *)text, strstr(text, "ffffffff81000000") - text, "r");
	CHECK("no function: -ENOENT, the places kept", ksyms_read(&k, f) == -ENOENT && k.nplaces == 1);
	fclose(f);
	ksyms_free(&k);
	f = fmemopen((void *)"0000000000000000 T _text\n0000000000000000 t f\n", 46, "r");
	CHECK("without root (all zeros): functions that name nothing, no places",
	      !ksyms_read(&k, f) && k.nfuncs == 2 && !k.nplaces &&
	      !strcmp(ksyms_name(&k, 0xffffffff81000010, name, sizeof(name)), "0xffffffff81000010"));
	fclose(f);
	ksyms_free(&k);
}

static void test_iomem(void)
{
	struct iomem io;
	long r, pci;

	CHECK("iomem sample parses", iomem_parse(sample_iomem, &io) == 0);
	CHECK("iomem keeps every resource line, skips the rest", io.n == 12);
	CHECK("iomem reads depth from indentation and cleans names",
	      io.res[6].depth == 3 && !strcmp(io.res[3].name, "PCI_Bus_0000:00"));
	r = iomem_find(&io, 0xe0100000, 0xe01fffff, &pci);
	CHECK("a range under a PCI BAR: the innermost resource and its PCI device",
	      r == 6 && !strcmp(io.res[r].name, "nvidia-uvm-hmm") && pci == 5 &&
	      !strcmp(io.res[pci].name, "0000:01:00.0"));
	r = iomem_find(&io, 0xe8000000, 0xe8ffffff, &pci);
	CHECK("a range in the BAR but outside its child: the BAR itself", r == 5 && pci == 5);
	r = iomem_find(&io, 0xf0000000, 0xf00fffff, &pci);
	CHECK("a BAR named after its device is device and PCI device at once", r == 7 && pci == 7);
	r = iomem_find(&io, 0xfff0000000, 0xffffffffff, &pci);
	CHECK("test_hmm's private range is hmm_dmirror, not under PCI",
	      r == 10 && !strcmp(io.res[r].name, "hmm_dmirror") && pci == -1);
	r = iomem_find(&io, 0x38000100000, 0x39000ffffff, &pci);
	CHECK("a range that spills out of its resource is not said to be in it", r == -1);
	r = iomem_find(&io, 0x40000000, 0x4fffffff, &pci);
	CHECK("a memmap= carve-out (\"Reserved\" once the kernel has PCI) names no device",
	      r == -1 && pci == -1);
	iomem_free(&io);
	CHECK("an empty iomem parses to nothing", iomem_parse("", &io) == 0 && io.n == 0 &&
	      iomem_find(&io, 1, 2, &pci) == -1);
	iomem_free(&io);
}

/* Each address in one read of kallsyms text, as the namer asks the host. */
static void resolve(const char *text, size_t len, struct ksym_hit *h, size_t n)
{
	char path[] = "/tmp/devmem-kallsyms-XXXXXX";
	struct pgmap_namer nm = { .src = &pgmap_host_source };
	size_t i;

	write_fixture(path, text, len);
	ksyms_path = path;
	nm.src->read_ksyms(&nm);
	for (i = 0; i < n; i++)
		nm.src->place(&nm, &h[i]);
	ksyms_path = "/proc/kallsyms";
	unlink(path);
	pgmap_namer_free(&nm);
}

static void test_ksyms_resolve(void)
{
	struct ksym_hit h[5] = {
		{ .addr = 0xffffffff81e73d60 + 0x5a0 },	/* dmirror_devices[1] */
		{ .addr = 0xffff888012345678 },		/* a heap pointer */
		{ .addr = 0xffffffffc0a01000 },		/* a module's ops */
		{ .addr = 0xffffffffc0b02048 },
		{ .addr = 0x10 },
	};

	resolve(sample_kallsyms, strlen(sample_kallsyms), h, 5);
	CHECK("kallsyms names a static owner cookie with its offset",
	      h[0].found && !strcmp(h[0].sym, "dmirror_devices") && h[0].off == 0x5a0 && !h[0].mod[0]);
	CHECK("a heap pointer is named by nothing (not the last per-CPU symbol)", !h[1].found);
	CHECK("a module symbol carries its module",
	      h[2].found && !strcmp(h[2].sym, "uvm_pmm_devmem_ops") && !strcmp(h[2].mod, "nvidia_uvm"));
	CHECK("the nearest symbol below wins, in any order",
	      h[3].found && !strcmp(h[3].sym, "foo_devices") && h[3].off == 8);
	CHECK("absolute symbols name nothing", !h[4].found);
	resolve("0000000000000000 T _text\n0000000000000000 b dmirror_devices\n", 58, h, 1);
	CHECK("kallsyms without root (all zeros) names nothing", !h[0].found);
}

static void write_file(char *path, const char *text)
{
	write_fixture(path, text, strlen(text));
}

static const struct devmem_pgmap_row *row_at(const struct devmem_state *st, uint64_t start)
{
	size_t i;

	for (i = 0; i < st->nr_pgmaps; i++)
		if (st->pgmaps[i].start == start)
			return &st->pgmaps[i];
	return NULL;
}

static bool named(const struct devmem_state *st, uint64_t start, const char *want)
{
	const struct devmem_pgmap_row *r = row_at(st, start);
	char buf[3 * DEVMEM_NAME_LEN];

	return r && !strcmp(pgmap_short_name(r, buf, sizeof(buf)), want);
}

static void test_pgmap_namer(void)
{
	char ks[] = "/tmp/devmem-kallsyms-XXXXXX", io[] = "/tmp/devmem-iomem-XXXXXX";
	struct devmem_state st = { 0 }, back = { 0 };
	struct pgmap_namer nm = { .src = &pgmap_host_source };
	char *text, *json = NULL;
	size_t len = 0, n;
	struct json j;
	FILE *f;

	write_file(ks, sample_kallsyms);
	write_file(io, sample_iomem);
	ksyms_path = ks;
	iomem_path = io;
	/* As the VM has them: two private (debugfs first), two coherent. */
	devmem_state_seed_text(&st,
		"0000000082ec8606 private 0xffe0000000 0xffefffffff 000000003a559b50 65536 0\n"
		"00000000bdd6a09e private 0xfff0000000 0xffffffffff 00000000158ff02b 65536 0\n"
		"00000000bdd6a09f p2pdma 0xf0000000 0xf00fffff 00000000158ff02c 256 0\n");
	devmem_state_pgmap_meta(&st, 0xffff888000a00000, 0x40000000, 0x4fffffff,
				DEVMEM_PGMAP_COHERENT, 0xffffffff81e73d60 + 0x5a0, 65536);
	/* A GPU's: owner on the heap, range under a PCI BAR, driver not in any table */
	devmem_state_pgmap_meta(&st, 0xffff888000b00000, 0xe0000000, 0xe00fffff,
				DEVMEM_PGMAP_PRIVATE, 0xffff888077770000, 256);
	/* Nothing to go by at all */
	devmem_state_pgmap_meta(&st, 0xffff888000c00000, 0x60000000, 0x6000ffff,
				DEVMEM_PGMAP_COHERENT, 0xffff888066660000, 16);
	n = pgmap_namer_update(&nm, &st);
	CHECK("the namer names every row", n == 6);
	CHECK("a row known only by its range under a PCI device: unknown driver, PCI device",
	      named(&st, 0xf0000000, "unknown/0000:00:02.0#0"));
	CHECK("debugfs rows (owner unknown) are test_hmm by their hmm_dmirror resource",
	      named(&st, 0xffe0000000, "test_hmm/hmm_dmirror#0") &&
	      named(&st, 0xfff0000000, "test_hmm/hmm_dmirror#1"));
	CHECK("a coherent pgmap in memmap= memory: test_hmm by its owner, not-in-iomem",
	      named(&st, 0x40000000, "test_hmm/not-in-iomem#0"));
	CHECK("a pgmap under a PCI BAR: its device and PCI device",
	      named(&st, 0xe0000000, "nvidia-uvm/nvidia-uvm-hmm@0000:01:00.0#0") &&
	      !strcmp(row_at(&st, 0xe0000000)->pci, "0000:01:00.0"));
	CHECK("a pgmap that cannot be named is unknown, and still has a name",
	      named(&st, 0x60000000, "unknown/not-in-iomem#0"));
	CHECK("nothing new: nothing renamed", pgmap_namer_update(&nm, &st) == 0);
	devmem_state_pgmap_meta(&st, 0xffff888000d00000, 0xf0000000, 0xf00fffff,
				DEVMEM_PGMAP_P2PDMA, 0xffffffffc0b02040, 256);
	CHECK("an owner learned later names the driver from kallsyms (its module)",
	      pgmap_namer_update(&nm, &st) == 1 && named(&st, 0xf0000000, "foo_gpu/0000:00:02.0#0") &&
	      st.nr_pgmaps == 6);

	/*
	 * A GPU driver's owner is a heap pointer: its ops, read by the BPF
	 * side, name it (here a range no resource holds).
	 */
	devmem_state_pgmap_meta(&st, 0xffff888000e00000, 0x78000000, 0x7800ffff,
				DEVMEM_PGMAP_PRIVATE, 0xffff888055550000, 16);
	devmem_state_pgmap(&st, 0xffff888000e00000)->ops = 0xffffffffc0c03000;
	CHECK("a heap owner with nouveau's ops: nouveau, by its ops",
	      pgmap_namer_update(&nm, &st) == 1 && named(&st, 0x78000000, "nouveau/not-in-iomem#0"));

	/* The trace chunk: what one machine resolved, applied on another. */
	text = pgmap_names_format(&st, &len);
	devmem_state_seed_text(&back,
		"0 private 0xfff0000000 0xffffffffff 0 65536 0\n"
		"0 private 0xffe0000000 0xffefffffff 0 65536 0\n"
		"0 coherent 0x40000000 0x4fffffff 0 65536 0\n"
		"0 coherent 0x70000000 0x7000ffff 0 16 0\n");
	CHECK("the names chunk names the rows by start",
	      text && pgmap_names_apply(&back, text) == 3 &&
	      named(&back, 0x40000000, "test_hmm/not-in-iomem#0"));
	CHECK("...numbered in the reader's row order",
	      named(&back, 0xfff0000000, "test_hmm/hmm_dmirror#0") &&
	      named(&back, 0xffe0000000, "test_hmm/hmm_dmirror#1"));
	CHECK("a row the chunk does not name shows as unknown",
	      named(&back, 0x70000000, "unknown/unknown#0"));
	CHECK("a chunk with garbage lines names nothing and does not crash",
	      pgmap_names_apply(&back, "# header\n0x1 0x2\nxyz\n0x40000000 0x4fffffff a\n") == 0);
	free(text);

	/* JSON: no kernel address unless asked for. */
	f = open_memstream(&json, &len);
	json_begin(&j, f);
	json_obj_open(&j, NULL);
	devmem_json_pgmap_fields(&j, row_at(&st, 0x40000000));
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	CHECK("pgmap JSON has name, driver and device, and no kernel address",
	      strstr(json, "\"name\":\"test_hmm/not-in-iomem#0\",\"driver\":\"test_hmm\","
			   "\"device\":\"not-in-iomem\",\"pci\":\"\"") &&
	      !strstr(json, "0xffff") && !strstr(json, "\"pgmap\"") && !strstr(json, "\"owner\""));
	free(json);
	json = NULL;
	devmem_raw_addresses = true;
	f = open_memstream(&json, &len);
	json_begin(&j, f);
	json_obj_open(&j, NULL);
	devmem_json_pgmap_fields(&j, row_at(&st, 0x40000000));
	json_obj_close(&j);
	json_end(&j);
	fclose(f);
	devmem_raw_addresses = false;
	CHECK("with --raw-addresses it has the pgmap address and owner cookie",
	      strstr(json, "\"pgmap\":\"0xffff888000a00000\",\"owner\":\"0xffffffff81e74300\""));
	free(json);
	unlink(ks);
	unlink(io);
	ksyms_path = "/proc/kallsyms";
	iomem_path = "/proc/iomem";
	pgmap_namer_free(&nm);
	devmem_state_free(&st);
	devmem_state_free(&back);
}

static uint64_t fake_now;
static uint64_t fake_clock(void) { return fake_now; }

/* Name one new row at second t; how many kallsyms reads it took. */
static unsigned int name_at(struct pgmap_namer *nm, struct devmem_state *st, uint64_t t,
			    uint64_t pgmap, uint64_t start, uint64_t owner, uint64_t ops)
{
	unsigned int before = nm->ksyms_reads;

	fake_now = t * 1000000000ull;
	if (pgmap) {
		devmem_state_pgmap_meta(st, pgmap, start, start + 0xffff, DEVMEM_PGMAP_PRIVATE,
					owner, 16);
		devmem_state_pgmap(st, pgmap)->ops = ops;
	}
	pgmap_namer_update(nm, st);
	return nm->ksyms_reads - before;
}

/*
 * kallsyms is read once and kept: a pgmap the table places costs no read;
 * one it cannot (past a module's last symbol, a heap pointer) is read about
 * again only a minute after the last read, and then named for good.
 */
static void test_namer_kallsyms_cache(void)
{
	static const char before[] =
		"ffffffffc0001000 t dmirror_fops_open\t[test_hmm]\n"
		"ffffffffc0002000 d dmirror_devmem_ops\t[test_hmm]\n"
		"ffffffffc0003000 b dmirror_devices\t[test_hmm]\n"
		"ffffffffc0005000 t other_fn\t[other]\n";
	char ks[] = "/tmp/devmem-kallsyms-XXXXXX", io[] = "/tmp/devmem-iomem-XXXXXX";
	struct devmem_state st = { 0 };
	struct pgmap_namer nm = { .src = &pgmap_host_source, .clock_ns = fake_clock };
	char early[DEVMEM_NAME_LEN];
	unsigned int r[8];
	FILE *f;

	write_file(ks, before);
	write_file(io, sample_iomem);
	ksyms_path = ks;
	iomem_path = io;
	r[0] = name_at(&nm, &st, 1, 0xa1000, 0x71000000, 0xffff888000001000, 0xffffffffc0002000);
	r[1] = name_at(&nm, &st, 2, 0xa2000, 0x72000000, 0xffffffffc0001010, 0);
	/* A module loaded after the read: its ops lie past other's last symbol. */
	r[2] = name_at(&nm, &st, 3, 0xa3000, 0x73000000, 0xffff888000003000, 0xffffffffc0008000);
	snprintf(early, sizeof(early), "%s", row_at(&st, 0x73000000)->driver);
	r[3] = name_at(&nm, &st, 30, 0, 0, 0, 0);
	f = fopen(ks, "a");
	fputs("ffffffffc0008000 d nouveau_dmem_pagemap_ops\t[nouveau]\n", f);
	fclose(f);
	r[4] = name_at(&nm, &st, 62, 0, 0, 0, 0);
	/* A heap pointer no read will ever place: one more read, a minute on. */
	r[5] = name_at(&nm, &st, 63, 0xa4000, 0x74000000, 0xffff888012345000, 0);
	r[6] = name_at(&nm, &st, 100, 0, 0, 0, 0) + name_at(&nm, &st, 123, 0, 0, 0, 0) * 10;
	r[7] = name_at(&nm, &st, 500, 0, 0, 0, 0);
	printf("info " CHECK_GROUP ": kallsyms reads per update: %u %u %u %u %u %u %u/%u %u (%u in all)\n",
	       r[0], r[1], r[2], r[3], r[4], r[5], r[6] % 10, r[6] / 10, r[7], nm.ksyms_reads);
	CHECK("kallsyms: the first lookup reads it once and names the driver by its ops",
	      r[0] == 1 && !strcmp(row_at(&st, 0x71000000)->driver, "test_hmm"));
	CHECK("kallsyms: a second pgmap the kept table places costs no read",
	      r[1] == 0 && !strcmp(row_at(&st, 0x72000000)->driver, "test_hmm"));
	CHECK("kallsyms: an address past a module's last symbol is not given that module's name",
	      r[2] == 0 && !strcmp(early, "unknown"));
	CHECK("kallsyms: ...nor read again within the minute", r[3] == 0);
	CHECK("kallsyms: a minute after the last read, one read names the module loaded since",
	      r[4] == 1 && !strcmp(row_at(&st, 0x73000000)->driver, "nouveau"));
	CHECK("kallsyms: a heap pointer is read for again once, a minute after the last read",
	      r[5] == 0 && r[6] == 10 && !strcmp(row_at(&st, 0x74000000)->driver, "unknown"));
	CHECK("kallsyms: once read for, nothing more is read", r[7] == 0 && nm.ksyms_reads == 3);
	CHECK("kallsyms: a minute after the last read, with every address placed, the table is freed",
	      !nm.ksyms_held && !nm.src_data);
	r[0] = name_at(&nm, &st, 501, 0xa5000, 0x75000000, 0xffff888000005000, 0xffffffffc0002000);
	r[1] = name_at(&nm, &st, 502, 0xa6000, 0x76000000, 0xffff888000006000, 0xffffffffc0003000);
	CHECK("kallsyms: an address already placed costs no read once the table is freed",
	      r[0] == 0 && !strcmp(row_at(&st, 0x75000000)->driver, "test_hmm"));
	CHECK("kallsyms: a new address then costs one read, and the table is kept again",
	      r[1] == 1 && nm.ksyms_held && !strcmp(row_at(&st, 0x76000000)->driver, "test_hmm"));
	unlink(ks);
	unlink(io);
	ksyms_path = "/proc/kallsyms";
	iomem_path = "/proc/iomem";
	pgmap_namer_free(&nm);
	devmem_state_free(&st);
}

int main(void)
{
	test_driver_names();
	test_stack_text();
	test_ksyms_table();
	test_iomem();
	test_ksyms_resolve();
	test_pgmap_namer();
	test_namer_kallsyms_cache();
	return failures ? 1 : 0;
}
