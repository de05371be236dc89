/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the vGIC's files share with each other and with nobody else (the
 * rest of the module uses <mkvm/vgic.h>):
 *
 *   vgic.c         interrupt state, injection, MMIO dispatch, the device
 *   vgic-dist.c    the distributor's registers
 *   vgic-redist.c  the redistributors: their regions and registers
 *   vgic-cpuif.c   the virtual CPU interface: list registers, ICC_* state
 *   vgic-save.c    the device's save/restore groups (the VMM's view)
 *
 * Unless a function says otherwise, its caller holds the vGIC lock.
 */
#ifndef __MKVM_VGIC_INTERNAL_H
#define __MKVM_VGIC_INTERNAL_H

#include <linux/errno.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/sizes.h>
#include <linux/types.h>

struct kvm_device_attr;
struct mkvm_irq;
struct mkvm_vcpu;
struct mkvm_vm;

#define DIST_SIZE		SZ_64K
#define DEFAULT_NR_IRQS		256	/* without KVM_DEV_ARM_VGIC_GRP_NR_IRQS */
/* GICD_IIDR and GICR_IIDR: implementer Arm, as KVM's. */
#define IIDR_VALUE		(0x43b << GICD_IIDR_IMPLEMENTER_SHIFT)
#define PIDR2_VALUE		(GIC_PIDR2_ARCH_GICv3 | 0xb)

/* vgic.c */
struct mkvm_irq *vgic_irq(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
			  u32 intid);
bool vgic_irq_pending(const struct mkvm_irq *irq);
void vgic_spi_set_route(struct mkvm_vm *vm, struct mkvm_irq *irq, u64 route);
void vgic_visit_live_irqs(struct mkvm_vcpu *vcpu,
			  bool (*fn)(struct mkvm_irq *irq, void *arg),
			  void *arg);

/* vgic-dist.c */
bool vgic_shared_regs(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu, u32 off,
		      bool write, u64 *val, unsigned int len);
void vgic_dist_access(struct mkvm_vm *vm, u32 off, bool write, u64 *val,
		      unsigned int len);
bool vgic_dist_read_unlocked(struct mkvm_vm *vm, u32 off, u64 *val);	/* no lock */

/* vgic-redist.c */
u64 vgic_rd_frame(struct mkvm_vm *vm, int idx, bool *last);
struct mkvm_vcpu *vgic_rd_vcpu(struct mkvm_vm *vm, u64 ipa, u32 *off);
bool vgic_rd_layout_ok(struct mkvm_vm *vm);
int vgic_rdreg_add(struct mkvm_vm *vm, u32 index, u64 base, u32 count);
void vgic_redist_access(struct mkvm_vcpu *vcpu, u32 off, bool write,
			u64 *val, unsigned int len);
void vgic_redist_lpis_enabled(struct mkvm_vcpu *vcpu, bool was);

/* vgic-cpuif.c */
bool vgic_icc_known(u32 reg);
int vgic_icc_uaccess(struct mkvm_vcpu *vcpu, u32 reg, bool write, u64 *val);

/* acpi.c (CONFIG_ACPI only): the host PPIs vgic-cpuif.c claims. */
enum mkvm_host_ppi {
	MKVM_HOST_PPI_VGIC_MAINT,	/* the GIC's maintenance interrupt */
	MKVM_HOST_PPI_VTIMER,		/* the EL1 virtual timer's */
};

#if IS_ENABLED(CONFIG_ACPI)
int mkvm_acpi_host_ppi(enum mkvm_host_ppi ppi);
#else
static inline int mkvm_acpi_host_ppi(enum mkvm_host_ppi ppi)
{
	return -ENODEV;
}
#endif

/* vgic-save.c */
int vgic_state_has_attr(struct mkvm_vm *vm, struct kvm_device_attr *a);
int vgic_state_access(struct mkvm_vm *vm, struct kvm_device_attr *a,
		      bool write);

#endif
