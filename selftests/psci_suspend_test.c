// SPDX-License-Identifier: GPL-2.0
/*
 * PSCI SYSTEM_SUSPEND and KVM_CAP_ARM_SYSTEM_SUSPEND (the VMM implements
 * the suspend: KVM_EXIT_SYSTEM_EVENT, type SUSPEND, then
 * KVM_MP_STATE_SUSPENDED until an interrupt: type WAKEUP), its KVM_ENABLE_CAP
 * errors, and what a VM without a vGIC sees of the GIC once it ran
 * (ID_AA64PFR0_EL1.GIC = 0, ICC_SGI1R_EL1 UNDEFINED), as KVM 6.12.
 */
#include <linux/psci.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"
#include "mkvm_gic.h"

MKVM_VM_FIXTURE(susp);

/* x0..x3 from the host; one call; reports x0, x1, x2, then again. */
MKVM_GUEST(guest_call,
	"1:	" G_HVC
	G_REPORT("x0")
	G_REPORT("x1")
	G_REPORT("x2")
	"b	1b\n");

static struct mkvm_vcpu *call_vcpu(struct mkvm_vm *vm, uint64_t fn,
				   uint64_t a1, uint64_t a2)
{
	struct mkvm_vcpu *vcpu;

	vcpu = vm_vcpu_add_features(vm, 0, 1u << KVM_ARM_VCPU_PSCI_0_2,
				    MKVM_CODE_IPA);
	vcpu_set_reg(vcpu, MKVM_XREG(0), fn);
	vcpu_set_reg(vcpu, MKVM_XREG(1), a1);
	vcpu_set_reg(vcpu, MKVM_XREG(2), a2);
	return vcpu;
}

static int enable_cap(struct mkvm_vm *vm, uint32_t cap, uint32_t flags)
{
	struct kvm_enable_cap c = { .cap = cap, .flags = flags };

	return mkvm_ioctl(vm->fd, KVM_ENABLE_CAP, &c);
}

/* The cap is advertised on the system and the VM fd. */
TEST_F(susp, cap_advertised)
{
	self->vm = vm_create(NULL, NULL);
	EXPECT_EQ(1, ioctl(self->vm->kvm_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_ARM_SYSTEM_SUSPEND));
	EXPECT_EQ(1, ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_ARM_SYSTEM_SUSPEND));
}

/* KVM_ENABLE_CAP: flags must be 0, unknown caps and bad pointers fail. */
TEST_F(susp, enable_cap_errors)
{
	self->vm = vm_create(NULL, NULL);
	EXPECT_EQ(-EINVAL, enable_cap(self->vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 1));
	EXPECT_EQ(-EINVAL, enable_cap(self->vm, 0xfffff, 0));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm->fd, KVM_ENABLE_CAP, NULL));
	EXPECT_EQ(0, enable_cap(self->vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 0));
	/* Enabling it twice is fine. */
	EXPECT_EQ(0, enable_cap(self->vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 0));
}

/* Without the cap, SYSTEM_SUSPEND is NOT_SUPPORTED and not a feature. */
TEST_F(susp, not_enabled)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_call, guest_call_end);
	vcpu = call_vcpu(self->vm, PSCI_1_0_FN64_SYSTEM_SUSPEND, 0x1000, 7);
	EXPECT_EQ(MKVM_PSCI_RET(PSCI_RET_NOT_SUPPORTED), vcpu_report(vcpu));
	vcpu_report(vcpu);
	vcpu_report(vcpu);
	vcpu_set_reg(vcpu, MKVM_XREG(0), PSCI_1_0_FN_PSCI_FEATURES);
	vcpu_set_reg(vcpu, MKVM_XREG(1), PSCI_1_0_FN64_SYSTEM_SUSPEND);
	EXPECT_EQ(MKVM_PSCI_RET(PSCI_RET_NOT_SUPPORTED), vcpu_report(vcpu));
	vcpu_report(vcpu);
	vcpu_report(vcpu);
	vcpu_set_reg(vcpu, MKVM_XREG(0), PSCI_1_0_FN_SYSTEM_SUSPEND);
	EXPECT_EQ(MKVM_PSCI_RET(PSCI_RET_NOT_SUPPORTED), vcpu_report(vcpu));
}

/*
 * With the cap: a feature, and the call exits with the registers as the
 * guest left them (x0 the function id) for the VMM to act on; resumed,
 * the guest goes on after the HVC with them unchanged.
 */
TEST_F(susp, exits_to_vmm)
{
	struct mkvm_vcpu *vcpu;
	struct kvm_run *run;

	self->vm = vm_create(guest_call, guest_call_end);
	ASSERT_EQ(0, enable_cap(self->vm, KVM_CAP_ARM_SYSTEM_SUSPEND, 0));
	vcpu = call_vcpu(self->vm, PSCI_1_0_FN_PSCI_FEATURES,
			 PSCI_1_0_FN64_SYSTEM_SUSPEND, 0);
	EXPECT_EQ(0, vcpu_report(vcpu));
	vcpu_report(vcpu);
	vcpu_report(vcpu);

	vcpu_set_reg(vcpu, MKVM_XREG(0), PSCI_1_0_FN64_SYSTEM_SUSPEND);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0xabcd00001000ull);
	vcpu_set_reg(vcpu, MKVM_XREG(2), 0x1234567800000042ull);
	run = vcpu_run_expect(vcpu, KVM_EXIT_SYSTEM_EVENT);
	EXPECT_EQ(KVM_SYSTEM_EVENT_SUSPEND, run->system_event.type);
	EXPECT_EQ(0, run->system_event.ndata);
	EXPECT_EQ(PSCI_1_0_FN64_SYSTEM_SUSPEND,
		  vcpu_get_reg(vcpu, MKVM_XREG(0)));
	EXPECT_EQ(0xabcd00001000ull, vcpu_get_reg(vcpu, MKVM_XREG(1)));
	EXPECT_EQ(0x1234567800000042ull, vcpu_get_reg(vcpu, MKVM_XREG(2)));
	EXPECT_EQ(PSCI_1_0_FN64_SYSTEM_SUSPEND, vcpu_report(vcpu));
	EXPECT_EQ(0xabcd00001000ull, vcpu_report(vcpu));
	vcpu_report(vcpu);

	/* The SMC32 call: x1..x3 narrowed to 32 bits before the exit. */
	vcpu_set_reg(vcpu, MKVM_XREG(0), PSCI_1_0_FN_SYSTEM_SUSPEND);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0xabcd00001000ull);
	vcpu_set_reg(vcpu, MKVM_XREG(2), 0x1234567800000042ull);
	run = vcpu_run_expect(vcpu, KVM_EXIT_SYSTEM_EVENT);
	EXPECT_EQ(KVM_SYSTEM_EVENT_SUSPEND, run->system_event.type);
	EXPECT_EQ(PSCI_1_0_FN_SYSTEM_SUSPEND, vcpu_get_reg(vcpu, MKVM_XREG(0)));
	EXPECT_EQ(0x1000, vcpu_get_reg(vcpu, MKVM_XREG(1)));
	EXPECT_EQ(0x42, vcpu_get_reg(vcpu, MKVM_XREG(2)));
}

#define PFR0_GIC(v)	(((v) >> 24) & 0xf)
#define ID_AA64PFR0_EL1_ID	ARM64_SYS_REG(3, 0, 0, 4, 0)

/* Reports ID_AA64PFR0_EL1, then writes ICC_SGI1R_EL1 (must UNDEF). */
MKVM_GUEST(guest_no_gic,
	"mrs	x0, id_aa64pfr0_el1\n"
	G_REPORT("x0")
	"msr	s3_0_c12_c11_5, xzr\n"
	G_DONE);

/*
 * No vGIC: GICv3 advertised until the VM first runs, then hidden from the
 * guest and the VMM, and the guest's SGI register UNDEFINED.
 */
TEST_F(susp, no_vgic_hides_gic)
{
	struct mkvm_vcpu *vcpu;
	struct kvm_run *run;
	uint64_t before;

	self->vm = vm_create(guest_no_gic, guest_no_gic_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_VBAR_EL1, MKVM_RAM_IPA);
	before = vcpu_get_reg(vcpu, ID_AA64PFR0_EL1_ID);
	if (!PFR0_GIC(before))
		SKIP(return, "host has no GICv3 system registers");
	EXPECT_EQ(0, PFR0_GIC(vcpu_report(vcpu)));
	EXPECT_EQ(0, PFR0_GIC(vcpu_get_reg(vcpu, ID_AA64PFR0_EL1_ID)));
	/* The unchanged rest still round-trips through SET_ONE_REG. */
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64PFR0_EL1_ID,
				   vcpu_get_reg(vcpu, ID_AA64PFR0_EL1_ID)));
	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	ASSERT_EQ(MKVM_UCALL_IPA + UCALL_EXCEPTION, run->mmio.phys_addr);
	/* EC 0: unknown reason, the UNDEF a missing register gives. */
	EXPECT_EQ(0, mkvm_mmio_data(run) >> 26);
}

/* Takes one interrupt, reports it, then the count of interrupts taken. */
MKVM_GUEST(guest_one_irq,
	G_VECTORS(G_IRQ_REPORT)
	G_GIC_INIT
	"mrs	x0, icc_sre_el1\n"
	G_REPORT("x0")
	"msr	daifclr, #2\n"
	"mov	x15, #1\n"
	G_WAIT("x15")
	G_COUNT
	G_DONE);

static void *pulse_spi_40(void *arg)
{
	usleep(200 * 1000);
	spi_pulse(arg, 40);
	return NULL;
}

static void *kick_later(void *arg)
{
	usleep(200 * 1000);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

/*
 * KVM_MP_STATE_SUSPENDED: KVM_RUN waits for an interrupt the vCPU would
 * take, then returns a WAKEUP event - again on every KVM_RUN, the state
 * being sticky - until the VMM makes the vCPU RUNNABLE; the guest then
 * takes the interrupt.  A signal ends the wait with -EINTR.
 */
TEST_F(susp, suspended_until_interrupt)
{
	struct gic_params gic_p = { GIC_PARAMS_DEFAULT,
				    .icfgr2 = SPI_EDGE(40),
				    .spi_enable = SPI_BIT(40) };
	struct mkvm_vcpu *vcpu;
	pthread_t t, self_t = pthread_self();

	self->vm = vm_create(guest_one_irq, guest_one_irq_end);
	vcpu = gic_vcpu_add(self->vm, 0, &gic_p);
	vm_vgic_setup(self->vm);
	expect_sre(vcpu);

	ASSERT_EQ(0, vcpu_set_mp_state(vcpu, KVM_MP_STATE_SUSPENDED));
	EXPECT_EQ(KVM_MP_STATE_SUSPENDED, vcpu_get_mp_state(vcpu));

	/* Nothing pending: only a signal ends KVM_RUN. */
	mkvm_install_kick_handler(SIGUSR1);
	ASSERT_EQ(0, pthread_create(&t, NULL, kick_later, &self_t));
	EXPECT_EQ(-EINTR, _vcpu_run(vcpu));
	pthread_join(t, NULL);
	EXPECT_EQ(KVM_MP_STATE_SUSPENDED, vcpu_get_mp_state(vcpu));

	/* An SPI while it waits: a WAKEUP event, twice. */
	ASSERT_EQ(0, pthread_create(&t, NULL, pulse_spi_40, self->vm));
	vcpu_run_expect(vcpu, KVM_EXIT_SYSTEM_EVENT);
	pthread_join(t, NULL);
	EXPECT_EQ(KVM_SYSTEM_EVENT_WAKEUP, vcpu->run->system_event.type);
	vcpu_run_expect(vcpu, KVM_EXIT_SYSTEM_EVENT);
	EXPECT_EQ(KVM_SYSTEM_EVENT_WAKEUP, vcpu->run->system_event.type);
	EXPECT_EQ(KVM_MP_STATE_SUSPENDED, vcpu_get_mp_state(vcpu));

	ASSERT_EQ(0, vcpu_set_mp_state(vcpu, KVM_MP_STATE_RUNNABLE));
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, vcpu_get_mp_state(vcpu));
	EXPECT_EQ(40, vcpu_report(vcpu));
	EXPECT_EQ(COUNT_TAG | 1, vcpu_report(vcpu));
	vcpu_done(vcpu);
}

/* SUSPENDED powers a stopped vCPU on (one state, as KVM's mp_state). */
TEST_F(susp, suspended_is_not_stopped)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add_features(self->vm, 0,
				    1u << KVM_ARM_VCPU_POWER_OFF,
				    MKVM_CODE_IPA);
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_get_mp_state(vcpu));
	ASSERT_EQ(0, vcpu_set_mp_state(vcpu, KVM_MP_STATE_SUSPENDED));
	EXPECT_EQ(KVM_MP_STATE_SUSPENDED, vcpu_get_mp_state(vcpu));
	ASSERT_EQ(0, vcpu_set_mp_state(vcpu, KVM_MP_STATE_STOPPED));
	EXPECT_EQ(KVM_MP_STATE_STOPPED, vcpu_get_mp_state(vcpu));
}

TEST_HARNESS_MAIN
