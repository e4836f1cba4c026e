/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Feature probing and attaching: one pass decides which set of programs
 * can run on this kernel (the devmem tracepoints, fentry, kprobes), loads
 * only those and attaches them. Every tool starts here.
 */
#ifndef DEVMEM_ATTACH_H
#define DEVMEM_ATTACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "devmem_abi.h"

/* Exit codes shared by all tools (docs/exit-codes.md). */
enum devmem_exit {
	DEVMEM_EXIT_OK = 0,
	DEVMEM_EXIT_ERROR = 1,		/* runtime error */
	DEVMEM_EXIT_USAGE = 2,
	DEVMEM_EXIT_PERM = 3,		/* not allowed to load BPF programs */
	DEVMEM_EXIT_NOTHING = 4,	/* nothing to trace: no tracepoints, no fallback */
	DEVMEM_EXIT_NO_BTF = 5,		/* kernel without BTF */
};

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
};

struct devmem_bpf;
struct devmem_session {
	struct devmem_bpf *skel;
	enum devmem_mode mode;
	char unavailable[256];	/* what this mode cannot see, for the user */
};

const char *devmem_mode_name(enum devmem_mode mode);
int devmem_mode_parse(const char *s, enum devmem_mode *mode);
/* Returns DEVMEM_EXIT_OK or another enum devmem_exit; err says why. */
int devmem_attach(struct devmem_session *s, const struct devmem_attach_opts *o,
		  char *err, size_t errlen);
void devmem_detach(struct devmem_session *s);
int devmem_events_fd(const struct devmem_session *s);
/* Losses so far: drops[DEVMEM_DROP_*] summed over CPUs, and BPF recursion misses. */
void devmem_read_drops(const struct devmem_session *s, uint64_t drops[DEVMEM_DROP_MAX],
		       uint64_t *recursion_misses);

#endif
