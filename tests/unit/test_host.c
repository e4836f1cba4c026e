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
#include <sys/wait.h>
#include "clock.h"
#include "command.h"
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

int main(void)
{
	test_read_file();
	test_clock();
	test_command();
	return failures ? 1 : 0;
}
