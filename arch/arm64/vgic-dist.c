// SPDX-License-Identifier: GPL-2.0
/*
 * The vGIC's distributor: the GICD_* registers of its 64 KiB frame, and
 * the per-interrupt registers (group, enable, pending, active, priority,
 * configuration) that the distributor and a redistributor's SGI_base
 * frame lay out alike, the SPIs' in the one, a vCPU's SGIs' and PPIs' in
 * the other (IHI 0069, 12.9 and 12.10).  The guest reaches them through
 * mkvm_vgic_mmio(), the VMM through the save/restore groups (vgic-save.c),
 * both under the vGIC lock.
 */
#include <linux/irqchip/arm-gic-v3.h>
#include "virt/mkvm.h"
#include <mkvm/vgic.h>
#include "vgic-internal.h"

#define PRIORITY_MASK		0xf8		/* 5 priority bits, as KVM */
#define TYPER_IDBITS_SHIFT	19		/* GICD_TYPER.IDbits */

/* One bit per interrupt: IGROUPR, IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER. */
enum bit_reg { B_GROUP, B_SENABLE, B_CENABLE, B_SPEND, B_CPEND, B_SACTIVE,
	       B_CACTIVE };

static u32 bits_read(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
		     enum bit_reg r, u32 first)
{
	u32 val = 0, i;

	for (i = 0; i < 32; i++) {
		struct mkvm_irq *irq = vgic_irq(vm, vcpu, first + i);
		bool bit;

		if (!irq)
			break;
		switch (r) {
		case B_GROUP:
			bit = irq->group1;
			break;
		case B_SENABLE:
		case B_CENABLE:
			bit = irq->enabled;
			break;
		case B_SPEND:
		case B_CPEND:
			bit = vgic_irq_pending(irq);
			break;
		default:
			bit = irq->active;
			break;
		}
		val |= (u32)bit << i;
	}
	return val;
}

static void bits_write(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
		       enum bit_reg r, u32 first, u32 val)
{
	u32 i;

	for (i = 0; i < 32; i++) {
		struct mkvm_irq *irq = vgic_irq(vm, vcpu, first + i);
		bool bit = val & BIT(i);

		if (!irq)
			break;
		if (r == B_GROUP) {
			irq->group1 = bit;
			continue;
		}
		if (!bit)
			continue;
		switch (r) {
		case B_SENABLE:
			irq->enabled = true;
			break;
		case B_CENABLE:
			/* SGIs cannot be disabled on a GICv3 with ARE. */
			irq->enabled = first + i < 16;
			break;
		case B_SPEND:
			irq->pending_latch = true;
			break;
		case B_CPEND:
			irq->pending_latch = false;
			break;
		case B_SACTIVE:
			irq->active = true;
			break;
		case B_CACTIVE:
			irq->active = false;
			break;
		default:
			break;
		}
		mkvm_vgic_irq_update(vm, vcpu, irq);
	}
}

static const struct {
	u32 base;
	enum bit_reg r;
} bit_regs[] = {
	{ GICD_IGROUPR,    B_GROUP },
	{ GICD_ISENABLER,  B_SENABLE },
	{ GICD_ICENABLER,  B_CENABLE },
	{ GICD_ISPENDR,    B_SPEND },
	{ GICD_ICPENDR,    B_CPEND },
	{ GICD_ISACTIVER,  B_SACTIVE },
	{ GICD_ICACTIVER,  B_CACTIVE },
};

/**
 * vgic_shared_regs() - the registers the distributor and a redistributor's
 * SGI_base frame share (same offsets), vGIC lock held
 * @vm:		the VM
 * @vcpu:	the redistributor's vCPU; NULL for the distributor, whose
 *		SGI/PPI halves are RAZ/WI with affinity routing (IHI 0069, 12.9)
 * @off:	the offset in the frame
 * @write:	a write of *@val, else a read into it
 * @val:	the value
 * @len:	the access size in bytes
 *
 * Return: false for an offset this layout does not have.
 */
bool vgic_shared_regs(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu, u32 off,
		      bool write, u64 *val, unsigned int len)
{
	u32 lo = vcpu ? 0 : 32, hi = vcpu ? 32 : vm->arch.vgic.nr_irqs;
	unsigned int i;
	u32 first;

	for (i = 0; i < ARRAY_SIZE(bit_regs); i++) {
		if (off < bit_regs[i].base || off >= bit_regs[i].base + 0x80)
			continue;
		if (len != 4)
			return true;		/* word access only: RAZ/WI */
		first = (off - bit_regs[i].base) * 8;
		if (first < lo || first >= hi) {
			*val = 0;
			return true;
		}
		if (write)
			bits_write(vm, vcpu, bit_regs[i].r, first, *val);
		else
			*val = bits_read(vm, vcpu, bit_regs[i].r, first);
		return true;
	}
	if (off >= GICD_IPRIORITYR && off < GICD_IPRIORITYR + 0x400) {
		first = off - GICD_IPRIORITYR;
		if (len != 1 && len != 4)
			return true;
		for (i = 0; i < len; i++) {
			struct mkvm_irq *irq = first + i >= lo ?
				vgic_irq(vm, vcpu, first + i) : NULL;

			if (!irq || first + i >= hi)
				continue;
			if (write)
				irq->priority = (*val >> (8 * i)) & PRIORITY_MASK;
			else
				*val |= (u64)irq->priority << (8 * i);
		}
		return true;
	}
	if (off >= GICD_ICFGR && off < GICD_ICFGR + 0x100) {
		first = (off - GICD_ICFGR) * 4;
		if (len != 4)
			return true;
		for (i = 0; i < 16; i++) {
			struct mkvm_irq *irq = first + i >= lo && first + i < hi ?
				vgic_irq(vm, vcpu, first + i) : NULL;

			if (!irq)
				continue;
			if (!write)
				*val |= (u64)(irq->level ? 0 : 2) << (2 * i);
			else if (first + i >= 16)	/* SGIs stay edge */
				irq->level = !(*val & BIT(2 * i + 1));
		}
		return true;
	}
	return false;
}

/**
 * vgic_dist_read_unlocked() - read a distributor register that holds no
 * interrupt's state; no lock needed
 * @vm:		the VM, its vGIC initialised
 * @off:	the offset in the distributor's frame
 * @val:	set to the register's value
 *
 * GICD_CTLR (its group enables are one word, written whole), GICD_TYPER,
 * GICD_IIDR and GICD_PIDR2 (fixed once the vGIC is initialised; the ITS
 * flag only goes from false to true).  A guest reads GICD_CTLR after each
 * enable or disable (RWP), so these skip the vGIC lock, as KVM's reads
 * of them take none.
 * Return: false for another offset (*@val untouched).
 */
bool vgic_dist_read_unlocked(struct mkvm_vm *vm, u32 off, u64 *val)
{
	struct mkvm_vgic *v = &vm->arch.vgic;

	switch (off) {
	case GICD_CTLR:
		*val = READ_ONCE(v->ctlr) | GICD_CTLR_ARE_NS | GICD_CTLR_DS;
		return true;
	case GICD_TYPER:
		/* IDbits: 10, or 16 with an ITS (LPIs), as KVM. */
		*val = v->nr_irqs / 32 - 1;
		if (READ_ONCE(v->has_its))
			*val |= GICD_TYPER_LPIS |
				(MKVM_LPI_ID_BITS - 1) << TYPER_IDBITS_SHIFT;
		else
			*val |= 9 << TYPER_IDBITS_SHIFT;
		return true;
	case GICD_IIDR:
		*val = IIDR_VALUE;
		return true;
	case GICD_PIDR2:
		*val = PIDR2_VALUE;
		return true;
	}
	return false;
}

/**
 * vgic_dist_access() - an access to the distributor, vGIC lock held
 * @vm:		the VM
 * @off:	the offset in its frame, aligned to @len
 * @write:	a write of *@val, else a read into it
 * @val:	the value
 * @len:	the access size in bytes
 *
 * From the guest (mkvm_vgic_mmio()) and the VMM (the DIST_REGS group).
 */
void vgic_dist_access(struct mkvm_vm *vm, u32 off, bool write, u64 *val,
		      unsigned int len)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_irq *irq;

	switch (off) {
	case GICD_CTLR:
		if (!write)
			break;
		WRITE_ONCE(v->ctlr, *val & (GICD_CTLR_ENABLE_G1A | BIT(0)));
		return;
	case GICD_TYPER:
	case GICD_IIDR:
	case GICD_PIDR2:
		if (write)	/* read-only */
			return;
		break;
	}
	if (!write && vgic_dist_read_unlocked(vm, off, val))
		return;
	if (off >= GICD_IROUTER && off < GICD_IROUTER + 8 * 1020) {
		u32 intid = (off - GICD_IROUTER) / 8;
		bool high = off & 4;

		irq = intid >= 32 ? vgic_irq(vm, NULL, intid) : NULL;
		if (!irq || (len == 8 && high))
			return;
		/* Affinity only; IRM (1 of N) is not offered, as in KVM. */
		if (!write) {
			u64 r = (irq->route & 0xffffff) |
				((irq->route >> 32 & 0xff) << 32);
			*val = high ? r >> 32 : (len == 4 ? (u32)r : r);
		} else if (high) {
			vgic_spi_set_route(vm, irq, (irq->route & 0xffffff) |
					       ((u64)(*val & 0xff) << 32));
		} else if (len == 8) {
			vgic_spi_set_route(vm, irq, (*val & 0xffffff) |
					       ((*val >> 32 & 0xff) << 32));
		} else {
			vgic_spi_set_route(vm, irq, (irq->route & ~0xffffffULL) |
					       (*val & 0xffffff));
		}
		return;
	}
	vgic_shared_regs(vm, NULL, off, write, val, len);
}
