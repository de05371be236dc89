/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Selftest helpers for the in-kernel vGICv3 device: create it, set its
 * attributes, lay it out as on QEMU's virt machine and initialise it.
 * Include after mkvm_vm.h.
 */
#ifndef MKVM_VGIC_H
#define MKVM_VGIC_H

#include <stdbool.h>
#include "mkvm_vm.h"

/* The guest's GIC, laid out as on QEMU's virt machine. */
#define GICD_IPA		0x08000000ull
#define GICR_IPA		0x080a0000ull
#define GICR_FRAME_SIZE		0x20000ull	/* RD_base + SGI_base, per vCPU */
#define NR_IRQS			64		/* SPIs 32..63 */
#define BEYOND_IPA		(1ull << 40)	/* the default IPA size */

/* KVM_CREATE_DEVICE of @type: 0 (the fd in *@fd unless testing) or -errno. */
static inline int _vm_vgic_create_type(struct mkvm_vm *vm, uint32_t type,
			     uint32_t flags, int *fd)
{
	struct kvm_create_device cd = { .type = type, .flags = flags, .fd = -1 };
	int ret = mkvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &cd);

	if (!ret && fd)
		*fd = cd.fd;
	return ret;
}

static inline int vm_vgic_create(struct mkvm_vm *vm)
{
	int fd = -1, ret;

	ret = _vm_vgic_create_type(vm, KVM_DEV_TYPE_ARM_VGIC_V3, 0, &fd);
	MKVM_CHECK(!ret, "KVM_CREATE_DEVICE(VGIC_V3): %s", strerror(-ret));
	return fd;
}

/* KVM_{SET,GET}_DEVICE_ATTR with @ptr as its address: 0 or -errno. */
static inline int _vgic_attr(int fd, bool set, uint32_t group, uint64_t attr,
		      void *ptr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)ptr,
	};

	return mkvm_ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR,
			  &a);
}

static inline int _vgic_set_addr(int fd, uint64_t type, uint64_t ipa)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR, type, &ipa);
}

static inline int _vgic_set_nr_irqs(int fd, uint32_t nr)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr);
}

static inline int _vgic_init(int fd)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
			  KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

/*
 * The vGIC of a VM whose vCPUs all exist: NR_IRQS, the distributor at
 * GICD_IPA, the redistributors from GICR_IPA, CTRL_INIT.
 */
static inline int vm_vgic_setup(struct mkvm_vm *vm)
{
	int fd = vm_vgic_create(vm), ret;

	ret = _vgic_set_nr_irqs(fd, NR_IRQS);
	MKVM_CHECK(!ret, "NR_IRQS: %s", strerror(-ret));
	ret = _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_DIST, GICD_IPA);
	MKVM_CHECK(!ret, "ADDR DIST: %s", strerror(-ret));
	ret = _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_REDIST, GICR_IPA);
	MKVM_CHECK(!ret, "ADDR REDIST: %s", strerror(-ret));
	ret = _vgic_init(fd);
	MKVM_CHECK(!ret, "CTRL_INIT: %s", strerror(-ret));
	return fd;
}

/* KVM_IRQ_LINE: 0 or -errno. */
static inline int _irq_line(struct mkvm_vm *vm, uint32_t type, uint32_t vcpu,
		     uint32_t num, int level)
{
	struct kvm_irq_level irq = {
		.irq = type << KVM_ARM_IRQ_TYPE_SHIFT |
		       (vcpu & KVM_ARM_IRQ_VCPU_MASK) << KVM_ARM_IRQ_VCPU_SHIFT |
		       num << KVM_ARM_IRQ_NUM_SHIFT,
		.level = level,
	};

	return mkvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

static inline void spi_line(struct mkvm_vm *vm, uint32_t intid, int level)
{
	int ret = _irq_line(vm, KVM_ARM_IRQ_TYPE_SPI, 0, intid, level);

	MKVM_CHECK(!ret, "KVM_IRQ_LINE SPI %u level %d: %s", intid, level,
		   strerror(-ret));
}

/* An edge: the line up and down again. */
static inline void spi_pulse(struct mkvm_vm *vm, uint32_t intid)
{
	spi_line(vm, intid, 1);
	spi_line(vm, intid, 0);
}

#endif /* MKVM_VGIC_H */
