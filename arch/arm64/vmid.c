// SPDX-License-Identifier: GPL-2.0
/*
 * VMIDs: the tag that keeps one VM's TLB entries from another's.
 *
 * A VM's VMID is (generation, id) in one 64-bit value.  Ids are handed out
 * from a bitmap as VMs first run, and never given back one by one: when the
 * bitmap is full, the generation moves on, the bitmap starts again from
 * the ids in use on each CPU at that moment (they stay with their VMs),
 * and every CPU flushes its guest TLB entries before it enters a guest
 * again.  A VM whose VMID is of an old generation gets a new one when one
 * of its vCPUs next runs.  So any number of VMs can exist, whatever the
 * width of VMIDs (8 or 16 bits, ID_AA64MMFR1_EL1.VMIDBits), and no user
 * can exhaust them.  It is the scheme of KVM (arch/arm64/kvm/vmid.c) and
 * of the arm64 ASID allocator.
 *
 * Id 0 is never given out: the host runs with VTTBR_EL2 = 0.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/bitmap.h>
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>
#include <asm/kvm_arm.h>
#include "virt/mkvm.h"
#include <mkvm/vmid.h>

static unsigned int vmid_bits;
module_param(vmid_bits, uint, 0444);
MODULE_PARM_DESC(vmid_bits, "VMID width: 8, or 16 where the CPU has it (default: the CPU's)");

#define NR_IDS		BIT(vmid_bits)
#define ID_MASK		(NR_IDS - 1)
#define FIRST_GEN	((u64)NR_IDS)

static DEFINE_RAW_SPINLOCK(vmid_lock);	/* everything below */
static bool vmid_ready;
static atomic64_t vmid_generation;
static DECLARE_BITMAP(vmid_map, 1 << 16);
static unsigned long next_id = 1;
static cpumask_t flush_pending;		/* CPUs with pre-rollover entries */
/*
 * The VMID each CPU last entered a guest with; 0 after a rollover until
 * the CPU takes the slow path.  Atomic: the fast path updates it without
 * the lock, a rollover swaps it from another CPU.
 */
static DEFINE_PER_CPU(atomic64_t, active_vmids);
/* The VMID each CPU held at the last rollover: kept by its VM. */
static DEFINE_PER_CPU(u64, reserved_vmids);

static bool current_gen(u64 vmid)
{
	return !((vmid ^ atomic64_read(&vmid_generation)) >> vmid_bits);
}

/**
 * mkvm_vmid_setup() - fix the VMID width, the first time a VM is created
 *
 * Return: VTCR_EL2.VS for the width chosen.
 */
u64 mkvm_vmid_setup(void)
{
	u64 mmfr1 = read_sanitised_ftr_reg(SYS_ID_AA64MMFR1_EL1);
	unsigned long flags;

	raw_spin_lock_irqsave(&vmid_lock, flags);
	if (!vmid_ready) {
		if (get_vmid_bits(mmfr1) != 16 || vmid_bits == 8)
			vmid_bits = 8;
		else
			vmid_bits = 16;
		atomic64_set(&vmid_generation, FIRST_GEN);
		__set_bit(0, vmid_map);
		/*
		 * A previous load of the module may have left entries whose
		 * flush was still pending at unload: every CPU starts clean.
		 */
		cpumask_setall(&flush_pending);
		vmid_ready = true;
		pr_info("%u-bit VMIDs\n", vmid_bits);
	}
	raw_spin_unlock_irqrestore(&vmid_lock, flags);
	return vmid_bits == 16 ? VTCR_EL2_VS_16BIT : VTCR_EL2_VS_8BIT;
}

/*
 * The bitmap is full: a new generation.  The VMIDs running (or last run)
 * on each CPU stay taken; every CPU flushes before its next entry.
 */
static void rollover(void)
{
	unsigned int cpu;
	u64 vmid;

	bitmap_zero(vmid_map, NR_IDS);
	__set_bit(0, vmid_map);
	for_each_possible_cpu(cpu) {
		vmid = atomic64_xchg_relaxed(&per_cpu(active_vmids, cpu), 0);
		/* Not entered since the last rollover: keep what it kept. */
		if (!vmid)
			vmid = per_cpu(reserved_vmids, cpu);
		__set_bit(vmid & ID_MASK, vmid_map);
		per_cpu(reserved_vmids, cpu) = vmid;
	}
	cpumask_setall(&flush_pending);
}

/* Was @vmid held by some CPU at the rollover?  Then it moves to @newvmid. */
static bool keep_reserved(u64 vmid, u64 newvmid)
{
	unsigned int cpu;
	bool hit = false;

	for_each_possible_cpu(cpu) {
		if (per_cpu(reserved_vmids, cpu) == vmid) {
			per_cpu(reserved_vmids, cpu) = newvmid;
			hit = true;
		}
	}
	return hit;
}

static u64 new_vmid(u64 vmid)
{
	u64 gen = atomic64_read(&vmid_generation);
	unsigned long id = vmid & ID_MASK;

	if (vmid) {
		/* Keep the id when possible: fewer flushes. */
		if (keep_reserved(vmid, gen | id))
			return gen | id;
		if (!__test_and_set_bit(id, vmid_map))
			return gen | id;
	}
	id = find_next_zero_bit(vmid_map, NR_IDS, next_id);
	if (id == NR_IDS) {
		gen = atomic64_add_return_relaxed(FIRST_GEN, &vmid_generation);
		rollover();
		id = find_next_zero_bit(vmid_map, NR_IDS, 1);
	}
	__set_bit(id, vmid_map);
	next_id = id;
	return gen | id;
}

/**
 * mkvm_vmid_update() - make sure @vm has a VMID valid on this CPU
 * @vm:		the VM about to be entered, interrupts off
 *
 * Return: true when this CPU still holds TLB entries from before a
 * rollover and must flush every VMID before it enters the guest.
 */
bool mkvm_vmid_update(struct mkvm_vm *vm)
{
	atomic64_t *active = this_cpu_ptr(&active_vmids);
	u64 vmid = atomic64_read(&vm->arch.vmid);
	u64 old_active = atomic64_read(active);
	unsigned long flags;
	bool flush;

	/*
	 * Fast path: a VMID of this generation, and no rollover since this
	 * CPU last came by (a rollover zeroes active_vmids, which makes the
	 * cmpxchg fail and sends us to the lock).
	 */
	if (old_active && current_gen(vmid) &&
	    atomic64_cmpxchg_relaxed(active, old_active, vmid) == old_active)
		return false;

	raw_spin_lock_irqsave(&vmid_lock, flags);
	vmid = atomic64_read(&vm->arch.vmid);
	if (!current_gen(vmid)) {
		vmid = new_vmid(vmid);
		atomic64_set(&vm->arch.vmid, vmid);
	}
	flush = cpumask_test_and_clear_cpu(smp_processor_id(), &flush_pending);
	atomic64_set(active, vmid);
	raw_spin_unlock_irqrestore(&vmid_lock, flags);
	/*
	 * The new VMID is visible before this CPU walks stage 2 with it: an
	 * unmap that missed it (mkvm_vmid_vttbr() read the old one) cleared
	 * its entries before we walk them (pairs with the barrier there).
	 */
	smp_mb();
	return flush;
}

/**
 * mkvm_vmid_vttbr() - VTTBR_EL2 of @vm: its stage-2 root and VMID
 * @vm:		the VM
 *
 * Return: the value, or 0 while the VM has never run (no TLB entry of it
 * can exist, there is nothing to flush).
 */
u64 mkvm_vmid_vttbr(struct mkvm_vm *vm)
{
	u64 vmid = atomic64_read(&vm->arch.vmid);

	if (!vmid)
		return 0;
	return vm->arch.vttbr_baddr | ((vmid & ID_MASK) << VTTBR_VMID_SHIFT);
}
