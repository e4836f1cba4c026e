// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "replay.h"

#include <stddef.h>
#include <string.h>

/* min: the record's size in ABI 1 (or when the type appeared); size: now. */
#define V2(type, v1_end) offsetof(type, v1_end), sizeof(type)
static const struct {
	const char *name;
	size_t min, size;
} rec_types[DEVMEM_REC_TYPE_MAX] = {
	[DEVMEM_REC_PGMAP_CREATE]	= { "pgmap_create", sizeof(struct devmem_rec_pgmap),
					    sizeof(struct devmem_rec_pgmap) },
	[DEVMEM_REC_PGMAP_DESTROY]	= { "pgmap_destroy", sizeof(struct devmem_rec_pgmap),
					    sizeof(struct devmem_rec_pgmap) },
	[DEVMEM_REC_PAGE_INIT]		= { "page_init", V2(struct devmem_rec_page, nr_pages) },
	[DEVMEM_REC_FOLIO_FREE]		= { "folio_free", V2(struct devmem_rec_page, nr_pages) },
	[DEVMEM_REC_GET_PGMAP]		= { "get_pgmap", V2(struct devmem_rec_pgmap_ref, nr) },
	[DEVMEM_REC_PUT_PGMAP]		= { "put_pgmap", V2(struct devmem_rec_pgmap_ref, nr) },
	[DEVMEM_REC_LONGTERM]		= { "longterm_migrate", V2(struct devmem_rec_longterm, nr_pages) },
	[DEVMEM_REC_COW]		= { "cow_replace", V2(struct devmem_rec_cow, old_index) },
	[DEVMEM_REC_FAULT]		= { "fault", V2(struct devmem_rec_fault, latency_ns) },
	[DEVMEM_REC_MIGRATE]		= { "migrate", sizeof(struct devmem_rec_migrate),
					    sizeof(struct devmem_rec_migrate) },
	[DEVMEM_REC_PGMAP_WAIT]		= { "pgmap_wait", V2(struct devmem_rec_pgmap_wait, stack_id) },
	[DEVMEM_REC_TASK_FORK]		= { "task_fork", sizeof(struct devmem_rec_task),
					    sizeof(struct devmem_rec_task) },
	[DEVMEM_REC_TASK_EXIT]		= { "task_exit", sizeof(struct devmem_rec_task),
					    sizeof(struct devmem_rec_task) },
};

/*
 * An older record, completed: ABI 1 ones say one page, one reference; ABI
 * 1-3 ones DEVMEM_INDEX_FROM_PFN, for the reader to derive.
 */
union rec_upgrade {
	struct devmem_rec_page page;
	struct devmem_rec_pgmap_ref ref;
	struct devmem_rec_longterm longterm;
	struct devmem_rec_cow cow;
	struct devmem_rec_fault fault;
	struct devmem_rec_pgmap_wait wait;
};

/* The record of size lacks member m of type (appended after it was written). */
#define LACKS(type, m) (size < offsetof(type, m) + sizeof(((type *)0)->m))

static const void *upgrade(const void *data, size_t size, union rec_upgrade *u)
{
	const struct devmem_rec_hdr *h = data;

	memset(u, 0, sizeof(*u));
	memcpy(u, data, size);
	switch (h->type) {
	case DEVMEM_REC_PAGE_INIT:
	case DEVMEM_REC_FOLIO_FREE:
		if (LACKS(struct devmem_rec_page, nr_pages))
			u->page.nr_pages = 1;
		if (LACKS(struct devmem_rec_page, index))
			u->page.index = DEVMEM_INDEX_FROM_PFN;
		break;
	case DEVMEM_REC_GET_PGMAP:
	case DEVMEM_REC_PUT_PGMAP:
		if (LACKS(struct devmem_rec_pgmap_ref, nr))
			u->ref.nr = h->type == DEVMEM_REC_PUT_PGMAP || u->ref.pgmap ? 1 : 0;
		if (LACKS(struct devmem_rec_pgmap_ref, index))
			u->ref.index = DEVMEM_INDEX_FROM_PFN;
		break;
	case DEVMEM_REC_LONGTERM:
		if (LACKS(struct devmem_rec_longterm, nr_pages))
			u->longterm.nr_pages = 1;
		if (LACKS(struct devmem_rec_longterm, src_index))
			u->longterm.src_index = DEVMEM_INDEX_FROM_PFN;
		break;
	case DEVMEM_REC_COW:
		if (LACKS(struct devmem_rec_cow, old_index))
			u->cow.old_index = DEVMEM_INDEX_FROM_PFN;
		break;
	case DEVMEM_REC_FAULT:
		if (LACKS(struct devmem_rec_fault, nr_pages))
			u->fault.nr_pages = 1;
		if (LACKS(struct devmem_rec_fault, index))
			u->fault.index = DEVMEM_INDEX_FROM_PFN;
		break;
	case DEVMEM_REC_PGMAP_WAIT:
		if (LACKS(struct devmem_rec_pgmap_wait, stack_id))
			u->wait.stack_id = -1;
		break;
	}
	return u;
}

const char *devmem_rec_type_name(unsigned int type)
{
	return type < DEVMEM_REC_TYPE_MAX && rec_types[type].name ?
	       rec_types[type].name : "unknown";
}

const char *devmem_replay_strerror(int err)
{
	switch (err) {
	case DEVMEM_REPLAY_OK:		return "ok";
	case DEVMEM_REPLAY_SHORT:	return "record shorter than its header";
	case DEVMEM_REPLAY_SIZE:	return "record size field disagrees with its length";
	case DEVMEM_REPLAY_TYPE:	return "unknown record type";
	case DEVMEM_REPLAY_TYPE_SIZE:	return "record too small for its type";
	}
	return "unknown error";
}

#define CALL(fn, type) \
	do { if (ops && ops->fn) ops->fn(ctx, (const type *)data); } while (0)

static inline __attribute__((always_inline)) void dispatch(unsigned int type, const void *data,
						     const struct devmem_ops *ops, void *ctx)
{
	switch (type) {
	case DEVMEM_REC_PGMAP_CREATE:	CALL(pgmap_create, struct devmem_rec_pgmap); break;
	case DEVMEM_REC_PGMAP_DESTROY:	CALL(pgmap_destroy, struct devmem_rec_pgmap); break;
	case DEVMEM_REC_PAGE_INIT:	CALL(page_init, struct devmem_rec_page); break;
	case DEVMEM_REC_FOLIO_FREE:	CALL(folio_free, struct devmem_rec_page); break;
	case DEVMEM_REC_GET_PGMAP:	CALL(get_pgmap, struct devmem_rec_pgmap_ref); break;
	case DEVMEM_REC_PUT_PGMAP:	CALL(put_pgmap, struct devmem_rec_pgmap_ref); break;
	case DEVMEM_REC_LONGTERM:	CALL(longterm, struct devmem_rec_longterm); break;
	case DEVMEM_REC_COW:		CALL(cow, struct devmem_rec_cow); break;
	case DEVMEM_REC_FAULT:		CALL(fault, struct devmem_rec_fault); break;
	case DEVMEM_REC_MIGRATE:	CALL(migrate, struct devmem_rec_migrate); break;
	case DEVMEM_REC_PGMAP_WAIT:	CALL(pgmap_wait, struct devmem_rec_pgmap_wait); break;
	case DEVMEM_REC_TASK_FORK:	CALL(task_fork, struct devmem_rec_task); break;
	case DEVMEM_REC_TASK_EXIT:	CALL(task_exit, struct devmem_rec_task); break;
	}
}

/* Out of line: the completed copy's stack would cost every record its setup. */
static __attribute__((noinline, cold)) void dispatch_upgraded(unsigned int type, const void *data,
							       size_t size,
							       const struct devmem_ops *ops,
							       void *ctx)
{
	union rec_upgrade u;

	dispatch(type, upgrade(data, size, &u), ops, ctx);
}

int devmem_replay_record(const void *data, size_t size,
			 const struct devmem_ops *ops, void *ctx)
{
	const struct devmem_rec_hdr *h = data;
	unsigned int type;

	if (size < sizeof(*h))
		return DEVMEM_REPLAY_SHORT;
	if (h->size != size)
		return DEVMEM_REPLAY_SIZE;
	type = h->type;
	if (type >= DEVMEM_REC_TYPE_MAX || !rec_types[type].name)
		return DEVMEM_REPLAY_TYPE;
	/* Newer writers may append fields: larger is fine; older ones wrote less. */
	if (size < rec_types[type].min)
		return DEVMEM_REPLAY_TYPE_SIZE;
	if (size < rec_types[type].size)
		dispatch_upgraded(type, data, size, ops, ctx);
	else
		dispatch(type, data, ops, ctx);
	return DEVMEM_REPLAY_OK;
}

uint64_t devmem_rec_pgmap(const struct devmem_rec_hdr *h)
{
	switch (h->type) {
	case DEVMEM_REC_PGMAP_CREATE:
	case DEVMEM_REC_PGMAP_DESTROY:	return ((const struct devmem_rec_pgmap *)h)->pgmap;
	case DEVMEM_REC_PAGE_INIT:
	case DEVMEM_REC_FOLIO_FREE:	return ((const struct devmem_rec_page *)h)->pgmap;
	case DEVMEM_REC_GET_PGMAP:
	case DEVMEM_REC_PUT_PGMAP:	return ((const struct devmem_rec_pgmap_ref *)h)->pgmap;
	case DEVMEM_REC_LONGTERM:	return ((const struct devmem_rec_longterm *)h)->pgmap;
	case DEVMEM_REC_COW:		return ((const struct devmem_rec_cow *)h)->pgmap;
	case DEVMEM_REC_FAULT:		return ((const struct devmem_rec_fault *)h)->pgmap;
	case DEVMEM_REC_MIGRATE:	return ((const struct devmem_rec_migrate *)h)->pgmap;
	case DEVMEM_REC_PGMAP_WAIT:	return ((const struct devmem_rec_pgmap_wait *)h)->pgmap;
	}
	return 0;
}
