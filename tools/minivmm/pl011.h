/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An Arm PL011 UART: transmit to stdout, receive from the terminal (see
 * term.c), an interrupt on a GIC SPI.
 */
#ifndef MINIVMM_PL011_H
#define MINIVMM_PL011_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fdt;
struct kvm;

/* Where QEMU's virt machine puts its UART, so guests built for it just work. */
#define PL011_BASE	0x09000000ULL
#define PL011_SIZE	0x1000ULL
#define PL011_SPI	1
#define PL011_FDT_PATH	"/pl011@9000000"

int pl011__init(struct kvm *kvm);
void pl011__exit(struct kvm *kvm);
void pl011__generate_fdt(struct kvm *kvm, struct fdt *f);
void pl011__mmio(void *dev, uint64_t offset, uint8_t *data, uint32_t len,
		 bool is_write);
size_t pl011__receive(struct kvm *kvm, const uint8_t *buf, size_t len);

#endif /* MINIVMM_PL011_H */
