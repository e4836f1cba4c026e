// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The attach modes' tables (tools/session/modes.c) against the skeleton,
 * under ASan and UBSan; nothing is loaded. Every program is in one row,
 * each row's programs are of its mode's kind on one target, each mode
 * needs one init and one free, and on made-up kernels (a BTF built here,
 * a list of kallsyms) each mode picks what its tables say and tells the
 * programs where the prototypes that moved keep their arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../tools/session/modes.c"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS modes: %s\n", name); \
	else { printf("FAIL modes: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

/* The made-up kernel's kallsyms, and whether it takes kprobes. */
static const char *const *ksyms;
static bool kprobes_possible;

bool ksyms_lookup(const char *name, uint64_t *addr)
{
	for (size_t i = 0; ksyms && ksyms[i]; i++)
		if (!strcmp(ksyms[i], name)) {
			if (addr)
				*addr = 0xffffffff81000000ull + i;
			return true;
		}
	return false;
}

bool devmem_fault_hooks_possible(void)
{
	return kprobes_possible;
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* How many rows of all tables name p. */
static int rows_naming(struct devmem_bpf *skel, const struct bpf_program *p)
{
	const struct { const struct tp_row *r; size_t n; } tps[] = {
		{ tp_612, ARRAY_LEN(tp_612) }, { tp_73, ARRAY_LEN(tp_73) },
		{ tasks, ARRAY_LEN(tasks) }, { rework, ARRAY_LEN(rework) },
	};
	const struct { const struct fn_row *r; size_t n; } fns[] = {
		{ fentry_fns, ARRAY_LEN(fentry_fns) }, { kprobe_fns, ARRAY_LEN(kprobe_fns) },
		{ fentry_batch_fns, ARRAY_LEN(fentry_batch_fns) },
		{ kprobe_batch_fns, ARRAY_LEN(kprobe_batch_fns) }, { &fault_hook, 1 },
	};
	int n = 0;

	for (size_t t = 0; t < ARRAY_LEN(tps); t++)
		for (size_t i = 0; i < tps[t].n; i++)
			n += prog_of(skel, tps[t].r[i].prog) == p;
	for (size_t t = 0; t < ARRAY_LEN(fns); t++)
		for (size_t i = 0; i < fns[t].n; i++)
			n += (prog_of(skel, fns[t].r[i].entry) == p) + (prog_of(skel, fns[t].r[i].ret) == p);
	return n;
}

/* Tracepoint rows: tp_btf, or a classic tracepoint with its record type. */
static bool tp_rows_ok(struct devmem_bpf *skel, const struct tp_row *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *sec = bpf_program__section_name(prog_of(skel, r[i].prog));

		if (!starts(sec, r[i].record ? "tracepoint/" : "tp_btf/"))
			return false;
	}
	return true;
}

/* Function rows: entry and return of one function, of the mode's kind. */
static bool fn_rows_ok(struct devmem_bpf *skel, const struct fn_row *r, size_t n,
		       const char *on_entry, const char *on_return)
{
	for (size_t i = 0; i < n; i++) {
		const struct bpf_program *e = prog_of(skel, r[i].entry), *x = prog_of(skel, r[i].ret);

		if ((!e && !x) || (e && !starts(bpf_program__section_name(e), on_entry)) ||
		    (x && !starts(bpf_program__section_name(x), on_return)) ||
		    (e && x && strcmp(prog_target(e), prog_target(x))))
			return false;
	}
	return true;
}

static int count_need(const void *rows, size_t n, size_t size, enum need need)
{
	int c = 0;

	for (size_t i = 0; i < n; i++)
		c += (size == sizeof(struct tp_row) ? ((const struct tp_row *)rows)[i].need :
		      ((const struct fn_row *)rows)[i].need) == need;
	return c;
}

#define ONE_EACH(t) (count_need(t, ARRAY_LEN(t), sizeof(t[0]), REQUIRED_INIT) == 1 && \
		     count_need(t, ARRAY_LEN(t), sizeof(t[0]), REQUIRED_FREE) == 1)

static void check_tables(struct devmem_bpf *skel)
{
	struct bpf_program *p;
	int progs = 0, once = 0;

	bpf_object__for_each_program(p, skel->obj) {
		progs++;
		once += rows_naming(skel, p) == 1;
	}
	CHECK("every program of the skeleton is in exactly one row", progs > 0 && once == progs);
	CHECK("tracepoint rows are tp_btf, or classic tracepoints with a record type",
	      tp_rows_ok(skel, tp_612, ARRAY_LEN(tp_612)) && tp_rows_ok(skel, tp_73, ARRAY_LEN(tp_73)) &&
	      tp_rows_ok(skel, tasks, ARRAY_LEN(tasks)) && tp_rows_ok(skel, rework, ARRAY_LEN(rework)));
	CHECK("fentry rows: fentry and fexit on one function",
	      fn_rows_ok(skel, fentry_fns, ARRAY_LEN(fentry_fns), "fentry/", "fexit/") &&
	      fn_rows_ok(skel, fentry_batch_fns, ARRAY_LEN(fentry_batch_fns), "fentry/", "fexit/"));
	CHECK("kprobe rows: kprobe and kretprobe on one function",
	      fn_rows_ok(skel, kprobe_fns, ARRAY_LEN(kprobe_fns), "kprobe/", "kretprobe/") &&
	      fn_rows_ok(skel, kprobe_batch_fns, ARRAY_LEN(kprobe_batch_fns), "kprobe/", "kretprobe/"));
	CHECK("the migration batch rows need nothing: a mode attaches without them",
	      count_need(fentry_batch_fns, ARRAY_LEN(fentry_batch_fns), sizeof(struct fn_row), OPTIONAL) ==
	      (int)ARRAY_LEN(fentry_batch_fns) &&
	      count_need(kprobe_batch_fns, ARRAY_LEN(kprobe_batch_fns), sizeof(struct fn_row), OPTIONAL) ==
	      (int)ARRAY_LEN(kprobe_batch_fns) &&
	      count_need(rework, ARRAY_LEN(rework), sizeof(struct tp_row), OPTIONAL) ==
	      (int)ARRAY_LEN(rework));
	CHECK("the fault hook: a kprobe and a kretprobe with no target",
	      !strcmp(bpf_program__section_name(prog_of(skel, fault_hook.entry)), "kprobe") &&
	      !strcmp(bpf_program__section_name(prog_of(skel, fault_hook.ret)), "kretprobe"));
	CHECK("each series and mode needs one init and one free row",
	      ONE_EACH(tp_612) && ONE_EACH(tp_73) && ONE_EACH(fentry_fns) && ONE_EACH(kprobe_fns));
}

/* A made-up kernel's BTF: FUNCs, and the typedefs and structs of events. */
static struct btf *make_btf(const char *const *funcs, const char *const *typedefs,
			    const char *const *structs)
{
	struct btf *btf = btf__new_empty();
	int i32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);

	for (size_t i = 0; funcs && funcs[i]; i++)
		btf__add_func(btf, funcs[i], BTF_FUNC_GLOBAL, btf__add_func_proto(btf, i32));
	for (size_t i = 0; typedefs && typedefs[i]; i++)
		btf__add_typedef(btf, typedefs[i], i32);
	for (size_t i = 0; structs && structs[i]; i++)
		btf__add_struct(btf, structs[i], 4);
	return btf;
}

/* "name name ..." of the programs that load, in object order. */
static const char *loaded(struct devmem_bpf *skel, char *buf, size_t len)
{
	struct bpf_program *p;
	size_t used = 0;

	buf[0] = 0;
	bpf_object__for_each_program(p, skel->obj)
		if (bpf_program__autoload(p) && used < len)
			used += snprintf(buf + used, len - used, "%s%s", used ? " " : "",
					 bpf_program__name(p));
	return buf;
}

struct pick_result {
	int e;
	char err[512], progs[2048];
	struct devmem_session s;
	/* the rodata the fallback programs read of the kernel's prototypes */
	unsigned int order_arg;
	bool cached_arg;
};

static void pick(struct pick_result *r, struct btf *btf, enum devmem_mode mode, bool records)
{
	struct devmem_bpf *skel = devmem_bpf__open();

	memset(r, 0, sizeof(*r));
	r->e = skel ? devmem_mode_pick(&r->s, skel, btf, mode, records, r->err, sizeof(r->err)) : -1;
	if (skel) {
		loaded(skel, r->progs, sizeof(r->progs));
		r->order_arg = skel->rodata->page_init_order_arg;
		r->cached_arg = skel->rodata->get_pgmap_cached_arg;
	}
	devmem_bpf__destroy(skel);
}

/* A made-up kernel's function with its parameters, for prototypes that moved. */
struct kfn {
	const char *name;
	int params;
};

static struct btf *make_kernel(const struct kfn *fns)
{
	struct btf *btf = btf__new_empty();
	int i32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);

	for (size_t i = 0; fns[i].name; i++) {
		int proto = btf__add_func_proto(btf, i32);

		for (int a = 0; a < fns[i].params; a++)
			btf__add_func_param(btf, "arg", i32);
		btf__add_func(btf, fns[i].name, BTF_FUNC_GLOBAL, proto);
	}
	return btf;
}

static void check_tracepoint(void)
{
	static const char *const ev73[] = {
		"btf_trace_zone_device_pgmap_create", "btf_trace_zone_device_pgmap_destroy_begin",
		"btf_trace_zone_device_pgmap_destroy_end", "btf_trace_zone_device_folio_init",
		"btf_trace_zone_device_folio_free", "btf_trace_zone_device_pgmap_get",
		"btf_trace_zone_device_pgmap_put", "btf_trace_zone_device_private_fault",
		"btf_trace_zone_device_cow_replace", "btf_trace_migrate_device_pgmap_pages_done",
		"btf_trace_migrate_device_pgmap_finalize_start",
		"btf_trace_migrate_device_coherent_folio_done",
		/* the class-based migrate_device events: none of them is used */
		"btf_trace_migrate_vma_setup_done", "btf_trace_migrate_device_pages_done",
		"btf_trace_migrate_device_finalize_start",
		"btf_trace_sched_process_fork", "btf_trace_sched_process_exit", NULL,
	};
	static const char *const ev612[] = {
		"btf_trace_devmem_pgmap_create", "btf_trace_devmem_page_init",
		"btf_trace_devmem_folio_free", "btf_trace_sched_process_fork", NULL,
	};
	static const char *const rec612[] = { "trace_event_raw_devmem_migrate_batch", NULL };
	static const char *const no_free[] = { "btf_trace_zone_device_folio_init", NULL };
	struct pick_result r;
	struct btf *btf;

	btf = make_btf(NULL, ev73, NULL);
	pick(&r, btf, DEVMEM_MODE_TRACEPOINT, false);
	CHECK("7.3 series: its 12 events, nothing else, not the process tree without records",
	      r.e == 0 && !strcmp(r.progs, "tp_zd_pgmap_create tp_zd_destroy_begin tp_zd_destroy_end "
				  "tp_zd_folio_init tp_zd_folio_free tp_zd_pgmap_get tp_zd_pgmap_put "
				  "tp_zd_fault tp_zd_cow tp_md_pages tp_md_finalize tp_md_longterm") &&
	      !r.s.unavailable[0] && !r.s.tracks_tasks);
	pick(&r, btf, DEVMEM_MODE_TRACEPOINT, true);
	CHECK("7.3 series with records: the process tree too",
	      r.e == 0 && strstr(r.progs, "tp_md_longterm task_fork task_exit") && r.s.tracks_tasks);
	btf__free(btf);

	btf = make_btf(NULL, ev612, rec612);
	pick(&r, btf, DEVMEM_MODE_TRACEPOINT, true);
	CHECK("6.12 series: the events it has, classic ones by record type; forks without exits "
	      "are no process tree",
	      r.e == 0 && !strcmp(r.progs, "tp_pgmap_create tp_page_init tp_folio_free "
				  "tp_migrate_pages tp_migrate_finalize task_fork") && !r.s.tracks_tasks);
	btf__free(btf);

	btf = make_btf(NULL, no_free, NULL);
	pick(&r, btf, DEVMEM_MODE_TRACEPOINT, false);
	CHECK("an init without a free is refused",
	      r.e == -ENOENT && !strcmp(r.err, "tracepoint: cannot see device pages both handed "
					"out and freed on this kernel (missing: )"));
	btf__free(btf);

	btf = make_btf(NULL, NULL, NULL);
	pick(&r, btf, DEVMEM_MODE_TRACEPOINT, false);
	CHECK("no events: none of its attach points",
	      r.e == -ENOENT && !strcmp(r.err, "tracepoint: none of its attach points exist in "
					"this kernel"));
	btf__free(btf);
}

static void check_fallback(void)
{
	static const char *const fns[] = {
		"memremap_pages", "zone_device_page_init", "free_zone_device_folio",
		"migrate_vma_finalize", "vmemmap_base", NULL,
	};
	static const char *const old_names[] = {
		"memremap_pages", "memunmap_pages", "zone_device_folio_init", "free_zone_device_page",
		"get_dev_pagemap", "migrate_device_coherent_page", "migrate_vma_finalize",
		"migrate_device_finalize", NULL,
	};
	struct pick_result r;
	struct btf *btf = make_btf(fns, NULL, NULL);

	ksyms = fns;
	kprobes_possible = true;
	pick(&r, btf, DEVMEM_MODE_FENTRY, false);
	CHECK("fentry: the functions it has, the fault hook, the rest named",
	      r.e == 0 && !strcmp(r.progs, "kp_fault_hook krp_fault_hook fexit_memremap_pages "
				  "fexit_page_init fentry_folio_free fentry_vma_finalize "
				  "fexit_vma_finalize") &&
	      !strcmp(r.s.unavailable, "memunmap_pages, get_dev_pagemap, "
		      "migrate_device_coherent_folio, migrate_device_finalize, cow_replace, "
		      "put_pgmap (inlined code)"));
	kprobes_possible = false;
	pick(&r, btf, DEVMEM_MODE_KPROBE, false);
	CHECK("kprobe: pairs, no fault hook without kprobes, nothing renamed",
	      r.e == 0 && !strcmp(r.progs, "kp_memremap_pages krp_memremap_pages kp_page_init "
				  "krp_page_init kp_folio_free kp_vma_finalize krp_vma_finalize") &&
	      r.s.nr_kprobe_alt == 0);
	btf__free(btf);

	ksyms = old_names;
	kprobes_possible = true;
	pick(&r, NULL, DEVMEM_MODE_KPROBE, false);
	CHECK("kprobe on older names: attached by hand after load, each kretprobe as one",
	      r.e == 0 && r.s.nr_kprobe_alt == 5 &&
	      !strcmp(r.s.kprobe_alt[0].func, "zone_device_folio_init") && !r.s.kprobe_alt[0].retprobe &&
	      !strcmp(r.s.kprobe_alt[1].func, "zone_device_folio_init") && r.s.kprobe_alt[1].retprobe &&
	      !strcmp(r.s.kprobe_alt[2].func, "free_zone_device_page") && !r.s.kprobe_alt[2].retprobe &&
	      !strcmp(r.s.kprobe_alt[4].func, "migrate_device_coherent_page") &&
	      r.s.kprobe_alt[4].retprobe &&
	      !strcmp(r.s.unavailable, "cow_replace, put_pgmap (inlined code)"));
	ksyms = NULL;
	pick(&r, NULL, DEVMEM_MODE_KPROBE, false);
	CHECK("kprobe with no functions: none of its attach points",
	      r.e == -ENOENT && !strcmp(r.err, "kprobe: none of its attach points exist in this "
					"kernel"));
}

/*
 * A kernel with the pending series "mm: Remove device private pages from
 * the physical address space" (core_fixes.bpf.h): device private pgmaps
 * come from memremap_device_private_pagemap(), never memremap_pages().
 */
static void check_pending(void)
{
	static const char *const fns[] = {
		"memremap_pages", "memunmap_pages", "memremap_device_private_pagemap",
		"memunmap_device_private_pagemap", "zone_device_page_init",
		"free_zone_device_folio", "get_dev_pagemap", "migrate_vma_finalize", NULL,
	};
	static const char *const no_private[] = {
		"memremap_pages", "memunmap_pages", "zone_device_page_init",
		"free_zone_device_folio", NULL,
	};
	struct pick_result r;
	struct btf *btf = make_btf(fns, NULL, NULL);

	ksyms = fns;
	kprobes_possible = false;
	pick(&r, btf, DEVMEM_MODE_FENTRY, false);
	CHECK("pending series, fentry: both pgmap paths, the private one's teardown with its end",
	      r.e == 0 && !strcmp(r.progs, "fexit_memremap_pages fentry_memunmap_pages "
				  "fexit_memunmap_pages fexit_memremap_private "
				  "fentry_memunmap_private fexit_memunmap_private fexit_page_init "
				  "fentry_folio_free fexit_get_dev_pagemap fentry_vma_finalize "
				  "fexit_vma_finalize") &&
	      !strcmp(r.s.unavailable, "migrate_device_coherent_folio, migrate_device_finalize, "
		      "cow_replace, put_pgmap (inlined code)"));
	pick(&r, btf, DEVMEM_MODE_KPROBE, false);
	CHECK("pending series, kprobe: both pgmap paths as pairs, by their own names",
	      r.e == 0 && !strcmp(r.progs, "kp_memremap_pages krp_memremap_pages "
				  "kp_memunmap_pages krp_memunmap_pages kp_memremap_private "
				  "krp_memremap_private kp_memunmap_private krp_memunmap_private "
				  "kp_page_init krp_page_init kp_folio_free kp_get_dev_pagemap "
				  "krp_get_dev_pagemap kp_vma_finalize krp_vma_finalize") &&
	      r.s.nr_kprobe_alt == 0);
	btf__free(btf);

	btf = make_btf(no_private, NULL, NULL);
	ksyms = no_private;
	pick(&r, btf, DEVMEM_MODE_FENTRY, false);
	CHECK("without the series, fentry: no private pgmap programs, and nothing missed for it",
	      r.e == 0 && !strcmp(r.progs, "fexit_memremap_pages fentry_memunmap_pages "
				  "fexit_memunmap_pages fexit_page_init fentry_folio_free") &&
	      !strstr(r.s.unavailable, "private"));
	pick(&r, btf, DEVMEM_MODE_KPROBE, false);
	CHECK("without the series, kprobe: no private pgmap programs, and nothing missed for it",
	      r.e == 0 && !strcmp(r.progs, "kp_memremap_pages krp_memremap_pages "
				  "kp_memunmap_pages krp_memunmap_pages kp_page_init krp_page_init "
				  "kp_folio_free") &&
	      !strstr(r.s.unavailable, "private"));
	btf__free(btf);
	ksyms = NULL;
}

/*
 * A kernel with the class-based migrate_device events (the rework,
 * tests/vm-rework.sh's fixture): both fallback modes take their batches
 * from three of them, all or none, and the tracepoint mode none.
 */
static void check_rework(void)
{
	static const char *const fns[] = {
		"memremap_pages", "memunmap_pages", "zone_device_page_init",
		"free_zone_device_folio", "get_dev_pagemap", "migrate_device_coherent_folio",
		"migrate_vma_finalize", "migrate_device_finalize", NULL,
	};
	static const char *const events[] = {
		"btf_trace_migrate_vma_setup_start", "btf_trace_migrate_vma_setup_done",
		"btf_trace_migrate_vma_pages_done", "btf_trace_migrate_vma_finalize_start",
		"btf_trace_migrate_vma_finalize_done", "btf_trace_migrate_device_unmap_done",
		"btf_trace_migrate_device_pages_done", "btf_trace_migrate_device_finalize_start",
		"btf_trace_migrate_device_finalize_done", "btf_trace_migrate_device_folio_finalize",
		NULL,
	};
	static const char *const partial[] = {
		"btf_trace_migrate_vma_finalize_start", "btf_trace_migrate_device_finalize_start",
		NULL,
	};
	struct pick_result r;
	struct btf *btf = make_btf(fns, events, NULL);

	ksyms = fns;
	kprobes_possible = true;
	pick(&r, btf, DEVMEM_MODE_FENTRY, false);
	CHECK("rework, fentry: batches from migrate_vma_finalize_start, _done and "
	      "migrate_device_finalize_start, not from fentry",
	      r.e == 0 && r.s.batches_from_events &&
	      !strcmp(r.progs, "kp_fault_hook krp_fault_hook fexit_memremap_pages "
		      "fentry_memunmap_pages fexit_memunmap_pages fexit_page_init "
		      "fentry_folio_free fexit_get_dev_pagemap fexit_longterm "
		      "rw_vma_finalize rw_vma_fin_done rw_dev_finalize") &&
	      !strcmp(r.s.unavailable, "cow_replace, put_pgmap (inlined code)"));
	pick(&r, btf, DEVMEM_MODE_KPROBE, false);
	CHECK("rework, kprobe: the same three events, no kprobe on a finalize",
	      r.e == 0 && r.s.batches_from_events &&
	      !strcmp(r.progs, "kp_fault_hook krp_fault_hook kp_memremap_pages krp_memremap_pages "
		      "kp_memunmap_pages krp_memunmap_pages kp_page_init krp_page_init "
		      "kp_folio_free kp_get_dev_pagemap krp_get_dev_pagemap kp_longterm "
		      "krp_longterm rw_vma_finalize rw_vma_fin_done rw_dev_finalize"));
	pick(&r, btf, DEVMEM_MODE_TRACEPOINT, false);
	CHECK("rework, tracepoint mode: none of the series' events, no attach",
	      r.e == -ENOENT && !r.s.batches_from_events &&
	      !strcmp(r.err, "tracepoint: none of its attach points exist in this kernel"));
	btf__free(btf);

	btf = make_btf(fns, partial, NULL);
	pick(&r, btf, DEVMEM_MODE_FENTRY, false);
	CHECK("two of the three events: batches from fentry, as without them",
	      r.e == 0 && !r.s.batches_from_events &&
	      strstr(r.progs, "fentry_vma_finalize fexit_vma_finalize fentry_device_finalize") &&
	      !strstr(r.progs, "rw_"));
	btf__free(btf);
	ksyms = NULL;
}

/*
 * Each prototype the fallback programs read, as the kernels that have it
 * spell it (core_fixes.bpf.h): the rodata says where the order is and
 * whether get_dev_pagemap()'s second argument is a pgmap.
 */
static void check_prototypes(void)
{
	static const struct kfn k61[] = {
		{ "memremap_pages", 2 }, { "memunmap_pages", 1 }, { "zone_device_page_init", 1 },
		{ "free_zone_device_page", 1 }, { "get_dev_pagemap", 2 },
		{ "migrate_device_coherent_page", 1 }, { NULL, 0 },
	}, k612[] = {
		{ "memremap_pages", 2 }, { "memunmap_pages", 1 }, { "zone_device_page_init", 1 },
		{ "free_zone_device_folio", 1 }, { "get_dev_pagemap", 2 },
		{ "migrate_device_coherent_folio", 1 }, { NULL, 0 },
	}, k618[] = {
		{ "zone_device_page_init", 1 }, { "free_zone_device_folio", 1 },
		{ "get_dev_pagemap", 1 }, { NULL, 0 },
	}, k619[] = {
		{ "zone_device_page_init", 2 }, { "free_zone_device_folio", 1 },
		{ "get_dev_pagemap", 1 }, { NULL, 0 },
	}, k73[] = {
		{ "memremap_pages", 2 }, { "memunmap_pages", 1 }, { "zone_device_page_init", 3 },
		{ "free_zone_device_folio", 1 }, { "get_dev_pagemap", 1 },
		{ "migrate_device_coherent_folio", 1 }, { NULL, 0 },
	}, pending[] = {
		{ "memremap_pages", 2 }, { "memunmap_pages", 1 },
		{ "memremap_device_private_pagemap", 2 }, { "memunmap_device_private_pagemap", 1 },
		{ "zone_device_page_init", 3 }, { "free_zone_device_folio", 1 },
		{ "get_dev_pagemap", 1 }, { NULL, 0 },
	}, folio_only[] = {
		{ "zone_device_folio_init", 2 }, { "free_zone_device_folio", 1 }, { NULL, 0 },
	};
	static const struct {
		const char *what;
		const struct kfn *fns;
		unsigned int order_arg;
		bool cached_arg;
	} kernels[] = {
		{ "6.1: zone_device_page_init(page), get_dev_pagemap(pfn, pgmap)", k61, 0, true },
		{ "6.12: the same prototypes, folio names", k612, 0, true },
		{ "6.18: get_dev_pagemap(pfn)", k618, 0, false },
		{ "6.19: zone_device_page_init(page, order)", k619, 1, false },
		{ "7.3: zone_device_page_init(page, pgmap, order)", k73, 2, false },
		{ "pending series: 7.3's prototypes", pending, 2, false },
		{ "only zone_device_folio_init(folio, order)", folio_only, 1, true },
	};
	struct pick_result r;
	const char *names[8];
	char name[160];

	/*
	 * In kprobe mode, whose older names resolve by kallsyms here: in
	 * fentry mode libbpf would look them up in this machine's BTF.
	 */
	kprobes_possible = false;
	for (size_t i = 0; i < ARRAY_LEN(kernels); i++) {
		struct btf *btf = make_kernel(kernels[i].fns);
		size_t n = 0;

		while (kernels[i].fns[n].name && n < ARRAY_LEN(names) - 1) {
			names[n] = kernels[i].fns[n].name;
			n++;
		}
		names[n] = NULL;
		ksyms = names;
		pick(&r, btf, DEVMEM_MODE_KPROBE, false);
		snprintf(name, sizeof(name), "%s: the order is argument %u, the cached pgmap %s",
			 kernels[i].what, kernels[i].order_arg,
			 kernels[i].cached_arg ? "is passed" : "is gone");
		CHECK(name, r.e == 0 && r.order_arg == kernels[i].order_arg &&
		      r.cached_arg == kernels[i].cached_arg);
		btf__free(btf);
	}
	ksyms = NULL;
	pick(&r, NULL, DEVMEM_MODE_KPROBE, false);
	CHECK("no BTF: no order argument, the cached pgmap kept as before",
	      r.order_arg == 0 && r.cached_arg);
}

int main(void)
{
	struct devmem_bpf *skel = devmem_bpf__open();

	libbpf_set_print(NULL);
	CHECK("the skeleton opens", skel != NULL);
	if (skel)
		check_tables(skel);
	devmem_bpf__destroy(skel);
	check_tracepoint();
	check_fallback();
	check_pending();
	check_prototypes();
	check_rework();
	return failures ? 1 : 0;
}
