/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entering a guest and coming back: only GPRs move here.  Everything else
 * of the world switch is C, in switch.c.
 *
 * u64 __guest_enter(struct mkvm_cpu_ctxt *guest)
 *   in:  x0 = the guest context (EL2 VA); ELR_EL2, SPSR_EL2, VBAR_EL2 and
 *        every system register already hold the guest's values
 *   out: x0 = MKVM_EXIT_* (the vector the guest left by); guest x0-x30
 *        saved in the context; x19-x30 and SP as the caller left them
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <asm/esr.h>
#include <mkvm/hyp.h>

#define GPR(n)	((n) * 8)

/*
 * Scrub the branch predictors with this CPU's exit mitigation, \bits =
 * struct mkvm_hyp_cpu.exit_mitigation (el2.c, el2_exit_mitigation()).
 * Clobbers \cnt and, through a firmware call, x0-x3: SMCCC 1.1, which
 * every firmware offering the workarounds implements, keeps x4-x17.
 * Labels 90-93 are the macro's own.
 */
.macro scrub_predictors bits, cnt
	tbz	\bits, #MKVM_MIT_BHB_LOOP_BIT, 91f
	mov	\cnt, #MKVM_BHB_LOOP_K
90:	b	. + 4
	subs	\cnt, \cnt, #1
	b.ne	90b
	dsb	nsh
	isb
91:	tbz	\bits, #MKVM_MIT_CLRBHB_BIT, 92f
	hint	#22				/* clearbhb */
	isb
92:	tbz	\bits, #MKVM_MIT_FW_WA1_BIT, 93f
	mov_q	x0, ARM_SMCCC_ARCH_WORKAROUND_1
	smc	#0
93:	tbz	\bits, #MKVM_MIT_FW_WA3_BIT, 94f
	mov_q	x0, ARM_SMCCC_ARCH_WORKAROUND_3
	smc	#0
94:
.endm

SYM_FUNC_START(__guest_enter)
	/* The caller's callee-saved registers live on the EL2 stack. */
	sub	sp, sp, #112
	stp	x18, x19, [sp, #0]
	stp	x20, x21, [sp, #16]
	stp	x22, x23, [sp, #32]
	stp	x24, x25, [sp, #48]
	stp	x26, x27, [sp, #64]
	stp	x28, x29, [sp, #80]
	str	x30,      [sp, #96]

	mrs	x1, tpidr_el2
	str	x0, [x1, #HYP_CPU_GUEST_CTXT]

	ldp	x2, x3,   [x0, #GPR(2)]
	ldp	x4, x5,   [x0, #GPR(4)]
	ldp	x6, x7,   [x0, #GPR(6)]
	ldp	x8, x9,   [x0, #GPR(8)]
	ldp	x10, x11, [x0, #GPR(10)]
	ldp	x12, x13, [x0, #GPR(12)]
	ldp	x14, x15, [x0, #GPR(14)]
	ldp	x16, x17, [x0, #GPR(16)]
	ldp	x18, x19, [x0, #GPR(18)]
	ldp	x20, x21, [x0, #GPR(20)]
	ldp	x22, x23, [x0, #GPR(22)]
	ldp	x24, x25, [x0, #GPR(24)]
	ldp	x26, x27, [x0, #GPR(26)]
	ldp	x28, x29, [x0, #GPR(28)]
	ldr	x30,      [x0, #GPR(30)]
	ldp	x0, x1,   [x0, #GPR(0)]	/* last: x0 was the base */
	eret
	sb
SYM_FUNC_END(__guest_enter)

/*
 * Every exit lands here with the guest's GPRs live, its x0/x1 pushed on
 * the EL2 stack and x0 = MKVM_EXIT_*.
 */
SYM_CODE_START_LOCAL(guest_exit)
	mrs	x1, tpidr_el2
	ldr	x1, [x1, #HYP_CPU_GUEST_CTXT]
	stp	x2, x3,   [x1, #GPR(2)]
	stp	x4, x5,   [x1, #GPR(4)]
	stp	x6, x7,   [x1, #GPR(6)]
	stp	x8, x9,   [x1, #GPR(8)]
	stp	x10, x11, [x1, #GPR(10)]
	stp	x12, x13, [x1, #GPR(12)]
	stp	x14, x15, [x1, #GPR(14)]
	stp	x16, x17, [x1, #GPR(16)]
	stp	x18, x19, [x1, #GPR(18)]
	stp	x20, x21, [x1, #GPR(20)]
	stp	x22, x23, [x1, #GPR(22)]
	stp	x24, x25, [x1, #GPR(24)]
	stp	x26, x27, [x1, #GPR(26)]
	stp	x28, x29, [x1, #GPR(28)]
	str	x30,      [x1, #GPR(30)]
	ldp	x2, x3, [sp], #16
	stp	x2, x3,   [x1, #GPR(0)]

	/*
	 * Spectre-v2 and Spectre-BHB: the guest may have trained the branch
	 * predictors; scrub them before EL2 or the host takes an indirect
	 * branch or a return.  The guest's x18-x30 are saved, so they are
	 * free until reloaded below; x0 (the exit code) is kept in x19.
	 * SMCCC calls may clobber x0-x17.
	 */
	mrs	x20, tpidr_el2
	ldr	x20, [x20, #HYP_CPU_EXIT_MITIGATION]
	cbz	x20, 9f
	mov	x19, x0
	scrub_predictors x20, x21
	mov	x0, x19
9:
	ldp	x18, x19, [sp, #0]
	ldp	x20, x21, [sp, #16]
	ldp	x22, x23, [sp, #32]
	ldp	x24, x25, [sp, #48]
	ldp	x26, x27, [sp, #64]
	ldp	x28, x29, [sp, #80]
	ldr	x30,      [sp, #96]
	add	sp, sp, #112
	ret
SYM_CODE_END(guest_exit)

.macro guest_exit_vector code
	.align 7
	stp	x0, x1, [sp, #-16]!
	mov	x0, #\code
	b	guest_exit
.endm

.macro el2_panic_vector
	.align 7
	b	el2_panic
.endm

/*
 * HVC from the guest, the fast path: an SMCCC call whose answer is a
 * constant is answered here and the guest resumes, with no world switch
 * (the host's state was never touched).  Only PSCI calls, which change
 * vCPU state, and every call of a VM with an SMCCC filter (the VMM
 * decides those), go to EL1.  The answers match arch/arm64/psci.c: SMCCC
 * VERSION is 1.1, an hvc with a non-zero immediate or any function minikvm
 * does not implement returns NOT_SUPPORTED (-1).  An HVC's preferred return
 * address is the next instruction, so ELR_EL2 needs no change.
 *   in:  guest x0/x1 pushed on the EL2 stack, x0 = function id (w0)
 */
SYM_CODE_START_LOCAL(guest_hvc)
	str	x2, [sp, #-16]!
	/* A VM with an SMCCC filter: every call goes to EL1 (psci.c). */
	mrs	x1, tpidr_el2
	ldr	x1, [x1, #HYP_CPU_GUEST_SMCCC_TO_EL1]
	cbnz	x1, 3f
	mrs	x1, esr_el2
	tst	x1, #ESR_ELx_xVC_IMM_MASK
	b.ne	2f
	movz	w2, #0x8000, lsl #16		/* ARM_SMCCC_VERSION_FUNC_ID */
	cmp	w0, w2
	b.eq	4f
	/*
	 * The services psci.c implements go to EL1: the Arm architecture
	 * calls (owner 0: ARCH_FEATURES; the two Spectre workarounds are
	 * answered here, at 7 below), standard secure
	 * (4: PSCI, TRNG), standard hypervisor (5: PV time) and the three
	 * vendor hypervisor calls (6: KVM_FEATURES 0, PTP 1, CALL_UID 0xff01).
	 * Everything else, yielding calls included, is NOT_SUPPORTED here.
	 */
	tbz	w0, #31, 2f
	ubfx	w1, w0, #24, #6			/* owner */
	cbz	w1, 7f
	cmp	w1, #4
	b.eq	3f
	cmp	w1, #5
	b.eq	3f
	cmp	w1, #6
	b.ne	2f
	and	w1, w0, #0xffff			/* function number */
	cmp	w1, #1
	b.ls	3f
	mov	w2, #0xff01
	cmp	w1, w2
	b.eq	3f
	b	2f
4:	movz	x0, #0x1			/* ARM_SMCCC_VERSION_1_1 */
	movk	x0, #0x1, lsl #16
	b	1f
2:	movn	x0, #0				/* SMCCC_RET_NOT_SUPPORTED */
1:	ldr	x2, [sp], #16
	ldr	x1, [sp, #8]
	add	sp, sp, #16
	eret
	sb
	/* Owner 0: the Spectre workarounds here, the rest at EL1. */
7:	mov_q	x2, ARM_SMCCC_ARCH_WORKAROUND_3
	cmp	w0, w2
	b.eq	5f
	mov_q	x2, ARM_SMCCC_ARCH_WORKAROUND_1
	cmp	w0, w2
	b.eq	5f
3:	ldr	x2, [sp], #16
	mov	x0, #MKVM_EXIT_SYNC
	b	guest_exit
	/*
	 * WORKAROUND_1/3: a guest told they are available (psci.c,
	 * wa_level()) calls one on each entry to its kernel from EL0 (Linux's
	 * Spectre-BHB firmware mitigation), tens of thousands a second under
	 * I/O.  The scrub it asks for is this CPU's exit mitigation, done
	 * here as guest_exit would, and the call returns SUCCESS (0) as
	 * psci.c answers it, without the world switch to EL1 (KVM's hyp
	 * vectors answer these calls at EL2 too).
	 */
5:	stp	x3, x4, [sp, #-16]!
	mrs	x4, tpidr_el2
	ldr	x4, [x4, #HYP_CPU_EXIT_MITIGATION]
	cbz	x4, 6f
	scrub_predictors x4, x1
6:	ldp	x3, x4, [sp], #16
	mov	x0, #0				/* SMCCC_RET_SUCCESS */
	b	1b
SYM_CODE_END(guest_hvc)

/* VBAR_EL2 while a guest runs. */
	.align 11
SYM_CODE_START(guest_vectors)
	el2_panic_vector			// Synchronous EL2t
	el2_panic_vector			// IRQ EL2t
	el2_panic_vector			// FIQ EL2t
	el2_panic_vector			// SError EL2t

	el2_panic_vector			// Synchronous EL2h
	el2_panic_vector			// IRQ EL2h
	el2_panic_vector			// FIQ EL2h
	el2_panic_vector			// SError EL2h

	.align 7				// Synchronous 64-bit EL1/EL0
	stp	x0, x1, [sp, #-16]!
	mrs	x1, esr_el2
	lsr	x1, x1, #ESR_ELx_EC_SHIFT
	cmp	x1, #ESR_ELx_EC_HVC64
	b.eq	guest_hvc
	mov	x0, #MKVM_EXIT_SYNC
	b	guest_exit
	guest_exit_vector MKVM_EXIT_IRQ		// IRQ 64-bit EL1/EL0
	guest_exit_vector MKVM_EXIT_FIQ		// FIQ 64-bit EL1/EL0
	guest_exit_vector MKVM_EXIT_SERROR	// SError 64-bit EL1/EL0

	guest_exit_vector MKVM_EXIT_SYNC	// Synchronous 32-bit EL0
	guest_exit_vector MKVM_EXIT_IRQ		// IRQ 32-bit EL0
	guest_exit_vector MKVM_EXIT_FIQ		// FIQ 32-bit EL0
	guest_exit_vector MKVM_EXIT_SERROR	// SError 32-bit EL0
SYM_CODE_END(guest_vectors)
