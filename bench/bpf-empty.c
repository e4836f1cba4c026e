// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf-empty [--calibrate | --fentry]: attach bench/empty.bpf.c's pair for
 * this kernel's series and wait for SIGINT or SIGTERM. --calibrate also
 * attaches the calibration programs, one primitive each (Linux 7.3 series
 * only). --fentry attaches the pair on the page init and free functions
 * instead, as the tools' fentry mode does, on any kernel.
 * Exit status: 0, 1 when the programs cannot be loaded or attached, 2 on
 * an unknown argument.
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
	const char *arg = argc > 1 ? argv[1] : "";
	int fentry = !strcmp(arg, "--fentry");
	int zd = !fentry && access("/sys/kernel/tracing/events/zone_device", F_OK) == 0;
	int calibrate = !strcmp(arg, "--calibrate") && zd;
	struct bpf_program *prog;
	struct empty_bpf *skel;

	if (argc > 2 || (*arg && !fentry && strcmp(arg, "--calibrate"))) {
		fprintf(stderr, "usage: bpf-empty [--calibrate | --fentry]\n");
		return 2;
	}
	skel = empty_bpf__open();
	if (skel) {
		bpf_object__for_each_program(prog, skel->obj)
			if (!strncmp(bpf_program__name(prog), "cal_", 4))
				bpf_program__set_autoload(prog, calibrate);
		bpf_program__set_autoload(skel->progs.empty_zd_init, zd);
		bpf_program__set_autoload(skel->progs.empty_zd_free, zd);
		bpf_program__set_autoload(skel->progs.empty_zd_get, zd);
		bpf_program__set_autoload(skel->progs.empty_zd_put, zd);
		bpf_program__set_autoload(skel->progs.empty_page_init, !zd && !fentry);
		bpf_program__set_autoload(skel->progs.empty_folio_free, !zd && !fentry);
		bpf_program__set_autoload(skel->progs.empty_fx_init, fentry);
		bpf_program__set_autoload(skel->progs.empty_fx_free, fentry);
	}
	if (!skel || empty_bpf__load(skel) || empty_bpf__attach(skel)) {
		fprintf(stderr, "bpf-empty: cannot load or attach\n");
		empty_bpf__destroy(skel);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "bpf-empty: attached (%s%s)\n", fentry ? "fentry on the page functions" :
		zd ? "zone_device events" : "devmem events", calibrate ? ", calibration" : "");
	while (!stop)
		pause();
	empty_bpf__destroy(skel);
	return 0;
}
