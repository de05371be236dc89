// SPDX-License-Identifier: GPL-2.0
/*
 * Debugging a guest: its own breakpoints, watchpoints and single step,
 * and KVM_SET_GUEST_DEBUG for the VMM (KVM's arch/arm64/kvm/debug.c is
 * the reference for what a VMM and a guest can observe).
 *
 * Before each run, debug_prepare() decides how EL2 treats the debug
 * registers (MKVM_DBG_*, arch/arm64/hyp/switch.c builds MDCR_EL2 from
 * them, hyp/debug-sr.c switches them):
 *
 *  - a guest that does not debug keeps trapping (MDCR_EL2.TDA): its
 *    breakpoint registers are values in struct mkvm_vcpu_hyp, and a run
 *    costs nothing more;
 *  - a guest that wrote a debug register (a trapped write marks the vCPU
 *    dirty) or has debug enabled (MDSCR_EL1.MDE, KDE, SS, or an enabled
 *    breakpoint or watchpoint) gets its registers switched in for the
 *    run, untrapped, and its exceptions go to its own vectors; after the
 *    run the host's are back and the vCPU is clean again;
 *  - the VMM debugging the guest (KVM_SET_GUEST_DEBUG) routes the guest's
 *    debug exceptions to EL2 (MDCR_EL2.TDE), where they end KVM_RUN with
 *    KVM_EXIT_DEBUG; with KVM_GUESTDBG_USE_HW its own registers are
 *    loaded instead of the guest's;
 *  - the guest's OS lock (emulated, sysregs.c) withholds breakpoints,
 *    watchpoints and steps from the guest as the architecture does, by
 *    loading MDSCR_EL1 without MDE and SS; BRK still works.
 *
 * The last two change the MDSCR_EL1 and PSTATE.SS the guest runs with:
 * debug_prepare() keeps the guest's own values aside and debug_done()
 * puts them back, before any exit is handled, so that the guest (whose
 * accesses trap meanwhile) and the VMM only ever see their own.
 */
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/debug-monitors.h>
#include <asm/esr.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/hyp.h>
#include <mkvm/run.h>

/* DBGBCR<n>_EL1.E and DBGWCR<n>_EL1.E: the breakpoint is enabled. */
#define DBGxCR_E	BIT(0)

/**
 * mkvm_debug_nr_brps() - breakpoints a guest is given
 *
 * As many as every CPU has (the sanitised ID_AA64DFR0_EL1.BRPs, which the
 * guest reads too): EL2 switches at least these on any CPU.
 * Return: the count, 2 to 16.
 */
unsigned int mkvm_debug_nr_brps(void)
{
	u64 dfr0 = read_sanitised_ftr_reg(SYS_ID_AA64DFR0_EL1);

	return cpuid_feature_extract_unsigned_field(dfr0,
			ID_AA64DFR0_EL1_BRPs_SHIFT) + 1;
}

/**
 * mkvm_debug_nr_wrps() - watchpoints a guest is given, as for breakpoints
 *
 * Return: the count, 2 to 16.
 */
unsigned int mkvm_debug_nr_wrps(void)
{
	u64 dfr0 = read_sanitised_ftr_reg(SYS_ID_AA64DFR0_EL1);

	return cpuid_feature_extract_unsigned_field(dfr0,
			ID_AA64DFR0_EL1_WRPs_SHIFT) + 1;
}

/**
 * mkvm_debug_reg_written() - a trapped guest write to a debug register
 * @vcpu:	the vCPU
 *
 * The guest is likely to go on using them: switch them from the next run
 * on, untrapped, until a run starts with debug unused again.
 */
void mkvm_debug_reg_written(struct mkvm_vcpu *vcpu)
{
	vcpu->arch.dbg.dirty = true;
}

static bool guest_os_locked(struct mkvm_vcpu *vcpu)
{
	return vcpu->arch.emul.oslsr & OSLSR_EL1_OSLK;
}

/* Does the guest's debug state do anything when loaded? */
static bool guest_debug_in_use(struct mkvm_vcpu *vcpu)
{
	const struct mkvm_debug_regs *d = &vcpu->arch.hyp->dbg;
	u64 mdscr = vcpu->arch.hyp->ctxt.sys[SR_MDSCR_EL1];
	unsigned int n;

	if (mdscr & (DBG_MDSCR_MDE | DBG_MDSCR_KDE | DBG_MDSCR_SS))
		return true;
	for (n = 0; n < ARRAY_SIZE(d->bcr); n++)
		if ((d->bcr[n] | d->wcr[n]) & DBGxCR_E)
			return true;
	return false;
}

/*
 * The MDSCR_EL1 and PSTATE.SS the guest runs with while the VMM debugs
 * it or its OS lock is set (KVM's kvm_arm_setup_debug()):
 *
 *  - KVM_GUESTDBG_SINGLESTEP: MDSCR_EL1.SS set; PSTATE.SS set, so that
 *    one instruction runs and the step exception follows, unless the
 *    last run ended after an instruction completed and before its step
 *    exception was taken (active-pending: an interrupt, an HVC, an
 *    instruction the kernel emulated), in which case PSTATE.SS stays
 *    clear and the exception is taken before anything else runs;
 *  - otherwise MDSCR_EL1.SS clear: the guest's own step would be taken
 *    to EL2 (TDE), or is withheld by its OS lock;
 *  - KVM_GUESTDBG_USE_HW: MDSCR_EL1.MDE set, the VMM's breakpoints armed;
 *    else with the OS lock set MDE clear: no breakpoint or watchpoint.
 */
static void override_mdscr_pstate(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_debug *dbg = &vcpu->arch.dbg;
	struct mkvm_cpu_ctxt *c = &vcpu->arch.hyp->ctxt;
	u64 mdscr = c->sys[SR_MDSCR_EL1];

	dbg->overridden = true;
	dbg->guest_mdscr = mdscr;
	dbg->guest_pstate_ss = c->pstate & DBG_SPSR_SS;
	if (dbg->control & KVM_GUESTDBG_SINGLESTEP) {
		mdscr |= DBG_MDSCR_SS;
		if (dbg->ss_pending)
			c->pstate &= ~DBG_SPSR_SS;
		else
			c->pstate |= DBG_SPSR_SS;
	} else {
		mdscr &= ~DBG_MDSCR_SS;
	}
	if (dbg->control & KVM_GUESTDBG_USE_HW)
		mdscr |= DBG_MDSCR_MDE;
	else if (guest_os_locked(vcpu))
		mdscr &= ~DBG_MDSCR_MDE;
	c->sys[SR_MDSCR_EL1] = mdscr;
}

/**
 * mkvm_debug_prepare() - the debug state of the next run
 * @vcpu:	the vCPU, about to enter
 *
 * Sets struct mkvm_vcpu_hyp.debug for EL2 (see the top of this file).
 */
void mkvm_debug_prepare(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_debug *dbg = &vcpu->arch.dbg;
	u64 flags = 0;

	if (dbg->control & KVM_GUESTDBG_USE_HW) {
		flags |= MKVM_DBG_SWITCH | MKVM_DBG_VMM;
		/* The channel interrupt enable stays the guest's. */
		vcpu->arch.hyp->vmm_dbg.mdccint = vcpu->arch.hyp->dbg.mdccint;
	} else if (dbg->dirty || guest_debug_in_use(vcpu)) {
		flags |= MKVM_DBG_SWITCH;
	}
	/*
	 * While the VMM debugs the guest, or its OS lock is set, the loaded
	 * MDSCR_EL1 is not the guest's: its accesses must reach the copy
	 * EL1 holds, so they trap (TDE would make them trap in any case).
	 */
	if (dbg->control || guest_os_locked(vcpu)) {
		flags |= MKVM_DBG_TRAP;
		override_mdscr_pstate(vcpu);
	}
	if (dbg->control)
		flags |= MKVM_DBG_TDE;
	vcpu->arch.hyp->debug = flags;
}

/**
 * mkvm_debug_done() - after a run, before its exit is handled
 * @vcpu:	the vCPU, back from the guest
 *
 * The guest's own MDSCR_EL1 and PSTATE.SS again; a VMM step whose
 * instruction completed without its exception being taken yet is
 * remembered as active-pending (PSTATE.SS clear at the exit).
 */
void mkvm_debug_done(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_debug *dbg = &vcpu->arch.dbg;
	struct mkvm_cpu_ctxt *c = &vcpu->arch.hyp->ctxt;

	dbg->dirty = false;
	if (!dbg->overridden)
		return;
	dbg->overridden = false;
	if ((dbg->control & KVM_GUESTDBG_SINGLESTEP) &&
	    !(c->pstate & DBG_SPSR_SS))
		dbg->ss_pending = true;
	c->sys[SR_MDSCR_EL1] = dbg->guest_mdscr;
	c->pstate = (c->pstate & ~DBG_SPSR_SS) | dbg->guest_pstate_ss;
}

/**
 * mkvm_debug_instr_skipped() - the kernel completed a guest instruction
 * @vcpu:	the vCPU
 *
 * An instruction emulated for the guest was a stepped one: its step
 * exception comes before the next instruction (PSTATE.SS clear, the
 * active-pending state of the Arm ARM's "software step state machine",
 * D2.12), for the guest's own step as for the VMM's.
 */
void mkvm_debug_instr_skipped(struct mkvm_vcpu *vcpu)
{
	vcpu->arch.hyp->ctxt.pstate &= ~DBG_SPSR_SS;
	if (vcpu->arch.dbg.control & KVM_GUESTDBG_SINGLESTEP)
		vcpu->arch.dbg.ss_pending = true;
}

/**
 * mkvm_handle_guest_debug() - a debug exception of the guest, taken to EL2
 * @vcpu:	the vCPU
 * @esr:	its syndrome
 *
 * Only while the VMM debugs the guest (MDCR_EL2.TDE): KVM_EXIT_DEBUG with
 * the syndrome, and the address for a watchpoint, as KVM reports them.
 * Return: 0, to the VMM.
 */
int mkvm_handle_guest_debug(struct mkvm_vcpu *vcpu, u64 esr)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_DEBUG;
	run->debug.arch.hsr = lower_32_bits(esr);
	run->debug.arch.hsr_high = upper_32_bits(esr);
	run->flags = KVM_DEBUG_ARCH_HSR_HIGH_VALID;
	switch (ESR_ELx_EC(esr)) {
	case ESR_ELx_EC_WATCHPT_LOW:
		run->debug.arch.far = vcpu->arch.hyp->far_el2;
		break;
	case ESR_ELx_EC_SOFTSTP_LOW:
		vcpu->arch.dbg.ss_pending = false;
		break;
	}
	return 0;
}

/**
 * mkvm_set_guest_debug() - KVM_SET_GUEST_DEBUG
 * @vcpu:	the vCPU, its mutex held
 * @argp:	struct kvm_guest_debug
 *
 * Without KVM_GUESTDBG_ENABLE, debugging stops whatever else is set; a
 * step in progress is forgotten.  The VMM's registers are taken only with
 * KVM_GUESTDBG_USE_HW, as KVM.
 * Return: 0, -EFAULT, -EINVAL for a flag arm64 does not have.
 */
int mkvm_set_guest_debug(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct mkvm_vcpu_debug *dbg = &vcpu->arch.dbg;
	struct kvm_guest_debug gd;

	if (copy_from_user(&gd, argp, sizeof(gd)))
		return -EFAULT;
	if (gd.control & ~MKVM_GUESTDBG_VALID)
		return -EINVAL;
	if (!(gd.control & KVM_GUESTDBG_ENABLE)) {
		dbg->control = 0;
		dbg->ss_pending = false;
		return 0;
	}
	dbg->control = gd.control;
	if (gd.control & KVM_GUESTDBG_USE_HW) {
		struct mkvm_debug_regs *v = &vcpu->arch.hyp->vmm_dbg;

		memcpy(v->bcr, gd.arch.dbg_bcr, sizeof(v->bcr));
		memcpy(v->bvr, gd.arch.dbg_bvr, sizeof(v->bvr));
		memcpy(v->wcr, gd.arch.dbg_wcr, sizeof(v->wcr));
		memcpy(v->wvr, gd.arch.dbg_wvr, sizeof(v->wvr));
	}
	return 0;
}
