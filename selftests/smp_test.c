// SPDX-License-Identifier: GPL-2.0
/*
 * Several vCPUs at once: PSCI CPU_ON between two vCPU threads, and two VMs
 * of two vCPUs each running side by side without seeing each other.
 */
#include "kselftest_harness.h"
#include "mkvm_vm.h"

MKVM_VM_FIXTURE(smp);

/* x0 = PSCI function @fn (64-bit calling convention). */
#define G_PSCI64_FN(fn)	"movz	x0, #0xc400, lsl #16\n" "movk	x0, #" #fn "\n"
_Static_assert(PSCI_0_2_FN64_CPU_ON == 0xc4000003, "G_PSCI64_FN is stale");

/*
 * vCPU 0: x10 = the target's MPIDR, x11 = its entry point, x12 = the
 * context id.  AFFINITY_INFO (off), CPU_ON, CPU_ON again (already on),
 * AFFINITY_INFO (on), each result reported.  The secondary reports the
 * context id it found in x0 and its MPIDR_EL1.
 */
MKVM_GUEST(guest_cpu_on,
	G_PSCI64_FN(4) "mov	x1, x10\n" "mov	x2, #0\n" G_HVC G_REPORT("x0")
	G_PSCI64_FN(3) "mov	x1, x10\n" "mov	x2, x11\n" "mov	x3, x12\n"
	G_HVC G_REPORT("x0")
	G_PSCI64_FN(3) "mov	x1, x10\n" "mov	x2, x11\n" "mov	x3, x12\n"
	G_HVC G_REPORT("x0")
	G_PSCI64_FN(4) "mov	x1, x10\n" "mov	x2, #0\n" G_HVC G_REPORT("x0")
	G_DONE
	".balign 64\n"
	".globl guest_cpu_on_secondary\n"
	".hidden guest_cpu_on_secondary\n"
	"guest_cpu_on_secondary:\n"
	G_REPORT("x0")
	"mrs	x1, mpidr_el1\n"
	G_REPORT("x1")
	G_DONE);

extern const char guest_cpu_on_secondary[]
	__attribute__((visibility("hidden")));

struct secondary {
	struct mkvm_vcpu *vcpu;
	uint64_t context_id;
	uint64_t mpidr;
};

/* Blocks in KVM_RUN while the vCPU is off, then runs from CPU_ON's entry. */
static void *secondary_fn(void *arg)
{
	struct secondary *s = arg;

	s->context_id = vcpu_report(s->vcpu);
	s->mpidr = vcpu_report(s->vcpu);
	vcpu_done(s->vcpu);
	return NULL;
}

TEST_F(smp, psci_cpu_on)
{
	const uint64_t context_id = 0xc0ffee0012345678ull;
	uint64_t entry = MKVM_CODE_IPA + (guest_cpu_on_secondary - guest_cpu_on);
	struct secondary s = { 0 };
	struct mkvm_vcpu *boot;
	pthread_t thread;

	self->vm = vm_create(guest_cpu_on, guest_cpu_on_end);
	boot = vm_vcpu_add(self->vm, 0);
	s.vcpu = vm_vcpu_add_features(self->vm, 1,
				      1u << KVM_ARM_VCPU_POWER_OFF, 0);
	vcpu_set_reg(boot, MKVM_XREG(10), 1);
	vcpu_set_reg(boot, MKVM_XREG(11), entry);
	vcpu_set_reg(boot, MKVM_XREG(12), context_id);
	ASSERT_EQ(0, pthread_create(&thread, NULL, secondary_fn, &s));

	EXPECT_EQ(PSCI_0_2_AFFINITY_LEVEL_OFF, vcpu_report(boot));
	EXPECT_EQ(PSCI_RET_SUCCESS, vcpu_report(boot));
	EXPECT_EQ(MKVM_PSCI_RET(PSCI_RET_ALREADY_ON), vcpu_report(boot));
	EXPECT_EQ(PSCI_0_2_AFFINITY_LEVEL_ON, vcpu_report(boot));
	vcpu_done(boot);

	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(context_id, s.context_id);
	EXPECT_EQ(0x80000001, s.mpidr);
}

/*
 * CPU_OFF, then CPU_ON again: vCPU 0 (x10 = target, x11 = entry, x12 and
 * x13 = context ids) starts vCPU 1, waits in AFFINITY_INFO until vCPU 1
 * has turned itself off, and starts it once more.  vCPU 1 reports its
 * context id and calls CPU_OFF, which does not return.
 */
MKVM_GUEST(guest_cpu_off,
	G_PSCI64_FN(3) "mov	x1, x10\n" "mov	x2, x11\n" "mov	x3, x12\n"
	G_HVC G_REPORT("x0")
	"1:	" G_PSCI64_FN(4) "mov	x1, x10\n" "mov	x2, #0\n" G_HVC
	"cmp	x0, #1\n"				/* AFFINITY_LEVEL_OFF */
	"b.ne	1b\n"
	G_REPORT("x0")
	G_PSCI64_FN(3) "mov	x1, x10\n" "mov	x2, x11\n" "mov	x3, x13\n"
	G_HVC G_REPORT("x0")
	G_DONE
	".globl guest_cpu_off_secondary\n"
	".hidden guest_cpu_off_secondary\n"
	"guest_cpu_off_secondary:\n"
	G_REPORT("x0")
	"movz	x0, #0x8400, lsl #16\n"
	"movk	x0, #2\n"			/* PSCI_0_2_FN_CPU_OFF */
	G_HVC
	G_REPORT("x0")				/* only if CPU_OFF failed */
	G_DONE);
_Static_assert(PSCI_0_2_FN_CPU_OFF == 0x84000002 &&
	       PSCI_0_2_AFFINITY_LEVEL_OFF == 1, "guest_cpu_off is stale");

extern const char guest_cpu_off_secondary[]
	__attribute__((visibility("hidden")));

static void *secondary_twice_fn(void *arg)
{
	struct secondary *s = arg;

	s->context_id = vcpu_report(s->vcpu);
	s->mpidr = vcpu_report(s->vcpu);	/* the second context id */
	return NULL;
}

TEST_F(smp, psci_cpu_off_and_on_again)
{
	uint64_t entry = MKVM_CODE_IPA +
			 (guest_cpu_off_secondary - guest_cpu_off);
	struct secondary s = { 0 };
	struct mkvm_vcpu *boot;
	pthread_t thread;

	self->vm = vm_create(guest_cpu_off, guest_cpu_off_end);
	boot = vm_vcpu_add(self->vm, 0);
	s.vcpu = vm_vcpu_add_features(self->vm, 1,
				      1u << KVM_ARM_VCPU_POWER_OFF, 0);
	vcpu_set_reg(boot, MKVM_XREG(10), 1);
	vcpu_set_reg(boot, MKVM_XREG(11), entry);
	vcpu_set_reg(boot, MKVM_XREG(12), 0x1111);
	vcpu_set_reg(boot, MKVM_XREG(13), 0x2222);
	ASSERT_EQ(0, pthread_create(&thread, NULL, secondary_twice_fn, &s));

	EXPECT_EQ(PSCI_RET_SUCCESS, vcpu_report(boot));
	EXPECT_EQ(PSCI_0_2_AFFINITY_LEVEL_OFF, vcpu_report(boot));
	EXPECT_EQ(PSCI_RET_SUCCESS, vcpu_report(boot));
	vcpu_done(boot);

	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(0x1111, s.context_id);
	EXPECT_EQ(0x2222, s.mpidr);
}

/*
 * Each vCPU folds x0 over x1 rounds, stores the result at RAM + 1 MiB +
 * 8 * x4 and reports it.
 */
MKVM_GUEST(guest_fold,
	"mov	x2, #0\n"
	"mov	x3, #1\n"
	"1:	madd	x2, x3, x0, x2\n"
	"eor	x2, x2, x2, lsr #7\n"
	"add	x3, x3, #1\n"
	"cmp	x3, x1\n"
	"b.ls	1b\n"
	"movz	x5, #0x8010, lsl #16\n"
	"str	x2, [x5, x4, lsl #3]\n"
	G_REPORT("x2")
	G_DONE);
_Static_assert(MKVM_RAM_IPA + 0x100000 == 0x8010ull << 16, "guest_fold");

#define FOLD_ROUNDS	2000

static uint64_t fold(uint64_t seed)
{
	uint64_t acc = 0, k;

	for (k = 1; k <= FOLD_ROUNDS; k++) {
		acc += k * seed;
		acc ^= acc >> 7;
	}
	return acc;
}

struct folder {
	struct mkvm_vcpu *vcpu;
	pthread_barrier_t *start;
	uint64_t seed;
	uint64_t reported;
};

static void *folder_fn(void *arg)
{
	struct folder *f = arg;

	pthread_barrier_wait(f->start);
	f->reported = vcpu_report(f->vcpu);
	vcpu_done(f->vcpu);
	return NULL;
}

TEST_F(smp, two_vms_two_vcpus_each)
{
	struct mkvm_vm *vms[2];
	struct folder f[4];
	pthread_t threads[4];
	pthread_barrier_t start;
	unsigned int i;

	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, 4));
	for (i = 0; i < 2; i++)
		vms[i] = vm_create(guest_fold, guest_fold_end);
	for (i = 0; i < 4; i++) {
		f[i].vcpu = vm_vcpu_add(vms[i / 2], i % 2);
		f[i].start = &start;
		f[i].seed = 0x9e3779b97f4a7c15ull * (i + 1);
		vcpu_set_reg(f[i].vcpu, MKVM_XREG(0), f[i].seed);
		vcpu_set_reg(f[i].vcpu, MKVM_XREG(1), FOLD_ROUNDS);
		vcpu_set_reg(f[i].vcpu, MKVM_XREG(4), i % 2);
	}
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, folder_fn, &f[i]));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));

	for (i = 0; i < 4; i++) {
		uint64_t *slots = vm_gpa_to_hva(vms[i / 2], MKVM_RAM_IPA + 0x100000);

		EXPECT_EQ(fold(f[i].seed), f[i].reported) TH_LOG("vcpu %u", i);
		/* Each VM's memory holds its own vCPUs' results only. */
		EXPECT_EQ(fold(f[i].seed), slots[i % 2]) TH_LOG("vcpu %u", i);
		EXPECT_EQ(0, slots[2]);
	}
	for (i = 0; i < 4; i++)
		vcpu_free(f[i].vcpu);
	for (i = 0; i < 2; i++)
		vm_free(vms[i]);
	pthread_barrier_destroy(&start);
}

TEST_HARNESS_MAIN
