// SPDX-License-Identifier: GPL-2.0
/*
 * VHE only: the calls an nVHE host makes with hvc (../hyp-main.c) that need
 * more than a register read at EL2.  Called from arch/arm64/vhe.c with
 * every exception masked.
 */
#include <asm/barrier.h>
#include <asm/kvm_arm.h>
#include <asm/pgtable-hwdef.h>
#include <asm/sysreg.h>
#include <mkvm/hyp.h>
#include "../hyp.h"

void vhe_flush_vmid(u64 vttbr, u64 vtcr, u64 features, u64 range);

/*
 * MKVM_HC_FLUSH_VMID, and MKVM_HC_FLUSH_IPA with a @range (0: none).
 * With HCR_EL2.{E2H,TGE} = {1,1} the EL1&0 regime does not exist and
 * TLB invalidation by VMID is not reliable: TGE is
 * cleared for the duration, as KVM's VHE __tlb_switch_to_guest() does.
 * VTCR_EL2.VS as in ../hyp-main.c.
 *
 * Clearing TGE brings the EL1&0 regime into context with whatever stage 1
 * the EL1 registers hold (the last guest's, on this CPU): on a CPU with
 * erratum 1165522 or 1530923 (MKVM_HYP_F_SPEC_AT) a speculative AT could
 * walk it and leave a wrong entry in the TLB.  So, as KVM's VHE
 * enter_vmid_context(), stage 1 table walks are turned off first
 * (TCR_EL1.EPD0/EPD1) with stage 1 on (SCTLR_EL1.M, so that no walk goes
 * straight to stage 2 either), and stage 2 is loaded and in effect
 * (isb) before TGE changes; all put back once TGE is set again.
 */
void vhe_flush_vmid(u64 vttbr, u64 vtcr, u64 features, u64 range)
{
	bool spec_at = features & MKVM_HYP_F_SPEC_AT;
	u64 hcr = read_sysreg(hcr_el2);
	u64 old_vttbr = read_sysreg(vttbr_el2);
	u64 tcr = 0, sctlr = 0;

	if (spec_at) {
		tcr = read_sysreg_s(SYS_TCR_EL12);
		sctlr = read_sysreg_s(SYS_SCTLR_EL12);
		write_sysreg_s(tcr | TCR_EPD0_MASK | TCR_EPD1_MASK,
			       SYS_TCR_EL12);
		write_sysreg_s(sctlr | SCTLR_ELx_M, SYS_SCTLR_EL12);
	}
	write_sysreg(vtcr, vtcr_el2);
	write_sysreg(vttbr, vttbr_el2);
	isb();
	write_sysreg(hcr & ~HCR_TGE, hcr_el2);
	isb();
	tlb_flush_guest(range);
	write_sysreg(hcr, hcr_el2);
	isb();
	write_sysreg(old_vttbr, vttbr_el2);
	if (spec_at) {
		write_sysreg_s(tcr, SYS_TCR_EL12);
		write_sysreg_s(sctlr, SYS_SCTLR_EL12);
	}
}
