// SPDX-License-Identifier: GPL-2.0
/*
 * An Arm PrimeCell PL011 UART (Arm DDI 0183G), as much as Linux's
 * amba-pl011 driver and a polling payload need.
 *
 * Transmit: UARTDR writes go straight to stdout, so the transmit FIFO is
 * always empty (TXFE) and never full.  Receive: a 16-entry FIFO (1 entry
 * with LCR_H.FEN clear) filled by the terminal's input thread with what
 * fits; the thread keeps the rest and never waits on the guest.  Interrupts are modelled as levels derived from that
 * state: RX while the FIFO holds at least the IFLS trigger level, RT
 * (receive timeout) while it holds anything - the 32-bit-period timeout
 * has always expired by the time a vCPU looks - and TX always, the FIFO
 * being empty.  The SPI follows RIS & IMSC.  The peripheral and PrimeCell
 * ID registers read like a real PL011 so that the AMBA bus probes it.
 * Other registers (baud rate, line control) are stored and read back.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdt.h"
#include "gic.h"
#include "kvm.h"
#include "minivmm.h"
#include "mmio.h"
#include "pl011.h"

#define UARTDR		0x000
#define UARTFR		0x018
#define UARTLCR_H	0x02c
#define UARTCR		0x030
#define UARTIFLS	0x034
#define UARTIMSC	0x038
#define UARTRIS		0x03c
#define UARTMIS		0x040
#define UARTICR		0x044
#define UARTPERIPHID0	0xfe0
#define UARTPCELLID3	0xffc

#define UARTFR_RXFE	(1U << 4)
#define UARTFR_RXFF	(1U << 6)
#define UARTFR_TXFE	(1U << 7)
#define UARTLCR_H_FEN	(1U << 4)
#define UART_INT_RX	(1U << 4)
#define UART_INT_TX	(1U << 5)
#define UART_INT_RT	(1U << 6)

#define PL011_FIFO_DEPTH	16
/* The clock the device tree gives the UART; only baud divisors depend on it. */
#define PL011_CLK_HZ		24000000
#define PL011_CLK_PHANDLE	2

/*
 * UARTPeriphID0..3 then UARTPCellID0..3 (DDI 0183G, 3.3.14-15): part 0x011,
 * designer 0x41 (Arm), revision r1p5; the cell ids are the PrimeCell
 * signature 0xb105f00d that the AMBA bus checks before matching a driver.
 */
static const uint8_t pl011_id[8] = {
	0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
};

struct pl011 {
	struct kvm *kvm;
	pthread_mutex_t lock;
	uint32_t regs[PL011_SIZE / 4];	/* the stored-only registers */
	uint8_t rx_fifo[PL011_FIFO_DEPTH];
	unsigned int rx_head;
	unsigned int rx_count;
	bool irq_level;
};

/* Unbuffered: guest output must not sit in stdio if the VM dies. */
static void pl011__tx(struct pl011 *uart, uint8_t c)
{
	kvm__write_out(uart->kvm, &c, 1);
}

/* With the FIFOs disabled the UART holds one character (DDI 0183G, 2.4.3). */
static unsigned int pl011__rx_depth(struct pl011 *uart)
{
	return uart->regs[UARTLCR_H / 4] & UARTLCR_H_FEN ? PL011_FIFO_DEPTH : 1;
}

/* UARTIFLS.RXIFLSEL: 1/8, 1/4, 1/2, 3/4 or 7/8 full. */
static unsigned int pl011__rx_trigger(struct pl011 *uart)
{
	static const unsigned int eighths[] = { 1, 2, 4, 6, 7 };
	unsigned int sel = (uart->regs[UARTIFLS / 4] >> 3) & 7;

	if (!(uart->regs[UARTLCR_H / 4] & UARTLCR_H_FEN))
		return 1;
	return PL011_FIFO_DEPTH * eighths[sel < 5 ? sel : 2] / 8;
}

static uint32_t pl011__ris(struct pl011 *uart)
{
	uint32_t ris = UART_INT_TX;

	if (uart->rx_count)
		ris |= UART_INT_RT;
	if (uart->rx_count >= pl011__rx_trigger(uart))
		ris |= UART_INT_RX;
	return ris;
}

/* Called with the lock held, after every change of state the SPI depends on. */
static void pl011__update_irq(struct pl011 *uart)
{
	bool level = pl011__ris(uart) & uart->regs[UARTIMSC / 4];

	if (level != uart->irq_level) {
		uart->irq_level = level;
		gic__set_spi(uart->kvm, PL011_SPI, level);
	}
}

static uint32_t pl011__pop(struct pl011 *uart)
{
	uint32_t c;

	if (!uart->rx_count)
		return 0;
	c = uart->rx_fifo[uart->rx_head];
	uart->rx_head = (uart->rx_head + 1) % PL011_FIFO_DEPTH;
	uart->rx_count--;
	return c;
}

static uint32_t pl011__read(struct pl011 *uart, uint64_t reg)
{
	uint32_t fr = UARTFR_TXFE;

	switch (reg) {
	case UARTDR:
		return pl011__pop(uart);
	case UARTFR:
		if (!uart->rx_count)
			fr |= UARTFR_RXFE;
		if (uart->rx_count >= pl011__rx_depth(uart))
			fr |= UARTFR_RXFF;
		return fr;
	case UARTRIS:
		return pl011__ris(uart);
	case UARTMIS:
		return pl011__ris(uart) & uart->regs[UARTIMSC / 4];
	case UARTICR:
		return 0;
	case UARTPERIPHID0 ... UARTPCELLID3:
		return pl011_id[(reg - UARTPERIPHID0) / 4];
	default:
		return uart->regs[reg / 4];
	}
}

static void pl011__write(struct pl011 *uart, uint64_t reg, uint32_t val)
{
	switch (reg) {
	case UARTDR:
		pl011__tx(uart, val & 0xff);
		break;
	case UARTFR:
	case UARTRIS:
	case UARTMIS:
	case UARTPERIPHID0 ... UARTPCELLID3:
		break;		/* read-only */
	case UARTICR:
		/*
		 * Every interrupt here is a level derived from the FIFOs: the
		 * condition, not a latch, says whether it is asserted.
		 */
		break;
	default:
		uart->regs[reg / 4] = val;
		break;
	}
}

/**
 * pl011__mmio() - one guest access to the UART's registers
 * @dev:	the UART
 * @offset:	into its 4 KiB frame
 * @data:	little-endian, filled on reads
 * @len:	bytes, 1 to 8
 * @is_write:	direction
 *
 * The PL011's registers are 32 bits wide at word offsets.  Narrower
 * accesses (strb to UARTDR is common) act on the low bytes of the register;
 * accesses that straddle registers are ignored and read as 0.  The MMIO
 * bus's handler, and the fuzzer's way in.
 */
void pl011__mmio(void *dev, uint64_t offset, uint8_t *data,
			uint32_t len, bool is_write)
{
	struct pl011 *uart = dev;
	uint64_t reg = offset & ~3ULL;
	unsigned int shift = (offset & 3) * 8;
	uint32_t val = 0;
	unsigned int i;

	if ((offset & 3) + len > 4) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}

	pthread_mutex_lock(&uart->lock);
	if (is_write) {
		for (i = 0; i < len; i++)
			val |= (uint32_t)data[i] << (8 * i);
		/*
		 * A narrow write to UARTDR is one character; other registers
		 * merge it into what they hold.
		 */
		if (len < 4 && reg != UARTDR) {
			uint32_t mask = (len == 1 ? 0xffU : 0xffffU) << shift;

			val = (pl011__read(uart, reg) & ~mask) | (val << shift);
		}
		if (reg != UARTDR || !shift)
			pl011__write(uart, reg, val);
	} else {
		/* A narrow read of UARTDR above byte 0 must not pop the FIFO. */
		val = reg == UARTDR && shift ? 0 : pl011__read(uart, reg) >> shift;
		for (i = 0; i < len; i++)
			data[i] = val >> (8 * i);
	}
	pl011__update_irq(uart);
	pthread_mutex_unlock(&uart->lock);
}

/**
 * pl011__receive() - characters typed on the terminal arrive at the UART
 * @kvm:	the VM
 * @buf:	the characters
 * @len:	how many
 *
 * Takes what fits in the receive FIFO and returns: the caller keeps the
 * rest and offers it again later, so that a guest that never reads cannot
 * stall the terminal (and its Ctrl-A x).
 *
 * Return: how many were taken, 0 to @len.
 */
size_t pl011__receive(struct kvm *kvm, const uint8_t *buf, size_t len)
{
	struct pl011 *uart = kvm->uart;
	size_t done = 0;

	pthread_mutex_lock(&uart->lock);
	while (done < len && uart->rx_count < pl011__rx_depth(uart)) {
		uart->rx_fifo[(uart->rx_head + uart->rx_count) % PL011_FIFO_DEPTH] =
			buf[done++];
		uart->rx_count++;
		pl011__update_irq(uart);
	}
	pthread_mutex_unlock(&uart->lock);
	return done;
}

/**
 * pl011__generate_fdt() - the UART's node and the clock it names
 * @kvm:	the VM
 * @f:		the tree being written
 *
 * The amba-pl011 driver needs "uartclk" for its baud divisors and the AMBA
 * bus needs "apb_pclk"; one fixed clock serves as both.
 */
void pl011__generate_fdt(struct kvm *kvm, struct fdt *f)
{
	static const char compat[] = "arm,pl011\0arm,primecell";
	static const char clock_names[] = "uartclk\0apb_pclk";
	const uint32_t clocks[] = { PL011_CLK_PHANDLE, PL011_CLK_PHANDLE };

	fdt__begin_node(f, "apb-pclk");
	fdt__prop_string(f, "compatible", "fixed-clock");
	fdt__prop_u32(f, "#clock-cells", 0);
	fdt__prop_u32(f, "clock-frequency", PL011_CLK_HZ);
	fdt__prop_string(f, "clock-output-names", "clk24mhz");
	fdt__prop_u32(f, "phandle", PL011_CLK_PHANDLE);
	fdt__end_node(f);

	fdt__begin_node(f, "%s", &PL011_FDT_PATH[1]);
	fdt__prop(f, "compatible", compat, sizeof(compat));
	fdt__prop_reg(f, PL011_BASE, PL011_SIZE);
	fdt__prop_irq(f, PL011_SPI, GIC_FDT_IRQ_LEVEL_HIGH);
	fdt__prop_cells(f, "clocks", clocks, ARRAY_SIZE(clocks));
	fdt__prop(f, "clock-names", clock_names, sizeof(clock_names));
	fdt__end_node(f);
}

/**
 * pl011__init() - create the UART and put it on the MMIO bus at PL011_BASE
 * @kvm: the VM
 *
 * Return: 0, or -1 with a message.
 */
int pl011__init(struct kvm *kvm)
{
	struct pl011 *uart = calloc(1, sizeof(*uart));

	if (!uart) {
		fprintf(stderr, "minivmm: pl011: out of memory\n");
		return -1;
	}
	uart->kvm = kvm;
	pthread_mutex_init(&uart->lock, NULL);
	/* Reset values (DDI 0183G, 3.2): TXE and RXE set, UART disabled. */
	uart->regs[UARTCR / 4] = 0x300;
	uart->regs[UARTIFLS / 4] = 0x12;
	if (mmio__register(kvm, PL011_BASE, PL011_SIZE, pl011__mmio, uart,
			   "pl011")) {
		pthread_mutex_destroy(&uart->lock);
		free(uart);
		return -1;
	}
	kvm->uart = uart;
	return 0;
}

void pl011__exit(struct kvm *kvm)
{
	if (!kvm->uart)
		return;
	pthread_mutex_destroy(&kvm->uart->lock);
	free(kvm->uart);
	kvm->uart = NULL;
}
