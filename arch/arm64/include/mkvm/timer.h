/* SPDX-License-Identifier: GPL-2.0 */
/* The guest's EL1 timers (arch/arm64/timer.c) as the rest of the port uses them. */
#ifndef __MKVM_TIMER_H
#define __MKVM_TIMER_H

#include <linux/types.h>

struct mkvm_vcpu;

/* vCPU life and the run loop. */
void mkvm_timer_init(struct mkvm_vcpu *vcpu);
void mkvm_timer_destroy(struct mkvm_vcpu *vcpu);
int mkvm_timer_first_run(struct mkvm_vcpu *vcpu);
void mkvm_timer_sync(struct mkvm_vcpu *vcpu, bool entering);
bool mkvm_vcounter_reached(struct mkvm_vcpu *vcpu, u64 cval);
u64 mkvm_vtimer_wake_at(struct mkvm_vcpu *vcpu, const u64 *deadline);
void mkvm_vtimer_arm(struct mkvm_vcpu *vcpu, const u64 *deadline);
void mkvm_vtimer_cancel(struct mkvm_vcpu *vcpu);

/* The physical timer's trapped registers (sysregs.c). */
bool mkvm_timer_sysreg(u32 enc);
u64 mkvm_timer_sysreg_read(struct mkvm_vcpu *vcpu, u32 enc);
int mkvm_timer_sysreg_write(struct mkvm_vcpu *vcpu, u32 enc, u64 val);

/* ONE_REG and KVM_GET_REG_LIST (vcpu.c). */
unsigned int mkvm_timer_reg_ids(u64 *ids);
bool mkvm_timer_reg(u64 id);
u64 mkvm_timer_get_reg(struct mkvm_vcpu *vcpu, u64 id);
void mkvm_timer_set_reg(struct mkvm_vcpu *vcpu, u64 id, u64 val);

#endif
