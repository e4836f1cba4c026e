// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of tools/host, built with ASan and UBSan: the readers of host
 * files, on fixtures. Prints one PASS/FAIL line per check.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "clock.h"
#include "command.h"
#include "ksyms.h"
#include "procfs.h"
#include "readfile.h"

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS host: %s\n", name); \
	else { printf("FAIL host: %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

/* A temporary file holding len bytes of text; path is a mkstemp template. */
static void write_fixture(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fwrite(text, 1, len, f);
	fclose(f);
}

/* Whole files: past the first buffer, past the 64 KiB a reader once cut at. */
static void test_read_file(void)
{
	char path[] = "/tmp/devmem-host-XXXXXX";
	size_t big = 200 * 1024 + 7, len = 1, i;
	char *text = malloc(big + 1), *got;

	for (i = 0; i < big; i++)
		text[i] = i % 64 == 63 ? '\n' : 'a' + i % 26;
	text[big] = 0;
	write_fixture(path, text, big);
	got = host_read_file(path, &len);
	CHECK("a file of 200 KiB is read whole, NUL-terminated",
	      got && len == big && !memcmp(got, text, big) && !got[big]);
	free(got);
	unlink(path);
	strcpy(path, "/tmp/devmem-host-XXXXXX");
	write_fixture(path, "", 0);
	got = host_read_file(path, &len);
	CHECK("an empty file is \"\"", got && !len && !got[0]);
	free(got);
	unlink(path);
	errno = 0;
	CHECK("a missing file is NULL with its errno",
	      !host_read_file("/nonexistent/devmem", NULL) && errno == ENOENT);
	free(text);
}

/* The clock is CLOCK_MONOTONIC's, in nanoseconds. */
static void test_clock(void)
{
	struct timespec ts;
	uint64_t a, b, mono;

	a = host_now_ns();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mono = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	b = host_now_ns();
	CHECK("the clock is CLOCK_MONOTONIC in ns", a <= mono && mono <= b);
}

/* Launching a command: the exec is known to have worked, or why not. */
static void test_command(void)
{
	char *ok[] = { "true", NULL }, *missing[] = { "/nonexistent/devmem-cmd", NULL };
	char *xfsz[] = { "sh", "-c", "kill -XFSZ $$; exit 3", NULL };
	char *slow[] = { "sh", "-c", "sleep 0.2; exit 5", NULL };
	struct command c;
	int status = -1, i;

	CHECK("a command from PATH starts",
	      !command_start(&c, ok, "test") && c.pid > 0 && !c.exec_errno && !c.failed);
	CHECK("...and is reaped with its status",
	      !command_wait(c.pid, &status) && WIFEXITED(status) && !WEXITSTATUS(status));
	CHECK("a command that cannot exec: the parent knows why",
	      !command_start(&c, missing, "test") && c.pid > 0 && c.exec_errno == ENOENT);
	CHECK("...and its child exits 127",
	      !command_wait(c.pid, &status) && WIFEXITED(status) && WEXITSTATUS(status) == 127);
	CHECK("waiting for no child is an error", command_wait(c.pid, NULL) == -ECHILD);
	signal(SIGXFSZ, SIG_IGN);
	CHECK("a tool that ignores SIGXFSZ starts its command with the default",
	      !command_start(&c, xfsz, "test") && !command_wait(c.pid, &status) &&
	      WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ);
	signal(SIGXFSZ, SIG_DFL);
	CHECK("a running command has not exited",
	      !command_start(&c, slow, "test") && !command_exited(c.pid, &status));
	for (i = 0; i < 500 && !command_exited(c.pid, &status); i++)
		usleep(10000);
	CHECK("...until it has, with its status", i < 500 && WEXITSTATUS(status) == 5);
}

/*
 * The stack a tracepoint program takes, leaf first: its own frame, the
 * tracepoint's, then the caller's. Whether or not kallsyms still listed the
 * program when it was read, the text starts at the traced function.
 */
static void test_stack_text(void)
{
	static const char with_prog[] =
		"ffffffff81000000 T _text\n"
		"ffffffff81001000 T zone_device_page_init\n"
		"ffffffff81002000 t __traceiter_devmem_page_init\n"
		"ffffffff81003000 T bpf_trace_run1\n"
		"ffffffff81004000 T dmirror_migrate_to_device.constprop.0\n"
		"ffffffff81a00000 T asm_sysvec_apic_timer_interrupt\n"
		"ffffffff81a01000 D some_data\n"
		"ffffffffa0001000 t bpf_prog_6deef7357e7b4530_on_page_init\t[bpf]\n"
		"ffffffffa0100000 t bpf_trampoline_6442491234\t[bpf]\n";
	uint64_t tp[6] = { 0xffffffffa0001040, 0xffffffff81003010, 0xffffffff81002020,
			   0xffffffff81001030, 0xffffffff81004040, 0 };
	uint64_t fentry[4] = { 0xffffffffa0001040, 0xffffffffa0100020, 0xffffffff81001000,
			       0xffffffff81004040 };
	const char *want = "zone_device_page_init+0x30;dmirror_migrate_to_device.constprop.0+0x40";
	struct ksyms k;
	char buf[512], name[64];
	FILE *f = fmemopen((void *)with_prog, strlen(with_prog), "r");

	CHECK("kallsyms text: the 8 text symbols, data left out", !ksyms_read(&k, f) && k.nfuncs == 8);
	fclose(f);
	CHECK("a tracepoint stack starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, tp, 6, buf, sizeof(buf)), want));
	CHECK("an fentry stack starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, fentry, 4, buf, sizeof(buf)),
		      "zone_device_page_init+0;dmirror_migrate_to_device.constprop.0+0x40"));
	ksyms_free(&k);

	/* The same stack, read while kallsyms no longer listed the programs. */
	f = fmemopen((void *)with_prog, strstr(with_prog, "ffffffffa0001000") - with_prog, "r");
	CHECK("kallsyms text without the programs", !ksyms_read(&k, f) && k.nfuncs == 6);
	fclose(f);
	CHECK("a program kallsyms lost is not named after the kernel's last function",
	      !strcmp(ksyms_name(&k, 0xffffffffa0001040, name, sizeof(name)), "0xffffffffa0001040"));
	CHECK("... and a tracepoint stack still starts at the traced function",
	      !strcmp(ksyms_stack_text(&k, tp, 6, buf, sizeof(buf)), want));
	CHECK("... and an fentry stack too",
	      !strcmp(ksyms_stack_text(&k, fentry, 4, buf, sizeof(buf)),
		      "zone_device_page_init+0;dmirror_migrate_to_device.constprop.0+0x40"));
	CHECK("a function's end is still named",
	      !strcmp(ksyms_name(&k, 0xffffffff81a00000 + KSYMS_MAX_FUNC_SIZE - 1, name, sizeof(name)),
		      "asm_sysvec_apic_timer_interrupt+0xfffff"));
	CHECK("a stack with no frames is empty", !ksyms_stack_text(&k, tp + 5, 1, buf, sizeof(buf))[0]);
	ksyms_free(&k);

	/* kprobe mode: the stack starts at the probed function. */
	f = fmemopen((void *)with_prog, strlen(with_prog), "r");
	CHECK("kallsyms text again", !ksyms_read(&k, f));
	fclose(f);
	{
		/*
		 * The guess unwinder (CONFIG_UNWINDER_GUESS) put a stale
		 * interrupt return address between the program and the
		 * tracepoint (vm-folded, before the guests had ORC): it is
		 * what the kernel reported, so it stays, with the frames
		 * after it; only the leading run of tracer frames is cut.
		 */
		uint64_t stray[6] = { 0xffffffffa0001040, 0xffffffff81a00010, 0xffffffff81003010,
				      0xffffffff81002020, 0xffffffff81001030, 0xffffffff81004040 };

		CHECK("a frame between the program and the tracepoint ends the cut",
		      !strcmp(ksyms_stack_text(&k, stray, 6, buf, sizeof(buf)),
			      "asm_sysvec_apic_timer_interrupt+0x10;bpf_trace_run1+0x10;"
			      "__traceiter_devmem_page_init+0x20;zone_device_page_init+0x30;"
			      "dmirror_migrate_to_device.constprop.0+0x40"));
	}
	{
		/* A program that called a subprogram: two BPF frames, then the tracepoint. */
		uint64_t sub[6] = { 0xffffffffa0001080, 0xffffffffa0001040, 0xffffffff81003010,
				    0xffffffff81002020, 0xffffffff81001030, 0xffffffff81004040 };

		CHECK("every BPF frame at the leaf is cut, then the tracepoint's",
		      !strcmp(ksyms_stack_text(&k, sub, 6, buf, sizeof(buf)), want));
	}
	{
		uint64_t kp[4] = { 0xffffffff81001010, 0xffffffff81004040, 0xffffffffa0100020,
				   0xffffffff81000100 };

		CHECK("a kprobe stack keeps every frame, another tool's trampoline deeper in too",
		      !strcmp(ksyms_stack_text(&k, kp, 4, buf, sizeof(buf)),
			      "zone_device_page_init+0x10;dmirror_migrate_to_device.constprop.0+0x40;"
			      "bpf_trampoline_6442491234+0x20;_text+0x100"));
	}
	ksyms_free(&k);
	memset(&k, 0, sizeof(k));	/* kallsyms unreadable: nothing named */
	CHECK("with nothing named the stack is its addresses, not empty",
	      !strcmp(ksyms_stack_text(&k, tp, 2, buf, sizeof(buf)),
		      "0xffffffffa0001040;0xffffffff81003010"));
}

/* The one kallsyms table: symbols, modules, places, names. */
static void test_ksyms_table(void)
{
	static const char text[] =
		"0000000000000000 A fixed_percpu_data\n"
		"0000000000012340 D cpu_number\n"
		"ffffffff81000000 T _text\n"
		"ffffffff81000000 T _stext\n"
		"ffffffff81001000 t dmirror_snapshot_invalidate\n"
		"ffffffff816324e0 d dmirror_devmem_ops\n"
		"ffffffff816324e0 d dmirror_alias\n"
		"not a kallsyms line\n"
		"ffffffff81e73d60 D vmemmap_base\n"
		"ffffffffc0a01000 d uvm_pmm_devmem_ops\t[nvidia_uvm]\n"
		"ffffffffc0a02000 t uvm_fn\t[nvidia_uvm]\n"
		"ffffffffc0b02000 d foo_pagemap_ops\t[foo_gpu]\n"
		"ffffffffc0b02040 d foo_devices\t[foo_gpu]\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	char path[] = "/tmp/devmem-kallsyms-XXXXXX", name[64];
	const struct ksym *s, *next;
	struct ksyms k;
	uint64_t addr = 0;

	CHECK("kallsyms: every line read, the bad one skipped",
	      !ksyms_read(&k, f) && k.n == 12 && k.nfuncs == 4 && k.nplaces == 11);
	fclose(f);
	CHECK("equal addresses: a frame takes the last function in file order",
	      !strcmp(ksyms_name(&k, 0xffffffff81000010, name, sizeof(name)), "_stext+0x10"));
	s = ksyms_place(&k, 0xffffffff816324e8, &next);
	CHECK("equal addresses: a place is the first in file order, with its next place",
	      s && !strcmp(ksyms_sym_name(&k, s), "dmirror_devmem_ops") && !ksyms_sym_mod(&k, s)[0] &&
	      next && !strcmp(ksyms_sym_name(&k, next), "vmemmap_base"));
	s = ksyms_place(&k, 0xffffffffc0a01010, &next);
	CHECK("a module's place carries its module, and so does the next",
	      s && !strcmp(ksyms_sym_mod(&k, s), "nvidia_uvm") && !strcmp(ksyms_sym_mod(&k, next), "nvidia_uvm"));
	s = ksyms_place(&k, 0xffffffffc0b02048, &next);
	CHECK("past a module's last symbol: found, nothing next",
	      s && !strcmp(ksyms_sym_name(&k, s), "foo_devices") && !next);
	CHECK("no place for an absolute symbol or a heap pointer",
	      !ksyms_place(&k, 0x10, NULL) && !ksyms_place(&k, 0xffffffffc0b02040 + KSYMS_MAX_PLACE_OFF + 1, NULL) &&
	      ksyms_place(&k, 0xffffffffc0b02040 + KSYMS_MAX_PLACE_OFF, NULL));
	CHECK("by name: the first in file order, of any type",
	      ksyms_addr_of(&k, "vmemmap_base", &addr) && addr == 0xffffffff81e73d60 &&
	      ksyms_addr_of(&k, "fixed_percpu_data", &addr) && !addr && !ksyms_addr_of(&k, "nope", NULL));
	ksyms_free(&k);

	write_fixture(path, text, strlen(text));
	ksyms_path = path;
	CHECK("a table from ksyms_path", !ksyms_load(&k) && k.n == 12);
	ksyms_free(&k);
	addr = 0;
	CHECK("one pass by name, without a table",
	      ksyms_lookup("uvm_fn", &addr) && addr == 0xffffffffc0a02000 && !ksyms_lookup("nope", &addr));
	unlink(path);
	CHECK("an unreadable kallsyms: -errno, an empty table",
	      ksyms_load(&k) == -ENOENT && !k.n && !ksyms_lookup("uvm_fn", NULL));
	ksyms_path = "/proc/kallsyms";
	f = fmemopen((void *)text, strstr(text, "ffffffff81000000") - text, "r");
	CHECK("no function: -ENOENT, the places kept", ksyms_read(&k, f) == -ENOENT && k.nplaces == 1);
	fclose(f);
	ksyms_free(&k);
	f = fmemopen((void *)"0000000000000000 T _text\n0000000000000000 t f\n", 46, "r");
	CHECK("without root (all zeros): functions that name nothing, no places",
	      !ksyms_read(&k, f) && k.nfuncs == 2 && !k.nplaces &&
	      !strcmp(ksyms_name(&k, 0xffffffff81000010, name, sizeof(name)), "0xffffffff81000010"));
	fclose(f);
	ksyms_free(&k);
}

/* A file under dir, made with its folders. */
static void put(const char *dir, const char *rel, const char *text)
{
	char path[512], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* procfs: stat lines, the boot id, the pid namespace, on a fixture tree. */
static void test_procfs(void)
{
	char root[] = "/tmp/devmem-procfs-XXXXXX", cmd[600], id[64];
	struct procfs_stat st;

	if (!mkdtemp(root)) {
		CHECK("a fixture procfs tree", 0);
		return;
	}
	put(root, "12/stat", "12 (my (odd) comm) S 1 12 12 0 -1 4194560 96 0 0 0 1 2 0 0 20 0 "
	    "3 0 4242 1000 10 18446744073709551615\n");
	put(root, "12/task/13/stat", "13 (worker) D 1 1 1 0 -1\n");
	put(root, "14/stat", "14 no comm here\n");
	put(root, "15/stat", "");
	put(root, "sys/kernel/random/boot_id", "0c5f6f5e-1b7c-4f7e-9a53-3c2e0a3d9f10\n");
	procfs_root = root;
	CHECK("a process's stat: comm with spaces and parentheses, state, threads, start",
	      !procfs_stat(NULL, 12, 0, &st) && !strcmp(st.comm, "my (odd) comm") &&
	      st.state == 'S' && st.has_counts && st.threads == 3 && st.start_time == 4242);
	CHECK("a thread's stat, cut short before its counts",
	      !procfs_stat(NULL, 12, 13, &st) && !strcmp(st.comm, "worker") && st.state == 'D' &&
	      !st.has_counts);
	CHECK("a gone process is -ENOENT", procfs_stat(NULL, 99, 0, &st) == -ENOENT && !st.state);
	CHECK("no stat line is -EINVAL, an empty one -EIO",
	      procfs_stat(NULL, 14, 0, &st) == -EINVAL && procfs_stat(NULL, 15, 0, &st) == -EIO);
	CHECK("a root of its own", !procfs_stat("/proc", getpid(), 0, &st) && st.state == 'R' &&
	      st.has_counts && st.threads >= 1);
	procfs_boot_id(id, sizeof(id));
	CHECK("the boot id, without its newline", !strcmp(id, "0c5f6f5e-1b7c-4f7e-9a53-3c2e0a3d9f10"));
	CHECK("no pid namespace file: the initial namespace", procfs_in_init_pidns());
	procfs_root = "/nonexistent-proc";
	procfs_boot_id(id, sizeof(id));
	CHECK("an unreadable boot id is \"\"", !id[0]);
	procfs_root = "/proc";
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		printf("note: could not remove %s\n", root);
}

int main(void)
{
	test_read_file();
	test_clock();
	test_command();
	test_procfs();
	test_stack_text();
	test_ksyms_table();
	return failures ? 1 : 0;
}
