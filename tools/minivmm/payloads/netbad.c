// SPDX-License-Identifier: GPL-2.0
/*
 * netbad: a guest that gives minivmm's virtio-net one malformed request
 * at a time (issue 11, item 5).  Run with --raw and -n tap (or vhost); no
 * GIC, so it polls.
 *
 * For each case: reset the device, bring both queues up, post the bad
 * chain (or ring), kick, and watch for up to a window of seconds: the
 * device either says DEVICE_NEEDS_RESET, or returns the chain in the used
 * ring (the request failed, nothing broke), or does nothing.  The window
 * is CASE_SECONDS, or a digit 1-9 typed on the console after
 * "netbad-start": under vhost-net "nothing" is what most cases come to,
 * so there the window is waited out each time and net_test types 1; the
 * userspace backend answers at once and keeps the long one, a failure
 * timeout only.  Then reset again
 * and send one well-formed frame, which must come back used: the device
 * works again.  One line per case on the PL011:
 *
 *   case NAME: needs-reset|used|nothing|refused; good tx: used|...
 *
 * then "netbad-done", and PSCI SYSTEM_OFF.  MMU off: every access is
 * Device-nGnRnE, in program order; MMIO is one plain LDR/STR each.
 */
#include "payload.h"

/* Each queue in 16 KiB: descriptors, avail ring at +4K, used at +8K. */
#define RXQ_RING	(RAM_BASE + 0x300000UL)
#define TXQ_RING	(RAM_BASE + 0x304000UL)
#define BUF		(RAM_BASE + 0x310000UL)
#define BIG_BUF		(RAM_BASE + 0x400000UL)	/* 1 MiB, inside RAM */
#define OUTSIDE_RAM	0x40000000UL
#define QNUM		128
#define CASE_SECONDS	5
#define GOOD_SECONDS	60
/* How long a window typed on the console may take to arrive. */
#define INPUT_SECONDS	10

#define VIRTIO_ID_NET	1
#define RXQ		0
#define TXQ		1

static uintptr_t net;

static volatile struct desc *ring_desc(unsigned int q)
{
	return (volatile struct desc *)(q == RXQ ? RXQ_RING : TXQ_RING);
}

static volatile uint16_t *ring_avail(unsigned int q)
{
	return (volatile uint16_t *)((q == RXQ ? RXQ_RING : TXQ_RING) + 0x1000);
}

static volatile uint16_t *ring_used(unsigned int q)
{
	return (volatile uint16_t *)((q == RXQ ? RXQ_RING : TXQ_RING) + 0x2000);
}

/* Queue @q at @ring; return whether the device took it. */
static int queue_up(unsigned int q, uintptr_t ring)
{
	/* Not outside RAM: those would be 12K writes to no device. */
	if (ring >= RAM_BASE)
		memset((void *)ring, 0, 0x3000);
	mmio_w32(net + R_QUEUE_SEL, q);
	mmio_w32(net + R_QUEUE_NUM, QNUM);
	mmio_w32(net + R_DESC_LO, ring);
	mmio_w32(net + R_DESC_HI, ring >> 32);
	mmio_w32(net + R_AVAIL_LO, ring + 0x1000);
	mmio_w32(net + R_AVAIL_HI, 0);
	mmio_w32(net + R_USED_LO, ring + 0x2000);
	mmio_w32(net + R_USED_HI, 0);
	mmio_w32(net + R_QUEUE_READY, 1);
	return mmio_r32(net + R_QUEUE_READY) == 1;
}

/*
 * Reset and negotiate VIRTIO_F_VERSION_1 alone; the receive queue at
 * @rx_ring (RXQ_RING, or a hostile address), the transmit queue at its
 * place.  Return: 0, or -1 if a queue was refused.
 */
static int net_up(uintptr_t rx_ring)
{
	int ok;

	mmio_w32(net + R_STATUS, 0);
	mmio_w32(net + R_STATUS, S_ACK | S_DRIVER);
	mmio_w32(net + R_DRV_FEAT_SEL, 0);
	mmio_w32(net + R_DRV_FEAT, 0);
	mmio_w32(net + R_DRV_FEAT_SEL, 1);
	mmio_w32(net + R_DRV_FEAT, 1);
	mmio_w32(net + R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK);
	ok = queue_up(RXQ, rx_ring) & queue_up(TXQ, TXQ_RING);
	mmio_w32(net + R_STATUS, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	return ok ? 0 : -1;
}

/* Publish descriptor @head on queue @q with avail index @idx, and kick. */
static void post(unsigned int q, uint16_t head, uint16_t idx)
{
	volatile uint16_t *avail = ring_avail(q);

	avail[2 + (idx - 1) % QNUM] = head;
	mb();
	avail[1] = idx;
	mb();
	mmio_w32(net + R_QUEUE_NOTIFY, q);
}

/* What became of what was posted on @q, within @seconds. */
static const char *outcome(unsigned int q, unsigned int seconds)
{
	uint64_t end = cntvct() + seconds * cntfrq();

	while (cntvct() < end) {
		if (mmio_r32(net + R_STATUS) & S_NEEDS_RESET)
			return "needs-reset";
		if (ring_used(q)[1]) {
			mmio_w32(net + R_INT_ACK, 3);
			return "used";
		}
	}
	return "nothing";
}

/* Seconds each case is watched for: case_window(). */
static unsigned int window;

/* The window of each case: a digit typed on the console, or CASE_SECONDS. */
static unsigned int case_window(void)
{
	uint64_t end = cntvct() + INPUT_SECONDS * cntfrq();
	uint32_t c;

	while (cntvct() < end) {
		if (mmio_r32(UART + 0x18) & (1U << 4))	/* UARTFR.RXFE */
			continue;
		c = mmio_r32(UART) & 0xff;
		if (c >= '1' && c <= '9')
			return c - '0';
		break;
	}
	return CASE_SECONDS;
}

/* A broadcast frame of a local ethertype, after a zeroed header. */
static const char *good_tx(void)
{
	volatile uint8_t *b = (volatile uint8_t *)BUF;
	unsigned int i;

	if (net_up(RXQ_RING))
		return "refused";
	for (i = 0; i < 12 + 60; i++)
		b[i] = 0;
	for (i = 12; i < 18; i++)
		b[i] = 0xff;
	b[18] = 0x02;
	b[23] = 0x01;
	b[24] = 0x88;
	b[25] = 0xb5;
	ring_desc(TXQ)[0] = (struct desc){ BUF, 12 + 60, 0, 0 };
	post(TXQ, 0, 1);
	return outcome(TXQ, GOOD_SECONDS);
}

static void report(const char *name, const char *what)
{
	puts_uart("case ");
	puts_uart(name);
	puts_uart(": ");
	puts_uart(what);
	puts_uart("; good tx: ");
	puts_uart(good_tx());
	putc_uart('\n');
}

/* One chain on @q from descriptors already written; what came of it. */
static void chain_case(const char *name, unsigned int q)
{
	post(q, 0, 1);
	report(name, outcome(q, window));
}

static void psci_off(void)
{
	register uint64_t x0 __asm__("x0") = 0x84000008;

	__asm__ __volatile__("hvc #0" : "+r"(x0) : : "memory");
}

void payload_main(void)
{
	volatile struct desc *tx = ring_desc(TXQ), *rx = ring_desc(RXQ);
	unsigned int i;

	puts_uart("netbad-start\n");
	window = case_window();
	puts_uart("netbad-window ");
	putc_uart('0' + window);
	putc_uart('\n');
	net = find_device(VIRTIO_ID_NET);
	if (!net) {
		puts_uart("no virtio-net device\n");
		psci_off();
	}

	/* Rings outside RAM, or a descriptor table not 16-byte aligned. */
	report("ring_outside_ram", net_up(OUTSIDE_RAM) ? "refused" : "accepted");
	report("ring_misaligned", net_up(RXQ_RING + 8) ? "refused" : "accepted");

	/* Head index QNUM, one past the table, where a valid descriptor lies. */
	net_up(RXQ_RING);
	tx[QNUM] = (struct desc){ BUF, 72, 0, 0 };
	post(TXQ, QNUM, 1);
	report("bad_head", outcome(TXQ, window));

	net_up(RXQ_RING);
	tx[0] = (struct desc){ OUTSIDE_RAM, 64, 0, 0 };
	chain_case("tx_outside_ram", TXQ);

	net_up(RXQ_RING);
	tx[0] = (struct desc){ BUF, 12, D_NEXT, 1 };
	tx[1] = (struct desc){ BUF + 64, 60, D_NEXT, 0 };
	chain_case("tx_loop", TXQ);

	/* Starts in RAM, ends 4 GiB later. */
	net_up(RXQ_RING);
	tx[0] = (struct desc){ BUF, 0xfffff000U, 0, 0 };
	chain_case("tx_huge_len", TXQ);

	/* 100 descriptors of 16 bytes: no loop, but longer than minivmm follows. */
	net_up(RXQ_RING);
	for (i = 0; i < 100; i++)
		tx[i] = (struct desc){ BUF, 16, i < 99 ? D_NEXT : 0, i + 1 };
	chain_case("tx_chain_too_long", TXQ);

	/* The available index 1000 ahead of a ring of 128. */
	net_up(RXQ_RING);
	tx[0] = (struct desc){ BUF, 72, 0, 0 };
	ring_avail(TXQ)[2] = 0;
	mb();
	ring_avail(TXQ)[1] = 1000;
	mb();
	mmio_w32(net + R_QUEUE_NOTIFY, TXQ);
	report("avail_ahead", outcome(TXQ, window));

	/* In RAM, but no packet is 1 MiB: the request fails. */
	net_up(RXQ_RING);
	tx[0] = (struct desc){ BIG_BUF, 1U << 20, 0, 0 };
	chain_case("tx_oversized", TXQ);

	net_up(RXQ_RING);
	tx[0] = (struct desc){ BUF, 12, D_NEXT, 1 };
	tx[1] = (struct desc){ BUF + 64, 60, D_WRITE, 0 };
	chain_case("tx_writable", TXQ);

	net_up(RXQ_RING);
	rx[0] = (struct desc){ OUTSIDE_RAM, 1526, D_WRITE, 0 };
	chain_case("rx_outside_ram", RXQ);

	net_up(RXQ_RING);
	rx[0] = (struct desc){ BUF, 1526, 0, 0 };
	chain_case("rx_readonly", RXQ);

	net_up(RXQ_RING);
	rx[0] = (struct desc){ BUF, 4, D_WRITE, 0 };
	chain_case("rx_short", RXQ);

	puts_uart("netbad-done\n");
	mmio_w32(net + R_STATUS, 0);
	psci_off();
}
