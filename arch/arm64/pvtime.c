// SPDX-License-Identifier: GPL-2.0
/*
 * Steal time for guests (Arm DEN0057A, "Paravirtualized Time for Arm"):
 * the VMM gives each vCPU a 64-byte record in guest memory through the
 * vCPU attribute KVM_ARM_VCPU_PVTIME_CTRL/KVM_ARM_VCPU_PVTIME_IPA; the
 * guest finds it with PV_TIME_ST; minikvm adds to its stolen_time the
 * time the vCPU's thread waited for a CPU (sched_info.run_delay), each
 * time the thread goes back into the guest.  Errors as
 * arch/arm64/kvm/pvtime.c.
 */
#include <linux/arm-smccc.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <asm/pvclock-abi.h>
#include "virt/mkvm.h"

/**
 * mkvm_steal_time_update() - account the time the vCPU thread waited
 * @vcpu:	the vCPU, in KVM_RUN on its own thread
 *
 * Called before each entry to the guest: adds to the record's stolen_time
 * the run_delay the thread gathered since the last update.  A record the
 * guest cannot be given (memslot gone) is skipped, as KVM does: the time
 * is then lost, not charged later.
 */
void mkvm_steal_time_update(struct mkvm_vcpu *vcpu)
{
	u64 now = READ_ONCE(current->sched_info.run_delay);
	u64 __user *p;
	unsigned long uaddr;
	__le64 steal;

	if (!vcpu->arch.steal_set || now == vcpu->arch.last_steal)
		return;
	uaddr = mkvm_gpa_to_uaddr(vcpu->vm, vcpu->arch.steal_base +
				  offsetof(struct pvclock_vcpu_stolen_time,
					   stolen_time), sizeof(steal), true);
	if (!uaddr)
		return;
	p = (u64 __user *)uaddr;
	if (get_user(steal, (__le64 __user *)p))
		return;
	steal = cpu_to_le64(le64_to_cpu(steal) + now - vcpu->arch.last_steal);
	vcpu->arch.last_steal = now;
	/* Not atomic for the guest, as in KVM: it reads the field whole. */
	if (!put_user(steal, (__le64 __user *)p))
		mkvm_mark_page_dirty(vcpu->vm, vcpu->arch.steal_base >> PAGE_SHIFT);
}

/**
 * mkvm_steal_time_init() - PV_TIME_ST: the record's IPA, zeroed
 * @vcpu:	the vCPU
 *
 * Stolen time counts from this call on.
 * Return: the IPA, or SMCCC_RET_NOT_SUPPORTED when the VMM set none.
 */
long mkvm_steal_time_init(struct mkvm_vcpu *vcpu)
{
	struct pvclock_vcpu_stolen_time rec = {};

	if (!vcpu->arch.steal_set)
		return SMCCC_RET_NOT_SUPPORTED;
	vcpu->arch.last_steal = READ_ONCE(current->sched_info.run_delay);
	/*
	 * 64-byte aligned: the record never crosses a page.  A record the
	 * VMM unmapped meanwhile stays unwritten; the guest still gets its
	 * IPA, as from KVM.
	 */
	if (mkvm_write_guest(vcpu->vm, vcpu->arch.steal_base, &rec, sizeof(rec)))
		pr_debug("minikvm: steal-time record at %#llx not writable\n",
			 vcpu->arch.steal_base);
	return vcpu->arch.steal_base;
}

/**
 * mkvm_pvtime_features() - PV_TIME_FEATURES
 * @vcpu:	the vCPU
 * @feature:	the function id asked about
 *
 * Return: SMCCC_RET_SUCCESS for PV_TIME_FEATURES and PV_TIME_ST once the
 * VMM gave the vCPU a record, else SMCCC_RET_NOT_SUPPORTED.
 */
long mkvm_pvtime_features(struct mkvm_vcpu *vcpu, u32 feature)
{
	if ((feature == ARM_SMCCC_HV_PV_TIME_FEATURES ||
	     feature == ARM_SMCCC_HV_PV_TIME_ST) && vcpu->arch.steal_set)
		return SMCCC_RET_SUCCESS;
	return SMCCC_RET_NOT_SUPPORTED;
}

/**
 * mkvm_pvtime_set_attr() - set KVM_ARM_VCPU_PVTIME_CTRL/KVM_ARM_VCPU_PVTIME_IPA
 * @vcpu:	the vCPU, its ioctl lock held
 * @attr:	the attribute
 * @uaddr:	the IPA (u64)
 *
 * Return: 0, -ENXIO (unknown attribute), -EFAULT, -EINVAL (not 64-byte
 * aligned, or no memslot there now), -EEXIST (already set).
 */
int mkvm_pvtime_set_attr(struct mkvm_vcpu *vcpu, u64 attr, u64 __user *uaddr)
{
	struct mkvm_vm *vm = vcpu->vm;
	bool backed;
	u64 ipa;

	if (attr != KVM_ARM_VCPU_PVTIME_IPA)
		return -ENXIO;
	if (get_user(ipa, uaddr))
		return -EFAULT;
	if (!IS_ALIGNED(ipa, 64))
		return -EINVAL;
	if (vcpu->arch.steal_set)
		return -EEXIST;
	spin_lock(&vm->mmu_lock);
	backed = mkvm_gfn_to_slot(vm, ipa >> PAGE_SHIFT);
	spin_unlock(&vm->mmu_lock);
	if (!backed)
		return -EINVAL;
	vcpu->arch.steal_base = ipa;
	vcpu->arch.steal_set = true;
	return 0;
}

/**
 * mkvm_pvtime_get_attr() - get KVM_ARM_VCPU_PVTIME_CTRL/KVM_ARM_VCPU_PVTIME_IPA
 * @vcpu:	the vCPU
 * @attr:	the attribute
 * @uaddr:	where the IPA goes (all ones while unset, KVM's INVALID_GPA)
 *
 * Return: 0, -ENXIO, -EFAULT.
 */
int mkvm_pvtime_get_attr(struct mkvm_vcpu *vcpu, u64 attr, u64 __user *uaddr)
{
	u64 ipa = vcpu->arch.steal_set ? vcpu->arch.steal_base : ~0ULL;

	if (attr != KVM_ARM_VCPU_PVTIME_IPA)
		return -ENXIO;
	return put_user(ipa, uaddr) ? -EFAULT : 0;
}

/**
 * mkvm_pvtime_has_attr() - KVM_HAS_DEVICE_ATTR, group KVM_ARM_VCPU_PVTIME_CTRL
 * @vcpu:	the vCPU
 * @attr:	the attribute
 *
 * Return: 0 for KVM_ARM_VCPU_PVTIME_IPA, else -ENXIO.
 */
int mkvm_pvtime_has_attr(struct mkvm_vcpu *vcpu, u64 attr)
{
	return attr == KVM_ARM_VCPU_PVTIME_IPA ? 0 : -ENXIO;
}
