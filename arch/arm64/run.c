// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_RUN on arm64: enter the guest through EL2, handle each exit that the
 * kernel can, and return to the VMM for the rest.  Documentation/run.rst
 * follows one KVM_RUN from the ioctl to `eret` and back.
 */
#include <linux/bitfield.h>
#include <linux/kvm.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/neon.h>
#include <asm/ptrace.h>
#include "virt/mkvm.h"
#include <mkvm/hyp.h>
#include <mkvm/run.h>
#include <mkvm/stage2.h>
#include <mkvm/sysregs.h>
#include <mkvm/timer.h>
#include <mkvm/vgic.h>
#include <mkvm/vmid.h>

u64 mkvm_get_gpr(struct mkvm_vcpu *vcpu, unsigned int n)
{
	return n < 31 ? vcpu->arch.hyp->ctxt.regs[n] : 0;
}

void mkvm_set_gpr(struct mkvm_vcpu *vcpu, unsigned int n, u64 val)
{
	if (n < 31)
		vcpu->arch.hyp->ctxt.regs[n] = val;
}

/* PSTATE.IT of AArch32 state: IT[1:0] in bits 26:25, IT[7:2] in 15:10. */
#define PSR_IT_LO		GENMASK_ULL(26, 25)
#define PSR_IT_HI		GENMASK_ULL(15, 10)

/*
 * An AArch32 instruction inside an IT block was emulated: the block moves
 * on, as the hardware's ITAdvance() would have moved it (Arm ARM, the
 * pseudocode of ITSTATE).  IT[7:5] is the base condition, IT[4:0] the
 * mask of what is left: the block ends when IT[2:0] is zero, else the
 * mask shifts up by one.
 */
static void it_advance(struct mkvm_cpu_ctxt *c)
{
	u32 it = FIELD_GET(PSR_IT_HI, c->pstate) << 2 |
		 FIELD_GET(PSR_IT_LO, c->pstate);

	if (!it)
		return;
	if (!(it & 0x7))
		it = 0;
	else
		it = (it & 0xe0) | ((it << 1) & 0x1f);
	c->pstate &= ~(PSR_IT_HI | PSR_IT_LO);
	c->pstate |= FIELD_PREP(PSR_IT_HI, it >> 2) |
		     FIELD_PREP(PSR_IT_LO, it & 0x3);
}

/*
 * Step past the instruction that trapped, once emulated: it counts as
 * stepped (debug.c).  An A64 instruction is 4 bytes; a guest's AArch32
 * EL0 (a 32-bit task under a 64-bit guest kernel) may also trap a 16-bit
 * T32 one, which ESR_EL2.IL tells (clear: 16 bits), inside an IT block
 * whose state must move on with it - as KVM's kvm_skip_instr32().
 */
void mkvm_skip_instr(struct mkvm_vcpu *vcpu)
{
	struct mkvm_cpu_ctxt *c = &vcpu->arch.hyp->ctxt;

	if (c->pstate & PSR_MODE32_BIT) {
		it_advance(c);
		c->pc = (u32)(c->pc +
			      (vcpu->arch.hyp->esr_el2 & ESR_ELx_IL ? 4 : 2));
	} else {
		c->pc += 4;
	}
	mkvm_debug_instr_skipped(vcpu);
}

/*
 * Take a synchronous exception to the guest's EL1, as the hardware would
 * (Arm ARM D1.10 "Exception entry"): ELR/SPSR/ESR/FAR_EL1 set, PSTATE to
 * EL1h with DAIF masked, PC to the right entry of VBAR_EL1.
 */
static void inject_sync(struct mkvm_vcpu *vcpu, u64 esr, u64 far)
{
	struct mkvm_cpu_ctxt *c = &vcpu->arch.hyp->ctxt;
	u64 offset;

	switch (c->pstate & (PSR_MODE32_BIT | PSR_MODE_MASK)) {
	case PSR_MODE_EL1h:
		offset = 0x200;
		break;
	case PSR_MODE_EL1t:
		offset = 0x000;
		break;
	case PSR_MODE_EL0t:
		offset = 0x400;		/* from EL0 in AArch64 */
		break;
	default:
		offset = 0x600;		/* from EL0 in AArch32 (User mode) */
		break;
	}
	c->sys[SR_ELR_EL1] = c->pc;
	c->sys[SR_SPSR_EL1] = c->pstate;
	c->sys[SR_ESR_EL1] = esr;
	c->sys[SR_FAR_EL1] = far;
	c->pstate = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT |
		    PSR_F_BIT;
	c->pc = c->sys[SR_VBAR_EL1] + offset;
}

void mkvm_inject_undef(struct mkvm_vcpu *vcpu)
{
	inject_sync(vcpu, ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT | ESR_ELx_IL,
		    0);
}

/* An external abort on an access the VMM cannot back (e.g. fetch from MMIO). */
void mkvm_inject_abort(struct mkvm_vcpu *vcpu, bool instr, u64 addr)
{
	bool from_el0 = (vcpu->arch.hyp->ctxt.pstate & PSR_MODE_MASK) ==
			PSR_MODE_EL0t;
	u64 ec = instr ? (from_el0 ? ESR_ELx_EC_IABT_LOW : ESR_ELx_EC_IABT_CUR) :
			 (from_el0 ? ESR_ELx_EC_DABT_LOW : ESR_ELx_EC_DABT_CUR);

	inject_sync(vcpu, ec << ESR_ELx_EC_SHIFT | ESR_ELx_IL |
			  ESR_ELx_FSC_EXTABT, addr);
}

/**
 * mkvm_vcpu_kick() - make a vCPU look at its state again
 * @vcpu:	the vCPU: sleeping in WFI or powered off, or in the guest
 */
void mkvm_vcpu_kick(struct mkvm_vcpu *vcpu)
{
	struct task_struct *task;

	WRITE_ONCE(vcpu->arch.wake, true);
	/*
	 * Orders the caller's state (and the flag) before the reads of the
	 * wait queue and of in_guest.  A vCPU about to sleep (halt_wait(),
	 * wait_power_on()) puts itself on the queue, then its barrier
	 * (set_current_state()), then looks at its state: either it sees the
	 * new state, or this sees it on the queue and wakes it.  Without a
	 * sleeper - the vCPU runs, or polls the flag - the queue's lock is
	 * not taken, as KVM's rcuwait wake-up takes none.
	 */
	smp_mb();
	/* Pairs with the sleeper's set_current_state(), as said above. */
	if (waitqueue_active(&vcpu->arch.wq))
		wake_up_interruptible(&vcpu->arch.wq);
	/*
	 * Only a vCPU in the guest needs an IPI, as in KVM's
	 * kvm_vcpu_kick(): one polling or sleeping in WFI looks at the wake
	 * flag, one elsewhere in the host looks at its state before it
	 * enters again.  enter_guest() orders its write of in_guest before
	 * it reads that state: either it sees the new state, or this sees
	 * it in the guest and the IPI, pending while it enters with
	 * interrupts off, makes it exit at once.
	 */
	if (!READ_ONCE(vcpu->in_guest))
		return;
	rcu_read_lock();
	task = READ_ONCE(vcpu->task);
	if (task)
		kick_process(task);	/* an IPI makes the guest exit */
	rcu_read_unlock();
}

/*
 * Halt polling, KVM's adaptive scheme (virt/kvm/kvm_main.c,
 * kvm_vcpu_halt()) with KVM's parameters and defaults for arm64: each vCPU
 * polls for its own window before it sleeps in WFI.  The window starts
 * at 0, jumps to halt_poll_ns_grow_start and then grows by
 * halt_poll_ns_grow while halts end soon after polling gave up (a wakeup
 * within halt_poll_ns), and shrinks by halt_poll_ns_shrink (to 0 below
 * grow_start) after a halt longer than halt_poll_ns.  halt_poll_ns = 0
 * turns polling off; the others are read as KVM reads them (grow 0: never
 * grows; shrink 0: back to 0 at once).
 */
static unsigned int halt_poll_ns = 500000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "longest a vCPU in WFI polls before sleeping (ns), 0: never");

static unsigned int halt_poll_ns_grow = 2;
module_param(halt_poll_ns_grow, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_grow, "factor a vCPU's polling window grows by");

static unsigned int halt_poll_ns_grow_start = 10000;
module_param(halt_poll_ns_grow_start, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_grow_start, "first non-zero polling window (ns)");

static unsigned int halt_poll_ns_shrink = 2;
module_param(halt_poll_ns_shrink, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_shrink, "divisor a vCPU's polling window shrinks by");

static void halt_poll_grow(struct mkvm_vcpu *vcpu)
{
	unsigned int grow = READ_ONCE(halt_poll_ns_grow);
	unsigned int start = READ_ONCE(halt_poll_ns_grow_start);
	unsigned int val;

	if (!grow)
		return;
	val = vcpu->halt_poll_ns * grow;
	/* An overflowed window is capped at halt_poll_ns by the next halt. */
	if (grow > 1 && val / grow != vcpu->halt_poll_ns)
		val = UINT_MAX;
	vcpu->halt_poll_ns = max(val, start);
}

static void halt_poll_shrink(struct mkvm_vcpu *vcpu)
{
	unsigned int shrink = READ_ONCE(halt_poll_ns_shrink);
	unsigned int val = shrink ? vcpu->halt_poll_ns / shrink : 0;

	vcpu->halt_poll_ns = val < READ_ONCE(halt_poll_ns_grow_start) ? 0 : val;
}

/*
 * After a halt of @halt_ns (polling included): a halt the window covered
 * keeps it; a long one (past the largest window) shrinks it; a short one
 * the window missed grows it, so that the next such wakeup is polled for.
 */
static void halt_poll_adapt(struct mkvm_vcpu *vcpu, u64 halt_ns,
			    unsigned int max)
{
	if (!max)
		vcpu->halt_poll_ns = 0;
	else if (halt_ns <= vcpu->halt_poll_ns)
		;
	else if (vcpu->halt_poll_ns && halt_ns > max)
		halt_poll_shrink(vcpu);
	else if (vcpu->halt_poll_ns < max && halt_ns < max)
		halt_poll_grow(vcpu);
}

static bool vcpu_should_wake(struct mkvm_vcpu *vcpu)
{
	return READ_ONCE(vcpu->arch.wake) || mkvm_vgic_pending(vcpu);
}

/*
 * Poll until @stop_ns for a kick, or for the virtual count to reach
 * @wake_at (the guest's timer, a WFIT deadline).  Returns true when one
 * came; *@end_ns is when polling stopped.
 */
static bool halt_poll(struct mkvm_vcpu *vcpu, u64 stop_ns, u64 wake_at,
		      u64 *end_ns)
{
	do {
		if (READ_ONCE(vcpu->arch.wake) ||
		    mkvm_vcounter_reached(vcpu, wake_at))
			return true;
		if (signal_pending(current) || need_resched())
			return false;
		cpu_relax();
		*end_ns = ktime_get_ns();
	} while (*end_ns < stop_ns);
	return false;
}

/* Sleep until kicked or signalled.  Returns whether it slept at all. */
static bool halt_wait(struct mkvm_vcpu *vcpu)
{
	DEFINE_WAIT(wait);
	bool waited = false;

	for (;;) {
		prepare_to_wait(&vcpu->arch.wq, &wait, TASK_INTERRUPTIBLE);
		if (vcpu_should_wake(vcpu) || signal_pending(current))
			break;
		waited = true;
		schedule();
	}
	finish_wait(&vcpu->arch.wq, &wait);
	return waited;
}

/* ---- exit handlers, one per exception class -------------------------- */

typedef int (*exit_handler_fn)(struct mkvm_vcpu *vcpu, u64 esr);

/*
 * Give the physical CPU up until something is pending for this vCPU (a
 * kick: PSCI, an interrupt), a signal, or the virtual count reaches
 * *@deadline (a WFIT; NULL for none): a WFI, or a suspended vCPU.
 */
static void vcpu_block(struct mkvm_vcpu *vcpu, const u64 *deadline)
{
	u64 start, now, poll_end;
	unsigned int max, poll;
	bool waited = false, kicked;

	/*
	 * Kicks from before this wait are answered by the check below.  It
	 * takes the vGIC lock only when it must: when one came since the
	 * last wait (its change, made under the lock, is seen under it), or
	 * when something is live (this thread's own sync and timer lines,
	 * seen in program order).  With neither, any interrupt another
	 * thread makes due from now on comes with a kick, and the flag the
	 * kick sets falls after the exchange (it read false): polling or
	 * the sleep below sees it.  Most WFIs have nothing live and pay no
	 * lock here.
	 */
	kicked = xchg(&vcpu->arch.wake, false);
	mkvm_timer_sync(vcpu, false);
	if ((kicked || mkvm_vgic_maybe_live(vcpu)) && mkvm_vgic_pending(vcpu))
		return;
	/*
	 * Poll before sleeping, as KVM's halt polling does: an interrupt
	 * that comes within the window (an I/O completion, an IPI answer)
	 * then costs no scheduler round trip.  Every new interrupt kicks.
	 * The guest's timer is watched by reading the count meanwhile; its
	 * hrtimer is queued only for a sleep, as KVM queues its background
	 * timer only when the vCPU schedules out: queueing and cancelling
	 * it around every poll reprograms the host's timer twice per WFI.
	 */
	max = READ_ONCE(halt_poll_ns);
	if (vcpu->halt_poll_ns > max)
		vcpu->halt_poll_ns = max;
	poll = vcpu->halt_poll_ns;
	start = ktime_get_ns();
	poll_end = start;
	if (poll && halt_poll(vcpu, start + poll,
			      mkvm_vtimer_wake_at(vcpu, deadline), &poll_end)) {
		now = poll_end;
	} else {
		/* A signal ends the sleep too; the run loop sees it. */
		mkvm_vtimer_arm(vcpu, deadline);
		waited = halt_wait(vcpu);
		mkvm_vtimer_cancel(vcpu);
		now = ktime_get_ns();
		if (waited) {
			vcpu->stat.halt_wakeup++;
			vcpu->stat.halt_wait_ns += now - poll_end;
		}
	}
	if (poll) {
		/* Successful: the vCPU never slept, woken while polling or not. */
		vcpu->stat.halt_attempted_poll++;
		if (!waited) {
			vcpu->stat.halt_successful_poll++;
			vcpu->stat.halt_poll_success_ns += poll_end - start;
		} else {
			vcpu->stat.halt_poll_fail_ns += poll_end - start;
		}
	}
	halt_poll_adapt(vcpu, now - start, READ_ONCE(halt_poll_ns));
	/*
	 * The kick that ended the wait is answered: what it announced is
	 * seen by the next entry's flush (its barrier pairs with the one
	 * after in_guest is set, which the kicker found clear), or by a
	 * suspended vCPU's look under the lock.  Left set, it would make
	 * the next WFI take the lock for nothing; a kick from now on sets
	 * it again.
	 */
	WRITE_ONCE(vcpu->arch.wake, false);
}

/*
 * WFI: give the physical CPU up until something is pending for this vCPU
 * (a kick: PSCI, an interrupt later) or a signal.  WFE (and WFET, which
 * may end early anyway): just yield.
 *
 * WFIT (FEAT_WFxT, which the guest sees when the CPU has it) is a WFI
 * that also ends when CNTVCT_EL0 reaches the value in its register: a
 * guest's udelay() on such a CPU.  Slept as a plain WFI it would last
 * until the next interrupt.  A deadline already past ends it at once;
 * an invalid register field (ISS.RV clear) makes it a plain WFI, as in
 * KVM.  QEMU 7.2 has no FEAT_WFxT: this path is read, not tested, here.
 */
static int handle_wfx(struct mkvm_vcpu *vcpu, u64 esr)
{
	bool timed = (esr & ESR_ELx_WFx_ISS_TI) == ESR_ELx_WFx_ISS_WFxT &&
		     (esr & ESR_ELx_WFx_ISS_RV);
	u64 deadline = 0;

	mkvm_skip_instr(vcpu);
	if (esr & ESR_ELx_WFx_ISS_WFE) {
		vcpu->stat.wfe_exit_stat++;
		cond_resched();
		return 1;
	}
	vcpu->stat.wfi_exit_stat++;
	if (timed) {
		deadline = mkvm_get_gpr(vcpu, FIELD_GET(ESR_ELx_WFx_ISS_RN, esr));
		if (mkvm_vcounter_reached(vcpu, deadline))
			return 1;
	}
	vcpu_block(vcpu, timed ? &deadline : NULL);
	return 1;
}

/*
 * KVM_MP_STATE_SUSPENDED, the VMM's way of emulating PSCI SYSTEM_SUSPEND
 * (KVM's kvm_vcpu_suspend()): the vCPU waits as in WFI; an interrupt it
 * would take ends KVM_RUN with KVM_SYSTEM_EVENT_WAKEUP, and it stays
 * suspended, waking the VMM again at each KVM_RUN, until the VMM makes
 * it RUNNABLE.  Return: 0 for the VMM, 1 to look again (a kick with
 * nothing pending, or a signal the run loop answers).
 */
static int vcpu_suspended(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	vcpu_block(vcpu, NULL);
	if (!mkvm_vgic_pending(vcpu))
		return 1;
	memset(&run->system_event, 0, sizeof(run->system_event));
	run->system_event.type = KVM_SYSTEM_EVENT_WAKEUP;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	return 0;
}

static int smccc_call(struct mkvm_vcpu *vcpu, u64 esr)
{
	/* Only hvc #0 is an SMCCC call; other immediates answer -1. */
	if (esr & ESR_ELx_xVC_IMM_MASK) {
		mkvm_set_gpr(vcpu, 0, ~0ULL);
		return 1;
	}
	return mkvm_handle_smccc(vcpu);
}

static int handle_hvc(struct mkvm_vcpu *vcpu, u64 esr)
{
	vcpu->stat.hvc_exit_stat++;
	return smccc_call(vcpu, esr);
}

static int handle_smc(struct mkvm_vcpu *vcpu, u64 esr)
{
	/* A trapped SMC returns to itself (D1.10.3): step over it first. */
	mkvm_skip_instr(vcpu);
	return smccc_call(vcpu, esr);
}

/*
 * DC ISW/CSW/CISW (op0 1, op1 0, CRn 7, CRm 6/10/14, op2 2), trapped by
 * HCR_EL2.TSW: a set/way operation acts on the physical CPU's caches, not
 * on a VM's memory, so it never runs for a guest.  It completes without
 * effect.  Guest memory is Normal Write-Back at stage 2 and cleaned to the
 * PoC before it is first mapped (arch/arm64/stage2.c); KVM instead cleans
 * the whole VM by VA when the guest turns its caches off after set/way
 * operations (kvm_set_way_flush()), which minikvm does not do yet.
 */
static bool is_set_way_op(u64 esr)
{
	u32 enc = esr_sys64_to_sysreg(esr);
	u32 crm = sys_reg_CRm(enc);

	return sys_reg_Op0(enc) == 1 && sys_reg_Op1(enc) == 0 &&
	       sys_reg_CRn(enc) == 7 && sys_reg_Op2(enc) == 2 &&
	       (crm == 6 || crm == 10 || crm == 14);
}

static int handle_sysreg(struct mkvm_vcpu *vcpu, u64 esr)
{
	vcpu->stat.sysreg_exits++;
	if (is_set_way_op(esr)) {
		mkvm_skip_instr(vcpu);
		return 1;
	}
	return mkvm_handle_sysreg_trap(vcpu, esr);
}

/*
 * Does the access need write permission at stage 2?  A stage-1 table walk
 * (S1PTW) only reads, unless stage 2 refused it with a permission fault:
 * then the walker wanted to write the descriptor (hardware Access flag or
 * dirty state), as KVM's kvm_is_write_fault().  Answering "read" there
 * would map the page read-only again and fault forever.  Cache maintenance
 * reports WnR = 1 but needs only read access.
 */
static bool abort_is_write(u64 esr)
{
	if (esr & ESR_ELx_S1PTW)
		return (esr & ESR_ELx_FSC_TYPE) == ESR_ELx_FSC_PERM;
	if (ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW)
		return false;
	return (esr & ESR_ELx_WNR) && !(esr & ESR_ELx_CM);
}

static int handle_abort(struct mkvm_vcpu *vcpu, u64 esr)
{
	struct mkvm_vcpu_hyp *h = vcpu->arch.hyp;
	bool instr = ESR_ELx_EC(esr) == ESR_ELx_EC_IABT_LOW;
	u64 ipa = ((h->hpfar_el2 & HPFAR_MASK) << 8) |
		  (h->far_el2 & ~PAGE_MASK);
	u64 fsc = esr & ESR_ELx_FSC_TYPE;
	int ret;

	vcpu->stat.stage2_faults++;
	/* EL2 could not find the IPA (arch/arm64/hyp/fault.c): retry. */
	if (h->fault_retry)
		return 1;
	if (fsc != ESR_ELx_FSC_FAULT && fsc != ESR_ELx_FSC_ACCESS &&
	    fsc != ESR_ELx_FSC_PERM)
		return -EFAULT;
	ret = mkvm_stage2_fault(vcpu, ipa, abort_is_write(esr), instr);
	if (ret == 1 && fsc == ESR_ELx_FSC_PERM) {
		vcpu->arch.s2_perm_fault = true;
		h->tlb_flush_ipa = ipa;
	}
	if (ret)
		return ret;
	if (!instr) {
		ret = mkvm_vgic_mmio(vcpu, ipa, esr);
		if (ret > 0)
			vcpu->stat.mmio_exit_kernel++;
		if (ret)
			return ret;
	}

	/* Not RAM: MMIO, unless it cannot be emulated as a plain access. */
	if (instr || (esr & ESR_ELx_S1PTW)) {
		mkvm_inject_abort(vcpu, instr, h->far_el2);
		return 1;
	}
	if (esr & ESR_ELx_CM) {		/* DC on MMIO: nothing to do */
		mkvm_skip_instr(vcpu);
		return 1;
	}
	return mkvm_handle_mmio(vcpu, ipa, esr);
}

static int handle_undef(struct mkvm_vcpu *vcpu, u64 esr)
{
	mkvm_inject_undef(vcpu);
	return 1;
}

static const exit_handler_fn exit_handlers[ESR_ELx_EC_MAX + 1] = {
	[0 ... ESR_ELx_EC_MAX]	= handle_undef,
	[ESR_ELx_EC_WFx]	= handle_wfx,
	[ESR_ELx_EC_HVC64]	= handle_hvc,
	[ESR_ELx_EC_SMC64]	= handle_smc,
	[ESR_ELx_EC_SYS64]	= handle_sysreg,
	[ESR_ELx_EC_IABT_LOW]	= handle_abort,
	[ESR_ELx_EC_DABT_LOW]	= handle_abort,
	/* Taken to EL2 only while the VMM debugs the guest (MDCR_EL2.TDE). */
	[ESR_ELx_EC_SOFTSTP_LOW] = mkvm_handle_guest_debug,
	[ESR_ELx_EC_WATCHPT_LOW] = mkvm_handle_guest_debug,
	[ESR_ELx_EC_BREAKPT_LOW] = mkvm_handle_guest_debug,
	[ESR_ELx_EC_BRK64]	= mkvm_handle_guest_debug,
};

/*
 * A physical SError taken while the guest ran (HCR_EL2.AMO routes it to
 * EL2): an uncontained hardware error, or one the guest provoked with a
 * bad access.  The host's own SError handler never sees it.  It is not
 * dropped: the VM is killed (-EIO for the run, every later ioctl -EIO), as
 * KVM kills what it cannot contain; the syndrome goes to the host log.
 */
static int handle_serror(struct mkvm_vcpu *vcpu, u64 esr)
{
	pr_err_ratelimited("minikvm: SError (ESR %#llx) while a guest ran: VM killed\n",
			   esr);
	WRITE_ONCE(vcpu->vm->dead, true);
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	return -EIO;
}

/* Returns > 0 to re-enter the guest, 0 to return to the VMM, < 0 error. */
static int handle_exit(struct mkvm_vcpu *vcpu, u64 exit)
{
	u64 esr = vcpu->arch.hyp->esr_el2;

	vcpu->stat.exits++;
	switch (exit) {
	case MKVM_EXIT_SYNC:
		return exit_handlers[ESR_ELx_EC(esr)](vcpu, esr);
	case MKVM_EXIT_IRQ:
	case MKVM_EXIT_FIQ:
		vcpu->stat.irq_exits++;
		return 1;	/* the host took it when IRQs were unmasked */
	case MKVM_EXIT_SERROR:
		return handle_serror(vcpu, esr);
	default:		/* MKVM_HC_PANIC: logged by mkvm_call_hyp() */
		vcpu->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		return -EFAULT;
	}
}

/*
 * The VMID and the TLB maintenance due on this CPU, interrupts off (the
 * CPU is the one that enters).  Stage-1 entries are tagged by VMID and
 * ASID only: when another vCPU of the VM ran here last, its entries could
 * answer for ours (two vCPUs may use one ASID with different tables), so
 * this CPU drops the VM's entries first, as KVM's last_vcpu_ran.  A vCPU
 * moving between CPUs is covered by HCR_EL2.FB instead, which makes the
 * guest's own local TLBI and IC IALLU broadcast: its invalidations reach
 * the CPUs it ran on before.
 */
static void load_stage2(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_hyp *h = vcpu->arch.hyp;
	struct mkvm_arch_vm *a = &vcpu->vm->arch;
	struct mkvm_vcpu **last = this_cpu_ptr(a->last_vcpu_ran);

	h->tlb_flush = mkvm_vmid_update(vcpu->vm) ? MKVM_TLB_FLUSH_ALL :
						    MKVM_TLB_FLUSH_NONE;
	h->vttbr_el2 = mkvm_vmid_vttbr(vcpu->vm);
	h->vtcr_el2 = a->vtcr;
	if (*last != vcpu) {
		*last = vcpu;
		if (h->tlb_flush == MKVM_TLB_FLUSH_NONE)
			h->tlb_flush = MKVM_TLB_FLUSH_VMID;
	}
	/*
	 * A permission fault may come from a cached entry (unlike a
	 * translation fault), and the entry may outlive the write
	 * permission just granted (dirty logging): the guest would fault
	 * on it again and again.  Dropping this CPU's entries for the IPA
	 * ends that, as KVM's local flush after relaxing a permission
	 * (FLUSH_IPA includes FLUSH_VMID); a CPU the vCPU left keeps its
	 * stale entry until the vCPU faults there again.
	 */
	if (vcpu->arch.s2_perm_fault) {
		vcpu->arch.s2_perm_fault = false;
		if (h->tlb_flush != MKVM_TLB_FLUSH_ALL)
			h->tlb_flush = MKVM_TLB_FLUSH_IPA;
	}
}

/*
 * EL2 leaves the guest's virtual timer armed (masked) and CNTVOFF_EL2
 * loaded across exits (hyp/sysreg-sr.c, timer_save()).  Both must be
 * gone before anything else runs on this CPU at EL0 - the vDSO reads
 * CNTVCT_EL0 - or another vCPU runs here: when the vCPU thread is
 * scheduled out (the preempt notifier; sleeping in WFI, in a fault, in
 * cond_resched()) and when KVM_RUN returns.  Preemption disabled.
 *
 * A kernel built without KVM may lack preempt notifiers
 * (CONFIG_PREEMPT_NOTIFIERS, which KVM selects): there the timer is put
 * away after every exit, as before minikvm kept it loaded.
 */
static void vcpu_timer_put(void)
{
	mkvm_call_hyp(MKVM_HC(MKVM_HC_TIMER_PUT), 0, 0, 0);
}

#ifdef CONFIG_PREEMPT_NOTIFIERS
#define TIMER_PUT_EACH_EXIT	false

static void vcpu_sched_in(struct preempt_notifier *pn, int cpu)
{
}

static void vcpu_sched_out(struct preempt_notifier *pn,
			   struct task_struct *next)
{
	struct mkvm_vcpu *vcpu = container_of(pn, struct mkvm_vcpu, arch.pn);

	WRITE_ONCE(vcpu->arch.vtimer_loaded, false);
	vcpu_timer_put();
}

static struct preempt_ops vcpu_preempt_ops = {
	.sched_in	= vcpu_sched_in,
	.sched_out	= vcpu_sched_out,
};

/**
 * mkvm_vcpu_timer_put_init() - the preempt notifier of a new vCPU
 * @vcpu:	the vCPU; mkvm_vcpu_timer_put_destroy() drops the reference
 */
void mkvm_vcpu_timer_put_init(struct mkvm_vcpu *vcpu)
{
	preempt_notifier_inc();
	preempt_notifier_init(&vcpu->arch.pn, &vcpu_preempt_ops);
}

/**
 * mkvm_vcpu_timer_put_destroy() - undo mkvm_vcpu_timer_put_init()
 * @vcpu:	the vCPU, never in KVM_RUN again
 */
void mkvm_vcpu_timer_put_destroy(struct mkvm_vcpu *vcpu)
{
	preempt_notifier_dec();
}

static void timer_put_watch(struct mkvm_vcpu *vcpu)
{
	preempt_notifier_register(&vcpu->arch.pn);
}

static void timer_put_unwatch(struct mkvm_vcpu *vcpu)
{
	preempt_notifier_unregister(&vcpu->arch.pn);
}
#else
#define TIMER_PUT_EACH_EXIT	true

void mkvm_vcpu_timer_put_init(struct mkvm_vcpu *vcpu)
{
}

void mkvm_vcpu_timer_put_destroy(struct mkvm_vcpu *vcpu)
{
}

static void timer_put_watch(struct mkvm_vcpu *vcpu)
{
}

static void timer_put_unwatch(struct mkvm_vcpu *vcpu)
{
}
#endif

/* One trip into the guest; FP/SIMD is the guest's only meanwhile. */
static u64 enter_guest(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_hyp *h = vcpu->arch.hyp;
	u64 exit;

	h->hcr_el2 = HCR_GUEST_FLAGS | vcpu->arch.hcr_traps;
	/* Stage 2 maps normal memory Write-Back-forced then (stage2.c). */
	if (mkvm_s2_fwb())
		h->hcr_el2 |= HCR_FWB;
	if (vcpu->arch.serror_pending) {
		h->hcr_el2 |= HCR_VSE;
		h->vsesr_el2 = vcpu->arch.serror_esr;
	}

	mkvm_debug_prepare(vcpu);
	kernel_neon_begin();
	mkvm_fpsimd_load(&vcpu->arch.fp);
	/*
	 * From here a kick (an interrupt for this vCPU) leaves an IPI
	 * pending, which makes the guest exit at once: none is missed.
	 */
	local_irq_disable();
	/* Pairs with the barrier in mkvm_vcpu_kick(). */
	WRITE_ONCE(vcpu->in_guest, true);
	smp_mb();
	load_stage2(vcpu);
	mkvm_timer_sync(vcpu, true);
	mkvm_vgic_flush(vcpu);
	/*
	 * The guest is an RCU quiescent state, as user space is: nothing
	 * here holds an RCU reference across the entry.  KVM says so on
	 * every entry too.  Without it this CPU, which runs the vCPU loop
	 * without a context switch, passed a quiescent state only when RCU
	 * forced one, several ticks into each grace period: every
	 * synchronize_rcu() in the host waited that long while a vCPU ran
	 * (run_test.guest_is_rcu_quiescent: 110 ms instead of 20).
	 */
	rcu_virt_note_context_switch();
	exit = mkvm_call_hyp(MKVM_HC(MKVM_HC_VCPU_RUN),
			     (u64)mkvm_hyp_va(h), 0, 0);
	WRITE_ONCE(vcpu->arch.vtimer_loaded, !TIMER_PUT_EACH_EXIT);
	if (TIMER_PUT_EACH_EXIT)
		vcpu_timer_put();
	WRITE_ONCE(vcpu->in_guest, false);
	mkvm_vgic_sync(vcpu);
	mkvm_debug_done(vcpu);
	/* EL2 left VSE set if the guest kept SErrors masked all along. */
	vcpu->arch.serror_pending = h->hcr_el2 & HCR_VSE;
	mkvm_fpsimd_save(&vcpu->arch.fp);
	local_irq_enable();
	kernel_neon_end();
	mkvm_vgic_notify_acked(vcpu);
	return exit;
}

/*
 * A powered-off vCPU sleeps in KVM_RUN until PSCI CPU_ON or a signal.  The
 * acquire pairs with the release in psci_cpu_on(): the entry point and
 * context id it stored are visible once the vCPU is seen on.
 */
static int wait_power_on(struct mkvm_vcpu *vcpu)
{
	if (wait_event_interruptible(vcpu->arch.wq,
			smp_load_acquire(&vcpu->arch.power) == MKVM_POWER_ON))
		return -EINTR;
	mkvm_vcpu_power_on_reset(vcpu);
	return 0;
}

/**
 * mkvm_arch_vcpu_run() - KVM_RUN
 * @vcpu:	the vCPU, its mutex held
 *
 * Return: 0 with run->exit_reason set for the VMM, -EINTR for a signal
 * (KVM_EXIT_INTR) or immediate_exit, -ENOEXEC before KVM_ARM_VCPU_INIT,
 * -ENOSYS for an MMIO access without syndrome, -EFAULT when the memory
 * behind a slot is gone.
 */
int mkvm_arch_vcpu_run(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int ret = 1;

	if (!vcpu->arch.initialized)
		return -ENOEXEC;
	if (!vcpu->arch.has_run) {
		ret = mkvm_vgic_first_run(vcpu);
		if (!ret)
			ret = mkvm_timer_first_run(vcpu);
		if (ret)
			return ret;
		vcpu->arch.has_run = true;
		/*
		 * The VM's configuration is final from here, as in KVM: the
		 * ID registers (no GIC without a vGIC), with the HCR_EL2
		 * traps they call for, and the SMCCC filter, which the EL2
		 * fast path must not bypass.
		 */
		mutex_lock(&vcpu->vm->lock);
		WRITE_ONCE(vcpu->vm->arch.ran, true);
		vcpu->arch.hyp->smccc_to_el1 = !!vcpu->vm->arch.nr_smccc_filter;
		mkvm_sysregs_finalise(vcpu->vm);
		vcpu->arch.hcr_traps = mkvm_sysregs_hcr_traps(vcpu);
		vcpu->arch.icc_undef = !mkvm_sysregs_has_gicv3(vcpu->vm);
		mutex_unlock(&vcpu->vm->lock);
		ret = 1;
	}
	if (run->exit_reason == KVM_EXIT_MMIO)
		mkvm_complete_mmio(vcpu);
	if (READ_ONCE(run->immediate_exit__unsafe))
		return -EINTR;

	WRITE_ONCE(vcpu->task, current);
	run->exit_reason = KVM_EXIT_UNKNOWN;
	run->flags = 0;
	timer_put_watch(vcpu);
	while (ret > 0) {
		if (READ_ONCE(vcpu->arch.power) == MKVM_POWER_OFF ||
		    vcpu->arch.power_on_pending) {
			ret = wait_power_on(vcpu);
			if (ret) {
				run->exit_reason = KVM_EXIT_INTR;
				break;
			}
		}
		if (signal_pending(current)) {
			vcpu->stat.signal_exits++;
			ret = -EINTR;
			run->exit_reason = KVM_EXIT_INTR;
			break;
		}
		if (READ_ONCE(vcpu->arch.suspended)) {
			ret = vcpu_suspended(vcpu);
			continue;
		}
		cond_resched();
		/* What returning to user space would do (xfer.c). */
		if (mkvm_xfer_work(vcpu)) {
			ret = -EINTR;
			break;
		}
		mkvm_steal_time_update(vcpu);
		ret = handle_exit(vcpu, enter_guest(vcpu));
	}
	preempt_disable();
	WRITE_ONCE(vcpu->arch.vtimer_loaded, false);
	vcpu_timer_put();
	timer_put_unwatch(vcpu);
	preempt_enable();
	WRITE_ONCE(vcpu->task, NULL);
	return ret;
}

/**
 * mkvm_arch_vcpu_precreate() - may another vCPU be created?
 * @vm:		the VM, vm->lock held
 *
 * Return: 0, or -EBUSY once the vGIC is initialised (its redistributors
 * are laid out), as KVM.
 */
int mkvm_arch_vcpu_precreate(struct mkvm_vm *vm)
{
	return vm->arch.vgic.initialized ? -EBUSY : 0;
}
