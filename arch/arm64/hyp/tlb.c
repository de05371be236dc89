// SPDX-License-Identifier: GPL-2.0
/*
 * TLB maintenance local to this CPU, before a guest entry (EL1 asks for it
 * in mkvm_vcpu_hyp.tlb_flush; arch/arm64/vmid.c and run.c say when), and
 * the broadcast invalidation of a VM's IPA range (MKVM_HC_FLUSH_IPA).
 */
#include <linux/sizes.h>
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

/*
 * Invalidate, on every CPU of the Inner Shareable domain, the stage-2
 * entries of the VM whose VMID is in VTTBR_EL2 for the IPAs in @range
 * (MKVM_TLBI_IPA()), and then every stage-1 entry of that VMID: those
 * combine a guest VA with the stage-2 translation of the IPAs just
 * unmapped, and are tagged by VA, which the IPAs do not tell (Arm ARM
 * D8.16, "TLB maintenance": TLBI IPAS2E1IS alone leaves them).  The
 * walk cache entries of the unmapped IPAs go with TLBI IPAS2E1IS, which
 * (unlike IPAS2LE1IS) covers every level.  KVM's
 * __kvm_tlb_flush_vmid_ipa() does the same for one entry.
 */
static void tlb_flush_ipa_range(u64 range)
{
	u64 ipa = MKVM_TLBI_IPA_ADDR(range), n = MKVM_TLBI_IPA_N(range);
	u64 stride = MKVM_TLBI_IPA_LEVEL(range) == 2 ? SZ_2M : SZ_4K;

	/* The cleared entries reach the table walkers first. */
	dsb(ishst);
	for (; n; n--, ipa += stride)
		asm volatile("tlbi ipas2e1is, %0" : : "r" (ipa >> 12) : "memory");
	/* Stage 2 first: a stage-1 walk may refill from a stale one. */
	dsb(ish);
	asm volatile("tlbi vmalle1is" : : : "memory");
	dsb(ish);
	isb();
}

/*
 * Invalidate, on every CPU of the Inner Shareable domain, the TLB entries
 * of the VM whose VMID is in VTTBR_EL2 (loaded by the caller, with TGE
 * clear on VHE): all of its stage-1 and stage-2 entries, or with a
 * @range (MKVM_TLBI_IPA(), 0 for none) those tlb_flush_ipa_range()
 * drops.  flush_vmid() (switch.c) and the VHE copy's vhe_flush_vmid()
 * share it.
 */
void tlb_flush_guest(u64 range)
{
	if (range) {
		tlb_flush_ipa_range(range);
		return;
	}
	asm volatile("tlbi vmalls12e1is" : : : "memory");
	dsb(ish);
	isb();
}
