// SPDX-License-Identifier: GPL-2.0
/*
 * net_peer: the host's end of the virtio-net benchmark (scripts/guest-bench.sh).
 *
 *   net_peer PORT_FROM PORT_TO BYTES [TIMEOUT_S [ROUNDS_FROM [ROUNDS_TO]]]
 *
 * Listens on both TCP ports, then serves ROUNDS_FROM connections on the
 * first and ROUNDS_TO on the second (1 each by default), in that order:
 * from the guest, it reads BYTES and closes; to the guest, it writes
 * BYTES, shuts its side down and waits for the guest to close.  A round
 * count of 0 skips that direction.  Prints one line per connection,
 *
 *   from-guest-kbps N cpu-ns C
 *   to-guest-kbps N cpu-ns C
 *
 * in kilobytes (1000 bytes) per second of CLOCK_MONOTONIC, each timed
 * from the connection's first byte to its end: under QEMU's -icount
 * shift=0 that clock follows executed instructions.  0 for a transfer
 * that did not complete, and no more rounds in that direction.  C is
 * net_peer's CPU time over the connection (its system calls, and the
 * host's TCP work done in them or in interrupts taken meanwhile).
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double deadline;
static double cpu_start;

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int listen_on(int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1)) {
		perror("net_peer: bind");
		exit(1);
	}
	return fd;
}

/* Wait for @fd until the deadline; 0 if it is ready. */
static int wait_fd(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	double left = deadline - now_s();

	if (left <= 0)
		return -1;
	return poll(&p, 1, left * 1000) > 0 ? 0 : -1;
}

static int accept_one(int lfd)
{
	if (wait_fd(lfd, POLLIN))
		return -1;
	return accept(lfd, NULL, NULL);
}

static double from_guest(int lfd, size_t bytes)
{
	static char buf[1 << 16];
	double start = 0;
	size_t done = 0;
	ssize_t n;
	int fd = accept_one(lfd);

	if (fd < 0)
		return 0;
	while (done < bytes && !wait_fd(fd, POLLIN)) {
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (!done) {
			start = now_s();
			cpu_start = cpu_s();
		}
		done += n;
	}
	close(fd);
	if (done < bytes)
		return 0;
	return bytes / 1e3 / (now_s() - start);
}

static double to_guest(int lfd, size_t bytes)
{
	static char buf[1 << 16];
	double start;
	size_t done = 0;
	ssize_t n;
	int fd = accept_one(lfd);

	if (fd < 0)
		return 0;
	memset(buf, 0x5a, sizeof(buf));
	start = now_s();
	cpu_start = cpu_s();
	while (done < bytes && !wait_fd(fd, POLLOUT)) {
		n = write(fd, buf, bytes - done < sizeof(buf) ? bytes - done : sizeof(buf));
		if (n <= 0)
			break;
		done += n;
	}
	/* The guest has it all when it closes its end. */
	shutdown(fd, SHUT_WR);
	while (!wait_fd(fd, POLLIN) && read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	if (done < bytes)
		return 0;
	return bytes / 1e3 / (now_s() - start);
}

int main(int argc, char **argv)
{
	unsigned int i, rounds_from = 1, rounds_to = 1;
	int lfrom, lto, ok = 1;
	size_t bytes;
	double kbps;

	if (argc < 4) {
		fprintf(stderr, "usage: net_peer PORT_FROM PORT_TO BYTES [TIMEOUT_S [ROUNDS_FROM [ROUNDS_TO]]]\n");
		return 2;
	}
	bytes = strtoull(argv[3], NULL, 0);
	deadline = now_s() + (argc > 4 ? atof(argv[4]) : 600);
	if (argc > 5)
		rounds_from = rounds_to = atoi(argv[5]);
	if (argc > 6)
		rounds_to = atoi(argv[6]);
	lfrom = listen_on(atoi(argv[1]));
	lto = listen_on(atoi(argv[2]));
	/* Listening: the caller may start the guest now. */
	fprintf(stderr, "net_peer: listening\n");
	/* Line-buffered: the caller may follow the rounds as they end. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; ok && i < rounds_from; i++) {
		kbps = from_guest(lfrom, bytes);
		printf("from-guest-kbps %.0f cpu-ns %.0f\n", kbps,
		       (cpu_s() - cpu_start) * 1e9);
		ok = kbps > 0;
	}
	for (i = 0; ok && i < rounds_to; i++) {
		kbps = to_guest(lto, bytes);
		printf("to-guest-kbps %.0f cpu-ns %.0f\n", kbps,
		       (cpu_s() - cpu_start) * 1e9);
		ok = kbps > 0;
	}
	return !ok;
}
