/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EL2 runtime vectors and the host-call entry.
 *
 * Register contract of a host call (hvc #0 from the EL1 kernel):
 *   in:  x0 = call id, x1-x3 = arguments
 *   out: x0 = result; x1-x17 clobbered; x18-x30 and SP_EL1 preserved.
 * Ids below HVC_STUB_HCALL_NR are the hyp stub's ABI and are answered here;
 * the rest go to handle_host_hcall() in C on this CPU's EL2 stack.
 *
 * An unexpected exception taken at EL2 does not hang the CPU: el2_panic
 * records ESR/ELR/FAR in struct mkvm_hyp_cpu, restores the host's callee-
 * saved registers and returns MKVM_HC_PANIC from the interrupted host call.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <asm/esr.h>
#include <asm/virt.h>
#include <mkvm/hyp.h>

	.text

.macro panic_vector
	.align 7
	b	el2_panic
.endm

	.align 11
SYM_CODE_START(host_vectors)
	panic_vector			// Synchronous EL2t
	panic_vector			// IRQ EL2t
	panic_vector			// FIQ EL2t
	panic_vector			// SError EL2t

	panic_vector			// Synchronous EL2h
	panic_vector			// IRQ EL2h
	panic_vector			// FIQ EL2h
	panic_vector			// SError EL2h

	.align 7			// Synchronous 64-bit EL1
	b	host_sync
	panic_vector			// IRQ 64-bit EL1
	panic_vector			// FIQ 64-bit EL1
	panic_vector			// SError 64-bit EL1

	panic_vector			// Synchronous 32-bit EL1
	panic_vector			// IRQ 32-bit EL1
	panic_vector			// FIQ 32-bit EL1
	panic_vector			// SError 32-bit EL1
SYM_CODE_END(host_vectors)

SYM_CODE_START_LOCAL(host_sync)
	/*
	 * The host runs with the stub's HCR_EL2, which traps nothing to EL2
	 * but hvc; anything else would be a minikvm bug.
	 */
	mrs	x9, esr_el2
	lsr	x9, x9, #ESR_ELx_EC_SHIFT
	cmp	x9, #ESR_ELx_EC_HVC64
	b.ne	el2_panic

	cmp	x0, #HVC_STUB_HCALL_NR
	b.lo	host_stub_hvc

	mrs	x9, tpidr_el2
	stp	x18, x19, [x9, #HYP_CPU_HOST_X18]
	stp	x20, x21, [x9, #HYP_CPU_HOST_X18 + 16]
	stp	x22, x23, [x9, #HYP_CPU_HOST_X18 + 32]
	stp	x24, x25, [x9, #HYP_CPU_HOST_X18 + 48]
	stp	x26, x27, [x9, #HYP_CPU_HOST_X18 + 64]
	stp	x28, x29, [x9, #HYP_CPU_HOST_X18 + 80]
	str	x30,      [x9, #HYP_CPU_HOST_X18 + 96]
	mrs	x10, elr_el2
	mrs	x11, spsr_el2
	stp	x10, x11, [x9, #HYP_CPU_HOST_ELR]

	bl	handle_host_hcall

	mrs	x9, tpidr_el2
	b	host_return
SYM_CODE_END(host_sync)

/*
 * Return to the host call site.  x0 = result, x9 = struct mkvm_hyp_cpu.
 * The handler may have entered a guest, so ELR/SPSR come from the save area.
 */
SYM_CODE_START_LOCAL(host_return)
	ldp	x10, x11, [x9, #HYP_CPU_HOST_ELR]
	msr	elr_el2, x10
	msr	spsr_el2, x11
	ldp	x18, x19, [x9, #HYP_CPU_HOST_X18]
	ldp	x20, x21, [x9, #HYP_CPU_HOST_X18 + 16]
	ldp	x22, x23, [x9, #HYP_CPU_HOST_X18 + 32]
	ldp	x24, x25, [x9, #HYP_CPU_HOST_X18 + 48]
	ldp	x26, x27, [x9, #HYP_CPU_HOST_X18 + 64]
	ldp	x28, x29, [x9, #HYP_CPU_HOST_X18 + 80]
	ldr	x30,      [x9, #HYP_CPU_HOST_X18 + 96]
	eret
	sb
SYM_CODE_END(host_return)

SYM_CODE_START(el2_panic)
	mrs	x9, tpidr_el2
	mrs	x10, esr_el2
	mrs	x11, elr_el2
	mrs	x12, far_el2
	stp	x10, x11, [x9, #HYP_CPU_PANIC_ESR]
	str	x12,      [x9, #HYP_CPU_PANIC_FAR]
	ldr	x10, [x9, #HYP_CPU_STACK_TOP]
	mov	sp, x10
	mov	x0, x9
	bl	hyp_panic_restore_host	/* if a guest's state was loaded */
	mrs	x9, tpidr_el2
	mov_q	x0, MKVM_HC_PANIC
	b	host_return
SYM_CODE_END(el2_panic)

/*
 * The hyp stub's calls (hyp-abi.rst).  HVC_RESET_VECTORS and
 * HVC_SOFT_RESTART give EL2 back to the stub: switch to the boot tables,
 * which identity map idmap_reset, and turn the MMU off there.  The globals
 * are read first because the boot tables do not map EL2 data.
 * HVC_SET_VECTORS and HVC_FINALISE_EL2 are refused while minikvm owns EL2.
 */
SYM_CODE_START_LOCAL(host_stub_hvc)
	cmp	x0, #HVC_RESET_VECTORS
	b.eq	1f
	cmp	x0, #HVC_SOFT_RESTART
	b.eq	1f
	mov_q	x0, HVC_STUB_ERR
	eret

1:	adr_l	x10, boot_ttbr
	ldr	x10, [x10]
	adr_l	x11, idmap_reset_pa
	ldr	x11, [x11]
	adr_l	x9, stub_vectors_pa
	ldr	x9, [x9]
	msr	ttbr0_el2, x10
	isb
	tlbi	alle2
	dsb	nsh
	isb
	br	x11
SYM_CODE_END(host_stub_hvc)

/*
 * Second half of MKVM_HC_INIT (see init.S), now at the runtime address with
 * the MMU on: move to the runtime tables, which map the same EL2 text at the
 * same addresses, and install this CPU's stack, state and vectors.
 */
SYM_CODE_START(init_runtime)
	msr	ttbr0_el2, x2
	isb
	tlbi	alle2
	dsb	nsh
	isb
	msr	tpidr_el2, x4
	mov	sp, x5
	msr	vbar_el2, x6
	isb
	mov	x0, #MKVM_HC_OK
	eret
	sb
SYM_CODE_END(init_runtime)
