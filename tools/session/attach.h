/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Feature probing and attaching: one pass decides which set of programs
 * can run on this kernel (the devmem tracepoints, fentry, kprobes: the
 * tables of modes.c), loads only those and attaches them. Every tool
 * starts here.
 */
#ifndef DEVMEM_ATTACH_H
#define DEVMEM_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "devmem_abi.h"
#include "exit_codes.h"


enum devmem_mode {
	DEVMEM_MODE_AUTO,
	DEVMEM_MODE_TRACEPOINT,
	DEVMEM_MODE_FENTRY,
	DEVMEM_MODE_KPROBE,
};

struct devmem_attach_opts {
	enum devmem_mode mode;
	uint32_t filter_pid;
	bool stacks;
	/*
	 * What the BPF side produces (docs/counting.md): per-CPU totals for a
	 * live view, or one record per event for a recording. Ask for one.
	 */
	bool counts, records;
	uint32_t ringbuf_bytes;	/* 0: the default; a power of 2 >= 4096 */
	/*
	 * Processes counted at once (counts only): their slots come back only
	 * when the caller forgets processes (devmem_proc_forget_kernel()).
	 * 0: DEVMEM_MAX_PROCS.
	 */
	uint32_t max_procs;
};

struct devmem_bpf;
struct ring_buffer;
struct bpf_program;
#define DEVMEM_MAX_KPROBE_ALT 8
struct devmem_session {
	struct devmem_bpf *skel;
	struct ring_buffer *rb;	/* devmem_session_records() */
	enum devmem_mode mode;
	char unavailable[256];	/* what this mode cannot see, for the user */
	bool tracks_tasks;	/* with records: forks and exits come too (DEVMEM_REC_TASK_*) */
	bool batches_from_events;	/* fallback modes: migrations from rework.bpf.h's events */
	/* kprobes whose function has another name on this kernel (modes.c) */
	struct {
		struct bpf_program *prog;
		const char *func;
		bool retprobe;
	} kprobe_alt[DEVMEM_MAX_KPROBE_ALT];
	size_t nr_kprobe_alt;
	struct devmem_fault_hooks *fault_hooks;	/* fallback modes: fault_hooks.h */
	struct devmem_slot_returns *slot_returns;	/* live views: slots.h */
};

const char *devmem_mode_name(enum devmem_mode mode);
int devmem_mode_parse(const char *s, enum devmem_mode *mode);
/* Returns DEVMEM_EXIT_OK or another enum devmem_exit; err says why. */
int devmem_attach(struct devmem_session *s, const struct devmem_attach_opts *o,
		  char *err, size_t errlen);
/* Takes what is left in the ring buffer, then detaches everything. */
void devmem_detach(struct devmem_session *s);
int devmem_events_fd(const struct devmem_session *s);
/* kretprobe instances that ran out on a kprobe link (0 when unknown). */
uint64_t devmem_kprobe_link_missed(int link_fd);
/*
 * Losses so far: drops[DEVMEM_DROP_*] summed over CPUs (with kretprobe
 * misses in DEVMEM_DROP_PROBE_MISSED), and BPF recursion misses. Returns
 * 0, or -errno when the drop counters cannot be read (no memory, a map
 * lookup failed): drops and *recursion_misses are then left as they
 * were, and the losses are unknown, which is not none: no verdict.
 */
int devmem_read_drops(const struct devmem_session *s, uint64_t drops[DEVMEM_DROP_MAX],
		      uint64_t *recursion_misses);

/*
 * The one event loop every tool shares. Records go to fn(ctx, data, size);
 * devmem_session_poll() waits up to timeout_ms and then takes everything
 * waiting (the BPF side wakes readers only for a full 256 KiB). It returns
 * 0, or -errno of a real error (EINTR is not one).
 */
typedef int (*devmem_record_fn)(void *ctx, void *data, size_t size);
int devmem_session_records(struct devmem_session *s, devmem_record_fn fn, void *ctx,
			   char *err, size_t errlen);
int devmem_session_poll(struct devmem_session *s, int timeout_ms);
/* SIGINT and SIGTERM set devmem_stop (to the signal); tools leave their loop on it. */
extern volatile int devmem_stop;
void devmem_catch_signals(void);

#endif
