/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The attach modes as tables of skeleton programs (modes.c): which
 * programs each mode loads, on which kernel, what each is for, and which
 * the mode cannot do without. Only attach.c uses it.
 */
#ifndef DEVMEM_MODES_H
#define DEVMEM_MODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "attach.h"

struct btf;
struct devmem_bpf;

/*
 * Set up an opened skeleton for one mode on this kernel: every program
 * not in the mode's tables, or whose attach point this kernel lacks, is
 * not loaded; the process tree's programs load only with records. Fills
 * s->unavailable, s->kprobe_alt and s->tracks_tasks, and the rodata the
 * fallback programs read of this kernel's prototypes. Returns 0, or
 * -ENOENT with err saying why the mode cannot attach here.
 */
int devmem_mode_pick(struct devmem_session *s, struct devmem_bpf *skel, const struct btf *btf,
		     enum devmem_mode mode, bool records, char *err, size_t errlen);

#endif
