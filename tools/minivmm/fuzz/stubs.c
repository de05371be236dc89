// SPDX-License-Identifier: GPL-2.0
/*
 * What the device models call outside themselves, for the host-side
 * fuzzers: no KVM, no GIC, no vCPUs, no device tree.  Interrupt lines are
 * recorded (and checked to be sane), everything else succeeds doing nothing.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "../fdt.h"
#include "../gic.h"
#include "../kvm.h"
#include "../kvm-cpu.h"
#include "../pci.h"
#include "../vfio.h"
#include "fuzz.h"

unsigned long fuzz_irq_changes;

void gic__set_spi(struct kvm *kvm, unsigned int spi, bool level)
{
	/* Devices only drive their own SPIs, below the GIC's limit. */
	if (spi >= GIC_NR_IRQS - GIC_SPI_BASE)
		abort();
	fuzz_irq_changes++;
}

int gic__create(struct kvm *kvm)
{
	return 0;
}

int gic__init(struct kvm *kvm)
{
	return 0;
}

void gic__exit(struct kvm *kvm)
{
}

struct kvm_cpu *kvm_cpu__init(struct kvm *kvm, unsigned int id)
{
	return calloc(1, sizeof(struct kvm_cpu));
}

void kvm_cpu__exit(struct kvm_cpu *vcpu)
{
	free(vcpu);
}

void kvm_cpu__kick(struct kvm_cpu *vcpu)
{
}

uint64_t fuzz_entry_pc, fuzz_entry_x0;

int kvm_cpu__set_entry(struct kvm_cpu *vcpu, uint64_t pc, uint64_t x0)
{
	fuzz_entry_pc = pc;
	fuzz_entry_x0 = x0;
	return 0;
}

void fdt__begin_node(struct fdt *f, const char *fmt, ...)
{
}

void fdt__end_node(struct fdt *f)
{
}

void fdt__prop(struct fdt *f, const char *name, const void *val, int len)
{
}

void fdt__prop_string(struct fdt *f, const char *name, const char *s)
{
}

void fdt__prop_u32(struct fdt *f, const char *name, uint32_t val)
{
}

void fdt__prop_u64(struct fdt *f, const char *name, uint64_t val)
{
}

void fdt__prop_cells(struct fdt *f, const char *name, const uint32_t *cells,
		     unsigned int n)
{
}

void fdt__prop_reg(struct fdt *f, uint64_t addr, uint64_t size)
{
}

void fdt__prop_irq(struct fdt *f, unsigned int spi, uint32_t flags)
{
}

/* The whole buffer is the tree's: touching all of it checks its bounds. */
int fdt__build(struct kvm *kvm, const struct fdt_boot *boot, void *buf,
	       size_t size)
{
	memset(buf, 0xd0, size);
	return 0;
}

/* No PCI devices: the fuzzers pass none through. */
void pci__exit(struct kvm *kvm)
{
}

int vfio__add(struct kvm *kvm, const char *bdf)
{
	return -1;
}
