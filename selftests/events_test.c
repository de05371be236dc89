// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET/SET_VCPU_EVENTS: a virtual SError the VMM makes pending (with
 * its syndrome where the host has RAS), kept pending while the guest
 * masks SErrors, taken once it unmasks them; an external data abort in
 * answer to an MMIO exit; and the errors of both ioctls, as KVM 6.12.
 */
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

#define FAR_EL1		ARM64_SYS_REG(3, 0, 6, 0, 0)
#define ESR_EC(esr)	(((esr) >> 26) & 0x3f)
#define ESR_ISS(esr)	((esr) & 0x1ffffff)
#define EC_SERROR	0x2f
#define EC_DABT_CUR	0x25
#define FSC_EXTABT	0x10
#define ISS_IDS		(1u << 24)	/* ESR_ELx_ISV: IMPLEMENTATION DEFINED */

MKVM_VM_FIXTURE(events);

/*
 * Two reports with SErrors masked (as out of reset), then unmask them: a
 * pending virtual SError is taken there (the vectors report ESR_EL1),
 * otherwise a third report and done.
 */
MKVM_GUEST(guest_unmask,
	G_REPORT("xzr")
	G_REPORT("xzr")
	"msr	daifclr, #4\n"
	"isb\n"
	G_REPORT("xzr")
	G_DONE);

/* A load from the MMIO window; reports what it read. */
MKVM_GUEST(guest_load,
	"movz	x1, #0x2000, lsl #16\n"
	"ldr	x0, [x1]\n"
	G_REPORT("x0")
	G_DONE);
_Static_assert(MKVM_MMIO_IPA == 0x2000ull << 16, "guest_load is stale");

static int get_events(struct mkvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	return mkvm_ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, ev);
}

static int set_events(struct mkvm_vcpu *vcpu, struct kvm_vcpu_events *ev)
{
	return mkvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, ev);
}

static int has_ras(struct mkvm_vm *vm)
{
	return ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
		     KVM_CAP_ARM_INJECT_SERROR_ESR);
}

/* Runs to the next ucall, which must be the vectors' exception report. */
static uint64_t run_to_exception(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);

	MKVM_CHECK(run->mmio.phys_addr == MKVM_UCALL_IPA + UCALL_EXCEPTION,
		   "no exception: %s at %#llx",
		   run->mmio.is_write ? "write" : "read",
		   (unsigned long long)run->mmio.phys_addr);
	return mkvm_mmio_data(run);
}

TEST_F(events, caps)
{
	self->vm = vm_create(NULL, NULL);
	EXPECT_EQ(1, ioctl(self->vm->kvm_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_VCPU_EVENTS));
	EXPECT_EQ(1, ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_VCPU_EVENTS));
	EXPECT_EQ(1, ioctl(self->vm->kvm_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_ARM_INJECT_EXT_DABT));
	EXPECT_LE(0, has_ras(self->vm));
	EXPECT_GE(1, has_ras(self->vm));
}

/* Before KVM_ARM_VCPU_INIT: -ENOEXEC; bad pointers: -EFAULT. */
TEST_F(events, errors)
{
	struct kvm_vcpu_events ev = {};
	struct mkvm_vcpu *vcpu;
	int fd;

	self->vm = vm_create(NULL, NULL);
	fd = ioctl(self->vm->fd, KVM_CREATE_VCPU, 1);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOEXEC, mkvm_ioctl(fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(-ENOEXEC, mkvm_ioctl(fd, KVM_SET_VCPU_EVENTS, &ev));
	close(fd);

	vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, NULL));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, NULL));

	/* Every reserved word and pad byte must be zero. */
	memset(&ev, 0, sizeof(ev));
	ev.reserved[8] = 1;
	EXPECT_EQ(-EINVAL, set_events(vcpu, &ev));
	memset(&ev, 0, sizeof(ev));
	ev.exception.pad[4] = 1;
	EXPECT_EQ(-EINVAL, set_events(vcpu, &ev));

	/* A syndrome wider than ESR.ISS, or one without RAS. */
	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	ev.exception.serror_has_esr = 1;
	ev.exception.serror_esr = 1ull << 25;
	EXPECT_EQ(-EINVAL, set_events(vcpu, &ev));
	ev.exception.serror_esr = 0x1234;
	EXPECT_EQ(has_ras(self->vm) ? 0 : -EINVAL, set_events(vcpu, &ev));

	/* Nothing pending: a no-op. */
	memset(&ev, 0, sizeof(ev));
	EXPECT_EQ(0, set_events(vcpu, &ev));
}

/* A fresh vCPU: nothing pending; serror_has_esr says whether RAS is. */
TEST_F(events, nothing_pending)
{
	struct kvm_vcpu_events ev;
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_unmask, guest_unmask_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	memset(&ev, 0xa5, sizeof(ev));
	ASSERT_EQ(0, get_events(vcpu, &ev));
	EXPECT_EQ(0, ev.exception.serror_pending);
	EXPECT_EQ(has_ras(self->vm), ev.exception.serror_has_esr);
	EXPECT_EQ(0, ev.exception.ext_dabt_pending);
	EXPECT_EQ(0, ev.exception.serror_esr);
	/* Unmasking SErrors with none pending changes nothing. */
	vcpu_report(vcpu);
	vcpu_report(vcpu);
	vcpu_report(vcpu);
	vcpu_done(vcpu);
}

/*
 * The SError stays pending across exits while the guest masks it (EL2
 * must read HCR_EL2.VSE back, not drop or repeat it), and is taken with
 * the VMM's syndrome once the guest unmasks.
 */
TEST_F(events, serror_taken_when_unmasked)
{
	struct kvm_vcpu_events ev = {};
	struct mkvm_vcpu *vcpu;
	uint64_t esr;
	int ras;

	self->vm = vm_create(guest_unmask, guest_unmask_end);
	ras = has_ras(self->vm);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_report(vcpu);

	ev.exception.serror_pending = 1;
	ev.exception.serror_has_esr = ras;
	ev.exception.serror_esr = ras ? 0x1234 : 0;
	ASSERT_EQ(0, set_events(vcpu, &ev));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(0, get_events(vcpu, &ev));
	EXPECT_EQ(1, ev.exception.serror_pending);
	if (ras)
		EXPECT_EQ(0x1234, ev.exception.serror_esr);

	/* Masked: the guest goes on, the SError still pending. */
	vcpu_report(vcpu);
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(0, get_events(vcpu, &ev));
	EXPECT_EQ(1, ev.exception.serror_pending);

	esr = run_to_exception(vcpu);
	EXPECT_EQ(EC_SERROR, ESR_EC(esr));
	if (ras)
		EXPECT_EQ(0x1234, ESR_ISS(esr));
	memset(&ev, 0xa5, sizeof(ev));
	ASSERT_EQ(0, get_events(vcpu, &ev));
	EXPECT_EQ(0, ev.exception.serror_pending);
	EXPECT_EQ(0, ev.exception.serror_esr);
}

/* Without a syndrome, the SError carries IDS alone, as KVM injects it. */
TEST_F(events, serror_default_syndrome)
{
	struct kvm_vcpu_events ev = {};
	struct mkvm_vcpu *vcpu;
	uint64_t esr;

	self->vm = vm_create(guest_unmask, guest_unmask_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	ev.exception.serror_pending = 1;
	ASSERT_EQ(0, set_events(vcpu, &ev));
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(0, get_events(vcpu, &ev));
	EXPECT_EQ(1, ev.exception.serror_pending);
	if (has_ras(self->vm))
		EXPECT_EQ(ISS_IDS, ev.exception.serror_esr);
	vcpu_report(vcpu);
	vcpu_report(vcpu);
	esr = run_to_exception(vcpu);
	EXPECT_EQ(EC_SERROR, ESR_EC(esr));
	if (has_ras(self->vm))
		EXPECT_EQ(ISS_IDS, ESR_ISS(esr));
}

/*
 * The VMM cannot emulate a load: it answers the MMIO exit with an
 * external abort, which the guest takes at the load, with the address
 * in FAR_EL1, instead of the load completing.
 */
TEST_F(events, ext_dabt_answers_mmio)
{
	struct kvm_vcpu_events ev = {};
	struct mkvm_vcpu *vcpu;
	struct kvm_run *run;
	uint64_t esr;

	self->vm = vm_create(guest_load, guest_load_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	ASSERT_EQ(MKVM_MMIO_IPA, run->mmio.phys_addr);
	ASSERT_EQ(0, run->mmio.is_write);
	memset(run->mmio.data, 0x55, sizeof(run->mmio.data));

	ev.exception.ext_dabt_pending = 1;
	ASSERT_EQ(0, set_events(vcpu, &ev));
	/* Delivered at once: never reported as pending. */
	memset(&ev, 0xa5, sizeof(ev));
	ASSERT_EQ(0, get_events(vcpu, &ev));
	EXPECT_EQ(0, ev.exception.ext_dabt_pending);

	esr = run_to_exception(vcpu);
	EXPECT_EQ(EC_DABT_CUR, ESR_EC(esr));
	EXPECT_EQ(FSC_EXTABT, esr & 0x3f);
	EXPECT_EQ(MKVM_MMIO_IPA, vcpu_get_reg(vcpu, FAR_EL1));
	EXPECT_EQ(MKVM_CODE_IPA + 4, vcpu_get_reg(vcpu, MKVM_ELR_EL1));
	/* The load did not complete: x0 is not the VMM's data. */
	EXPECT_NE(0x5555555555555555ull, vcpu_get_reg(vcpu, MKVM_XREG(0)));
}

/* The same load, answered normally: the control for the test above. */
TEST_F(events, mmio_answered)
{
	struct mkvm_vcpu *vcpu;
	struct kvm_run *run;

	self->vm = vm_create(guest_load, guest_load_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	memset(run->mmio.data, 0x55, sizeof(run->mmio.data));
	EXPECT_EQ(0x5555555555555555ull, vcpu_report(vcpu));
	vcpu_done(vcpu);
}

TEST_HARNESS_MAIN
