/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* bench/owner-lookup: what its BPF and user sides share. */
#ifndef OWNER_LOOKUP_H
#define OWNER_LOOKUP_H

/* The most live pages a run asks for: one pgmap of 4 GiB. */
#define OWNER_MAX_PAGES (1u << 20)
/* Array designs: owner words per array element (64 bytes, 4 per page). */
#define OWNER_BLOCK_PAGES 16
/* The arena's user address: 4 GiB aligned, so an arena offset is a pointer. */
#define OWNER_ARENA_ADDR (1ULL << 44)

#endif
