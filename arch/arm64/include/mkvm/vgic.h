/* SPDX-License-Identifier: GPL-2.0 */
/* The vGIC as the run loop uses it. */
#ifndef __MKVM_VGIC_H
#define __MKVM_VGIC_H

#include <linux/types.h>

struct mkvm_vcpu;

#define MKVM_VTIMER_INTID	27	/* PPI 11, the virtual timer */

int mkvm_vgic_first_run(struct mkvm_vcpu *vcpu);
void mkvm_vgic_flush(struct mkvm_vcpu *vcpu);
void mkvm_vgic_sync(struct mkvm_vcpu *vcpu);
void mkvm_vgic_notify_acked(struct mkvm_vcpu *vcpu);
bool mkvm_vgic_pending(struct mkvm_vcpu *vcpu);
int mkvm_vgic_mmio(struct mkvm_vcpu *vcpu, u64 ipa, u64 esr);
void mkvm_vgic_set_private_line(struct mkvm_vcpu *vcpu, u32 intid, bool level);
void mkvm_vgic_sgi(struct mkvm_vcpu *vcpu, u64 sgi1r);
void mkvm_vgic_host_vtimer_mask(bool fired);
void mkvm_vtimer_init(struct mkvm_vcpu *vcpu);
void mkvm_vtimer_sync(struct mkvm_vcpu *vcpu, bool entering);
void mkvm_vtimer_arm(struct mkvm_vcpu *vcpu);
void mkvm_vtimer_cancel(struct mkvm_vcpu *vcpu);

#endif
