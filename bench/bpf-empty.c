// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf-empty: attach bench/empty.bpf.c's pair for this kernel's series and
 * wait for SIGINT or SIGTERM.
 * Exit status: 0, or 1 when the programs cannot be loaded or attached.
 */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "empty.skel.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(void)
{
	struct empty_bpf *skel = empty_bpf__open();
	int zd = access("/sys/kernel/tracing/events/zone_device", F_OK) == 0;

	if (skel) {
		bpf_program__set_autoload(skel->progs.empty_zd_init, zd);
		bpf_program__set_autoload(skel->progs.empty_zd_free, zd);
		bpf_program__set_autoload(skel->progs.empty_page_init, !zd);
		bpf_program__set_autoload(skel->progs.empty_folio_free, !zd);
	}
	if (!skel || empty_bpf__load(skel) || empty_bpf__attach(skel)) {
		fprintf(stderr, "bpf-empty: cannot load or attach\n");
		empty_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "bpf-empty: attached (%s events)\n", zd ? "zone_device" : "devmem");
	while (!stop)
		pause();
	empty_bpf__destroy(skel);
	return 0;
}
