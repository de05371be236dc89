// SPDX-License-Identifier: GPL-2.0
/*
 * SMCCC and PSCI for guests, through HVC or SMC (both conduits, as KVM).
 * PSCI 1.1 as KVM reports it to a vCPU created with KVM_ARM_VCPU_PSCI_0_2;
 * anything else answers SMCCC NOT_SUPPORTED (-1).  Spec: Arm DEN0022 (PSCI)
 * and DEN0028 (SMCCC).
 */
#include <linux/arm-smccc.h>
#include <linux/kvm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/psci.h>
#include <asm/esr.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/run.h>

/* Arguments of a 32-bit call are the low halves of the registers. */
static u64 smccc_arg(struct mkvm_vcpu *vcpu, unsigned int n, u32 fn)
{
	u64 v = mkvm_get_gpr(vcpu, n);

	return ARM_SMCCC_IS_64(fn) ? v : (u32)v;
}

/* Stop every vCPU and tell the VMM: the guest switched the machine off. */
static int system_event(struct mkvm_vcpu *vcpu, u32 type, u64 flags)
{
	struct mkvm_vm *vm = vcpu->vm;
	int i, n = mkvm_nr_vcpus(vm);

	for (i = 0; i < n; i++) {
		struct mkvm_vcpu *v = vm->vcpus[i];

		WRITE_ONCE(v->arch.power, MKVM_POWER_OFF);
		mkvm_vcpu_kick(v);
	}
	memset(&vcpu->run->system_event, 0, sizeof(vcpu->run->system_event));
	vcpu->run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	vcpu->run->system_event.type = type;
	vcpu->run->system_event.ndata = 1;
	vcpu->run->system_event.data[0] = flags;
	/* If the VMM resumes the vCPU anyway, the call failed. */
	mkvm_set_gpr(vcpu, 0, PSCI_RET_INTERNAL_FAILURE);
	return 0;
}

/*
 * SYSTEM_SUSPEND with KVM_CAP_ARM_SYSTEM_SUSPEND: the VMM implements it
 * (api.rst), so the vCPU exits with its registers as the guest left them,
 * x0 still the function id and x1/x2 the entry point and context id.  As
 * KVM, a 32-bit call has the upper halves of x1-x3 cleared first, and no
 * vCPU changes power state: that is the VMM's choice.
 */
static int system_suspend(struct mkvm_vcpu *vcpu, u32 fn)
{
	unsigned int i;

	if (!ARM_SMCCC_IS_64(fn))
		for (i = 1; i < 4; i++)
			mkvm_set_gpr(vcpu, i, (u32)mkvm_get_gpr(vcpu, i));
	memset(&vcpu->run->system_event, 0, sizeof(vcpu->run->system_event));
	vcpu->run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	vcpu->run->system_event.type = KVM_SYSTEM_EVENT_SUSPEND;
	return 0;
}

static long psci_cpu_on(struct mkvm_vcpu *vcpu, u32 fn)
{
	u64 mpidr = smccc_arg(vcpu, 1, fn) & MPIDR_HWID_BITMASK;
	struct mkvm_vcpu *target = mkvm_vcpu_by_mpidr(vcpu->vm, mpidr);

	if (!target)
		return PSCI_RET_INVALID_PARAMS;
	/* As KVM: a CPU_ON still being acted on is ALREADY_ON too. */
	if (READ_ONCE(target->arch.power) == MKVM_POWER_ON)
		return PSCI_RET_ALREADY_ON;
	target->arch.on_entry = smccc_arg(vcpu, 2, fn);
	target->arch.on_context = smccc_arg(vcpu, 3, fn);
	target->arch.power_on_pending = true;
	/* The entry point and context are visible before it runs. */
	smp_store_release(&target->arch.power, MKVM_POWER_ON);
	mkvm_vcpu_kick(target);
	return PSCI_RET_SUCCESS;
}

static long psci_affinity_info(struct mkvm_vcpu *vcpu, u32 fn)
{
	u64 aff = smccc_arg(vcpu, 1, fn) & MPIDR_HWID_BITMASK;
	u64 level = smccc_arg(vcpu, 2, fn), mask;
	struct mkvm_vm *vm = vcpu->vm;
	int i, n = mkvm_nr_vcpus(vm);
	bool found = false;

	if (level > 3)
		return PSCI_RET_INVALID_PARAMS;
	mask = MPIDR_HWID_BITMASK << MPIDR_LEVEL_SHIFT(level);
	for (i = 0; i < n; i++) {
		struct mkvm_vcpu *v = vm->vcpus[i];

		if ((v->arch.mpidr & mask) != (aff & mask))
			continue;
		found = true;
		if (READ_ONCE(v->arch.power) == MKVM_POWER_ON)
			return PSCI_0_2_AFFINITY_LEVEL_ON;
	}
	return found ? PSCI_0_2_AFFINITY_LEVEL_OFF : PSCI_RET_INVALID_PARAMS;
}

static long psci_features(struct mkvm_vcpu *vcpu)
{
	switch ((u32)mkvm_get_gpr(vcpu, 1)) {
	case PSCI_1_0_FN_SYSTEM_SUSPEND:
	case PSCI_1_0_FN64_SYSTEM_SUSPEND:
		return READ_ONCE(vcpu->vm->arch.system_suspend) ?
		       0 : PSCI_RET_NOT_SUPPORTED;
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
	case ARM_SMCCC_VERSION_FUNC_ID:
		return 0;
	default:
		return PSCI_RET_NOT_SUPPORTED;
	}
}

/* Returns 1 to re-enter the guest with x0 = @ret, 0 to exit, <0 error. */
static int psci_call(struct mkvm_vcpu *vcpu, u32 fn, long *ret)
{
	u64 reset_type;

	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
		*ret = PSCI_VERSION(1, 1);
		return 1;
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
		/* A suspend may return at once, like a WFI woken early. */
		*ret = PSCI_RET_SUCCESS;
		return 1;
	case PSCI_0_2_FN_CPU_OFF:
		WRITE_ONCE(vcpu->arch.power, MKVM_POWER_OFF);
		*ret = PSCI_RET_INTERNAL_FAILURE;	/* only if woken wrongly */
		return 1;
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		*ret = psci_cpu_on(vcpu, fn);
		return 1;
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		*ret = psci_affinity_info(vcpu, fn);
		return 1;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		*ret = PSCI_0_2_TOS_MP;
		return 1;
	case PSCI_1_0_FN_PSCI_FEATURES:
		*ret = psci_features(vcpu);
		return 1;
	case PSCI_0_2_FN_SYSTEM_OFF:
		return system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN, 0);
	case PSCI_0_2_FN_SYSTEM_RESET:
		return system_event(vcpu, KVM_SYSTEM_EVENT_RESET, 0);
	case PSCI_1_0_FN_SYSTEM_SUSPEND:
	case PSCI_1_0_FN64_SYSTEM_SUSPEND:
		if (!READ_ONCE(vcpu->vm->arch.system_suspend)) {
			*ret = PSCI_RET_NOT_SUPPORTED;
			return 1;
		}
		return system_suspend(vcpu, fn);
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
		reset_type = smccc_arg(vcpu, 1, fn);
		if (!(reset_type & BIT(31)) &&
		    reset_type != PSCI_1_1_RESET_TYPE_SYSTEM_WARM_RESET) {
			*ret = PSCI_RET_INVALID_PARAMS;
			return 1;
		}
		return system_event(vcpu, KVM_SYSTEM_EVENT_RESET,
				    KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2);
	case ARM_SMCCC_VERSION_FUNC_ID:
		*ret = ARM_SMCCC_VERSION_1_1;
		return 1;
	default:
		*ret = SMCCC_RET_NOT_SUPPORTED;
		return 1;
	}
}

/* ---- the SMCCC filter (KVM_ARM_VM_SMCCC_CTRL, api.rst) --------------- */

/*
 * The Arm architecture calls (SMCCC_VERSION, ARCH_FEATURES, the Spectre
 * workarounds) stay with the kernel once a filter exists, as in KVM: a
 * VMM could otherwise misreport the mitigations to the guest.
 */
#define SMC32_ARCH_FIRST	ARM_SMCCC_VERSION_FUNC_ID
#define SMC32_ARCH_LAST		ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, \
						   ARM_SMCCC_SMC_32, 0, \
						   ARM_SMCCC_FUNC_MASK)
#define SMC64_ARCH_FIRST	ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, \
						   ARM_SMCCC_SMC_64, 0, 0)
#define SMC64_ARCH_LAST		ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, \
						   ARM_SMCCC_SMC_64, 0, \
						   ARM_SMCCC_FUNC_MASK)

/* Index of the first range ending at or after @fn (binary search). */
static unsigned int filter_pos(const struct mkvm_arch_vm *a, u32 fn)
{
	unsigned int lo = 0, hi = a->nr_smccc_filter;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (a->smccc_filter[mid].end < fn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Insert [base, end]: -EEXIST if it overlaps a range already there. */
static int filter_insert(struct mkvm_arch_vm *a, u32 base, u32 end, u8 action)
{
	unsigned int pos = filter_pos(a, base), n = a->nr_smccc_filter;
	struct mkvm_smccc_range *r;

	if (pos < n && a->smccc_filter[pos].base <= end)
		return -EEXIST;
	/*
	 * One array, charged to the VMM; past the largest kmalloc (some
	 * 350,000 ranges) the VMM gets -ENOMEM, not a kernel warning.
	 */
	r = krealloc_array(a->smccc_filter, n + 1, sizeof(*r),
			   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!r)
		return -ENOMEM;
	memmove(&r[pos + 1], &r[pos], (n - pos) * sizeof(*r));
	r[pos] = (struct mkvm_smccc_range){ base, end, action };
	a->smccc_filter = r;
	a->nr_smccc_filter = n + 1;
	return 0;
}

static int smccc_set_filter(struct mkvm_vm *vm,
			    struct kvm_smccc_filter __user *uaddr)
{
	struct mkvm_arch_vm *a = &vm->arch;
	struct kvm_smccc_filter f;
	u32 end;
	int ret;

	if (copy_from_user(&f, uaddr, sizeof(f)))
		return -EFAULT;
	if (memchr_inv(f.pad, 0, sizeof(f.pad)))
		return -EINVAL;
	end = f.base + f.nr_functions - 1;
	if (!f.nr_functions || end < f.base ||
	    f.action > KVM_SMCCC_FILTER_FWD_TO_USER)
		return -EINVAL;

	mutex_lock(&vm->lock);
	/* As KVM: the filter is fixed once a vCPU ran (read unlocked then). */
	if (vm->arch.ran) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (!a->nr_smccc_filter) {
		ret = filter_insert(a, SMC32_ARCH_FIRST, SMC32_ARCH_LAST,
				    KVM_SMCCC_FILTER_HANDLE);
		if (!ret)
			ret = filter_insert(a, SMC64_ARCH_FIRST,
					    SMC64_ARCH_LAST,
					    KVM_SMCCC_FILTER_HANDLE);
		if (ret)
			goto out_free_filter;
	}
	ret = filter_insert(a, f.base, end, f.action);
	goto out_unlock;

out_free_filter:
	mkvm_smccc_vm_destroy(vm);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_smccc_has_attr() - KVM_HAS_DEVICE_ATTR, group KVM_ARM_VM_SMCCC_CTRL
 * @vm:		the VM
 * @attr:	the attribute
 *
 * Return: 0 for KVM_ARM_VM_SMCCC_FILTER, -ENXIO for anything else.
 */
int mkvm_smccc_has_attr(struct mkvm_vm *vm, u64 attr)
{
	return attr == KVM_ARM_VM_SMCCC_FILTER ? 0 : -ENXIO;
}

/**
 * mkvm_smccc_set_attr() - KVM_SET_DEVICE_ATTR, group KVM_ARM_VM_SMCCC_CTRL
 * @vm:		the VM
 * @attr:	the attribute
 * @uaddr:	its struct kvm_smccc_filter
 *
 * Return: 0, -ENXIO (unknown attribute), -EFAULT, -EINVAL (non-zero
 * padding, no functions, a range past 0xffffffff, an unknown action),
 * -EEXIST (overlaps a range already set or the reserved Arm architecture
 * calls), -EBUSY (a vCPU already ran), -ENOMEM.
 */
int mkvm_smccc_set_attr(struct mkvm_vm *vm, u64 attr, void __user *uaddr)
{
	if (attr != KVM_ARM_VM_SMCCC_FILTER)
		return -ENXIO;
	return smccc_set_filter(vm, uaddr);
}

/**
 * mkvm_smccc_vm_destroy() - free the SMCCC filter
 * @vm:		the VM, torn down (or its filter being discarded)
 */
void mkvm_smccc_vm_destroy(struct mkvm_vm *vm)
{
	kfree(vm->arch.smccc_filter);
	vm->arch.smccc_filter = NULL;
	vm->arch.nr_smccc_filter = 0;
}

/* What the filter says of @fn; no range or no filter: HANDLE. */
static u8 filter_action(struct mkvm_vm *vm, u32 fn)
{
	struct mkvm_arch_vm *a = &vm->arch;
	unsigned int pos;

	if (!a->nr_smccc_filter)
		return KVM_SMCCC_FILTER_HANDLE;
	pos = filter_pos(a, fn);
	if (pos < a->nr_smccc_filter && a->smccc_filter[pos].base <= fn)
		return a->smccc_filter[pos].action;
	return KVM_SMCCC_FILTER_HANDLE;
}

/* FWD_TO_USER: the VMM answers; x0-x17 stay as the guest left them. */
static int hypercall_exit(struct mkvm_vcpu *vcpu, u32 fn)
{
	u64 esr = vcpu->arch.hyp->esr_el2;
	u64 flags = 0;

	if (ESR_ELx_EC(esr) == ESR_ELx_EC_SMC64)
		flags |= KVM_HYPERCALL_EXIT_SMC;
	if (!(esr & ESR_ELx_IL))
		flags |= KVM_HYPERCALL_EXIT_16BIT;
	memset(&vcpu->run->hypercall, 0, sizeof(vcpu->run->hypercall));
	vcpu->run->exit_reason = KVM_EXIT_HYPERCALL;
	vcpu->run->hypercall.nr = fn;
	vcpu->run->hypercall.flags = flags;
	return 0;
}

/**
 * mkvm_handle_smccc() - an HVC or SMC from the guest (PC already past it)
 * @vcpu:	the vCPU; x0 holds the function id
 *
 * Return: 1 to re-enter the guest, 0 to exit to the VMM (system event,
 * or a call the SMCCC filter forwards: KVM_EXIT_HYPERCALL).
 */
int mkvm_handle_smccc(struct mkvm_vcpu *vcpu)
{
	u32 fn = mkvm_get_gpr(vcpu, 0);
	long ret = SMCCC_RET_NOT_SUPPORTED;
	int r;

	/* The VMM's filter comes before anything minikvm implements. */
	switch (filter_action(vcpu->vm, fn)) {
	case KVM_SMCCC_FILTER_HANDLE:
		break;
	case KVM_SMCCC_FILTER_FWD_TO_USER:
		return hypercall_exit(vcpu, fn);
	default:
		mkvm_set_gpr(vcpu, 0, SMCCC_RET_NOT_SUPPORTED);
		return 1;
	}

	/* A vCPU without KVM_ARM_VCPU_PSCI_0_2 gets no PSCI at all. */
	if (!(vcpu->arch.features & BIT(KVM_ARM_VCPU_PSCI_0_2)) &&
	    fn != ARM_SMCCC_VERSION_FUNC_ID) {
		mkvm_set_gpr(vcpu, 0, SMCCC_RET_NOT_SUPPORTED);
		return 1;
	}
	r = psci_call(vcpu, fn, &ret);
	if (r > 0)
		mkvm_set_gpr(vcpu, 0, ret);
	return r;
}
