// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory follows the VMM's memory: when a page behind a memslot is
 * dropped or replaced (madvise(MADV_DONTNEED), munmap + mmap), the guest
 * must see the new page, and its writes must land in it.  Plus the
 * exits that cannot be emulated: an MMIO access without a syndrome, and
 * an IMPLEMENTATION DEFINED register the guest is not given.
 */
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

#define MEM_IPA		0xc0000000ull
#define MEM_SIZE	0x10000ull

MKVM_VM_FIXTURE(mmu);

/* Read [x6] and report it, three times; then write x1 to [x6 + 8]. */
MKVM_GUEST(guest_reread,
	"movz	x6, #0xc000, lsl #16\n"
	"ldr	x2, [x6]\n"
	G_REPORT("x2")
	"ldr	x2, [x6]\n"
	G_REPORT("x2")
	"ldr	x2, [x6]\n"
	G_REPORT("x2")
	"str	x1, [x6, #8]\n"
	"dsb	sy\n"
	G_DONE);

/* madvise(MADV_DONTNEED) drops the page: the guest must not keep it. */
TEST_F(mmu, madvise_dontneed)
{
	struct mkvm_vcpu *vcpu;
	uint64_t *mem;

	self->vm = vm_create(guest_reread, guest_reread_end);
	mem = vm_add_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0x600dull);

	mem[0] = 0x1111;
	EXPECT_EQ(0x1111, vcpu_report(vcpu));
	ASSERT_EQ(0, madvise(mem, MEM_SIZE, MADV_DONTNEED));
	EXPECT_EQ(0, mem[0]);		/* a fresh zero page for the host */
	EXPECT_EQ(0, vcpu_report(vcpu));	/* ... and for the guest */
	mem[0] = 0x2222;
	EXPECT_EQ(0x2222, vcpu_report(vcpu));
	vcpu_done(vcpu);
	EXPECT_EQ(0x600dull, mem[1]);	/* the guest's write is not lost */
}

/* munmap + mmap at the same address: new pages, same memslot. */
TEST_F(mmu, remap_same_address)
{
	struct mkvm_vcpu *vcpu;
	uint64_t *mem, *again;

	self->vm = vm_create(guest_reread, guest_reread_end);
	mem = vm_add_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0xbeefull);

	mem[0] = 0x3333;
	EXPECT_EQ(0x3333, vcpu_report(vcpu));
	ASSERT_EQ(0, munmap(mem, MEM_SIZE));
	again = mmap(mem, MEM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(mem, again);
	again[0] = 0x4444;
	EXPECT_EQ(0x4444, vcpu_report(vcpu));
	again[0] = 0x5555;
	EXPECT_EQ(0x5555, vcpu_report(vcpu));
	vcpu_done(vcpu);
	EXPECT_EQ(0xbeefull, again[1]);
}

/* A load pair reports no instruction syndrome (ISV = 0). */
MKVM_GUEST(guest_ldp_mmio,
	"movz	x6, #0x2000, lsl #16\n"
	"ldp	x2, x3, [x6]\n"
	G_DONE);

TEST_F(mmu, mmio_without_syndrome)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_ldp_mmio, guest_ldp_mmio_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	/* KVM without KVM_CAP_ARM_NISV_TO_USER: the run fails. */
	EXPECT_EQ(-ENOSYS, _vcpu_run(vcpu));
}

/*
 * Registers the guest is not given: each access takes an UNDEF
 * (ESR_EL1.EC 0) in the guest, and the host is unharmed.
 */
MKVM_GUEST(guest_impdef_read,
	"mrs	x0, s3_0_c15_c0_0\n"
	G_DONE);
MKVM_GUEST(guest_impdef_write,
	"msr	s3_0_c15_c0_0, xzr\n"
	G_DONE);

static const struct {
	const char *name;
	const char *start, *end;
} undef_guests[] = {
	{ "read IMPDEF",  guest_impdef_read,  guest_impdef_read_end },
	{ "write IMPDEF", guest_impdef_write, guest_impdef_write_end },
};

TEST_F(mmu, unknown_sysreg_is_undef)
{
	unsigned int i;

	for (i = 0; i < sizeof(undef_guests) / sizeof(undef_guests[0]); i++) {
		struct kvm_run *run;
		struct mkvm_vcpu *vcpu;
		struct mkvm_vm *vm;

		vm = vm_create(undef_guests[i].start, undef_guests[i].end);
		vcpu = vm_vcpu_add(vm, 0);
		run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
		EXPECT_EQ(MKVM_UCALL_IPA + UCALL_EXCEPTION, run->mmio.phys_addr)
			TH_LOG("%s", undef_guests[i].name);
		EXPECT_EQ(0, mkvm_mmio_data(run) >> 26)
			TH_LOG("%s: ESR_EL1 %#llx", undef_guests[i].name,
			       (unsigned long long)mkvm_mmio_data(run));
		/* The exception was taken at the faulting instruction. */
		EXPECT_EQ(MKVM_CODE_IPA, vcpu_get_reg(vcpu, MKVM_ELR_EL1))
			TH_LOG("%s", undef_guests[i].name);
		vm_free(vm);
	}
}

/*
 * The debug registers a Linux guest resets at boot: accesses must not
 * fault (both hypervisors trap the first one and switch the guest's own
 * registers in from then on, the host's out of the guest's reach).
 */
MKVM_GUEST(guest_debug_regs,
	"mov	x1, #0x1234\n"
	"msr	dbgbvr0_el1, x1\n"
	"msr	dbgbcr0_el1, xzr\n"
	"msr	dbgwvr0_el1, x1\n"
	"msr	dbgwcr0_el1, xzr\n"
	"msr	oslar_el1, xzr\n"
	"mrs	x2, dbgbcr0_el1\n"
	"mrs	x3, mdscr_el1\n"
	"orr	x3, x3, #1\n"			/* MDSCR_EL1.SS: kept */
	"msr	mdscr_el1, x3\n"
	"mrs	x4, mdscr_el1\n"
	"and	x4, x4, #1\n"
	G_REPORT("x4")
	G_REPORT("x1")
	G_DONE);

TEST_F(mmu, debug_registers_do_not_fault)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_debug_regs, guest_debug_regs_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(1, vcpu_report(vcpu));	/* MDSCR_EL1 is the guest's */
	EXPECT_EQ(0x1234, vcpu_report(vcpu));	/* a write left x1 alone */
	vcpu_done(vcpu);
}

TEST_HARNESS_MAIN
