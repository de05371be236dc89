// SPDX-License-Identifier: GPL-2.0
/*
 * The world switch: run one vCPU on this CPU until it exits, then put the
 * host back exactly as it was.  Called as host call MKVM_HC_VCPU_RUN with
 * interrupts masked at EL1; FP/SIMD is switched at EL1 (arch/arm64/run.c).
 *
 * Read top to bottom, then bottom to top: every step that changes host
 * state on the way in is undone in reverse order on the way out.
 */
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <clocksource/arm_arch_timer.h>
#include <mkvm/hyp.h>
#include "hyp.h"

/*
 * The host's EL2 controls live in struct mkvm_hyp_cpu, not on the stack,
 * so that el2_panic can put the host back (hyp_panic_restore_host()).
 */
static void enter_guest_el2(struct mkvm_vcpu_hyp *vcpu, struct mkvm_hyp_cpu *h)
{
	h->host_hcr = read_sysreg(hcr_el2);
	h->host_cptr = read_sysreg(cptr_el2);
	h->host_mdcr = read_sysreg(mdcr_el2);
	h->host_cnthctl = read_sysreg(cnthctl_el2);
	h->host_vmpidr = read_sysreg(vmpidr_el2);
	h->guest_loaded = true;

	/* SVE, SME, AMU and trace stay with the host: trapped, UNDEF. */
	write_sysreg(h->host_cptr | CPTR_EL2_TZ | CPTR_EL2_TSM | CPTR_EL2_TAM |
		     CPTR_EL2_TTA, cptr_el2);
	/*
	 * The PMU and the debug registers stay with the host: a guest must
	 * not rewrite the host's breakpoints or watchpoints, which are not
	 * switched.  Debug register accesses trap (TDA, TDOSA, TDRA) and
	 * read as zero (arch/arm64/sysregs.c).
	 */
	write_sysreg(h->host_mdcr | MDCR_EL2_TPM | MDCR_EL2_TPMCR |
		     MDCR_EL2_TDA | MDCR_EL2_TDOSA | MDCR_EL2_TDRA, mdcr_el2);
	/* The physical timer is the host's: trap it, allow the counter. */
	write_sysreg((h->host_cnthctl & ~CNTHCTL_EL1PCEN) | CNTHCTL_EL1PCTEN,
		     cnthctl_el2);
	write_sysreg(vcpu->cntvoff_el2, cntvoff_el2);
	write_sysreg(vcpu->vmpidr_el2, vmpidr_el2);
	write_sysreg(vcpu->vtcr_el2, vtcr_el2);
	write_sysreg(vcpu->vttbr_el2, vttbr_el2);
	/*
	 * HCR_EL2.VM last, once stage 2 is fully described: the guest's
	 * first access must not use a half-written translation regime.
	 */
	isb();
	write_sysreg(vcpu->hcr_el2, hcr_el2);
}

static void exit_guest_el2(struct mkvm_hyp_cpu *h)
{
	write_sysreg(h->host_hcr, hcr_el2);
	isb();
	write_sysreg(0, vttbr_el2);
	write_sysreg(h->host_vmpidr, vmpidr_el2);
	write_sysreg(0, cntvoff_el2);
	write_sysreg(h->host_cnthctl, cnthctl_el2);
	write_sysreg(h->host_mdcr, mdcr_el2);
	write_sysreg(h->host_cptr, cptr_el2);
	h->guest_loaded = false;
}

/*
 * el2_panic, during a world switch: whatever the guest had loaded goes,
 * the host's EL1 and EL2 state comes back, so the host survives to report.
 */
void hyp_panic_restore_host(struct mkvm_hyp_cpu *cpu)
{
	if (!cpu->guest_loaded)
		return;
	write_sysreg((u64)host_vectors, vbar_el2);
	write_sysreg(0, cntv_ctl_el0);
	exit_guest_el2(cpu);
	sysregs_restore(&cpu->host_ctxt);
	isb();
}

u64 vcpu_run(struct mkvm_hyp_cpu *cpu, struct mkvm_vcpu_hyp *vcpu)
{
	struct mkvm_cpu_ctxt *host = &cpu->host_ctxt, *guest = &vcpu->ctxt;
	u64 exit;

	sysregs_save(host);
	enter_guest_el2(vcpu, cpu);
	tlb_prepare(vcpu);
	sysregs_restore(guest);
	timer_restore(guest);
	vgic_restore(&vcpu->vgic);
	write_sysreg(guest->pc, elr_el2);
	write_sysreg(guest->pstate, spsr_el2);
	write_sysreg((u64)guest_vectors, vbar_el2);
	isb();

	exit = __guest_enter(guest);

	/* Syndrome first: nothing below may take or change an exception. */
	fault_capture(vcpu, exit);
	guest->pc = read_sysreg(elr_el2);
	guest->pstate = read_sysreg(spsr_el2);
	write_sysreg((u64)host_vectors, vbar_el2);

	vgic_save(&vcpu->vgic);
	timer_save(guest);
	sysregs_save(guest);
	exit_guest_el2(cpu);
	sysregs_restore(host);
	isb();
	return exit;
}

/*
 * Invalidate every stage-1 and stage-2 TLB entry of one VM, on every CPU
 * of the Inner Shareable domain.  TLBI VMALLS12E1IS acts on the VMID in
 * VTTBR_EL2, so the VM's VTTBR is loaded for the duration.
 */
void flush_vmid(u64 vttbr)
{
	u64 old = read_sysreg(vttbr_el2);

	write_sysreg(vttbr, vttbr_el2);
	isb();
	asm volatile("tlbi vmalls12e1is" : : : "memory");
	dsb(ish);
	isb();
	write_sysreg(old, vttbr_el2);
	isb();
}
