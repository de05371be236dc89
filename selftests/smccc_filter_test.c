// SPDX-License-Identifier: GPL-2.0
/*
 * The SMCCC filter (KVM_ARM_VM_SMCCC_CTRL / KVM_ARM_VM_SMCCC_FILTER on the
 * VM fd): every error KVM 6.12 gives, and the three actions over HVC and
 * SMC, including calls minikvm would otherwise answer at EL2 without an
 * exit (the fast path must honour the filter).
 */
#include <linux/psci.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

MKVM_VM_FIXTURE(filt);

/* Vendor hypervisor service UID: not PSCI, answered -1 at EL2 if unfiltered. */
#define VENDOR_HYP_UID		0x8600ff01u
#define SMCCC_VERSION		0x80000000u
#define SMCCC_ARCH_WA1		0x80008000u
#define SMC64_ARCH_FIRST	0xc0000000u

MKVM_GUEST(guest_hvc,
	"1:	" G_HVC
	G_REPORT("x0")
	"b	1b\n");

MKVM_GUEST(guest_smc,
	"1:	" G_SMC
	G_REPORT("x0")
	"b	1b\n");

static int set_filter(struct mkvm_vm *vm, uint32_t base, uint32_t nr,
		      uint8_t action)
{
	struct kvm_smccc_filter f = {
		.base = base, .nr_functions = nr, .action = action,
	};
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
		.addr = (uint64_t)(unsigned long)&f,
	};

	return mkvm_ioctl(vm->fd, KVM_SET_DEVICE_ATTR, &attr);
}

static int has_attr(struct mkvm_vm *vm, uint32_t group, uint64_t a)
{
	struct kvm_device_attr attr = { .group = group, .attr = a };

	return mkvm_ioctl(vm->fd, KVM_HAS_DEVICE_ATTR, &attr);
}

static struct mkvm_vcpu *fn_vcpu(struct mkvm_vm *vm, uint32_t fn)
{
	struct mkvm_vcpu *vcpu;

	vcpu = vm_vcpu_add_features(vm, 0, 1u << KVM_ARM_VCPU_PSCI_0_2,
				    MKVM_CODE_IPA);
	vcpu_set_reg(vcpu, MKVM_XREG(0), fn);
	return vcpu;
}

TEST_F(filt, attr_discovery)
{
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
	};

	self->vm = vm_create(NULL, NULL);
	EXPECT_EQ(0, has_attr(self->vm, KVM_ARM_VM_SMCCC_CTRL,
			      KVM_ARM_VM_SMCCC_FILTER));
	EXPECT_EQ(-ENXIO, has_attr(self->vm, KVM_ARM_VM_SMCCC_CTRL, 1));
	EXPECT_EQ(-ENXIO, has_attr(self->vm, 1, KVM_ARM_VM_SMCCC_FILTER));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm->fd, KVM_HAS_DEVICE_ATTR, NULL));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm->fd, KVM_SET_DEVICE_ATTR, NULL));
	/* No GET on the VM fd, as KVM. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm->fd, KVM_GET_DEVICE_ATTR, &attr));
	attr.attr = 1;
	EXPECT_EQ(-ENXIO, mkvm_ioctl(self->vm->fd, KVM_SET_DEVICE_ATTR, &attr));
	attr.attr = KVM_ARM_VM_SMCCC_FILTER;
	attr.addr = 8;
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm->fd, KVM_SET_DEVICE_ATTR, &attr));
}

TEST_F(filt, bad_filters)
{
	struct kvm_smccc_filter f = {
		.base = PSCI_0_2_FN_PSCI_VERSION, .nr_functions = 1,
		.pad = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	struct kvm_device_attr attr = {
		.group = KVM_ARM_VM_SMCCC_CTRL,
		.attr = KVM_ARM_VM_SMCCC_FILTER,
		.addr = (uint64_t)(unsigned long)&f,
	};

	self->vm = vm_create(NULL, NULL);
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm->fd, KVM_SET_DEVICE_ATTR, &attr));
	EXPECT_EQ(-EINVAL, set_filter(self->vm, PSCI_0_2_FN64_CPU_ON, 0, 1));
	EXPECT_EQ(-EINVAL, set_filter(self->vm, 0xfffffff0u, 0x11, 1));
	EXPECT_EQ(-EINVAL, set_filter(self->vm, ~0u, ~0u, 1));
	EXPECT_EQ(-EINVAL, set_filter(self->vm, PSCI_0_2_FN64_CPU_ON, 1, 3));
	EXPECT_EQ(-EINVAL, set_filter(self->vm, PSCI_0_2_FN64_CPU_ON, 1, 0xff));
	/* The architecture calls are the kernel's, in both conventions. */
	EXPECT_EQ(-EEXIST, set_filter(self->vm, SMCCC_ARCH_WA1, 1, 1));
	EXPECT_EQ(-EEXIST, set_filter(self->vm, SMCCC_VERSION, 1, 0));
	EXPECT_EQ(-EEXIST, set_filter(self->vm, SMC64_ARCH_FIRST + 0xffff, 1, 1));
	EXPECT_EQ(-EEXIST, set_filter(self->vm, 0x7fffffffu, 2, 1));
	/* Ranges may touch but not overlap. */
	EXPECT_EQ(0, set_filter(self->vm, PSCI_0_2_FN_BASE + 4, 4, 1));
	EXPECT_EQ(-EEXIST, set_filter(self->vm, PSCI_0_2_FN_BASE + 7, 1, 2));
	EXPECT_EQ(-EEXIST, set_filter(self->vm, PSCI_0_2_FN_BASE, 5, 2));
	EXPECT_EQ(-EEXIST, set_filter(self->vm, PSCI_0_2_FN_BASE, 0x20, 2));
	EXPECT_EQ(0, set_filter(self->vm, PSCI_0_2_FN_BASE, 4, 2));
	EXPECT_EQ(0, set_filter(self->vm, PSCI_0_2_FN_BASE + 8, 1, 0));
	EXPECT_EQ(0, set_filter(self->vm, 0xffffffffu, 1, 1));
}

/* Once a vCPU ran the filter is fixed: -EBUSY, and the old one holds. */
TEST_F(filt, busy_after_run)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_hvc, guest_hvc_end);
	ASSERT_EQ(0, set_filter(self->vm, PSCI_0_2_FN_PSCI_VERSION, 1,
				KVM_SMCCC_FILTER_DENY));
	vcpu = fn_vcpu(self->vm, PSCI_0_2_FN_PSCI_VERSION);
	EXPECT_EQ(MKVM_SMCCC_NOT_SUPPORTED, vcpu_report(vcpu));
	EXPECT_EQ(-EBUSY, set_filter(self->vm, VENDOR_HYP_UID, 1,
				     KVM_SMCCC_FILTER_DENY));
	EXPECT_EQ(-EBUSY, set_filter(self->vm, PSCI_0_2_FN_PSCI_VERSION, 1,
				     KVM_SMCCC_FILTER_HANDLE));
	/* Validation comes first, as in KVM. */
	EXPECT_EQ(-EINVAL, set_filter(self->vm, VENDOR_HYP_UID, 0, 0));
	vcpu_set_reg(vcpu, MKVM_XREG(0), PSCI_0_2_FN_PSCI_VERSION);
	EXPECT_EQ(MKVM_SMCCC_NOT_SUPPORTED, vcpu_report(vcpu));
}

/* DENY answers NOT_SUPPORTED; the reserved range is still answered. */
static void check_deny(struct __test_metadata *_metadata, struct mkvm_vm *vm)
{
	struct mkvm_vcpu *vcpu;

	ASSERT_EQ(0, set_filter(vm, PSCI_0_2_FN_PSCI_VERSION, 1,
				KVM_SMCCC_FILTER_DENY));
	vcpu = fn_vcpu(vm, PSCI_0_2_FN_PSCI_VERSION);
	EXPECT_EQ(MKVM_SMCCC_NOT_SUPPORTED, vcpu_report(vcpu));
	vcpu_set_reg(vcpu, MKVM_XREG(0), SMCCC_VERSION);
	EXPECT_EQ(0x10001, vcpu_report(vcpu));
	vcpu_set_reg(vcpu, MKVM_XREG(0), PSCI_0_2_FN_MIGRATE_INFO_TYPE);
	EXPECT_EQ(PSCI_0_2_TOS_MP, vcpu_report(vcpu));
}

TEST_F(filt, deny_hvc)
{
	self->vm = vm_create(guest_hvc, guest_hvc_end);
	check_deny(_metadata, self->vm);
}

TEST_F(filt, deny_smc)
{
	self->vm = vm_create(guest_smc, guest_smc_end);
	check_deny(_metadata, self->vm);
}

/*
 * FWD_TO_USER: KVM_EXIT_HYPERCALL with the function id and the conduit;
 * the VMM's x0 is what the guest gets, after the call instruction.
 */
static void check_fwd(struct __test_metadata *_metadata, struct mkvm_vm *vm,
		      bool smc)
{
	struct mkvm_vcpu *vcpu;
	struct kvm_run *run;
	uint32_t fns[] = { PSCI_0_2_FN_PSCI_VERSION, VENDOR_HYP_UID };
	unsigned int i;

	ASSERT_EQ(0, set_filter(vm, PSCI_0_2_FN_PSCI_VERSION, 1,
				KVM_SMCCC_FILTER_FWD_TO_USER));
	ASSERT_EQ(0, set_filter(vm, VENDOR_HYP_UID, 1,
				KVM_SMCCC_FILTER_FWD_TO_USER));
	vcpu = fn_vcpu(vm, 0);
	for (i = 0; i < 2; i++) {
		/* The guest loops back to its call with the x0 set here. */
		vcpu_set_reg(vcpu, MKVM_XREG(0), fns[i]);
		run = vcpu_run_expect(vcpu, KVM_EXIT_HYPERCALL);
		EXPECT_EQ(fns[i], run->hypercall.nr);
		EXPECT_EQ(smc ? KVM_HYPERCALL_EXIT_SMC : 0,
			  run->hypercall.flags);
		EXPECT_EQ(fns[i], vcpu_get_reg(vcpu, MKVM_XREG(0)));
		EXPECT_EQ(MKVM_CODE_IPA + 4, vcpu_get_reg(vcpu, MKVM_PC));
		vcpu_set_reg(vcpu, MKVM_XREG(0), 0x1234 + i);
		EXPECT_EQ(0x1234 + i, vcpu_report(vcpu));
	}
}

TEST_F(filt, fwd_hvc)
{
	self->vm = vm_create(guest_hvc, guest_hvc_end);
	check_fwd(_metadata, self->vm, false);
}

TEST_F(filt, fwd_smc)
{
	self->vm = vm_create(guest_smc, guest_smc_end);
	check_fwd(_metadata, self->vm, true);
}

/* HANDLE ranges and the unfiltered rest: answered as without a filter. */
TEST_F(filt, handle_is_default)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_hvc, guest_hvc_end);
	ASSERT_EQ(0, set_filter(self->vm, PSCI_0_2_FN_PSCI_VERSION, 1,
				KVM_SMCCC_FILTER_HANDLE));
	vcpu = fn_vcpu(self->vm, PSCI_0_2_FN_PSCI_VERSION);
	EXPECT_EQ(PSCI_VERSION(1, 1), vcpu_report(vcpu));
	vcpu_set_reg(vcpu, MKVM_XREG(0), VENDOR_HYP_UID + 1);
	EXPECT_EQ(MKVM_SMCCC_NOT_SUPPORTED, vcpu_report(vcpu));
}

TEST_HARNESS_MAIN
