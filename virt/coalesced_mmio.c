// SPDX-License-Identifier: GPL-2.0
/*
 * Coalesced MMIO (KVM_CAP_COALESCED_MMIO): guest writes into a zone the
 * VMM registered do not exit; they are appended to a ring page the VMM
 * maps at page KVM_COALESCED_MMIO_PAGE_OFFSET of any vCPU fd and drains
 * when it likes (Documentation/virt/kvm/api.rst).  Reads, writes outside
 * every zone, and writes that find the ring full exit as plain MMIO.
 *
 * The ring and the zone list live in one object made on first use, so a
 * VM that never asks pays nothing; it goes with the VM.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include "mkvm.h"

/* KVM's limit on devices of one bus, zones included (NR_IOBUS_DEVS). */
#define MKVM_MAX_COALESCED_ZONES	1000

struct mkvm_coalesced_zone {
	struct list_head list;
	struct kvm_coalesced_mmio_zone zone;
};

struct mkvm_coalesced {
	struct kvm_coalesced_mmio_ring *ring;	/* one zeroed page */
	spinlock_t lock;		/* the ring's producer side, the zones */
	struct list_head zones;
	unsigned int nr_zones;
};

/* Is [addr, addr + len) entirely inside @z? */
static bool zone_contains(const struct kvm_coalesced_mmio_zone *z,
			  u64 addr, u64 len)
{
	return addr + len >= addr && addr >= z->addr &&
	       addr + len <= z->addr + z->size;
}

/*
 * The VM's ring and zones, made on first use; NULL when out of memory.
 * No lock: this runs in the vCPU mmap fault too (mmap_lock held), so the
 * first to publish wins and a racing loser frees its copy.
 */
static struct mkvm_coalesced *coalesced_get(struct mkvm_vm *vm)
{
	/* Pairs with the release below. */
	struct mkvm_coalesced *c = smp_load_acquire(&vm->coalesced);
	struct mkvm_coalesced *old;

	if (c)
		return c;
	c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->ring = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!c->ring) {
		kfree(c);
		return NULL;
	}
	spin_lock_init(&c->lock);
	INIT_LIST_HEAD(&c->zones);
	/* Lockless readers see the list and the lock initialised. */
	old = cmpxchg_release(&vm->coalesced, NULL, c);
	if (old) {
		free_page((unsigned long)c->ring);
		kfree(c);
		/* Pairs with the release of the winner. */
		smp_rmb();
		return old;
	}
	return c;
}

/**
 * mkvm_coalesced_ring_page() - the ring page, for the vCPU mmap
 * @vm:		the VM
 *
 * Return: the page, or NULL when out of memory.
 */
struct page *mkvm_coalesced_ring_page(struct mkvm_vm *vm)
{
	struct mkvm_coalesced *c = coalesced_get(vm);

	return c ? virt_to_page(c->ring) : NULL;
}

/**
 * mkvm_coalesced_register() - KVM_REGISTER_COALESCED_MMIO
 * @vm:		the VM
 * @zone:	the zone, as the VMM passed it
 *
 * As KVM: zones may overlap and be of any size; a PIO zone is accepted
 * (arm64 has no port I/O, so it never matches).
 *
 * Return: 0, -EINVAL for a pio flag other than 0 or 1, -ENOSPC past
 * KVM's device limit, -ENOMEM.
 */
int mkvm_coalesced_register(struct mkvm_vm *vm,
			    const struct kvm_coalesced_mmio_zone *zone)
{
	struct mkvm_coalesced *c;
	struct mkvm_coalesced_zone *z;
	int ret = 0;

	if (zone->pio > 1)
		return -EINVAL;
	c = coalesced_get(vm);
	if (!c)
		return -ENOMEM;
	z = kzalloc(sizeof(*z), GFP_KERNEL_ACCOUNT);
	if (!z)
		return -ENOMEM;
	z->zone = *zone;

	spin_lock(&c->lock);
	if (c->nr_zones >= MKVM_MAX_COALESCED_ZONES) {
		ret = -ENOSPC;
	} else {
		list_add_tail(&z->list, &c->zones);
		c->nr_zones++;
		z = NULL;
	}
	spin_unlock(&c->lock);
	kfree(z);
	return ret;
}

/**
 * mkvm_coalesced_unregister() - KVM_UNREGISTER_COALESCED_MMIO
 * @vm:		the VM
 * @zone:	every registered zone of the same kind that contains it
 *		goes (KVM's rule: the zone covers the range, not the reverse)
 *
 * Return: 0 (also when nothing matched, as KVM), -EINVAL for a pio flag
 * other than 0 or 1.
 */
int mkvm_coalesced_unregister(struct mkvm_vm *vm,
			      const struct kvm_coalesced_mmio_zone *zone)
{
	/* Pairs with the release in coalesced_get(). */
	struct mkvm_coalesced *c = smp_load_acquire(&vm->coalesced);
	struct mkvm_coalesced_zone *z, *tmp;
	LIST_HEAD(gone);

	if (zone->pio > 1)
		return -EINVAL;
	if (!c)
		return 0;
	spin_lock(&c->lock);
	list_for_each_entry_safe(z, tmp, &c->zones, list) {
		if (z->zone.pio == zone->pio &&
		    zone_contains(&z->zone, zone->addr, zone->size)) {
			list_move(&z->list, &gone);
			c->nr_zones--;
		}
	}
	spin_unlock(&c->lock);
	list_for_each_entry_safe(z, tmp, &gone, list)
		kfree(z);
	return 0;
}

/**
 * mkvm_coalesced_write() - append a guest MMIO write to the ring
 * @vm:		the VM
 * @addr:	guest physical address
 * @len:	1 to 8 bytes
 * @data:	the bytes written
 *
 * One entry stays free so that the VMM tells a full ring from an empty
 * one; a ring index the VMM corrupted counts as full.
 *
 * Return: true if the write was queued, false if it must exit.
 */
bool mkvm_coalesced_write(struct mkvm_vm *vm, u64 addr, u32 len,
			  const void *data)
{
	/* Pairs with the release in coalesced_get(). */
	struct mkvm_coalesced *c = smp_load_acquire(&vm->coalesced);
	struct kvm_coalesced_mmio_ring *ring;
	struct mkvm_coalesced_zone *z;
	bool queued = false;
	u32 last;

	if (!c)
		return false;
	ring = c->ring;
	spin_lock(&c->lock);
	list_for_each_entry(z, &c->zones, list) {
		if (!z->zone.pio && zone_contains(&z->zone, addr, len))
			break;
	}
	if (list_entry_is_head(z, &c->zones, list))
		goto unlock;
	last = READ_ONCE(ring->last);
	if (last >= KVM_COALESCED_MMIO_MAX ||
	    (last + 1) % KVM_COALESCED_MMIO_MAX == READ_ONCE(ring->first))
		goto unlock;
	ring->coalesced_mmio[last].phys_addr = addr;
	ring->coalesced_mmio[last].len = len;
	ring->coalesced_mmio[last].pio = 0;
	memcpy(ring->coalesced_mmio[last].data, data, len);
	/* The entry is complete before the VMM can see it in the ring. */
	smp_store_release(&ring->last, (last + 1) % KVM_COALESCED_MMIO_MAX);
	queued = true;
unlock:
	spin_unlock(&c->lock);
	return queued;
}

/**
 * mkvm_coalesced_free() - free the ring and the zones with the VM
 * @vm:		the VM; no vCPU runs and no fd is left
 */
void mkvm_coalesced_free(struct mkvm_vm *vm)
{
	struct mkvm_coalesced *c = vm->coalesced;
	struct mkvm_coalesced_zone *z, *tmp;

	if (!c)
		return;
	list_for_each_entry_safe(z, tmp, &c->zones, list)
		kfree(z);
	free_page((unsigned long)c->ring);
	kfree(c);
}
