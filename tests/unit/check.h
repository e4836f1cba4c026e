/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The unit tests' one line per check: "PASS group: name", or FAIL with
 * the condition that was false and its line. The including file defines
 * CHECK_GROUP first; its main() returns failures ? 1 : 0.
 */
#ifndef DEVMEM_TEST_CHECK_H
#define DEVMEM_TEST_CHECK_H

#include <stdio.h>

#ifndef CHECK_GROUP
#error "define CHECK_GROUP before including check.h"
#endif

static int failures;

#define CHECK(name, cond) do { \
	if (cond) printf("PASS " CHECK_GROUP ": %s\n", name); \
	else { printf("FAIL " CHECK_GROUP ": %s: %s is false (line %d)\n", name, #cond, __LINE__); failures++; } \
} while (0)

#endif
