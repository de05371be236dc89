// SPDX-License-Identifier: GPL-2.0
/*
 * blkread DEV SEQ_MIB COUNT: direct reads from a block device, timed on
 * CLOCK_MONOTONIC (under make bench's -icount, the machine's virtual
 * clock, in the guest as on the host).  First SEQ_MIB MiB in 1 MiB
 * requests from offset 0 on, wrapping at the device's end; then COUNT
 * 4 KiB reads at pseudo-random 4 KiB-aligned offsets over the device
 * (the same sequence every run), one at a time (queue depth 1, what
 * issue 12 compares).  Prints
 *
 *   blkread seq-MB/s VALUE
 *   blkread 4k-rand-iops VALUE
 *
 * or "blkread error WHAT" and exits 1.  For scripts/guest-bench.sh's
 * passthrough part, in minivmm's guest and (taken from the guest's
 * rootfs) on the host.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/fs.h>

#define SEQ_REQ		(1 << 20)
#define RAND_REQ	4096

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	printf("blkread error %s\n", what);
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t size, x = 0x9e3779b97f4a7c15ull, off = 0;
	unsigned long seq_mib, count, i;
	double t0, t1;
	void *buf;
	int fd;

	if (argc != 4)
		return fail("usage: blkread DEV SEQ_MIB COUNT");
	seq_mib = strtoul(argv[2], NULL, 0);
	count = strtoul(argv[3], NULL, 0);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0)
		return fail("open");
	if (ioctl(fd, BLKGETSIZE64, &size) || size < SEQ_REQ)
		return fail("size");
	if (posix_memalign(&buf, 4096, SEQ_REQ))
		return fail("memory");

	t0 = now();
	for (i = 0; i < seq_mib; i++) {
		if (off + SEQ_REQ > size)
			off = 0;
		if (pread(fd, buf, SEQ_REQ, off) != SEQ_REQ)
			return fail("sequential read");
		off += SEQ_REQ;
	}
	t1 = now();
	if (seq_mib)
		printf("blkread seq-MB/s %.1f\n",
		       seq_mib * (double)SEQ_REQ / 1e6 / (t1 - t0));

	t0 = now();
	for (i = 0; i < count; i++) {
		/* xorshift64: cheap, and the same offsets on every run. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		off = (x % (size / RAND_REQ)) * RAND_REQ;
		if (pread(fd, buf, RAND_REQ, off) != RAND_REQ)
			return fail("random read");
	}
	t1 = now();
	if (count)
		printf("blkread 4k-rand-iops %.0f\n", count / (t1 - t0));
	free(buf);
	close(fd);
	return 0;
}
