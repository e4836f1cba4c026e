// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define _GNU_SOURCE	/* pipe2() */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "command.h"

int command_start(struct command *c, char *const argv[], const char *tool)
{
	int p[2], e = 0;
	ssize_t n;

	c->pid = 0;
	c->exec_errno = 0;
	c->failed = NULL;
	if (pipe2(p, O_CLOEXEC)) {
		c->failed = "pipe";
		return -errno;
	}
	c->pid = fork();
	if (c->pid == 0) {
		close(p[0]);
		signal(SIGXFSZ, SIG_DFL);
		execvp(argv[0], argv);
		e = errno;
		if (write(p[1], &e, sizeof(e)) != sizeof(e))
			fprintf(stderr, "%s: %s: %s\n", tool, argv[0], strerror(e));
		_exit(127);
	}
	if (c->pid < 0) {
		e = errno;
		close(p[0]);
		close(p[1]);
		c->pid = 0;
		c->failed = "fork";
		return -e;
	}
	close(p[1]);
	do
		n = read(p[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n == sizeof(e))
		c->exec_errno = e;	/* else EOF: the exec closed the pipe */
	return 0;
}

int command_wait(pid_t pid, int *status)
{
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

bool command_exited(pid_t pid, int *status)
{
	return waitpid(pid, status, WNOHANG) == pid;
}
