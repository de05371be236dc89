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
#include <uapi/linux/psci.h>
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

/**
 * mkvm_handle_smccc() - an HVC or SMC from the guest (PC already past it)
 * @vcpu:	the vCPU; x0 holds the function id
 *
 * Return: 1 to re-enter the guest, 0 to exit to the VMM (system event).
 */
int mkvm_handle_smccc(struct mkvm_vcpu *vcpu)
{
	u32 fn = mkvm_get_gpr(vcpu, 0);
	long ret = SMCCC_RET_NOT_SUPPORTED;
	int r;

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
