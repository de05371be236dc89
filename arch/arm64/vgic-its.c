// SPDX-License-Identifier: GPL-2.0
/*
 * LPIs and the GICv3 Interrupt Translation Service, emulated the KVM way
 * (KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_ITS), with the attributes and
 * errors of Documentation/virt/kvm/devices/arm-vgic-its.rst; the
 * architecture is Arm IHI 0069, chapters 5 and 6).
 *
 * An MSI names a device and an event.  The ITS translates the pair, through
 * what the guest's commands mapped, into an LPI and a collection, and the
 * collection into the vCPU whose redistributor gets it.  The guest's
 * commands come through a ring in its memory (GITS_CBASER), read when the
 * guest moves GITS_CWRITER; the translations live here, in lists, as in
 * KVM, and not in the guest's device and collection tables: those only
 * bound the IDs the guest may use.
 *
 * Locks, outermost first:
 * - its->cmd_lock (mutex): the command queue and the registers that
 *   configure the ITS.  Commands are read from guest memory with it held,
 *   and only it: a read may fault in the page and sleep.
 * - its->lock (mutex): devices, their translations (ITEs), collections,
 *   GITS_CTLR.Enable.  No guest memory is touched under it.
 * - the vGIC lock (spinlock, interrupts off): every LPI's state, the LPI
 *   table (an xarray by INTID) and the list of live LPIs the list-register
 *   flush walks.
 * - its->cache_lock (spinlock, interrupts off): the translation cache,
 *   taken before the vGIC lock.
 * An MSI from an irqfd comes from an eventfd's wakeup, which cannot take a
 * mutex.  A translation made once is cached (device, event -> LPI, as
 * KVM's translation cache), so a device raising the same MSI again is
 * delivered right there; on a miss virt/eventfd.c hands the MSI to a work
 * item, which translates it under the mutexes and fills the cache.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/bitfield.h>
#include <linux/file.h>
#include <linux/irqchip/arm-gic-v3.h>
#include <linux/kvm.h>
#include <linux/list_sort.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include "virt/mkvm.h"
#include <mkvm/run.h>
#include <mkvm/vgic.h>

#define ITS_SIZE		(2 * SZ_64K)	/* control + translation frames */
#define ITS_CMD_SIZE		32
/* As KVM: 16 bits of device ID and of event ID, 8-byte table entries. */
#define ITS_DEVBITS		16
#define ITS_EVENTBITS		16
#define ITS_ESZ			8
#define ITS_COLLBITS		16		/* GITS_TYPER.CIL = 0 */
#define COLL_UNMAPPED		U32_MAX
#define IIDR_VALUE		(0x4b << GITS_IIDR_PRODUCTID_SHIFT | 0x43b)
#define CBASER_SIZE(r)		((((r) & 0xff) + 1) << 12)
#define CWRITER_OFFSET		GENMASK_ULL(19, 5)
/* GITS_BASER<n> fields the guest cannot write: entry size, type. */
#define BASER_RO		(GENMASK_ULL(52, 48) | GENMASK_ULL(58, 56))
#define LPI_PROP_PRIORITY(p)	((p) & 0xfc)
#define ITS_CACHE_SIZE		16

struct its_coll {
	struct list_head link;		/* its->colls */
	u32 id;
	u32 target;			/* vCPU id, or COLL_UNMAPPED */
};

/* An Interrupt Translation Entry: event -> LPI, collection. */
struct its_ite {
	struct list_head link;		/* dev->ites */
	u32 event;
	struct its_coll *coll;		/* NULL once MAPC unmapped it */
	struct mkvm_lpi *lpi;		/* holds a reference */
};

struct its_dev {
	struct list_head link;		/* its->devs */
	u32 id;
	u32 event_bits;			/* MAPD's size: events < 2^bits */
	u64 itt;
	struct list_head ites;
};

/* A translation the wakeup of an irqfd may use: holds a reference. */
struct its_cache_entry {
	u32 devid, event;
	struct mkvm_lpi *lpi;		/* NULL: a free entry */
};

struct mkvm_its {
	struct mkvm_vm *vm;
	struct list_head link;		/* vgic.its_list */
	u64 base;			/* MKVM_VGIC_ADDR_UNDEF until set */
	struct mutex cmd_lock;		/* the queue, the registers below */
	u64 cbaser, creadr, cwriter;
	u64 baser_dev, baser_coll;
	struct mutex lock;		/* the translations, @enabled */
	bool enabled;
	struct list_head devs, colls;
	spinlock_t cache_lock;		/* @cache, @cache_next */
	struct its_cache_entry cache[ITS_CACHE_SIZE];
	unsigned int cache_next;	/* the next entry replaced */
};

/* ---- guest memory --------------------------------------------------- */

/* Is @gpa guest RAM (KVM's kvm_is_visible_gfn())? */
static bool gpa_visible(struct mkvm_vm *vm, u64 gpa)
{
	bool ret;

	spin_lock(&vm->mmu_lock);
	ret = mkvm_gfn_to_slot(vm, gpa >> PAGE_SHIFT);
	spin_unlock(&vm->mmu_lock);
	return ret;
}

static struct mkvm_vcpu *vcpu_by_id(struct mkvm_vm *vm, u32 id)
{
	int i, n = mkvm_nr_vcpus(vm);

	for (i = 0; i < n; i++)
		if (vm->vcpus[i]->id == id)
			return vm->vcpus[i];
	return NULL;
}

static void kick(struct mkvm_vcpu *vcpu)
{
	if (vcpu)
		mkvm_vcpu_kick(vcpu);
}

/* ---- LPIs ------------------------------------------------------------ */

/* How many INTIDs GICR_PROPBASER.IDbits covers, at most 2^16 (KVM). */
static u32 lpi_limit(u64 propbaser)
{
	u32 bits = (propbaser & GICR_PROPBASER_IDBITS_MASK) + 1;

	return 1U << min_t(u32, bits, MKVM_LPI_ID_BITS);
}

/* LPI @intid's byte of the guest's configuration table. */
static int lpi_read_prop(struct mkvm_vm *vm, u32 intid, u8 *prop)
{
	u64 propbaser = READ_ONCE(vm->arch.vgic.propbaser);

	return mkvm_read_guest(vm, GICR_PROPBASER_ADDRESS(propbaser) + intid -
			  MKVM_LPI_FIRST, prop, 1);
}

/*
 * Whether LPI @intid is pending in @vcpu's pending table, the bit then
 * consumed (cleared), as KVM does when it makes an LPI: a restored VM's
 * pending LPIs come back this way.  0 without a table or a vCPU.
 */
static bool lpi_take_pending(struct mkvm_vcpu *vcpu, u32 intid)
{
	u64 gpa;
	u8 byte;

	if (!vcpu)
		return false;
	gpa = GICR_PENDBASER_ADDRESS(READ_ONCE(vcpu->arch.vgic.pendbaser)) +
	      intid / 8;
	if (mkvm_read_guest(vcpu->vm, gpa, &byte, 1) || !(byte & BIT(intid % 8)))
		return false;
	byte &= ~BIT(intid % 8);
	mkvm_write_guest(vcpu->vm, gpa, &byte, 1);
	return true;
}

static void lpi_set_prop(struct mkvm_lpi *lpi, u8 prop)
{
	lpi->irq.priority = LPI_PROP_PRIORITY(prop);
	lpi->irq.enabled = prop & LPI_PROP_ENABLED;
}

/*
 * The LPI @intid, with one more reference: found, or made with @prop and
 * @target.  its->lock held, not the vGIC lock (allocates).
 */
static struct mkvm_lpi *lpi_get(struct mkvm_vm *vm, u32 intid, u8 prop,
				struct mkvm_vcpu *target, bool pending)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_lpi *lpi, *new;
	int ret;

	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return ERR_PTR(-ENOMEM);
	/* The slot exists before the lock: storing then cannot allocate. */
	ret = xa_reserve_irq(&v->lpis, intid, GFP_KERNEL_ACCOUNT);
	if (ret) {
		kfree(new);
		return ERR_PTR(ret);
	}
	spin_lock_irq(&v->lock);
	lpi = xa_load(&v->lpis, intid);
	if (lpi) {
		/* Another ITS, or another event, maps it already. */
		lpi->refs++;
		spin_unlock_irq(&v->lock);
		kfree(new);
		return lpi;
	}
	new->irq.intid = intid;
	new->irq.group1 = true;
	new->irq.target = target;
	new->irq.pending_latch = pending;
	lpi_set_prop(new, prop);
	INIT_LIST_HEAD(&new->live);
	new->refs = 1;
	ret = xa_err(xa_store(&v->lpis, intid, new, GFP_ATOMIC));
	if (ret) {
		xa_release(&v->lpis, intid);
		spin_unlock_irq(&v->lock);
		kfree(new);
		return ERR_PTR(ret);
	}
	mkvm_vgic_irq_update(vm, NULL, &new->irq);
	spin_unlock_irq(&v->lock);
	kick(pending ? target : NULL);
	return new;
}

/*
 * Drop a reference; the last one removes the LPI.  A list register may
 * still hold its INTID: mkvm_vgic_sync() finds nothing and moves on.
 */
static void lpi_put(struct mkvm_vm *vm, struct mkvm_lpi *lpi)
{
	struct mkvm_vgic *v = &vm->arch.vgic;

	spin_lock_irq(&v->lock);
	if (--lpi->refs) {
		spin_unlock_irq(&v->lock);
		return;
	}
	xa_erase(&v->lpis, lpi->irq.intid);
	list_del(&lpi->live);
	spin_unlock_irq(&v->lock);
	kfree(lpi);
}

/* LPI @intid goes to @vcpu from now on (NULL: nowhere). */
static void lpi_set_target(struct mkvm_vm *vm, struct mkvm_lpi *lpi,
			   struct mkvm_vcpu *vcpu)
{
	spin_lock_irq(&vm->arch.vgic.lock);
	lpi->irq.target = vcpu;
	spin_unlock_irq(&vm->arch.vgic.lock);
	kick(vcpu);
}

/*
 * Read LPI @intid's configuration again (INV, GICR_INVLPIR, INVALL); with
 * @only, only if it targets that vCPU.  No lock held.
 */
static void lpi_update_prop(struct mkvm_vm *vm, u32 intid,
			    struct mkvm_vcpu *only)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_vcpu *target = NULL;
	struct mkvm_lpi *lpi;
	u8 prop;

	/* No table read for an LPI nothing maps (GICR_INVLPIR takes any). */
	if (!xa_load(&v->lpis, intid) || lpi_read_prop(vm, intid, &prop))
		return;
	spin_lock_irq(&v->lock);
	lpi = xa_load(&v->lpis, intid);
	if (lpi && (!only || lpi->irq.target == only)) {
		lpi_set_prop(lpi, prop);
		target = lpi->irq.target;
	}
	spin_unlock_irq(&v->lock);
	/* Enabled and pending: it may be due now. */
	kick(target);
}

/**
 * mkvm_lpi_inv() - GICR_INVLPIR: read an LPI's configuration again
 * @vm:		the VM
 * @intid:	the LPI
 *
 * No lock held: the guest's configuration table is read.
 */
void mkvm_lpi_inv(struct mkvm_vm *vm, u32 intid)
{
	lpi_update_prop(vm, intid, NULL);
}

/**
 * mkvm_lpi_invall() - GICR_INVALLR, INVALL: read the configuration of
 * every LPI targeting @vcpu again
 * @vcpu:	the redistributor's vCPU
 *
 * One table byte per mapped LPI, as KVM; no lock held across the reads,
 * and a reschedule point between them (a guest may map many LPIs).
 */
void mkvm_lpi_invall(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vm *vm = vcpu->vm;
	unsigned long intid;
	struct mkvm_lpi *lpi;

	/* Only the index is used: the entry may go meanwhile. */
	xa_for_each(&vm->arch.vgic.lpis, intid, lpi) {
		lpi_update_prop(vm, intid, vcpu);
		cond_resched();
	}
}

/**
 * mkvm_lpis_load_pending() - GICR_CTLR.EnableLPIs set (without
 * GICR_PENDBASER.PTZ): the pending state of @vcpu's LPIs from its pending
 * table, as KVM reads it then
 * @vcpu:	the redistributor's vCPU, no lock held
 *
 * One byte read per LPI targeting @vcpu (a restored VM's redistributor
 * gets its LPIs' state back this way), no lock held across a read.
 */
void mkvm_lpis_load_pending(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	struct mkvm_lpi *entry, *lpi;
	unsigned long intid;
	bool mine;
	u64 gpa;
	u8 byte;

	xa_for_each(&v->lpis, intid, entry) {
		spin_lock_irq(&v->lock);
		lpi = xa_load(&v->lpis, intid);
		mine = lpi && lpi->irq.target == vcpu;
		spin_unlock_irq(&v->lock);
		gpa = GICR_PENDBASER_ADDRESS(READ_ONCE(vcpu->arch.vgic.pendbaser)) +
		      intid / 8;
		if (!mine || mkvm_read_guest(vcpu->vm, gpa, &byte, 1))
			continue;
		spin_lock_irq(&v->lock);
		lpi = xa_load(&v->lpis, intid);
		if (lpi && lpi->irq.target == vcpu) {
			lpi->irq.pending_latch = byte & BIT(intid % 8);
			mkvm_vgic_irq_update(vcpu->vm, NULL, &lpi->irq);
		}
		spin_unlock_irq(&v->lock);
		cond_resched();
	}
	kick(vcpu);
}

/**
 * mkvm_lpis_disable() - GICR_CTLR.EnableLPIs cleared: no LPI of @vcpu
 * stays pending
 * @vcpu:	the vCPU, vGIC lock held
 *
 * Walks only the live LPIs, as the list-register flush does.
 */
void mkvm_lpis_disable(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vgic *v = &vcpu->vm->arch.vgic;
	struct mkvm_lpi *lpi, *tmp;

	list_for_each_entry_safe(lpi, tmp, &v->lpi_live, live) {
		if (lpi->irq.target != vcpu)
			continue;
		lpi->irq.pending_latch = false;
		mkvm_vgic_irq_update(vcpu->vm, NULL, &lpi->irq);
	}
}

/* ---- the translation cache -------------------------------------------- */

/*
 * Forget every cached translation: whenever one may have changed (an ITE
 * or a collection goes, the ITS is turned off).  An LPI that moves (MOVI,
 * MAPC, MOVALL) needs nothing: its target is read as it is delivered.
 * The references go after the lock: the last one frees the LPI.
 */
static void cache_flush(struct mkvm_its *its)
{
	struct mkvm_lpi *old[ITS_CACHE_SIZE];
	unsigned long flags;
	int i;

	spin_lock_irqsave(&its->cache_lock, flags);
	for (i = 0; i < ITS_CACHE_SIZE; i++) {
		old[i] = its->cache[i].lpi;
		its->cache[i].lpi = NULL;
	}
	spin_unlock_irqrestore(&its->cache_lock, flags);
	for (i = 0; i < ITS_CACHE_SIZE; i++)
		if (old[i])
			lpi_put(its->vm, old[i]);
}

/* Remember (@devid, @event) -> @lpi, just delivered.  its->lock held. */
static void cache_add(struct mkvm_its *its, u32 devid, u32 event,
		      struct mkvm_lpi *lpi)
{
	struct mkvm_vgic *v = &its->vm->arch.vgic;
	struct mkvm_lpi *old = NULL;
	struct its_cache_entry *e;
	unsigned long flags;
	int i;

	spin_lock_irqsave(&its->cache_lock, flags);
	for (i = 0; i < ITS_CACHE_SIZE; i++)
		if (its->cache[i].lpi && its->cache[i].devid == devid &&
		    its->cache[i].event == event)
			goto unlock;
	e = &its->cache[its->cache_next++ % ITS_CACHE_SIZE];
	old = e->lpi;
	spin_lock(&v->lock);
	lpi->refs++;
	spin_unlock(&v->lock);
	e->devid = devid;
	e->event = event;
	e->lpi = lpi;
unlock:
	spin_unlock_irqrestore(&its->cache_lock, flags);
	if (old)
		lpi_put(its->vm, old);
}

/* ---- translations ---------------------------------------------------- */

static struct its_dev *find_dev(struct mkvm_its *its, u32 id)
{
	struct its_dev *dev;

	list_for_each_entry(dev, &its->devs, link)
		if (dev->id == id)
			return dev;
	return NULL;
}

static struct its_ite *find_ite(struct its_dev *dev, u32 event)
{
	struct its_ite *ite;

	if (!dev)
		return NULL;
	list_for_each_entry(ite, &dev->ites, link)
		if (ite->event == event)
			return ite;
	return NULL;
}

static struct its_coll *find_coll(struct mkvm_its *its, u32 id)
{
	struct its_coll *coll;

	list_for_each_entry(coll, &its->colls, link)
		if (coll->id == id)
			return coll;
	return NULL;
}

static struct mkvm_vcpu *coll_vcpu(struct mkvm_its *its,
				   const struct its_coll *coll)
{
	if (!coll || coll->target == COLL_UNMAPPED)
		return NULL;
	return vcpu_by_id(its->vm, coll->target);
}

static void free_ite(struct mkvm_its *its, struct its_ite *ite)
{
	cache_flush(its);
	list_del(&ite->link);
	lpi_put(its->vm, ite->lpi);
	kfree(ite);
}

static void free_dev(struct mkvm_its *its, struct its_dev *dev)
{
	struct its_ite *ite, *tmp;

	list_for_each_entry_safe(ite, tmp, &dev->ites, link)
		free_ite(its, ite);
	list_del(&dev->link);
	kfree(dev);
}

/* An unmapped collection: its ITEs translate to nothing (as KVM). */
static void free_coll(struct mkvm_its *its, struct its_coll *coll)
{
	struct its_dev *dev;
	struct its_ite *ite;

	cache_flush(its);
	list_for_each_entry(dev, &its->devs, link)
		list_for_each_entry(ite, &dev->ites, link)
			if (ite->coll == coll)
				ite->coll = NULL;
	list_del(&coll->link);
	kfree(coll);
}

static void free_all(struct mkvm_its *its, bool devs, bool colls)
{
	struct its_coll *coll, *ctmp;
	struct its_dev *dev, *dtmp;

	if (devs)
		list_for_each_entry_safe(dev, dtmp, &its->devs, link)
			free_dev(its, dev);
	if (colls)
		list_for_each_entry_safe(coll, ctmp, &its->colls, link)
			free_coll(its, coll);
}

/*
 * Can the guest's table of @baser hold entry @id (KVM's
 * vgic_its_check_id())?  A flat table: the entry inside it and in guest
 * RAM.  A two-level one: the level-1 entry valid, its level-2 page in RAM.
 * Reads guest memory: its->cmd_lock held, not its->lock.
 */
static bool table_entry(struct mkvm_its *its, u64 baser, u32 id, u32 max,
			u64 *gpa)
{
	u64 l1_size = (u64)GITS_BASER_NR_PAGES(baser) * SZ_64K;
	u64 base = GITS_BASER_ADDR_48_to_52(baser);
	u32 per_page = SZ_64K / ITS_ESZ;
	__le64 l1;
	u64 l2;

	if (!(baser & GITS_BASER_VALID) || id >= max)
		return false;
	if (!(baser & GITS_BASER_INDIRECT)) {
		*gpa = base + (u64)id * ITS_ESZ;
		return id < l1_size / ITS_ESZ && gpa_visible(its->vm, *gpa);
	}
	if (id / per_page >= l1_size / sizeof(l1))
		return false;
	if (mkvm_read_guest(its->vm, base + (id / per_page) * sizeof(l1), &l1,
		       sizeof(l1)))
		return false;
	l2 = le64_to_cpu(l1);
	if (!(l2 & GITS_BASER_VALID))
		return false;
	*gpa = (l2 & GENMASK_ULL(51, 16)) + (id % per_page) * ITS_ESZ;
	return gpa_visible(its->vm, *gpa);
}

static bool table_has_id(struct mkvm_its *its, u64 baser, u32 id, u32 max)
{
	u64 gpa;

	return table_entry(its, baser, id, max, &gpa);
}

/*
 * Make (@devid, @event) pending: INT, or an MSI.  its->lock held.
 * Return: 0; 1 if nothing is mapped for it (the MSI is dropped); -EBUSY
 * with the ITS or the target's LPIs disabled, as KVM.
 */
static int its_trigger(struct mkvm_its *its, u32 devid, u32 event)
{
	struct mkvm_vgic *v = &its->vm->arch.vgic;
	struct mkvm_vcpu *vcpu, *target = NULL;
	struct its_ite *ite;
	int ret = 0;

	if (!its->enabled)
		return -EBUSY;
	ite = find_ite(find_dev(its, devid), event);
	vcpu = ite ? coll_vcpu(its, ite->coll) : NULL;
	if (!vcpu)
		return 1;
	spin_lock_irq(&v->lock);
	if (!vcpu->arch.vgic.lpis_enabled) {
		ret = -EBUSY;
	} else {
		ite->lpi->irq.pending_latch = true;
		mkvm_vgic_irq_update(its->vm, NULL, &ite->lpi->irq);
		/* Where the LPI goes now (MOVALL may have moved it). */
		target = ite->lpi->irq.target;
	}
	spin_unlock_irq(&v->lock);
	kick(target);
	return ret;
}

/* ---- commands (IHI 0069, 6.3) ---------------------------------------- */

static u64 cmd_field(const u64 *cmd, int word, int shift, int bits)
{
	return (cmd[word] >> shift) & GENMASK_ULL(bits - 1, 0);
}

#define cmd_code(c)		cmd_field(c, 0, 0, 8)
#define cmd_devid(c)		((u32)cmd_field(c, 0, 32, 32))
#define cmd_size(c)		((u32)cmd_field(c, 1, 0, 5) + 1)
#define cmd_event(c)		((u32)cmd_field(c, 1, 0, 32))
#define cmd_pintid(c)		((u32)cmd_field(c, 1, 32, 32))
#define cmd_coll(c)		((u32)cmd_field(c, 2, 0, 16))
#define cmd_itt(c)		(cmd_field(c, 2, 8, 44) << 8)
#define cmd_rdbase(c, w)	((u32)cmd_field(c, w, 16, 32))
#define cmd_valid(c)		cmd_field(c, 2, 63, 1)

/*
 * MAPD: map a device to an ITT of 2^size events, or unmap it.  Mapping a
 * mapped device drops its old translations first (as KVM).
 */
static void cmd_mapd(struct mkvm_its *its, const u64 *cmd)
{
	u32 devid = cmd_devid(cmd), bits = cmd_size(cmd);
	struct its_dev *dev, *new = NULL;

	if (!table_has_id(its, its->baser_dev, devid, BIT(ITS_DEVBITS)))
		return;
	if (cmd_valid(cmd)) {
		if (bits > ITS_EVENTBITS)
			return;
		new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
		if (!new)
			return;
		new->id = devid;
		new->event_bits = bits;
		new->itt = cmd_itt(cmd);
		INIT_LIST_HEAD(&new->ites);
	}
	mutex_lock(&its->lock);
	dev = find_dev(its, devid);
	if (dev)
		free_dev(its, dev);
	if (new)
		list_add_tail(&new->link, &its->devs);
	mutex_unlock(&its->lock);
}

/* A collection for @id, unmapped; NULL if the table has no room. */
static struct its_coll *new_coll(struct mkvm_its *its, u32 id)
{
	struct its_coll *coll;

	if (!table_has_id(its, its->baser_coll, id, BIT(ITS_COLLBITS)))
		return NULL;
	coll = kzalloc(sizeof(*coll), GFP_KERNEL_ACCOUNT);
	if (!coll)
		return NULL;
	coll->id = id;
	coll->target = COLL_UNMAPPED;
	return coll;
}

/* MAPC: a collection to a redistributor (GITS_TYPER.PTA = 0: a vCPU id). */
static void cmd_mapc(struct mkvm_its *its, const u64 *cmd)
{
	u32 id = cmd_coll(cmd), target = cmd_rdbase(cmd, 2);
	struct its_coll *coll, *new = NULL;
	struct mkvm_vcpu *vcpu = vcpu_by_id(its->vm, target);
	struct its_dev *dev;
	struct its_ite *ite;

	if (cmd_valid(cmd)) {
		if (!vcpu)
			return;
		/* Made beforehand: the table check reads guest memory. */
		new = new_coll(its, id);
	}
	mutex_lock(&its->lock);
	coll = find_coll(its, id);
	if (!cmd_valid(cmd)) {
		if (coll)
			free_coll(its, coll);
		goto unlock;
	}
	if (!coll) {
		if (!new)
			goto unlock;
		coll = new;
		new = NULL;
		list_add_tail(&coll->link, &its->colls);
	}
	coll->target = target;
	/* Every LPI of the collection follows it (KVM walks them too). */
	list_for_each_entry(dev, &its->devs, link) {
		list_for_each_entry(ite, &dev->ites, link)
			if (ite->coll == coll)
				lpi_set_target(its->vm, ite->lpi, vcpu);
		cond_resched();
	}
unlock:
	mutex_unlock(&its->lock);
	kfree(new);
}

/*
 * MAPTI/MAPI: event -> LPI, collection.  The LPI's configuration is read
 * first, without its->lock.  A second mapping of a mapped event is
 * UNPREDICTABLE: ignored, as KVM.
 */
static void cmd_mapti(struct mkvm_its *its, const u64 *cmd)
{
	u32 devid = cmd_devid(cmd), event = cmd_event(cmd);
	u32 intid = cmd_code(cmd) == GITS_CMD_MAPTI ? cmd_pintid(cmd) : event;
	struct its_coll *coll, *newc;
	struct its_ite *ite;
	struct its_dev *dev;
	struct mkvm_lpi *lpi;
	u8 prop;

	if (intid < MKVM_LPI_FIRST ||
	    intid >= lpi_limit(READ_ONCE(its->vm->arch.vgic.propbaser)))
		return;
	if (lpi_read_prop(its->vm, intid, &prop))
		return;
	newc = new_coll(its, cmd_coll(cmd));
	ite = kzalloc(sizeof(*ite), GFP_KERNEL_ACCOUNT);
	if (!ite)
		goto free_coll;
	mutex_lock(&its->lock);
	dev = find_dev(its, devid);
	/* The ITT has room for 2^size events, in guest RAM. */
	if (!dev || event >= BIT_ULL(dev->event_bits) ||
	    !gpa_visible(its->vm, dev->itt + (u64)event * ITS_ESZ) ||
	    find_ite(dev, event))
		goto unlock;
	coll = find_coll(its, cmd_coll(cmd));
	if (!coll) {
		if (!newc)
			goto unlock;
		coll = newc;
		newc = NULL;
		list_add_tail(&coll->link, &its->colls);
	}
	/* Unlike KVM, the pending table is not read here (only restored). */
	lpi = lpi_get(its->vm, intid, prop, coll_vcpu(its, coll), false);
	if (IS_ERR(lpi))
		goto unlock;
	ite->event = event;
	ite->coll = coll;
	ite->lpi = lpi;
	list_add_tail(&ite->link, &dev->ites);
	ite = NULL;
unlock:
	mutex_unlock(&its->lock);
	kfree(ite);
free_coll:
	kfree(newc);
}

/* MOVI: an event to another collection; its LPI follows. */
static void cmd_movi(struct mkvm_its *its, const u64 *cmd)
{
	struct its_coll *coll;
	struct its_ite *ite;

	mutex_lock(&its->lock);
	ite = find_ite(find_dev(its, cmd_devid(cmd)), cmd_event(cmd));
	coll = find_coll(its, cmd_coll(cmd));
	if (ite && coll_vcpu(its, ite->coll) && coll_vcpu(its, coll)) {
		ite->coll = coll;
		lpi_set_target(its->vm, ite->lpi, coll_vcpu(its, coll));
	}
	mutex_unlock(&its->lock);
}

/* DISCARD: drop a translation (and with its last one, the LPI). */
static void cmd_discard(struct mkvm_its *its, const u64 *cmd)
{
	struct its_ite *ite;

	mutex_lock(&its->lock);
	ite = find_ite(find_dev(its, cmd_devid(cmd)), cmd_event(cmd));
	if (ite && coll_vcpu(its, ite->coll))
		free_ite(its, ite);
	mutex_unlock(&its->lock);
}

/* CLEAR: the event's LPI is no longer pending. */
static void cmd_clear(struct mkvm_its *its, const u64 *cmd)
{
	struct mkvm_vgic *v = &its->vm->arch.vgic;
	struct its_ite *ite;

	mutex_lock(&its->lock);
	ite = find_ite(find_dev(its, cmd_devid(cmd)), cmd_event(cmd));
	if (ite) {
		spin_lock_irq(&v->lock);
		ite->lpi->irq.pending_latch = false;
		mkvm_vgic_irq_update(its->vm, NULL, &ite->lpi->irq);
		spin_unlock_irq(&v->lock);
	}
	mutex_unlock(&its->lock);
}

/* INV: the event's LPI takes its configuration from the table again. */
static void cmd_inv(struct mkvm_its *its, const u64 *cmd)
{
	struct its_ite *ite;
	u32 intid = 0;

	mutex_lock(&its->lock);
	ite = find_ite(find_dev(its, cmd_devid(cmd)), cmd_event(cmd));
	if (ite)
		intid = ite->lpi->irq.intid;
	mutex_unlock(&its->lock);
	if (intid)
		lpi_update_prop(its->vm, intid, NULL);
}

/* INVALL: every LPI of the collection's redistributor, again. */
static void cmd_invall(struct mkvm_its *its, const u64 *cmd)
{
	struct mkvm_vcpu *vcpu;

	mutex_lock(&its->lock);
	vcpu = coll_vcpu(its, find_coll(its, cmd_coll(cmd)));
	mutex_unlock(&its->lock);
	if (vcpu)
		mkvm_lpi_invall(vcpu);
}

/* MOVALL: every LPI targeting one redistributor to another. */
static void cmd_movall(struct mkvm_its *its, const u64 *cmd)
{
	struct mkvm_vm *vm = its->vm;
	struct mkvm_vcpu *from = vcpu_by_id(vm, cmd_rdbase(cmd, 2));
	struct mkvm_vcpu *to = vcpu_by_id(vm, cmd_rdbase(cmd, 3));
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_lpi *entry, *lpi;
	unsigned long intid;

	if (!from || !to || from == to)
		return;
	/* Only the index is used: the entry may go meanwhile. */
	xa_for_each(&v->lpis, intid, entry) {
		spin_lock_irq(&v->lock);
		lpi = xa_load(&v->lpis, intid);
		if (lpi && lpi->irq.target == from)
			lpi->irq.target = to;
		spin_unlock_irq(&v->lock);
		cond_resched();
	}
	kick(to);
}

static void cmd_int(struct mkvm_its *its, const u64 *cmd)
{
	mutex_lock(&its->lock);
	its_trigger(its, cmd_devid(cmd), cmd_event(cmd));
	mutex_unlock(&its->lock);
}

static void (*const its_cmds[])(struct mkvm_its *its, const u64 *cmd) = {
	[GITS_CMD_MAPD]		= cmd_mapd,
	[GITS_CMD_MAPC]		= cmd_mapc,
	[GITS_CMD_MAPTI]	= cmd_mapti,
	[GITS_CMD_MAPI]		= cmd_mapti,
	[GITS_CMD_MOVI]		= cmd_movi,
	[GITS_CMD_DISCARD]	= cmd_discard,
	[GITS_CMD_CLEAR]	= cmd_clear,
	[GITS_CMD_INV]		= cmd_inv,
	[GITS_CMD_INVALL]	= cmd_invall,
	[GITS_CMD_MOVALL]	= cmd_movall,
	[GITS_CMD_INT]		= cmd_int,
	/* SYNC: every command has taken effect when it is read. */
};

/*
 * Run the commands from GITS_CREADR up to GITS_CWRITER, cmd_lock held.
 * A command outside guest RAM, or one this ITS does not know, is skipped
 * (IHI 0069, 6.3.2 lets an ITS ignore a command it cannot process), and
 * so is one whose IDs are out of range: the queue always drains.  At most
 * one ring's worth (1 MiB, 32768 commands) per CWRITER write, with a
 * reschedule point after each.
 */
static void its_process(struct mkvm_its *its)
{
	__le64 raw[4];
	u64 cmd[4];
	int i;

	if (!its->enabled)
		return;
	while (its->creadr != its->cwriter) {
		if (!mkvm_read_guest(its->vm, (its->cbaser & GENMASK_ULL(51, 12)) +
				its->creadr, raw, sizeof(raw))) {
			for (i = 0; i < 4; i++)
				cmd[i] = le64_to_cpu(raw[i]);
			if (cmd_code(cmd) < ARRAY_SIZE(its_cmds) &&
			    its_cmds[cmd_code(cmd)])
				its_cmds[cmd_code(cmd)](its, cmd);
		}
		its->creadr += ITS_CMD_SIZE;
		if (its->creadr >= CBASER_SIZE(its->cbaser))
			its->creadr = 0;
		cond_resched();
	}
}

/* ---- registers -------------------------------------------------------- */

static u64 its_typer(void)
{
	return GITS_TYPER_PLPIS |
	       (u64)(ITS_DEVBITS - 1) << GITS_TYPER_DEVBITS_SHIFT |
	       (u64)(ITS_EVENTBITS - 1) << GITS_TYPER_IDBITS_SHIFT |
	       (u64)(ITS_ESZ - 1) << GITS_TYPER_ITT_ENTRY_SIZE_SHIFT;
}

/* The identification registers, as KVM's ITS has them. */
static u32 its_idreg(u32 off)
{
	switch (off) {
	case GITS_PIDR0:	return 0x92;
	case GITS_PIDR1:	return 0xb4;
	case GITS_PIDR2:	return GIC_PIDR2_ARCH_GICv3 | 0x0b;
	case GITS_PIDR4:	return 0x40;
	case GITS_CIDR0:	return 0x0d;
	case GITS_CIDR1:	return 0xf0;
	case GITS_CIDR2:	return 0x05;
	case GITS_CIDR3:	return 0xb1;
	default:		return 0;
	}
}

static void write_ctlr(struct mkvm_its *its, u64 val)
{
	bool enable = val & GITS_CTLR_ENABLE;

	/* Enabling without valid tables and queue is UNPREDICTABLE: no. */
	if (enable && !its->enabled &&
	    (!(its->baser_dev & GITS_BASER_VALID) ||
	     !(its->baser_coll & GITS_BASER_VALID) ||
	     !(its->cbaser & GITS_CBASER_VALID)))
		return;
	mutex_lock(&its->lock);
	its->enabled = enable;
	if (!enable)
		cache_flush(its);
	mutex_unlock(&its->lock);
	its_process(its);
}

static void write_cbaser(struct mkvm_its *its, bool high, unsigned int len,
			 u64 val)
{
	u64 reg;

	if (its->enabled)
		return;
	reg = mkvm_gic_reg64_update(its->cbaser, high, len, val);
	reg = mkvm_gic_sanitise_baser(reg, GITS_CBASER_SHAREABILITY_SHIFT,
				      GITS_CBASER_INNER_CACHEABILITY_SHIFT,
				      GITS_CBASER_OUTER_CACHEABILITY_SHIFT);
	/* 64 KiB aligned, as KVM keeps it. */
	its->cbaser = reg & ~GENMASK_ULL(15, 12);
	/* An empty queue from the start of the new one. */
	its->creadr = 0;
	its->cwriter = 0;
}

static void write_cwriter(struct mkvm_its *its, bool high, unsigned int len,
			  u64 val)
{
	u64 reg = mkvm_gic_reg64_update(its->cwriter, high, len, val);

	reg &= CWRITER_OFFSET;
	/* Past the end of the queue: ignored, as KVM. */
	if (reg >= CBASER_SIZE(its->cbaser))
		return;
	its->cwriter = reg;
	its_process(its);
}

static void write_baser(struct mkvm_its *its, unsigned int n, bool high,
			unsigned int len, u64 val)
{
	u64 *regp = n ? &its->baser_coll : &its->baser_dev;
	u64 type = n ? GITS_BASER_TYPE_COLLECTION : GITS_BASER_TYPE_DEVICE;
	u64 reg;

	if (its->enabled)
		return;
	reg = mkvm_gic_reg64_update(*regp, high, len, val) & ~BASER_RO;
	if (n)		/* the collection table is flat (KVM) */
		reg &= ~GITS_BASER_INDIRECT;
	reg |= (u64)(ITS_ESZ - 1) << GITS_BASER_ENTRY_SIZE_SHIFT |
	       type << GITS_BASER_TYPE_SHIFT;
	reg = mkvm_gic_sanitise_baser(reg, GITS_BASER_SHAREABILITY_SHIFT,
				      GITS_BASER_INNER_CACHEABILITY_SHIFT,
				      GITS_BASER_OUTER_CACHEABILITY_SHIFT);
	/* Only 64 KiB pages. */
	reg = (reg & ~GITS_BASER_PAGE_SIZE_MASK) | GITS_BASER_PAGE_SIZE_64K;
	if (reg == *regp)	/* Linux rewrites them on resume */
		return;
	*regp = reg;
	/* A new table: what the old one held is gone (KVM). */
	mutex_lock(&its->lock);
	free_all(its, !n, n);
	mutex_unlock(&its->lock);
}

/*
 * One access to the ITS's registers, at offset @off of its frames, with
 * cmd_lock held.  32-bit registers take 32-bit accesses, 64-bit ones
 * either; anything else, and the translation frame (GITS_TRANSLATER: KVM
 * has no device that writes it), reads as zero and ignores writes.
 */
static void its_access(struct mkvm_its *its, u32 off, bool write, u64 *val,
		       unsigned int len)
{
	bool high = off & 4;
	u32 reg64 = off & ~7;

	if (!write)
		*val = 0;
	if (off < GITS_TYPER || off >= GITS_PIDR4) {
		if (len != 4)
			return;
		if (off == GITS_CTLR && write)
			write_ctlr(its, *val);
		else if (off == GITS_CTLR)
			*val = (its->enabled ? GITS_CTLR_ENABLE : 0) |
			       (its->creadr == its->cwriter ?
				GITS_CTLR_QUIESCENT : 0);
		else if (off == GITS_IIDR && !write)
			*val = IIDR_VALUE;
		else if (off >= GITS_PIDR4 && off < SZ_64K && !write)
			*val = its_idreg(off);
		return;
	}
	if (len != 4 && (len != 8 || high))
		return;
	if (!write) {
		u64 reg = 0;

		if (reg64 == GITS_TYPER)
			reg = its_typer();
		else if (reg64 == GITS_CBASER)
			reg = its->cbaser;
		else if (reg64 == GITS_CWRITER)
			reg = its->cwriter;
		else if (reg64 == GITS_CREADR)
			reg = its->creadr;
		else if (reg64 == GITS_BASER)
			reg = its->baser_dev;
		else if (reg64 == GITS_BASER + 8)
			reg = its->baser_coll;
		*val = mkvm_gic_reg64_read(reg, high, len);
		return;
	}
	if (reg64 == GITS_CBASER)
		write_cbaser(its, high, len, *val);
	else if (reg64 == GITS_CWRITER)
		write_cwriter(its, high, len, *val);
	else if (reg64 == GITS_BASER || reg64 == GITS_BASER + 8)
		write_baser(its, (reg64 - GITS_BASER) / 8, high, len, *val);
}

/* The ITS whose frames hold @addr; they never go while the VM lives. */
static struct mkvm_its *its_at(struct mkvm_vm *vm, u64 addr)
{
	struct mkvm_its *its;

	list_for_each_entry_lockless(its, &vm->arch.vgic.its_list, link) {
		u64 base = READ_ONCE(its->base);

		if (base != MKVM_VGIC_ADDR_UNDEF && addr - base < ITS_SIZE)
			return its;
	}
	return NULL;
}

/**
 * mkvm_its_mmio() - a guest access to an ITS's frames
 * @vcpu:	the accessing vCPU, no lock held
 * @ipa:	the address
 * @write:	a store
 * @val:	the value stored, or where the value loaded goes; NULL only
 *		asks whether @ipa is an ITS's
 * @len:	1, 2, 4 or 8
 *
 * Return: 1 if @ipa is in an ITS's frames, else 0.
 */
int mkvm_its_mmio(struct mkvm_vcpu *vcpu, u64 ipa, bool write, u64 *val,
		  unsigned int len)
{
	struct mkvm_its *its = its_at(vcpu->vm, ipa);

	if (!its)
		return 0;
	if (!val)
		return 1;
	mutex_lock(&its->cmd_lock);
	if (!(ipa & (len - 1)))
		its_access(its, ipa - its->base, write, val, len);
	else if (!write)
		*val = 0;
	mutex_unlock(&its->cmd_lock);
	return 1;
}

/* ---- MSIs -------------------------------------------------------------- */

/**
 * mkvm_arch_set_msi() - an MSI from the VMM: KVM_SIGNAL_MSI, or an irqfd's
 * MSI route (from a work item: this takes mutexes)
 * @vm:		the VM
 * @msi:	the doorbell address (any address of an ITS's frames, as in
 *		KVM), the event ID in data, the device ID
 *
 * Return: 1 delivered; 0 if the ITS has no translation for it (blocked);
 * -EINVAL without a vGIC, for unknown flags, without KVM_MSI_VALID_DEVID
 * or for an address no ITS has; -ENODEV without an ITS; -EBUSY with the
 * ITS or the target's LPIs disabled.
 */
int mkvm_arch_set_msi(struct mkvm_vm *vm, const struct kvm_msi *msi)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_its *its;
	int ret;

	if (!READ_ONCE(v->created) || (msi->flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	if (!READ_ONCE(v->has_its))
		return -ENODEV;
	if (!(msi->flags & KVM_MSI_VALID_DEVID))
		return -EINVAL;
	its = its_at(vm, (u64)msi->address_hi << 32 | msi->address_lo);
	if (!its)
		return -EINVAL;
	mutex_lock(&its->lock);
	ret = its_trigger(its, msi->devid, msi->data);
	if (!ret)
		cache_add(its, msi->devid, msi->data,
			  find_ite(find_dev(its, msi->devid), msi->data)->lpi);
	mutex_unlock(&its->lock);
	if (ret < 0)
		return ret;
	return ret ? 0 : 1;
}

/**
 * mkvm_arch_set_msi_atomic() - an MSI, delivered only if its translation is
 * cached: for an irqfd's wakeup, which cannot take the ITS's mutexes
 * @vm:		the VM
 * @msi:	the MSI route's doorbell, event and device
 *
 * Return: 1 delivered; -EWOULDBLOCK when the answer needs
 * mkvm_arch_set_msi() (not cached, or the target's LPIs are off).
 */
int mkvm_arch_set_msi_atomic(struct mkvm_vm *vm, const struct kvm_msi *msi)
{
	struct mkvm_its *its = its_at(vm, (u64)msi->address_hi << 32 |
				      msi->address_lo);
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_vcpu *target = NULL;
	struct mkvm_lpi *lpi;
	unsigned long flags;
	int i;

	if (!its || !(msi->flags & KVM_MSI_VALID_DEVID))
		return -EWOULDBLOCK;
	spin_lock_irqsave(&its->cache_lock, flags);
	for (i = 0; i < ITS_CACHE_SIZE; i++) {
		lpi = its->cache[i].lpi;
		if (!lpi || its->cache[i].devid != msi->devid ||
		    its->cache[i].event != msi->data)
			continue;
		spin_lock(&v->lock);
		if (lpi->irq.target && lpi->irq.target->arch.vgic.lpis_enabled) {
			lpi->irq.pending_latch = true;
			mkvm_vgic_irq_update(vm, NULL, &lpi->irq);
			target = lpi->irq.target;
		}
		spin_unlock(&v->lock);
		break;
	}
	spin_unlock_irqrestore(&its->cache_lock, flags);
	if (!target)
		return -EWOULDBLOCK;
	kick(target);
	return 1;
}

/* ---- the tables in guest memory: KVM's save/restore ABI, revision 0 ---- */

/*
 * The entries KVM_DEV_ARM_ITS_SAVE_TABLES writes and RESTORE_TABLES reads
 * (Documentation/virt/kvm/devices/arm-vgic-its.rst), 8 bytes, little
 * endian.  A "next" field is how many entries on the following valid one
 * is, 0 for the last.
 */
#define DTE_VALID	BIT_ULL(63)
#define DTE_NEXT	GENMASK_ULL(62, 49)
#define DTE_ITT		GENMASK_ULL(48, 5)	/* ITT address bits 51:8 */
#define DTE_SIZE	GENMASK_ULL(4, 0)	/* event ID bits - 1 */
#define ITE_NEXT	GENMASK_ULL(63, 48)
#define ITE_PINTID	GENMASK_ULL(47, 16)
#define ITE_ICID	GENMASK_ULL(15, 0)
#define CTE_VALID	BIT_ULL(63)
#define CTE_RDBASE	GENMASK_ULL(47, 16)	/* the target vCPU id */
#define CTE_ICID	GENMASK_ULL(15, 0)
#define L1E_VALID	BIT_ULL(63)
#define L1E_ADDR	GENMASK_ULL(51, 16)

static int put_entry(struct mkvm_its *its, u64 gpa, u64 val)
{
	__le64 e = cpu_to_le64(val);

	return mkvm_write_guest(its->vm, gpa, &e, sizeof(e));
}

static int get_entry(struct mkvm_its *its, u64 gpa, u64 *val)
{
	__le64 e;
	int ret = mkvm_read_guest(its->vm, gpa, &e, sizeof(e));

	*val = le64_to_cpu(e);
	return ret;
}

static int cmp_dev(void *priv, const struct list_head *a,
		   const struct list_head *b)
{
	return list_entry(a, struct its_dev, link)->id >
	       list_entry(b, struct its_dev, link)->id;
}

static int cmp_ite(void *priv, const struct list_head *a,
		   const struct list_head *b)
{
	return list_entry(a, struct its_ite, link)->event >
	       list_entry(b, struct its_ite, link)->event;
}

/* The ITEs of @dev into its ITT; one whose collection went is written 0. */
static int save_itt(struct mkvm_its *its, struct its_dev *dev)
{
	struct its_ite *ite;
	u32 next;
	int ret;

	list_for_each_entry(ite, &dev->ites, link) {
		u64 val = 0;

		if (ite->coll) {
			next = list_is_last(&ite->link, &dev->ites) ? 0 :
			       min_t(u32, list_next_entry(ite, link)->event -
					  ite->event, FIELD_MAX(ITE_NEXT));
			val = FIELD_PREP(ITE_NEXT, next) |
			      FIELD_PREP(ITE_PINTID, ite->lpi->irq.intid) |
			      FIELD_PREP(ITE_ICID, ite->coll->id);
		}
		ret = put_entry(its, dev->itt + (u64)ite->event * ITS_ESZ, val);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * KVM_DEV_ARM_ITS_SAVE_TABLES: every device the device table has room for,
 * in ID order, its ITT then its entry; then the collections one after the
 * other, closed by an invalid entry if the table has room.  cmd_lock held:
 * the lists do not change (only the sort below, under lock, reorders).
 */
static int its_save(struct mkvm_its *its)
{
	struct its_dev *dev, *next;
	struct its_coll *coll;
	u64 gpa, end;
	u32 off;
	int ret;

	mutex_lock(&its->lock);
	list_sort(NULL, &its->devs, cmp_dev);
	list_for_each_entry(dev, &its->devs, link)
		list_sort(NULL, &dev->ites, cmp_ite);
	mutex_unlock(&its->lock);

	list_for_each_entry(dev, &its->devs, link) {
		if (!table_entry(its, its->baser_dev, dev->id, BIT(ITS_DEVBITS),
				 &gpa))
			continue;	/* no room: not saved, as KVM */
		ret = save_itt(its, dev);
		if (ret)
			return ret;
		off = 0;
		next = dev;
		list_for_each_entry_continue(next, &its->devs, link) {
			if (table_has_id(its, its->baser_dev, next->id,
					 BIT(ITS_DEVBITS))) {
				off = min_t(u32, next->id - dev->id,
					    FIELD_MAX(DTE_NEXT));
				break;
			}
		}
		ret = put_entry(its, gpa, DTE_VALID | FIELD_PREP(DTE_NEXT, off) |
				FIELD_PREP(DTE_ITT, dev->itt >> 8) |
				FIELD_PREP(DTE_SIZE, dev->event_bits - 1));
		if (ret)
			return ret;
		cond_resched();
	}

	if (!(its->baser_coll & GITS_BASER_VALID))
		return 0;
	gpa = GITS_BASER_ADDR_48_to_52(its->baser_coll);
	end = gpa + (u64)GITS_BASER_NR_PAGES(its->baser_coll) * SZ_64K;
	list_for_each_entry(coll, &its->colls, link) {
		ret = put_entry(its, gpa, CTE_VALID |
				FIELD_PREP(CTE_RDBASE, coll->target) |
				FIELD_PREP(CTE_ICID, coll->id));
		if (ret)
			return ret;
		gpa += ITS_ESZ;
	}
	return gpa < end ? put_entry(its, gpa, 0) : 0;
}

typedef int (*entry_fn)(struct mkvm_its *its, u32 id, u64 val, void *arg);

/*
 * Walk at most @n entries from @gpa (the first has ID @id), each handed to
 * @fn, which answers how many entries on the next one is (0: that was the
 * last; < 0: an error).  Return: < 0, 0 when an entry was the last, 1
 * when the table ran out first.
 */
static int scan_table(struct mkvm_its *its, u64 gpa, u64 n, u32 id,
		      entry_fn fn, void *arg)
{
	u64 val;
	int ret;

	while (n) {
		ret = get_entry(its, gpa, &val);
		if (ret)
			return ret;
		ret = fn(its, id, val, arg);
		if (ret <= 0)
			return ret;
		if (ret >= n)
			break;
		n -= ret;
		id += ret;
		gpa += (u64)ret * ITS_ESZ;
		cond_resched();
	}
	return 1;
}

/* One ITE of the device @arg: a translation, as its MAPTI made it. */
static int restore_ite(struct mkvm_its *its, u32 event, u64 val, void *arg)
{
	u32 intid = FIELD_GET(ITE_PINTID, val), off = FIELD_GET(ITE_NEXT, val);
	struct its_dev *dev = arg;
	struct mkvm_vcpu *vcpu;
	struct its_coll *coll;
	struct its_ite *ite;
	struct mkvm_lpi *lpi;
	bool pending;
	u8 prop;

	if (!intid)
		return 1;		/* invalid: on to the next entry */
	if (intid < MKVM_LPI_FIRST ||
	    event + (u64)off >= BIT_ULL(dev->event_bits))
		return -EINVAL;
	coll = find_coll(its, FIELD_GET(ITE_ICID, val));
	if (!coll || !gpa_visible(its->vm, dev->itt + (u64)event * ITS_ESZ))
		return -EINVAL;
	if (lpi_read_prop(its->vm, intid, &prop))
		return -EFAULT;
	vcpu = coll_vcpu(its, coll);
	pending = lpi_take_pending(vcpu, intid);
	ite = kzalloc(sizeof(*ite), GFP_KERNEL_ACCOUNT);
	if (!ite)
		return -ENOMEM;
	lpi = lpi_get(its->vm, intid, prop, vcpu, pending);
	if (IS_ERR(lpi)) {
		kfree(ite);
		return PTR_ERR(lpi);
	}
	ite->event = event;
	ite->coll = coll;
	ite->lpi = lpi;
	mutex_lock(&its->lock);
	list_add_tail(&ite->link, &dev->ites);
	mutex_unlock(&its->lock);
	return off;
}

/* One DTE: the device, as its MAPD made it, and its ITT's entries. */
static int restore_dte(struct mkvm_its *its, u32 id, u64 val, void *arg)
{
	u32 bits = FIELD_GET(DTE_SIZE, val) + 1;
	struct its_dev *dev;
	int ret;

	if (!(val & DTE_VALID))
		return 1;
	if (bits > ITS_EVENTBITS ||
	    !table_has_id(its, its->baser_dev, id, BIT(ITS_DEVBITS)))
		return -EINVAL;
	dev = kzalloc(sizeof(*dev), GFP_KERNEL_ACCOUNT);
	if (!dev)
		return -ENOMEM;
	dev->id = id;
	dev->event_bits = bits;
	dev->itt = FIELD_GET(DTE_ITT, val) << 8;
	INIT_LIST_HEAD(&dev->ites);
	mutex_lock(&its->lock);
	list_add_tail(&dev->link, &its->devs);
	mutex_unlock(&its->lock);
	ret = scan_table(its, dev->itt, BIT_ULL(bits), 0, restore_ite, dev);
	if (ret < 0) {
		mutex_lock(&its->lock);
		free_dev(its, dev);
		mutex_unlock(&its->lock);
		return ret;
	}
	return FIELD_GET(DTE_NEXT, val);
}

/* A level-1 entry of a two-level device table: its page of DTEs. */
static int restore_l1(struct mkvm_its *its, u32 idx, u64 val, void *arg)
{
	u32 per_page = SZ_64K / ITS_ESZ;

	if (!(val & L1E_VALID))
		return 1;
	return scan_table(its, val & L1E_ADDR, per_page, idx * per_page,
			  restore_dte, NULL);
}

static int restore_colls(struct mkvm_its *its)
{
	u64 gpa = GITS_BASER_ADDR_48_to_52(its->baser_coll), val;
	u64 n = (u64)GITS_BASER_NR_PAGES(its->baser_coll) * SZ_64K / ITS_ESZ;
	struct its_coll *coll;
	u32 target, id;
	int ret = 0;

	for (; n && !ret; n--, gpa += ITS_ESZ) {
		ret = get_entry(its, gpa, &val);
		if (ret || !(val & CTE_VALID))
			break;
		target = FIELD_GET(CTE_RDBASE, val);
		id = FIELD_GET(CTE_ICID, val);
		if (target != COLL_UNMAPPED && !vcpu_by_id(its->vm, target))
			ret = -EINVAL;
		else if (find_coll(its, id))
			ret = -EEXIST;
		if (ret)
			break;
		/* NULL: out of memory, or an ID the table has no room for. */
		coll = new_coll(its, id);
		if (!coll) {
			ret = -EINVAL;
			break;
		}
		coll->target = target;
		mutex_lock(&its->lock);
		list_add_tail(&coll->link, &its->colls);
		mutex_unlock(&its->lock);
	}
	return ret;
}

/*
 * KVM_DEV_ARM_ITS_RESTORE_TABLES: the collections, then the devices (a
 * flat or two-level table) and their ITTs, from the tables the BASERs
 * (restored first) name.  Each LPI takes its configuration from the LPI
 * table and its pending bit from its vCPU's pending table (consumed).
 * An inconsistent table: everything restored so far goes, the error is
 * returned.  cmd_lock held.
 */
static int its_restore(struct mkvm_its *its)
{
	u64 baser = its->baser_dev;
	int ret = 0;

	if (its->baser_coll & GITS_BASER_VALID)
		ret = restore_colls(its);
	if (!ret && (baser & GITS_BASER_VALID))
		ret = scan_table(its, GITS_BASER_ADDR_48_to_52(baser),
				 (u64)GITS_BASER_NR_PAGES(baser) * SZ_64K /
				 ITS_ESZ, 0,
				 baser & GITS_BASER_INDIRECT ? restore_l1 :
							       restore_dte,
				 NULL);
	if (ret > 0)
		ret = 0;
	if (ret) {
		mutex_lock(&its->lock);
		free_all(its, true, true);
		mutex_unlock(&its->lock);
	}
	return ret;
}

/**
 * mkvm_lpis_save_pending() - KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES: each
 * LPI's pending state into its vCPU's pending table
 * @vm:		the VM, every vCPU stopped
 *
 * Only bytes that change are written (and logged dirty), as KVM.
 * Return: 0, or -EFAULT for a pending table outside guest RAM.
 */
int mkvm_lpis_save_pending(struct mkvm_vm *vm)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_lpi *entry, *lpi;
	unsigned long intid;
	bool pending;
	u64 gpa = 0;
	u8 byte;

	xa_for_each(&v->lpis, intid, entry) {
		spin_lock_irq(&v->lock);
		lpi = xa_load(&v->lpis, intid);
		if (lpi && lpi->irq.target) {
			pending = lpi->irq.pending_latch;
			gpa = GICR_PENDBASER_ADDRESS(lpi->irq.target->arch.vgic.pendbaser) +
			      intid / 8;
		} else {
			lpi = NULL;
		}
		spin_unlock_irq(&v->lock);
		if (!lpi)
			continue;
		if (mkvm_read_guest(vm, gpa, &byte, 1))
			return -EFAULT;
		if (!(byte & BIT(intid % 8)) == !pending)
			continue;
		byte ^= BIT(intid % 8);
		if (mkvm_write_guest(vm, gpa, &byte, 1))
			return -EFAULT;
		cond_resched();
	}
	return 0;
}

/* ---- the device: KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_ITS) ---------- */

/* GITS_* offsets the save/restore group has, and their access width. */
static int regs_attr_check(u64 off)
{
	bool narrow = off < GITS_TYPER || off >= GITS_PIDR4;

	if (off & (narrow ? 3 : 7))
		return -EINVAL;
	switch (off) {
	case GITS_CTLR:
	case GITS_IIDR:
	case GITS_TYPER:
	case GITS_CBASER:
	case GITS_CWRITER:
	case GITS_CREADR:
		return 0;
	}
	if ((off >= GITS_BASER && off < GITS_BASER + 0x40) ||
	    (off >= GITS_PIDR4 && off < GITS_PIDR4 + 0x30))
		return 0;
	return -ENXIO;
}

/* KVM_DEV_ARM_ITS_CTRL_RESET: as after creation, tables and queue invalid. */
static void its_reset(struct mkvm_its *its)
{
	its->baser_dev &= ~GITS_BASER_VALID;
	its->baser_coll &= ~GITS_BASER_VALID;
	its->cbaser = 0;
	its->creadr = 0;
	its->cwriter = 0;
	mutex_lock(&its->lock);
	its->enabled = false;
	free_all(its, true, true);
	mutex_unlock(&its->lock);
}

/*
 * KVM_DEV_ARM_VGIC_GRP_ITS_REGS: a register as the guest sees it, 64 bits
 * wide in userspace, with the vCPUs stopped.  GITS_CREADR may be written
 * (not while the ITS is on), GITS_IIDR only with the revision KVM
 * implements (0).
 */
static int its_regs_uaccess(struct mkvm_its *its, u64 off, bool write,
			    u64 *val)
{
	struct mkvm_vm *vm = its->vm;
	unsigned int len;
	int ret;

	ret = regs_attr_check(off);
	if (ret)
		return ret;
	len = off < GITS_TYPER || off >= GITS_PIDR4 ? 4 : 8;
	/* vm->lock keeps the vCPUs as they are while they are stopped. */
	mutex_lock(&vm->lock);
	if (!mkvm_lock_all_vcpus(vm)) {
		mutex_unlock(&vm->lock);
		return -EBUSY;
	}
	mutex_lock(&its->cmd_lock);
	if (its->base == MKVM_VGIC_ADDR_UNDEF) {
		ret = -ENXIO;
	} else if (write && off == GITS_IIDR) {
		ret = GITS_IIDR_REV(*val) ? -EINVAL : 0;
	} else if (write && off == GITS_CREADR) {
		if (its->enabled)
			ret = -EBUSY;
		else if ((*val & CWRITER_OFFSET) >= CBASER_SIZE(its->cbaser))
			ret = -EINVAL;
		else
			its->creadr = *val & CWRITER_OFFSET;
	} else if (write && (off == GITS_TYPER || off >= GITS_PIDR4)) {
		/* read-only: ignored, as KVM */
	} else {
		its_access(its, off, write, val, len);
	}
	mutex_unlock(&its->cmd_lock);
	mkvm_unlock_all_vcpus(vm);
	mutex_unlock(&vm->lock);
	return ret;
}

/* KVM_DEV_ARM_VGIC_GRP_ADDR, set: KVM's vgic_check_iorange() rules. */
static int its_set_base(struct mkvm_its *its, u64 attr, u64 __user *uaddr)
{
	struct mkvm_vm *vm = its->vm;
	u64 addr;

	if (attr != KVM_VGIC_ITS_ADDR_TYPE)
		return -ENODEV;
	if (get_user(addr, uaddr))
		return -EFAULT;
	if (its->base != MKVM_VGIC_ADDR_UNDEF)
		return -EEXIST;
	if (!IS_ALIGNED(addr, SZ_64K) || addr + ITS_SIZE < addr)
		return -EINVAL;
	if (addr + ITS_SIZE > BIT_ULL(vm->arch.ipa_bits))
		return -E2BIG;
	WRITE_ONCE(its->base, addr);
	return 0;
}

static int its_ctrl(struct mkvm_its *its, u64 attr)
{
	struct mkvm_vm *vm = its->vm;
	int ret = 0;

	if (attr == KVM_DEV_ARM_VGIC_CTRL_INIT)
		return 0;	/* nothing to do, as in KVM */
	mutex_lock(&vm->lock);
	if (!mkvm_lock_all_vcpus(vm)) {
		mutex_unlock(&vm->lock);
		return -EBUSY;
	}
	mutex_lock(&its->cmd_lock);
	if (attr == KVM_DEV_ARM_ITS_CTRL_RESET)
		its_reset(its);
	else if (attr == KVM_DEV_ARM_ITS_SAVE_TABLES)
		ret = its_save(its);
	else if (attr == KVM_DEV_ARM_ITS_RESTORE_TABLES)
		ret = its_restore(its);
	mutex_unlock(&its->cmd_lock);
	mkvm_unlock_all_vcpus(vm);
	mutex_unlock(&vm->lock);
	/* KVM answers 0 to an unknown control too. */
	return ret;
}

static long its_dev_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct mkvm_its *its = file->private_data;
	struct mkvm_vm *vm = its->vm;
	struct kvm_device_attr a;
	u64 __user *uaddr;
	u64 val;
	long ret;

	ret = mkvm_vgic_attr_ioctl_arg(vm, cmd, arg, &a);
	if (ret)
		return ret;
	uaddr = u64_to_user_ptr(a.addr);

	if (cmd == KVM_HAS_DEVICE_ATTR) {
		switch (a.group) {
		case KVM_DEV_ARM_VGIC_GRP_ADDR:
			return a.attr == KVM_VGIC_ITS_ADDR_TYPE ? 0 : -ENXIO;
		case KVM_DEV_ARM_VGIC_GRP_CTRL:
			return a.attr == KVM_DEV_ARM_VGIC_CTRL_INIT ||
			       a.attr == KVM_DEV_ARM_ITS_CTRL_RESET ||
			       a.attr == KVM_DEV_ARM_ITS_SAVE_TABLES ||
			       a.attr == KVM_DEV_ARM_ITS_RESTORE_TABLES ?
			       0 : -ENXIO;
		case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
			return regs_attr_check(a.attr);
		default:
			return -ENXIO;
		}
	}
	switch (a.group) {
	case KVM_DEV_ARM_VGIC_GRP_ADDR:
		if (cmd == KVM_GET_DEVICE_ATTR)
			return a.attr != KVM_VGIC_ITS_ADDR_TYPE ? -ENODEV :
			       put_user(READ_ONCE(its->base), uaddr);
		mutex_lock(&vm->lock);
		ret = its_set_base(its, a.attr, uaddr);
		mutex_unlock(&vm->lock);
		return ret;
	case KVM_DEV_ARM_VGIC_GRP_CTRL:
		return cmd == KVM_SET_DEVICE_ATTR ? its_ctrl(its, a.attr) :
						    -ENXIO;
	case KVM_DEV_ARM_VGIC_GRP_ITS_REGS:
		if (cmd == KVM_SET_DEVICE_ATTR) {
			if (get_user(val, uaddr))
				return -EFAULT;
			return its_regs_uaccess(its, a.attr, true, &val);
		}
		ret = its_regs_uaccess(its, a.attr, false, &val);
		return ret ? ret : put_user(val, uaddr);
	default:
		return -ENXIO;
	}
}

/* The ITS itself stays with the VM, as a KVM device does. */
static int its_dev_release(struct inode *inode, struct file *file)
{
	struct mkvm_its *its = file->private_data;

	mkvm_vm_put(its->vm);
	return 0;
}

static const struct file_operations its_dev_fops = {
	.owner		= THIS_MODULE,
	.release	= its_dev_release,
	.unlocked_ioctl	= its_dev_ioctl,
	.compat_ioctl	= its_dev_ioctl,
	.llseek		= noop_llseek,
};

/* As KVM's vgic_its_create(): the tables' fixed fields, memory attributes. */
#define BASER_INIT	(GIC_BASER_CACHEABILITY(GITS_BASER, INNER, RaWb) | \
			 GIC_BASER_CACHEABILITY(GITS_BASER, OUTER, SameAsInner) | \
			 GIC_BASER_SHAREABILITY(GITS_BASER, InnerShareable) | \
			 GITS_BASER_PAGE_SIZE_64K | \
			 (u64)(ITS_ESZ - 1) << GITS_BASER_ENTRY_SIZE_SHIFT)
#define PROPBASER_INIT	(GIC_BASER_CACHEABILITY(GICR_PROPBASER, INNER, RaWb) | \
			 GIC_BASER_CACHEABILITY(GICR_PROPBASER, OUTER, SameAsInner) | \
			 GIC_BASER_SHAREABILITY(GICR_PROPBASER, InnerShareable))

/**
 * mkvm_its_create_device() - KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_ITS)
 * @vm:		the VM
 * @ucd:	the VMM's struct kvm_create_device, for the fd
 * @flags:	its flags (KVM_CREATE_DEVICE_TEST: only ask)
 *
 * Any number of ITSes, each with its own frames and tables; LPIs are the
 * VM's, and GICD_TYPER offers them from the first ITS on, as KVM.
 * Return: 0 with the fd in @ucd, -ENOMEM, -EFAULT (the fd stays open,
 * as with KVM), or anon_inode_getfd()'s error.
 */
int mkvm_its_create_device(struct mkvm_vm *vm,
			   struct kvm_create_device __user *ucd, u32 flags)
{
	struct mkvm_vgic *v = &vm->arch.vgic;
	struct mkvm_its *its;
	int fd, ret = 0;

	if (flags & KVM_CREATE_DEVICE_TEST)
		return 0;
	its = kzalloc(sizeof(*its), GFP_KERNEL_ACCOUNT);
	if (!its)
		return -ENOMEM;
	its->vm = vm;
	its->base = MKVM_VGIC_ADDR_UNDEF;
	mutex_init(&its->cmd_lock);
	mutex_init(&its->lock);
	spin_lock_init(&its->cache_lock);
	INIT_LIST_HEAD(&its->devs);
	INIT_LIST_HEAD(&its->colls);
	its->baser_dev = BASER_INIT |
			 (u64)GITS_BASER_TYPE_DEVICE << GITS_BASER_TYPE_SHIFT;
	its->baser_coll = BASER_INIT |
			  (u64)GITS_BASER_TYPE_COLLECTION << GITS_BASER_TYPE_SHIFT;

	mutex_lock(&vm->lock);
	refcount_inc(&vm->users);
	fd = anon_inode_getfd("minikvm-vgic-its", &its_dev_fops, its,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		refcount_dec(&vm->users);
		mutex_unlock(&vm->lock);
		kfree(its);
		return fd;
	}
	/* Published whole: vCPUs walk the list without a lock. */
	list_add_tail_rcu(&its->link, &v->its_list);
	if (!v->has_its) {
		spin_lock_irq(&v->lock);
		v->propbaser = PROPBASER_INIT;
		WRITE_ONCE(v->has_its, true);
		spin_unlock_irq(&v->lock);
	}
	if (put_user(fd, &ucd->fd))
		ret = -EFAULT;
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_its_vm_destroy() - free the ITSes and the LPIs
 * @vm:		the VM; no fd of it is left, no vCPU runs
 */
void mkvm_its_vm_destroy(struct mkvm_vm *vm)
{
	struct mkvm_its *its, *tmp;
	unsigned long intid;
	struct mkvm_lpi *lpi;

	list_for_each_entry_safe(its, tmp, &vm->arch.vgic.its_list, link) {
		free_all(its, true, true);
		kfree(its);
	}
	INIT_LIST_HEAD(&vm->arch.vgic.its_list);
	/* Every ITE is gone, and with it every LPI: nothing should be left. */
	xa_for_each(&vm->arch.vgic.lpis, intid, lpi)
		kfree(lpi);
	xa_destroy(&vm->arch.vgic.lpis);
}
