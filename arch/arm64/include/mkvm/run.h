/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for exit handlers: guest registers, PC, exceptions. */
#ifndef __MKVM_RUN_H
#define __MKVM_RUN_H

#include <linux/types.h>
#include <asm/fpsimd.h>
#include <mkvm/hyp.h>

struct mkvm_vcpu;

/* x31 is XZR for the instructions that trap: reads 0, writes vanish. */
u64 mkvm_get_gpr(struct mkvm_vcpu *vcpu, unsigned int n);
void mkvm_set_gpr(struct mkvm_vcpu *vcpu, unsigned int n, u64 val);
void mkvm_skip_instr(struct mkvm_vcpu *vcpu);
void mkvm_inject_undef(struct mkvm_vcpu *vcpu);
void mkvm_inject_abort(struct mkvm_vcpu *vcpu, bool instr, u64 addr);
void mkvm_vcpu_kick(struct mkvm_vcpu *vcpu);
void mkvm_vcpu_timer_put_init(struct mkvm_vcpu *vcpu);
void mkvm_vcpu_timer_put_destroy(struct mkvm_vcpu *vcpu);
void mkvm_vcpu_reset(struct mkvm_vcpu *vcpu);

/* arch/arm64/xfer.c */
int mkvm_xfer_init(struct mkvm_vcpu *vcpu);
void mkvm_xfer_destroy(struct mkvm_vcpu *vcpu);
int mkvm_xfer_work(struct mkvm_vcpu *vcpu);
void mkvm_vcpu_power_on_reset(struct mkvm_vcpu *vcpu);

/* arch/arm64/debug.c */
void mkvm_debug_reg_written(struct mkvm_vcpu *vcpu);
void mkvm_debug_prepare(struct mkvm_vcpu *vcpu);
void mkvm_debug_done(struct mkvm_vcpu *vcpu);
void mkvm_debug_instr_skipped(struct mkvm_vcpu *vcpu);
int mkvm_handle_guest_debug(struct mkvm_vcpu *vcpu, u64 esr);

/* arch/arm64/psci.c */
int mkvm_handle_smccc(struct mkvm_vcpu *vcpu);
void mkvm_psci_reset_vcpu(struct mkvm_vcpu *vcpu);

/* arch/arm64/mmio.c */
int mkvm_handle_mmio(struct mkvm_vcpu *vcpu, u64 ipa, u64 esr);
void mkvm_complete_mmio(struct mkvm_vcpu *vcpu);

/* arch/arm64/fpsimd.S */
void mkvm_fpsimd_save(struct user_fpsimd_state *st);
void mkvm_fpsimd_load(const struct user_fpsimd_state *st);

#endif
