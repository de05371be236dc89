// SPDX-License-Identifier: GPL-2.0
/*
 * The world switch: run one vCPU on this CPU until it exits, then put the
 * host back exactly as it was.  Called as host call MKVM_HC_VCPU_RUN with
 * interrupts masked at EL1; FP/SIMD is switched at EL1 (arch/arm64/run.c).
 *
 * Read top to bottom, then bottom to top: every step that changes host
 * state on the way in is undone in reverse order on the way out.
 */
#include <asm/barrier.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include <clocksource/arm_arch_timer.h>
#include <mkvm/hyp.h>
#include "hyp.h"

/*
 * Deny by default: every EL2 control a guest runs under is built here from
 * nothing, never by adding bits to what the host (the kernel's hyp stub)
 * left in the register.  The stub gives EL1 features the host kernel uses
 * (the SPE and TRBE buffers, PIR_EL1, POR_EL0, TCR2_EL1, FPMR, ...); a bit
 * this file does not know about stays clear for the guest, which on every
 * control below means "trapped" or "disabled".  Each feature the guest is
 * denied is also hidden in its ID registers (arch/arm64/sysregs.c), and a
 * trapped access it makes anyway gets UNDEF there (RAZ/WI for the RAS
 * error records, as KVM).
 */

/*
 * CPTR_EL2 (nVHE layout, Arm ARM D19.2 "CPTR_EL2"): FP/SIMD is the
 * guest's during a run (arch/arm64/run.c loads it), so TFP is clear and so
 * is TCPAC (CPACR_EL1 is switched).  SVE (TZ), SME (TSM), the activity
 * monitors (TAM) and trace registers (TTA) stay the host's: trapped.
 * (Linux's CPTR_NVHE_EL2_RES1 has TSM, bit 12, in it already: the bit is
 * RES1 on a CPU without SME.  It is named here for the reader.)
 *
 * With HCR_EL2.E2H set (VHE) the register has CPACR_EL1's layout, where 0
 * traps: FPEN = 0b11 (FP/SIMD not trapped), ZEN = SMEN = 0 (SVE, SME
 * trapped), TTA (bit 28) and TAM (bit 30) set, TCPAC (bit 31) clear.
 */
static u64 guest_cptr(void)
{
#ifdef __MKVM_VHE__
	return CPACR_ELx_FPEN | CPACR_EL1_TTA | CPTR_EL2_TAM;
#else
	return CPTR_NVHE_EL2_RES1 | CPTR_EL2_TZ | CPTR_EL2_TSM | CPTR_EL2_TAM |
	       CPTR_EL2_TTA;
#endif
}

/*
 * MDCR_EL2 (D19.2 "MDCR_EL2"), from nothing, bit by bit:
 *
 *   HPMN     the host's: it splits the PMU counters between EL1 and EL2,
 *            and the host's counters must keep counting as set up.
 *   TPM,     the PMU is the host's: every PMU register traps (sysregs.c:
 *   TPMCR    PMCR_EL0 and the enables read as zero, the rest UNDEF).
 *   TDRA     MDRAR_EL1 (the debug ROM address, the host's): traps, RAZ.
 *   TDOSA    the OS lock registers (OSLAR, OSLSR, OSDLR, DBGPRCR): the
 *            hardware lock is the host's, each vCPU has an emulated one
 *            (sysregs.c; debug.c withholds the guest's debug events
 *            while it is locked).  Always set.
 *   TDA      the breakpoint and watchpoint registers, MDSCR_EL1 and
 *            MDCCINT_EL1 trap, and EL1 holds them, unless EL1 asked for
 *            them to be switched for this run (MKVM_DBG_SWITCH: the guest
 *            wrote one, or has debug enabled) and not to be trapped
 *            anyway (MKVM_DBG_TRAP: the VMM debugs the guest, or the
 *            guest's OS lock is set), as KVM's lazy "debug dirty" switch:
 *            a guest that does not debug costs nothing more per run.
 *   TDE      only while the VMM debugs the guest (KVM_SET_GUEST_DEBUG):
 *            the guest's debug exceptions (step, breakpoints, BRK) go to
 *            EL2 and become KVM_EXIT_DEBUG; TDA/TDOSA/TDRA then act as
 *            set whatever their value.
 *   E2PB,    0b00: the SPE profiling and TRBE trace buffers are owned
 *   E2TB     by EL2, so the guest's accesses to their controls trap and
 *            it cannot point the host's buffer at memory of its choosing.
 *   TPMS,    the sampling and trace-filter controls trap; TDCC the debug
 *   TTRF,    communications channel (DBGDTR*, MDCCSR), which TDA alone
 *   TDCC     leaves to the guest of a switched run.  Each only where the
 *            feature exists (RES0 otherwise).
 *   HPME, HCCD, HPMD, MTPME, EnSPM: clear.
 */
static u64 guest_mdcr(struct mkvm_vcpu_hyp *vcpu, struct mkvm_hyp_cpu *h)
{
	u64 mdcr = h->host_mdcr & MDCR_EL2_HPMN_MASK;

	mdcr |= MDCR_EL2_TPM | MDCR_EL2_TPMCR;
	mdcr |= MDCR_EL2_TDOSA | MDCR_EL2_TDRA;
	if (!(vcpu->debug & MKVM_DBG_SWITCH) || (vcpu->debug & MKVM_DBG_TRAP))
		mdcr |= MDCR_EL2_TDA;
	if (vcpu->debug & MKVM_DBG_TDE)
		mdcr |= MDCR_EL2_TDE;
	if (h->features & MKVM_HYP_F_SPE)
		mdcr |= MDCR_EL2_TPMS;
	if (h->features & MKVM_HYP_F_TRF)
		mdcr |= MDCR_EL2_TTRF;
	if (h->features & MKVM_HYP_F_FGT)
		mdcr |= MDCR_EL2_TDCC;
	return mdcr;
}

/*
 * HCR_EL2 comes from EL1 (run.c); EL2 adds what no guest goes without.
 * With RAS, TERR traps the error record registers (ERRIDR_EL1, ERXCTLR_EL1
 * ...: RAZ/WI in sysregs.c, as KVM, so a guest can neither read nor clear
 * the host's records) and TEA routes synchronous external aborts taken
 * from the guest to EL2, where the host decides (KVM sets both).
 */
static u64 guest_hcr(struct mkvm_vcpu_hyp *vcpu, struct mkvm_hyp_cpu *h)
{
	u64 hcr = vcpu->hcr_el2;

	/*
	 * VHE: E2H stays set (this code runs in the kernel's EL2&0
	 * translation regime), TGE is clear only here, for the guest: with
	 * TGE set, EL1 cannot run and its exceptions go to EL2 (Arm ARM
	 * D8.11).
	 */
#ifdef __MKVM_VHE__
	hcr |= HCR_E2H;
#endif

	if (h->features & MKVM_HYP_F_RAS)
		hcr |= HCR_TERR | HCR_TEA;
	return hcr;
}

/*
 * CNTHCTL_EL2 (nVHE layout, D19.2 "CNTHCTL_EL2"), from nothing:
 *
 *   EL1PCEN  clear: the EL1 physical timer is the host's (an nVHE host
 *            runs its tick on it), so the guest's CNTP_CTL/CVAL/TVAL_EL0
 *            accesses trap and EL1 emulates a timer of the guest's own
 *            (arch/arm64/timer.c), as KVM does on nVHE.
 *   EL1PCTEN set while the guest's physical counter is the machine's
 *            (offset 0, as KVM's __timer_enable_traps()): reading it then
 *            costs nothing.  A VMM that moved it (KVM_REG_ARM_PTIMER_CNT,
 *            KVM_ARM_SET_COUNTER_OFFSET) gets CNTPCT_EL0 and CNTPCTSS_EL0
 *            trapped, and EL1 subtracts the offset.
 *   EVNTEN, EVNTDIR, EVNTI: no event stream from EL2 (the guest has its
 *            own, CNTKCTL_EL1, switched).
 *   ECV and the FEAT_ECV traps (EL1TVT, EL1TVCT, EL1NVPCT, EL1NVVCT,
 *            EVNTIS), CNTVMASK, CNTPMASK: clear, RES0 without the feature.
 *            ECV clear leaves CNTPOFF_EL2 unused: the offset is applied
 *            by trapping, on every CPU alike.
 */
static u64 guest_cnthctl(struct mkvm_vcpu_hyp *vcpu, struct mkvm_hyp_cpu *h)
{
#ifdef __MKVM_VHE__
	/*
	 * With E2H set (Arm ARM D19.2 "CNTHCTL_EL2", E2H == 1) the EL1
	 * controls move to EL1PCTEN (bit 10) and EL1PTEN (bit 11); bits 0-9
	 * are the host's EL0 controls, which apply only with TGE set, and
	 * are kept.  The ECV controls (bits 12-19) are cleared as above.
	 */
	u64 cnthctl = h->host_cnthctl & (GENMASK_ULL(9, 0) & ~CNTHCTL_EVNTEN);

	return cnthctl | (vcpu->cntpoff ? 0 : CNTHCTL_EL1PCTEN << 10);
#else
	return vcpu->cntpoff ? 0 : CNTHCTL_EL1PCTEN;
#endif
}

/*
 * HCRX_EL2 = 0 (FEAT_HCX, D19.2 "HCRX_EL2"): every feature it enables
 * stays off for the guest - TCR2En (TCR2_EL1 traps, and its effective
 * value is 0, so no permission indirection or overlays at stage 1),
 * EnFPM (FPMR UNDEFINED), MSCEn (the memory copy/set instructions
 * UNDEFINED), SCTLR2En, GCSEn, EnALS/EnAS0/EnASR (LS64), SMPME.
 *
 * The fine-grained trap registers = 0 (FEAT_FGT, D19.2 "HFGRTR_EL2"...):
 * no trap beyond the coarse ones for the registers of the base
 * architecture, and every register of a later feature, whose trap bit is
 * the inverted "nXXX" kind precisely so that 0 traps it, trapped:
 * PIR_EL1, PIRE0_EL1, POR_EL0, POR_EL1, S2POR_EL1, TPIDR2_EL0, SMPRI_EL1,
 * ACCDATA_EL1, the GCS and BRBE registers, PMSNEVFR_EL1, ...  The stub
 * sets some of those bits for the host kernel, which uses them.
 */
static void traps_hcx_fgt_enter(struct mkvm_hyp_cpu *h)
{
	if (h->features & MKVM_HYP_F_HCX) {
		h->host_hcrx = read_sysreg_s(SYS_HCRX_EL2);
		h->guest_hcrx = 0;
		write_sysreg_s(h->guest_hcrx, SYS_HCRX_EL2);
	}
	if (h->features & MKVM_HYP_F_FGT) {
		h->host_hfgrtr = read_sysreg_s(SYS_HFGRTR_EL2);
		h->host_hfgwtr = read_sysreg_s(SYS_HFGWTR_EL2);
		h->host_hfgitr = read_sysreg_s(SYS_HFGITR_EL2);
		h->host_hdfgrtr = read_sysreg_s(SYS_HDFGRTR_EL2);
		h->host_hdfgwtr = read_sysreg_s(SYS_HDFGWTR_EL2);
		write_sysreg_s(0, SYS_HFGRTR_EL2);
		write_sysreg_s(0, SYS_HFGWTR_EL2);
		write_sysreg_s(0, SYS_HFGITR_EL2);
		write_sysreg_s(0, SYS_HDFGRTR_EL2);
		write_sysreg_s(0, SYS_HDFGWTR_EL2);
	}
}

static void traps_hcx_fgt_exit(struct mkvm_hyp_cpu *h)
{
	if (h->features & MKVM_HYP_F_FGT) {
		write_sysreg_s(h->host_hdfgwtr, SYS_HDFGWTR_EL2);
		write_sysreg_s(h->host_hdfgrtr, SYS_HDFGRTR_EL2);
		write_sysreg_s(h->host_hfgitr, SYS_HFGITR_EL2);
		write_sysreg_s(h->host_hfgwtr, SYS_HFGWTR_EL2);
		write_sysreg_s(h->host_hfgrtr, SYS_HFGRTR_EL2);
	}
	if (h->features & MKVM_HYP_F_HCX)
		write_sysreg_s(h->host_hcrx, SYS_HCRX_EL2);
}

/*
 * The host's profiling and trace buffers must not record the guest, and
 * must be quiet while EL2 owns them (MDCR_EL2.E2PB/E2TB = 0 above): if
 * the host has a buffer enabled, stop generating records (PMSCR_EL1 = 0,
 * TRFCR_EL1 = 0), then drain what is in flight to memory (PSB CSYNC, TSB
 * CSYNC, DSB; Arm ARM D17.7, "Synchronization and Statistical Profiling",
 * and the TRBE chapter), as KVM's nVHE __debug_save_spe/trace do.  Before
 * MDCR_EL2 changes hands.
 */
static void host_buffers_stop(struct mkvm_hyp_cpu *h)
{
	h->host_pmscr = 0;
	h->host_trfcr = 0;
	if ((h->features & MKVM_HYP_F_SPE) &&
	    (read_sysreg_s(SYS_PMBLIMITR_EL1) & PMBLIMITR_EL1_E)) {
		h->host_pmscr = read_sysreg_s(SYS_PMSCR_EL1);
		write_sysreg_s(0, SYS_PMSCR_EL1);
		isb();
		psb_csync();
		dsb(nsh);
	}
	if ((h->features & MKVM_HYP_F_TRBE) &&
	    (read_sysreg_s(SYS_TRBLIMITR_EL1) & TRBLIMITR_EL1_E)) {
		h->host_trfcr = read_sysreg_s(SYS_TRFCR_EL1);
		write_sysreg_s(0, SYS_TRFCR_EL1);
		isb();
		/* Twice: some cores need it (the kernel's tsb_csync()). */
		__tsb_csync();
		__tsb_csync();
		dsb(nsh);
	}
}

/*
 * Once MDCR_EL2 gave the buffers back to EL1 and the host's EL1
 * translation regime is back (the buffers write through it), synchronised.
 */
static void host_buffers_restart(struct mkvm_hyp_cpu *h)
{
	if (!h->host_pmscr && !h->host_trfcr)
		return;
	isb();
	if (h->host_pmscr)
		write_sysreg_s(h->host_pmscr, SYS_PMSCR_EL1);
	if (h->host_trfcr)
		write_sysreg_s(h->host_trfcr, SYS_TRFCR_EL1);
}

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
	h->host_vbar = read_sysreg(vbar_el2);
	host_buffers_stop(h);
	h->guest_loaded = true;

	h->guest_cptr = guest_cptr();
	h->guest_mdcr = guest_mdcr(vcpu, h);
	h->guest_hcr = guest_hcr(vcpu, h);
	write_sysreg(h->guest_cptr, cptr_el2);
	write_sysreg(h->guest_mdcr, mdcr_el2);
	/* A virtual SError the VMM injected: its syndrome, where RAS has one. */
	if ((h->guest_hcr & HCR_VSE) && (h->features & MKVM_HYP_F_RAS))
		write_sysreg_s(vcpu->vsesr_el2, SYS_VSESR_EL2);
	traps_hcx_fgt_enter(h);
	h->guest_cnthctl = guest_cnthctl(vcpu, h);
	write_sysreg(h->guest_cnthctl, cnthctl_el2);
	/* Left loaded by the last exit (timer_save()), unless put since. */
	if (read_sysreg(cntvoff_el2) != vcpu->cntvoff_el2)
		write_sysreg(vcpu->cntvoff_el2, cntvoff_el2);
	write_sysreg(vcpu->vmpidr_el2, vmpidr_el2);
	write_sysreg(vcpu->vtcr_el2, vtcr_el2);
	write_sysreg(vcpu->vttbr_el2, vttbr_el2);
}

/*
 * HCR_EL2 last, once both stages of the guest's translation are loaded
 * (stage 2 above, stage 1 by sysregs_restore()) and, by the isb, in
 * effect: the guest's first access must not use a half-written
 * translation regime, and on a VHE host clearing TGE brings the EL1&0
 * regime into context, where a CPU with erratum 1165522 (Cortex-A76;
 * 1530923, Cortex-A55) may speculate an AT through whatever stage 1 and
 * stage 2 are there and keep the result in its TLB.  KVM's VHE switch
 * orders it the same way (Documentation/el2.rst, "Speculative AT").
 */
static void enter_guest_hcr(struct mkvm_hyp_cpu *h)
{
	isb();
	write_sysreg(h->guest_hcr, hcr_el2);
}

static void exit_guest_el2(struct mkvm_hyp_cpu *h)
{
	write_sysreg(h->host_hcr, hcr_el2);
	isb();
	write_sysreg(0, vttbr_el2);
	write_sysreg(h->host_vmpidr, vmpidr_el2);
	/* CNTVOFF_EL2 stays the guest's until timer_put() (timer_save()). */
	write_sysreg(h->host_cnthctl, cnthctl_el2);
	traps_hcx_fgt_exit(h);
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
	write_sysreg(cpu->host_vbar, vbar_el2);
	timer_put();
	debug_switch_to_host(cpu, NULL);
	exit_guest_el2(cpu);
	host_sysregs_restore(&cpu->host_ctxt);
	host_buffers_restart(cpu);
	isb();
}

static_assert(offsetof(struct mkvm_hyp_cpu, guest_smccc_to_el1) ==
	      HYP_CPU_GUEST_SMCCC_TO_EL1);

u64 vcpu_run(struct mkvm_hyp_cpu *cpu, struct mkvm_vcpu_hyp *vcpu)
{
	struct mkvm_cpu_ctxt *host = &cpu->host_ctxt, *guest = &vcpu->ctxt;
	u64 exit;

	host_sysregs_save(host);
	enter_guest_el2(vcpu, cpu);
	debug_switch_to_guest(cpu, vcpu);
	sysregs_restore(guest);
	enter_guest_hcr(cpu);
	tlb_prepare(vcpu);
	timer_restore(guest);
	vgic_restore(&vcpu->vgic);
	write_sysreg(guest->pc, elr_el2);
	write_sysreg(guest->pstate, spsr_el2);
	write_sysreg((u64)guest_vectors, vbar_el2);
	/* guest_hvc answers at EL2 only when no SMCCC filter may apply. */
	cpu->guest_smccc_to_el1 = vcpu->smccc_to_el1;
	isb();

	exit = __guest_enter(guest);

	/* Syndrome first: nothing below may take or change an exception. */
	fault_capture(vcpu, exit);
	guest->pc = read_sysreg(elr_el2);
	guest->pstate = read_sysreg(spsr_el2);
	write_sysreg(cpu->host_vbar, vbar_el2);

	vgic_save(&vcpu->vgic);
	timer_save(guest);
	sysregs_save(guest);
	debug_switch_to_host(cpu, vcpu);
	/*
	 * The CPU clears HCR_EL2.VSE when the guest takes the virtual SError
	 * (Arm ARM D1.3.5 "Virtual interrupts"); until then it stays pending,
	 * and EL1 must know which, or it would inject it a second time.
	 */
	if (vcpu->hcr_el2 & HCR_VSE)
		vcpu->hcr_el2 = (vcpu->hcr_el2 & ~HCR_VSE) |
				(read_sysreg(hcr_el2) & HCR_VSE);
	exit_guest_el2(cpu);
	host_sysregs_restore(host);
	host_buffers_restart(cpu);
	isb();
	return exit;
}

/*
 * Invalidate every stage-1 and stage-2 TLB entry of one VM, on every CPU
 * of the Inner Shareable domain - or, with a @range (MKVM_TLBI_IPA(), 0
 * for none), the stage-2 entries of those IPAs and the VM's stage-1
 * entries (tlb_flush_guest(), tlb.c).  TLBI acts on the VMID in VTTBR_EL2,
 * so the VM's VTTBR is loaded for the duration.
 */
void flush_vmid(u64 vttbr, u64 range)
{
	u64 old = read_sysreg(vttbr_el2);

	write_sysreg(vttbr, vttbr_el2);
	isb();
	tlb_flush_guest(range);
	write_sysreg(old, vttbr_el2);
	isb();
}
