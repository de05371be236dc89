// SPDX-License-Identifier: GPL-2.0
/*
 * The breakpoint and watchpoint registers, switched for a run when EL1
 * asks (MKVM_DBG_SWITCH: the guest uses them, or the VMM debugs it with
 * hardware breakpoints), and otherwise left with the host: the guest's
 * accesses then trap (MDCR_EL2.TDA, switch.c) and EL1 holds its values.
 * MDSCR_EL1, which enables them, is switched with the EL1 context
 * (sysreg-sr.c).
 *
 * The host's set is saved before the guest's is loaded and is back before
 * EL2 returns to the host, on the panic path too: a guest breakpoint can
 * never match in the host.  While the guest's set is loaded EL2 cannot take
 * one either: with MDCR_EL2.TDE clear the debug target is EL1 and a debug
 * exception is never taken from a higher EL than the target; with TDE set
 * EL2 runs with PSTATE.D set (Arm ARM D2.2 "Enabling debug exceptions").
 * HMC is cleared all the same (sanitise_ctrl()).
 */
#include <asm/sysreg.h>
#include <mkvm/debug-regs.h>
#include <mkvm/hyp.h>
#include "hyp.h"

/*
 * DBGBCR<n>_EL1.HMC (and DBGWCR<n>_EL1.HMC), bit 13: every combination
 * of HMC, SSC and PMC (or PAC) that matches at EL2 has HMC set (Arm ARM
 * D2.8 and D2.9, "Execution conditions"), so with it clear a guest's
 * breakpoint or watchpoint can only match at EL1 and EL0.
 */
#define DBGxCR_HMC	BIT(13)

static u64 sanitise_ctrl(u64 v)
{
	return v & ~DBGxCR_HMC;
}

/*
 * Every breakpoint and watchpoint this CPU has is switched, even past
 * what the guest is told (the sanitised ID_AA64DFR0_EL1 of all CPUs,
 * sysregs.c): with TDA clear the guest can write any register the CPU
 * implements, and none of them may keep the guest's value in the host.
 */
static void dbg_save(struct mkvm_debug_regs *d)
{
	unsigned int brps = mkvm_cpu_nr_brps(), wrps = mkvm_cpu_nr_wrps();
	unsigned int n;

	for (n = 0; n < brps; n++) {
		d->bcr[n] = mkvm_read_dbgbcr(n);
		d->bvr[n] = mkvm_read_dbgbvr(n);
	}
	for (n = 0; n < wrps; n++) {
		d->wcr[n] = mkvm_read_dbgwcr(n);
		d->wvr[n] = mkvm_read_dbgwvr(n);
	}
	d->mdccint = read_sysreg(mdccint_el1);
}

static void dbg_load(const struct mkvm_debug_regs *d, bool guest)
{
	unsigned int brps = mkvm_cpu_nr_brps(), wrps = mkvm_cpu_nr_wrps();
	unsigned int n;

	for (n = 0; n < brps; n++) {
		mkvm_write_dbgbcr(n, guest ? sanitise_ctrl(d->bcr[n]) : d->bcr[n]);
		mkvm_write_dbgbvr(n, d->bvr[n]);
	}
	for (n = 0; n < wrps; n++) {
		mkvm_write_dbgwcr(n, guest ? sanitise_ctrl(d->wcr[n]) : d->wcr[n]);
		mkvm_write_dbgwvr(n, d->wvr[n]);
	}
	write_sysreg(d->mdccint, mdccint_el1);
}

/*
 * Before the guest's EL1 context (its MDSCR_EL1) is loaded.  No ISB here:
 * the eret into the guest synchronises the writes.
 */
void debug_switch_to_guest(struct mkvm_hyp_cpu *cpu,
			   struct mkvm_vcpu_hyp *vcpu)
{
	if (!(vcpu->debug & MKVM_DBG_SWITCH))
		return;
	dbg_save(&cpu->host_dbg);
	cpu->host_dbg_saved = true;
	dbg_load(vcpu->debug & MKVM_DBG_VMM ? &vcpu->vmm_dbg : &vcpu->dbg,
		 true);
}

/*
 * After the guest's exit, before the host's EL1 context is back.  The
 * guest may have written its registers directly (TDA clear): they are
 * its new values.  The VMM's set ran with TDA set and is not saved.
 */
void debug_switch_to_host(struct mkvm_hyp_cpu *cpu, struct mkvm_vcpu_hyp *vcpu)
{
	if (!cpu->host_dbg_saved)
		return;
	if (vcpu && !(vcpu->debug & (MKVM_DBG_VMM | MKVM_DBG_TRAP)))
		dbg_save(&vcpu->dbg);
	dbg_load(&cpu->host_dbg, false);
	cpu->host_dbg_saved = false;
}
