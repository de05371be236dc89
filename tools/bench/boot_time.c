// SPDX-License-Identifier: GPL-2.0
/*
 * boot_time: run a VMM command line and time it, for scripts/bench.sh.
 *
 *   boot_time MARKER -- COMMAND [ARGS...]
 *
 * Prints the time from start until the first output line containing
 * MARKER (the guest reached its shell) and until the command exits (the
 * guest powered off), in milliseconds of CLOCK_MONOTONIC.  Under QEMU's
 * -icount shift=0 that clock follows executed instructions, so figures
 * repeat from run to run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	double start, marker = -1;
	char line[4096];
	int pipefd[2], status;
	FILE *out;
	pid_t pid;

	if (argc < 4 || strcmp(argv[2], "--")) {
		fprintf(stderr, "usage: boot_time MARKER -- COMMAND [ARGS...]\n");
		return 2;
	}
	if (pipe(pipefd))
		return perror("pipe"), 1;
	start = now_ms();
	pid = fork();
	if (pid < 0)
		return perror("fork"), 1;
	if (!pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		execvp(argv[3], &argv[3]);
		perror(argv[3]);
		_exit(127);
	}
	close(pipefd[1]);
	out = fdopen(pipefd[0], "r");
	while (fgets(line, sizeof(line), out))
		if (marker < 0 && strstr(line, argv[1]))
			marker = now_ms() - start;
	waitpid(pid, &status, 0);
	printf("to-marker-ms %.3f to-exit-ms %.3f status %d\n", marker,
	       now_ms() - start, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return marker < 0 || !WIFEXITED(status) || WEXITSTATUS(status);
}
