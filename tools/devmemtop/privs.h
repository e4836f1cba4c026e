/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The exporter's privilege drop (docs/metrics.md#privileges): once the
 * programs are attached and the one-time reads are done, devmemtop keeps
 * only the capabilities its steady state uses, empties the bounding and
 * ambient sets and sets no_new_privs.
 */
#ifndef DEVMEMTOP_PRIVS_H
#define DEVMEMTOP_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The capabilities, as a CapEff mask, that the steady state needs:
 * CAP_PERFMON when drivers' fault callbacks are hooked as they appear
 * (kprobes, the fentry and kprobe modes), and CAP_SYS_ADMIN with it where
 * perf_event_paranoid is above 2 (Debian, Ubuntu); else none.
 */
uint64_t top_caps_needed(bool hooks_faults);
/*
 * Keep the files whose content depends on the opener's capabilities
 * open, then drop to keep. 0, or -1 with err saying which step failed
 * (devmemtop then stops: it was asked to serve without privileges).
 */
int top_drop_privileges(uint64_t keep, char *err, size_t errlen);

#endif
