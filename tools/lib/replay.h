/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One replay path: records from the live ring buffer or, later, from a
 * trace file are checked against the ABI here and handed to callbacks.
 * Every tool fills a struct devmem_ops with what it cares about, so live
 * tools and reports cannot disagree about what an event means.
 */
#ifndef DEVMEM_REPLAY_H
#define DEVMEM_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include "devmem_abi.h"

struct devmem_ops {
	void (*pgmap_create)(void *ctx, const struct devmem_rec_pgmap *r);
	void (*pgmap_destroy)(void *ctx, const struct devmem_rec_pgmap *r);
	void (*page_init)(void *ctx, const struct devmem_rec_page *r);
	void (*folio_free)(void *ctx, const struct devmem_rec_page *r);
	void (*get_pgmap)(void *ctx, const struct devmem_rec_pgmap_ref *r);
	void (*put_pgmap)(void *ctx, const struct devmem_rec_pgmap_ref *r);
	void (*longterm)(void *ctx, const struct devmem_rec_longterm *r);
	void (*cow)(void *ctx, const struct devmem_rec_cow *r);
	void (*fault)(void *ctx, const struct devmem_rec_fault *r);
	void (*migrate)(void *ctx, const struct devmem_rec_migrate *r);
	void (*pgmap_wait)(void *ctx, const struct devmem_rec_pgmap_wait *r);
	/* The process tree (struct devmem_rec_task): forks and group exits. */
	void (*task_fork)(void *ctx, const struct devmem_rec_task *r);
	void (*task_exit)(void *ctx, const struct devmem_rec_task *r);
};

enum devmem_replay_err {
	DEVMEM_REPLAY_OK = 0,
	DEVMEM_REPLAY_SHORT,		/* smaller than a header */
	DEVMEM_REPLAY_SIZE,		/* header size disagrees with the data */
	DEVMEM_REPLAY_TYPE,		/* unknown type: skipped */
	DEVMEM_REPLAY_TYPE_SIZE,	/* too small for its type */
};

/* Check one record and dispatch it (ops may be NULL: check only);
 * returns enum devmem_replay_err. */
int devmem_replay_record(const void *data, size_t size,
			 const struct devmem_ops *ops, void *ctx);
const char *devmem_replay_strerror(int err);
const char *devmem_rec_type_name(unsigned int type);
/* The pgmap a record names (0 if none); call only on a checked record. */
uint64_t devmem_rec_pgmap(const struct devmem_rec_hdr *h);

#endif
