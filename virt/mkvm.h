/* SPDX-License-Identifier: GPL-2.0 */
/* The arch-neutral core of minikvm: VMs, vCPUs, memslots. */
#ifndef __MKVM_CORE_H
#define __MKVM_CORE_H

#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <mkvm/arch.h>

#define MKVM_MAX_MEMSLOTS	512
/* KVM's limit on one slot: the page count must fit in 31 bits. */
#define MKVM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

struct mkvm_memslot {
	u64 base_gfn;
	u64 npages;		/* 0: slot unused */
	u64 userspace_addr;
	u32 flags;		/* KVM_MEM_READONLY */
};

struct mkvm_vm {
	refcount_t users;	/* the VM fd, and each vCPU */
	struct mm_struct *mm;	/* the creator's; memslots point into it */
	struct mutex lock;	/* vCPU creation; serializes memslot updates */
	bool dead;		/* unusable: every ioctl fails with -EIO */

	/* Written under lock and mmu_lock both; read under either. */
	struct mkvm_memslot slots[MKVM_MAX_MEMSLOTS];
	int slots_end;		/* one past the highest slot id in use */

	/*
	 * Stage 2, and the fault/invalidate handshake.  A spinlock, like
	 * KVM's mmu_lock: the MMU notifier takes it in contexts that must
	 * not sleep or fail (the OOM reaper), so nothing under it sleeps or
	 * allocates.  A fault samples mmu_seq before it looks up the user
	 * page and maps only if no invalidation ran or runs meanwhile.
	 */
	spinlock_t mmu_lock;
	unsigned long mmu_seq;
	long mmu_invalidating;	/* invalidate_range_start without its end */
	struct mmu_notifier mn;

	struct mkvm_vcpu *vcpus[MKVM_MAX_VCPUS];
	int nr_vcpus;		/* published after vcpus[] (acquire/release) */

	struct mkvm_arch_vm arch;
};

struct mkvm_vcpu {
	struct mkvm_vm *vm;
	u32 id;
	struct kvm_run *run;	/* one page, mmap'ed by the VMM */
	struct mutex mutex;	/* one ioctl at a time */
	struct task_struct *task; /* in KVM_RUN, or NULL */
	/* Stage-2 table pages, topped up before mmu_lock is taken. */
	struct mkvm_pgtable_cache mmu_cache;
	struct mkvm_arch_vcpu arch;
};

/*
 * How many vCPUs the VM has, all of them fully set up: the acquire pairs
 * with the release in mkvm_create_vcpu() that publishes vcpus[n - 1].
 */
static inline int mkvm_nr_vcpus(struct mkvm_vm *vm)
{
	return smp_load_acquire(&vm->nr_vcpus);
}

long mkvm_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long mkvm_check_extension(struct mkvm_vm *vm, long ext);
int mkvm_create_vm(unsigned long type);
void mkvm_vm_put(struct mkvm_vm *vm);
int mkvm_create_vcpu(struct mkvm_vm *vm, unsigned long id);
int mkvm_set_memory_region(struct mkvm_vm *vm,
			   const struct kvm_userspace_memory_region2 *mem);
struct mkvm_memslot *mkvm_gfn_to_slot(struct mkvm_vm *vm, u64 gfn);
struct mkvm_vcpu *mkvm_vcpu_by_mpidr(struct mkvm_vm *vm, u64 mpidr);

#endif /* __MKVM_CORE_H */
