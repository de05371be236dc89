// SPDX-License-Identifier: GPL-2.0
/*
 * Memslots: guest-physical ranges backed by the VMM's memory.  Validation
 * follows KVM (virt/kvm/kvm_main.c, kvm_set_memory_region()), error for
 * error, so a VMM sees the same answers on /dev/minikvm and /dev/kvm.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include "mkvm.h"

/**
 * mkvm_gfn_to_slot() - the memslot holding a guest frame, or NULL
 * @vm:		the VM; caller holds vm->lock or vm->mmu_lock
 * @gfn:	guest frame number
 */
struct mkvm_memslot *mkvm_gfn_to_slot(struct mkvm_vm *vm, u64 gfn)
{
	int i;

	for (i = 0; i < vm->slots_end; i++) {
		struct mkvm_memslot *s = &vm->slots[i];

		if (s->npages && gfn >= s->base_gfn &&
		    gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

static bool overlaps(struct mkvm_vm *vm, int skip, u64 gfn, u64 npages)
{
	int i;

	for (i = 0; i < vm->slots_end; i++) {
		struct mkvm_memslot *s = &vm->slots[i];

		if (i == skip || !s->npages)
			continue;
		if (gfn < s->base_gfn + s->npages && s->base_gfn < gfn + npages)
			return true;
	}
	return false;
}

/*
 * Replace a slot; the old range leaves stage 2 first.  vm->lock keeps
 * other updates out; mmu_lock publishes the change to faults and to the
 * MMU notifier, which read the slots under it alone.
 */
static void install_slot(struct mkvm_vm *vm, int id,
			 const struct mkvm_memslot *new)
{
	struct mkvm_memslot *old = &vm->slots[id];

	lockdep_assert_held(&vm->lock);
	spin_lock(&vm->mmu_lock);
	if (old->npages)
		mkvm_arch_unmap_range(vm, old->base_gfn << PAGE_SHIFT,
				      old->npages << PAGE_SHIFT);
	*old = *new;
	if (new->npages && id >= vm->slots_end)
		vm->slots_end = id + 1;
	while (vm->slots_end && !vm->slots[vm->slots_end - 1].npages)
		vm->slots_end--;
	/* Faults that looked up the old slot must retry. */
	vm->mmu_seq++;
	spin_unlock(&vm->mmu_lock);
}

/**
 * mkvm_set_memory_region() - KVM_SET_USER_MEMORY_REGION(2)
 * @vm:		the VM
 * @mem:	the request, already copied from userspace
 *
 * Creates, deletes (memory_size 0), moves (new guest_phys_addr) or changes
 * the flags of a slot.
 * Return: 0, -EINVAL for a malformed request (a tagged @userspace_addr
 * included), -EEXIST for an overlap, -EFAULT for a range beyond the VM's
 * IPA size.
 */
int mkvm_set_memory_region(struct mkvm_vm *vm,
			   const struct kvm_userspace_memory_region2 *mem)
{
	u32 id = mem->slot & 0xffff, as_id = mem->slot >> 16;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	struct mkvm_memslot new, *old;
	int ret = 0;

	if (mem->flags & ~KVM_MEM_READONLY)
		return -EINVAL;
	if (as_id || id >= MKVM_MAX_MEMSLOTS)
		return -EINVAL;
	if (!PAGE_ALIGNED(mem->memory_size) ||
	    !PAGE_ALIGNED(mem->guest_phys_addr) ||
	    !PAGE_ALIGNED(mem->userspace_addr))
		return -EINVAL;
	/*
	 * With the tagged-address ABI access_ok() passes a tagged pointer,
	 * and gup strips the tag, but MMU notifiers report untagged ranges:
	 * a tagged slot would never match one, and its stage-2 mappings
	 * would outlive the pages behind them.  KVM refuses it too.
	 */
	if (mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok((void __user *)(unsigned long)mem->userspace_addr,
		       mem->memory_size))
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if (npages > MKVM_MEM_MAX_NR_PAGES)
		return -EINVAL;

	mutex_lock(&vm->lock);
	old = &vm->slots[id];
	new = (struct mkvm_memslot) {
		.base_gfn	= mem->guest_phys_addr >> PAGE_SHIFT,
		.npages		= npages,
		.userspace_addr	= mem->userspace_addr,
		.flags		= mem->flags,
	};

	if (!npages) {				/* delete */
		if (!old->npages)
			ret = -EINVAL;
		else
			install_slot(vm, id, &new);
		goto out;
	}
	if (old->npages) {			/* move or flags change */
		if (new.userspace_addr != old->userspace_addr ||
		    new.npages != old->npages ||
		    ((new.flags ^ old->flags) & KVM_MEM_READONLY)) {
			ret = -EINVAL;
			goto out;
		}
	}
	if ((!old->npages || new.base_gfn != old->base_gfn) &&
	    overlaps(vm, id, new.base_gfn, npages)) {
		ret = -EEXIST;
		goto out;
	}
	/* arm64: the whole slot must fit in the VM's IPA space. */
	if (mem->guest_phys_addr + mem->memory_size >
	    BIT_ULL(vm->arch.ipa_bits)) {
		ret = -EFAULT;
		goto out;
	}
	install_slot(vm, id, &new);
out:
	mutex_unlock(&vm->lock);
	return ret;
}
