// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which programs each attach mode loads (bpf/devmem.bpf.c): one table per
 * mode, and per series in tracepoint mode. A row names skeleton programs,
 * so a program renamed in bpf/ without its row fails to compile, and one
 * in no row is never loaded. Where a program attaches is its section's
 * business; whether this kernel has that event or function, the BTF's
 * (tracepoint, fentry) or kallsyms' (kprobe).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ksyms.h"
#include "modes.h"
#include "fault_hooks.h"
#include "devmem.skel.h"

static const char *const mode_names[] = {
	[DEVMEM_MODE_AUTO] = "auto",
	[DEVMEM_MODE_TRACEPOINT] = "tracepoint",
	[DEVMEM_MODE_FENTRY] = "fentry",
	[DEVMEM_MODE_KPROBE] = "kprobe",
};

const char *devmem_mode_name(enum devmem_mode mode)
{
	return mode_names[mode];
}

int devmem_mode_parse(const char *s, enum devmem_mode *mode)
{
	size_t i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(s, mode_names[i])) {
			*mode = i;
			return 0;
		}
	return -EINVAL;
}

/* A skeleton program, by field: a rename in bpf/ fails to compile here. */
#define PROG(name) offsetof(struct devmem_bpf, progs.name)
#define NONE 0		/* no program: the skeleton's programs follow its object */
_Static_assert(offsetof(struct devmem_bpf, progs) > 0, "NONE is no program's offset");
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Live page counts need both ends of a page's life: a mode attaches only
 * if a REQUIRED_INIT and a REQUIRED_FREE row of its tables load (in
 * tracepoint mode, of one series or the other). An OPTIONAL row whose
 * attach point this kernel lacks is left out; in the fallback modes its
 * function is named in what the mode cannot see (s->unavailable). An
 * IF_PRESENT row is a function only some kernels have, whose work other
 * rows see where it is absent: left out silently.
 */
enum need { OPTIONAL, REQUIRED_INIT, REQUIRED_FREE, IF_PRESENT };

/* Tracepoint mode: one event. */
struct tp_row {
	size_t prog;
	enum need need;
	const char *record;	/* classic tracepoint: its record's BTF struct; NULL: tp_btf */
	const char *what;
};

/* Fallback modes: one kernel function, the section's. */
struct fn_row {
	size_t entry, ret;	/* fentry or kprobe; fexit or kretprobe; NONE */
	enum need need;
	const char *alt;	/* the function's name on other kernels (core_fixes.bpf.h) */
	const char *what;
};

/* Tracepoint mode, 6.12 series (kpatches/6.12/): tp_612.bpf.h. */
static const struct tp_row tp_612[] = {
	{ PROG(tp_pgmap_create),     OPTIONAL,      NULL, "pgmap created" },
	{ PROG(tp_pgmap_destroy),    OPTIONAL,      NULL, "pgmap torn down" },
	{ PROG(tp_page_init),        REQUIRED_INIT, NULL, "page handed out" },
	{ PROG(tp_folio_free),       REQUIRED_FREE, NULL, "page freed" },
	{ PROG(tp_get_pgmap),        OPTIONAL,      NULL, "pgmap reference taken" },
	{ PROG(tp_put_pgmap),        OPTIONAL,      NULL, "pgmap reference dropped" },
	{ PROG(tp_longterm),         OPTIONAL,      NULL, "coherent folio moved (long-term pin)" },
	{ PROG(tp_cow),              OPTIONAL,      NULL, "device page replaced on CoW" },
	{ PROG(tp_fault),            OPTIONAL,      NULL, "device private fault" },
	{ PROG(tp_migrate_setup),    OPTIONAL,      "trace_event_raw_devmem_migrate_collect",
	                                            "migrate_vma_setup() batch" },
	{ PROG(tp_migrate_range),    OPTIONAL,      "trace_event_raw_devmem_migrate_collect",
	                                            "migrate_device_range() batch" },
	{ PROG(tp_migrate_pages),    OPTIONAL,      "trace_event_raw_devmem_migrate_batch",
	                                            "a batch's pages moved" },
	{ PROG(tp_migrate_finalize), OPTIONAL,      "trace_event_raw_devmem_migrate_batch",
	                                            "a batch finalized" },
};

/* Tracepoint mode, 7.3 series (kpatches/): tp_73.bpf.h. */
static const struct tp_row tp_73[] = {
	{ PROG(tp_zd_pgmap_create),  OPTIONAL,      NULL, "pgmap created" },
	{ PROG(tp_zd_destroy_begin), OPTIONAL,      NULL, "pgmap teardown begins, its live pages" },
	{ PROG(tp_zd_destroy_end),   OPTIONAL,      NULL, "pgmap teardown ends, its wait" },
	{ PROG(tp_zd_folio_init),    REQUIRED_INIT, NULL, "folio handed out" },
	{ PROG(tp_zd_folio_free),    REQUIRED_FREE, NULL, "folio freed" },
	{ PROG(tp_zd_pgmap_get),     OPTIONAL,      NULL, "pgmap references taken" },
	{ PROG(tp_zd_pgmap_put),     OPTIONAL,      NULL, "pgmap references dropped" },
	{ PROG(tp_zd_fault),         OPTIONAL,      NULL, "device private fault, its latency" },
	{ PROG(tp_zd_cow),           OPTIONAL,      NULL, "device page replaced on CoW" },
	{ PROG(tp_md_pages),         OPTIONAL,      NULL, "a batch's pages moved, by direction" },
	{ PROG(tp_md_finalize),      OPTIONAL,      NULL, "a batch committed, by direction" },
	{ PROG(tp_md_longterm),      OPTIONAL,      NULL, "coherent folio moved (long-term pin)" },
};

/*
 * fentry mode: fentry.bpf.h. A row: on entry, on return, need; the
 * function's name on other kernels, what for. Those names: the folio
 * variant beside zone_device_page_init() since 6.19, and the page ones
 * before 6.10 (free) and 6.12 (coherent migration); core_fixes.bpf.h.
 */
static const struct fn_row fentry_fns[] = {
	{ NONE,                         PROG(fexit_memremap_pages),   OPTIONAL,
	  NULL,                           "pgmap created" },
	{ PROG(fentry_memunmap_pages),  PROG(fexit_memunmap_pages),   OPTIONAL,
	  NULL,                           "pgmap teardown begins; ends, its wait" },
	{ NONE,                         PROG(fexit_memremap_private), IF_PRESENT,
	  NULL,                           "device private pgmap created (pending series)" },
	{ PROG(fentry_memunmap_private), PROG(fexit_memunmap_private), IF_PRESENT,
	  NULL,                           "device private pgmap teardown (pending series)" },
	{ NONE,                         PROG(fexit_page_init),        REQUIRED_INIT,
	  "zone_device_folio_init",       "page or folio handed out" },
	{ PROG(fentry_folio_free),      NONE,                         REQUIRED_FREE,
	  "free_zone_device_page",        "folio freed" },
	{ NONE,                         PROG(fexit_get_dev_pagemap),  OPTIONAL,
	  NULL,                           "pgmap reference taken" },
	{ NONE,                         PROG(fexit_longterm),         OPTIONAL,
	  "migrate_device_coherent_page", "coherent folio moved (long-term pin)" },
};

/* fentry mode's migration batches, unless the kernel has rework[]'s events. */
static const struct fn_row fentry_batch_fns[] = {
	{ PROG(fentry_vma_finalize),    PROG(fexit_vma_finalize),     OPTIONAL,
	  NULL,                           "a batch's pages moved; faults through it" },
	{ PROG(fentry_device_finalize), NONE,                         OPTIONAL,
	  NULL,                           "a migrate_device_range() batch moved" },
};

/* kprobe mode: kprobe.bpf.h; a kretprobe reads what its kprobe stashed. */
static const struct fn_row kprobe_fns[] = {
	{ PROG(kp_memremap_pages),      PROG(krp_memremap_pages),     OPTIONAL,
	  NULL,                           "pgmap created" },
	{ PROG(kp_memunmap_pages),      PROG(krp_memunmap_pages),     OPTIONAL,
	  NULL,                           "pgmap teardown begins; ends, its wait" },
	{ PROG(kp_memremap_private),    PROG(krp_memremap_private),   IF_PRESENT,
	  NULL,                           "device private pgmap created (pending series)" },
	{ PROG(kp_memunmap_private),    PROG(krp_memunmap_private),   IF_PRESENT,
	  NULL,                           "device private pgmap teardown (pending series)" },
	{ PROG(kp_page_init),           PROG(krp_page_init),          REQUIRED_INIT,
	  "zone_device_folio_init",       "page or folio handed out" },
	{ PROG(kp_folio_free),          NONE,                         REQUIRED_FREE,
	  "free_zone_device_page",        "folio freed" },
	{ PROG(kp_get_dev_pagemap),     PROG(krp_get_dev_pagemap),    OPTIONAL,
	  NULL,                           "pgmap reference taken" },
	{ PROG(kp_longterm),            PROG(krp_longterm),           OPTIONAL,
	  "migrate_device_coherent_page", "coherent folio moved (long-term pin)" },
};

/* kprobe mode's migration batches, unless the kernel has rework[]'s events. */
static const struct fn_row kprobe_batch_fns[] = {
	{ PROG(kp_vma_finalize),        PROG(krp_vma_finalize),       OPTIONAL,
	  NULL,                           "a batch's pages moved; faults through it" },
	{ PROG(kp_device_finalize),     NONE,                         OPTIONAL,
	  NULL,                           "a migrate_device_range() batch moved" },
};

/*
 * Both fallback modes, on a kernel with the class-based migrate_device
 * tracepoints (the rework of Balbir Singh's events, linux-mm 392093f93bd2;
 * our fixture kernel, tests/vm-rework.sh): migration batches from those,
 * in place of the *_batch_fns rows; rework.bpf.h. All three, or none: a
 * migrate_vma batch fires migrate_device_finalize_start too, and only the
 * other two tell it from a migrate_device_range() one.
 */
static const struct tp_row rework[] = {
	{ PROG(rw_vma_finalize),     OPTIONAL,      NULL, "a batch's pages moved; faults through it" },
	{ PROG(rw_vma_fin_done),     OPTIONAL,      NULL, "a migrate_vma batch ends" },
	{ PROG(rw_dev_finalize),     OPTIONAL,      NULL, "a migrate_device_range() batch moved" },
};

/*
 * Both fallback modes, where this kernel takes kprobes: device private
 * faults through each driver's ->migrate_to_ram(), attached at run time
 * by fault_hooks.c, never by the skeleton.
 */
static const struct fn_row fault_hook =
	{ PROG(kp_fault_hook),          PROG(krp_fault_hook),         OPTIONAL,
	  NULL,                           "device private fault, its latency, result" };

/* Every mode, records only: the process tree. Both, or neither is of use. */
static const struct tp_row tasks[] = {
	{ PROG(task_fork),           OPTIONAL,      NULL, "process forked (DEVMEM_REC_TASK_FORK)" },
	{ PROG(task_exit),           OPTIONAL,      NULL, "process ended (DEVMEM_REC_TASK_EXIT)" },
};

static struct bpf_program *prog_of(struct devmem_bpf *skel, size_t field)
{
	return field == NONE ? NULL : *(struct bpf_program **)((char *)skel + field);
}

/* The kernel function or event a program attaches to: its section after '/'. */
static const char *prog_target(const struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p), *slash = strrchr(sec, '/');

	return slash ? slash + 1 : sec;
}

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && btf__find_by_name_kind(btf, name, kind) > 0;
}

/* One pass over a mode's tables: what loaded, what this kernel lacks. */
struct pick {
	struct devmem_session *s;
	struct devmem_bpf *skel;
	const struct btf *btf;
	enum devmem_mode mode;
	int n;			/* rows loaded */
	bool sees_init, sees_free;
};

static void row_loads(struct pick *k, enum need need)
{
	k->n++;
	k->sees_init |= need == REQUIRED_INIT;
	k->sees_free |= need == REQUIRED_FREE;
}

/* Tracepoint rows load where the kernel has the event. */
static void pick_tp(struct pick *k, const struct tp_row *rows, size_t n)
{
	char tname[128];
	size_t i;

	for (i = 0; i < n; i++) {
		struct bpf_program *p = prog_of(k->skel, rows[i].prog);

		snprintf(tname, sizeof(tname), "btf_trace_%s", prog_target(p));
		if (rows[i].record ? !btf_has(k->btf, rows[i].record, BTF_KIND_STRUCT) :
				     !btf_has(k->btf, tname, BTF_KIND_TYPEDEF))
			continue;
		bpf_program__set_autoload(p, true);
		row_loads(k, rows[i].need);
	}
}

static void add_unavailable(struct devmem_session *s, const char *target)
{
	if (!strstr(s->unavailable, target) &&
	    strlen(s->unavailable) + strlen(target) + 3 < sizeof(s->unavailable)) {
		if (s->unavailable[0])
			strcat(s->unavailable, ", ");
		strcat(s->unavailable, target);
	}
}

/*
 * Does this kernel have the row's function, under its name or its alt?
 * 1 if so, 0 if not, -1 if a program cannot take the alt. Under the alt,
 * fentry programs are retargeted now; kprobes attach by name from their
 * section, so they are attached by hand after load (s->kprobe_alt).
 */
static int fn_usable(struct pick *k, const struct fn_row *r, struct bpf_program *const p[2])
{
	const char *target = prog_target(p[0] ? p[0] : p[1]);
	struct devmem_session *s = k->s;
	int i;

	if (k->mode == DEVMEM_MODE_FENTRY) {
		if (btf_has(k->btf, target, BTF_KIND_FUNC))
			return 1;
		if (!r->alt || !btf_has(k->btf, r->alt, BTF_KIND_FUNC))
			return 0;
		for (i = 0; i < 2; i++)
			if (p[i] && bpf_program__set_attach_target(p[i], 0, r->alt))
				return -1;
		return 1;
	}
	if (ksyms_lookup(target, NULL))
		return 1;
	if (!r->alt || !ksyms_lookup(r->alt, NULL) ||
	    s->nr_kprobe_alt + !!p[0] + !!p[1] > DEVMEM_MAX_KPROBE_ALT)
		return 0;
	for (i = 0; i < 2; i++)
		if (p[i]) {
			bpf_program__set_autoattach(p[i], false);
			s->kprobe_alt[s->nr_kprobe_alt].prog = p[i];
			s->kprobe_alt[s->nr_kprobe_alt].retprobe = i == 1;
			s->kprobe_alt[s->nr_kprobe_alt++].func = r->alt;
		}
	return 1;
}

/* Function rows load where the kernel has the function; else it is named. */
static void pick_fn(struct pick *k, const struct fn_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct bpf_program *p[2] = { prog_of(k->skel, rows[i].entry),
					     prog_of(k->skel, rows[i].ret) };
		int usable = fn_usable(k, &rows[i], p);

		if (!usable && rows[i].need != IF_PRESENT)
			add_unavailable(k->s, prog_target(p[0] ? p[0] : p[1]));
		if (usable <= 0)
			continue;
		if (p[0])
			bpf_program__set_autoload(p[0], true);
		if (p[1])
			bpf_program__set_autoload(p[1], true);
		row_loads(k, rows[i].need);
	}
}

/* How many parameters a kernel function takes, by its BTF; -1: unknown. */
static int fn_params(const struct btf *btf, const char *name)
{
	const struct btf_type *fn, *proto;
	int id = btf ? btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) : -1;

	fn = id > 0 ? btf__type_by_id(btf, id) : NULL;
	proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
	return proto && btf_is_func_proto(proto) ? btf_vlen(proto) : -1;
}

/*
 * What the fallback programs read of this kernel's prototypes
 * (core_fixes.bpf.h). Where zone_device_page_init() keeps the folio
 * order: (page) before 6.19, (page, order), then (page, pgmap, order)
 * since 7.0; 0 when it has none. Whether get_dev_pagemap() still takes
 * a cached pgmap (before 6.18): kretprobes compare the result with it.
 */
static void pick_args(struct devmem_bpf *skel, const struct btf *btf)
{
	int n = fn_params(btf, "zone_device_page_init");

	if (n < 0)
		n = fn_params(btf, "zone_device_folio_init");
	skel->rodata->page_init_order_arg = n >= 2 ? n - 1 : 0;
	skel->rodata->get_pgmap_cached_arg = fn_params(btf, "get_dev_pagemap") != 1;
}

/* Does the kernel have every event of a tracepoint table? */
static bool has_all_tp(const struct pick *k, const struct tp_row *rows, size_t n)
{
	char tname[128];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(tname, sizeof(tname), "btf_trace_%s",
			 prog_target(prog_of(k->skel, rows[i].prog)));
		if (!btf_has(k->btf, tname, BTF_KIND_TYPEDEF))
			return false;
	}
	return true;
}

/* A fallback mode's migration batches: the rework's events, or its own rows. */
static void pick_batches(struct pick *k, const struct fn_row *rows, size_t n)
{
	k->s->batches_from_events = has_all_tp(k, rework, ARRAY_LEN(rework));
	if (k->s->batches_from_events)
		pick_tp(k, rework, ARRAY_LEN(rework));
	else
		pick_fn(k, rows, n);
}

/* The process tree, with records, where the kernel has both events. */
static bool pick_tasks(struct pick *k)
{
	int on = 0;
	size_t i;

	for (i = 0; i < ARRAY_LEN(tasks); i++) {
		struct bpf_program *p = prog_of(k->skel, tasks[i].prog);
		char tname[128];

		snprintf(tname, sizeof(tname), "btf_trace_%s", prog_target(p));
		if (btf_has(k->btf, tname, BTF_KIND_TYPEDEF)) {
			bpf_program__set_autoload(p, true);
			on++;
		}
	}
	return on == ARRAY_LEN(tasks);
}

int devmem_mode_pick(struct devmem_session *s, struct devmem_bpf *skel, const struct btf *btf,
		     enum devmem_mode mode, bool records, char *err, size_t errlen)
{
	struct pick k = { s, skel, btf, mode, 0, false, false };
	struct bpf_program *p;
	bool hook_faults;
	int i;

	s->unavailable[0] = 0;
	s->nr_kprobe_alt = 0;
	s->batches_from_events = false;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	switch (mode) {
	case DEVMEM_MODE_TRACEPOINT:	/* whichever series this kernel has */
		pick_tp(&k, tp_612, ARRAY_LEN(tp_612));
		pick_tp(&k, tp_73, ARRAY_LEN(tp_73));
		break;
	case DEVMEM_MODE_FENTRY:
		pick_fn(&k, fentry_fns, ARRAY_LEN(fentry_fns));
		pick_batches(&k, fentry_batch_fns, ARRAY_LEN(fentry_batch_fns));
		break;
	case DEVMEM_MODE_KPROBE:
		pick_fn(&k, kprobe_fns, ARRAY_LEN(kprobe_fns));
		pick_batches(&k, kprobe_batch_fns, ARRAY_LEN(kprobe_batch_fns));
		break;
	case DEVMEM_MODE_AUTO:		/* a choice among these, never asked for here */
		break;
	}
	pick_args(skel, btf);
	hook_faults = mode != DEVMEM_MODE_TRACEPOINT && devmem_fault_hooks_possible();
	for (i = 0; i < 2; i++) {
		p = prog_of(skel, i ? fault_hook.ret : fault_hook.entry);
		bpf_program__set_autoload(p, hook_faults);
		bpf_program__set_autoattach(p, false);
	}
	s->tracks_tasks = records && pick_tasks(&k);
	if (!k.n) {
		snprintf(err, errlen, "%s: none of its attach points exist in this kernel",
			 mode_names[mode]);
		return -ENOENT;
	}
	if (!k.sees_init || !k.sees_free) {
		snprintf(err, errlen, "%s: cannot see device pages both handed out and freed "
			 "on this kernel (missing: %.200s)", mode_names[mode], s->unavailable);
		return -ENOENT;
	}
	if (mode != DEVMEM_MODE_TRACEPOINT)
		snprintf(s->unavailable + strlen(s->unavailable),
			 sizeof(s->unavailable) - strlen(s->unavailable),
			 "%scow_replace, put_pgmap (inlined code)",
			 s->unavailable[0] ? ", " : "");
	return 0;
}
