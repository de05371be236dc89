// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET/SET_MP_STATE: a VMM's view of a vCPU's power state, in step
 * with PSCI and KVM_ARM_VCPU_POWER_OFF.
 */
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

MKVM_VM_FIXTURE(mp);

MKVM_GUEST(guest_report_done,
	"mov	x2, #0x77\n"
	G_REPORT("x2")
	G_DONE);

/* POWER_OFF reads STOPPED; RUNNABLE set by the VMM lets the vCPU run. */
TEST_F(mp, power_off_then_runnable)
{
	struct mkvm_vcpu *on, *off;

	self->vm = vm_create(guest_report_done, guest_report_done_end);
	on = vm_vcpu_add(self->vm, 0);
	off = vm_vcpu_add_features(self->vm, 1,
				   (1u << KVM_ARM_VCPU_PSCI_0_2) |
				   (1u << KVM_ARM_VCPU_POWER_OFF),
				   MKVM_CODE_IPA);
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, vcpu_get_mp_state(on));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_get_mp_state(off));

	ASSERT_EQ(0, vcpu_set_mp_state(off, KVM_MP_STATE_RUNNABLE));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, vcpu_get_mp_state(off));
	EXPECT_EQ(0x77, vcpu_report(off));
	vcpu_done(off);

	ASSERT_EQ(0, vcpu_set_mp_state(on, KVM_MP_STATE_STOPPED));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_get_mp_state(on));
}

/* States that make no sense for an arm64 vCPU, and bad pointers. */
TEST_F(mp, bad_arguments)
{
	static const uint32_t bad[] = {
		KVM_MP_STATE_UNINITIALIZED, KVM_MP_STATE_INIT_RECEIVED,
		KVM_MP_STATE_HALTED, KVM_MP_STATE_SIPI_RECEIVED,
		KVM_MP_STATE_CHECK_STOP, KVM_MP_STATE_OPERATING,
		KVM_MP_STATE_LOAD, KVM_MP_STATE_AP_RESET_HOLD, 42, ~0u,
	};
	struct mkvm_vcpu *vcpu;
	unsigned int i;

	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_EQ(-EINVAL, vcpu_set_mp_state(vcpu, bad[i]))
			TH_LOG("state %u", bad[i]);
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vcpu->fd, KVM_GET_MP_STATE, NULL));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vcpu->fd, KVM_SET_MP_STATE, NULL));
}

TEST_HARNESS_MAIN
