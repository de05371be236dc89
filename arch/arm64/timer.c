// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's two EL1 timers, as KVM gives them on nVHE.
 *
 * The virtual timer is the guest's own: CNTV_CTL/CNTV_CVAL are switched at
 * EL2 with CNTVOFF_EL2 per vCPU; minikvm only derives the level of its
 * interrupt line from them at each exit, and wakes a vCPU sleeping in WFI
 * with an hrtimer when the timer would fire.
 *
 * The physical timer is the host's (an nVHE host runs its tick on it), so
 * the guest's CNTP_* accesses trap (CNTHCTL_EL2.EL1PCEN clear, hyp/
 * switch.c) and are emulated here from CNTP_CTL/CNTP_CVAL kept in the
 * vCPU's context: an hrtimer kicks the vCPU when the compare value is
 * reached, and the next entry raises its line.  Its counter is the
 * machine's less a VM-wide offset, 0 until a VMM moves it; then
 * CNTPCT_EL0 traps too (EL1PCTEN clear) and is answered here.
 *
 * Both lines are PPIs of the vGIC, INTID 27 and 30 unless the VMM chose
 * others (KVM_ARM_VCPU_TIMER_CTRL).
 */
#include <linux/hrtimer.h>
#include <linux/kvm.h>
#include <linux/math64.h>
#include <linux/uaccess.h>
#include <asm/arch_timer.h>
#include <asm/sysreg.h>
#include <clocksource/arm_arch_timer.h>
#include "virt/mkvm.h"
#include <mkvm/hyp.h>
#include <mkvm/run.h>
#include <mkvm/timer.h>
#include <mkvm/vgic.h>

/* KVM's interrupt numbers (arch_timer.c default_ppi[]), by timer. */
static const u8 default_ppi[MKVM_NR_TIMERS] = {
	[MKVM_TIMER_VIRT]	= 27,
	[MKVM_TIMER_PHYS]	= 30,
	[MKVM_TIMER_HVIRT]	= 28,
	[MKVM_TIMER_HPHYS]	= 26,
};

/* CNTV_CTL/CNTP_CTL bits a guest or a VMM sets; ISTATUS is computed. */
#define TIMER_CTL_RW	(ARCH_TIMER_CTRL_ENABLE | ARCH_TIMER_CTRL_IT_MASK)

/* CNTPCTSS_EL0 (FEAT_ECV), which <asm/sysreg.h> does not name in 6.12. */
#define MKVM_SYS_CNTPCTSS_EL0	sys_reg(3, 3, 14, 0, 5)

static u32 timer_ppi(struct mkvm_vm *vm, enum mkvm_timer_id t)
{
	return READ_ONCE(vm->arch.timer.ppi[t]) ?: default_ppi[t];
}

static u64 *sysreg(struct mkvm_vcpu *vcpu, enum mkvm_sysreg r)
{
	return &vcpu->arch.hyp->ctxt.sys[r];
}

static u64 vcounter(struct mkvm_vcpu *vcpu)
{
	return __arch_counter_get_cntpct() - vcpu->arch.hyp->cntvoff_el2;
}

static u64 pcounter(struct mkvm_vm *vm)
{
	return __arch_counter_get_cntpct() - READ_ONCE(vm->arch.timer.cntpoff);
}

/* Enabled and not masked by IMASK: the timer may raise its line. */
static bool ctl_can_fire(u64 ctl)
{
	return (ctl & TIMER_CTL_RW) == ARCH_TIMER_CTRL_ENABLE;
}

/*
 * The guest's CNTV_CTL_EL0 as the timer holds it now, while it is loaded
 * on this CPU (preemption off): the EL1 virtual timer, which an nVHE host
 * at EL1 reads as its own CNTV_CTL_EL0 (it runs on the physical timer)
 * and a VHE host at EL2 as CNTV_CTL_EL02.  IMASK reads set (the exit
 * masked it); ENABLE and ISTATUS are the guest's.
 */
static u64 loaded_vtimer_ctl(void)
{
	if (is_kernel_in_hyp_mode())
		return read_sysreg_s(SYS_CNTV_CTL_EL02);
	return read_sysreg_s(SYS_CNTV_CTL_EL0);
}

/*
 * Is the virtual timer's line high?  While the timer is loaded on the
 * CPU (armed, masked, since the last exit: hyp/sysreg-sr.c) the timer
 * itself says so: its CNTV_CTL_EL0.ISTATUS, read now.  The guest reads
 * the same bit in its handler, so the interrupt never comes before the
 * guest can see why.  Comparing counts here instead would get ahead of a
 * timer whose ISTATUS follows the count late (QEMU sets it from a host
 * timer callback, which a loaded host runs late), and the guest would
 * take an interrupt with ISTATUS clear.  KVM does the same
 * (kvm_timer_should_fire() reads the loaded timer's CTL).  Read live, not
 * as the exit saved it: a WFI whose deadline passed while halt polling
 * then gets its interrupt at the next entry, not one exit later.
 *
 * Once put (off the CPU), the timer condition (Arm ARM D12.8.17): the
 * count has reached the compare value, both read as unsigned 64-bit.
 * The next entry then sets the hardware's ISTATUS from the same count.
 */
static bool vtimer_fired(struct mkvm_vcpu *vcpu)
{
	bool loaded, fired = false;

	if (!ctl_can_fire(*sysreg(vcpu, SR_CNTV_CTL_EL0)))
		return false;
	/* The put (a schedule-out) clears the flag: not between the two. */
	preempt_disable();
	loaded = READ_ONCE(vcpu->arch.vtimer_loaded);
	if (loaded)
		fired = loaded_vtimer_ctl() & ARCH_TIMER_CTRL_IT_STAT;
	preempt_enable();
	if (loaded)
		return fired;
	return vcounter(vcpu) >= *sysreg(vcpu, SR_CNTV_CVAL_EL0);
}

static bool ptimer_fired(struct mkvm_vcpu *vcpu)
{
	return ctl_can_fire(*sysreg(vcpu, SR_CNTP_CTL_EL0)) &&
	       pcounter(vcpu->vm) >= *sysreg(vcpu, SR_CNTP_CVAL_EL0);
}

/*
 * Nanoseconds from count @now until @cval, rounded up so that a timer
 * started with them never fires before the counter got there.  False
 * when no ktime_t holds them: a compare value centuries away (a guest may
 * write anything up to U64_MAX) would overflow, and the truncated rest
 * would fire at a moment that has nothing to do with the timer.  Such a
 * timer cannot fire while the host is up.
 */
static bool ticks_to_ns(u64 now, u64 cval, u64 *ns)
{
	u32 freq = arch_timer_get_cntfrq();
	u64 delta;

	*ns = 0;
	if (cval <= now)
		return true;
	delta = cval - now;
	if (!freq || delta / freq >= KTIME_SEC_MAX)
		return false;
	*ns = mul_u64_u32_div(delta, NSEC_PER_SEC, freq) + 1;
	return true;
}

/*
 * Keep the physical timer's hrtimer in step with the guest's CNTP_*:
 * queued for the moment the timer condition becomes true, in the
 * machine's count (@due), and cancelled when it cannot fire or has fired.
 * Only the vCPU's own thread calls this, so nothing races with it but
 * the callback, which only kicks.  Interrupts may be off.
 */
static void ptimer_arm(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vm *vm = vcpu->vm;
	u64 cval = *sysreg(vcpu, SR_CNTP_CVAL_EL0), now = pcounter(vm), ns;
	u64 due = cval + READ_ONCE(vm->arch.timer.cntpoff);

	if (!ctl_can_fire(*sysreg(vcpu, SR_CNTP_CTL_EL0)) || now >= cval ||
	    !ticks_to_ns(now, cval, &ns)) {
		if (vcpu->arch.ptimer_armed) {
			hrtimer_try_to_cancel(&vcpu->arch.ptimer);
			vcpu->arch.ptimer_armed = 0;
		}
		return;
	}
	/* Already queued for that moment: nothing to do on this entry. */
	if (vcpu->arch.ptimer_armed == (due ?: 1) &&
	    hrtimer_is_queued(&vcpu->arch.ptimer))
		return;
	vcpu->arch.ptimer_armed = due ?: 1;
	hrtimer_start(&vcpu->arch.ptimer, ns_to_ktime(ns), HRTIMER_MODE_REL);
}

/**
 * mkvm_timer_sync() - set both timers' lines from the guest's timers
 * @vcpu:	the vCPU, not in the guest
 * @entering:	about to enter the guest on this CPU (interrupts off): also
 *		mask the physical virtual-timer PPI while its line is high,
 *		and tell EL2 whether CNTPCT_EL0 must trap
 */
void mkvm_timer_sync(struct mkvm_vcpu *vcpu, bool entering)
{
	struct mkvm_vm *vm = vcpu->vm;
	struct mkvm_vgic *v = &vm->arch.vgic;
	bool vfired = vtimer_fired(vcpu), pfired = ptimer_fired(vcpu);

	if (entering) {
		mkvm_vgic_host_vtimer_mask(vfired);
		vcpu->arch.hyp->cntpoff = READ_ONCE(vm->arch.timer.cntpoff);
	}
	ptimer_arm(vcpu);
	if (!v->initialized)
		return;
	mkvm_vgic_set_timer_lines(vcpu, timer_ppi(vm, MKVM_TIMER_VIRT), vfired,
				  timer_ppi(vm, MKVM_TIMER_PHYS), pfired);
}

static enum hrtimer_restart vtimer_expired(struct hrtimer *t)
{
	struct mkvm_vcpu *vcpu = container_of(t, struct mkvm_vcpu, arch.vtimer);

	mkvm_vcpu_kick(vcpu);
	return HRTIMER_NORESTART;
}

/*
 * The physical timer reached its compare value (or nearly: the entry
 * that follows looks again, and re-arms if the counter is not there).
 * A kick makes a running guest exit and wakes a WFI.
 */
static enum hrtimer_restart ptimer_expired(struct hrtimer *t)
{
	struct mkvm_vcpu *vcpu = container_of(t, struct mkvm_vcpu, arch.ptimer);

	mkvm_vcpu_kick(vcpu);
	return HRTIMER_NORESTART;
}

/**
 * mkvm_timer_init() - set up the hrtimers of a vCPU
 * @vcpu:	the vCPU
 */
void mkvm_timer_init(struct mkvm_vcpu *vcpu)
{
	hrtimer_init(&vcpu->arch.vtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	vcpu->arch.vtimer.function = vtimer_expired;
	hrtimer_init(&vcpu->arch.ptimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	vcpu->arch.ptimer.function = ptimer_expired;
}

/**
 * mkvm_timer_destroy() - stop the hrtimers of a vCPU going away
 * @vcpu:	the vCPU
 */
void mkvm_timer_destroy(struct mkvm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->arch.vtimer);
	hrtimer_cancel(&vcpu->arch.ptimer);
	vcpu->arch.ptimer_armed = 0;
}

/**
 * mkvm_vcounter_reached() - has the vCPU's virtual count reached @cval?
 * @vcpu:	the vCPU
 * @cval:	a CNTVCT_EL0 value (a WFIT deadline)
 */
bool mkvm_vcounter_reached(struct mkvm_vcpu *vcpu, u64 cval)
{
	return vcounter(vcpu) >= cval;
}

/**
 * mkvm_vtimer_wake_at() - the virtual count at which a WFI must end
 * @vcpu:	the vCPU, out of the guest
 * @deadline:	NULL, or a WFIT deadline (a virtual count)
 *
 * Return: the earlier of the guest's virtual timer's compare value (if it
 * can fire) and @deadline; U64_MAX for neither.
 */
u64 mkvm_vtimer_wake_at(struct mkvm_vcpu *vcpu, const u64 *deadline)
{
	u64 at = U64_MAX;

	if (ctl_can_fire(*sysreg(vcpu, SR_CNTV_CTL_EL0)))
		at = *sysreg(vcpu, SR_CNTV_CVAL_EL0);
	if (deadline)
		at = min(at, *deadline);
	return at;
}

/**
 * mkvm_vtimer_arm() - before a WFI sleep: wake when a timer would fire
 * @vcpu:	the vCPU
 * @deadline:	NULL, or a virtual count the sleep must not outlast (WFIT)
 *
 * The physical timer's hrtimer is queued already (mkvm_timer_sync()).
 */
void mkvm_vtimer_arm(struct mkvm_vcpu *vcpu, const u64 *deadline)
{
	u64 now = vcounter(vcpu), ns = U64_MAX, d;

	if (ctl_can_fire(*sysreg(vcpu, SR_CNTV_CTL_EL0)) &&
	    ticks_to_ns(now, *sysreg(vcpu, SR_CNTV_CVAL_EL0), &d))
		ns = d;
	if (deadline && ticks_to_ns(now, *deadline, &d))
		ns = min(ns, d);
	if (ns != U64_MAX)
		hrtimer_start(&vcpu->arch.vtimer, ns_to_ktime(ns),
			      HRTIMER_MODE_REL);
}

void mkvm_vtimer_cancel(struct mkvm_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->arch.vtimer);
}

/* ---- the emulated physical timer: CNTP_* and CNTPCT_EL0 ------------- */

/*
 * ISTATUS reads as set whenever the count has reached the compare value,
 * enabled or not, as KVM's read_timer_ctl() (the Arm ARM leaves it
 * UNKNOWN while the timer is disabled).
 */
static u64 ctl_read(u64 ctl, u64 now, u64 cval)
{
	ctl &= TIMER_CTL_RW;
	if (now >= cval)
		ctl |= ARCH_TIMER_CTRL_IT_STAT;
	return ctl;
}

/**
 * mkvm_timer_sysreg() - is @enc a timer register minikvm emulates?
 * @enc:	sys_reg() encoding of a trapped access
 */
bool mkvm_timer_sysreg(u32 enc)
{
	switch (enc) {
	case SYS_CNTP_CTL_EL0:
	case SYS_CNTP_CVAL_EL0:
	case SYS_CNTP_TVAL_EL0:
	case SYS_CNTPCT_EL0:
	case MKVM_SYS_CNTPCTSS_EL0:
		return true;
	default:
		return false;
	}
}

/**
 * mkvm_timer_sysreg_read() - a trapped MRS of a physical timer register
 * @vcpu:	the vCPU
 * @enc:	a register mkvm_timer_sysreg() accepts
 *
 * CNTP_TVAL_EL0 is the 32-bit signed distance to the compare value, bits
 * [63:32] zero, as KVM returns it.
 */
u64 mkvm_timer_sysreg_read(struct mkvm_vcpu *vcpu, u32 enc)
{
	u64 now = pcounter(vcpu->vm), cval = *sysreg(vcpu, SR_CNTP_CVAL_EL0);

	switch (enc) {
	case SYS_CNTP_CTL_EL0:
		return ctl_read(*sysreg(vcpu, SR_CNTP_CTL_EL0), now, cval);
	case SYS_CNTP_CVAL_EL0:
		return cval;
	case SYS_CNTP_TVAL_EL0:
		return lower_32_bits(cval - now);
	default:		/* CNTPCT_EL0, CNTPCTSS_EL0 */
		return now;
	}
}

/**
 * mkvm_timer_sysreg_write() - a trapped MSR of a physical timer register
 * @vcpu:	the vCPU
 * @enc:	a register mkvm_timer_sysreg() accepts
 * @val:	the value written
 *
 * Return: 0, or -EINVAL for the read-only counters (the caller injects
 * UNDEF).  The line and the hrtimer follow at the next entry.
 */
int mkvm_timer_sysreg_write(struct mkvm_vcpu *vcpu, u32 enc, u64 val)
{
	switch (enc) {
	case SYS_CNTP_CTL_EL0:
		*sysreg(vcpu, SR_CNTP_CTL_EL0) = val & TIMER_CTL_RW;
		return 0;
	case SYS_CNTP_CVAL_EL0:
		*sysreg(vcpu, SR_CNTP_CVAL_EL0) = val;
		return 0;
	case SYS_CNTP_TVAL_EL0:
		/* TimerValue is signed 32-bit: CVAL = count + SignExtend(TVAL). */
		*sysreg(vcpu, SR_CNTP_CVAL_EL0) = pcounter(vcpu->vm) + (s32)val;
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- ONE_REG: KVM_REG_ARM_TIMER_* and KVM_REG_ARM_PTIMER_* ---------- */

/*
 * In KVM's order (guest.c timer_reg_list[]).  The virtual CNT and CVAL
 * ids carry each other's encodings, a KVM ABI mistake kept for good.
 */
static const u64 timer_reg_ids[] = {
	KVM_REG_ARM_TIMER_CTL,
	KVM_REG_ARM_TIMER_CNT,
	KVM_REG_ARM_TIMER_CVAL,
	KVM_REG_ARM_PTIMER_CTL,
	KVM_REG_ARM_PTIMER_CNT,
	KVM_REG_ARM_PTIMER_CVAL,
};

/**
 * mkvm_timer_reg_ids() - the timer ids KVM_GET_REG_LIST reports
 * @ids:	where to store them, or NULL to count
 *
 * Return: how many there are.
 */
unsigned int mkvm_timer_reg_ids(u64 *ids)
{
	if (ids)
		memcpy(ids, timer_reg_ids, sizeof(timer_reg_ids));
	return ARRAY_SIZE(timer_reg_ids);
}

/**
 * mkvm_timer_reg() - is @id one of the timer ONE_REG ids?
 * @id:		a KVM_REG_ARM64_SYSREG id
 */
bool mkvm_timer_reg(u64 id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(timer_reg_ids); i++)
		if (timer_reg_ids[i] == id)
			return true;
	return false;
}

/**
 * mkvm_timer_get_reg() - KVM_GET_ONE_REG of a timer register
 * @vcpu:	the vCPU, its ioctl lock held
 * @id:		an id mkvm_timer_reg() accepts
 *
 * CTL reads with ISTATUS computed, as KVM's read_timer_ctl().
 * Return: the value.
 */
u64 mkvm_timer_get_reg(struct mkvm_vcpu *vcpu, u64 id)
{
	u64 vcval = *sysreg(vcpu, SR_CNTV_CVAL_EL0);

	switch (id) {
	case KVM_REG_ARM_TIMER_CTL:
		return ctl_read(*sysreg(vcpu, SR_CNTV_CTL_EL0), vcounter(vcpu),
				vcval);
	case KVM_REG_ARM_TIMER_CNT:
		return vcounter(vcpu);
	case KVM_REG_ARM_TIMER_CVAL:
		return vcval;
	case KVM_REG_ARM_PTIMER_CTL:
		return mkvm_timer_sysreg_read(vcpu, SYS_CNTP_CTL_EL0);
	case KVM_REG_ARM_PTIMER_CNT:
		return pcounter(vcpu->vm);
	default:		/* KVM_REG_ARM_PTIMER_CVAL */
		return *sysreg(vcpu, SR_CNTP_CVAL_EL0);
	}
}

/*
 * Setting a count moves the whole VM's counter, as in KVM: the vCPUs of
 * one VM never disagree about the time.  Their hyp state picks the new
 * offsets up at the next entry; running ones are kicked to get there.
 */
static void vm_set_cntvoff(struct mkvm_vm *vm, u64 off)
{
	int i, n = mkvm_nr_vcpus(vm);

	WRITE_ONCE(vm->arch.cntvoff, off);
	for (i = 0; i < n; i++)
		WRITE_ONCE(vm->vcpus[i]->arch.hyp->cntvoff_el2, off);
}

static void vm_set_cntpoff(struct mkvm_vm *vm, u64 off)
{
	int i, n = mkvm_nr_vcpus(vm);

	WRITE_ONCE(vm->arch.timer.cntpoff, off);
	for (i = 0; i < n; i++)
		mkvm_vcpu_kick(vm->vcpus[i]);
}

/**
 * mkvm_timer_set_reg() - KVM_SET_ONE_REG of a timer register
 * @vcpu:	the vCPU, its ioctl lock held
 * @id:		an id mkvm_timer_reg() accepts
 * @val:	the value
 *
 * A count written after KVM_ARM_SET_COUNTER_OFFSET is ignored, as in KVM:
 * the VMM chose the offset itself.
 */
void mkvm_timer_set_reg(struct mkvm_vcpu *vcpu, u64 id, u64 val)
{
	struct mkvm_vm *vm = vcpu->vm;
	bool fixed = READ_ONCE(vm->arch.timer.offset_fixed);

	switch (id) {
	case KVM_REG_ARM_TIMER_CTL:
		*sysreg(vcpu, SR_CNTV_CTL_EL0) = val & TIMER_CTL_RW;
		break;
	case KVM_REG_ARM_TIMER_CNT:
		if (!fixed)
			vm_set_cntvoff(vm, __arch_counter_get_cntpct() - val);
		break;
	case KVM_REG_ARM_TIMER_CVAL:
		*sysreg(vcpu, SR_CNTV_CVAL_EL0) = val;
		break;
	case KVM_REG_ARM_PTIMER_CTL:
		*sysreg(vcpu, SR_CNTP_CTL_EL0) = val & TIMER_CTL_RW;
		break;
	case KVM_REG_ARM_PTIMER_CNT:
		if (!fixed)
			vm_set_cntpoff(vm, __arch_counter_get_cntpct() - val);
		break;
	case KVM_REG_ARM_PTIMER_CVAL:
		*sysreg(vcpu, SR_CNTP_CVAL_EL0) = val;
		break;
	}
}

/* ---- KVM_ARM_SET_COUNTER_OFFSET ------------------------------------- */

/**
 * mkvm_timer_set_counter_offset() - KVM_ARM_SET_COUNTER_OFFSET on a VM fd
 * @vm:		the VM
 * @argp:	struct kvm_arm_counter_offset
 *
 * One offset for both counters, from now on the VMM's alone: later
 * KVM_REG_ARM_TIMER_CNT/PTIMER_CNT writes are ignored.  No vCPU may be in
 * an ioctl meanwhile, as KVM's lock_all_vcpus().
 * Return: 0, -EFAULT, -EINVAL (reserved not zero), -EBUSY (a vCPU busy).
 */
int mkvm_timer_set_counter_offset(struct mkvm_vm *vm, void __user *argp)
{
	struct kvm_arm_counter_offset off;
	int ret = 0;

	if (copy_from_user(&off, argp, sizeof(off)))
		return -EFAULT;
	if (off.reserved)
		return -EINVAL;
	mutex_lock(&vm->lock);
	if (mkvm_lock_all_vcpus(vm)) {
		WRITE_ONCE(vm->arch.timer.offset_fixed, true);
		vm_set_cntvoff(vm, off.counter_offset);
		WRITE_ONCE(vm->arch.timer.cntpoff, off.counter_offset);
		mkvm_unlock_all_vcpus(vm);
	} else {
		ret = -EBUSY;
	}
	mutex_unlock(&vm->lock);
	return ret;
}

/* ---- KVM_ARM_VCPU_TIMER_CTRL: the timers' interrupt numbers --------- */

static int timer_attr_id(u64 attr)
{
	switch (attr) {
	case KVM_ARM_VCPU_TIMER_IRQ_VTIMER:
		return MKVM_TIMER_VIRT;
	case KVM_ARM_VCPU_TIMER_IRQ_PTIMER:
		return MKVM_TIMER_PHYS;
	case KVM_ARM_VCPU_TIMER_IRQ_HVTIMER:
		return MKVM_TIMER_HVIRT;
	case KVM_ARM_VCPU_TIMER_IRQ_HPTIMER:
		return MKVM_TIMER_HPHYS;
	default:
		return -ENXIO;
	}
}

/*
 * The numbers are the VM's, whichever vCPU fd sets them, as in KVM since
 * 6.2: all vCPUs agree by construction.  Checked in this order, as KVM's
 * kvm_arm_timer_set_attr(): a vGIC, the pointer, a PPI, not yet final,
 * a known timer.
 */
static int timer_set_ppi(struct mkvm_vcpu *vcpu, u64 attr, int __user *uaddr)
{
	struct mkvm_vm *vm = vcpu->vm;
	int irq, t, ret = 0;

	if (!READ_ONCE(vm->arch.vgic.created))
		return -EINVAL;
	if (get_user(irq, uaddr))
		return -EFAULT;
	if (irq < 16 || irq > 31)
		return -EINVAL;
	mutex_lock(&vm->lock);
	t = timer_attr_id(attr);
	if (vm->arch.timer.ppis_final)
		ret = -EBUSY;
	else if (t < 0)
		ret = t;
	else
		WRITE_ONCE(vm->arch.timer.ppi[t], irq);
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_timer_vcpu_attr() - the KVM_ARM_VCPU_TIMER_CTRL attribute group
 * @vcpu:	the vCPU, its ioctl lock held
 * @attr:	group KVM_ARM_VCPU_TIMER_CTRL; addr points to an int
 * @op:		set, get or has
 *
 * Return: 0, -ENXIO for an attribute KVM does not have, -EFAULT; for a
 * set, -EINVAL without a vGIC or for an INTID that is not a PPI (16..31),
 * -EBUSY once a vCPU ran.
 */
int mkvm_timer_vcpu_attr(struct mkvm_vcpu *vcpu,
			 const struct kvm_device_attr *attr,
			 enum mkvm_attr_op op)
{
	int __user *uaddr = u64_to_user_ptr(attr->addr);
	int t;

	if (op == MKVM_ATTR_SET)
		return timer_set_ppi(vcpu, attr->attr, uaddr);
	t = timer_attr_id(attr->attr);
	if (t < 0 || op == MKVM_ATTR_HAS)
		return t < 0 ? t : 0;
	return put_user((int)timer_ppi(vcpu->vm, t), uaddr);
}

/**
 * mkvm_timer_first_run() - the check KVM makes when a vCPU first runs
 * @vcpu:	the vCPU
 *
 * With a vGIC, the two EL1 timers need two different PPIs (KVM's
 * timer_irqs_are_valid()); from then on the numbers are final.  The EL2
 * timers do not exist without nested virtualization and are not checked.
 * Return: 0, or -EINVAL (the vCPU stays unrun: nothing is final).
 */
int mkvm_timer_first_run(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vm *vm = vcpu->vm;
	int ret = 0;

	if (!READ_ONCE(vm->arch.vgic.created))
		return 0;
	mutex_lock(&vm->lock);
	if (timer_ppi(vm, MKVM_TIMER_VIRT) == timer_ppi(vm, MKVM_TIMER_PHYS))
		ret = -EINVAL;
	else
		vm->arch.timer.ppis_final = true;
	mutex_unlock(&vm->lock);
	return ret;
}
