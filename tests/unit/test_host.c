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
#include "debugfs.h"
#include "late_start.h"
#include "procfs.h"
#include "readfile.h"
#include "state.h"

#define CHECK_GROUP "host"
#include "check.h"

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

/* debugfs's pgmaps file: read whole, parsed once, seeding rows. */
static void test_debugfs(void)
{
	static const char text[] =
		"# pgmap type start end owner nr_pages live_pages\n"
		"0000000082ec8606 coherent 0x40000000 0x4fffffff 000000003a559b50 65536 3\n"
		"garbage line\n"
		"00000000bdd6a09e private 0xffe0000000 0xffefffffff 00000000158ff02b 65536 0\n";
	char path[] = "/tmp/devmem-pgmaps-XXXXXX", line[128], *big;
	struct devmem_state st = { 0 };
	struct debugfs_pgmaps p;
	size_t n = 0, i;

	write_fixture(path, text, strlen(text));
	CHECK("debugfs: the well-formed lines", !debugfs_pgmaps_read(path, &p) &&
	      p.lines.n == 2 && p.len == strlen(text) && !strcmp(p.text, text) &&
	      !p.lines.has_read_ns);
	CHECK("debugfs seed reads the well-formed lines", devmem_state_seed_lines(&st, &p.lines) == 2);
	CHECK("debugfs seed keeps type, range and live pages",
	      st.pgmaps[0].type == DEVMEM_PGMAP_COHERENT && st.pgmaps[0].start == 0x40000000 &&
	      devmem_pgmap_live(&st.pgmaps[0]) == 3 && st.pgmaps[1].type == DEVMEM_PGMAP_PRIVATE &&
	      st.pgmaps[1].end == 0xffefffffff && st.pgmaps[1].nr_pages == 65536 && st.pgmaps[1].seeded);
	CHECK("a range's live pages, -1 for one not listed",
	      devmem_pgmap_lines_live(&p.lines, 0x40000000) == 3 &&
	      devmem_pgmap_lines_live(&p.lines, 0x50000000) == -1);
	debugfs_pgmaps_free(&p);
	devmem_state_pgmap_meta(&st, 0xdead000, 0x40000000, 0x4fffffff, DEVMEM_PGMAP_COHERENT, 1, 65536);
	CHECK("the BPF side's address adopts the seeded row by start",
	      st.nr_pgmaps == 2 && st.pgmaps[0].pgmap == 0xdead000);
	unlink(path);
	CHECK("a missing file is an error, not a crash",
	      debugfs_pgmaps_read("/nonexistent/pgmaps", &p) == -ENOENT && !p.lines.n && !p.text);
	devmem_state_free(&st);

	/* 4000 pgmaps, over 200 KiB: once cut at 64 KiB without a word. */
	big = malloc(4000 * sizeof(line));
	for (i = 0; i < 4000; i++)
		n += snprintf(big + n, sizeof(line), "%016zx generic %#zx %#zx 0 16 %zu\n", i,
			      (i + 1) << 20, ((i + 1) << 20) + 0xffff, i);
	strcpy(path, "/tmp/devmem-pgmaps-XXXXXX");
	write_fixture(path, big, n);
	CHECK("a file past 64 KiB is read whole: every pgmap seeded",
	      n > 200 * 1024 && !debugfs_pgmaps_read(path, &p) && p.lines.n == 4000 &&
	      devmem_state_seed_lines(&st, &p.lines) == 4000 && st.pgmaps[3999].live_base == 3999 &&
	      st.pgmaps[3999].type == DEVMEM_PGMAP_GENERIC);
	debugfs_pgmaps_free(&p);
	devmem_state_free(&st);
	unlink(path);
	free(big);

	/* A recording's chunk: when it was read, a type not known. */
	CHECK("a chunk's text seeds the same way, with its read time (to clamped to from)",
	      devmem_state_seed_text(&st, "# read_ns 10 5\n0 weird 0x1000 0x1fff 0 1 1\n") == 1 &&
	      st.seed_from_ns == 10 && st.seed_to_ns == 10 &&
	      !strcmp(devmem_pgmap_type_name(st.pgmaps[0].type), "unknown"));
	devmem_state_free(&st);
	CHECK("the file is where the kernel series puts it",
	      !strcmp(debugfs_pgmaps_path(), "/sys/kernel/debug/zone_device/pgmaps") ||
	      !strcmp(debugfs_pgmaps_path(), "/sys/kernel/debug/devmem/pgmaps"));
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
	test_debugfs();
	return failures ? 1 : 0;
}
