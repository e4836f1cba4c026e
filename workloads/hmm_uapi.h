/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The user ABI of the kernel's test_hmm driver and of gup_test, as Linux
 * 6.12 defines them in lib/test_hmm_uapi.h and mm/gup_test.h. Copied so the
 * workloads build without a kernel tree; the ioctl numbers are ABI.
 */
#ifndef DEVMEMSCOPE_HMM_UAPI_H
#define DEVMEMSCOPE_HMM_UAPI_H

#include <linux/types.h>
#include <sys/ioctl.h>

struct hmm_dmirror_cmd {
	__u64 addr;	/* user address the device reads or writes */
	__u64 ptr;	/* user buffer the device data goes to or from */
	__u64 npages;
	__u64 cpages;	/* out: pages copied or migrated */
	__u64 faults;	/* out: device page faults seen */
};

#define HMM_DMIRROR_READ		_IOWR('H', 0x00, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_WRITE		_IOWR('H', 0x01, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_DEV	_IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_SYS	_IOWR('H', 0x03, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_SNAPSHOT		_IOWR('H', 0x04, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_RELEASE		_IOWR('H', 0x07, struct hmm_dmirror_cmd)

/* One byte per page from HMM_DMIRROR_SNAPSHOT; the high nibble says where. */
#define HMM_DMIRROR_PROT_WHERE_MASK		0xF0
#define HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL	0x20
#define HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL	0x40

struct gup_test {
	__u64 get_delta_usec;
	__u64 put_delta_usec;
	__u64 addr;
	__u64 size;
	__u32 nr_pages_per_call;
	__u32 gup_flags;
	__u32 test_flags;
	__u32 which_pages[8];
};

#define PIN_LONGTERM_BENCHMARK	_IOWR('g', 3, struct gup_test)
#define GUP_FOLL_WRITE		0x01

#endif
