/* SPDX-License-Identifier: GPL-2.0 */
/* Guest system registers: ONE_REG access, trap emulation, reset. */
#ifndef __MKVM_SYSREGS_H
#define __MKVM_SYSREGS_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct mkvm_vcpu;
struct mkvm_vm;

void mkvm_sysregs_reset(struct mkvm_vcpu *vcpu);
int mkvm_sysreg_get(struct mkvm_vcpu *vcpu, u64 id, u64 *val);
int mkvm_sysreg_set(struct mkvm_vcpu *vcpu, u64 id, u64 val);
unsigned int mkvm_sysreg_ids(u64 *ids);
unsigned int mkvm_demux_reg_ids(u64 *ids);
int mkvm_demux_reg_access(struct mkvm_vcpu *vcpu, u64 id, void __user *uaddr,
			  bool set);
int mkvm_get_reg_writable_masks(void __user *argp);
int mkvm_handle_sysreg_trap(struct mkvm_vcpu *vcpu, u64 esr);
u64 mkvm_sysregs_hcr_traps(struct mkvm_vcpu *vcpu);
void mkvm_sysregs_finalise(struct mkvm_vm *vm);
bool mkvm_sysregs_has_gicv3(struct mkvm_vm *vm);

#endif
