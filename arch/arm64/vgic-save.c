// SPDX-License-Identifier: GPL-2.0
/*
 * The vGIC device's save/restore groups, the VMM's view of the state
 * (KVM_DEV_ARM_VGIC_GRP_DIST_REGS, _REDIST_REGS, _CPU_SYSREGS and
 * _LEVEL_INFO, as in the kernel's
 * Documentation/virt/kvm/devices/arm-vgic-v3.rst): which registers each
 * group has, and the few places where a VMM's access differs from the
 * guest's (pending latches, input lines, identification registers).  The
 * registers themselves are the guest's emulation, in vgic-dist.c,
 * vgic-redist.c and vgic-cpuif.c.
 */
#include <linux/bitfield.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/vgic.h>
#include "vgic-internal.h"

/*
 * The registers KVM's save/restore interface has (its register tables in
 * vgic-mmio-v3.c), by offset; an offset outside them is -ENXIO.  A range
 * with @bits per interrupt only covers the interrupts the VM has.
 */
struct vgic_reg_range {
	u32 base, size;
	u8 bits;			/* per interrupt, 0: not per interrupt */
};

static const struct vgic_reg_range dist_ranges[] = {
	{ GICD_CTLR,       0x14,   0 },	/* CTLR TYPER IIDR TYPER2 STATUSR */
	{ GICD_IGROUPR,    0x80,   1 },
	{ GICD_ISENABLER,  0x80,   1 },
	{ GICD_ICENABLER,  0x80,   1 },
	{ GICD_ISPENDR,    0x80,   1 },
	{ GICD_ICPENDR,    0x80,   1 },
	{ GICD_ISACTIVER,  0x80,   1 },
	{ GICD_ICACTIVER,  0x80,   1 },
	{ GICD_IPRIORITYR, 0x400,  8 },
	{ GICD_ITARGETSR,  0x400,  8 },
	{ GICD_ICFGR,      0x100,  2 },
	{ GICD_IGRPMODR,   0x80,   1 },
	{ GICD_NSACR,      0x100,  2 },
	{ GICD_IROUTER,    0x2000, 64 },
	{ GICD_IDREGS,     0x30,   0 },
};

/* RD_base, then SGI_base (+64 KiB) with the SGIs' and PPIs' registers. */
static const struct vgic_reg_range redist_ranges[] = {
	{ GICR_CTLR,				0x18, 0 }, /* to WAKER */
	{ GICR_PROPBASER,			0x10, 0 },
	{ GICR_IDREGS,				0x30, 0 },
	{ SZ_64K + GICR_IGROUPR0,		4,    0 },
	{ SZ_64K + GICR_ISENABLER0,		4,    0 },
	{ SZ_64K + GICR_ICENABLER0,		4,    0 },
	{ SZ_64K + GICR_ISPENDR0,		4,    0 },
	{ SZ_64K + GICR_ICPENDR0,		4,    0 },
	{ SZ_64K + GICR_ISACTIVER0,		4,    0 },
	{ SZ_64K + GICR_ICACTIVER0,		4,    0 },
	{ SZ_64K + GICR_IPRIORITYR0,		0x20, 0 },
	{ SZ_64K + GICR_ICFGR0,			8,    0 },
	{ SZ_64K + GICR_IGRPMODR0,		4,    0 },
	{ SZ_64K + GICR_NSACR,			4,    0 },
};

static bool reg_known(const struct vgic_reg_range *r, unsigned int n,
		      u32 off, u32 nr_irqs)
{
	unsigned int i;

	if (off & 3)
		return false;		/* 32-bit accesses only, as KVM */
	for (i = 0; i < n; i++, r++) {
		if (off < r->base || off - r->base >= r->size)
			continue;
		return !r->bits || (off - r->base) * 8 / r->bits < nr_irqs;
	}
	return false;
}

/*
 * GICD_ISPENDR / GICR_ISPENDR0 from userspace: the pending latch alone,
 * without a level interrupt's input line (which LEVEL_INFO carries), and
 * a write sets each latch to its bit, 0 clearing it (KVM's
 * vgic_v3_uaccess_write_pending): with LEVEL_INFO they give the VMM the
 * whole state to save and restore.
 */
static void pend_latch_uaccess(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
			       u32 first, bool write, u32 *val)
{
	unsigned int i;

	for (i = 0; i < 32; i++) {
		struct mkvm_irq *irq = vgic_irq(vm, vcpu, first + i);

		if (!irq)
			break;
		if (!write) {
			*val |= (u32)irq->pending_latch << i;
		} else {
			irq->pending_latch = *val & BIT(i);
			mkvm_vgic_irq_update(vm, vcpu, irq);
		}
	}
}

/*
 * A VMM's write of GICD_IIDR or GICD_TYPER2: the value they read, or for
 * GICD_IIDR the same with KVM's revision 2 or 3, which a stream saved on
 * KVM carries (minikvm's vGIC behaves the same under both, so the value
 * read stays).  Any other value is refused, as KVM does.  Read into a
 * zeroed value: TYPER2 is RAZ, and the access leaves it as it was.
 */
static int id_reg_write(struct mkvm_vm *vm, u32 off, u32 val)
{
	u64 v = 0;

	vgic_dist_access(vm, off, false, &v, 4);
	if (v == val)
		return 0;
	if (off == GICD_IIDR && !((v ^ val) & ~GICD_IIDR_REVISION_MASK)) {
		switch (FIELD_GET(GICD_IIDR_REVISION_MASK, val)) {
		case 2:
		case 3:
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * One 32-bit register through KVM_DEV_ARM_VGIC_GRP_DIST_REGS or
 * REDIST_REGS (@vcpu NULL: the distributor), vGIC lock held.  As a guest
 * access, except the pending registers above, ICPENDR (RAZ/WI), and the
 * identification registers (id_reg_write()).
 */
static int reg_uaccess(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu, u32 off,
		       bool write, u32 *val)
{
	u32 sgi = vcpu ? SZ_64K : 0;	/* the shared registers' frame */
	u64 v = write ? *val : 0;

	if (off >= sgi + GICD_ISPENDR && off < sgi + GICD_ISPENDR + 0x80) {
		if (!write)
			*val = 0;
		pend_latch_uaccess(vm, vcpu, (off - sgi - GICD_ISPENDR) * 8,
				   write, val);
		return 0;
	}
	if (off >= sgi + GICD_ICPENDR && off < sgi + GICD_ICPENDR + 0x80) {
		if (!write)
			*val = 0;
		return 0;
	}
	if (!vcpu && write && (off == GICD_IIDR || off == GICD_TYPER2))
		return id_reg_write(vm, off, *val);
	if (vcpu)
		vgic_redist_access(vcpu, off, write, &v, 4);
	else
		vgic_dist_access(vm, off, write, &v, 4);
	if (!write)
		*val = v;
	return 0;
}

/*
 * KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: the input lines of 32 interrupts from
 * @intid (a multiple of 32), SGIs/PPIs those of @vcpu.  Read: the level
 * interrupts' lines; written: every line, whatever the interrupt's
 * configuration, so that the VMM may restore lines before ICFGR (KVM).
 */
static int line_level_uaccess(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
			      u32 intid, bool write, u32 *val)
{
	unsigned int i;

	if (intid % 32)
		return -EINVAL;
	if (!write)
		*val = 0;
	for (i = 0; i < 32; i++) {
		struct mkvm_irq *irq = vgic_irq(vm, vcpu, intid + i);

		if (!irq)
			break;
		if (!write) {
			*val |= (u32)(irq->level && irq->line_level) << i;
		} else {
			irq->line_level = *val & BIT(i);
			mkvm_vgic_irq_update(vm, vcpu, irq);
		}
	}
	return 0;
}

/*
 * The register that attr's instr field names (op0 15:14, op1 13:11, CRn
 * 10:7, CRm 6:3, op2 2:0), as a sys_reg() encoding.
 */
static u32 attr_sysreg(u64 attr)
{
	return sys_reg(FIELD_GET(GENMASK(15, 14), attr),
		       FIELD_GET(GENMASK(13, 11), attr),
		       FIELD_GET(GENMASK(10, 7), attr),
		       FIELD_GET(GENMASK(6, 3), attr),
		       FIELD_GET(GENMASK(2, 0), attr));
}

/*
 * The vCPU an attribute names by its affinity (bits 63:32, Aff3 in the
 * top byte), for the groups other than DIST_REGS; DIST_REGS wants only
 * that a vCPU exists, as KVM (which uses vCPU 0).
 */
static struct mkvm_vcpu *attr_vcpu(struct mkvm_vm *vm, u64 group, u64 attr)
{
	u64 aff = (attr & KVM_DEV_ARM_VGIC_V3_MPIDR_MASK) >>
		  KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;

	if (group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS)
		return vm->nr_vcpus ? vm->vcpus[0] : NULL;
	return mkvm_vcpu_by_mpidr(vm, (aff & 0xffffff) |
				      ((aff >> 24) & 0xff) << 32);
}

/**
 * vgic_state_has_attr() - KVM_HAS_DEVICE_ATTR for DIST_REGS, REDIST_REGS
 * and CPU_SYSREGS: does the group have the register @a names?
 * @vm:		the VM, vm->lock held
 * @a:		the attribute
 *
 * Return: 0, -ENXIO for a register the group lacks, -EINVAL for an
 * affinity that names no vCPU.
 */
int vgic_state_has_attr(struct mkvm_vm *vm, struct kvm_device_attr *a)
{
	u32 off = a->attr & KVM_DEV_ARM_VGIC_OFFSET_MASK;
	u32 nr = vm->arch.vgic.nr_irqs ?: DEFAULT_NR_IRQS;

	if (!attr_vcpu(vm, a->group, a->attr))
		return -EINVAL;
	switch (a->group) {
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
		return reg_known(dist_ranges, ARRAY_SIZE(dist_ranges), off,
				 nr) ? 0 : -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
		return reg_known(redist_ranges, ARRAY_SIZE(redist_ranges), off,
				 nr) ? 0 : -ENXIO;
	default:	/* CPU_SYSREGS */
		return vgic_icc_known(attr_sysreg(a->attr)) ? 0 : -ENXIO;
	}
}

/**
 * vgic_state_access() - the save/restore groups: DIST_REGS, REDIST_REGS,
 * CPU_SYSREGS and LEVEL_INFO, as in KVM's arm-vgic-v3.rst
 * @vm:		the VM, vm->lock held
 * @a:		the attribute
 * @write:	KVM_SET_DEVICE_ATTR
 *
 * Return: 0; -EINVAL for an affinity that names no vCPU, a bad value or
 * LEVEL_INFO field; -ENOENT for a CPU interface register the group does
 * not save (a distributor or redistributor offset it lacks reads as 0 and
 * ignores writes, as in KVM: HAS_DEVICE_ATTR tells them apart); -EBUSY
 * before KVM_DEV_ARM_VGIC_CTRL_INIT or while a vCPU is in KVM_RUN;
 * -EFAULT.
 */
int vgic_state_access(struct mkvm_vm *vm, struct kvm_device_attr *a,
		      bool write)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	bool sysreg = a->group == KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, lpis_were;
	void __user *uaddr = u64_to_user_ptr(a->addr);
	u32 off = a->attr & KVM_DEV_ARM_VGIC_OFFSET_MASK;
	struct mkvm_vcpu *vcpu;
	u64 val = 0;
	u32 val32;
	int ret;

	vcpu = attr_vcpu(vm, a->group, a->attr);
	if (!vcpu)
		return -EINVAL;
	if (write && (sysreg ? get_user(val, (u64 __user *)uaddr) :
			       get_user(val32, (u32 __user *)uaddr)))
		return -EFAULT;
	if (write && !sysreg)
		val = val32;
	if (!mkvm_lock_all_vcpus(vm))
		return -EBUSY;
	if (!v->initialized) {
		ret = -EBUSY;
		goto unlock;
	}
	val32 = val;
	lpis_were = READ_ONCE(vcpu->arch.vgic.lpis_enabled);
	spin_lock_irq(&v->lock);
	switch (a->group) {
	case KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
	case KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
		/* A register the group lacks reads 0, ignores writes (KVM). */
		ret = 0;
		if (!write)
			val32 = 0;
		if (a->group == KVM_DEV_ARM_VGIC_GRP_DIST_REGS &&
		    reg_known(dist_ranges, ARRAY_SIZE(dist_ranges), off,
			      v->nr_irqs))
			ret = reg_uaccess(vm, NULL, off, write, &val32);
		else if (a->group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS &&
			 reg_known(redist_ranges, ARRAY_SIZE(redist_ranges),
				   off, v->nr_irqs))
			ret = reg_uaccess(vm, vcpu, off, write, &val32);
		break;
	case KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
		ret = -EINVAL;
		if (!((a->attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >>
		      KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT))
			ret = line_level_uaccess(vm, vcpu, a->attr &
					KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK,
					write, &val32);
		break;
	default:	/* CPU_SYSREGS: an unknown one is -ENOENT (ONE_REG's) */
		ret = -ENOENT;
		if (vgic_icc_known(attr_sysreg(a->attr)))
			ret = vgic_icc_uaccess(vcpu, attr_sysreg(a->attr),
					       write, &val);
		break;
	}
	spin_unlock_irq(&v->lock);
	/* A restore's EnableLPIs: the pending table is read, as KVM does. */
	if (write && a->group == KVM_DEV_ARM_VGIC_GRP_REDIST_REGS &&
	    off == GICR_CTLR)
		vgic_redist_lpis_enabled(vcpu, lpis_were);
unlock:
	mkvm_unlock_all_vcpus(vm);
	if (ret || write)
		return ret;
	return sysreg ? put_user(val, (u64 __user *)uaddr) :
			put_user(val32, (u32 __user *)uaddr);
}
