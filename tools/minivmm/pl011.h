/* SPDX-License-Identifier: GPL-2.0 */
/* An Arm PL011 UART: transmit to stdout, never anything to receive. */
#ifndef MINIVMM_PL011_H
#define MINIVMM_PL011_H

struct kvm;

/* Where QEMU's virt machine puts its UART, so guests built for it just work. */
#define PL011_BASE	0x09000000ULL
#define PL011_SIZE	0x1000ULL

int pl011__init(struct kvm *kvm);
void pl011__exit(struct kvm *kvm);

#endif /* MINIVMM_PL011_H */
