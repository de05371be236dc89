/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The identity-mapped page: the only EL2 code that runs with the EL2 MMU off.
 *
 * Everything in .hyp.idmap.text is linked into one page-aligned page (the
 * linker script checks it fits).  EL1 cleans that page to the Point of
 * Coherency before first use, because with SCTLR_EL2.{M,I} clear instruction
 * fetches are Non-cacheable and would miss anything still in the data cache
 * (Arm ARM D8.2.10 "Behavior of instruction fetches when all associated
 * stage 1 translations are disabled").
 *
 * The boot page tables (TTBR0_EL2 while switching) map this page at its
 * physical address and the EL2 text at its runtime address; the runtime
 * tables only map the latter.  So the MMU is switched on and off here, and
 * everything else runs at runtime addresses.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>
#include <asm/esr.h>
#include <asm/sysreg.h>
#include <asm/virt.h>
#include <mkvm/hyp.h>

	.section .hyp.idmap.text, "ax"

.macro invalid_init_vector
	.align 7
	b	.
.endm

/*
 * Installed with the stub's HVC_SET_VECTORS; only MKVM_HC_INIT is taken.
 * Anything else is a bug on the EL1 side: with the MMU off there is no
 * stack and no way to report, so park the CPU.
 */
	.align 11
SYM_CODE_START(init_vectors)
	invalid_init_vector		// Synchronous EL2t
	invalid_init_vector		// IRQ EL2t
	invalid_init_vector		// FIQ EL2t
	invalid_init_vector		// SError EL2t

	invalid_init_vector		// Synchronous EL2h
	invalid_init_vector		// IRQ EL2h
	invalid_init_vector		// FIQ EL2h
	invalid_init_vector		// SError EL2h

	.align 7			// Synchronous 64-bit EL1
	b	init_hvc
	invalid_init_vector		// IRQ 64-bit EL1
	invalid_init_vector		// FIQ 64-bit EL1
	invalid_init_vector		// SError 64-bit EL1

	invalid_init_vector		// Synchronous 32-bit EL1
	invalid_init_vector		// IRQ 32-bit EL1
	invalid_init_vector		// FIQ 32-bit EL1
	invalid_init_vector		// SError 32-bit EL1
SYM_CODE_END(init_vectors)

/*
 * MKVM_HC_INIT, EL2 MMU off, running at the physical address of this page.
 *   x0: MKVM_HC_INIT
 *   x1: boot TTBR0_EL2 (tables with this page identity mapped)
 *   x2: runtime TTBR0_EL2
 *   x3: TCR_EL2
 *   x4: TPIDR_EL2 (EL2 address of this CPU's struct mkvm_hyp_cpu)
 *   x5: SP_EL2 (EL2 address of the top of this CPU's stack)
 *   x6: VBAR_EL2 (EL2 address of the runtime vectors)
 *   x7: EL2 address of init_runtime, in the EL2 text
 * Returns x0 = MKVM_HC_OK to the caller, with the runtime vectors installed.
 * Registers are the only input: with the MMU off, data accesses are Device
 * accesses and could read stale memory behind EL1's caches.
 */
SYM_CODE_START_LOCAL(init_hvc)
	mrs	x9, esr_el2
	lsr	x9, x9, #ESR_ELx_EC_SHIFT
	cmp	x9, #ESR_ELx_EC_HVC64
	b.ne	.
	mov_q	x9, MKVM_HC_INIT
	cmp	x0, x9
	b.eq	1f
	mov_q	x0, HVC_STUB_ERR
	eret

1:	mrs	x9, mair_el1		// the kernel's memory attributes: MT_NORMAL = 0
	msr	mair_el2, x9
	msr	tcr_el2, x3
	msr	ttbr0_el2, x1
	isb

	/*
	 * Nothing the previous owner of EL2 left in the EL2 TLBs or the
	 * instruction cache may survive into our translation regime.
	 */
	tlbi	alle2
	ic	iallu
	dsb	nsh
	isb

	mov_q	x9, INIT_SCTLR_EL2_MMU_ON
	msr	sctlr_el2, x9
	isb
	br	x7			// to the runtime address of init_runtime
SYM_CODE_END(init_hvc)

/*
 * HVC_SOFT_RESTART target used once at load to learn where the hyp stub's
 * vectors are: the stub branches here at EL2 with ELR_EL2/SPSR_EL2 still
 * pointing back at the caller's hvc, so this returns VBAR_EL2 in x0.
 */
SYM_CODE_START(stub_vbar_probe)
	mrs	x0, vbar_el2
	eret
SYM_CODE_END(stub_vbar_probe)

/*
 * Hand EL2 back to the hyp stub.  Entered from the runtime vectors by a
 * branch to the physical address of this code, with the boot tables already
 * in TTBR0_EL2 (so this page is identity mapped).
 *   x0-x4: the caller's HVC_RESET_VECTORS or HVC_SOFT_RESTART arguments
 *   x9:    the hyp stub's vectors (physical address)
 */
SYM_CODE_START(idmap_reset)
	mov_q	x10, INIT_SCTLR_EL2_MMU_OFF
	pre_disable_mmu_workaround
	msr	sctlr_el2, x10
	isb
	msr	vbar_el2, x9
	tlbi	alle2
	dsb	nsh
	isb

	cmp	x0, #HVC_SOFT_RESTART
	b.eq	1f
	mov	x0, #0
	eret

	/* hyp-abi.rst: x1 = entry point, x2-x4 become x0-x2, no return. */
1:	mov	x9, x1
	mov	x0, x2
	mov	x1, x3
	mov	x2, x4
	br	x9
SYM_CODE_END(idmap_reset)
