// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel GICv3, set up in the order KVM requires
 * (Documentation/virt/kvm/devices/arm-vgic-v3.rst): create the device and
 * give it its addresses and number of interrupts before the vCPUs exist,
 * initialize it once they all do, before any of them runs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "fdt.h"
#include "gic.h"
#include "kvm.h"
#include "minivmm.h"

static int gic__set_attr(struct kvm *kvm, uint32_t group, uint64_t attr,
			 void *val, const char *what)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	if (ioctl(kvm->gic_fd, KVM_SET_DEVICE_ATTR, &a)) {
		fprintf(stderr, "minivmm: GICv3: %s: %s\n", what, strerror(errno));
		return -1;
	}
	return 0;
}

uint64_t gic__redist_size(struct kvm *kvm)
{
	return kvm->cfg.nr_vcpus * GIC_REDIST_SIZE;
}

uint64_t gic__redist_base(struct kvm *kvm)
{
	return GIC_DIST_BASE - gic__redist_size(kvm);
}

/**
 * gic__create() - create the vGICv3 and place its frames
 * @kvm: the VM, before any vCPU is created
 *
 * Return: 0, or -1 with a message.
 */
int gic__create(struct kvm *kvm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GIC_DIST_BASE, redist = gic__redist_base(kvm);
	uint32_t nr_irqs = GIC_NR_IRQS;

	if (ioctl(kvm->vm_fd, KVM_CREATE_DEVICE, &cd)) {
		fprintf(stderr, "minivmm: %s: cannot create an in-kernel GICv3 (KVM_CREATE_DEVICE): %s\n",
			kvm->cfg.dev_path, strerror(errno));
		return -1;
	}
	kvm->gic_fd = cd.fd;
	if (gic__set_attr(kvm, KVM_DEV_ARM_VGIC_GRP_ADDR,
			  KVM_VGIC_V3_ADDR_TYPE_DIST, &dist, "distributor address") ||
	    gic__set_attr(kvm, KVM_DEV_ARM_VGIC_GRP_ADDR,
			  KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist, "redistributor address") ||
	    gic__set_attr(kvm, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs,
			  "number of interrupts"))
		return -1;
	return 0;
}

/**
 * gic__init() - finish the vGIC once every vCPU exists
 * @kvm: the VM, all vCPUs created, none run yet
 *
 * KVM sizes the redistributors by the vCPUs present at this point; a vCPU
 * created later would have none.
 *
 * Return: 0, or -1 with a message.
 */
int gic__init(struct kvm *kvm)
{
	return gic__set_attr(kvm, KVM_DEV_ARM_VGIC_GRP_CTRL,
			     KVM_DEV_ARM_VGIC_CTRL_INIT, NULL, "CTRL_INIT");
}

void gic__exit(struct kvm *kvm)
{
	if (kvm->gic_fd >= 0)
		close(kvm->gic_fd);
	kvm->gic_fd = -1;
}

/**
 * gic__set_spi() - drive a level-sensitive SPI from a userspace device
 * @kvm:	the VM
 * @spi:	SPI number (INTID - 32), as in the device tree
 * @level:	the line's new level
 *
 * Without a GIC (raw payloads) there is nothing to drive.  A failure is
 * reported but not fatal: the device goes on, the guest may miss an
 * interrupt, which it would also do on broken hardware.
 */
void gic__set_spi(struct kvm *kvm, unsigned int spi, bool level)
{
	struct kvm_irq_level irq = {
		.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT |
		       (GIC_SPI_BASE + spi) << KVM_ARM_IRQ_NUM_SHIFT,
		.level = level,
	};

	if (kvm->gic_fd < 0)
		return;
	if (ioctl(kvm->vm_fd, KVM_IRQ_LINE, &irq))
		fprintf(stderr, "minivmm: KVM_IRQ_LINE SPI %u level %d: %s\n",
			spi, level, strerror(errno));
}

/**
 * gic__generate_fdt() - the arm,gic-v3 node, interrupt parent of everything
 * @kvm:	the VM
 * @f:		the tree being written
 */
void gic__generate_fdt(struct kvm *kvm, struct fdt *f)
{
	const uint32_t reg[] = {
		GIC_DIST_BASE >> 32, (uint32_t)GIC_DIST_BASE,
		GIC_DIST_SIZE >> 32, (uint32_t)GIC_DIST_SIZE,
		gic__redist_base(kvm) >> 32, gic__redist_base(kvm),
		gic__redist_size(kvm) >> 32, gic__redist_size(kvm),
	};

	fdt__begin_node(f, "intc@%llx", GIC_DIST_BASE);
	fdt__prop_string(f, "compatible", "arm,gic-v3");
	fdt__prop_u32(f, "#interrupt-cells", 3);
	fdt__prop(f, "interrupt-controller", NULL, 0);
	fdt__prop_cells(f, "reg", reg, ARRAY_SIZE(reg));
	fdt__prop_u32(f, "phandle", GIC_PHANDLE);
	fdt__end_node(f);
}
