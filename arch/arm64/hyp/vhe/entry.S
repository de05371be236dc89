/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VHE host's way into the world switch, and out of an EL2 panic.
 *
 * On a VHE host there is no host call: the kernel already runs at EL2, so
 * arch/arm64/vhe.c calls vhe_vcpu_run() directly, with every exception
 * masked (PSTATE.DAIF), on the kernel stack.  For the duration of the call
 * TPIDR_EL2 - the kernel's per-CPU offset on a VHE host - holds this CPU's
 * struct mkvm_hyp_cpu, as it always does at EL2 of an nVHE host, so that
 * guest.S and switch.c are the same code in both modes.  No kernel code
 * runs in between: nothing here calls out, and every exception is masked
 * or taken by the guest vectors.
 *
 * u64 vhe_vcpu_run(struct mkvm_hyp_cpu *cpu, struct mkvm_vcpu_hyp *vcpu)
 *   out: what vcpu_run() returns (MKVM_EXIT_*), or MKVM_HC_PANIC after an
 *        exception at EL2 (el2_panic below)
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <mkvm/hyp.h>

SYM_FUNC_START(vhe_vcpu_run)
	/* x18-x30 and the kernel's TPIDR_EL2, for the return and el2_panic. */
	stp	x29, x30, [sp, #-112]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	mrs	x2, tpidr_el2
	stp	x18, x2, [sp, #96]
	/* el2_panic unwinds to this frame ("stack top" of this call). */
	mov	x2, sp
	str	x2, [x0, #HYP_CPU_STACK_TOP]
	msr	tpidr_el2, x0
	bl	vcpu_run
.Lvhe_return:
	ldp	x18, x2, [sp, #96]
	msr	tpidr_el2, x2
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #112
	ret

/*
 * An exception taken at EL2 while the guest vectors were installed (a
 * minikvm bug): record it as the nVHE el2_panic does, put the host's EL2
 * controls and EL1 state back (hyp_panic_restore_host(), which also puts
 * the kernel's vectors back), and return MKVM_HC_PANIC from vhe_vcpu_run().
 */
SYM_INNER_LABEL(el2_panic, SYM_L_GLOBAL)
	mrs	x9, tpidr_el2
	mrs	x10, esr_el2
	mrs	x11, elr_el2
	mrs	x12, far_el2
	stp	x10, x11, [x9, #HYP_CPU_PANIC_ESR]
	str	x12,      [x9, #HYP_CPU_PANIC_FAR]
	ldr	x10, [x9, #HYP_CPU_STACK_TOP]
	mov	sp, x10
	mov	x0, x9
	bl	hyp_panic_restore_host
	mov_q	x0, MKVM_HC_PANIC
	b	.Lvhe_return
SYM_FUNC_END(vhe_vcpu_run)
