// SPDX-License-Identifier: GPL-2.0
/*
 * nvme_dma: runs inside the Linux guest that vfio_test gives the test
 * machine's NVMe controller, with the guest's own nvme driver unbound.  It
 * drives the controller itself, from user space, to see where the
 * controller's DMA can go:
 *
 *   nvme_dma PCI-ADDR BAD-ADDR
 *
 * It maps BAR0 through sysfs, takes three pages of its own memory (their
 * guest-physical addresses from /proc/self/pagemap), makes them the admin
 * submission queue, completion queue and a data page, enables the
 * controller and sends IDENTIFY CONTROLLER twice: into the data page, then
 * into BAD-ADDR, a guest-physical address that is not guest RAM.  The
 * IOMMU in front of the controller maps only guest RAM (minivmm's
 * VFIO_IOMMU_MAP_DMA), so the second transfer must fault there and
 * reach no memory at all (vfio_test looks for the fault in the host's
 * log).  Prints one line:
 *
 *   nvme-dma good-status S vid V bad-status S2
 *
 * (S and S2 the completion's status field: 0 is success; V the PCI vendor
 * ID the first IDENTIFY returned), or "nvme-dma error: ..." and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Controller registers (NVMe base specification 2.0, 3.1). */
#define REG_CC		0x14
#define REG_CSTS	0x1c
#define REG_AQA		0x24
#define REG_ASQ		0x28
#define REG_ACQ		0x30
#define REG_SQ0TDBL	0x1000
#define CC_ENABLE	1u
#define CC_IOSQES_64	(6u << 16)
#define CC_IOCQES_16	(4u << 20)
#define CSTS_RDY	1u
#define OPC_IDENTIFY	0x06
#define CNS_CTRL	1

#define PAGE		4096
#define TIMEOUT_MS	10000

static volatile uint32_t *bar;

static void die(const char *what)
{
	printf("nvme-dma error: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint32_t rd(unsigned int off)
{
	return bar[off / 4];
}

static void wr(unsigned int off, uint32_t v)
{
	bar[off / 4] = v;
	__sync_synchronize();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Wait until CSTS.RDY is @rdy. */
static void wait_ready(uint32_t rdy)
{
	uint64_t end = now_ms() + TIMEOUT_MS;

	while ((rd(REG_CSTS) & CSTS_RDY) != rdy) {
		if (now_ms() > end) {
			errno = ETIMEDOUT;
			die("CSTS.RDY");
		}
	}
}

/* The guest-physical address of the page at @va (locked, touched). */
static uint64_t phys_of(void *va)
{
	uint64_t entry;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		die("/proc/self/pagemap");
	if (pread(fd, &entry, sizeof(entry),
		  (uintptr_t)va / PAGE * sizeof(entry)) != sizeof(entry))
		die("pagemap read");
	close(fd);
	/* Bit 63: present; bits 54:0: the page frame number (root only). */
	if (!(entry >> 63) || !(entry & ((1ull << 55) - 1))) {
		errno = EFAULT;
		die("page frame number");
	}
	return (entry & ((1ull << 55) - 1)) * PAGE;
}

/*
 * IDENTIFY CONTROLLER into @prp1, as command @cid at submission slot
 * @slot; the completion's status field, or -1 if none came in time.
 */
static int identify(volatile uint32_t *sq, volatile uint32_t *cq,
		    unsigned int slot, uint16_t cid, uint64_t prp1)
{
	volatile uint32_t *sqe = sq + slot * 16, *cqe = cq + slot * 4;
	uint64_t end = now_ms() + TIMEOUT_MS;

	memset((void *)sqe, 0, 64);
	sqe[0] = OPC_IDENTIFY | (uint32_t)cid << 16;
	sqe[6] = (uint32_t)prp1;
	sqe[7] = prp1 >> 32;
	sqe[10] = CNS_CTRL;
	__sync_synchronize();
	wr(REG_SQ0TDBL, slot + 1);
	/* The phase tag of the first pass through the queue is 1. */
	while (!(cqe[3] >> 16 & 1)) {
		if (now_ms() > end)
			return -1;
	}
	__sync_synchronize();
	if ((cqe[3] & 0xffff) != cid)
		return -2;
	return cqe[3] >> 17;
}

int main(int argc, char **argv)
{
	char path[128];
	uint64_t bad, sq_pa, cq_pa, data_pa;
	uint8_t *mem;
	int fd, good, fault;

	if (argc != 3) {
		fprintf(stderr, "usage: nvme_dma PCI-ADDR BAD-ADDR\n");
		return 2;
	}
	bad = strtoull(argv[2], NULL, 0);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0",
		 argv[1]);
	fd = open(path, O_RDWR | O_SYNC);
	if (fd < 0)
		die(path);
	bar = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (bar == MAP_FAILED)
		die("mmap BAR0");

	mem = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED | MAP_POPULATE,
		   -1, 0);
	if (mem == MAP_FAILED || mlock(mem, 3 * PAGE))
		die("queue memory");
	memset(mem, 0, 3 * PAGE);
	sq_pa = phys_of(mem);
	cq_pa = phys_of(mem + PAGE);
	data_pa = phys_of(mem + 2 * PAGE);

	wr(REG_CC, 0);
	wait_ready(0);
	wr(REG_AQA, 3u << 16 | 3u);	/* four entries each (0-based) */
	wr(REG_ASQ, (uint32_t)sq_pa);
	wr(REG_ASQ + 4, sq_pa >> 32);
	wr(REG_ACQ, (uint32_t)cq_pa);
	wr(REG_ACQ + 4, cq_pa >> 32);
	wr(REG_CC, CC_ENABLE | CC_IOSQES_64 | CC_IOCQES_16);
	wait_ready(CSTS_RDY);

	good = identify((uint32_t *)mem, (uint32_t *)(mem + PAGE), 0, 1,
			data_pa);
	fault = identify((uint32_t *)mem, (uint32_t *)(mem + PAGE), 1, 2,
			 bad);
	printf("nvme-dma good-status %d vid %04x bad-status %d\n", good,
	       *(volatile uint16_t *)(mem + 2 * PAGE), fault);
	wr(REG_CC, 0);
	return 0;
}
