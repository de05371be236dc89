// SPDX-License-Identifier: GPL-2.0
/*
 * The vGIC's redistributors, one per vCPU: where their frames are (the
 * regions KVM_VGIC_V3_ADDR_TYPE_REDIST and _REDIST_REGION set, and the
 * rules KVM checks on them), the RD_base frame's registers, including the
 * LPI ones (GICR_CTLR.EnableLPIs, GICR_PROPBASER, GICR_PENDBASER), and the
 * SGI_base frame, whose registers are laid out as the distributor's
 * (vgic_shared_regs() in vgic-dist.c).  IHI 0069, 12.10 and 12.11.
 */
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/slab.h>
#include "virt/mkvm.h"
#include <mkvm/vgic.h>
#include "vgic-internal.h"

#define REDIST_SIZE		(2 * SZ_64K)	/* RD_base + SGI_base frames */
/* GICR_PROPBASER/PENDBASER bits that read as zero (RES0), as KVM. */
#define PROPBASER_RES0		(GENMASK_ULL(63, 59) | GENMASK_ULL(55, 52) | \
				 GENMASK_ULL(6, 5))
#define PENDBASER_RES0		(BIT_ULL(63) | GENMASK_ULL(61, 59) | \
				 GENMASK_ULL(55, 52) | GENMASK_ULL(15, 12) | \
				 GENMASK_ULL(6, 0))

/* How many frames @r holds with @nr_vcpus vCPUs (the legacy one: all). */
static u64 rdreg_size(const struct mkvm_rdreg *r, int nr_vcpus)
{
	return (u64)(r->count ?: nr_vcpus) * REDIST_SIZE;
}

/**
 * vgic_rd_frame() - where vCPU @idx's redistributor is
 * @vm:		the VM
 * @idx:	the vCPU's index
 * @last:	set: is it the last of a contiguous run of frames in use
 *		(GICR_TYPER.Last)?
 *
 * The regions fill in index order, vCPUs in creation order, as KVM
 * assigns them.  No lock: the regions only grow, published with a release.
 * Return: its base, or MKVM_VGIC_ADDR_UNDEF if no region has room.
 */
u64 vgic_rd_frame(struct mkvm_vm *vm, int idx, bool *last)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	/* Pairs with the release in vgic_rdreg_add(): the entries are set. */
	unsigned int nr = smp_load_acquire(&v->nr_rdregs), i, j;
	int n = mkvm_nr_vcpus(vm), start = 0, jstart;

	for (i = 0; i < nr; i++) {
		const struct mkvm_rdreg *r = &v->rdregs[i];
		int cap = r->count ?: INT_MAX, slot = idx - start;
		u64 end = r->base + (u64)r->count * REDIST_SIZE;

		if (slot >= cap) {
			start += cap;
			continue;
		}
		*last = slot == min(cap, n - start) - 1;
		/* A full region followed, end to end, by one in use. */
		if (*last && r->count && slot == cap - 1)
			for (j = 0, jstart = 0; j < nr; j++) {
				if (v->rdregs[j].base == end && n > jstart)
					*last = false;
				if (!v->rdregs[j].count)
					break;
				jstart += v->rdregs[j].count;
			}
		return r->base + (u64)slot * REDIST_SIZE;
	}
	return MKVM_VGIC_ADDR_UNDEF;
}

/**
 * vgic_rd_vcpu() - the vCPU whose redistributor frames hold @ipa
 * @vm:		the VM
 * @ipa:	the guest physical address
 * @off:	set: @ipa's offset in those frames
 *
 * Return: the vCPU, or NULL.
 */
struct mkvm_vcpu *vgic_rd_vcpu(struct mkvm_vm *vm, u64 ipa, u32 *off)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	/* Pairs with the release in vgic_rdreg_add(): the entries are set. */
	unsigned int nr = smp_load_acquire(&v->nr_rdregs), i;
	int n = mkvm_nr_vcpus(vm), start = 0;
	u64 slot;

	/*
	 * On every MMIO access the distributor does not take, the VMM's
	 * devices' included: one step per region, not per vCPU.  Region i
	 * holds vCPUs start.. in its frames, as vgic_rd_frame() lays them.
	 */
	for (i = 0; i < nr && start < n; i++) {
		const struct mkvm_rdreg *r = &v->rdregs[i];

		slot = (ipa - r->base) / REDIST_SIZE;
		if (ipa >= r->base && slot < n - start &&
		    (!r->count || slot < r->count)) {
			*off = (ipa - r->base) % REDIST_SIZE;
			return vm->vcpus[start + slot];
		}
		if (!r->count)		/* the legacy region: every vCPU */
			break;
		start += r->count;
	}
	return NULL;
}

/* KVM's vgic_check_iorange() for a range not yet set. */
static int check_iorange(struct mkvm_vm *vm, u64 base, u64 size)
{
	if (!IS_ALIGNED(base, SZ_64K) || !IS_ALIGNED(size, SZ_64K))
		return -EINVAL;
	if (base + size < base)
		return -EINVAL;
	if (base + size > BIT_ULL(vm->arch.ipa_bits))
		return -E2BIG;
	return 0;
}

static bool overlaps(u64 a, u64 asize, u64 b, u64 bsize)
{
	return a + asize > b && a < b + bsize;
}

static bool rdreg_overlap(struct mkvm_vm *vm, u64 base, u64 size)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	unsigned int i;

	for (i = 0; i < v->nr_rdregs; i++)
		if (overlaps(base, size, v->rdregs[i].base,
			     rdreg_size(&v->rdregs[i], vm->nr_vcpus)))
			return true;
	return false;
}

/**
 * vgic_rd_layout_ok() - KVM's vgic_v3_check_base(): every region inside
 * the IPA space and none over the distributor
 * @vm:		the VM, vm->lock held
 *
 * Made when a vCPU gets its frame, and at first run.
 * Return: true if the layout is sound.
 */
bool vgic_rd_layout_ok(struct mkvm_vm *vm)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	unsigned int i;

	for (i = 0; i < v->nr_rdregs; i++)
		if (check_iorange(vm, v->rdregs[i].base,
				  rdreg_size(&v->rdregs[i], vm->nr_vcpus)))
			return false;
	return v->dist_base == MKVM_VGIC_ADDR_UNDEF ||
	       !rdreg_overlap(vm, v->dist_base, DIST_SIZE);
}

/* How many vCPUs the regions have frames for (INT_MAX: a legacy one). */
static int rd_slots(struct mkvm_vgic *v)
{
	unsigned int i;
	int slots = 0;

	for (i = 0; i < v->nr_rdregs; i++) {
		if (!v->rdregs[i].count)
			return INT_MAX;
		slots += v->rdregs[i].count;
	}
	return slots;
}

/**
 * vgic_rdreg_add() - add a redistributor region (KVM's
 * vgic_v3_alloc_redist_region() and vgic_v3_set_redist_base())
 * @vm:		the VM, vm->lock held
 * @index:	the region's index
 * @base:	its guest physical base
 * @count:	its number of frames; 0 is the legacy single region
 *
 * Return: 0, -EINVAL (index out of order, legacy and counted regions
 * mixed, misaligned, overlapping another region - or the distributor, for
 * the legacy one or once a vCPU gets a frame in it), -EEXIST (a second
 * legacy region), -E2BIG (beyond the IPA space), -ENOMEM.
 */
int vgic_rdreg_add(struct mkvm_vm *vm, u32 index, u64 base, u32 count)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_rdreg r = { .base = base, .count = count };
	u64 size = rdreg_size(&r, vm->nr_vcpus);
	int ret, before;

	if (base + size < base)
		return -EINVAL;
	if (!v->nr_rdregs) {
		if (index != 0)
			return -EINVAL;
	} else {
		if (!count && v->rdregs[v->nr_rdregs - 1].count)
			return -EINVAL;
		if (!count)
			return -EEXIST;
		if (index != v->nr_rdregs)
			return -EINVAL;
	}
	if (!count && v->dist_base != MKVM_VGIC_ADDR_UNDEF &&
	    overlaps(base, size, v->dist_base, DIST_SIZE))
		return -EINVAL;
	if (rdreg_overlap(vm, base, size))
		return -EINVAL;
	ret = check_iorange(vm, base, size);
	if (ret)
		return ret;
	if (!v->rdregs) {
		v->rdregs = kcalloc(MKVM_VGIC_MAX_RDREGS, sizeof(*v->rdregs),
				    GFP_KERNEL_ACCOUNT);
		if (!v->rdregs)
			return -ENOMEM;
	}
	before = rd_slots(v);
	v->rdregs[v->nr_rdregs] = r;
	/* Pairs with the acquire in vgic_rd_frame(). */
	smp_store_release(&v->nr_rdregs, v->nr_rdregs + 1);
	/* A vCPU without a frame gets one here: KVM checks the layout. */
	if (vm->nr_vcpus > before && !vgic_rd_layout_ok(vm)) {
		/* Withdrawn; no vCPU runs before the layout is checked. */
		smp_store_release(&v->nr_rdregs, v->nr_rdregs - 1);
		return -EINVAL;
	}
	return 0;
}

/*
 * A memory-attribute field of a GIC BASER register, made one KVM keeps:
 * shareability at most Inner Shareable, inner cacheability cacheable,
 * outer cacheability Non-cacheable or as inner (vgic-mmio-v3.c).
 */
static u64 sanitise_field(u64 reg, unsigned int shift, u64 mask,
			  u64 (*fn)(u64 field))
{
	return (reg & ~(mask << shift)) | fn((reg >> shift) & mask) << shift;
}

static u64 sane_shareability(u64 f)
{
	return f == GIC_BASER_OuterShareable ? GIC_BASER_InnerShareable : f;
}

static u64 sane_inner(u64 f)
{
	return f == GIC_BASER_CACHE_nCnB || f == GIC_BASER_CACHE_nC ?
	       GIC_BASER_CACHE_RaWb : f;
}

static u64 sane_outer(u64 f)
{
	return f == GIC_BASER_CACHE_nC ? f : GIC_BASER_CACHE_SameAsInner;
}

/**
 * mkvm_gic_sanitise_baser() - the memory attributes of a GIC BASER
 * register (GICR_PROPBASER/PENDBASER, GITS_CBASER/BASER<n>) as KVM keeps
 * them: the guest reads back what the emulation honours
 * @reg:	the value written
 * @sh_shift:	where its Shareability field is
 * @inner_shift: where its InnerCache field is
 * @outer_shift: where its OuterCache field is
 *
 * Return: @reg with those fields sanitised.
 */
u64 mkvm_gic_sanitise_baser(u64 reg, unsigned int sh_shift,
			    unsigned int inner_shift, unsigned int outer_shift)
{
	reg = sanitise_field(reg, sh_shift, 3, sane_shareability);
	reg = sanitise_field(reg, inner_shift, GIC_BASER_CACHE_MASK, sane_inner);
	return sanitise_field(reg, outer_shift, GIC_BASER_CACHE_MASK, sane_outer);
}

/*
 * GICR_CTLR.EnableLPIs, and the LPI tables' registers, which may change
 * only while LPIs are off (IHI 0069, 12.11.2; KVM ignores such writes).
 * PROPBASER is one register for the VM, as KVM makes it.  vGIC lock held.
 */
static void redist_lpi_access(struct mkvm_vcpu *vcpu, u32 off, bool write,
			      u64 *val, unsigned int len)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	struct mkvm_vgic_cpu *c = &vcpu->arch.vgic;
	bool high = off & 4;
	u64 reg;

	switch (off & ~7) {
	case GICR_CTLR:
		if (!write) {
			*val = c->lpis_enabled ? GICR_CTLR_ENABLE_LPIS : 0;
			return;
		}
		if (!v->has_its || !(*val & GICR_CTLR_ENABLE_LPIS) ==
				   !c->lpis_enabled)
			return;
		WRITE_ONCE(c->lpis_enabled, *val & GICR_CTLR_ENABLE_LPIS);
		/* LPIs off: their pending state goes (IHI 0069, 5.1.1). */
		if (!c->lpis_enabled)
			mkvm_lpis_disable(vcpu);
		return;
	case GICR_PROPBASER:
		if (!write) {
			*val = mkvm_gic_reg64_read(v->propbaser, high, len);
			return;
		}
		if (c->lpis_enabled)
			return;
		reg = mkvm_gic_reg64_update(v->propbaser, high, len, *val);
		reg = mkvm_gic_sanitise_baser(reg, GICR_PROPBASER_SHAREABILITY_SHIFT,
					      GICR_PROPBASER_INNER_CACHEABILITY_SHIFT,
					      GICR_PROPBASER_OUTER_CACHEABILITY_SHIFT);
		WRITE_ONCE(v->propbaser, reg & ~PROPBASER_RES0);
		return;
	case GICR_PENDBASER:
		if (!write) {
			/* PTZ is write-only: reads as 0. */
			*val = mkvm_gic_reg64_read(c->pendbaser &
						   ~GICR_PENDBASER_PTZ,
						   high, len);
			return;
		}
		if (c->lpis_enabled)
			return;
		reg = mkvm_gic_reg64_update(c->pendbaser, high, len, *val);
		reg = mkvm_gic_sanitise_baser(reg, GICR_PENDBASER_SHAREABILITY_SHIFT,
					      GICR_PENDBASER_INNER_CACHEABILITY_SHIFT,
					      GICR_PENDBASER_OUTER_CACHEABILITY_SHIFT);
		c->pendbaser = reg & ~PENDBASER_RES0;
		return;
	}
}

/**
 * vgic_redist_lpis_enabled() - after a GICR_CTLR write, with no lock held
 * @vcpu:	the redistributor's vCPU
 * @was:	GICR_CTLR.EnableLPIs before the write
 *
 * LPIs just enabled, and no PENDBASER.PTZ: load their pending state from
 * the table (KVM's vgic_enable_lpis()).
 */
void vgic_redist_lpis_enabled(struct mkvm_vcpu *vcpu, bool was)
{
	if (!was && READ_ONCE(vcpu->arch.vgic.lpis_enabled) &&
	    !(READ_ONCE(vcpu->arch.vgic.pendbaser) & GICR_PENDBASER_PTZ))
		mkvm_lpis_load_pending(vcpu);
}

/**
 * vgic_redist_access() - an access to a redistributor, vGIC lock held
 * @vcpu:	the redistributor's vCPU
 * @off:	the offset in its frames (RD_base, then SGI_base at 64 KiB),
 *		aligned to @len
 * @write:	a write of *@val, else a read into it
 * @val:	the value
 * @len:	the access size in bytes
 *
 * From the guest (mkvm_vgic_mmio()) and the VMM (the REDIST_REGS group).
 * GICR_INVLPIR and GICR_INVALLR are not here: they may sleep, and
 * mkvm_vgic_mmio() handles them before taking the lock.
 */
void vgic_redist_access(struct mkvm_vcpu *vcpu, u32 off, bool write,
			u64 *val, unsigned int len)
{
	struct mkvm_vm *vm = vcpu->vm;
	u64 mpidr = vcpu->arch.mpidr;
	bool last = false;
	u64 typer;
	int i;

	if (off >= SZ_64K) {		/* SGI_base frame */
		vgic_shared_regs(vm, vcpu, off - SZ_64K, write, val, len);
		return;
	}
	switch (off) {
	case GICR_CTLR:
		if (len == 4)
			redist_lpi_access(vcpu, off, write, val, len);
		return;
	case GICR_PROPBASER:
	case GICR_PROPBASER + 4:
	case GICR_PENDBASER:
	case GICR_PENDBASER + 4:
		if (len == 4 || !(off & 4))
			redist_lpi_access(vcpu, off, write, val, len);
		return;
	case GICR_IIDR:
		if (!write)
			*val = IIDR_VALUE;
		return;
	case GICR_TYPER:
	case GICR_TYPER + 4:
		if (write)
			return;
		typer = ((mpidr & 0xffffff) | ((mpidr >> 32 & 0xff) << 24)) << 32 |
			(u64)vcpu->id << 8;
		for (i = 0; i < mkvm_nr_vcpus(vm); i++)
			if (vm->vcpus[i] == vcpu)
				vgic_rd_frame(vm, i, &last);
		if (last)
			typer |= GICR_TYPER_LAST;
		if (READ_ONCE(vm->arch.vgic.has_its))
			typer |= GICR_TYPER_PLPIS;
		*val = off == GICR_TYPER + 4 ? typer >> 32 :
		       (len == 8 ? typer : (u32)typer);
		return;
	case GICR_WAKER:
		if (write)
			vcpu->arch.vgic.sleep = *val & GICR_WAKER_ProcessorSleep;
		else
			*val = vcpu->arch.vgic.sleep ?
			       GICR_WAKER_ProcessorSleep |
			       GICR_WAKER_ChildrenAsleep : 0;
		return;
	case GICR_PIDR2:
		if (!write)
			*val = PIDR2_VALUE;
		return;
	}
	/*
	 * GICR_STATUSR, GICR_SYNCR (never busy: GICR_INVLPIR and INVALLR
	 * complete before the guest moves on) and the rest: RAZ/WI.
	 */
}
