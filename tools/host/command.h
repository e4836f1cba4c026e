/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Launching the user's command (devmemrec -- COMMAND, devmemleak --
 * COMMAND): fork, exec from PATH, and know whether the exec worked
 * before the tool goes on.
 */
#ifndef DEVMEM_COMMAND_H
#define DEVMEM_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

struct command {
	pid_t pid;		/* the child, once started; the caller reaps it */
	int exec_errno;		/* its exec failed: why (it exits 127) */
	const char *failed;	/* "pipe" or "fork" when it could not start */
};

/*
 * Start argv[0] with argv. The exec is reported back through a
 * close-on-exec pipe: on return the child runs the command, or its exec
 * failed (exec_errno) and it exits 127. Should that report itself fail,
 * the child says "TOOL: argv[0]: why" on stderr. SIGXFSZ is back to its
 * default in the child, whatever the tool does with it: the command's
 * own file size limits apply as usual. Returns 0, or -errno when no
 * child could be started (failed names the call).
 */
int command_start(struct command *c, char *const argv[], const char *tool);
/* Reap pid, retried on EINTR: 0, or -errno (status may be NULL). */
int command_wait(pid_t pid, int *status);
/* Has pid exited? Reaps it into *status if so; never blocks. */
bool command_exited(pid_t pid, int *status);

#endif
