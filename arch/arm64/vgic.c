// SPDX-License-Identifier: GPL-2.0
/*
 * The virtual GICv3: a distributor and one redistributor per vCPU emulated
 * in the kernel (their MMIO never reaches the VMM), and interrupts handed
 * to the guest through the list registers of the GICv3 virtual CPU
 * interface (Arm IHI 0069 "GIC architecture specification", chapters 11
 * and 12).  Created the KVM way: KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_V3)
 * and its attributes, with the errors of
 * Documentation/virt/kvm/devices/arm-vgic-v3.rst.
 *
 * This file is the core: where each interrupt's state lives and how it
 * changes (lines, edges, SGIs), the dispatch of a guest's MMIO access,
 * and the device (KVM_CREATE_DEVICE, its address, size and control
 * attributes, KVM_IRQ_LINE, the first-run checks).  The registers are in
 * vgic-dist.c (distributor), vgic-redist.c (redistributors) and
 * vgic-cpuif.c (the CPU interface and its list registers), the VMM's
 * save/restore groups in vgic-save.c, the ITS in vgic-its.c;
 * vgic-internal.h is what they share.
 *
 * One spinlock per VM guards every interrupt's state: simple, and the
 * guest-visible cost is an MMIO exit anyway.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/bitfield.h>
#include <linux/file.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/esr.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/run.h>
#include <mkvm/vgic.h>
#include "vgic-internal.h"

/* A KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION value (arm-vgic-v3.rst). */
#define RDREG_INDEX		GENMASK_ULL(11, 0)
#define RDREG_FLAGS		GENMASK_ULL(15, 12)
#define RDREG_BASE		GENMASK_ULL(51, 16)
#define RDREG_COUNT		GENMASK_ULL(63, 52)

/* ---- where interrupts live ---------------------------------------- */

/**
 * vgic_irq() - where an interrupt's state lives, vGIC lock held
 * @vm:		the VM
 * @vcpu:	the owner of an SGI or PPI (NULL: the caller has none)
 * @intid:	the INTID
 *
 * Return: the interrupt, or NULL for one the VM does not have.
 */
struct mkvm_irq *vgic_irq(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
			  u32 intid)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_lpi *lpi;

	if (intid < 32)
		return vcpu ? &vcpu->arch.vgic.priv[intid] : NULL;
	if (intid < v->nr_irqs)
		return &v->spis[intid - 32];
	if (intid < MKVM_LPI_FIRST)
		return NULL;
	/* An LPI the ITS has mapped; under the vGIC lock, which erases it. */
	lpi = xa_load(&v->lpis, intid);
	return lpi ? &lpi->irq : NULL;
}

/**
 * vgic_irq_pending() - is the interrupt pending?
 * @irq:	the interrupt
 *
 * Return: its latch (an edge, or GICD_ISPENDR), or a level interrupt's
 * input line.
 */
bool vgic_irq_pending(const struct mkvm_irq *irq)
{
	return irq->pending_latch || (irq->level && irq->line_level);
}

/*
 * Who an SPI goes to: the vCPU whose affinity matches GICD_IROUTER, looked
 * up when the route changes (vCPUs are fixed once the vGIC is initialised).
 */
static struct mkvm_vcpu *spi_target(struct mkvm_vm *vm,
				    const struct mkvm_irq *irq)
{
	return irq->target;
}

/**
 * vgic_spi_set_route() - set an SPI's GICD_IROUTER, and so its target
 * @vm:		the VM
 * @irq:	the SPI
 * @route:	the affinity it routes to (GICD_IROUTER's fields)
 */
void vgic_spi_set_route(struct mkvm_vm *vm, struct mkvm_irq *irq, u64 route)
{
	irq->route = route;
	irq->target = mkvm_vcpu_by_mpidr(vm, route);
}

/* Could the interrupt need a list register at all? */
static bool irq_live(const struct mkvm_irq *irq)
{
	return irq->pending_latch || irq->line_level || irq->active;
}

/**
 * mkvm_vgic_irq_update() - an interrupt's state changed, vGIC lock held
 * @vm:		the VM
 * @vcpu:	the owner of a private (SGI/PPI) interrupt, else NULL
 * @irq:	the interrupt
 *
 * Keeps the "live" lists in step with the interrupt's state, so that the
 * list-register flush only looks at interrupts that are pending or active
 * instead of scanning them all on every guest entry.  Every change of
 * pending or active state goes through it, the ITS's for LPIs too.
 */
void mkvm_vgic_irq_update(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
			  struct mkvm_irq *irq)
{
	bool live = irq_live(irq);

	if (irq->intid >= MKVM_LPI_FIRST) {
		struct mkvm_lpi *lpi = container_of(irq, struct mkvm_lpi, irq);

		if (live && list_empty(&lpi->live))
			list_add_tail(&lpi->live, &vm->arch.vgic.lpi_live);
		else if (!live)
			list_del_init(&lpi->live);
	} else if (irq->intid >= 32) {
		struct mkvm_vgic *v = &vm->arch.vgic;

		if (live && !__test_and_set_bit(irq->intid, v->spi_live))
			WRITE_ONCE(v->nr_spi_live, v->nr_spi_live + 1);
		else if (!live && __test_and_clear_bit(irq->intid, v->spi_live))
			WRITE_ONCE(v->nr_spi_live, v->nr_spi_live - 1);
	} else if (live) {
		WRITE_ONCE(vcpu->arch.vgic.priv_live,
			   vcpu->arch.vgic.priv_live | BIT(irq->intid));
	} else {
		WRITE_ONCE(vcpu->arch.vgic.priv_live,
			   vcpu->arch.vgic.priv_live & ~BIT(irq->intid));
	}
}

/**
 * mkvm_vgic_maybe_live() - might @vcpu have a live interrupt?  No lock
 * @vcpu:	the vCPU
 *
 * False when none of its SGIs/PPIs, and no SPI or LPI of the VM, is
 * pending or active: then the list-register flush has nothing to do and
 * need not take the vGIC lock, as KVM's flush looks at an empty ap_list
 * before its lock, and a WFI has nothing to look for (vcpu_block()).
 * Read without the lock, the answer may miss another thread's latest
 * change; every change that makes an interrupt due is followed by a kick
 * (mkvm_vcpu_kick()), whose barrier pairs with the one between
 * enter_guest()'s write of in_guest and the flush: either the flush sees
 * the change, or the kick sees the vCPU in the guest and its IPI makes it
 * exit at once.  This vCPU's own changes (mkvm_vgic_sync(), its timer
 * lines) are seen in program order.
 *
 * Return: false if nothing is live.
 */
bool mkvm_vgic_maybe_live(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;

	return READ_ONCE(vcpu->arch.vgic.priv_live) ||
	       READ_ONCE(v->nr_spi_live) || !list_empty(&v->lpi_live);
}

/**
 * vgic_visit_live_irqs() - call @fn for every live interrupt of @vcpu
 * (its SGIs/PPIs, and the SPIs and LPIs routed to it), until it returns
 * true; vGIC lock held
 * @vcpu:	the vCPU
 * @fn:		called with each pending or active interrupt and @arg
 * @arg:	passed to @fn
 */
void vgic_visit_live_irqs(struct mkvm_vcpu *vcpu,
			  bool (*fn)(struct mkvm_irq *irq, void *arg),
			  void *arg)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	unsigned long priv = vcpu->arch.vgic.priv_live;
	struct mkvm_lpi *lpi;
	unsigned int i;

	for_each_set_bit(i, &priv, 32)
		if (fn(&vcpu->arch.vgic.priv[i], arg))
			return;
	i = 32;
	for_each_set_bit_from(i, v->spi_live, v->nr_irqs)
		if (v->spis[i - 32].target == vcpu && fn(&v->spis[i - 32], arg))
			return;
	/*
	 * Only the LPIs that are pending or active: a guest may map tens of
	 * thousands, and this runs with interrupts off on every entry.
	 */
	list_for_each_entry(lpi, &v->lpi_live, live)
		if (lpi->irq.target == vcpu && fn(&lpi->irq, arg))
			return;
}

static void irq_reset(struct mkvm_irq *irq, u32 intid)
{
	*irq = (struct mkvm_irq) {
		.intid	= intid,
		.group1	= true,		/* a GICv3 guest is Non-secure */
		.enabled = intid < 16,	/* SGIs are always enabled */
		.level	= intid >= 16,	/* SGIs edge; PPIs, SPIs level */
	};
}

/* ---- lines, edges and SGIs ---------------------------------------- */

static void set_private_line(struct mkvm_vcpu *vcpu, u32 intid, bool level)
{
	struct mkvm_irq *irq = &vcpu->arch.vgic.priv[intid];

	irq->line_level = level;
	mkvm_vgic_irq_update(vcpu->vm, vcpu, irq);
}

/**
 * mkvm_vgic_set_timer_lines() - set the input lines of a vCPU's two timer
 * PPIs, from its own thread
 * @vcpu:	the vCPU owning the PPIs
 * @ppi_a:	the first PPI, 16..31
 * @level_a:	its line's level
 * @ppi_b:	the second PPI (written after the first if they are one)
 * @level_b:	its line's level
 *
 * On every guest entry, and the lines rarely change: when both already
 * have their levels there is nothing to do, and the vGIC lock is not
 * taken (a line, the interrupt's live state with it, only changes under
 * the lock).
 */
void mkvm_vgic_set_timer_lines(struct mkvm_vcpu *vcpu, u32 ppi_a, bool level_a,
			       u32 ppi_b, bool level_b)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	struct mkvm_irq *priv = vcpu->arch.vgic.priv;
	unsigned long flags;

	if (READ_ONCE(priv[ppi_a].line_level) == level_a &&
	    READ_ONCE(priv[ppi_b].line_level) == level_b)
		return;
	spin_lock_irqsave(&v->lock, flags);
	set_private_line(vcpu, ppi_a, level_a);
	set_private_line(vcpu, ppi_b, level_b);
	spin_unlock_irqrestore(&v->lock, flags);
}

/* Something changed for @vcpu's interrupts: let it look again. */
static void vgic_kick(struct mkvm_vcpu *vcpu)
{
	if (vcpu)
		mkvm_vcpu_kick(vcpu);
}

/*
 * Set an input line (level) or signal an edge, then tell the target.
 * Everything that says whether @intid exists is read under the vGIC lock,
 * which vgic_init() takes to publish the SPIs: a KVM_IRQ_LINE racing with
 * KVM_DEV_ARM_VGIC_CTRL_INIT sees either no vGIC or all of it.
 * Return: 0, -EBUSY before the vGIC is initialised, -EINVAL for an
 * interrupt it does not have.
 */
static int vgic_set_line(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
			 u32 intid, bool level)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_irq *irq;
	unsigned long flags;

	spin_lock_irqsave(&v->lock, flags);
	if (!v->initialized) {
		spin_unlock_irqrestore(&v->lock, flags);
		return -EBUSY;
	}
	irq = vgic_irq(vm, vcpu, intid);
	if (!irq) {
		spin_unlock_irqrestore(&v->lock, flags);
		return -EINVAL;
	}
	if (irq->level)
		irq->line_level = level;
	else if (level)
		irq->pending_latch = true;
	mkvm_vgic_irq_update(vm, vcpu, irq);
	if (intid >= 32)
		vcpu = spi_target(vm, irq);
	spin_unlock_irqrestore(&v->lock, flags);
	if (level)
		vgic_kick(vcpu);
	return 0;
}

/**
 * mkvm_arch_irqchip_ready() - may irqfds be assigned?
 * @vm:		the VM
 *
 * Return: true once the vGIC is initialised, as KVM's
 * kvm_arch_intc_initialized().
 */
bool mkvm_arch_irqchip_ready(struct mkvm_vm *vm)
{
	return READ_ONCE(vm->arch.vgic.initialized);
}

/**
 * mkvm_arch_set_spi() - set an SPI's line, from any context
 * @vm:		the VM
 * @pin:	the SPI, INTID - 32
 * @level:	the line's level (an edge SPI latches a rising one)
 *
 * Safe with interrupts off and under the eventfd's wait-queue lock (the
 * irqfd wakeup): vgic_set_line() takes the vGIC lock irqsave and a kick
 * only wakes and IPIs.
 *
 * Return: 0, or -EINVAL for an SPI the vGIC does not have.
 */
int mkvm_arch_set_spi(struct mkvm_vm *vm, u32 pin, bool level)
{
	if (pin >= 1020 - 32)
		return -EINVAL;
	return vgic_set_line(vm, NULL, pin + 32, level);
}

/**
 * mkvm_vgic_sgi() - a guest write to ICC_SGI1R_EL1
 * @vcpu:	the sender
 * @sgi1r:	the value written
 *
 * Targets are an affinity with a 16-bit list of Aff0 values, or (IRM)
 * every vCPU but the sender (IHI 0069, 12.2.22).
 */
void mkvm_vgic_sgi(struct mkvm_vcpu *vcpu, u64 sgi1r)
{
	struct mkvm_vm *vm = vcpu->vm;
	u32 intid = (sgi1r & ICC_SGI1R_SGI_ID_MASK) >> ICC_SGI1R_SGI_ID_SHIFT;
	bool all = sgi1r & BIT_ULL(ICC_SGI1R_IRQ_ROUTING_MODE_BIT);
	u64 aff = (((sgi1r & ICC_SGI1R_AFFINITY_3_MASK) >>
		    ICC_SGI1R_AFFINITY_3_SHIFT) << MPIDR_LEVEL_SHIFT(3)) |
		  (((sgi1r & ICC_SGI1R_AFFINITY_2_MASK) >>
		    ICC_SGI1R_AFFINITY_2_SHIFT) << MPIDR_LEVEL_SHIFT(2)) |
		  (((sgi1r & ICC_SGI1R_AFFINITY_1_MASK) >>
		    ICC_SGI1R_AFFINITY_1_SHIFT) << MPIDR_LEVEL_SHIFT(1));
	u32 rs = (sgi1r & ICC_SGI1R_RS_MASK) >> ICC_SGI1R_RS_SHIFT;
	u16 targets = sgi1r & ICC_SGI1R_TARGET_LIST_MASK;
	int i, n = mkvm_nr_vcpus(vm);

	if (!vm->arch.vgic.initialized)
		return;
	for (i = 0; i < n; i++) {
		struct mkvm_vcpu *t = vm->vcpus[i];
		u64 mpidr = t->arch.mpidr;
		u32 aff0 = mpidr & 0xff;

		if (all) {
			if (t == vcpu)
				continue;
		} else {
			if ((mpidr & ~0xffULL) != aff || aff0 / 16 != rs ||
			    !(targets & BIT(aff0 % 16)))
				continue;
		}
		vgic_set_line(vm, t, intid, true);
	}
}

/* ---- the guest's MMIO: distributor, redistributors, ITS ----------- */

/*
 * A write to GICD_ICENABLERn or GICD_ICPENDRn, or to the SGI_base frame's
 * copies (@rd: a redistributor's frames, @off in them): it only disables
 * or clears, and makes nothing due, so no vCPU needs to look again.  An
 * interrupt a running vCPU already holds in a list register may still be
 * taken, as on KVM, which kicks no one for these writes either; a kick
 * would not undo a clear anyway (the LR's pending state comes back).
 */
static bool write_only_clears(struct mkvm_vcpu *rd, u32 off)
{
	if (rd) {
		if (off < SZ_64K)
			return false;
		off -= SZ_64K;
	}
	return (off >= GICD_ICENABLER && off < GICD_ICENABLER + 0x80) ||
	       (off >= GICD_ICPENDR && off < GICD_ICPENDR + 0x80);
}

/**
 * mkvm_vgic_mmio() - emulate an access to the distributor/redistributors
 * @vcpu:	the accessing vCPU
 * @ipa:	the address
 * @esr:	its syndrome
 *
 * Return: 1 if emulated (the guest moves on), 0 if @ipa is not the vGIC's,
 * -ENOSYS for an access without syndrome.
 */
int mkvm_vgic_mmio(struct mkvm_vcpu *vcpu, u64 ipa, u64 esr)
{
	struct mkvm_vm *vm = vcpu->vm;
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_vcpu *rd = NULL;
	unsigned int len, rt;
	u32 rd_off = 0;
	bool write, its = false, lpis_were;
	u64 val = 0;
	int n;

	if (!v->initialized)
		return 0;
	if (!(ipa - v->dist_base < DIST_SIZE)) {
		rd = vgic_rd_vcpu(vm, ipa, &rd_off);
		its = !rd && mkvm_its_mmio(vcpu, ipa, false, NULL, 0);
		if (!rd && !its)
			return 0;
	}
	if (!(esr & ESR_ELx_ISV))
		return -ENOSYS;
	len = 1 << ((esr & ESR_ELx_SAS) >> ESR_ELx_SAS_SHIFT);
	rt = (esr & ESR_ELx_SRT_MASK) >> ESR_ELx_SRT_SHIFT;
	write = esr & ESR_ELx_WNR;
	if (write)
		val = mkvm_get_gpr(vcpu, rt) & (len == 8 ? ~0ULL :
						GENMASK_ULL(8 * len - 1, 0));

	if (its) {
		/* Its own locks: commands may sleep on guest memory. */
		mkvm_its_mmio(vcpu, ipa, write, &val, len);
		goto done;
	}
	/*
	 * The redistributor's LPI invalidations read the guest's LPI
	 * configuration table, which may sleep: not under the vGIC lock.
	 * A 64-bit write, or the low word (the rest is for vPEs, as KVM).
	 */
	if (rd && write && (rd_off == GICR_INVLPIR || rd_off == GICR_INVALLR) &&
	    (len == 8 || len == 4)) {
		if (!READ_ONCE(rd->arch.vgic.lpis_enabled))
			goto done;
		if (rd_off == GICR_INVALLR)
			mkvm_lpi_invall(rd);
		else if ((u32)val >= MKVM_LPI_FIRST)
			mkvm_lpi_inv(vm, (u32)val);
		goto done;
	}

	/* As below, but no interrupt's state: no lock (the RWP polls). */
	if (!rd && !write && !(ipa & (len - 1)) &&
	    vgic_dist_read_unlocked(vm, ipa - v->dist_base, &val))
		goto done;
	lpis_were = rd && READ_ONCE(rd->arch.vgic.lpis_enabled);
	spin_lock_irq(&v->lock);
	/* Unaligned accesses are RAZ/WI, like a GIC's. */
	if (!(ipa & (len - 1))) {
		if (!rd)
			vgic_dist_access(vm, ipa - v->dist_base, write, &val, len);
		else
			vgic_redist_access(rd, rd_off, write, &val, len);
	}
	spin_unlock_irq(&v->lock);
	if (rd && write && rd_off == GICR_CTLR)
		vgic_redist_lpis_enabled(rd, lpis_were);
done:
	if (!write)
		mkvm_set_gpr(vcpu, rt, val);
	mkvm_skip_instr(vcpu);
	/*
	 * An enable or a pend may have made something due: every vCPU
	 * looks again (each running one exits: an IPI).  Not after a
	 * disable or a clear, which a guest makes on every mask.
	 */
	if (write && (its || !write_only_clears(rd, rd ? rd_off :
						 ipa - v->dist_base)))
		for (n = 0; n < mkvm_nr_vcpus(vm); n++)
			vgic_kick(vm->vcpus[n]);
	return 1;
}

/* ---- the device: KVM_CREATE_DEVICE and its attributes -------------- */

static int vgic_init(struct mkvm_vm *vm)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	int i, n = vm->nr_vcpus;
	u32 intid;

	if (v->initialized)
		return 0;
	if (!n)
		return -ENODEV;
	if (!v->nr_irqs)
		v->nr_irqs = DEFAULT_NR_IRQS;
	v->spis = kcalloc(v->nr_irqs - 32, sizeof(*v->spis), GFP_KERNEL_ACCOUNT);
	v->spi_live = bitmap_zalloc(v->nr_irqs, GFP_KERNEL_ACCOUNT);
	if (!v->spis || !v->spi_live) {
		kfree(v->spis);
		bitmap_free(v->spi_live);
		v->spis = NULL;
		v->spi_live = NULL;
		return -ENOMEM;
	}
	for (intid = 32; intid < v->nr_irqs; intid++) {
		irq_reset(&v->spis[intid - 32], intid);
		vgic_spi_set_route(vm, &v->spis[intid - 32], 0);
	}
	for (i = 0; i < n; i++)
		for (intid = 0; intid < 32; intid++)
			irq_reset(&vm->vcpus[i]->arch.vgic.priv[intid], intid);
	/* As KVM, initialising the vGIC resets the routes: GSI n, SPI n. */
	if (mkvm_irq_routing_default(vm, v->nr_irqs - 32)) {
		kfree(v->spis);
		bitmap_free(v->spi_live);
		v->spis = NULL;
		v->spi_live = NULL;
		return -ENOMEM;
	}
	spin_lock_irq(&v->lock);
	v->initialized = true;
	spin_unlock_irq(&v->lock);
	return 0;
}

/*
 * KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: the LPIs' pending bits into the
 * guest's pending tables (nothing to write without an ITS).  Refused
 * while a vCPU runs, as KVM; the vCPUs' LRs are folded back at every exit.
 */
static int save_pending_tables(struct mkvm_vm *vm)
{
	int ret;

	if (!mkvm_lock_all_vcpus(vm))
		return -EBUSY;
	ret = mkvm_lpis_save_pending(vm);
	mkvm_unlock_all_vcpus(vm);
	return ret;
}

/*
 * KVM_DEV_ARM_VGIC_GRP_ADDR, set.  The distributor's rules are
 * vgic_check_iorange()'s; the redistributors' are vgic_rdreg_add()'s.  A
 * REDIST_REGION value packs the region's index, flags (none defined),
 * base and count of frames (Documentation/virt/kvm/devices/arm-vgic-v3.rst).
 */
static int set_addr(struct mkvm_vm *vm, u64 attr, u64 __user *uaddr)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	u64 addr;

	if (attr != KVM_VGIC_V3_ADDR_TYPE_DIST &&
	    attr != KVM_VGIC_V3_ADDR_TYPE_REDIST &&
	    attr != KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION)
		return -ENXIO;
	if (get_user(addr, uaddr))
		return -EFAULT;
	if (attr == KVM_VGIC_V3_ADDR_TYPE_REDIST)
		return vgic_rdreg_add(vm, 0, addr, 0);
	if (attr == KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION) {
		u32 count = FIELD_GET(RDREG_COUNT, addr);

		if (!count || FIELD_GET(RDREG_FLAGS, addr))
			return -EINVAL;
		/* KVM keeps 8 bits of the 12-bit index field. */
		return vgic_rdreg_add(vm, (u8)(addr & RDREG_INDEX),
				      addr & RDREG_BASE, count);
	}
	if (!IS_ALIGNED(addr, SZ_64K))
		return -EINVAL;
	if (addr + DIST_SIZE < addr || addr + DIST_SIZE > BIT_ULL(vm->arch.ipa_bits))
		return -E2BIG;
	if (v->dist_base != MKVM_VGIC_ADDR_UNDEF)
		return -EEXIST;
	v->dist_base = addr;
	return 0;
}

/* KVM_DEV_ARM_VGIC_GRP_ADDR, get: a REDIST_REGION read names its index. */
static int get_addr(struct mkvm_vm *vm, u64 attr, u64 __user *uaddr)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	u64 addr;
	u8 index;

	switch (attr) {
	case KVM_VGIC_V3_ADDR_TYPE_DIST:
		return put_user(v->dist_base, uaddr);
	case KVM_VGIC_V3_ADDR_TYPE_REDIST:
		return put_user(v->nr_rdregs ? v->rdregs[0].base :
			       MKVM_VGIC_ADDR_UNDEF, uaddr);
	case KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION:
		if (get_user(addr, uaddr))
			return -EFAULT;
		index = addr & RDREG_INDEX;
		if (index >= v->nr_rdregs)
			return -ENOENT;
		addr = index | v->rdregs[index].base |
		       FIELD_PREP(RDREG_COUNT, v->rdregs[index].count);
		return put_user(addr, uaddr);
	default:
		return -ENXIO;
	}
}

static int vgic_set_attr(struct mkvm_vm *vm, struct kvm_device_attr *a)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	u32 __user *u32p = u64_to_user_ptr(a->addr);
	u32 nr;

	switch (a->group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		return set_addr(vm, a->attr, u64_to_user_ptr(a->addr));
	case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
		if (get_user(nr, u32p))
			return -EFAULT;
		/* INTIDs 1020-1023 are special: at most 992 usable. */
		if (nr < 64 || nr > 1023 || nr % 32)
			return -EINVAL;
		if (v->nr_irqs || v->initialized)
			return -EBUSY;
		v->nr_irqs = nr;
		return 0;
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		if (a->attr == KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)
			return save_pending_tables(vm);
		if (a->attr != KVM_DEV_ARM_VGIC_CTRL_INIT)
			return -ENXIO;
		return vgic_init(vm);
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return vgic_state_access(vm, a, true);
	default:
		return -ENXIO;
	}
}

static int vgic_get_attr(struct mkvm_vm *vm, struct kvm_device_attr *a)
{
	struct mkvm_vgic *v = &vm->arch.vgic;

	switch (a->group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		return get_addr(vm, a->attr, u64_to_user_ptr(a->addr));
	case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
		return put_user(v->nr_irqs ?: 32,
				(u32 __user *)u64_to_user_ptr(a->addr));
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return vgic_state_access(vm, a, false);
	default:
		return -ENXIO;
	}
}

static int vgic_has_attr(struct mkvm_vm *vm, struct kvm_device_attr *a)
{
	switch (a->group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		return a->attr == KVM_VGIC_V3_ADDR_TYPE_DIST ||
		       a->attr == KVM_VGIC_V3_ADDR_TYPE_REDIST ||
		       a->attr == KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION ?
		       0 : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
		return 0;
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		return a->attr == KVM_DEV_ARM_VGIC_CTRL_INIT ||
		       a->attr == KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES ?
		       0 : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
		return vgic_state_has_attr(vm, a);
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		return (a->attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >>
		       KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT ==
		       VGIC_LEVEL_INFO_LINE_LEVEL ? 0 : -ENXIO;
	default:
		return -ENXIO;
	}
}

/**
 * mkvm_vgic_attr_ioctl_arg() - what every vGIC device fd's ioctl checks
 * first, and its argument
 * @vm:		the VM the device belongs to
 * @cmd:	the ioctl
 * @arg:	its argument: a struct kvm_device_attr in the VMM's memory
 * @a:		filled with that attribute
 *
 * The GICv3 and ITS device fds take KVM_SET/GET/HAS_DEVICE_ATTR alone,
 * from the VM's own process while the VM lives, as KVM's device fds do.
 * Return: 0, -EIO from another process or for a dead VM, -ENOTTY for
 * another ioctl, -EFAULT.
 */
int mkvm_vgic_attr_ioctl_arg(struct mkvm_vm *vm, unsigned int cmd,
			     unsigned long arg, struct kvm_device_attr *a)
{
	if (vm->mm != current->mm || READ_ONCE(vm->dead))
		return -EIO;
	if (cmd != KVM_SET_DEVICE_ATTR && cmd != KVM_GET_DEVICE_ATTR &&
	    cmd != KVM_HAS_DEVICE_ATTR)
		return -ENOTTY;
	if (copy_from_user(a, (void __user *)arg, sizeof(*a)))
		return -EFAULT;
	return 0;
}

static long vgic_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct mkvm_vm *vm = file->private_data;
	struct kvm_device_attr a;
	long ret;

	ret = mkvm_vgic_attr_ioctl_arg(vm, cmd, arg, &a);
	if (ret)
		return ret;
	mutex_lock(&vm->lock);
	if (cmd == KVM_SET_DEVICE_ATTR)
		ret = vgic_set_attr(vm, &a);
	else if (cmd == KVM_GET_DEVICE_ATTR)
		ret = vgic_get_attr(vm, &a);
	else
		ret = vgic_has_attr(vm, &a);
	mutex_unlock(&vm->lock);
	return ret;
}

static int vgic_dev_release(struct inode *inode, struct file *file)
{
	mkvm_vm_put(file->private_data);
	return 0;
}

static const struct file_operations vgic_dev_fops = {
	.owner		= THIS_MODULE,
	.release	= vgic_dev_release,
	.unlocked_ioctl	= vgic_dev_ioctl,
	.compat_ioctl	= vgic_dev_ioctl,
	.llseek		= noop_llseek,
};

/**
 * mkvm_vgic_create_device() - KVM_CREATE_DEVICE on a VM fd
 * @vm:		the VM
 * @argp:	struct kvm_create_device
 *
 * Return: 0 with the device fd in the struct, -ENODEV for a device type
 * other than KVM_DEV_TYPE_ARM_VGIC_V3 and KVM_DEV_TYPE_ARM_VGIC_ITS
 * (mkvm_its_create_device()), -EEXIST for a second vGIC, -EBUSY once a
 * vCPU has run.
 */
int mkvm_vgic_create_device(struct mkvm_vm *vm, void __user *argp)
{
	struct kvm_create_device __user *ucd = argp;
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct kvm_create_device cd;
	int fd, ret = 0, i;

	if (copy_from_user(&cd, ucd, sizeof(cd)))
		return -EFAULT;
	if (cd.type == KVM_DEV_TYPE_ARM_VGIC_ITS)
		return mkvm_its_create_device(vm, ucd, cd.flags);
	if (cd.type != KVM_DEV_TYPE_ARM_VGIC_V3)
		return -ENODEV;
	if (cd.flags & KVM_CREATE_DEVICE_TEST)
		return 0;

	mutex_lock(&vm->lock);
	if (v->created) {
		ret = -EEXIST;
		goto unlock;
	}
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->arch.has_run) {
			ret = -EBUSY;
			goto unlock;
		}
	refcount_inc(&vm->users);
	fd = anon_inode_getfd("minikvm-vgic-v3", &vgic_dev_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		refcount_dec(&vm->users);
		ret = fd;
		goto unlock;
	}
	if (put_user(fd, &ucd->fd)) {
		/* The fd is live; the VMM loses it, as with KVM. */
		ret = -EFAULT;
	}
	v->created = true;
unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_vgic_irq_line() - KVM_IRQ_LINE: an SPI or a PPI from the VMM
 * @vm:		the VM
 * @argp:	struct kvm_irq_level
 *
 * Return: 0, -ENXIO without a vGIC, -EBUSY before KVM_DEV_ARM_VGIC_CTRL_INIT,
 * -EINVAL for a bad type, vCPU or interrupt number.
 */
int mkvm_vgic_irq_line(struct mkvm_vm *vm, void __user *argp)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct kvm_irq_level l;
	u32 type, num, idx;
	struct mkvm_vcpu *vcpu = NULL;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	type = (l.irq >> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
	num = l.irq & KVM_ARM_IRQ_NUM_MASK;
	idx = ((l.irq >> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK) |
	      (((l.irq >> KVM_ARM_IRQ_VCPU2_SHIFT) & KVM_ARM_IRQ_VCPU2_MASK) << 8);

	switch (type) {
	case KVM_ARM_IRQ_TYPE_CPU:
		return v->created ? -ENXIO : -EINVAL;
	case KVM_ARM_IRQ_TYPE_PPI:
		if (!v->created)
			return -ENXIO;
		if (idx >= mkvm_nr_vcpus(vm))
			return -EINVAL;
		vcpu = vm->vcpus[idx];
		if (num < 16 || num >= 32)
			return -EINVAL;
		break;
	case KVM_ARM_IRQ_TYPE_SPI:
		if (!v->created)
			return -ENXIO;
		if (num < 32)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	/* Initialised and number of SPIs: checked under the vGIC lock. */
	return vgic_set_line(vm, vcpu, num, l.level);
}

/**
 * mkvm_vgic_first_run() - the checks KVM makes when a vCPU first runs
 * @vcpu:	the vCPU
 *
 * Return: 0, -ENXIO for a distributor base never set or a vCPU no
 * redistributor region has a frame for, -EINVAL when the distributor and
 * the (now final) redistributor regions overlap or leave the IPA space,
 * -EBUSY before KVM_DEV_ARM_VGIC_CTRL_INIT.
 */
int mkvm_vgic_first_run(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vm *vm = vcpu->vm;
	struct mkvm_vgic *v = &vm->arch.vgic;
	bool last;
	int ret = 0, i;

	if (!v->created)
		return 0;
	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++)
		if (vgic_rd_frame(vm, i, &last) == MKVM_VGIC_ADDR_UNDEF)
			ret = -ENXIO;
	if (ret || v->dist_base == MKVM_VGIC_ADDR_UNDEF)
		ret = -ENXIO;
	else if (!vgic_rd_layout_ok(vm))
		ret = -EINVAL;
	else if (!v->initialized)
		ret = -EBUSY;
	/* As KVM: a VM whose vGIC cannot be laid out is dead (-EIO). */
	if (ret)
		WRITE_ONCE(vm->dead, true);
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_vgic_vm_destroy() - free the vGIC's state at VM teardown
 * @vm:		the VM: the device fd is gone, nothing runs
 */
void mkvm_vgic_vm_destroy(struct mkvm_vm *vm)
{
	mkvm_its_vm_destroy(vm);
	kfree(vm->arch.vgic.spis);
	bitmap_free(vm->arch.vgic.spi_live);
	kfree(vm->arch.vgic.rdregs);
	vm->arch.vgic.rdregs = NULL;
	vm->arch.vgic.spis = NULL;
	vm->arch.vgic.spi_live = NULL;
}
