/* SPDX-License-Identifier: GPL-2.0 */
/* The arch-neutral core of minikvm: VMs, vCPUs, memslots. */
#ifndef __MKVM_CORE_H
#define __MKVM_CORE_H

#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/signal.h>
#include <linux/spinlock.h>
#include <mkvm/arch.h>

#define MKVM_MAX_MEMSLOTS	512
/* KVM's limit on one slot: the page count must fit in 31 bits. */
#define MKVM_MEM_MAX_NR_PAGES	((1UL << 31) - 1)

struct mkvm_memslot {
	u64 base_gfn;
	u64 npages;		/* 0: slot unused */
	u64 userspace_addr;
	u32 flags;		/* KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES */
	/*
	 * With KVM_MEM_LOG_DIRTY_PAGES: one bit per page, set by the fault
	 * that makes the page writable (arch stage 2), followed by a second
	 * bitmap of the same size, scratch space for KVM_GET/CLEAR_DIRTY_LOG
	 * under vm->lock.  vmalloc'ed; freed when logging stops, with the
	 * slot, or with the VM.
	 */
	unsigned long *dirty_bitmap;
};

/*
 * Counters read through KVM_GET_STATS_FD (virt/stats.c).  Each is written
 * by one context at a time (the vCPU's thread, or under vm->mmu_lock) and
 * read locklessly: an aligned u64 load never tears on arm64.
 */
struct mkvm_vm_stat {
	u64 tlb_flushes;		/* VM-wide stage-2 TLB flushes */
	u64 tlb_ipa_flushes;		/* ... and by IPA (unmaps of a few) */
	u64 s2_tables_replaced;		/* tables of pages made 2 MiB blocks */
};

struct mkvm_vcpu_stat {
	u64 exits;			/* every return from the guest */
	u64 wfi_exit_stat;
	u64 wfe_exit_stat;
	u64 hvc_exit_stat;		/* HVC (SMCCC) calls */
	u64 mmio_exit_user;		/* KVM_EXIT_MMIO to the VMM */
	u64 mmio_exit_kernel;		/* MMIO emulated in the module */
	u64 signal_exits;		/* KVM_RUN left for a signal */
	u64 halt_attempted_poll;	/* WFI sleeps that polled first */
	u64 halt_successful_poll;	/* ... and were woken while polling */
	u64 halt_wakeup;		/* WFI sleeps ended by a wakeup */
	u64 halt_poll_success_ns;	/* time polled, polls that worked */
	u64 halt_poll_fail_ns;		/* ... and polls that did not */
	u64 halt_wait_ns;		/* time asleep in WFI after polling */
	u64 stage2_faults;		/* guest aborts taken to EL2 */
	u64 sysreg_exits;		/* trapped system register accesses */
	u64 irq_exits;			/* host interrupts while the guest ran */
};

struct mkvm_coalesced;
struct mkvm_irq_routing;

/*
 * ioeventfds, irqfds and GSI routing (virt/eventfd.c).  Readers that
 * cannot sleep (a guest MMIO write, an eventfd wakeup, an EOI) walk the
 * lists and the routing table under RCU; writers hold the mutexes.
 */
struct mkvm_eventfds {
	struct mutex io_lock;		/* ioeventfd assign/deassign */
	struct list_head ioeventfds;
	unsigned int nr_ioeventfds;	/* under io_lock */
	spinlock_t irqfd_lock;		/* irqfds: taken in wakeups, irqsave */
	struct list_head irqfds;
	struct mutex irq_lock;		/* routing updates, resamplers */
	struct list_head resamplers;
	struct mkvm_irq_routing __rcu *routing;
};

struct mkvm_vm {
	refcount_t users;	/* the VM fd, and each vCPU */
	struct mm_struct *mm;	/* the creator's; memslots point into it */
	struct mutex lock;	/* vCPU creation; serializes memslot updates */
	bool dead;		/* unusable: every ioctl fails with -EIO */

	int slots_end;		/* one past the highest slot id in use */

	/*
	 * Stage 2, and the fault/invalidate handshake.  A spinlock, like
	 * KVM's mmu_lock: the MMU notifier takes it in contexts that must
	 * not sleep or fail (the OOM reaper), so nothing under it sleeps or
	 * allocates.  A fault samples mmu_seq before it looks up the user
	 * page and maps only if no invalidation of its page ran or runs
	 * meanwhile (mkvm_mmu_invalidating()).
	 */
	spinlock_t mmu_lock;
	unsigned long mmu_seq;
	long mmu_invalidating;	/* invalidate_range_start without its end */
	/* The VMM addresses those cover (their union, so far): [start, end) */
	unsigned long mmu_inval_start, mmu_inval_end;
	struct mmu_notifier mn;

	/* KVM_DIRTY_LOG_* bits of KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 */
	u64 manual_dirty_log_protect;

	struct mkvm_vcpu *vcpus[MKVM_MAX_VCPUS];
	int nr_vcpus;		/* published after vcpus[] (acquire/release) */
	struct mkvm_vm_stat stat;
	struct mkvm_coalesced *coalesced;	/* made on first use */
	struct mkvm_eventfds ev;

	struct mkvm_arch_vm arch;

	/*
	 * Written under lock and mmu_lock both; read under either.  Last, so
	 * that an index one past the end (a slot id the checks let through)
	 * lands outside the allocation, where KASAN reports it, instead of
	 * silently in the fields that follow.
	 */
	struct mkvm_memslot slots[MKVM_MAX_MEMSLOTS];
};

struct mkvm_vcpu {
	struct mkvm_vm *vm;
	u32 id;
	struct kvm_run *run;	/* one page, mmap'ed by the VMM */
	struct mutex mutex;	/* one ioctl at a time */
	struct task_struct *task; /* in KVM_RUN, or NULL */
	bool in_guest;		/* between entry's barrier and the exit */
	bool sigset_active;	/* KVM_SET_SIGNAL_MASK given ... */
	sigset_t sigset;	/* ... the mask KVM_RUN runs with */
	/* Stage-2 table pages, topped up before mmu_lock is taken. */
	struct mkvm_pgtable_cache mmu_cache;
	struct mkvm_vcpu_stat stat;
	unsigned int halt_poll_ns; /* this vCPU's polling window, adaptive */
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

/*
 * Is an invalidation of the VMM's memory at [@hva, @hva + @size) in
 * progress, mmu_lock held?  Only the invalidations whose range meets it
 * make a fault wait, as KVM's mmu_invalidate_retry_gfn(): the VMM's other
 * threads change their own mappings all the time (malloc, thread stacks,
 * freed buffers), and a fault that waited for each of them could spin for
 * as long as a large munmap takes.  @size is a page, or a 2 MiB block.
 */
static inline bool mkvm_mmu_invalidating(struct mkvm_vm *vm, unsigned long hva,
					 unsigned long size)
{
	lockdep_assert_held(&vm->mmu_lock);
	return vm->mmu_invalidating && hva + size > vm->mmu_inval_start &&
	       hva < vm->mmu_inval_end;
}

long mkvm_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long mkvm_check_extension(struct mkvm_vm *vm, long ext);
int mkvm_create_vm(unsigned long type);
void mkvm_vm_put(struct mkvm_vm *vm);
int mkvm_create_vcpu(struct mkvm_vm *vm, unsigned long id);
bool mkvm_lock_all_vcpus(struct mkvm_vm *vm);
void mkvm_unlock_all_vcpus(struct mkvm_vm *vm);
int mkvm_set_memory_region(struct mkvm_vm *vm,
			   const struct kvm_userspace_memory_region2 *mem);
struct mkvm_memslot *mkvm_gfn_to_slot(struct mkvm_vm *vm, u64 gfn);
void mkvm_mark_page_dirty(struct mkvm_vm *vm, u64 gfn);
unsigned long mkvm_gpa_to_uaddr(struct mkvm_vm *vm, u64 gpa, size_t len,
				bool write);
int mkvm_read_guest(struct mkvm_vm *vm, u64 gpa, void *buf, size_t len);
int mkvm_write_guest(struct mkvm_vm *vm, u64 gpa, const void *buf,
		     size_t len);
void mkvm_memslots_free(struct mkvm_vm *vm);
int mkvm_get_dirty_log(struct mkvm_vm *vm, const struct kvm_dirty_log *log);
int mkvm_clear_dirty_log(struct mkvm_vm *vm,
			 const struct kvm_clear_dirty_log *log);
int mkvm_enable_manual_dirty_log(struct mkvm_vm *vm,
				 const struct kvm_enable_cap *cap);
struct mkvm_vcpu *mkvm_vcpu_by_mpidr(struct mkvm_vm *vm, u64 mpidr);
int mkvm_vm_stats_fd(struct mkvm_vm *vm);
struct page *mkvm_coalesced_ring_page(struct mkvm_vm *vm);
int mkvm_coalesced_register(struct mkvm_vm *vm,
			    const struct kvm_coalesced_mmio_zone *zone);
int mkvm_coalesced_unregister(struct mkvm_vm *vm,
			      const struct kvm_coalesced_mmio_zone *zone);
bool mkvm_coalesced_write(struct mkvm_vm *vm, u64 addr, u32 len,
			  const void *data);
void mkvm_coalesced_free(struct mkvm_vm *vm);
int mkvm_vcpu_stats_fd(struct mkvm_vcpu *vcpu);

/* virt/eventfd.c */
int mkvm_eventfd_module_init(void);
void mkvm_eventfd_module_exit(void);
void mkvm_eventfd_vm_init(struct mkvm_vm *vm);
void mkvm_eventfd_vm_destroy(struct mkvm_vm *vm);
int mkvm_ioeventfd(struct mkvm_vm *vm, const struct kvm_ioeventfd *args);
bool mkvm_ioeventfd_write(struct mkvm_vm *vm, u64 addr, u32 len, u64 data);
int mkvm_irqfd(struct mkvm_vm *vm, const struct kvm_irqfd *args);
int mkvm_set_gsi_routing(struct mkvm_vm *vm,
			 struct kvm_irq_routing __user *argp);
int mkvm_irq_routing_default(struct mkvm_vm *vm, u32 nr_spis);
void mkvm_irqfd_acked(struct mkvm_vm *vm, u32 pin);

/* Provided by the arch: the interrupt controller behind the irqfds. */
bool mkvm_arch_irqchip_ready(struct mkvm_vm *vm);
int mkvm_arch_set_spi(struct mkvm_vm *vm, u32 pin, bool level);
int mkvm_arch_set_msi(struct mkvm_vm *vm, const struct kvm_msi *msi);
int mkvm_arch_set_msi_atomic(struct mkvm_vm *vm, const struct kvm_msi *msi);

#endif /* __MKVM_CORE_H */
