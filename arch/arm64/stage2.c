// SPDX-License-Identifier: GPL-2.0
/*
 * Stage 2: the IPA -> PA tables of a VM, filled on demand from the VMM's
 * memory, emptied when that memory changes (memslot update, MMU notifier).
 * Tables are written at EL1 and walked by the MMU while the guest runs;
 * only TLB maintenance needs EL2 (MKVM_HC_FLUSH_VMID, MKVM_HC_FLUSH_IPA).
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/highmem.h>
#include <linux/percpu.h>
#include <linux/mm.h>
#include <asm/arch_timer.h>
#include <asm/cacheflush.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/hyp.h>
#include <mkvm/stage2.h>
#include <mkvm/vmid.h>

/*
 * Stage-2 leaf attributes (Arm ARM D8.3.1, stage 2 descriptor fields):
 * MemAttr 0b1111 = Normal, Inner/Outer Write-Back (combined with the
 * guest's stage-1 attributes), inner shareable, accessed, executable.
 */
#define S2_MEMATTR_NORMAL	(0xfUL << 2)
/* MemAttr 0b0001: Device-nGnRE, whatever the guest's stage 1 says. */
#define S2_MEMATTR_DEVICE	(0x1UL << 2)
/*
 * With HCR_EL2.FWB (FEAT_S2FWB, run.c): MemAttr 0b0110 forces Normal
 * Write-Back whatever the guest's stage 1 says, so a guest with its MMU
 * or caches off still reads through the caches, and the pages need no
 * clean to the PoC when mapped (as KVM on such CPUs).  Device-nGnRE keeps
 * its encoding.
 */
#define S2_MEMATTR_MASK		(0xfUL << 2)
#define S2_MEMATTR_FWB_NORMAL	(0x6UL << 2)
#define S2_AP_R			BIT(6)
#define S2_AP_W			BIT(7)
#define S2_SH_INNER		(3UL << 8)
#define S2_AF			BIT(10)
#define S2_ATTR_RO		(S2_MEMATTR_NORMAL | S2_AP_R | S2_SH_INNER | S2_AF)
#define S2_ATTR_RW		(S2_ATTR_RO | S2_AP_W)
/* XN[1] (bit 54): no instruction fetch at EL1 or EL0 through this entry. */
#define S2_XN			BIT(54)
#define S2_ATTR_DEVICE_RO	(S2_MEMATTR_DEVICE | S2_AP_R | S2_SH_INNER | \
				 S2_AF | S2_XN)
/*
 * Bits 55-58 are for software (ignored by the MMU).  This one says the
 * VMM's page was writable (get_user_pages with FOLL_WRITE) when it was
 * mapped: a logging slot maps such pages read-only until the guest
 * writes, and that write may be granted without looking the page up
 * again (see relax_logged_write()).
 */
#define S2_SW_HOST_WRITABLE	BIT(55)

static u64 parange_field(void)
{
	u64 pa = SYS_FIELD_GET(ID_AA64MMFR0_EL1, PARANGE,
			       read_sanitised_ftr_reg(SYS_ID_AA64MMFR0_EL1));

	return min_t(u64, pa, ID_AA64MMFR0_EL1_PARANGE_48);
}

/**
 * mkvm_arch_max_ipa_bits() - the largest IPA size a VM may ask for
 */
u32 mkvm_arch_max_ipa_bits(void)
{
	static const u8 bits[] = { 32, 36, 40, 42, 44, 48 };

	return bits[parange_field()];
}

/**
 * mkvm_arch_vm_init() - stage 2 for a new VM
 * @vm:		the VM
 * @type:	KVM_CREATE_VM's argument
 *
 * The VMID comes when a vCPU first runs (arch/arm64/vmid.c): creating VMs
 * never runs out of them.
 *
 * Return: 0, -EINVAL for a bad type or IPA size, -ENOMEM.
 */
int mkvm_arch_vm_init(struct mkvm_vm *vm, unsigned long type)
{
	struct mkvm_arch_vm *a = &vm->arch;
	u32 ipa = type & KVM_VM_TYPE_ARM_IPA_SIZE_MASK;
	u64 vtcr_vs;
	int ret;

	if (type & ~KVM_VM_TYPE_ARM_IPA_SIZE_MASK)
		return -EINVAL;
	if (!ipa)
		ipa = MKVM_DEFAULT_IPA_BITS;
	if (ipa < 32 || ipa > mkvm_arch_max_ipa_bits())
		return -EINVAL;

	vtcr_vs = mkvm_vmid_setup();
	a->last_vcpu_ran = alloc_percpu_gfp(struct mkvm_vcpu *,
					    GFP_KERNEL_ACCOUNT);
	if (!a->last_vcpu_ran)
		return -ENOMEM;
	ret = mkvm_pgtable_init(&a->s2, ipa);
	if (ret) {
		free_percpu(a->last_vcpu_ran);
		return ret;
	}
	a->ipa_bits = ipa;
	atomic64_set(&a->vmid, 0);
	/* The virtual counter starts at 0 when the VM is created. */
	a->cntvoff = __arch_counter_get_cntpct();
	a->vgic.dist_base = MKVM_VGIC_ADDR_UNDEF;
	spin_lock_init(&a->vgic.lock);
	/* LPIs are stored with the vGIC lock held, interrupts off. */
	xa_init_flags(&a->vgic.lpis, XA_FLAGS_LOCK_IRQ);
	INIT_LIST_HEAD(&a->vgic.lpi_live);
	INIT_LIST_HEAD(&a->vgic.its_list);
	a->vttbr_baddr = mkvm_pgtable_root_pa(&a->s2);
	/* SL0 counts levels down from level 2 for a 4 KiB granule. */
	a->vtcr = VTCR_EL2_RES1 | VTCR_EL2_T0SZ(ipa) |
		  ((u64)(2 - a->s2.start_level) << VTCR_EL2_SL0_SHIFT) |
		  VTCR_EL2_IRGN0_WBWA | VTCR_EL2_ORGN0_WBWA |
		  VTCR_EL2_SH0_INNER | VTCR_EL2_TG0_4K | vtcr_vs |
		  (parange_field() << VTCR_EL2_PS_SHIFT);
	return 0;
}

/*
 * The VM's TLB entries on every CPU: all of them, or with a @range
 * (MKVM_TLBI_IPA()) the stage-2 entries of those IPAs and the stage-1
 * ones.  Returns once no CPU can use an entry older than the call.
 */
static void flush_tlbs(struct mkvm_vm *vm, u64 range)
{
	u64 vttbr;

	/*
	 * The cleared entries are visible before the VMID is read: a vCPU
	 * that takes a new VMID after this read walks the cleared tables
	 * (pairs with the barrier in mkvm_vmid_update()).
	 */
	smp_mb();
	vttbr = mkvm_vmid_vttbr(vm);
	if (!vttbr)		/* never ran: nothing cached */
		return;
	mkvm_el2_flush_vmid(vttbr, vm->arch.vtcr, range);
	/*
	 * Callers hold mmu_lock, vm->lock (dirty log) or own the VM: a
	 * notifier and a KVM_GET_DIRTY_LOG flushing at once may lose one
	 * count, never tear it.
	 */
	if (range)
		vm->stat.tlb_ipa_flushes++;
	else
		vm->stat.tlb_flushes++;
}

/**
 * mkvm_arch_flush_vm_tlbs() - invalidate the VM's TLB entries on every CPU
 * @vm:		the VM; caller holds vm->mmu_lock or vm->lock, or owns the VM
 *
 * Returns once no CPU can use an entry older than the call.
 */
void mkvm_arch_flush_vm_tlbs(struct mkvm_vm *vm)
{
	flush_tlbs(vm, 0);
}

/**
 * mkvm_arch_vm_destroy() - free stage 2
 * @vm:		the VM; none of its vCPUs runs any more
 *
 * The VMID is not given back: ids are reused only after a rollover, which
 * flushes every CPU first.  The VM's entries still go now, so that no TLB
 * keeps pointing at pages the host is about to reuse.
 */
void mkvm_arch_vm_destroy(struct mkvm_vm *vm)
{
	mkvm_vgic_vm_destroy(vm);
	mkvm_smccc_vm_destroy(vm);
	mkvm_arch_flush_vm_tlbs(vm);
	mkvm_pgtable_destroy(&vm->arch.s2);
	free_percpu(vm->arch.last_vcpu_ran);
}

/* What an unmap cleared: [start, end) holds every entry it cleared. */
struct unmap_args {
	u64 start;
	u64 end;
	u32 level;		/* the deepest entry's: 3 if any page */
	bool unmapped;
};

static int unmap_visitor(const struct mkvm_pgtable_visit *v, void *arg)
{
	struct unmap_args *u = arg;

	if (!(READ_ONCE(*v->ptep) & BIT(0)))
		return 0;
	WRITE_ONCE(*v->ptep, 0);
	/* The walk goes up the IPA space. */
	if (!u->unmapped)
		u->start = v->addr;
	u->end = v->end;
	u->level = max(u->level, v->level);
	u->unmapped = true;
	return 0;
}

/*
 * The TLB invalidation an unmap needs, as MKVM_TLBI_IPA(): one TLBI per
 * 4 KiB of the range if a page was cleared, per 2 MiB if only blocks were
 * (one TLBI at any address in a block drops the block's entry), as KVM
 * invalidates each leaf it unmaps.  Beyond MKVM_TLBI_IPA_MAX of them, 0:
 * one flush of the whole VMID costs less than the broadcasts, each of
 * which every CPU must take in turn - KVM on arm64 also switches to a
 * VMID flush past a limit (its range flush, MAX_TLBI_RANGE_PAGES; stage
 * 1's MAX_DVM_OPS).
 */
static u64 unmap_tlbi_range(const struct unmap_args *u)
{
	u64 stride, start, n;

	if (u->level < 2)
		return 0;
	stride = u->level == 2 ? PMD_SIZE : PAGE_SIZE;
	start = ALIGN_DOWN(u->start, stride);
	n = (ALIGN(u->end, stride) - start) / stride;
	if (n > MKVM_TLBI_IPA_MAX)
		return 0;
	return MKVM_TLBI_IPA(start, n, u->level);
}

/**
 * mkvm_arch_unmap_range() - drop stage-2 mappings of [ipa, ipa + size)
 * @vm:		the VM; caller holds vm->mmu_lock
 * @ipa:	page-aligned start
 * @size:	length, clamped to the IPA space
 *
 * Tables stay (they are freed with the VM).  Before this returns, the
 * TLBs of every CPU have lost the entries of the IPAs unmapped (by IPA
 * for a few entries, or all of the VM's), so no vCPU can still reach
 * the pages.  Does not sleep: the MMU notifier calls it in
 * non-blockable contexts.
 */
void mkvm_arch_unmap_range(struct mkvm_vm *vm, u64 ipa, u64 size)
{
	u64 limit = BIT_ULL(vm->arch.ipa_bits);
	struct unmap_args u = {};
	struct mkvm_pgtable_walker w = {
		.cb	= unmap_visitor,
		.arg	= &u,
		.flags	= MKVM_WALK_LEAF,
	};

	lockdep_assert_held(&vm->mmu_lock);
	if (ipa >= limit)
		return;
	size = min(size, limit - ipa);
	mkvm_pgtable_walk(&vm->arch.s2, ipa, size, &w);
	if (u.unmapped) {
		dsb(ishst);
		flush_tlbs(vm, unmap_tlbi_range(&u));
	}
}

/**
 * mkvm_arch_write_protect() - make [ipa, ipa + size) read-only in stage 2
 * @vm:		the VM; caller holds vm->mmu_lock
 * @ipa:	page-aligned start, inside the IPA space
 * @size:	length
 *
 * For dirty logging: the next guest write to each page faults and is
 * logged.  The caller flushes the TLBs (mkvm_arch_flush_vm_tlbs()) when
 * this returns true, before it reports the pages clean: until then a
 * stale writable entry lets the guest write unseen.
 * Return: true if a writable mapping was found.
 */
bool mkvm_arch_write_protect(struct mkvm_vm *vm, u64 ipa, u64 size)
{
	lockdep_assert_held(&vm->mmu_lock);
	return mkvm_pgtable_clear_attr(&vm->arch.s2, ipa, size, S2_AP_W);
}

/**
 * mkvm_s2_fwb() - does this host force guest memory Write-Back at stage 2?
 *
 * Return: true when every CPU has FEAT_S2FWB; guests then run with
 * HCR_EL2.FWB and normal memory is mapped with S2_MEMATTR_FWB_NORMAL.
 */
bool mkvm_s2_fwb(void)
{
	return cpus_have_cap(ARM64_HAS_STAGE2_FWB);
}

/* Normal memory's stage-2 attributes @attr, in this host's encoding. */
static u64 s2_normal(u64 attr)
{
	if (!mkvm_s2_fwb())
		return attr;
	return (attr & ~S2_MEMATTR_MASK) | S2_MEMATTR_FWB_NORMAL;
}

/*
 * A guest with its MMU or caches off reads memory as Non-cacheable: the
 * page must be clean to the PoC before it is mapped (not with FWB, which
 * makes such accesses cacheable).  Only a page mapped executable (@exec)
 * needs the instruction cache to hold no stale lines for it, as in KVM:
 * data pages are mapped execute-never, and the first instruction fetch
 * from one takes a permission fault that cleans it then.
 */
static void clean_guest_page(struct page *page, bool exec)
{
	void *va;

	if (mkvm_s2_fwb() && (!exec || cpus_have_cap(ARM64_HAS_CACHE_DIC)))
		return;
	va = kmap_local_page(page);
	if (!mkvm_s2_fwb())
		mkvm_dcache_clean_poc(va, va + PAGE_SIZE);
	if (exec)
		caches_clean_inval_pou((unsigned long)va,
				       (unsigned long)va + PAGE_SIZE);
	kunmap_local(va);
}

/*
 * The same for the @n pages from @page on (physically contiguous).  With
 * FWB and IDC (nothing to clean, to the PoC or the PoU) only the
 * instruction cache is left: one invalidation of all of it costs less
 * than 32,768 line invalidations for a 2 MiB block.
 */
static void clean_guest_pages(struct page *page, unsigned long n, bool exec)
{
	if (n > 1 && exec && mkvm_s2_fwb() &&
	    cpus_have_cap(ARM64_HAS_CACHE_IDC)) {
		if (!cpus_have_cap(ARM64_HAS_CACHE_DIC))
			icache_inval_all_pou();
		return;
	}
	while (n--)
		clean_guest_page(page++, exec);
}

/*
 * The fast path for a write to a page that dirty logging protected: the
 * entry still maps the page the VMM had writable when it was mapped - a
 * change to the VMM's mapping since (unmap, copy-on-write after fork,
 * write-protection for writeback, migration) would have removed the
 * entry through the MMU notifier before the change.  So the write
 * permission comes back, and the page is logged, under mmu_lock alone:
 * no page lookup, no cache maintenance (the page was cleaned when it was
 * mapped).  mmu_lock held; @slot holds @ipa.
 */
static bool relax_logged_write(struct mkvm_vm *vm,
			       const struct mkvm_memslot *slot, u64 ipa)
{
	u64 gfn = ipa >> PAGE_SHIFT;
	bool done = false;

	if (slot->dirty_bitmap &&
	    !mkvm_mmu_invalidating(vm, slot->userspace_addr +
				   ((gfn - slot->base_gfn) << PAGE_SHIFT),
				   PAGE_SIZE) &&
	    !(slot->flags & KVM_MEM_READONLY)) {
		done = mkvm_pgtable_relax(&vm->arch.s2, ipa & PAGE_MASK,
					  S2_SW_HOST_WRITABLE, S2_AP_W);
		if (done)
			set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
	}
	return done;
}

/*
 * Break-before-make for a 2 MiB block where a table of pages stands (the
 * 2 MiB was mapped page by page while its slot logged dirty pages, or
 * before the VMM's memory there became a huge page): the level-2 entry
 * is made invalid, the VM's TLB entries go on every CPU - each page's,
 * and any walk cache entry holding the table descriptor - and only then
 * may the block be written (Arm ARM D8.16.1: an entry changing block
 * size, valid to valid, would otherwise let the MMU hold both
 * translations at once, a TLB conflict or a mix of the two).  A vCPU
 * touching the 2 MiB meanwhile takes a translation fault and waits for
 * mmu_lock.  The pages the table mapped are the VMM's huge page's own -
 * any other would have been unmapped by the MMU notifier - so nothing
 * changes for the guest but the attributes, which the block's fault
 * chose.  The table is freed by the caller once mmu_lock is dropped:
 * after the flush no MMU can walk it, and every software walker of
 * stage 2 holds mmu_lock.  mmu_lock held.  Return: true if a table was
 * unlinked into @old (the caller maps the block).
 */
static bool replace_table(struct mkvm_vm *vm, u64 ipa,
			  struct mkvm_pgtable_unlinked *old)
{
	if (!mkvm_pgtable_unlink_table(&vm->arch.s2, ipa, 2, old))
		return false;
	/*
	 * A whole-VMID flush, as KVM without range TLBIs: 512 IPAs to
	 * invalidate one by one would cost more.
	 */
	mkvm_arch_flush_vm_tlbs(vm);
	vm->stat.s2_tables_replaced++;
	return true;
}

/*
 * The 2 MiB block around @ipa to the one around @pa, over a table of
 * pages if one is there.  mmu_lock held.  Return: as
 * mkvm_pgtable_map_block_cached().
 */
static int map_block(struct mkvm_vcpu *vcpu, u64 ipa, phys_addr_t pa,
		     u64 attr, u64 relax, struct mkvm_pgtable_unlinked *old)
{
	struct mkvm_pgtable *s2 = &vcpu->vm->arch.s2;
	int ret;

	ret = mkvm_pgtable_map_block_cached(s2, ipa & PMD_MASK, pa & PMD_MASK,
					    attr, relax, &vcpu->mmu_cache);
	if (ret == -EAGAIN && replace_table(vcpu->vm, ipa & PMD_MASK, old))
		ret = mkvm_pgtable_map_block_cached(s2, ipa & PMD_MASK,
						    pa & PMD_MASK, attr, relax,
						    &vcpu->mmu_cache);
	return ret;
}

/*
 * The last step of a stage-2 fault: @pa mapped at @ipa with @attr (@relax:
 * the permission bits an existing entry may gain) under mmu_lock, unless
 * an invalidation of the VMM's page at @hva ran since @seq was read or is
 * running - the entry could then map a page the VMM no longer has there,
 * so nothing is mapped and the guest faults again.  With @log (the slot,
 * when it logs dirty pages) a writable mapping marks the page dirty under
 * the same lock: a KVM_GET/CLEAR_DIRTY_LOG, which write-protects under it
 * too, sees both or neither.  The slot is the one looked up with @seq, so
 * its bitmap lives; set_bit() because KVM_CLEAR_DIRTY_LOG clears bits of
 * the same word atomically.  With @block (never with @log) the 2 MiB
 * block around @ipa is mapped to the one around @pa - replacing the
 * table of pages mapped there before (replace_table()) - unless an
 * invalidation running covers part of the VMM's 2 MiB around @hva: then
 * the page alone.  Return: 1 (an entry another vCPU made first is
 * fine), or -ENOMEM.
 */
static int map_unless_invalidated(struct mkvm_vcpu *vcpu, u64 ipa,
				  phys_addr_t pa, u64 attr, u64 relax,
				  unsigned long hva, unsigned long seq,
				  const struct mkvm_memslot *log, bool block)
{
	struct mkvm_pgtable_unlinked old = {};
	struct mkvm_vm *vm = vcpu->vm;
	int ret = 1;

	spin_lock(&vm->mmu_lock);
	if (!mkvm_mmu_invalidating(vm, hva & PAGE_MASK, PAGE_SIZE) &&
	    vm->mmu_seq == seq) {
		/* Part of the block going: the page alone is still fine. */
		if (block && mkvm_mmu_invalidating(vm, hva & PMD_MASK, PMD_SIZE))
			block = false;
		ret = -EAGAIN;
		if (block)
			ret = map_block(vcpu, ipa, pa, attr, relax, &old);
		if (ret == -EAGAIN)
			ret = mkvm_pgtable_map_page_cached(&vm->arch.s2,
							   ipa & PAGE_MASK,
							   pa & PAGE_MASK,
							   attr, relax,
							   &vcpu->mmu_cache);
		if (!ret && log && (attr & S2_AP_W))
			set_bit((ipa >> PAGE_SHIFT) - log->base_gfn,
				log->dirty_bitmap);
		ret = (ret == -EEXIST || !ret) ? 1 : ret;
	}
	spin_unlock(&vm->mmu_lock);
	if (old.table)
		mkvm_pgtable_free_unlinked(&old);
	return ret;
}

/*
 * The page frame behind @hva in a VM_IO/VM_PFNMAP mapping (a device's
 * registers mapped by its driver: a PCI BAR through sysfs or VFIO), which
 * get_user_pages() refuses: such memory has no struct page to pin.  The
 * entry is followed in the VMM's page tables; a mapping its driver fills
 * on demand (VFIO's BARs) is faulted in first.  Nothing holds the frame
 * after the lookup: the driver's zap of the mapping (device reset, unbind,
 * munmap) runs the MMU notifier, which unmaps it from stage 2, as for
 * RAM.  *@writable is cleared when the VMM's own entry is read-only.
 * Return: 0, or -EFAULT when @hva is not in such a mapping.
 */
static int pfnmap_lookup(unsigned long hva, bool write, bool *writable,
			 unsigned long *pfn)
{
	struct mm_struct *mm = current->mm;
	struct follow_pfnmap_args args;
	struct vm_area_struct *vma;
	bool faulted = false, unlocked;
	int ret = -EFAULT;

	mmap_read_lock(mm);
	for (;;) {
		vma = vma_lookup(mm, hva);
		if (!vma || !(vma->vm_flags & (VM_IO | VM_PFNMAP)))
			break;
		args = (struct follow_pfnmap_args){ .vma = vma, .address = hva };
		if (!follow_pfnmap_start(&args)) {
			if (!write || args.writable) {
				*pfn = args.pfn;
				*writable = *writable && args.writable;
				ret = 0;
			}
			follow_pfnmap_end(&args);
		}
		if (!ret || faulted)
			break;
		/* Not filled in yet, or read-only for a write: fault it once. */
		unlocked = false;
		if (fixup_user_fault(mm, hva, write ? FAULT_FLAG_WRITE : 0,
				     &unlocked))
			break;
		faulted = true;
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * A stage-2 fault on a slot backed by a VM_IO/VM_PFNMAP mapping.  Device
 * memory (no linear-map page behind it) is mapped Device-nGnRE and never
 * executable - the guest cannot make it cacheable or speculatively read
 * with its own stage 1 attributes, and an instruction fetch from it gets
 * a prefetch abort (0 returned) as from KVM.  RAM that a driver mapped
 * this way is mapped Normal, cleaned to the PoC first like any guest
 * page.  No dirty logging here: memslot.c refuses it on such mappings.
 */
static int stage2_fault_pfnmap(struct mkvm_vcpu *vcpu, u64 ipa, bool write,
			       bool exec, unsigned long hva, bool writable,
			       unsigned long seq)
{
	unsigned long pfn;
	bool device;
	u64 attr;

	if (pfnmap_lookup(hva, write, &writable, &pfn))
		return -EFAULT;
	device = !pfn_is_map_memory(pfn);
	if (device && exec)
		return 0;
	if (!device)
		clean_guest_page(pfn_to_page(pfn), true);
	attr = device ? S2_ATTR_DEVICE_RO : s2_normal(S2_ATTR_RO);
	if (writable)
		attr |= S2_AP_W;
	/* S2_AP_W: a write after a read of a read-only VMM entry. */
	return map_unless_invalidated(vcpu, ipa, PFN_PHYS(pfn), attr, S2_AP_W,
				      hva, seq, NULL, false);
}

/*
 * Whether the 2 MiB around @ipa can be one stage-2 block: the VMM maps
 * the 2 MiB around @hva with one PMD entry (a transparent huge page, or
 * hugetlbfs), @page is the one that entry maps at @hva, the memslot @s
 * covers the whole block, and @ipa and @hva sit at the same offset in
 * their 2 MiB.  Never while @s logs dirty pages: logging is per page.
 * The offsets are compared page-aligned: @ipa comes with the faulting
 * access's offset in its page, @hva without (a guest that first touched
 * a 2 MiB at any byte but a page's first was mapped page by page, and a
 * table under the block then kept it from ever being a block).
 *
 * The VMM's page tables are read without its mmap lock, interrupts off
 * as get_user_pages_fast() does (a table page cannot be freed under
 * us).  The answer may be stale at once; that is what mmu_seq is for:
 * any change to the VMM's mapping since the caller read it runs the
 * MMU notifier, and the block is then never installed.
 */
static bool vmm_maps_block(const struct mkvm_memslot *s, u64 ipa,
			   unsigned long hva, struct page *page, bool writable)
{
	u64 gfn = (ipa & PMD_MASK) >> PAGE_SHIFT;
	unsigned long flags;
	bool ok = false;
	pgd_t *pgdp;
	p4d_t *p4dp;
	pud_t *pudp;
	pmd_t pmd;

	/* A page of no larger folio is never under one PMD entry. */
	if (!PageCompound(page) || s->dirty_bitmap ||
	    (ipa & ~PMD_MASK & PAGE_MASK) != (hva & ~PMD_MASK) ||
	    gfn < s->base_gfn ||
	    gfn + PTRS_PER_PMD > s->base_gfn + s->npages)
		return false;
	local_irq_save(flags);
	pgdp = pgd_offset(current->mm, hva);
	if (pgd_none(READ_ONCE(*pgdp)) || pgd_bad(READ_ONCE(*pgdp)))
		goto out;
	p4dp = p4d_offset(pgdp, hva);
	if (p4d_none(READ_ONCE(*p4dp)) || p4d_bad(READ_ONCE(*p4dp)))
		goto out;
	pudp = pud_offset(p4dp, hva);
	if (pud_none(READ_ONCE(*pudp)) || pud_leaf(READ_ONCE(*pudp)) ||
	    pud_bad(READ_ONCE(*pudp)))
		goto out;
	pmd = pmdp_get_lockless(pmd_offset(pudp, hva));
	ok = pmd_present(pmd) && pmd_leaf(pmd) &&
	     (!writable || pmd_write(pmd)) &&
	     pmd_pfn(pmd) + ((hva & ~PMD_MASK) >> PAGE_SHIFT) ==
	     page_to_pfn(page);
out:
	local_irq_restore(flags);
	return ok;
}

/**
 * mkvm_stage2_fault() - resolve a stage-2 fault on guest RAM
 * @vcpu:	the faulting vCPU
 * @ipa:	faulting address
 * @write:	the access was a write
 * @exec:	the access was an instruction fetch
 *
 * Everything that can sleep or allocate - looking up the VMM's page, the
 * table pages the mapping may need - happens before mmu_lock is taken:
 * the MMU notifier takes it too, and reclaim entered from under it could
 * call the notifier on this very VM.
 *
 * In a slot that logs dirty pages only a write maps a page writable, and
 * it marks the page dirty together with the mapping
 * (map_unless_invalidated()).
 *
 * Return: 1 when the guest can retry the access, 0 when the address is not
 * memory the guest may access that way (an MMIO access, an instruction
 * fetch from device memory), -EFAULT when the VMM's memory behind a slot
 * is gone, -ENOMEM.
 */
int mkvm_stage2_fault(struct mkvm_vcpu *vcpu, u64 ipa, bool write, bool exec)
{
	struct mkvm_vm *vm = vcpu->vm;
	struct mkvm_memslot *slot, s;
	unsigned long seq, hva;
	struct page *page;
	bool writable, logging, block;
	u64 attr;
	int ret;

	/*
	 * One slot lookup for everything: a logged write done at once, an
	 * MMIO access (no slot) known at once, or the slot and mmu_seq
	 * together for the slow path - an invalidation or slot change after
	 * this point bumps mmu_seq, and the mapping below is dropped.
	 */
	spin_lock(&vm->mmu_lock);
	slot = mkvm_gfn_to_slot(vm, ipa >> PAGE_SHIFT);
	if (slot && write && relax_logged_write(vm, slot, ipa)) {
		spin_unlock(&vm->mmu_lock);
		return 1;
	}
	if (slot)
		s = *slot;
	seq = vm->mmu_seq;
	spin_unlock(&vm->mmu_lock);
	if (!slot || (write && (s.flags & KVM_MEM_READONLY)))
		return 0;

	ret = mkvm_pgtable_cache_topup(&vcpu->mmu_cache,
				       mkvm_pgtable_map_pages_needed(&vm->arch.s2));
	if (ret)
		return ret;

	hva = s.userspace_addr + (((ipa >> PAGE_SHIFT) - s.base_gfn) << PAGE_SHIFT);
	writable = !(s.flags & KVM_MEM_READONLY);
	ret = get_user_pages_fast(hva, 1, writable ? FOLL_WRITE : 0, &page);
	if (ret != 1 && writable && !write) {
		/* A read of a read-only mapping of a writable slot. */
		writable = false;
		ret = get_user_pages_fast(hva, 1, 0, &page);
	}
	if (ret == -EFAULT)
		return stage2_fault_pfnmap(vcpu, ipa, write, exec, hva,
					   !(s.flags & KVM_MEM_READONLY), seq);
	if (ret != 1)
		return -EFAULT;

	block = vmm_maps_block(&s, ipa, hva, page, writable);
	if (block)
		clean_guest_pages(page - ((hva & ~PMD_MASK) >> PAGE_SHIFT),
				  PTRS_PER_PMD, exec);
	else
		clean_guest_page(page, exec);
	/* One folio, mapped as one: dirtying it dirties the whole block. */
	if (writable)
		set_page_dirty_lock(page);
	/* A read leaves the page protected: its first write is logged. */
	logging = s.dirty_bitmap && writable;
	attr = S2_ATTR_RO;
	if (writable)
		attr = S2_SW_HOST_WRITABLE |
		       (write || !logging ? S2_ATTR_RW : S2_ATTR_RO);
	/* Executable once the guest fetches from it (clean_guest_page()). */
	if (!exec)
		attr |= S2_XN;
	attr = s2_normal(attr);

	ret = map_unless_invalidated(vcpu, ipa, page_to_phys(page), attr,
				     S2_AP_W | S2_SW_HOST_WRITABLE | S2_XN,
				     hva, seq, logging ? &s : NULL, block);
	put_page(page);
	return ret;
}
