// SPDX-License-Identifier: GPL-2.0
/*
 * TLB maintenance local to this CPU, before a guest entry (EL1 asks for it
 * in mkvm_vcpu_hyp.tlb_flush; arch/arm64/vmid.c and run.c say when).
 */
#include <asm/barrier.h>
#include <mkvm/hyp.h>
#include "hyp.h"

/*
 * Called once the VM's VTTBR_EL2 and HCR_EL2 are written, before the
 * guest's own registers: TLBI VMALLE1 acts on the VMID in VTTBR_EL2.
 * Only this CPU needs it (nsh): the entries at stake were made here.
 */
void tlb_prepare(struct mkvm_vcpu_hyp *vcpu)
{
	switch (vcpu->tlb_flush) {
	case MKVM_TLB_FLUSH_VMID:
		/*
		 * Another vCPU of this VM ran here last: its stage-1 entries
		 * carry the same VMID (and maybe the same ASIDs) as ours.
		 */
		isb();
		asm volatile("tlbi vmalle1" : : : "memory");
		break;
	case MKVM_TLB_FLUSH_IPA:
		/*
		 * A stage-2 permission was granted at tlb_flush_ipa (run.c,
		 * load_stage2()): a cached entry without it would fault once
		 * more.  Its stage-2 entry, then every entry combining stage
		 * 1 with it (tagged by VA, so the whole VMID), as KVM's
		 * __kvm_tlb_flush_vmid_ipa_nsh().  No instruction cache
		 * maintenance: the page did not change.  (TLBI VMALLS12E1
		 * would do too, but QEMU makes every CPU stop for it.)
		 */
		isb();
		asm volatile("tlbi ipas2e1, %0"
			     : : "r" (vcpu->tlb_flush_ipa >> 12) : "memory");
		dsb(nsh);
		asm volatile("tlbi vmalle1" : : : "memory");
		dsb(nsh);
		isb();
		return;
	case MKVM_TLB_FLUSH_ALL:
		/* VMIDs were handed out again: none of the old entries holds. */
		asm volatile("tlbi alle1" : : : "memory");
		break;
	default:
		return;
	}
	/* An instruction cache tagged by VMID drops the old lines too. */
	asm volatile("ic iallu" : : : "memory");
	dsb(nsh);
	isb();
}
