// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf-empty [--calibrate]: attach bench/empty.bpf.c's pair for this
 * kernel's series and wait for SIGINT or SIGTERM. --calibrate also attaches
 * the calibration programs, one primitive each (Linux 7.3 series only).
 * Exit status: 0, or 1 when the programs cannot be loaded or attached.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "empty.skel.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv)
{
	struct empty_bpf *skel = empty_bpf__open();
	int zd = access("/sys/kernel/tracing/events/zone_device", F_OK) == 0;
	int calibrate = argc > 1 && !strcmp(argv[1], "--calibrate") && zd;
	struct bpf_program *prog;

	if (skel) {
		bpf_object__for_each_program(prog, skel->obj)
			if (!strncmp(bpf_program__name(prog), "cal_", 4))
				bpf_program__set_autoload(prog, calibrate);
		bpf_program__set_autoload(skel->progs.empty_zd_init, zd);
		bpf_program__set_autoload(skel->progs.empty_zd_free, zd);
		bpf_program__set_autoload(skel->progs.empty_zd_get, zd);
		bpf_program__set_autoload(skel->progs.empty_zd_put, zd);
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
	fprintf(stderr, "bpf-empty: attached (%s events%s)\n", zd ? "zone_device" : "devmem",
		calibrate ? ", calibration" : "");
	while (!stop)
		pause();
	empty_bpf__destroy(skel);
	return 0;
}
