// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "pgmap_names.h"

/*
 * Kernel symbols a pgmap points at, by driver: its dev_pagemap_ops (the
 * first name of each family) or its owner cookie when that is static
 * (test_hmm's dmirror_devices[]). Globs, first match wins.
 */
static const struct { const char *glob, *driver; } sym_table[] = {
	{ "dmirror_*", "test_hmm" },		/* dmirror_devmem_ops, dmirror_devices */
	{ "svm_migrate_*", "amdgpu" },		/* svm_migrate_pgmap_ops */
	{ "kfd_*", "amdgpu" },
	{ "amdgpu_*", "amdgpu" },
	{ "nouveau_*", "nouveau" },		/* nouveau_dmem_pagemap_ops */
	{ "xe_*", "xe" },			/* xe's own pagemap ops */
	/* drm_pagemap's shared ops (drm_gpusvm before 6.16): only xe uses them */
	{ "drm_pagemap_*", "xe" },
	{ "drm_gpusvm_*", "xe" },
	{ "uvm_*", "nvidia-uvm" },		/* NVIDIA's open uvm module */
	{ "p2pdma_*", "p2pdma" },		/* p2pdma_pgmap_ops */
	{ "fsdax_*", "nd_pmem" },		/* fsdax_pagemap_ops */
	{ "pmem_*", "nd_pmem" },
	{ "dev_dax_*", "device_dax" },
};

/* Resource names in /proc/iomem that say which driver asked for them. */
static const struct { const char *name, *driver; } res_table[] = {
	{ "hmm_dmirror", "test_hmm" },
	{ "nouveau_dmem", "nouveau" },
	{ "nvidia-uvm-hmm", "nvidia-uvm" },
	{ "kfd_*", "amdgpu" },
	{ "amdgpu*", "amdgpu" },
};

const char *pgmap_driver_of_symbol(const char *sym)
{
	size_t i;

	for (i = 0; sym && *sym && i < sizeof(sym_table) / sizeof(sym_table[0]); i++)
		if (!fnmatch(sym_table[i].glob, sym, 0))
			return sym_table[i].driver;
	return NULL;
}

const char *pgmap_driver_of_resource(const char *res)
{
	size_t i;

	for (i = 0; res && *res && i < sizeof(res_table) / sizeof(res_table[0]); i++)
		if (!fnmatch(res_table[i].name, res, 0))
			return res_table[i].driver;
	return NULL;
}

void pgmap_clean_name(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = (unsigned char)src[i] <= ' ' || src[i] == ',' || src[i] == '"' ||
			 src[i] == '#' || src[i] == '/' || src[i] == '\\' || src[i] == 0x7f ? '_' : src[i];
	dst[i] = 0;
}

void pgmap_driver_name(const char *sym, const char *mod, const char *res, char *buf,
		       size_t len)
{
	const char *d = pgmap_driver_of_symbol(sym);

	if (!d && mod && *mod)
		d = mod;
	if (!d)
		d = pgmap_driver_of_resource(res);
	if (!d && sym && *sym)
		d = sym;
	pgmap_clean_name(buf, len, d ? d : "unknown");
}

bool pgmap_is_pci_name(const char *s)
{
	static const char pat[] = "xxxx:xx:xx.x";	/* domain:bus:device.function */
	size_t i;

	for (i = 0; pat[i]; i++)
		if (pat[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != pat[i])
			return false;
	return !s[i];
}

void iomem_free(struct iomem *io)
{
	free(io->res);
	memset(io, 0, sizeof(*io));
}

/*
 * Resources the firmware or the kernel lists for memory in general, not for
 * a device: memmap= carve-outs show as "Reserved" once the kernel has PCI.
 * (Names are cleaned: spaces became '_'.)
 */
static bool generic_resource(const char *name)
{
	return !strcasecmp(name, "Reserved") || !strcmp(name, "System_RAM");
}

long iomem_find(const struct iomem *io, uint64_t start, uint64_t end, long *pci)
{
	long best = -1, i;
	int depth;

	*pci = -1;
	for (i = 0; i < (long)io->n; i++)
		if (io->res[i].start <= start && io->res[i].end >= end &&
		    !generic_resource(io->res[i].name) &&
		    (best < 0 || io->res[i].depth > io->res[best].depth))
			best = i;
	if (best < 0)
		return -1;
	/* Up the tree: a parent is the last shallower line before its child. */
	for (i = best, depth = io->res[best].depth + 1; i >= 0; i--) {
		if (io->res[i].depth >= depth)
			continue;
		depth = io->res[i].depth;
		if (pgmap_is_pci_name(io->res[i].name)) {
			*pci = i;
			break;
		}
	}
	return best;
}

/*
 * What names a pgmap's driver: its ops, a static table in the driver
 * (dmirror_devmem_ops, svm_migrate_pgmap_ops, nouveau_dmem_pagemap_ops),
 * when the BPF side read it; else its owner cookie, static in test_hmm but
 * a heap pointer in GPU drivers.
 */
static uint64_t name_key(const struct devmem_pgmap_row *r)
{
	return r->ops ? r->ops : r->owner;
}

static uint64_t namer_now(const struct pgmap_namer *nm)
{
	if (nm->clock_ns)
		return nm->clock_ns();
	return nm->src && nm->src->now_ns ? nm->src->now_ns() : 0;
}

static void read_kallsyms(struct pgmap_namer *nm, uint64_t now)
{
	if (nm->src)
		nm->src->read_ksyms(nm);	/* unreadable or no memory: names nothing */
	nm->ksyms_read_ns = now;
	nm->ksyms_reads++;
	nm->ksyms_held = true;
}

/* Nothing waits to be placed: the table goes until the next new address. */
static void drop_kallsyms(struct pgmap_namer *nm)
{
	if (nm->ksyms_held && nm->src && nm->src->free)
		nm->src->free(nm);
	nm->ksyms_held = false;
}

/* Name h from kallsyms as last read: see struct pgmap_name_source. */
static bool find(const struct pgmap_namer *nm, struct ksym_hit *h)
{
	if (nm->src)
		return nm->src->place(nm, h);
	h->found = false;
	h->sym[0] = h->mod[0] = 0;
	h->off = 0;
	return false;
}

/*
 * Name h from the kept table. Settled when the table places it for sure or
 * was read after h was first asked for; until then an address past a
 * module's last symbol is named by nothing, not by that module's symbol.
 * Returns true when h's name changed.
 */
static bool place(struct pgmap_namer *nm, struct ksym_hit *h)
{
	struct ksym_hit was = *h;

	h->settled = find(nm, h) || nm->ksyms_read_ns >= h->seen_ns;
	if (!h->settled) {
		h->found = false;
		h->sym[0] = h->mod[0] = 0;
	}
	return was.found != h->found || strcmp(was.sym, h->sym) || strcmp(was.mod, h->mod);
}

/*
 * The symbol of each ops or owner, from kallsyms as last read: read once,
 * then again (at most every PGMAP_KSYMS_REREAD_NS) only for an address the
 * table cannot place. A row whose symbol changed is named again.
 */
static void lookup_owners(struct pgmap_namer *nm, struct devmem_state *st)
{
	uint64_t now = namer_now(nm);
	size_t i, k, unsettled = 0;

	for (i = 0; i < st->nr_pgmaps; i++) {
		uint64_t owner = name_key(&st->pgmaps[i]);

		if (!owner || owner == st->pgmaps[i].named_owner)
			continue;
		for (k = 0; k < nm->nsyms && nm->syms[k].addr != owner; k++)
			;
		if (k < nm->nsyms)
			continue;
		if (nm->nsyms == nm->capsyms) {
			size_t cap = nm->capsyms ? nm->capsyms * 2 : 16;
			struct ksym_hit *p = realloc(nm->syms, cap * sizeof(*p));

			if (!p)
				break;
			nm->syms = p;
			nm->capsyms = cap;
		}
		memset(&nm->syms[nm->nsyms], 0, sizeof(nm->syms[0]));
		nm->syms[nm->nsyms].addr = owner;
		nm->syms[nm->nsyms++].seen_ns = now;
		if (!nm->ksyms_held)
			read_kallsyms(nm, now);
	}
	for (k = 0; k < nm->nsyms; k++)
		if (!nm->syms[k].settled) {
			place(nm, &nm->syms[k]);
			unsettled += !nm->syms[k].settled;
		}
	if (now - nm->ksyms_read_ns < PGMAP_KSYMS_REREAD_NS)
		return;
	if (!unsettled) {
		drop_kallsyms(nm);
		return;
	}
	read_kallsyms(nm, now);
	for (k = 0; k < nm->nsyms; k++) {
		if (nm->syms[k].settled || !place(nm, &nm->syms[k]))
			continue;
		for (i = 0; i < st->nr_pgmaps; i++)
			if (st->pgmaps[i].named_owner == nm->syms[k].addr)
				st->pgmaps[i].named_owner = 0;	/* name it again */
	}
}

static const struct ksym_hit *owner_sym(const struct pgmap_namer *nm, uint64_t owner)
{
	size_t k;

	for (k = 0; owner && k < nm->nsyms; k++)
		if (nm->syms[k].addr == owner)
			return nm->syms[k].found ? &nm->syms[k] : NULL;
	return NULL;
}

static void read_iomem(struct pgmap_namer *nm)
{
	iomem_free(&nm->io);
	nm->io_read = true;
	if (nm->src)
		nm->src->read_iomem(&nm->io);
}

/* Without root, /proc/iomem reads as all zeros: that names nothing. */
static bool iomem_usable(const struct iomem *io)
{
	size_t i;

	for (i = 0; i < io->n; i++)
		if (io->res[i].end)
			return true;
	return false;
}

size_t pgmap_namer_update(struct pgmap_namer *nm, struct devmem_state *st)
{
	size_t i, named = 0;
	bool io_fresh = false;

	lookup_owners(nm, st);
	for (i = 0; i < st->nr_pgmaps; i++) {
		struct devmem_pgmap_row *r = &st->pgmaps[i];
		bool device_new = false;
		const struct ksym_hit *h;
		char driver[DEVMEM_NAME_LEN];

		if (!r->device[0] && r->start) {
			long res, pci;

			/* Once per update at most: a new pgmap's resource is new too. */
			if (!io_fresh) {
				read_iomem(nm);
				io_fresh = true;
			}
			if (iomem_usable(&nm->io)) {
				res = iomem_find(&nm->io, r->start, r->end > r->start ? r->end : r->start, &pci);
				/* A destroyed pgmap's resource went with it. */
				pgmap_clean_name(r->device, sizeof(r->device), res >= 0 ? nm->io.res[res].name :
					  r->destroyed ? "unknown" : PGMAP_NOT_IN_IOMEM);
				pgmap_clean_name(r->pci, sizeof(r->pci), pci < 0 ? "" : nm->io.res[pci].name);
				device_new = true;
			}
		}
		if (r->driver[0] && name_key(r) == r->named_owner && !device_new)
			continue;
		h = owner_sym(nm, name_key(r));
		pgmap_driver_name(h ? h->sym : NULL, h ? h->mod : NULL, r->device, driver,
				  sizeof(driver));
		r->named_owner = name_key(r);
		if (strcmp(driver, r->driver) || device_new) {
			memcpy(r->driver, driver, sizeof(driver));
			named++;
		}
	}
	if (named)
		pgmap_names_index(st);
	return named;
}

void pgmap_namer_free(struct pgmap_namer *nm)
{
	free(nm->syms);
	iomem_free(&nm->io);
	if (nm->src && nm->src->free)
		nm->src->free(nm);
	nm->ksyms_reads = 0;
	nm->ksyms_held = false;
	nm->syms = NULL;
	nm->nsyms = nm->capsyms = 0;
	nm->io_read = false;
}

const char *const pgmap_not_in_iomem = PGMAP_NOT_IN_IOMEM;
const size_t devmem_name_len = DEVMEM_NAME_LEN;

void pgmap_names_index(struct devmem_state *st)
{
	size_t i, k;

	for (i = 0; i < st->nr_pgmaps; i++) {
		struct devmem_pgmap_row *r = &st->pgmaps[i];

		r->name_idx = 0;
		for (k = 0; k < i; k++)
			if (!strcmp(st->pgmaps[k].driver, r->driver) &&
			    !strcmp(st->pgmaps[k].device, r->device) && !strcmp(st->pgmaps[k].pci, r->pci))
				r->name_idx++;
	}
}

static const char *or_unknown(const char *s)
{
	return s[0] ? s : "unknown";
}

const char *pgmap_device_label(const struct devmem_pgmap_row *r, char *buf, size_t len)
{
	if (r->pci[0] && strcmp(r->pci, r->device))
		snprintf(buf, len, "%s@%s", or_unknown(r->device), r->pci);
	else
		snprintf(buf, len, "%s", or_unknown(r->device));
	return buf;
}

const char *pgmap_short_name(const struct devmem_pgmap_row *r, char *buf, size_t len)
{
	char dev[2 * DEVMEM_NAME_LEN];

	snprintf(buf, len, "%s/%s#%u", or_unknown(r->driver), pgmap_device_label(r, dev, sizeof(dev)),
		 r->name_idx);
	return buf;
}

char *pgmap_names_format(const struct devmem_state *st, size_t *len)
{
	static const char head[] = "# start end driver device pci\n";
	size_t cap = sizeof(head) + st->nr_pgmaps * (3 * DEVMEM_NAME_LEN + 48), n, i;
	char *buf = malloc(cap);

	*len = 0;
	if (!buf)
		return NULL;
	n = snprintf(buf, cap, "%s", head);
	for (i = 0; i < st->nr_pgmaps; i++) {
		const struct devmem_pgmap_row *r = &st->pgmaps[i];

		if (!r->start)
			continue;
		n += snprintf(buf + n, cap - n, "%#" PRIx64 " %#" PRIx64 " %s %s %s\n", r->start,
			      r->end, or_unknown(r->driver), or_unknown(r->device),
			      r->pci[0] ? r->pci : "-");
	}
	*len = n;
	return buf;
}

size_t pgmap_names_apply(struct devmem_state *st, const char *text)
{
	const char *line, *nl;
	size_t i, named = 0;

	for (line = text; line && *line; line = nl ? nl + 1 : NULL) {
		char driver[DEVMEM_NAME_LEN], device[DEVMEM_NAME_LEN], pci[16];
		unsigned long long start, end;

		nl = strchr(line, '\n');
		/* Widths are the buffers' sizes - 1: a longer name is cut, not overrun. */
		if (line[0] == '#' || sscanf(line, "%llx %llx %47s %47s %15s", &start, &end, driver,
					     device, pci) != 5)
			continue;
		for (i = 0; i < st->nr_pgmaps; i++) {
			struct devmem_pgmap_row *r = &st->pgmaps[i];

			if (r->start != start)
				continue;
			pgmap_clean_name(r->driver, sizeof(r->driver), driver);
			pgmap_clean_name(r->device, sizeof(r->device), device);
			pgmap_clean_name(r->pci, sizeof(r->pci), strcmp(pci, "-") ? pci : "");
			r->named_owner = name_key(r);
			named++;
		}
	}
	pgmap_names_index(st);
	return named;
}

int pgmap_id_parse(const char *arg, uint64_t *value, char *name, size_t len)
{
	char *end;

	errno = 0;
	*value = strtoull(arg, &end, 0);
	name[0] = 0;
	if (end != arg && !*end)
		return errno || !*value ? -1 : 0;
	/* Not a number: a short name, whose form is "driver/device#N". */
	*value = 0;
	if (!strchr(arg, '#') || strlen(arg) >= len)
		return -1;
	snprintf(name, len, "%s", arg);
	return 0;
}
