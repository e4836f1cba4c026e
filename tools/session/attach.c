// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "fault_hooks.h"
#include "devmem_maps.h"
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

/* Which mode a program belongs to, from its name prefix. */
static enum devmem_mode prog_mode(const char *name)
{
	if (!strncmp(name, "tp_", 3))
		return DEVMEM_MODE_TRACEPOINT;
	if (!strncmp(name, "fentry_", 7) || !strncmp(name, "fexit_", 6))
		return DEVMEM_MODE_FENTRY;
	return DEVMEM_MODE_KPROBE;
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

static bool kallsyms_has(const char *name, uint64_t *addr)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char sym[256], type;
	unsigned long long a;
	bool found = false;

	if (!f)
		return false;
	while (fscanf(f, "%llx %c %255s%*[^\n]", &a, &type, sym) == 3)
		if (!strcmp(sym, name)) {
			found = true;
			if (addr)
				*addr = a;
			break;
		}
	fclose(f);
	return found;
}

/*
 * Fallback targets under another name on other kernels: the function a
 * program is written against, and the name to try instead. Each program
 * reads only arguments that kept their meaning. See core_fixes.bpf.h.
 */
static const struct {
	const char *target, *alt;
} renamed[] = {
	{ "zone_device_page_init", "zone_device_folio_init" },		/* 6.18 */
	{ "free_zone_device_folio", "free_zone_device_page" },		/* before 6.10 */
	{ "migrate_device_coherent_folio", "migrate_device_coherent_page" },	/* before 6.12 */
};

/*
 * Is the program usable in this mode on this kernel? Sets its attach target
 * when the function was renamed (core_fixes.bpf.h). Missing optional
 * targets are listed in s->unavailable.
 */
static bool prog_usable(struct devmem_session *s, struct bpf_program *p,
			const struct btf *btf, enum devmem_mode mode)
{
	const char *target = prog_target(p);

	if (mode == DEVMEM_MODE_TRACEPOINT) {
		char tname[128];

		/* classic tracepoints: the event's record type */
		if (!strncmp(bpf_program__section_name(p), "tracepoint/", 11))
			snprintf(tname, sizeof(tname), "trace_event_raw_%s",
				 strstr(target, "migrate_vma") || strstr(target, "device_range") ?
				 "devmem_migrate_collect" : "devmem_migrate_batch");
		else
			snprintf(tname, sizeof(tname), "btf_trace_%s", target);
		return btf_has(btf, tname, strncmp(tname, "btf_", 4) ? BTF_KIND_STRUCT :
			       BTF_KIND_TYPEDEF);
	}
	for (size_t i = 0; mode == DEVMEM_MODE_FENTRY && i < sizeof(renamed) / sizeof(renamed[0]); i++)
		if (!strcmp(target, renamed[i].target) && !btf_has(btf, target, BTF_KIND_FUNC) &&
		    btf_has(btf, renamed[i].alt, BTF_KIND_FUNC))
			return !bpf_program__set_attach_target(p, 0, renamed[i].alt);
	/*
	 * kprobes attach by name from the section: a renamed target is attached
	 * by hand after load (kprobe_attach_renamed()).
	 */
	for (size_t i = 0; mode == DEVMEM_MODE_KPROBE && i < sizeof(renamed) / sizeof(renamed[0]); i++)
		if (!strcmp(target, renamed[i].target) && !kallsyms_has(target, NULL) &&
		    kallsyms_has(renamed[i].alt, NULL) && s->nr_kprobe_alt < DEVMEM_MAX_KPROBE_ALT) {
			bpf_program__set_autoattach(p, false);
			s->kprobe_alt[s->nr_kprobe_alt].prog = p;
			s->kprobe_alt[s->nr_kprobe_alt++].func = renamed[i].alt;
			return true;
		}
	if (mode == DEVMEM_MODE_FENTRY ? btf_has(btf, target, BTF_KIND_FUNC) :
					 kallsyms_has(target, NULL))
		return true;
	if (!strstr(s->unavailable, target) &&
	    strlen(s->unavailable) + strlen(target) + 3 < sizeof(s->unavailable)) {
		if (s->unavailable[0])
			strcat(s->unavailable, ", ");
		strcat(s->unavailable, target);
	}
	return false;
}

/*
 * Where zone_device_page_init() keeps the folio order: (page) before 6.18,
 * (page, order), then (page, pgmap, order) since 7.0. 0 when it has none.
 */
static unsigned int page_init_order_arg(const struct btf *btf)
{
	static const char *const names[] = { "zone_device_page_init", "zone_device_folio_init" };
	const struct btf_type *fn, *proto;
	size_t i;
	int id;

	for (i = 0; btf && i < sizeof(names) / sizeof(names[0]); i++) {
		id = btf__find_by_name_kind(btf, names[i], BTF_KIND_FUNC);
		if (id <= 0)
			continue;
		fn = btf__type_by_id(btf, id);
		proto = fn ? btf__type_by_id(btf, fn->type) : NULL;
		if (proto && btf_is_func_proto(proto))
			return btf_vlen(proto) >= 2 ? btf_vlen(proto) - 1 : 0;
	}
	return 0;
}

/* Attach the kprobes whose function has another name here; 0 or -errno. */
static int kprobe_attach_renamed(struct devmem_session *s, struct devmem_bpf *skel)
{
	const struct bpf_object_skeleton *sk = skel->skeleton;

	for (size_t i = 0; i < s->nr_kprobe_alt; i++) {
		struct bpf_program *p = s->kprobe_alt[i].prog;
		bool ret = !strncmp(bpf_program__section_name(p), "kretprobe/", 10);
		struct bpf_link *l = bpf_program__attach_kprobe(p, ret, s->kprobe_alt[i].func);

		if (!l)
			return -errno;
		/* into the skeleton's slot, so that detaching destroys it */
		for (int j = 0; j < sk->prog_cnt; j++)
			if (*sk->progs[j].prog == p)
				*sk->progs[j].link = l;
	}
	return 0;
}

static int try_mode(struct devmem_session *s, const struct devmem_attach_opts *o,
		    const struct btf *btf, enum devmem_mode mode, char *err, size_t errlen)
{
	struct devmem_bpf *skel;
	struct bpf_program *p;
	uint64_t vmemmap = 0;
	bool sees_init = false, sees_free = false;
	bool hook_faults = mode != DEVMEM_MODE_TRACEPOINT && devmem_fault_hooks_possible();
	int n = 0, ntask = 0, e;

	s->unavailable[0] = 0;
	s->nr_kprobe_alt = 0;
	skel = devmem_bpf__open();
	if (!skel) {
		snprintf(err, errlen, "%s: cannot open BPF object: %s", mode_names[mode], strerror(errno));
		return -errno;
	}
	bpf_object__for_each_program(p, skel->obj) {
		bool on;

		/* Faults in both fallback modes, attached at run time (fault_hooks.h). */
		if (p == skel->progs.kp_fault_hook || p == skel->progs.krp_fault_hook) {
			bpf_program__set_autoload(p, hook_faults);
			bpf_program__set_autoattach(p, false);
			continue;
		}

		/*
		 * The process tree (task_*) serves every mode, records only;
		 * it does not count as seeing device memory.
		 */
		if (!strncmp(bpf_program__name(p), "task_", 5)) {
			on = o->records && btf_has(btf, strcmp(bpf_program__name(p), "task_fork") ?
						   "btf_trace_sched_process_exit" :
						   "btf_trace_sched_process_fork", BTF_KIND_TYPEDEF);
			bpf_program__set_autoload(p, on);
			ntask += on;
			continue;
		}
		on = prog_mode(bpf_program__name(p)) == mode && prog_usable(s, p, btf, mode);
		bpf_program__set_autoload(p, on);
		n += on;
		/* Without both of these, live page counts would be wrong. */
		sees_init |= on && (strstr(bpf_program__name(p), "page_init") ||
				    strstr(bpf_program__name(p), "folio_init"));
		sees_free |= on && strstr(bpf_program__name(p), "folio_free");
	}
	s->tracks_tasks = ntask == 2;	/* forks and exits, or neither is of use */
	if (!n) {
		snprintf(err, errlen, "%s: none of its attach points exist in this kernel",
			 mode_names[mode]);
		devmem_bpf__destroy(skel);
		return -ENOENT;
	}
	if (!sees_init || !sees_free) {
		snprintf(err, errlen, "%s: cannot see device pages both handed out and freed "
			 "on this kernel (missing: %.200s)", mode_names[mode], s->unavailable);
		devmem_bpf__destroy(skel);
		return -ENOENT;
	}
	if (kallsyms_has("vmemmap_base", &vmemmap))
		skel->rodata->vmemmap_base_addr = vmemmap;
	skel->rodata->page_init_order_arg = page_init_order_arg(btf);
	skel->rodata->refs_on_free = mode != DEVMEM_MODE_TRACEPOINT;
	skel->rodata->learn_fault_hooks = hook_faults;
	skel->rodata->filter_pid = o->filter_pid;
	skel->rodata->capture_stacks = o->stacks;
	skel->rodata->count_in_kernel = o->counts;
	skel->rodata->emit_records = o->records;
	skel->rodata->track_owners = o->counts || o->filter_pid || mode != DEVMEM_MODE_TRACEPOINT;
	skel->rodata->teardown_ends = bpf_program__autoload(skel->progs.tp_zd_destroy_end) ||
				      bpf_program__autoload(skel->progs.fexit_memunmap_pages) ||
				      bpf_program__autoload(skel->progs.krp_memunmap_pages);
	{
		/* Per-CPU slots take memory on every CPU: only what is asked for. */
		uint32_t procs = !o->counts ? 1 : o->max_procs ? o->max_procs : DEVMEM_MAX_PROCS;

		skel->rodata->max_procs = procs;
		bpf_map__set_max_entries(skel->maps.proc_counts, procs);
		bpf_map__set_max_entries(skel->maps.proc_slot, procs);
		bpf_map__set_max_entries(skel->maps.free_proc_slots, procs);
	}
	if (o->ringbuf_bytes && bpf_map__set_max_entries(skel->maps.events, o->ringbuf_bytes)) {
		snprintf(err, errlen, "ring buffer size %u: not a power of 2 of at least a page",
			 o->ringbuf_bytes);
		devmem_bpf__destroy(skel);
		return -EINVAL;
	}
	if (mode == DEVMEM_MODE_TRACEPOINT)
		s->unavailable[0] = 0;
	else
		snprintf(s->unavailable + strlen(s->unavailable),
			 sizeof(s->unavailable) - strlen(s->unavailable),
			 "%scow_replace, put_pgmap (inlined code)",
			 s->unavailable[0] ? ", " : "");
	e = devmem_bpf__load(skel);
	if (!e)
		e = devmem_bpf__attach(skel);
	if (!e)
		e = kprobe_attach_renamed(s, skel);
	if (!e && hook_faults)
		e = devmem_fault_hooks_init(s);
	if (e) {
		e = e < 0 ? e : -errno;
		snprintf(err, errlen, "%s: %s", mode_names[mode], strerror(-e));
		devmem_fault_hooks_free(s);
		devmem_bpf__destroy(skel);
		return e;
	}
	s->skel = skel;
	s->mode = mode;
	return 0;
}

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_WARN && getenv("DEVMEM_DEBUG"))
		return vfprintf(stderr, fmt, args);
	if (level == LIBBPF_DEBUG && getenv("DEVMEM_DEBUG") && atoi(getenv("DEVMEM_DEBUG")) > 1)
		return vfprintf(stderr, fmt, args);
	return 0;
}

int devmem_attach(struct devmem_session *s, const struct devmem_attach_opts *o,
		  char *err, size_t errlen)
{
	static const enum devmem_mode order[] = {
		DEVMEM_MODE_TRACEPOINT, DEVMEM_MODE_FENTRY, DEVMEM_MODE_KPROBE,
	};
	char why[3][320] = { "", "", "" };
	struct btf *btf;
	sigset_t stops, was;
	bool perm = false;
	size_t i;
	int e;

	memset(s, 0, sizeof(*s));
	libbpf_set_print(quiet_libbpf);
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		snprintf(err, errlen, "this kernel has no BTF (/sys/kernel/btf/vmlinux): "
			 "devmemscope needs CONFIG_DEBUG_INFO_BTF=y");
		return DEVMEM_EXIT_NO_BTF;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		snprintf(err, errlen, "cannot read the kernel's BTF: %s", strerror(errno));
		return DEVMEM_EXIT_NO_BTF;
	}
	/*
	 * A stop signal waits until the programs are in: one pending during a
	 * load makes the verifier start over, and five in a row would fail
	 * the mode and fall back to another. The tool sees it right after.
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigprocmask(SIG_BLOCK, &stops, &was);
	for (i = 0; i < 3; i++) {
		if (o->mode != DEVMEM_MODE_AUTO && o->mode != order[i])
			continue;
		e = try_mode(s, o, btf, order[i], why[i], sizeof(why[i]));
		if (!e)
			break;
		perm |= e == -EPERM || e == -EACCES;
	}
	sigprocmask(SIG_SETMASK, &was, NULL);
	btf__free(btf);
	if (s->skel)
		return DEVMEM_EXIT_OK;
	snprintf(err, errlen, "cannot attach to this kernel:%s%s%s%s%s%s%s",
		 why[0][0] ? "\n  " : "", why[0], why[1][0] ? "\n  " : "", why[1],
		 why[2][0] ? "\n  " : "", why[2],
		 perm && geteuid() ? "\n  (run as root: loading BPF needs CAP_BPF and CAP_PERFMON)" : "");
	return perm && geteuid() ? DEVMEM_EXIT_PERM : DEVMEM_EXIT_NOTHING;
}

void devmem_detach(struct devmem_session *s)
{
	if (s->rb) {
		ring_buffer__consume(s->rb);
		ring_buffer__free(s->rb);
		s->rb = NULL;
	}
	devmem_fault_hooks_free(s);
	devmem_bpf__destroy(s->skel);
	s->skel = NULL;
}

volatile int devmem_stop;

static void on_stop_signal(int sig)
{
	devmem_stop = sig;	/* which one, for an exit status */
}

void devmem_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

uint64_t devmem_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int devmem_session_records(struct devmem_session *s, devmem_record_fn fn, void *ctx,
			   char *err, size_t errlen)
{
	s->rb = ring_buffer__new(devmem_events_fd(s), fn, ctx, NULL);
	if (!s->rb) {
		int e = -errno;

		snprintf(err, errlen, "ring buffer: %s", strerror(-e));
		return e;
	}
	return 0;
}

int devmem_session_poll(struct devmem_session *s, int timeout_ms)
{
	int e;

	devmem_fault_hooks_update(s, false);
	if (!s->rb) {
		struct timespec ts = { timeout_ms / 1000, (timeout_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		return 0;
	}
	e = ring_buffer__poll(s->rb, timeout_ms);
	if (e == -EINTR)
		e = 0;
	if (e >= 0)
		e = ring_buffer__consume(s->rb);
	if (e == -EINTR)
		e = 0;
	return e < 0 ? e : 0;
}

/*
 * kretprobe instances that ran out (rp->nmissed), from the perf-event
 * link's info (Linux 6.7+: bpf_link_info.perf_event.kprobe.missed). The
 * UAPI headers of this build may predate the field: read it by offset.
 */
#define LINK_INFO_PERF_EVENT_TYPE_OFF 16
#define LINK_INFO_KPROBE_MISSED_OFF 48
#define PERF_EVENT_KPROBE_TYPE 3
#define PERF_EVENT_KRETPROBE_TYPE 4

uint64_t devmem_kprobe_link_missed(int link_fd)
{
	uint64_t raw[32] = { 0 }, missed;
	uint32_t len = sizeof(raw), type, ptype;

	if (bpf_obj_get_info_by_fd(link_fd, raw, &len) || len < LINK_INFO_KPROBE_MISSED_OFF + 8)
		return 0;
	memcpy(&type, raw, sizeof(type));
	memcpy(&ptype, (char *)raw + LINK_INFO_PERF_EVENT_TYPE_OFF, sizeof(ptype));
	if (type != BPF_LINK_TYPE_PERF_EVENT ||
	    (ptype != PERF_EVENT_KPROBE_TYPE && ptype != PERF_EVENT_KRETPROBE_TYPE))
		return 0;
	memcpy(&missed, (char *)raw + LINK_INFO_KPROBE_MISSED_OFF, sizeof(missed));
	return missed;
}

int devmem_events_fd(const struct devmem_session *s)
{
	return bpf_map__fd(s->skel->maps.events);
}

void devmem_read_drops(const struct devmem_session *s, uint64_t drops[DEVMEM_DROP_MAX],
		       uint64_t *recursion_misses)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(s->skel->maps.drops);
	uint64_t *vals = calloc(ncpu > 0 ? ncpu : 1, sizeof(*vals));
	struct bpf_program *p;
	uint32_t k;
	int c;

	for (k = 0; k < DEVMEM_DROP_MAX; k++) {
		drops[k] = 0;
		if (vals && !bpf_map_lookup_elem(fd, &k, vals))
			for (c = 0; c < ncpu; c++)
				drops[k] += vals[c];
	}
	free(vals);
	for (int i = 0; i < s->skel->skeleton->prog_cnt; i++) {
		struct bpf_link *l = *s->skel->skeleton->progs[i].link;

		if (l && s->mode == DEVMEM_MODE_KPROBE)
			drops[DEVMEM_DROP_PROBE_MISSED] += devmem_kprobe_link_missed(bpf_link__fd(l));
	}
	drops[DEVMEM_DROP_PROBE_MISSED] += devmem_fault_hooks_missed(s);
	*recursion_misses = 0;
	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int pfd = bpf_program__fd(p);

		if (pfd >= 0 && !bpf_obj_get_info_by_fd(pfd, &info, &len))
			*recursion_misses += info.recursion_misses;
	}
}

bool devmem_in_init_pidns(void)
{
	struct stat st;

	/* A kernel without pid namespaces (no such file) has only the initial one. */
	if (stat("/proc/self/ns/pid", &st))
		return true;
	/* PROC_PID_INIT_INO: the initial pid namespace's fixed inode number */
	return st.st_ino == 0xEFFFFFFCU;
}

const char *devmem_debugfs_pgmaps(void)
{
	static const char *const paths[] = {
		"/sys/kernel/debug/zone_device/pgmaps",	/* kpatches/ (7.3) */
		"/sys/kernel/debug/devmem/pgmaps",	/* kpatches/6.12/ */
	};
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], F_OK))
			return paths[i];
	return paths[0];
}
