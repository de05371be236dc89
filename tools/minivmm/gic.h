/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's interrupt controller: an in-kernel GICv3 (KVM's vGIC device),
 * placed like kvmtool places it, just below 1 GiB.  Userspace devices drive
 * their SPIs through it.
 */
#ifndef MINIVMM_GIC_H
#define MINIVMM_GIC_H

#include <stdbool.h>
#include <stdint.h>

struct fdt;
struct kvm;

/* The distributor's 64 KiB frame ends at 1 GiB ... */
#define GIC_DIST_SIZE		0x10000ULL
#define GIC_DIST_BASE		(0x40000000ULL - GIC_DIST_SIZE)
/* ... and below it, one RD_base + SGI_base frame pair per vCPU. */
#define GIC_REDIST_SIZE		0x20000ULL

/* SGIs, PPIs and 96 SPIs: a multiple of 32, as KVM requires. */
#define GIC_NR_IRQS		128
#define GIC_SPI_BASE		32

/* Device tree interrupt specifier cells (arm,gic-v3 binding). */
#define GIC_FDT_SPI		0
#define GIC_FDT_PPI		1
#define GIC_FDT_IRQ_EDGE_RISING	1
#define GIC_FDT_IRQ_LEVEL_HIGH	4
#define GIC_FDT_IRQ_LEVEL_LOW	8
#define GIC_PHANDLE		1

int gic__create(struct kvm *kvm);
int gic__init(struct kvm *kvm);
void gic__exit(struct kvm *kvm);
uint64_t gic__redist_base(struct kvm *kvm);
uint64_t gic__redist_size(struct kvm *kvm);
void gic__generate_fdt(struct kvm *kvm, struct fdt *f);
void gic__set_spi(struct kvm *kvm, unsigned int spi, bool level);

#endif /* MINIVMM_GIC_H */
