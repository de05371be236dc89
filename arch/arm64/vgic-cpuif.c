// SPDX-License-Identifier: GPL-2.0
/*
 * The vGIC's CPU interface, which the hardware virtualises (the GICv3
 * virtual CPU interface, IHI 0069 chapter 11 and 12.5-12.7): the list
 * registers filled before each guest entry and read back after it
 * (mkvm_vgic_flush(), mkvm_vgic_sync(); EL2 loads and saves them in
 * hyp/vgic-v3-sr.c), whether an interrupt would end a WFI, the ICC_* state
 * the VMM saves and restores (GRP_CPU_SYSREGS), and on the host side the
 * PPIs a running guest makes fire: the maintenance interrupt and the
 * virtual timer's.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/acpi.h>
#include <linux/interrupt.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/of.h>
#include <linux/of_irq.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/hyp.h>
#include <mkvm/vgic.h>
#include "vgic-internal.h"

static unsigned int nr_lrs;	/* from ICH_VTR_EL2.ListRegs */
static u64 ich_vtr;		/* ICH_VTR_EL2: the virtual CPU interface */

/* ---- the list registers, around every guest entry ------------------ */

static bool deliverable(struct mkvm_vm *vm, const struct mkvm_irq *irq)
{
	u32 grp = irq->group1 ? GICD_CTLR_ENABLE_G1A : BIT(0);

	return irq->enabled && vgic_irq_pending(irq) &&
	       (vm->arch.vgic.ctlr & grp);
}

struct collect_args {
	struct mkvm_vm *vm;
	struct mkvm_irq **out;
	unsigned int n, max;
	bool overflow;
};

static bool collect_one(struct mkvm_irq *irq, void *arg)
{
	struct collect_args *c = arg;
	unsigned int j;

	if (!irq->active && !deliverable(c->vm, irq))
		return false;
	if (c->n < c->max) {
		c->out[c->n++] = irq;
		return false;
	}
	/* More than fit: keep the best, replacing one this one beats. */
	c->overflow = true;
	for (j = 0; j < c->n; j++)
		if (c->out[j]->priority > irq->priority) {
			c->out[j] = irq;
			break;
		}
	return false;
}

/* Interrupts for @vcpu that want a list register, best priority first. */
static unsigned int collect(struct mkvm_vcpu *vcpu, struct mkvm_irq **out,
			    unsigned int max, bool *overflow)
{
	struct collect_args c = { .vm = vcpu->vm, .out = out, .max = max };

	vgic_visit_live_irqs(vcpu, collect_one, &c);
	*overflow = c.overflow;
	return c.n;
}

/**
 * mkvm_vgic_flush() - fill the list registers before entering the guest
 * @vcpu:	the vCPU, interrupts disabled
 *
 * A pending interrupt moves into an LR; from then on the LR holds its
 * pending state until mkvm_vgic_sync() reads it back.  With more
 * candidates than LRs, the underflow maintenance interrupt (ICH_HCR.UIE)
 * brings the vCPU back out to refill.
 */
void mkvm_vgic_flush(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	struct mkvm_vgic_hyp *h = &vcpu->arch.hyp->vgic;
	struct mkvm_irq *cand[MKVM_VGIC_MAX_LRS];
	unsigned int n, i;
	bool overflow;

	if (!v->initialized) {
		/*
		 * No vGIC: the interface stays off, and its state must not be
		 * whatever another VM left on this CPU (ICV_PMR_EL1 and
		 * ICV_AP*R_EL1 would read it back): VMCR and APRs are zeroed.
		 * As KVM, every ICC_* access of such a guest traps (TALL0,
		 * TALL1, TC) and is answered at EL1.
		 */
		memset(h, 0, sizeof(*h));
		h->hcr = ICH_HCR_TALL0 | ICH_HCR_TALL1 | ICH_HCR_TC;
		return;
	}
	/*
	 * Nothing pending or active (most exits): no LR to fill, and no
	 * lock to take, as KVM's flush looks at an empty ap_list first.
	 */
	if (!mkvm_vgic_maybe_live(vcpu)) {
		n = 0;
		overflow = false;
		goto done;
	}
	spin_lock(&v->lock);
	n = collect(vcpu, cand, nr_lrs, &overflow);
	for (i = 0; i < n; i++) {
		struct mkvm_irq *irq = cand[i];
		u64 lr = irq->intid | (u64)irq->priority << ICH_LR_PRIORITY_SHIFT;

		if (irq->group1)
			lr |= ICH_LR_GROUP;
		if (irq->active && irq->level && !irq->pending_latch) {
			/*
			 * Acknowledged, not yet deactivated: active only.  Its
			 * line was sampled at the last entry and the guest may
			 * have lowered it since without exiting (a timer
			 * disabled in its handler); pended here, it would be
			 * taken again the moment the guest deactivates it.
			 * The EOI maintenance interrupt brings the vCPU out
			 * then, and the next entry samples the line afresh.
			 */
			lr |= ICH_LR_EOI;
		} else if (deliverable(vcpu->vm, irq)) {
			lr |= ICH_LR_PENDING_BIT;
			/*
			 * An edge's pending state moves into the LR.  A level
			 * interrupt's latch (GICD_ISPENDR) stays until the
			 * guest acknowledges it (mkvm_vgic_sync()); a level
			 * input still high is pending again after EOI.
			 */
			if (irq->level)
				lr |= ICH_LR_EOI;
			else
				irq->pending_latch = false;
		}
		if (irq->active)
			lr |= ICH_LR_ACTIVE_BIT;
		irq->active = false;	/* the LR holds it now */
		mkvm_vgic_irq_update(vcpu->vm, vcpu, irq);
		h->lr[i] = lr;
		vcpu->arch.vgic.lr_intid[i] = irq->intid;
	}
	spin_unlock(&v->lock);
done:
	h->used_lrs = n;
	h->hcr = ICH_HCR_EN | (overflow ? ICH_HCR_UIE : 0);
	/*
	 * The VMM lowered ID_AA64PFR0_EL1.GIC to 0: the vGIC still routes
	 * and pends interrupts, but the guest was told it has no GICv3
	 * system registers, and, as in KVM, every ICC_* access of it traps
	 * and UNDEFs (mkvm_handle_sysreg_trap() emulates none of them).
	 */
	if (vcpu->arch.icc_undef)
		h->hcr |= ICH_HCR_TALL0 | ICH_HCR_TALL1 | ICH_HCR_TC;
}

/**
 * mkvm_vgic_sync() - take back what the guest did with the list registers
 * @vcpu:	the vCPU, just out of the guest, interrupts disabled
 */
void mkvm_vgic_sync(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	struct mkvm_vgic_hyp *h = &vcpu->arch.hyp->vgic;
	unsigned int i;

	/* No LR was filled: nothing to fold back, no lock to take. */
	if (!(h->hcr & ICH_HCR_EN) || !h->used_lrs)
		return;
	spin_lock(&v->lock);
	for (i = 0; i < h->used_lrs; i++) {
		struct mkvm_irq *irq = vgic_irq(vcpu->vm, vcpu,
						vcpu->arch.vgic.lr_intid[i]);
		u64 lr = h->lr[i];

		/*
		 * An LPI the ITS unmapped (DISCARD, MAPD) while it sat in the
		 * LR: nothing is left to fold its state into.
		 */
		if (!irq)
			continue;

		/*
		 * Asked to tell us of the EOI, and now neither pending nor
		 * active: the guest has deactivated a level SPI, which may
		 * end an irqfd's resample cycle (mkvm_vgic_notify_acked()).
		 */
		if ((lr & ICH_LR_EOI) && !(lr & ICH_LR_STATE) &&
		    irq->intid >= 32)
			vcpu->arch.vgic.acked[vcpu->arch.vgic.nr_acked++] =
				irq->intid;
		irq->active = lr & ICH_LR_ACTIVE_BIT;
		/*
		 * An edge still pending in the LR: the guest has not
		 * acknowledged it yet, it stays pending.  A level interrupt's
		 * pending state is its line (sampled again before the next
		 * entry) or its latch, which the guest's acknowledge clears:
		 * latching it here would keep a line that has since dropped
		 * pending for ever (as KVM's vgic_v3_fold_lr_state()).
		 */
		if (!irq->level && (lr & ICH_LR_PENDING_BIT))
			irq->pending_latch = true;
		else if (irq->level && !(lr & ICH_LR_PENDING_BIT))
			irq->pending_latch = false;
		mkvm_vgic_irq_update(vcpu->vm, vcpu, irq);
	}
	spin_unlock(&v->lock);
	h->used_lrs = 0;
}

/**
 * mkvm_vgic_notify_acked() - report the EOIs mkvm_vgic_sync() saw
 * @vcpu:	the vCPU, back from the guest with interrupts on, before
 *		the next mkvm_vgic_flush()
 *
 * Outside the vGIC lock and the FP/SIMD section: signalling a resamplefd
 * wakes its waiters, and one may be an irqfd of this very VM, which takes
 * the vGIC lock.  Before the next flush, so that a line lowered here is
 * not put into a list register again.
 */
void mkvm_vgic_notify_acked(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vgic_cpu *c = &vcpu->arch.vgic;
	unsigned int i;

	for (i = 0; i < c->nr_acked; i++)
		mkvm_irqfd_acked(vcpu->vm, c->acked[i] - 32);
	c->nr_acked = 0;
}

/* ICH_VMCR_EL2.VPMR: the guest's priority mask (IHI 0069, 12.4.9). */
static u8 guest_pmr(struct mkvm_vcpu *vcpu)
{
	return vcpu->arch.hyp->vgic.vmcr >> 24;
}

struct pending_args {
	struct mkvm_vcpu *vcpu;
	bool found;
};

static bool pending_one(struct mkvm_irq *irq, void *arg)
{
	struct pending_args *p = arg;

	p->found = deliverable(p->vcpu->vm, irq) &&
		   irq->priority < guest_pmr(p->vcpu);
	return p->found;
}

/**
 * mkvm_vgic_pending() - would an interrupt wake this vCPU from WFI?
 * @vcpu:	the vCPU
 *
 * Return: true if one is deliverable and beats the guest's priority mask.
 */
bool mkvm_vgic_pending(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	struct pending_args p = { .vcpu = vcpu };
	unsigned long flags;

	if (!v->initialized)
		return false;
	spin_lock_irqsave(&v->lock, flags);
	vgic_visit_live_irqs(vcpu, pending_one, &p);
	spin_unlock_irqrestore(&v->lock, flags);
	return p.found;
}

/* ---- the virtual CPU interface's registers (GRP_CPU_SYSREGS) ------- */

#define ICC_SRE_VALUE	(ICC_SRE_EL1_SRE | ICC_SRE_EL1_DFB | ICC_SRE_EL1_DIB)

static u32 vmcr_field(u64 vmcr, u32 shift, u32 mask)
{
	return (vmcr >> shift) & mask;
}

static void vmcr_set(u64 *vmcr, u32 shift, u32 mask, u64 val)
{
	*vmcr = (*vmcr & ~((u64)mask << shift)) | ((val & mask) << shift);
}

/**
 * vgic_icc_known() - is @reg an ICC_* register GRP_CPU_SYSREGS saves?
 * @reg:	the register, as a sys_reg() encoding
 *
 * Return: true if vgic_icc_uaccess() handles it.
 */
bool vgic_icc_known(u32 reg)
{
	switch (reg) {
	case SYS_ICC_PMR_EL1:
	case SYS_ICC_BPR0_EL1:
	case SYS_ICC_AP0R0_EL1 ... SYS_ICC_AP0R3_EL1:
	case SYS_ICC_AP1R0_EL1 ... SYS_ICC_AP1R3_EL1:
	case SYS_ICC_BPR1_EL1:
	case SYS_ICC_CTLR_EL1:
	case SYS_ICC_SRE_EL1:
	case SYS_ICC_IGRPEN0_EL1:
	case SYS_ICC_IGRPEN1_EL1:
		return true;
	default:
		return false;
	}
}

/* ICC_CTLR_EL1's read-only fields, from the hardware's virtual interface. */
static u64 icc_ctlr_fixed(void)
{
	u64 pri = (ich_vtr >> ICH_VTR_PRI_BITS_SHIFT) & 7;
	u64 id = (ich_vtr >> ICH_VTR_ID_BITS_SHIFT) & 7;

	return pri << ICC_CTLR_EL1_PRI_BITS_SHIFT |
	       id << ICC_CTLR_EL1_ID_BITS_SHIFT |
	       ((ich_vtr >> ICH_VTR_SEIS_SHIFT) & 1) << ICC_CTLR_EL1_SEIS_SHIFT |
	       ((ich_vtr >> ICH_VTR_A3V_SHIFT) & 1) << ICC_CTLR_EL1_A3V_SHIFT;
}

/* Active-priority registers the hardware has: 1, 2 or 4 of each. */
static bool apr_exists(u32 n)
{
	u32 pri_bits = ((ich_vtr >> ICH_VTR_PRI_BITS_SHIFT) & 7) + 1;

	return n < (pri_bits >= 7 ? 4 : pri_bits == 6 ? 2 : 1);
}

/**
 * vgic_icc_uaccess() - one ICC_* register of a vCPU, for the VMM
 * @vcpu:	the vCPU, stopped (its mutex held)
 * @reg:	the register, one vgic_icc_known() accepts
 * @write:	a write of *@val, else a read into it
 * @val:	the value
 *
 * The vCPU's ICC_* state lives in ICH_VMCR_EL2 and the ICH_AP*R_EL2
 * copies EL2 saves on every exit; the vCPU is stopped, so they are its
 * current state.
 * Return: 0, or -EINVAL for a write KVM refuses.
 */
int vgic_icc_uaccess(struct mkvm_vcpu *vcpu, u32 reg, bool write, u64 *val)
{
	struct mkvm_vgic_hyp *h = &vcpu->arch.hyp->vgic;
	u64 *vmcr = &h->vmcr;
	u32 n;

	switch (reg) {
	case SYS_ICC_PMR_EL1:
		if (write)
			vmcr_set(vmcr, ICH_VMCR_PMR_SHIFT, 0xff, *val);
		else
			*val = vmcr_field(*vmcr, ICH_VMCR_PMR_SHIFT, 0xff);
		return 0;
	case SYS_ICC_BPR0_EL1:
		if (write)
			vmcr_set(vmcr, ICH_VMCR_BPR0_SHIFT, 7, *val);
		else
			*val = vmcr_field(*vmcr, ICH_VMCR_BPR0_SHIFT, 7);
		return 0;
	case SYS_ICC_BPR1_EL1:
		/* With CBPR, BPR1 follows BPR0 and ignores writes. */
		if (vmcr_field(*vmcr, ICH_VMCR_CBPR_SHIFT, 1)) {
			if (!write)
				*val = min(vmcr_field(*vmcr, ICH_VMCR_BPR0_SHIFT, 7) + 1, 7U);
		} else if (write) {
			vmcr_set(vmcr, ICH_VMCR_BPR1_SHIFT, 7, *val);
		} else {
			*val = vmcr_field(*vmcr, ICH_VMCR_BPR1_SHIFT, 7);
		}
		return 0;
	case SYS_ICC_IGRPEN0_EL1:
		if (write)
			vmcr_set(vmcr, ICH_VMCR_ENG0_SHIFT, 1, *val);
		else
			*val = vmcr_field(*vmcr, ICH_VMCR_ENG0_SHIFT, 1);
		return 0;
	case SYS_ICC_IGRPEN1_EL1:
		if (write)
			vmcr_set(vmcr, ICH_VMCR_ENG1_SHIFT, 1, *val);
		else
			*val = vmcr_field(*vmcr, ICH_VMCR_ENG1_SHIFT, 1);
		return 0;
	case SYS_ICC_SRE_EL1:
		/* System registers only, always: SRE must stay set. */
		if (write)
			return *val & ICC_SRE_EL1_SRE ? 0 : -EINVAL;
		*val = ICC_SRE_VALUE;
		return 0;
	case SYS_ICC_CTLR_EL1:
		if (!write) {
			*val = icc_ctlr_fixed() |
			       vmcr_field(*vmcr, ICH_VMCR_CBPR_SHIFT, 1) <<
					ICC_CTLR_EL1_CBPR_SHIFT |
			       vmcr_field(*vmcr, ICH_VMCR_EOIM_SHIFT, 1) <<
					ICC_CTLR_EL1_EOImode_SHIFT;
			return 0;
		}
		/*
		 * A state saved where the interface had more priority or ID
		 * bits, or another SEIS/A3V, cannot be restored here.
		 */
		if ((*val & ICC_CTLR_EL1_PRI_BITS_MASK) >
		    (icc_ctlr_fixed() & ICC_CTLR_EL1_PRI_BITS_MASK) ||
		    (*val & ICC_CTLR_EL1_ID_BITS_MASK) >
		    (icc_ctlr_fixed() & ICC_CTLR_EL1_ID_BITS_MASK) ||
		    (*val ^ icc_ctlr_fixed()) &
		    (ICC_CTLR_EL1_SEIS_MASK | ICC_CTLR_EL1_A3V_MASK))
			return -EINVAL;
		vmcr_set(vmcr, ICH_VMCR_CBPR_SHIFT, 1,
			 *val >> ICC_CTLR_EL1_CBPR_SHIFT);
		vmcr_set(vmcr, ICH_VMCR_EOIM_SHIFT, 1,
			 *val >> ICC_CTLR_EL1_EOImode_SHIFT);
		return 0;
	}
	/* The active-priority registers: AP0Rn op2 4+n, AP1Rn op2 n. */
	n = sys_reg_Op2(reg) & 3;
	if (!apr_exists(n))
		return -EINVAL;
	if (sys_reg_CRm(reg) == sys_reg_CRm(SYS_ICC_AP0R0_EL1)) {
		if (write)
			h->ap0r[n] = *val;
		else
			*val = h->ap0r[n];
	} else {
		if (write)
			h->ap1r[n] = *val;
		else
			*val = h->ap1r[n];
	}
	return 0;
}

/* ---- host side: the PPIs a running guest makes fire ---------------- */

static int maint_irq, vtimer_irq;
static DEFINE_PER_CPU(u8, vgic_irq_cookie);

/*
 * The maintenance interrupt and the guest's virtual timer interrupt only
 * have to make the guest exit; by the time the host takes them, the world
 * switch has turned both sources off (ICH_HCR_EL2 = 0, CNTV_CTL_EL0.IMASK
 * set: the timer stays armed for the next entry until timer_put()).
 */
static irqreturn_t guest_ppi_handler(int irq, void *cookie)
{
	return IRQ_HANDLED;
}

/*
 * A PPI from the device tree (@compat's node, interrupt @index) or, on a
 * host booted with ACPI, from its tables (acpi.c).
 */
static int request_ppi(const char *compat, int index, enum mkvm_host_ppi ppi,
		       const char *name)
{
	struct device_node *np;
	int irq, ret;

	if (!acpi_disabled) {
		irq = mkvm_acpi_host_ppi(ppi);
		if (irq < 0)
			return irq;
	} else {
		np = of_find_compatible_node(NULL, NULL, compat);
		if (!np)
			return -ENODEV;
		irq = irq_of_parse_and_map(np, index);
		of_node_put(np);
	}
	if (!irq)
		return -ENODEV;
	/*
	 * On failure the mapping stays: it is shared with whoever mapped the
	 * PPI first (the kernel's KVM holds it when -EBUSY), and disposing
	 * of it would free their interrupt descriptor.
	 */
	ret = request_percpu_irq(irq, guest_ppi_handler, name,
				 &vgic_irq_cookie);
	return ret ?: irq;
}

/**
 * mkvm_vgic_host_init() - claim the PPIs a running guest makes fire
 *
 * The maintenance PPI is the GIC node's interrupt and the virtual timer
 * PPI the timer node's third one (device-tree bindings arm,gic-v3 and
 * arm,armv8-timer); on an ACPI host, the MADT's GICC entries and the
 * GTDT name them.  Return: 0 or -errno.
 */
int mkvm_vgic_host_init(void)
{
	maint_irq = request_ppi("arm,gic-v3", 0, MKVM_HOST_PPI_VGIC_MAINT,
				"minikvm-vgic-maint");
	if (maint_irq < 0) {
		/* -EBUSY: the kernel's KVM has it; el2.c says so. */
		if (maint_irq != -EBUSY)
			pr_err("no GICv3 maintenance interrupt in the %s\n",
			       acpi_disabled ? "device tree" : "ACPI MADT");
		return maint_irq;
	}
	vtimer_irq = request_ppi("arm,armv8-timer", 2, MKVM_HOST_PPI_VTIMER,
				 "minikvm-vtimer");
	if (vtimer_irq < 0) {
		pr_err("no virtual timer interrupt in the %s\n",
		       acpi_disabled ? "device tree" : "ACPI GTDT");
		free_percpu_irq(maint_irq, &vgic_irq_cookie);
		return vtimer_irq;
	}
	return 0;
}

/**
 * mkvm_vgic_host_exit() - give back what mkvm_vgic_host_init() claimed
 */
void mkvm_vgic_host_exit(void)
{
	free_percpu_irq(vtimer_irq, &vgic_irq_cookie);
	free_percpu_irq(maint_irq, &vgic_irq_cookie);
}

static DEFINE_PER_CPU(bool, vtimer_masked);

/**
 * mkvm_vgic_host_vtimer_mask() - keep the physical virtual-timer PPI quiet
 * @fired:	the guest's timer condition holds (its line is high)
 *
 * While the line is high the guest's timer would interrupt again the
 * moment the guest is entered, and the guest could never run: the host
 * masks the PPI at the GIC until the guest has dealt with the timer (as
 * KVM does for hosts without a hardware-mapped timer).  Interrupts off.
 */
void mkvm_vgic_host_vtimer_mask(bool fired)
{
	if (__this_cpu_read(vtimer_masked) == fired)
		return;
	if (fired)
		disable_percpu_irq(vtimer_irq);
	else
		enable_percpu_irq(vtimer_irq, IRQ_TYPE_NONE);
	__this_cpu_write(vtimer_masked, fired);
}

/**
 * mkvm_vgic_cpu_up() - on each CPU as it takes EL2: read its ICH_VTR_EL2,
 * unmask the maintenance and virtual timer PPIs
 */
void mkvm_vgic_cpu_up(void)
{
	u64 vtr;

	preempt_disable();
	vtr = mkvm_call_hyp(MKVM_HC(MKVM_HC_GET_ICH_VTR), 0, 0, 0);
	preempt_enable();
	ich_vtr = vtr;
	/* ICH_VTR_EL2.ListRegs: the same on every CPU of a system. */
	nr_lrs = min_t(unsigned int, (vtr & 0x1f) + 1, MKVM_VGIC_MAX_LRS);
	enable_percpu_irq(maint_irq, IRQ_TYPE_NONE);
	enable_percpu_irq(vtimer_irq, IRQ_TYPE_NONE);
	this_cpu_write(vtimer_masked, false);
}

/**
 * mkvm_vgic_cpu_down() - on each CPU as it gives EL2 back: mask them again
 */
void mkvm_vgic_cpu_down(void)
{
	if (!this_cpu_read(vtimer_masked))
		disable_percpu_irq(vtimer_irq);
	disable_percpu_irq(maint_irq);
}
