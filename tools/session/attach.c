// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* program_invocation_short_name: -v says which tool tried what. */
#define _GNU_SOURCE
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
#include "options.h"
#include "fault_hooks.h"
#include "ksyms.h"
#include "modes.h"
#include "slots.h"
#include "devmem_maps.h"
#include "devmem.skel.h"

/* Attach the kprobes whose function has another name here; 0 or -errno. */
static int kprobe_attach_renamed(struct devmem_session *s, struct devmem_bpf *skel)
{
	const struct bpf_object_skeleton *sk = skel->skeleton;

	for (size_t i = 0; i < s->nr_kprobe_alt; i++) {
		struct bpf_program *p = s->kprobe_alt[i].prog;
		struct bpf_link *l = bpf_program__attach_kprobe(p, s->kprobe_alt[i].retprobe,
								s->kprobe_alt[i].func);

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
	uint64_t vmemmap = 0;
	bool hook_faults;
	int e;

	s->unavailable[0] = 0;
	s->nr_kprobe_alt = 0;
	skel = devmem_bpf__open();
	if (!skel) {
		snprintf(err, errlen, "%s: cannot open BPF object: %s", devmem_mode_name(mode),
			 strerror(errno));
		return -errno;
	}
	e = devmem_mode_pick(s, skel, btf, mode, o->records, err, errlen);
	if (e) {
		devmem_bpf__destroy(skel);
		return e;
	}
	/* Faults in both fallback modes, attached at run time (fault_hooks.h). */
	hook_faults = bpf_program__autoload(skel->progs.kp_fault_hook);
	if (ksyms_lookup("vmemmap_base", &vmemmap))
		skel->rodata->vmemmap_base_addr = vmemmap;
	skel->rodata->refs_on_free = mode != DEVMEM_MODE_TRACEPOINT;
	skel->rodata->learn_fault_hooks = hook_faults;
	skel->rodata->filter_pid = o->filter_pid;
	skel->rodata->capture_stacks = o->stacks;
	skel->rodata->count_in_kernel = o->counts;
	skel->rodata->emit_records = o->records;
	skel->rodata->track_owners = o->counts || o->filter_pid || mode != DEVMEM_MODE_TRACEPOINT;
	skel->rodata->teardown_ends = bpf_program__autoload(skel->progs.tp_zd_destroy_end) ||
				      bpf_program__autoload(skel->progs.fexit_memunmap_pages) ||
				      bpf_program__autoload(skel->progs.krp_memunmap_pages) ||
				      bpf_program__autoload(skel->progs.fexit_memunmap_private) ||
				      bpf_program__autoload(skel->progs.krp_memunmap_private);
	{
		/* Per-CPU slots take memory on every CPU: only what is asked for. */
		uint32_t procs = !o->counts ? 1 : o->max_procs ? o->max_procs : DEVMEM_MAX_PROCS;

		skel->rodata->max_procs = procs;
		bpf_map__set_max_entries(skel->maps.proc_counts, procs);
		bpf_map__set_max_entries(skel->maps.proc_slot, procs);
		bpf_map__set_max_entries(skel->maps.free_proc_slots, procs);
	}
	/*
	 * A recording keeps no totals, so retires no pgmap (slots.bpf.h): its
	 * pgmap_meta keeps the dead ones, whose names it writes at the end,
	 * and forgets the least recently used when full. A live pgmap that
	 * goes is learned again from the kernel at its next event.
	 */
	if (!o->counts)
		bpf_map__set_type(skel->maps.pgmap_meta, BPF_MAP_TYPE_LRU_HASH);
	if (o->ringbuf_bytes && bpf_map__set_max_entries(skel->maps.events, o->ringbuf_bytes)) {
		snprintf(err, errlen, "ring buffer size %u: not a power of 2 of at least a page",
			 o->ringbuf_bytes);
		devmem_bpf__destroy(skel);
		return -EINVAL;
	}
	e = devmem_bpf__load(skel);
	if (!e)
		e = devmem_bpf__attach(skel);
	if (!e)
		e = kprobe_attach_renamed(s, skel);
	if (!e && hook_faults)
		e = devmem_fault_hooks_init(s);
	if (e) {
		e = e < 0 ? e : -errno;
		snprintf(err, errlen, "%s: %s", devmem_mode_name(mode), strerror(-e));
		devmem_fault_hooks_free(s);
		devmem_bpf__destroy(skel);
		return e;
	}
	s->skel = skel;
	s->mode = mode;
	return 0;
}

/*
 * libbpf's messages, by -v: a mode that fails to load is normal (auto
 * tries the next), so its warnings are noise unless asked for.
 */
static int verbose_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if ((level == LIBBPF_WARN && devmem_verbose >= 1) ||
	    (level == LIBBPF_INFO && devmem_verbose >= 1) ||
	    (level == LIBBPF_DEBUG && devmem_verbose >= 2))
		return vfprintf(stderr, fmt, args);
	return 0;
}

/* -v: where the programs went, by section (the fault hooks: "kprobe"). */
static void print_attached(const struct devmem_session *s)
{
	struct bpf_program *p;

	fprintf(stderr, "%s: programs:", program_invocation_short_name);
	bpf_object__for_each_program(p, s->skel->obj)
		if (bpf_program__autoload(p))
			fprintf(stderr, " %s", bpf_program__section_name(p));
	fprintf(stderr, "\n");
	if (s->batches_from_events)
		fprintf(stderr, "%s: migration batches from the migrate_device tracepoints\n",
			program_invocation_short_name);
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
	libbpf_set_print(verbose_libbpf);
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
		if (devmem_verbose)
			fprintf(stderr, "%s: trying %s mode\n", program_invocation_short_name,
				devmem_mode_name(order[i]));
		e = try_mode(s, o, btf, order[i], why[i], sizeof(why[i]));
		if (devmem_verbose)
			fprintf(stderr, "%s: %s mode: %s\n", program_invocation_short_name,
				devmem_mode_name(order[i]), e ? why[i] : "attached");
		if (devmem_verbose && !e)
			print_attached(s);
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
	devmem_slots_free(s);
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

int devmem_read_drops(const struct devmem_session *s, uint64_t drops[DEVMEM_DROP_MAX],
		      uint64_t *recursion_misses)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(s->skel->maps.drops), e = 0;
	uint64_t sum[DEVMEM_DROP_MAX] = { 0 }, misses = 0, *vals;
	struct bpf_program *p;
	uint32_t k;
	int c;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (k = 0; k < DEVMEM_DROP_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals)) {
			e = -errno;
			break;
		}
		for (c = 0; c < ncpu; c++)
			sum[k] += vals[c];
	}
	free(vals);
	if (e)
		return e;
	for (int i = 0; i < s->skel->skeleton->prog_cnt; i++) {
		struct bpf_link *l = *s->skel->skeleton->progs[i].link;

		if (l && s->mode == DEVMEM_MODE_KPROBE)
			sum[DEVMEM_DROP_PROBE_MISSED] += devmem_kprobe_link_missed(bpf_link__fd(l));
	}
	sum[DEVMEM_DROP_PROBE_MISSED] += devmem_fault_hooks_missed(s);
	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int pfd = bpf_program__fd(p);

		if (pfd >= 0 && !bpf_obj_get_info_by_fd(pfd, &info, &len))
			misses += info.recursion_misses;
	}
	memcpy(drops, sum, sizeof(sum));
	*recursion_misses = misses;
	return 0;
}

