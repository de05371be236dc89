// SPDX-License-Identifier: GPL-2.0
/*
 * EL1 system register save/restore for the world switch.
 *
 * The list is one table: an entry per switched register.  At EL2 of an
 * nVHE host the *_EL1 encodings reach the EL1 registers.  At EL2 of a VHE
 * host (HCR_EL2.E2H set, this file compiled with __MKVM_VHE__) most of
 * them are redirected to their EL2 counterparts - the host kernel's own -
 * and the guest's EL1 registers are reached through the *_EL12 and *_EL02
 * encodings instead (Arm ARM D8.11 "Virtualization Host Extensions").
 * RE marks a redirected register, NR one that E2H leaves alone.
 */
#include <asm/sysreg.h>
#include <mkvm/hyp.h>
#include "hyp.h"

#ifdef __MKVM_VHE__
#define EL1_REG(name)	SYS_##name##_EL12
#define EL0_TIMER(name)	SYS_##name##_EL02
#else
#define EL1_REG(name)	SYS_##name##_EL1
#define EL0_TIMER(name)	SYS_##name##_EL0
#endif

#define SWITCHED_SYSREGS(RE, NR)			\
	RE(SR_SCTLR_EL1,	SCTLR)			\
	RE(SR_CPACR_EL1,	CPACR)			\
	RE(SR_TTBR0_EL1,	TTBR0)			\
	RE(SR_TTBR1_EL1,	TTBR1)			\
	RE(SR_TCR_EL1,		TCR)			\
	RE(SR_ESR_EL1,		ESR)			\
	RE(SR_AFSR0_EL1,	AFSR0)			\
	RE(SR_AFSR1_EL1,	AFSR1)			\
	RE(SR_FAR_EL1,		FAR)			\
	RE(SR_MAIR_EL1,		MAIR)			\
	RE(SR_AMAIR_EL1,	AMAIR)			\
	RE(SR_VBAR_EL1,		VBAR)			\
	RE(SR_CONTEXTIDR_EL1,	CONTEXTIDR)		\
	RE(SR_CNTKCTL_EL1,	CNTKCTL)		\
	NR(SR_PAR_EL1,		par_el1)		\
	NR(SR_MDSCR_EL1,	mdscr_el1)		\
	NR(SR_CSSELR_EL1,	csselr_el1)		\
	NR(SR_TPIDR_EL0,	tpidr_el0)		\
	NR(SR_TPIDRRO_EL0,	tpidrro_el0)		\
	NR(SR_TPIDR_EL1,	tpidr_el1)		\
	NR(SR_SP_EL0,		sp_el0)			\
	NR(SR_SP_EL1,		sp_el1)			\
	RE(SR_ELR_EL1,		ELR)			\
	RE(SR_SPSR_EL1,		SPSR)

#define SAVE_RE(idx, name)	ctxt->sys[idx] = read_sysreg_s(EL1_REG(name));
#define SAVE_NR(idx, reg)	ctxt->sys[idx] = read_sysreg(reg);
#define RESTORE_RE(idx, name)	write_sysreg_s(ctxt->sys[idx], EL1_REG(name));
#define RESTORE_NR(idx, reg)	write_sysreg(ctxt->sys[idx], reg);

void sysregs_save(struct mkvm_cpu_ctxt *ctxt)
{
	SWITCHED_SYSREGS(SAVE_RE, SAVE_NR)
}

void sysregs_restore(struct mkvm_cpu_ctxt *ctxt)
{
	SWITCHED_SYSREGS(RESTORE_RE, RESTORE_NR)
}

/*
 * The host's side of the switch.  An nVHE host kernel runs at EL1 and
 * needs every register of the table back.  A VHE host runs at EL2 and its
 * tasks in the EL2&0 regime: the registers E2H redirects (RE) are reached
 * only through the _EL12 encodings, by nobody while no guest runs, so
 * the guest's values stay in them and the host's are neither saved nor
 * restored, as in KVM's VHE switch - 14 registers less each way.  The
 * others (NR) are the host's own: MDSCR_EL1 (its debug, there is no
 * MDSCR_EL2), SP_EL0 (the current task), TPIDR_EL0 and TPIDRRO_EL0 (its
 * tasks' thread pointers), and PAR_EL1, CSSELR_EL1, TPIDR_EL1 and
 * SP_EL1, which the kernel does not depend on between runs but can read:
 * no guest value is left where the host sees it
 * (selftests/isolation_test.c).
 */
#ifdef __MKVM_VHE__
#define HOST_SKIP_RE(idx, name)

void host_sysregs_save(struct mkvm_cpu_ctxt *ctxt)
{
	SWITCHED_SYSREGS(HOST_SKIP_RE, SAVE_NR)
}

void host_sysregs_restore(struct mkvm_cpu_ctxt *ctxt)
{
	SWITCHED_SYSREGS(HOST_SKIP_RE, RESTORE_NR)
}
#else
void host_sysregs_save(struct mkvm_cpu_ctxt *ctxt)
{
	sysregs_save(ctxt);
}

void host_sysregs_restore(struct mkvm_cpu_ctxt *ctxt)
{
	sysregs_restore(ctxt);
}
#endif

#define CNTV_CTL_ENABLE		BIT(0)
#define CNTV_CTL_IMASK		BIT(1)

/*
 * The guest's virtual timer.  On the way out it is masked (CNTV_CTL.IMASK)
 * so it cannot fire into the host, which does not use it (an nVHE host
 * that booted at EL2 runs on the EL1 physical timer, a VHE host on the EL2
 * physical timer), but it stays enabled with its compare value and
 * CNTVOFF_EL2: entering again only unmasks it.  As KVM, which switches
 * the timer at vcpu_load/vcpu_put, not per exit: a CPU model that re-arms
 * its timer on every write (QEMU under -icount hands the emulated machine
 * to the next CPU whenever its earliest deadline moves) would otherwise
 * see one re-arm per exit.  timer_put() turns it off for good.
 */
void timer_save(struct mkvm_cpu_ctxt *ctxt)
{
	u64 ctl = read_sysreg_s(EL0_TIMER(CNTV_CTL));

	ctxt->sys[SR_CNTV_CTL_EL0] = ctl;
	ctxt->sys[SR_CNTV_CVAL_EL0] = read_sysreg_s(EL0_TIMER(CNTV_CVAL));
	if ((ctl & CNTV_CTL_ENABLE) && !(ctl & CNTV_CTL_IMASK))
		write_sysreg_s(ctl | CNTV_CTL_IMASK, EL0_TIMER(CNTV_CTL));
}

/* Only what differs: an unchanged timer stays armed as it was. */
void timer_restore(struct mkvm_cpu_ctxt *ctxt)
{
	u64 cval = ctxt->sys[SR_CNTV_CVAL_EL0], ctl = ctxt->sys[SR_CNTV_CTL_EL0];
	u64 bits = CNTV_CTL_ENABLE | CNTV_CTL_IMASK;

	if (read_sysreg_s(EL0_TIMER(CNTV_CVAL)) != cval)
		write_sysreg_s(cval, EL0_TIMER(CNTV_CVAL));
	if ((read_sysreg_s(EL0_TIMER(CNTV_CTL)) ^ ctl) & bits)
		write_sysreg_s(ctl, EL0_TIMER(CNTV_CTL));
}

/*
 * The guest's virtual timer off and CNTVOFF_EL2 back to 0: before the
 * host schedules another task or returns to user space on this CPU (the
 * vDSO reads CNTVCT_EL0), and for el2_panic (switch.c).
 */
void timer_put(void)
{
	write_sysreg_s(0, EL0_TIMER(CNTV_CTL));
	write_sysreg(0, cntvoff_el2);
}
