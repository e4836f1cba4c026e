// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "iomem.h"
#include "ksyms.h"
#include "privs.h"
#include "readfile.h"

/* A number from a /proc/sys file, or fallback. */
static int sysctl_int(const char *path, int fallback)
{
	FILE *f = fopen(path, "re");
	int n = fallback;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = fallback;
		fclose(f);
	}
	return n;
}

uint64_t top_caps_needed(bool hooks_faults)
{
	if (!hooks_faults)
		return 0;
	/*
	 * Debian's and Ubuntu's kernels take perf_event_paranoid 3 to mean
	 * that perf_event_open() needs CAP_SYS_ADMIN (their patch "security,
	 * perf: Allow further restriction of perf_event_open"); the kprobes
	 * on fault callbacks are perf events. Unknown counts as restricted.
	 */
	if (sysctl_int("/proc/sys/kernel/perf_event_paranoid", 3) > 2)
		return 1ull << CAP_PERFMON | 1ull << CAP_SYS_ADMIN;
	return 1ull << CAP_PERFMON;
}

static int last_cap(void)
{
	int n = sysctl_int("/proc/sys/kernel/cap_last_cap", -1);

	return n >= 0 && n < 64 ? n : CAP_LAST_CAP;
}

int top_drop_privileges(uint64_t keep, char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];
	const char *const files[] = { ksyms_path, iomem_path };
	int cap, last = last_cap(), e;
	uint64_t permitted;
	size_t i;

	/*
	 * kallsyms and iomem show addresses only to an opener with
	 * CAP_SYSLOG and CAP_SYS_ADMIN: the pgmap names of drivers loaded
	 * later come from these two files, opened now.
	 */
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if ((e = host_keep_open(files[i])) && e != -ENOENT) {
			snprintf(err, errlen, "keeping %s open: %s", files[i], strerror(-e));
			return -1;
		}
	if (syscall(SYS_capget, &hdr, data)) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	keep &= permitted;	/* what we were not given we cannot keep */
	/* Emptying the bounding set takes CAP_SETPCAP; without it, no_new_privs still holds. */
	for (cap = 0; permitted >> CAP_SETPCAP & 1 && cap <= last; cap++)
		if (!(keep >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) {
			snprintf(err, errlen, "dropping capability %d from the bounding set: %s", cap,
				 strerror(errno));
			return -1;
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		snprintf(err, errlen, "clearing the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data)) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	return 0;
}
