// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's virtual timer.  The guest owns CNTV_CTL/CNTV_CVAL (switched
 * at EL2, CNTVOFF_EL2 per vCPU); minikvm only derives the level of its
 * interrupt line (PPI 27) from them at each exit, and wakes a vCPU
 * sleeping in WFI with an hrtimer when the timer would fire.
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <asm/arch_timer.h>
#include <clocksource/arm_arch_timer.h>
#include "virt/mkvm.h"
#include <mkvm/hyp.h>
#include <mkvm/run.h>
#include <mkvm/vgic.h>

static u64 guest_counter(struct mkvm_vcpu *vcpu)
{
	return __arch_counter_get_cntpct() - vcpu->arch.hyp->cntvoff_el2;
}

static bool vtimer_enabled(struct mkvm_vcpu *vcpu)
{
	u64 ctl = vcpu->arch.hyp->ctxt.sys[SR_CNTV_CTL_EL0];

	return (ctl & ARCH_TIMER_CTRL_ENABLE) && !(ctl & ARCH_TIMER_CTRL_IT_MASK);
}

/* The timer condition of the Arm ARM (D12.8.17): CNTVCT >= CVAL. */
static bool vtimer_fired(struct mkvm_vcpu *vcpu)
{
	return vtimer_enabled(vcpu) &&
	       guest_counter(vcpu) >= vcpu->arch.hyp->ctxt.sys[SR_CNTV_CVAL_EL0];
}

/**
 * mkvm_vtimer_sync() - set the virtual timer's line from the guest's timer
 * @vcpu:	the vCPU, not in the guest
 * @entering:	about to enter the guest on this CPU (interrupts off): also
 *		mask the physical PPI while the line is high
 */
void mkvm_vtimer_sync(struct mkvm_vcpu *vcpu, bool entering)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	bool fired = vtimer_fired(vcpu);
	unsigned long flags;

	if (entering)
		mkvm_vgic_host_vtimer_mask(fired);
	if (!v->initialized)
		return;
	spin_lock_irqsave(&v->lock, flags);
	mkvm_vgic_set_private_line(vcpu, MKVM_VTIMER_INTID, fired);
	spin_unlock_irqrestore(&v->lock, flags);
}

static enum hrtimer_restart vtimer_expired(struct hrtimer *t)
{
	struct mkvm_vcpu *vcpu = container_of(t, struct mkvm_vcpu, arch.vtimer);

	mkvm_vcpu_kick(vcpu);
	return HRTIMER_NORESTART;
}

/**
 * mkvm_vtimer_init() - set up the WFI wake-up timer of a vCPU
 * @vcpu:	the vCPU
 */
void mkvm_vtimer_init(struct mkvm_vcpu *vcpu)
{
	hrtimer_init(&vcpu->arch.vtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	vcpu->arch.vtimer.function = vtimer_expired;
}

/**
 * mkvm_vtimer_arm() - before a WFI sleep: wake when the timer would fire
 * @vcpu:	the vCPU
 */
void mkvm_vtimer_arm(struct mkvm_vcpu *vcpu)
{
	u32 freq = arch_timer_get_cntfrq();
	u64 now, cval, delta, ns = 0;

	if (!vtimer_enabled(vcpu))
		return;
	/* Both counts are modulo 2^64, as the timer condition compares them. */
	now = guest_counter(vcpu);
	cval = vcpu->arch.hyp->ctxt.sys[SR_CNTV_CVAL_EL0];
	if (cval > now) {
		delta = cval - now;
		/*
		 * A compare value centuries away (a guest may write anything
		 * up to U64_MAX) has no ktime_t: the nanoseconds would
		 * overflow 64 bits, and the truncated rest arm the hrtimer for
		 * a moment that has nothing to do with the timer - WFI would
		 * wake as if it had fired.  Such a timer cannot fire while
		 * the host is up: no wake-up at all.  (KVM's soft timer re-checks the condition
		 * when it fires, kvm_bg_timer_expire(); minikvm's WFI wakes on
		 * any kick, so it must not be armed wrong.)
		 */
		if (!freq || delta / freq >= KTIME_SEC_MAX)
			return;
		ns = mul_u64_u32_div(delta, NSEC_PER_SEC, freq);
	}
	hrtimer_start(&vcpu->arch.vtimer, ns_to_ktime(ns), HRTIMER_MODE_REL);
}

void mkvm_vtimer_cancel(struct mkvm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->arch.vtimer);
}
