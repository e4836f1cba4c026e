/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Stuck faults: threads whose CPU fault on a device private page repeats
 * without moving anything (DEVMEM_FAULT_NO_PROGRESS, docs/counting.md).
 * The BPF side lists each such thread in fault_spins; a snapshot of that
 * table is judged here, without libbpf (stuck_live.c reads the table):
 *  - a spin is live while its thread's last repeat is at most
 *    DEVMEM_SPIN_LIVE_NS old (a killed or unstuck thread stops repeating);
 *  - a live spin is stuck once it has spun (last repeat - first fault)
 *    for stuck_after_ns or more (devmemtop --stuck-after, default 1 s).
 */
#ifndef DEVMEM_STUCK_H
#define DEVMEM_STUCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "devmem_abi.h"
#include "json.h"
#include "state.h"

#define DEVMEM_STUCK_AFTER_NS_DEFAULT 1000000000ull
#define DEVMEM_SPIN_LIVE_NS 1000000000ull
/* An entry that has not moved this long is deleted from the BPF table. */
#define DEVMEM_SPIN_FORGET_NS (10 * 1000000000ull)

enum devmem_spin_state {
	DEVMEM_SPIN_ENDED,	/* no repeat for DEVMEM_SPIN_LIVE_NS */
	DEVMEM_SPIN_SPINNING,	/* live, not for long enough yet */
	DEVMEM_SPIN_STUCK,
};

struct devmem_spin {
	uint32_t pid, tid;
	char comm[DEVMEM_COMM_LEN];
	uint64_t pgmap, pfn, address;
	uint64_t first_ns, last_ns, repeats;
	enum devmem_spin_state state;
};

struct devmem_spins {
	struct devmem_spin *v;	/* after devmem_spins_judge(): stuck first,
				 * longest spin first */
	size_t n, cap;
	size_t nr_stuck, nr_spinning;
	uint64_t oom;		/* entries we had no memory to keep */
};

enum devmem_spin_state devmem_spin_classify(uint64_t first_ns, uint64_t last_ns, uint64_t now_ns,
					    uint64_t stuck_after_ns);
static inline uint64_t devmem_spin_ns(const struct devmem_spin *e)
{
	return e->last_ns > e->first_ns ? e->last_ns - e->first_ns : 0;
}
/* Should user space delete this entry from the BPF table? */
bool devmem_spin_forget(uint64_t last_ns, uint64_t now_ns);
void devmem_spins_clear(struct devmem_spins *s);	/* keeps the memory */
int devmem_spins_add(struct devmem_spins *s, const struct devmem_spin *e);	/* 0 or -ENOMEM */
/*
 * Classify every entry at now_ns, sort them, and set each pgmap and
 * process row's stuck count (0 for the others). filter_pid: only its.
 */
void devmem_spins_judge(struct devmem_spins *s, struct devmem_state *st, uint64_t now_ns,
			uint64_t stuck_after_ns, uint32_t filter_pid);
/* The stuck ones, as the elements of an array the caller opened. */
void devmem_json_stuck(struct json *j, const struct devmem_spins *s, const struct devmem_state *st);
/* One line of text for a stuck entry, without a newline. */
const char *devmem_stuck_text(const struct devmem_spin *e, const struct devmem_state *st,
			      char *buf, size_t len);
void devmem_spins_free(struct devmem_spins *s);

#endif
