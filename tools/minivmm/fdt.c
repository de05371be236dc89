// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's device tree: the machine (memory, CPUs, PSCI, timer, the
 * boot arguments) is described here, each device describes itself.
 * Bindings: Documentation/devicetree/bindings/ in the kernel source.
 */
#include <endian.h>
#include <stdarg.h>
#include <stdio.h>
#include <libfdt.h>

#include "fdt.h"
#include "gic.h"
#include "kvm.h"
#include "kvm-cpu.h"
#include "minivmm.h"
#include "pci.h"
#include "pl011.h"
#include "virtio-mmio.h"

/* Linux's arm64 DT parser wants 2 cells for addresses and sizes. */
#define FDT_ADDR_CELLS		2
#define FDT_SIZE_CELLS		2

/* The architected timer's PPIs, as KVM wires them (and kvmtool describes). */
#define TIMER_PPI_SEC_PHYS	13
#define TIMER_PPI_PHYS		14
#define TIMER_PPI_VIRT		11
#define TIMER_PPI_HYP		10

void fdt__begin_node(struct fdt *f, const char *fmt, ...)
{
	char name[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (!f->err)
		f->err = fdt_begin_node(f->buf, name);
}

void fdt__end_node(struct fdt *f)
{
	if (!f->err)
		f->err = fdt_end_node(f->buf);
}

void fdt__prop(struct fdt *f, const char *name, const void *val, int len)
{
	if (!f->err)
		f->err = fdt_property(f->buf, name, val, len);
}

void fdt__prop_string(struct fdt *f, const char *name, const char *s)
{
	if (!f->err)
		f->err = fdt_property_string(f->buf, name, s);
}

void fdt__prop_u32(struct fdt *f, const char *name, uint32_t val)
{
	if (!f->err)
		f->err = fdt_property_u32(f->buf, name, val);
}

void fdt__prop_u64(struct fdt *f, const char *name, uint64_t val)
{
	if (!f->err)
		f->err = fdt_property_u64(f->buf, name, val);
}

/* A cell array: converted to the tree's big-endian here. */
void fdt__prop_cells(struct fdt *f, const char *name, const uint32_t *cells,
		     unsigned int n)
{
	uint32_t be[16];
	unsigned int i;

	if (n > ARRAY_SIZE(be)) {
		f->err = f->err ?: -FDT_ERR_NOSPACE;
		return;
	}
	for (i = 0; i < n; i++)
		be[i] = htobe32(cells[i]);
	fdt__prop(f, name, be, n * sizeof(be[0]));
}

/* One reg entry in the root's 2 + 2 cells. */
void fdt__prop_reg(struct fdt *f, uint64_t addr, uint64_t size)
{
	uint32_t reg[] = { addr >> 32, addr, size >> 32, size };

	fdt__prop_cells(f, "reg", reg, ARRAY_SIZE(reg));
}

/* One GIC SPI, interrupt-parent being the root's. */
void fdt__prop_irq(struct fdt *f, unsigned int spi, uint32_t flags)
{
	uint32_t irq[] = { GIC_FDT_SPI, spi, flags };

	fdt__prop_cells(f, "interrupts", irq, ARRAY_SIZE(irq));
}

static void fdt__chosen(struct fdt *f, const struct fdt_boot *boot)
{
	fdt__begin_node(f, "chosen");
	fdt__prop_string(f, "bootargs", boot->bootargs);
	if (boot->initrd_end) {
		fdt__prop_u64(f, "linux,initrd-start", boot->initrd_start);
		fdt__prop_u64(f, "linux,initrd-end", boot->initrd_end);
	}
	/* Where earlycon (without arguments) and the console default to. */
	fdt__prop_string(f, "stdout-path", PL011_FDT_PATH);
	fdt__end_node(f);
}

static void fdt__memory(struct fdt *f, struct kvm *kvm)
{
	fdt__begin_node(f, "memory@%llx", (unsigned long long)kvm->cfg.ram_base);
	fdt__prop_string(f, "device_type", "memory");
	fdt__prop_reg(f, kvm->cfg.ram_base, kvm->cfg.ram_size);
	fdt__end_node(f);
}

/*
 * One node per vCPU, its reg the affinity fields of the MPIDR_EL1 KVM gave
 * it: that is how Linux matches a logical CPU to the PSCI CPU_ON target
 * and to its GIC redistributor.
 */
static int fdt__cpus(struct fdt *f, struct kvm *kvm)
{
	unsigned int i;
	uint64_t mpidr;

	fdt__begin_node(f, "cpus");
	fdt__prop_u32(f, "#address-cells", 2);
	fdt__prop_u32(f, "#size-cells", 0);
	for (i = 0; i < kvm->nr_cpus; i++) {
		uint32_t reg[2];

		if (kvm_cpu__mpidr(kvm->cpus[i], &mpidr))
			return -1;
		reg[0] = mpidr >> 32;
		reg[1] = mpidr;
		fdt__begin_node(f, "cpu@%llx", (unsigned long long)mpidr);
		fdt__prop_string(f, "device_type", "cpu");
		fdt__prop_string(f, "compatible", "arm,arm-v8");
		fdt__prop_string(f, "enable-method", "psci");
		fdt__prop_cells(f, "reg", reg, 2);
		fdt__end_node(f);
	}
	fdt__end_node(f);
	return 0;
}

/* KVM implements PSCI 1.x behind HVC (KVM_ARM_VCPU_PSCI_0_2 and later). */
static void fdt__psci(struct fdt *f)
{
	static const char compat[] = "arm,psci-1.0\0arm,psci-0.2";

	fdt__begin_node(f, "psci");
	fdt__prop(f, "compatible", compat, sizeof(compat));
	fdt__prop_string(f, "method", "hvc");
	fdt__end_node(f);
}

/*
 * The architected timer: the guest uses the virtual timer (PPI 11) that
 * KVM emulates; the other three are described because the binding wants
 * all four.  Level-low, as kvmtool says; GICv3 has no CPU mask bits.
 */
static void fdt__timer(struct fdt *f)
{
	static const char compat[] = "arm,armv8-timer\0arm,armv7-timer";
	const uint32_t flags = GIC_FDT_IRQ_LEVEL_LOW;
	const uint32_t irqs[] = {
		GIC_FDT_PPI, TIMER_PPI_SEC_PHYS, flags,
		GIC_FDT_PPI, TIMER_PPI_PHYS, flags,
		GIC_FDT_PPI, TIMER_PPI_VIRT, flags,
		GIC_FDT_PPI, TIMER_PPI_HYP, flags,
	};

	fdt__begin_node(f, "timer");
	fdt__prop(f, "compatible", compat, sizeof(compat));
	fdt__prop_cells(f, "interrupts", irqs, ARRAY_SIZE(irqs));
	fdt__prop(f, "always-on", NULL, 0);
	fdt__end_node(f);
}

/**
 * fdt__build() - write the guest's device tree
 * @kvm:	the VM with its vCPUs and devices created
 * @boot:	boot arguments and initrd
 * @buf:	where (in guest RAM)
 * @size:	at most this many bytes
 *
 * Return: 0, or -1 with a message.
 */
int fdt__build(struct kvm *kvm, const struct fdt_boot *boot, void *buf,
	       size_t size)
{
	struct fdt f = { .buf = buf };
	unsigned int i;

	f.err = fdt_create(buf, size);
	if (!f.err)
		f.err = fdt_finish_reservemap(buf);
	if (!f.err)
		f.err = fdt_begin_node(buf, "");	/* the root */
	fdt__prop_string(&f, "compatible", "linux,dummy-virt");
	fdt__prop_u32(&f, "#address-cells", FDT_ADDR_CELLS);
	fdt__prop_u32(&f, "#size-cells", FDT_SIZE_CELLS);
	fdt__prop_u32(&f, "interrupt-parent", GIC_PHANDLE);

	fdt__chosen(&f, boot);
	fdt__memory(&f, kvm);
	if (fdt__cpus(&f, kvm))
		return -1;
	fdt__psci(&f);
	gic__generate_fdt(kvm, &f);
	fdt__timer(&f);
	pl011__generate_fdt(kvm, &f);
	for (i = 0; i < kvm->nr_virtio; i++)
		virtio_mmio__generate_fdt(kvm->virtio[i], &f);
	pci__generate_fdt(kvm, &f);

	fdt__end_node(&f);
	if (!f.err)
		f.err = fdt_finish(buf);
	if (f.err) {
		fprintf(stderr, "minivmm: device tree: %s\n", fdt_strerror(f.err));
		return -1;
	}
	return 0;
}
