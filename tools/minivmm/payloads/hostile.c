// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: a guest that attacks minivmm's devices, then checks that they
 * still work (issue 13).  Run with --raw, -d DISK and --console virtio, so
 * that the virtio console and the disk are there; no GIC, so it polls.
 *
 * For each of ROUNDS rounds, with a fixed seed:
 *  1. a burst of HOSTILE_OPS attacks: random values written to random
 *     registers of every virtio slot (present or not) and of the PL011,
 *     random bytes in a scratch area of RAM, and queues brought up the
 *     way a driver would but with random sizes, ring addresses (in the
 *     scratch area, or anywhere outside RAM) and descriptors, then kicked;
 *  2. the well-behaved task: reset the disk, negotiate (with
 *     VIRTIO_BLK_F_FLUSH on odd rounds, writethrough on even ones), write
 *     sector 8 + round with a pattern, flush, read it back, compare, and
 *     print a line on the virtio console;
 *  3. "round N ok" (or "round N FAIL ...") on the PL011.
 * Then "hostile-done" with the number of times a device answered an
 * attack with DEVICE_NEEDS_RESET.  With a virtio console it powers off; without one
 * (and then without the console part of the good task) it waits for 'q'
 * on the PL011: the test kills minivmm there instead, to check that what
 * the guest saw written is in the image file.
 *
 * MMU off: every access is Device-nGnRnE, in program order.  MMIO goes
 * through inline asm so that each access is one plain LDR/STR (a valid
 * syndrome for the data abort).  Attacks never point a device at the
 * payload itself: their addresses are in the scratch area or outside RAM.
 */
#include "payload.h"

#define RAM_SIZE	(64UL << 20)
#define SCRATCH		(RAM_BASE + 0x200000UL)
#define SCRATCH_SIZE	0x10000UL
#define GOOD_RING	(RAM_BASE + 0x300000UL)
#define GOOD_BUF	(RAM_BASE + 0x310000UL)
#define ROUNDS		4
#define HOSTILE_OPS	3000
#define POLL_SECONDS	60

#define VIRTIO_ID_BLOCK		2
#define VIRTIO_ID_CONSOLE	3
#define BLK_F_FLUSH		(1U << 9)
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4

static void putnum(uint64_t n)
{
	char buf[21];
	int i = 20;

	buf[i] = 0;
	do {
		buf[--i] = '0' + n % 10;
		n /= 10;
	} while (n);
	puts_uart(buf + i);
}

static uint64_t rng = 0x13579bdf2468ace0ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(void *p, int c, uint64_t n)
{
	volatile uint8_t *b = p;

	while (n--)
		*b++ = c;
}

/* An address a device may be pointed at: the scratch area, or not RAM. */
static uint64_t hostile_addr(void)
{
	switch (rnd() % 6) {
	case 0:
		return rnd();				/* anything */
	case 1:
		return rnd() & 0x7fffffffUL;		/* below RAM */
	case 2:
		return SCRATCH + rnd() % SCRATCH_SIZE;
	default:
		/* Aligned as rings must be, so that queues do come up. */
		return SCRATCH + (rnd() % SCRATCH_SIZE & ~15UL);
	}
}

/* A hostile value for a register: small numbers, addresses, anything. */
static uint32_t hostile_val(void)
{
	switch (rnd() % 4) {
	case 0:
		return rnd() % 8;
	case 1:
		return 1U << (rnd() % 16);
	case 2:
		return hostile_addr();
	default:
		return rnd();
	}
}

/* Times a device said DEVICE_NEEDS_RESET after a hostile queue. */
static unsigned long needs_reset_seen;

static uintptr_t find_device(uint32_t id);

static void hostile_queue(uintptr_t base)
{
	uint64_t desc = hostile_addr(), avail = hostile_addr(), used = hostile_addr();
	/*
	 * Not the console's transmit queue: noise there would be noise on
	 * stdout, where the test reads the results (the fuzzers cover it).
	 */
	unsigned int i, q = rnd() % 3, tx_ok = base != find_device(VIRTIO_ID_CONSOLE);

	if (q == 1 && !tx_ok)
		q = 0;

	mmio_w32(base + R_STATUS, S_ACK | S_DRIVER);
	mmio_w32(base + R_DRV_FEAT_SEL, 1);
	mmio_w32(base + R_DRV_FEAT, rnd() % 4 ? 1 : hostile_val());
	mmio_w32(base + R_DRV_FEAT_SEL, 0);
	mmio_w32(base + R_DRV_FEAT, rnd() % 2 ? 0 : hostile_val());
	mmio_w32(base + R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	mmio_w32(base + R_QUEUE_SEL, q);
	mmio_w32(base + R_QUEUE_NUM, rnd() % 4 ? 1U << (rnd() % 9) : hostile_val());
	mmio_w32(base + R_DESC_LO, desc);
	mmio_w32(base + R_DESC_HI, desc >> 32);
	mmio_w32(base + R_AVAIL_LO, avail);
	mmio_w32(base + R_AVAIL_HI, avail >> 32);
	mmio_w32(base + R_USED_LO, used);
	mmio_w32(base + R_USED_HI, used >> 32);
	/* Descriptors and rings full of noise, where they are in RAM. */
	for (i = 0; i < 64; i++) {
		uint64_t a = SCRATCH + (rnd() % (SCRATCH_SIZE - 16) & ~15UL);
		struct desc *d = (struct desc *)a;

		d->addr = hostile_addr();
		/* Lengths past the end of RAM, or small: stdout stays readable. */
		d->len = rnd() % 3 ? rnd() % 4096 : (uint32_t)rnd() | 0x10000000;
		d->flags = rnd() % 8;
		d->next = rnd() % 4 ? rnd() % 16 : (uint16_t)rnd();
	}
	mb();
	mmio_w32(base + R_QUEUE_READY, 1);
	mmio_w32(base + R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	for (i = 0; i < 4; i++)
		mmio_w32(base + R_QUEUE_NOTIFY, tx_ok ? rnd() % 3 : 0);
	/* The device's I/O thread looks at the rings soon after. */
	for (i = 0; i < 40; i++) {
		if (mmio_r32(base + R_STATUS) & S_NEEDS_RESET) {
			needs_reset_seen++;
			break;
		}
	}
}

static void hostile_burst(void)
{
	unsigned int i;

	for (i = 0; i < HOSTILE_OPS; i++) {
		uintptr_t base = VIRTIO(rnd() % NR_SLOTS);

		switch (rnd() % 6) {
		case 0:
		case 1:
			mmio_w32(base + (rnd() % 0x200 & ~3UL), hostile_val());
			break;
		case 2:
			(void)mmio_r32(base + (rnd() % 0x200 & ~3UL));
			break;
		case 3:
			*(volatile uint32_t *)(SCRATCH + (rnd() % SCRATCH_SIZE & ~3UL)) = rnd();
			break;
		case 4:
			hostile_queue(base);
			break;
		case 5:
			/* PL011 registers, but not UARTDR: its output is checked. */
			mmio_w32(UART + 0x24 + (rnd() % 0x20 & ~3UL), hostile_val());
			break;
		}
	}
	/* The PL011 back as the good task prints with it. */
	mmio_w32(UART + 0x30, 0x301);
}

struct vq {
	uintptr_t base;
	unsigned int q;
	struct desc *desc;
	volatile uint16_t *avail;	/* flags, idx, ring[8] */
	volatile uint16_t *used;	/* flags, idx, then 8-byte entries */
	uint16_t next_avail;
};

#define QNUM	8

/* Reset, negotiate, one queue of QNUM at @ring.  Return: 0 or -1. */
static int good_init(struct vq *vq, uintptr_t base, unsigned int q,
		     uintptr_t ring, uint32_t features)
{
	uint32_t s;

	vq->base = base;
	vq->q = q;
	vq->desc = (struct desc *)ring;
	vq->avail = (volatile uint16_t *)(ring + 0x400);
	vq->used = (volatile uint16_t *)(ring + 0x800);
	vq->next_avail = 0;
	fill((void *)ring, 0, 0x1000);
	mmio_w32(base + R_STATUS, 0);
	if (mmio_r32(base + R_STATUS))
		return -1;
	mmio_w32(base + R_STATUS, S_ACK | S_DRIVER);
	mmio_w32(base + R_DRV_FEAT_SEL, 0);
	mmio_w32(base + R_DRV_FEAT, features);
	mmio_w32(base + R_DRV_FEAT_SEL, 1);
	mmio_w32(base + R_DRV_FEAT, 1);		/* VIRTIO_F_VERSION_1 */
	mmio_w32(base + R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	s = mmio_r32(base + R_STATUS);
	if (!(s & S_FEATURES_OK))
		return -1;
	mmio_w32(base + R_QUEUE_SEL, q);
	mmio_w32(base + R_QUEUE_NUM, QNUM);
	mmio_w32(base + R_DESC_LO, ring);
	mmio_w32(base + R_DESC_HI, 0);
	mmio_w32(base + R_AVAIL_LO, ring + 0x400);
	mmio_w32(base + R_AVAIL_HI, 0);
	mmio_w32(base + R_USED_LO, ring + 0x800);
	mmio_w32(base + R_USED_HI, 0);
	mmio_w32(base + R_QUEUE_READY, 1);
	mmio_w32(base + R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return mmio_r32(base + R_QUEUE_READY) == 1 ? 0 : -1;
}

/* Post descriptors 0..n-1 as one chain, kick, wait.  Return: 0 or -1. */
static int good_submit(struct vq *vq, unsigned int n)
{
	/* A time limit, not a spin count: the host may be very busy. */
	uint64_t end = cntvct() + POLL_SECONDS * cntfrq();
	uint16_t used_before = vq->used[1];

	vq->avail[2 + vq->next_avail % QNUM] = 0;
	mb();
	vq->avail[1] = ++vq->next_avail;
	mb();
	mmio_w32(vq->base + R_QUEUE_NOTIFY, vq->q);
	while (cntvct() < end) {
		if (vq->used[1] != used_before) {
			mmio_w32(vq->base + R_INT_ACK, 3);
			return 0;
		}
	}
	(void)n;
	return -1;
}

static int blk_request(struct vq *vq, uint32_t type, uint64_t sector,
		       void *data, uint32_t len, volatile uint8_t *status)
{
	volatile uint32_t *hdr = (volatile uint32_t *)(GOOD_BUF);
	unsigned int n = 0;

	hdr[0] = type;
	hdr[1] = 0;
	hdr[2] = sector;
	hdr[3] = sector >> 32;
	*status = 0xff;
	vq->desc[n] = (struct desc){ GOOD_BUF, 16, D_NEXT, n + 1 };
	n++;
	if (len) {
		vq->desc[n] = (struct desc){ (uintptr_t)data, len,
			D_NEXT | (type == T_IN ? D_WRITE : 0), n + 1 };
		n++;
	}
	vq->desc[n] = (struct desc){ (uintptr_t)status, 1, D_WRITE, 0 };
	if (good_submit(vq, n + 1))
		return -1;
	return *status;
}

static const char *good_round(unsigned int round)
{
	uint8_t *wbuf = (uint8_t *)(GOOD_BUF + 0x1000);
	uint8_t *rbuf = (uint8_t *)(GOOD_BUF + 0x2000);
	volatile uint8_t *status = (volatile uint8_t *)(GOOD_BUF + 0x100);
	uint32_t features = round & 1 ? BLK_F_FLUSH : 0;
	uintptr_t blk = find_device(VIRTIO_ID_BLOCK);
	uintptr_t con = find_device(VIRTIO_ID_CONSOLE);
	struct vq vq;
	unsigned int i;

	if (!blk)
		return "disk gone";
	if (good_init(&vq, blk, 0, GOOD_RING, features))
		return "disk init";
	for (i = 0; i < 512; i++)
		wbuf[i] = (uint8_t)(round * 37 + i);
	fill(wbuf, 'M', 8);
	wbuf[8] = '0' + round;
	if (blk_request(&vq, T_OUT, 8 + round, wbuf, 512, status))
		return "write";
	if ((features & BLK_F_FLUSH) && blk_request(&vq, T_FLUSH, 0, 0, 0, status))
		return "flush";
	fill(rbuf, 0, 512);
	if (blk_request(&vq, T_IN, 8 + round, rbuf, 512, status))
		return "read";
	for (i = 0; i < 512; i++)
		if (rbuf[i] != wbuf[i])
			return "data differs";
	/* The console too: one line on hvc0, on its transmit queue. */
	if (!con)
		return 0;
	if (good_init(&vq, con, 1, GOOD_RING + 0x1000, 0))
		return "console init";
	fill(wbuf, 0, 32);
	{
		const char *msg = "virtio-console ok\n";

		for (i = 0; msg[i]; i++)
			wbuf[i] = msg[i];
	}
	vq.desc[0] = (struct desc){ (uintptr_t)wbuf, i, 0, 0 };
	if (good_submit(&vq, 1))
		return "console write";
	return 0;
}

static void psci_off(void)
{
	register uint64_t x0 __asm__("x0") = 0x84000008;

	__asm__ __volatile__("hvc #0" : "+r"(x0) : : "memory");
}

void payload_main(void)
{
	unsigned int round;
	const char *err;

	puts_uart("hostile-start\n");
	for (round = 1; round <= ROUNDS; round++) {
		hostile_burst();
		err = good_round(round);
		puts_uart("round ");
		putnum(round);
		if (err) {
			puts_uart(" FAIL ");
			puts_uart(err);
		} else {
			puts_uart(" ok");
		}
		putc_uart('\n');
	}
	puts_uart("hostile-done, needs-reset seen ");
	putnum(needs_reset_seen);
	putc_uart('\n');
	/* 'q' on the PL011 powers off; anything else is ignored. */
	while (!find_device(VIRTIO_ID_CONSOLE)) {
		if (!(mmio_r32(UART + 0x18) & (1U << 4)) &&
		    (mmio_r32(UART) & 0xff) == 'q')
			break;
	}
	psci_off();
}
