/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Allocation stacks from the BPF stack map, as "frame;frame;..." text. */
#ifndef DEVMEM_STACKS_H
#define DEVMEM_STACKS_H

#include <stddef.h>
#include <stdint.h>
#include "attach.h"
#include "ksyms.h"

/* Returns buf, or "" when the id is unknown. */
const char *devmem_stack_text(const struct devmem_session *s, const struct ksyms *k,
			      int32_t id, char *buf, size_t len);

#endif
