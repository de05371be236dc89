// SPDX-License-Identifier: GPL-2.0
/*
 * An Arm PrimeCell PL011 UART (Arm DDI 0183G), enough for a guest to print:
 * UARTDR writes go straight to stdout; the flag register always says the
 * transmit FIFO is empty and the receive FIFO too, so a polling driver
 * never waits; the peripheral and PrimeCell ID registers read like a real
 * PL011 so that Linux's amba-pl011 driver can probe it.  Everything else
 * (baud rate, line and interrupt control) is stored and read back: with no
 * interrupt controller yet, there is nothing for it to drive.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm.h"
#include "mmio.h"
#include "pl011.h"

#define UARTDR		0x000
#define UARTFR		0x018
#define UARTPERIPHID0	0xfe0
#define UARTPCELLID3	0xffc

#define UARTFR_RXFE	(1U << 4)
#define UARTFR_TXFE	(1U << 7)

/*
 * UARTPeriphID0..3 then UARTPCellID0..3 (DDI 0183G, 3.3.14-15): part 0x011,
 * designer 0x41 (Arm), revision r1p5; the cell ids are the PrimeCell
 * signature 0xb105f00d that the AMBA bus checks before matching a driver.
 */
static const uint8_t pl011_id[8] = {
	0x11, 0x10, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1,
};

struct pl011 {
	pthread_mutex_t lock;
	uint32_t regs[PL011_SIZE / 4];
};

static void pl011__tx(uint8_t c)
{
	ssize_t n;

	/* Unbuffered: guest output must not sit in stdio if the VM dies. */
	do {
		n = write(STDOUT_FILENO, &c, 1);
	} while (n < 0 && errno == EINTR);
}

static uint32_t pl011__read(struct pl011 *uart, uint64_t reg)
{
	switch (reg) {
	case UARTDR:
		return 0;	/* nothing is ever received */
	case UARTFR:
		return UARTFR_TXFE | UARTFR_RXFE;
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
		pl011__tx(val & 0xff);
		break;
	case UARTFR:
	case UARTPERIPHID0 ... UARTPCELLID3:
		break;		/* read-only */
	default:
		uart->regs[reg / 4] = val;
		break;
	}
}

/*
 * The PL011's registers are 32 bits wide at word offsets.  Narrower
 * accesses (strb to UARTDR is common) act on the low bytes of the register;
 * accesses that straddle registers are ignored and read as 0.
 */
static void pl011__mmio(void *dev, uint64_t offset, uint8_t *data,
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
		val = pl011__read(uart, reg) >> shift;
		for (i = 0; i < len; i++)
			data[i] = val >> (8 * i);
	}
	pthread_mutex_unlock(&uart->lock);
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
	pthread_mutex_init(&uart->lock, NULL);
	/* Reset values (DDI 0183G, 3.2): TXE and RXE set, UART disabled. */
	uart->regs[0x030 / 4] = 0x300;
	if (mmio__register(kvm, PL011_BASE, PL011_SIZE, pl011__mmio, uart,
			   "pl011")) {
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
