// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of tools/host, built with ASan and UBSan: the readers of host
 * files, on fixtures. Prints one PASS/FAIL line per check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"
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

int main(void)
{
	test_read_file();
	test_clock();
	return failures ? 1 : 0;
}
