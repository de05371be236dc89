// SPDX-License-Identifier: GPL-2.0
/*
 * Memslots: guest-physical ranges backed by the VMM's memory.  Validation
 * follows KVM (virt/kvm/kvm_main.c, kvm_set_memory_region()), error for
 * error, so a VMM sees the same answers on /dev/minikvm and /dev/kvm.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include "mkvm.h"

/* KVM's slot-id limit (KVM_USER_MEM_SLOTS): ids below it exist or not. */
#define KVM_USER_MEM_SLOTS	SHRT_MAX

#define KVM_DIRTY_LOG_MANUAL_CAPS	(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | \
					 KVM_DIRTY_LOG_INITIALLY_SET)

static unsigned long dirty_bitmap_bytes(u64 npages)
{
	return ALIGN(npages, BITS_PER_LONG) / 8;
}

/* The scratch half behind a slot's dirty bitmap (struct mkvm_memslot). */
static unsigned long *second_dirty_bitmap(const struct mkvm_memslot *s)
{
	return s->dirty_bitmap + dirty_bitmap_bytes(s->npages) / sizeof(long);
}

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
 * Replace a slot; the old range leaves stage 2 first when it moves or
 * goes.  vm->lock keeps other updates out; mmu_lock publishes the change
 * to faults and to the MMU notifier, which read the slots under it alone.
 * A slot that starts logging dirty pages is write-protected, unless
 * KVM_DIRTY_LOG_INITIALLY_SET reports every page dirty until the VMM
 * clears it (KVM_CLEAR_DIRTY_LOG protects then).
 */
static void install_slot(struct mkvm_vm *vm, int id,
			 const struct mkvm_memslot *new)
{
	struct mkvm_memslot *old = &vm->slots[id];
	bool start_log = new->dirty_bitmap && !old->dirty_bitmap &&
		!(vm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET);

	lockdep_assert_held(&vm->lock);
	spin_lock(&vm->mmu_lock);
	if (old->npages && (!new->npages || old->base_gfn != new->base_gfn))
		mkvm_arch_unmap_range(vm, old->base_gfn << PAGE_SHIFT,
				      old->npages << PAGE_SHIFT);
	else if (old->npages && start_log &&
		 mkvm_arch_write_protect(vm, old->base_gfn << PAGE_SHIFT,
					 old->npages << PAGE_SHIFT))
		mkvm_arch_flush_vm_tlbs(vm);
	*old = *new;
	if (new->npages && id >= vm->slots_end)
		vm->slots_end = id + 1;
	while (vm->slots_end && !vm->slots[vm->slots_end - 1].npages)
		vm->slots_end--;
	/* Faults that looked up the old slot (or its flags) must retry. */
	vm->mmu_seq++;
	spin_unlock(&vm->mmu_lock);
}

/* KVM refuses dirty logging on VM_PFNMAP memory (no struct page to log). */
static int check_log_vmas(u64 hva, u64 size)
{
	u64 end = hva + size;
	int ret = 0;

	mmap_read_lock(current->mm);
	while (hva < end) {
		struct vm_area_struct *vma;

		vma = find_vma_intersection(current->mm, hva, end);
		if (!vma)
			break;
		if (vma->vm_flags & VM_PFNMAP) {
			ret = -EINVAL;
			break;
		}
		hva = min_t(u64, end, vma->vm_end);
	}
	mmap_read_unlock(current->mm);
	return ret;
}

/**
 * mkvm_set_memory_region() - KVM_SET_USER_MEMORY_REGION(2)
 * @vm:		the VM
 * @mem:	the request, already copied from userspace
 *
 * Creates, deletes (memory_size 0), moves (new guest_phys_addr) or changes
 * the flags of a slot (only KVM_MEM_LOG_DIRTY_PAGES may change).  A slot
 * that logs keeps its bitmap across a move.
 * Return: 0, -EINVAL for a malformed request (a tagged @userspace_addr
 * included, or logging on VM_PFNMAP memory), -EEXIST for an overlap,
 * -EFAULT for a range beyond the VM's IPA size, -ENOMEM.
 */
int mkvm_set_memory_region(struct mkvm_vm *vm,
			   const struct kvm_userspace_memory_region2 *mem)
{
	u32 id = mem->slot & 0xffff, as_id = mem->slot >> 16;
	u64 npages = mem->memory_size >> PAGE_SHIFT;
	struct mkvm_memslot new, *old;
	unsigned long *old_bitmap;
	int ret = 0;

	if (mem->flags & ~(KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES))
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

	old_bitmap = old->dirty_bitmap;

	if (!npages) {				/* delete */
		if (!old->npages) {
			ret = -EINVAL;
			goto out;
		}
		install_slot(vm, id, &new);
		goto free_old_bitmap;
	}
	if (old->npages) {			/* move or flags change */
		if (new.userspace_addr != old->userspace_addr ||
		    new.npages != old->npages ||
		    ((new.flags ^ old->flags) & KVM_MEM_READONLY)) {
			ret = -EINVAL;
			goto out;
		}
		if (new.base_gfn == old->base_gfn && new.flags == old->flags)
			goto out;		/* nothing changes, as KVM */
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
	if (new.flags & KVM_MEM_LOG_DIRTY_PAGES) {
		ret = check_log_vmas(new.userspace_addr, mem->memory_size);
		if (ret)
			goto out;
		if (old->npages && old_bitmap) {
			new.dirty_bitmap = old_bitmap;
		} else {
			new.dirty_bitmap = __vcalloc(2, dirty_bitmap_bytes(npages),
						     GFP_KERNEL_ACCOUNT);
			if (!new.dirty_bitmap) {
				ret = -ENOMEM;
				goto out;
			}
			if (vm->manual_dirty_log_protect &
			    KVM_DIRTY_LOG_INITIALLY_SET)
				bitmap_set(new.dirty_bitmap, 0, npages);
		}
	}
	install_slot(vm, id, &new);
free_old_bitmap:
	/* No fault uses it now: they look slots up under mmu_lock. */
	if (old_bitmap != new.dirty_bitmap)
		vfree(old_bitmap);
out:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_memslots_free() - free what the slots own (their dirty bitmaps)
 * @vm:		the VM, being destroyed
 */
void mkvm_memslots_free(struct mkvm_vm *vm)
{
	int i;

	for (i = 0; i < MKVM_MAX_MEMSLOTS; i++) {
		vfree(vm->slots[i].dirty_bitmap);
		vm->slots[i].dirty_bitmap = NULL;
	}
}

/* The slot @slot names if it logs dirty pages; KVM's errors otherwise. */
static struct mkvm_memslot *log_slot(struct mkvm_vm *vm, u32 slot, int *err)
{
	u32 id = slot & 0xffff, as_id = slot >> 16;

	*err = -EINVAL;
	if (as_id || id >= KVM_USER_MEM_SLOTS)
		return NULL;
	*err = -ENOENT;
	if (id >= ARRAY_SIZE(vm->slots) || !vm->slots[id].dirty_bitmap)
		return NULL;
	return &vm->slots[id];
}

/*
 * Write-protect the pages of @s whose bits are set in @mask, a bitmap
 * word covering the 64 pages from @first (caller holds mmu_lock).
 */
static bool protect_word(struct mkvm_vm *vm, const struct mkvm_memslot *s,
			 u64 first, unsigned long mask)
{
	u64 start = s->base_gfn + first + __ffs(mask);
	u64 end = s->base_gfn + first + __fls(mask) + 1;

	return mkvm_arch_write_protect(vm, start << PAGE_SHIFT,
				       (end - start) << PAGE_SHIFT);
}

/**
 * mkvm_get_dirty_log() - KVM_GET_DIRTY_LOG
 * @vm:		the VM
 * @log:	the request, copied from userspace
 *
 * Copies the slot's bitmap out.  Without manual protection the reported
 * bits are cleared and their pages write-protected first, and the TLBs
 * flushed before this returns: a write after the call is in the next
 * report.  The flush comes after mmu_lock is dropped (vCPUs faulting
 * meanwhile need it); vm->lock keeps the next GET/CLEAR, which trusts
 * read-only entries to have no writable TLB entry left, until then.
 * Bits are taken with xchg() under mmu_lock, where faults set them, so
 * none is lost between the copy and the clear.
 * Return: 0, -EINVAL for a bad slot id, -ENOENT for a slot that does not
 * log, -EFAULT.
 */
int mkvm_get_dirty_log(struct mkvm_vm *vm, const struct kvm_dirty_log *log)
{
	void __user *ubuf = log->dirty_bitmap;
	struct mkvm_memslot *s;
	unsigned long *buf, n, i;
	bool flush = false;
	int ret;

	mutex_lock(&vm->lock);
	s = log_slot(vm, log->slot, &ret);
	if (!s)
		goto out;
	n = dirty_bitmap_bytes(s->npages);
	if (vm->manual_dirty_log_protect) {
		buf = s->dirty_bitmap;
	} else {
		buf = second_dirty_bitmap(s);
		memset(buf, 0, n);
		spin_lock(&vm->mmu_lock);
		for (i = 0; i < n / sizeof(long); i++) {
			if (!READ_ONCE(s->dirty_bitmap[i]))
				continue;
			buf[i] = xchg(&s->dirty_bitmap[i], 0);
			flush |= protect_word(vm, s, i * BITS_PER_LONG, buf[i]);
		}
		spin_unlock(&vm->mmu_lock);
		if (flush)
			mkvm_arch_flush_vm_tlbs(vm);
	}
	ret = copy_to_user(ubuf, buf, n) ? -EFAULT : 0;
out:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_clear_dirty_log() - KVM_CLEAR_DIRTY_LOG
 * @vm:		the VM
 * @log:	the request, copied from userspace
 *
 * Clears the bits set in the VMM's bitmap (page @first_page onwards) and
 * write-protects the pages whose bits really were set, with the TLB
 * flush, so that their next write is logged again.  Like KVM, this works
 * with manual protection off too.
 * Return: 0, -EINVAL for a bad slot id or a range that is not 64-page
 * aligned (the end may be the slot's end) or leaves the slot, -ENOENT for
 * a slot that does not log, -EFAULT.
 */
int mkvm_clear_dirty_log(struct mkvm_vm *vm,
			 const struct kvm_clear_dirty_log *log)
{
	void __user *ubuf = log->dirty_bitmap;
	unsigned long *buf, words, i;
	struct mkvm_memslot *s;
	bool flush = false;
	u64 first;
	int ret;

	if (log->first_page & 63)
		return -EINVAL;
	mutex_lock(&vm->lock);
	s = log_slot(vm, log->slot, &ret);
	if (!s)
		goto out;
	ret = -EINVAL;
	if (log->first_page > s->npages ||
	    log->num_pages > s->npages - log->first_page ||
	    (log->num_pages < s->npages - log->first_page &&
	     (log->num_pages & 63)))
		goto out;
	buf = second_dirty_bitmap(s);
	words = DIV_ROUND_UP(log->num_pages, BITS_PER_LONG);
	ret = -EFAULT;
	if (copy_from_user(buf, ubuf, words * sizeof(long)))
		goto out;

	spin_lock(&vm->mmu_lock);
	first = log->first_page;
	for (i = 0; i < words; i++, first += BITS_PER_LONG) {
		atomic_long_t *p = (atomic_long_t *)&s->dirty_bitmap[first / BITS_PER_LONG];
		unsigned long mask = buf[i];

		if (!mask)
			continue;
		/* Only bits that were set: the rest were never reported. */
		mask &= atomic_long_fetch_andnot(mask, p);
		if (mask)
			flush |= protect_word(vm, s, first, mask);
	}
	spin_unlock(&vm->mmu_lock);
	if (flush)
		mkvm_arch_flush_vm_tlbs(vm);
	ret = 0;
out:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_enable_manual_dirty_log() - KVM_ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2)
 * @vm:		the VM
 * @cap:	args[0] holds KVM_DIRTY_LOG_* bits, 0 to turn it off again
 *
 * As KVM: allowed at any time, INITIALLY_SET only with ENABLE.
 * Return: 0, -EINVAL.
 */
int mkvm_enable_manual_dirty_log(struct mkvm_vm *vm,
				 const struct kvm_enable_cap *cap)
{
	u64 allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;

	if (cap->args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
		allowed = KVM_DIRTY_LOG_MANUAL_CAPS;
	if (cap->flags || (cap->args[0] & ~allowed))
		return -EINVAL;
	mutex_lock(&vm->lock);
	vm->manual_dirty_log_protect = cap->args[0];
	mutex_unlock(&vm->lock);
	return 0;
}

/**
 * mkvm_mark_page_dirty() - log a write minikvm itself made to guest memory
 * @vm:		the VM
 * @gfn:	the page it wrote
 *
 * The guest's own writes are logged by the stage-2 write faults; the few
 * minikvm makes through the VMM's mapping (the steal-time record) must be
 * logged here, or a VMM migrating the VM would copy the page stale, as
 * KVM's mark_page_dirty() after kvm_write_guest().  Bits are set under
 * mmu_lock, where GET/CLEAR_DIRTY_LOG take them.
 */
void mkvm_mark_page_dirty(struct mkvm_vm *vm, u64 gfn)
{
	struct mkvm_memslot *s;

	spin_lock(&vm->mmu_lock);
	s = mkvm_gfn_to_slot(vm, gfn);
	if (s && s->dirty_bitmap)
		set_bit(gfn - s->base_gfn, s->dirty_bitmap);
	spin_unlock(&vm->mmu_lock);
}

/**
 * mkvm_gpa_to_uaddr() - the VMM's address of guest memory
 * @vm:		the VM
 * @gpa:	guest physical address
 * @len:	bytes from @gpa, all within its page
 * @write:	for a write: a read-only slot gives none
 *
 * Only for the VM's own process (a vCPU thread, or the VMM in an ioctl):
 * the address means something in its mm alone, and the caller then copies
 * with no spinlock held, as the copy may fault and sleep.
 * Return: the user address, or 0 when no slot backs @gpa that way.
 */
unsigned long mkvm_gpa_to_uaddr(struct mkvm_vm *vm, u64 gpa, size_t len,
				bool write)
{
	struct mkvm_memslot *s;
	unsigned long uaddr = 0;

	if (current->mm != vm->mm || offset_in_page(gpa) + len > PAGE_SIZE)
		return 0;
	spin_lock(&vm->mmu_lock);
	s = mkvm_gfn_to_slot(vm, gpa >> PAGE_SHIFT);
	if (s && !(write && (s->flags & KVM_MEM_READONLY)))
		uaddr = s->userspace_addr +
			((gpa >> PAGE_SHIFT) - s->base_gfn) * PAGE_SIZE +
			offset_in_page(gpa);
	spin_unlock(&vm->mmu_lock);
	return uaddr;
}

/**
 * mkvm_read_guest() - copy guest memory, as KVM's kvm_read_guest()
 * @vm:		the VM
 * @gpa:	guest physical address
 * @buf:	destination
 * @len:	bytes, all within @gpa's page
 *
 * Return: 0, or -EFAULT (no slot there, or the VMM's memory is gone).
 */
int mkvm_read_guest(struct mkvm_vm *vm, u64 gpa, void *buf, size_t len)
{
	unsigned long uaddr = mkvm_gpa_to_uaddr(vm, gpa, len, false);

	if (!uaddr || copy_from_user(buf, (void __user *)uaddr, len))
		return -EFAULT;
	return 0;
}

/**
 * mkvm_write_guest() - write guest memory, as KVM's kvm_write_guest()
 * @vm:		the VM
 * @gpa:	guest physical address
 * @buf:	source
 * @len:	bytes, all within @gpa's page
 *
 * The page is logged dirty: a VMM migrating the guest copies what the
 * hypervisor wrote into it too (steal time, the ITS's tables).
 * Return: 0, or -EFAULT (no writable slot there, or the memory is gone).
 */
int mkvm_write_guest(struct mkvm_vm *vm, u64 gpa, const void *buf,
		     size_t len)
{
	unsigned long uaddr = mkvm_gpa_to_uaddr(vm, gpa, len, true);

	if (!uaddr || copy_to_user((void __user *)uaddr, buf, len))
		return -EFAULT;
	mkvm_mark_page_dirty(vm, gpa >> PAGE_SHIFT);
	return 0;
}
