/* SPDX-License-Identifier: GPL-2.0 */
/* The vGIC as the run loop uses it, and what its two halves share. */
#ifndef __MKVM_VGIC_H
#define __MKVM_VGIC_H

#include <linux/bits.h>
#include <linux/list.h>
#include <linux/types.h>
#include <mkvm/arch.h>

struct kvm_create_device;
struct kvm_device_attr;
struct mkvm_vcpu;
struct mkvm_vm;

int mkvm_vgic_first_run(struct mkvm_vcpu *vcpu);
void mkvm_vgic_flush(struct mkvm_vcpu *vcpu);
void mkvm_vgic_sync(struct mkvm_vcpu *vcpu);
void mkvm_vgic_notify_acked(struct mkvm_vcpu *vcpu);
bool mkvm_vgic_pending(struct mkvm_vcpu *vcpu);
bool mkvm_vgic_maybe_live(struct mkvm_vcpu *vcpu);
int mkvm_vgic_mmio(struct mkvm_vcpu *vcpu, u64 ipa, u64 esr);
void mkvm_vgic_set_timer_lines(struct mkvm_vcpu *vcpu, u32 ppi_a, bool level_a,
			       u32 ppi_b, bool level_b);
void mkvm_vgic_sgi(struct mkvm_vcpu *vcpu, u64 sgi1r);
void mkvm_vgic_host_vtimer_mask(bool fired);

/* ---- LPIs and the ITS (vgic-its.c), and what they use of the rest -- */

#define MKVM_LPI_FIRST		8192
/* INTID bits with an ITS, as KVM's INTERRUPT_ID_BITS_ITS: LPIs < 65536. */
#define MKVM_LPI_ID_BITS	16

/*
 * An LPI: one per INTID, however many ITS translations lead to it (as a
 * KVM vgic_irq).  Its priority and enable come from the guest's LPI
 * configuration table when an ITS command or GICR_INVLPIR says so; its
 * pending state lives here.  Edge-triggered, always group 1.
 */
struct mkvm_lpi {
	struct mkvm_irq irq;
	struct list_head live;	/* vgic.lpi_live, under the vGIC lock */
	unsigned int refs;	/* ITEs mapping it, under the vGIC lock */
};

/* vgic.c */
void mkvm_vgic_irq_update(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
			  struct mkvm_irq *irq);
int mkvm_vgic_attr_ioctl_arg(struct mkvm_vm *vm, unsigned int cmd,
			     unsigned long arg, struct kvm_device_attr *a);

/* vgic-redist.c */
u64 mkvm_gic_sanitise_baser(u64 reg, unsigned int sh_shift,
			    unsigned int inner_shift, unsigned int outer_shift);

/*
 * A 64-bit GIC register written whole (@len 8) or one 32-bit half at a
 * time (@len 4; @high: the upper half), as the GIC allows for them.
 */
static inline u64 mkvm_gic_reg64_update(u64 old, bool high, unsigned int len,
					u64 val)
{
	if (len == 8)
		return val;
	if (high)
		return (old & GENMASK_ULL(31, 0)) | (val << 32);
	return (old & GENMASK_ULL(63, 32)) | (u32)val;
}

/* The half (@len 4) or whole (@len 8) of a 64-bit register a read gets. */
static inline u64 mkvm_gic_reg64_read(u64 reg, bool high, unsigned int len)
{
	if (len == 8)
		return reg;
	return high ? reg >> 32 : (u32)reg;
}

/* vgic-its.c */
int mkvm_its_create_device(struct mkvm_vm *vm,
			   struct kvm_create_device __user *ucd, u32 flags);
int mkvm_its_mmio(struct mkvm_vcpu *vcpu, u64 ipa, bool write, u64 *val,
		  unsigned int len);
void mkvm_lpi_inv(struct mkvm_vm *vm, u32 intid);
void mkvm_lpi_invall(struct mkvm_vcpu *vcpu);
void mkvm_lpis_disable(struct mkvm_vcpu *vcpu);
void mkvm_lpis_load_pending(struct mkvm_vcpu *vcpu);
int mkvm_lpis_save_pending(struct mkvm_vm *vm);
void mkvm_its_vm_destroy(struct mkvm_vm *vm);

#endif
