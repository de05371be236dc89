// SPDX-License-Identifier: GPL-2.0
/*
 * EL1 system register save/restore for the world switch.
 *
 * The list is one table: an entry per switched register.  At EL2 in an
 * nVHE system the *_EL1 names reach the EL1 registers directly.
 */
#include <asm/sysreg.h>
#include <mkvm/hyp.h>
#include "hyp.h"

#define SWITCHED_SYSREGS(X)				\
	X(SR_SCTLR_EL1,		sctlr_el1)		\
	X(SR_CPACR_EL1,		cpacr_el1)		\
	X(SR_TTBR0_EL1,		ttbr0_el1)		\
	X(SR_TTBR1_EL1,		ttbr1_el1)		\
	X(SR_TCR_EL1,		tcr_el1)		\
	X(SR_ESR_EL1,		esr_el1)		\
	X(SR_AFSR0_EL1,		afsr0_el1)		\
	X(SR_AFSR1_EL1,		afsr1_el1)		\
	X(SR_FAR_EL1,		far_el1)		\
	X(SR_MAIR_EL1,		mair_el1)		\
	X(SR_AMAIR_EL1,		amair_el1)		\
	X(SR_VBAR_EL1,		vbar_el1)		\
	X(SR_CONTEXTIDR_EL1,	contextidr_el1)		\
	X(SR_CNTKCTL_EL1,	cntkctl_el1)		\
	X(SR_PAR_EL1,		par_el1)		\
	X(SR_MDSCR_EL1,		mdscr_el1)		\
	X(SR_CSSELR_EL1,	csselr_el1)		\
	X(SR_TPIDR_EL0,		tpidr_el0)		\
	X(SR_TPIDRRO_EL0,	tpidrro_el0)		\
	X(SR_TPIDR_EL1,		tpidr_el1)		\
	X(SR_SP_EL0,		sp_el0)			\
	X(SR_SP_EL1,		sp_el1)			\
	X(SR_ELR_EL1,		elr_el1)		\
	X(SR_SPSR_EL1,		spsr_el1)

#define SAVE_ONE(idx, reg)	ctxt->sys[idx] = read_sysreg(reg);
#define RESTORE_ONE(idx, reg)	write_sysreg(ctxt->sys[idx], reg);

void sysregs_save(struct mkvm_cpu_ctxt *ctxt)
{
	SWITCHED_SYSREGS(SAVE_ONE)
}

void sysregs_restore(struct mkvm_cpu_ctxt *ctxt)
{
	SWITCHED_SYSREGS(RESTORE_ONE)
}

/*
 * The guest's virtual timer.  On the way out the timer is disabled so it
 * cannot fire into the host, which does not use it (an nVHE host that
 * booted at EL2 runs on the physical timer).
 */
void timer_save(struct mkvm_cpu_ctxt *ctxt)
{
	ctxt->sys[SR_CNTV_CTL_EL0] = read_sysreg(cntv_ctl_el0);
	ctxt->sys[SR_CNTV_CVAL_EL0] = read_sysreg(cntv_cval_el0);
	write_sysreg(0, cntv_ctl_el0);
}

void timer_restore(struct mkvm_cpu_ctxt *ctxt)
{
	write_sysreg(ctxt->sys[SR_CNTV_CVAL_EL0], cntv_cval_el0);
	write_sysreg(ctxt->sys[SR_CNTV_CTL_EL0], cntv_ctl_el0);
}
