// SPDX-License-Identifier: GPL-2.0
/*
 * The syndrome of a guest exit, captured at EL2 before anything else runs:
 * ESR_EL2, FAR_EL2 and the faulting IPA.
 *
 * HPFAR_EL2 gives the IPA of a stage-2 translation or access flag fault,
 * and of any fault on a stage-1 table walk (ESR_EL2.S1PTW), but it is
 * UNKNOWN for a stage-2 permission fault on the access itself (Arm ARM,
 * HPFAR_EL2: "UNKNOWN ... for a Permission fault").  Like KVM
 * (__get_fault_info()), the IPA then comes from translating FAR_EL2 with
 * the guest's own stage 1, which is still loaded here: AT S1E1R.
 */
#include <asm/esr.h>
#include <asm/sysreg.h>
#include <mkvm/hyp.h>
#include "hyp.h"

#define PAR_F		BIT_ULL(0)
#define PAR_PA_MASK	GENMASK_ULL(47, 12)	/* IPAs are 48 bits at most */
#define HPFAR_FIPA_SHIFT	4		/* FIPA[47:12] at bits [43:4] */

/* A stage-2 permission fault on the guest's access (not its table walk)? */
static bool hpfar_unknown(u64 esr)
{
	u64 ec = ESR_ELx_EC(esr);

	if (ec != ESR_ELx_EC_DABT_LOW && ec != ESR_ELx_EC_IABT_LOW)
		return false;
	if (esr & ESR_ELx_S1PTW)
		return false;
	return (esr & ESR_ELx_FSC_TYPE) == ESR_ELx_FSC_PERM;
}

/*
 * Stage 1 already allowed the access, so the EL1 read translation finds
 * the same output address whatever EL the guest was at.  PAR_EL1 is the
 * guest's register, not saved yet: it gets its value back.  The walk can
 * fail when another vCPU changed the guest's tables since the fault, or
 * when a table is not mapped at stage 2 (PAR_EL1.F, no exception): the
 * guest then retries the access and faults again with a fresh syndrome.
 */
static bool far_to_hpfar(u64 far, u64 *hpfar)
{
	u64 guest_par = read_sysreg(par_el1);
	u64 par;

	asm volatile("at s1e1r, %0" : : "r" (far));
	isb();
	par = read_sysreg(par_el1);
	write_sysreg(guest_par, par_el1);
	if (par & PAR_F)
		return false;
	*hpfar = ((par & PAR_PA_MASK) >> 12) << HPFAR_FIPA_SHIFT;
	return true;
}

/*
 * Right after the guest exits: VTTBR_EL2, HCR_EL2 and the guest's EL1
 * translation registers are live.  vcpu->fault_retry tells EL1 to enter
 * the guest again without handling the abort.
 */
void fault_capture(struct mkvm_vcpu_hyp *vcpu, u64 exit)
{
	u64 esr = read_sysreg(esr_el2);
	u64 far = read_sysreg(far_el2);

	vcpu->esr_el2 = esr;
	vcpu->far_el2 = far;
	vcpu->fault_retry = 0;
	if (exit == MKVM_EXIT_SYNC && hpfar_unknown(esr))
		vcpu->fault_retry = !far_to_hpfar(far, &vcpu->hpfar_el2);
	else
		vcpu->hpfar_el2 = read_sysreg(hpfar_el2);
}
