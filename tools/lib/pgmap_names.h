/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Drivers and devices by name (docs/devmemtop.md, "Names"): a pgmap's
 * driver from a kernel symbol (kallsyms) and its device from the
 * /proc/iomem resource that holds its range, so that no output needs a
 * raw kernel address to tell pgmaps apart.
 *
 * The BPF side records pgmap->owner, the driver's cookie: test_hmm's is
 * its static dmirror_devices[] array, which kallsyms names; GPU drivers
 * pass a heap pointer, which it does not. Their device resource then
 * names them (nouveau_dmem, nvidia-uvm-hmm). The driver's ops symbol
 * would name every driver; the same table takes it once the ABI carries
 * it.
 */
#ifndef DEVMEM_PGMAP_NAMES_H
#define DEVMEM_PGMAP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "state.h"

/* The driver a kernel symbol belongs to, from the table; NULL if unknown. */
const char *pgmap_driver_of_symbol(const char *sym);
/* The driver that names its device resource so; NULL if unknown. */
const char *pgmap_driver_of_resource(const char *res);
/*
 * The driver's name: the table's for sym, else the module kallsyms gives
 * (mod), else the table's for the device resource, else sym itself, else
 * "unknown". Any argument may be NULL or "".
 */
void pgmap_driver_name(const char *sym, const char *mod, const char *res, char *buf,
		       size_t len);

/* Names go into whitespace-separated text, CSV and "driver/device#N": cleaned. */
void pgmap_clean_name(char *dst, size_t len, const char *src);

/* /proc/iomem, flattened in file order: depth 0 is a top-level resource. */
struct iomem_res {
	uint64_t start, end;
	int depth;
	char name[DEVMEM_NAME_LEN];	/* cleaned: "System RAM" is "System_RAM" */
};

/* Read and parsed by the host layer (tools/host/iomem.h). */
struct iomem {
	struct iomem_res *res;
	size_t n;
};

void iomem_free(struct iomem *io);
/*
 * The innermost resource that holds [start, end], or -1; *pci gets the
 * nearest one on its way up (itself included) named like a PCI device
 * ("0000:03:00.0"), or -1.
 */
long iomem_find(const struct iomem *io, uint64_t start, uint64_t end, long *pci);
bool pgmap_is_pci_name(const char *s);

/* A kernel address and the symbol at or below it, from kallsyms. */
struct ksym_hit {
	uint64_t addr;
	bool found;
	char sym[DEVMEM_NAME_LEN];	/* "" when not found */
	char mod[DEVMEM_NAME_LEN];	/* "" for the kernel itself */
	uint64_t off;
	/* The namer's: when first asked for, and whether the answer is final. */
	uint64_t seen_ns;
	bool settled;
};

/*
 * The device of a range no /proc/iomem resource holds: memory the kernel
 * does not list, such as the memmap= carve-out behind test_hmm's coherent
 * devices. "unknown" is for an iomem that cannot be read (not root).
 */
#define PGMAP_NOT_IN_IOMEM "not-in-iomem"
/* The same and DEVMEM_NAME_LEN, for devmemcore (it reads them through ctypes). */
extern const char *const pgmap_not_in_iomem;
extern const size_t devmem_name_len;

/*
 * kallsyms is read again for an address the kept table cannot place (a
 * module loaded since it was read?), at most this often. An address read
 * about after it was first seen is settled: the driver it points into was
 * loaded before the pgmap that holds it.
 */
#define PGMAP_KSYMS_REREAD_NS (60ull * 1000000000)

struct pgmap_namer;

/*
 * What a namer reads: this machine's kallsyms and /proc/iomem (the host
 * layer's pgmap_host_source, tools/host/pgmap_host.h) or a test's. The
 * namer decides when.
 */
struct pgmap_name_source {
	/* Read kallsyms (again): place() answers from what it read last. */
	void (*read_ksyms)(struct pgmap_namer *nm);
	/*
	 * Name h->addr (found, sym, mod, off). True when that is sure: exactly
	 * at a symbol, or below the next symbol of the same module; past a
	 * module's last symbol a module loaded since may sit. An address far
	 * past its nearest symbol (a heap pointer) is named by nothing.
	 */
	bool (*place)(const struct pgmap_namer *nm, struct ksym_hit *h);
	/* /proc/iomem now, into io (empty when it cannot be read). */
	void (*read_iomem)(struct iomem *io);
	uint64_t (*now_ns)(void);	/* CLOCK_MONOTONIC */
	void (*free)(struct pgmap_namer *nm);	/* what read_ksyms kept */
};

/* Names for a state's rows, with what it learned cached between calls. */
struct pgmap_namer {
	const struct pgmap_name_source *src;	/* NULL: nothing to read, names unknown */
	void *src_data;		/* the source's own: kallsyms as last read */
	struct ksym_hit *syms;	/* owner cookies looked up so far */
	size_t nsyms, capsyms;
	struct iomem io;
	bool io_read;
	uint64_t ksyms_read_ns;	/* when kallsyms was last read */
	unsigned int ksyms_reads;	/* how often (0: never) */
	/*
	 * The source keeps the table (src_data) only while it may serve: a
	 * minute (PGMAP_KSYMS_REREAD_NS) after the last read, with every
	 * address placed, it is freed (5 MB of text, 9 MB resident while
	 * kept, on a distribution kernel) and read again for the next new
	 * address, such as a driver loaded since.
	 */
	bool ksyms_held;
	uint64_t (*clock_ns)(void);	/* NULL: the source's (tests set theirs) */
};

/*
 * Name the rows that have no name yet, or whose owner changed: driver
 * from the owner's symbol, device from iomem (read again only while some
 * live row has no device), then each row's index among rows of the same
 * driver and device. Returns how many rows got a new name.
 */
size_t pgmap_namer_update(struct pgmap_namer *nm, struct devmem_state *st);
void pgmap_namer_free(struct pgmap_namer *nm);
/* Number the rows: name_idx counts earlier rows with the same driver and device. */
void pgmap_names_index(struct devmem_state *st);
/* "driver/device#idx", the name a pgmap goes by without --raw-addresses. */
const char *pgmap_short_name(const struct devmem_pgmap_row *r, char *buf, size_t len);
/*
 * --pgmap's argument, the same in every tool: a number (a kernel address
 * or a physical start) into *value, or a short name ("driver/device#N")
 * into name with *value 0. 0, or -1 when it is neither.
 */
int pgmap_id_parse(const char *arg, uint64_t *value, char *name, size_t len);
/* DEVICE as shown: "device", or "device@pci" under a PCI device. */
const char *pgmap_device_label(const struct devmem_pgmap_row *r, char *buf, size_t len);

/*
 * The PGMAP_NAMES trace chunk: "start end driver device pci" lines, "-"
 * for none, written where the recording ran. pgmap_names_format returns
 * malloc'd text (NULL without memory); pgmap_names_apply names st's rows
 * by start and returns how many it named.
 */
char *pgmap_names_format(const struct devmem_state *st, size_t *len);
size_t pgmap_names_apply(struct devmem_state *st, const char *text);

#endif
