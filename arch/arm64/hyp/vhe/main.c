// SPDX-License-Identifier: GPL-2.0
/*
 * VHE only: the calls an nVHE host makes with hvc (../hyp-main.c) that need
 * more than a register read at EL2.  Called from arch/arm64/vhe.c with
 * every exception masked.
 */
#include <asm/barrier.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <mkvm/hyp.h>
#include "../hyp.h"

void vhe_flush_vmid(u64 vttbr, u64 vtcr);

/*
 * MKVM_HC_FLUSH_VMID.  With HCR_EL2.{E2H,TGE} = {1,1} the EL1&0 regime
 * does not exist and TLB invalidation by VMID is not reliable: TGE is
 * cleared for the duration, as KVM's VHE __tlb_switch_to_guest() does.
 * VTCR_EL2.VS as in ../hyp-main.c.
 */
void vhe_flush_vmid(u64 vttbr, u64 vtcr)
{
	u64 hcr = read_sysreg(hcr_el2);

	write_sysreg(hcr & ~HCR_TGE, hcr_el2);
	isb();
	write_sysreg(vtcr, vtcr_el2);
	flush_vmid(vttbr);
	write_sysreg(hcr, hcr_el2);
	isb();
}
