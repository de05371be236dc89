// SPDX-License-Identifier: GPL-2.0
/*
 * net_peer: the host's end of the virtio-net benchmark (scripts/guest-bench.sh).
 *
 *   net_peer PORT_FROM PORT_TO BYTES [TIMEOUT_S]
 *
 * Listens on both TCP ports, then serves one connection on each, in that
 * order: from the guest, it reads BYTES and closes; to the guest, it
 * writes BYTES, shuts its side down and waits for the guest to close.
 * Prints
 *
 *   from-guest-kbps N to-guest-kbps N
 *
 * in kilobytes (1000 bytes) per second of CLOCK_MONOTONIC, each timed
 * from the connection's first byte to its end: under QEMU's -icount
 * shift=0 that clock follows executed instructions.  0 for a transfer
 * that did not complete.
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
		if (!done)
			start = now_s();
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
	int lfrom, lto;
	size_t bytes;
	double from, to;

	if (argc < 4) {
		fprintf(stderr, "usage: net_peer PORT_FROM PORT_TO BYTES [TIMEOUT_S]\n");
		return 2;
	}
	bytes = strtoull(argv[3], NULL, 0);
	deadline = now_s() + (argc > 4 ? atof(argv[4]) : 600);
	lfrom = listen_on(atoi(argv[1]));
	lto = listen_on(atoi(argv[2]));
	/* Listening: the caller may start the guest now. */
	fprintf(stderr, "net_peer: listening\n");
	from = from_guest(lfrom, bytes);
	to = to_guest(lto, bytes);
	printf("from-guest-kbps %.0f to-guest-kbps %.0f\n", from, to);
	return !(from > 0 && to > 0);
}
