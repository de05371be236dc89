// SPDX-License-Identifier: GPL-2.0
/*
 * The VM fd: KVM_CREATE_VM makes one, its ioctls add memory and vCPUs.
 * A VM lives while its fd or any of its vCPU fds is open.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "mkvm.h"

static const struct file_operations mkvm_vm_fops;

/* Does [start, end) of the VMM's address space hold a slot's page? */
static bool mkvm_range_has_slot(struct mkvm_vm *vm, unsigned long start,
				unsigned long end)
{
	int i;

	for (i = 0; i < vm->slots_end; i++) {
		struct mkvm_memslot *s = &vm->slots[i];

		if (s->npages && start < s->userspace_addr +
				 (s->npages << PAGE_SHIFT) &&
		    end > s->userspace_addr)
			return true;
	}
	return false;
}

/*
 * The VMM's memory is changing under a range: drop stage-2 mappings of
 * every slot page in it, and make the faults on pages in the range retry
 * until the end (mkvm_mmu_invalidating()).  Every range counts and widens
 * the union the faults look at, whether or not a slot holds it now: a
 * slot may be added over it before its end.  mmu_seq moves only for a
 * range a slot holds: a fault that sampled it and raced with the change
 * of its own page then retries, and the VMM's unrelated munmaps leave the
 * guest's faults alone (each of them otherwise made every fault in flight
 * retry, and a large one made a vCPU spin on the same fault for as long
 * as it took: a Linux guest under QEMU took 150,000 stage-2 faults to
 * boot instead of 7,000).
 *
 * This never fails and never sleeps, so it serves non-blockable callers
 * (the OOM reaper, process_mrelease()) too: mm/mmu_notifier.c calls every
 * invalidate_range_end even after a start that failed, so a start that
 * could fail could not count ranges in progress.  mmu_lock is a spinlock
 * for this, and everything under it (the walk, the TLB flush hypercall)
 * runs without sleeping.
 */
static int mkvm_mn_invalidate_start(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct mkvm_vm *vm = container_of(mn, struct mkvm_vm, mn);
	int i;

	spin_lock(&vm->mmu_lock);
	if (!vm->mmu_invalidating++) {
		vm->mmu_inval_start = range->start;
		vm->mmu_inval_end = range->end;
	} else {
		vm->mmu_inval_start = min(vm->mmu_inval_start, range->start);
		vm->mmu_inval_end = max(vm->mmu_inval_end, range->end);
	}
	if (mkvm_range_has_slot(vm, range->start, range->end))
		vm->mmu_seq++;
	for (i = 0; i < vm->slots_end; i++) {
		struct mkvm_memslot *s = &vm->slots[i];
		u64 hva_end = s->userspace_addr + (s->npages << PAGE_SHIFT);
		u64 start, end;

		if (!s->npages || range->end <= s->userspace_addr ||
		    range->start >= hva_end)
			continue;
		start = max(range->start, s->userspace_addr);
		end = min(range->end, hva_end);
		mkvm_arch_unmap_range(vm, (s->base_gfn << PAGE_SHIFT) +
				      (start - s->userspace_addr), end - start);
	}
	spin_unlock(&vm->mmu_lock);
	return 0;
}

/*
 * A fault that sampled mmu_seq before the start may have looked up the
 * old page: if a slot holds the range now, it must retry.  (A slot that
 * went away since moved mmu_seq itself, memslot.c.)
 */
static void mkvm_mn_invalidate_end(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct mkvm_vm *vm = container_of(mn, struct mkvm_vm, mn);

	spin_lock(&vm->mmu_lock);
	if (mkvm_range_has_slot(vm, range->start, range->end))
		vm->mmu_seq++;
	/* Every end has had its start: see mkvm_mn_invalidate_start(). */
	if (!WARN_ON_ONCE(vm->mmu_invalidating <= 0))
		vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/* The address space is going away: nothing of it may stay mapped. */
static void mkvm_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct mkvm_vm *vm = container_of(mn, struct mkvm_vm, mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	mkvm_arch_unmap_range(vm, 0, BIT_ULL(vm->arch.ipa_bits));
	spin_unlock(&vm->mmu_lock);
}

/*
 * Reclaim can call the MMU notifier, which takes mmu_lock: say so to
 * lockdep once per VM, so that an allocation under mmu_lock shows up as
 * the deadlock it can become on the debug kernel's first fault, not only
 * when reclaim happens to unmap a page of this VMM at that very moment.
 * The notifier core's own annotation does not see through the SRCU read
 * lock it holds around the callbacks.  (dma-resv primes its locks alike.)
 */
static void mkvm_mmu_lock_lockdep_prime(struct mkvm_vm *vm)
{
	if (!IS_ENABLED(CONFIG_LOCKDEP))
		return;
	fs_reclaim_acquire(GFP_KERNEL);
	might_lock(&vm->mmu_lock);
	fs_reclaim_release(GFP_KERNEL);
}

static const struct mmu_notifier_ops mkvm_mn_ops = {
	.invalidate_range_start	= mkvm_mn_invalidate_start,
	.invalidate_range_end	= mkvm_mn_invalidate_end,
	.release		= mkvm_mn_release,
};

static void mkvm_vm_destroy(struct mkvm_vm *vm)
{
	int i;

	/* Before the vCPUs and the vGIC an irqfd injects into go. */
	mkvm_eventfd_vm_destroy(vm);
	mmu_notifier_unregister(&vm->mn, vm->mm);
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct mkvm_vcpu *vcpu = vm->vcpus[i];

		mkvm_arch_vcpu_destroy(vcpu);
		mkvm_pgtable_cache_free(&vcpu->mmu_cache);
		free_page((unsigned long)vcpu->run);
		kfree(vcpu);
	}
	mkvm_arch_vm_destroy(vm);
	mkvm_memslots_free(vm);
	mkvm_coalesced_free(vm);
	mmdrop(vm->mm);
	kfree(vm);
}

/**
 * mkvm_vm_put() - drop a reference; the last one destroys the VM
 * @vm:		the VM
 */
void mkvm_vm_put(struct mkvm_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		mkvm_vm_destroy(vm);
}

static int mkvm_vm_release(struct inode *inode, struct file *file)
{
	mkvm_vm_put(file->private_data);
	return 0;
}

static long mkvm_vm_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg)
{
	struct mkvm_vm *vm = file->private_data;
	void __user *argp = (void __user *)arg;
	struct kvm_userspace_memory_region2 mem2 = {};
	struct kvm_coalesced_mmio_zone zone;
	struct kvm_clear_dirty_log clear;
	struct kvm_dirty_log log;
	struct kvm_enable_cap cap;
	struct kvm_ioeventfd ioeventfd;
	struct kvm_irqfd irqfd;
	struct kvm_msi msi;

	/* Only the creating process drives a VM, as with KVM. */
	if (vm->mm != current->mm || READ_ONCE(vm->dead))
		return -EIO;

	switch (cmd) {
	case KVM_SET_USER_MEMORY_REGION:
		if (copy_from_user(&mem2, argp,
				   sizeof(struct kvm_userspace_memory_region)))
			return -EFAULT;
		/* The old struct has no room for guest_memfd flags. */
		if (mem2.flags & ~(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES))
			return -EINVAL;
		return mkvm_set_memory_region(vm, &mem2);
	case KVM_SET_USER_MEMORY_REGION2:
		if (copy_from_user(&mem2, argp, sizeof(mem2)))
			return -EFAULT;
		return mkvm_set_memory_region(vm, &mem2);
	case KVM_GET_DIRTY_LOG:
		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return mkvm_get_dirty_log(vm, &log);
	case KVM_CLEAR_DIRTY_LOG:
		if (copy_from_user(&clear, argp, sizeof(clear)))
			return -EFAULT;
		return mkvm_clear_dirty_log(vm, &clear);
	case KVM_ENABLE_CAP:
		/* The arch-neutral caps first, as KVM; the rest are arm64's. */
		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		if (cap.cap == KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)
			return mkvm_enable_manual_dirty_log(vm, &cap);
		return mkvm_arch_vm_ioctl(vm, cmd, argp);
	case KVM_CREATE_VCPU:
		return mkvm_create_vcpu(vm, arg);
	case KVM_CHECK_EXTENSION:
		return mkvm_check_extension(vm, arg);
	case KVM_GET_STATS_FD:
		return mkvm_vm_stats_fd(vm);
	case KVM_REGISTER_COALESCED_MMIO:
	case KVM_UNREGISTER_COALESCED_MMIO:
		if (copy_from_user(&zone, argp, sizeof(zone)))
			return -EFAULT;
		if (cmd == KVM_REGISTER_COALESCED_MMIO)
			return mkvm_coalesced_register(vm, &zone);
		return mkvm_coalesced_unregister(vm, &zone);
	case KVM_IOEVENTFD:
		if (copy_from_user(&ioeventfd, argp, sizeof(ioeventfd)))
			return -EFAULT;
		return mkvm_ioeventfd(vm, &ioeventfd);
	case KVM_IRQFD:
		if (copy_from_user(&irqfd, argp, sizeof(irqfd)))
			return -EFAULT;
		return mkvm_irqfd(vm, &irqfd);
	case KVM_SET_GSI_ROUTING:
		return mkvm_set_gsi_routing(vm, argp);
	case KVM_SIGNAL_MSI:
		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		return mkvm_arch_set_msi(vm, &msi);
	default:
		return mkvm_arch_vm_ioctl(vm, cmd, argp);
	}
}

static const struct file_operations mkvm_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= mkvm_vm_release,
	.unlocked_ioctl	= mkvm_vm_ioctl,
	.compat_ioctl	= mkvm_vm_ioctl,
	.llseek		= noop_llseek,
};

/**
 * mkvm_create_vm() - KVM_CREATE_VM
 * @type:	0, or KVM_VM_TYPE_ARM_IPA_SIZE(n)
 *
 * Return: the new VM fd, or -EINVAL for a bad type, -ENOMEM, -ENOSPC when
 * every VMID is taken.
 */
int mkvm_create_vm(unsigned long type)
{
	struct mkvm_vm *vm;
	int ret, fd;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	refcount_set(&vm->users, 1);
	mutex_init(&vm->lock);
	spin_lock_init(&vm->mmu_lock);
	mkvm_mmu_lock_lockdep_prime(vm);
	mkvm_eventfd_vm_init(vm);
	vm->mm = current->mm;
	mmgrab(vm->mm);

	ret = mkvm_arch_vm_init(vm, type);
	if (ret)
		goto drop_mm;
	vm->mn.ops = &mkvm_mn_ops;
	ret = mmu_notifier_register(&vm->mn, vm->mm);
	if (ret)
		goto arch_destroy;

	fd = anon_inode_getfd("minikvm-vm", &mkvm_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto unregister;
	}
	return fd;

unregister:
	mmu_notifier_unregister(&vm->mn, vm->mm);
arch_destroy:
	mkvm_arch_vm_destroy(vm);
drop_mm:
	mmdrop(vm->mm);
	kfree(vm);
	return ret;
}
