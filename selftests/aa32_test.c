// SPDX-License-Identifier: GPL-2.0
/*
 * An AArch32 task under an AArch64 guest kernel: the guest's EL1 returns
 * to EL0 in AArch32 state (T32 here), as a 64-bit Linux guest running a
 * 32-bit program does, and its instructions trap to the hypervisor like
 * any others.  What the hypervisor must get right for them (Arm ARM
 * D1.10, G1.9.2):
 *  - a trapped instruction it emulates is skipped by its own length: 2
 *    bytes for a 16-bit T32 instruction (ESR_EL2.IL clear), 4 otherwise;
 *  - inside an IT block, skipping it advances PSTATE.IT, or the next
 *    instruction would run under the emulated one's condition;
 *  - an exception it injects is taken at the guest's vector for a lower
 *    EL in AArch32 (VBAR_EL1 + 0x600), not the AArch64 one (+ 0x400).
 * Runs on the oracle boot too: KVM does all three.
 */
#include "kselftest_harness.h"
#include "mkvm_vm.h"

/*
 * The guest: VBAR_EL1 is its start, whose vector for a synchronous
 * exception from a lower EL in AArch32 (+ 0x600) reports ESR_EL1 and
 * ELR_EL1 and stops; every other vector reports an exception.  At +0x800
 * it enters AArch32 EL0 at the T32 code that x10 points to, with r0 = 7,
 * r1 = x11 (an address), PSTATE.T set.
 */
#define AA32_SPSR	0x30	/* M[4] AArch32, User mode, T32 */

#define G_AA32_VECTORS							\
	".rept 12\n" G_VECTOR_ENTRY ".endr\n"				\
	".balign 0x80\n"						\
	"mrs	x0, esr_el1\n"						\
	G_REPORT("x0")							\
	"mrs	x0, elr_el1\n"						\
	G_REPORT("x0")							\
	G_DONE								\
	".rept 3\n" G_VECTOR_ENTRY ".endr\n"				\
	".balign 0x800\n"						\
	"adr	x0, .\n"			/* VBAR + 0x800 */	\
	"sub	x0, x0, #0x800\n"					\
	"msr	vbar_el1, x0\n"						\
	"msr	elr_el1, x10\n"						\
	"mov	x0, #0x30\n"		/* AA32_SPSR */				\
	"msr	spsr_el1, x0\n"						\
	"mov	x1, x11\n"						\
	"mov	x0, #7\n"						\
	"isb\n"								\
	"eret\n"

/*
 * T32 code at +0x900: four stores to r1 that trap (r1 is not RAM), one of
 * them 32 bits long, one the "then" of an ITE whose "else" store must
 * not run; then SVC.
 */
#define T32_OFF		0x900
MKVM_GUEST(guest_t32_stores,
	G_AA32_VECTORS
	".org 0x900\n"		/* T32_OFF */
	".hword 0x2200\n"		/* movs   r2, #0 (Z = 1) */
	".hword 0x6008\n"		/* str    r0, [r1] */
	".hword 0xf8c1, 0x0000\n"	/* str.w  r0, [r1] */
	".hword 0xbf0c\n"		/* ite    eq */
	".hword 0x6008\n"		/* streq  r0, [r1]: runs */
	".hword 0x6008\n"		/* strne  r0, [r1]: does not */
	".hword 0x6008\n"		/* str    r0, [r1] */
	".hword 0xdf00\n");		/* svc    #0 */

/* T32: branch to r1 (not RAM): the fetch aborts, injected by the host. */
MKVM_GUEST(guest_t32_fetch,
	G_AA32_VECTORS
	".org 0x900\n"		/* T32_OFF */
	".hword 0x4708\n"		/* bx     r1 */
	".hword 0xe7fe\n");		/* b      . */

#define EC_SVC32	0x11
#define EC_IABT_LOW	0x20
#define ESR_EC(esr)	((esr) >> 26 & 0x3f)

FIXTURE(aa32) {
	struct mkvm_vm *vm;
	struct mkvm_vcpu *vcpu;
};

FIXTURE_SETUP(aa32)
{
	uint64_t pfr0;

	ASSERT_EQ(0, mkvm_load_if_owner());
	self->vm = vm_create(NULL, NULL);
	self->vcpu = vm_vcpu_add(self->vm, 0);
	pfr0 = vcpu_get_reg(self->vcpu, ARM64_SYS_REG(3, 0, 0, 4, 0));
	vcpu_free(self->vcpu);
	vm_free(self->vm);
	self->vm = NULL;
	self->vcpu = NULL;
	/* ID_AA64PFR0_EL1.EL0 == 2: AArch32 at EL0 too. */
	if ((pfr0 & 0xf) != 2)
		SKIP(return, "the CPU has no AArch32 at EL0");
}

FIXTURE_TEARDOWN(aa32)
{
	if (self->vcpu)
		vcpu_free(self->vcpu);
	if (self->vm)
		vm_free(self->vm);
}

static struct mkvm_vcpu *aa32_vcpu(FIXTURE_DATA(aa32) *self,
				   const char *start, const char *end)
{
	self->vm = vm_create(start, end);
	self->vcpu = vm_vcpu_add_features(self->vm, 0, 0, MKVM_CODE_IPA + 0x800);
	vcpu_set_reg(self->vcpu, MKVM_XREG(10), MKVM_CODE_IPA + T32_OFF);
	vcpu_set_reg(self->vcpu, MKVM_XREG(11), MKVM_MMIO_IPA);
	return self->vcpu;
}

TEST_F(aa32, t32_stores_skip_their_length_and_it_state)
{
	static const uint64_t pcs[] = { 2, 4, 10, 14 };	/* from T32_OFF */
	struct mkvm_vcpu *vcpu = aa32_vcpu(self, guest_t32_stores,
					   guest_t32_stores_end);
	uint64_t esr, elr;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pcs); i++) {
		struct kvm_run *run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);

		ASSERT_EQ(MKVM_MMIO_IPA, run->mmio.phys_addr)
			TH_LOG("store %u: MMIO at %#llx", i,
			       (unsigned long long)run->mmio.phys_addr);
		EXPECT_TRUE(run->mmio.is_write);
		EXPECT_EQ(7, mkvm_mmio_data(run));
		EXPECT_EQ(MKVM_CODE_IPA + T32_OFF + pcs[i],
			  vcpu_get_reg(vcpu, MKVM_PC)) TH_LOG("store %u", i);
	}
	/* The SVC after them, at the AArch32 vector: nothing else ran. */
	esr = vcpu_report(vcpu);
	elr = vcpu_report(vcpu);
	EXPECT_EQ(EC_SVC32, ESR_EC(esr)) TH_LOG("ESR %#llx",
						(unsigned long long)esr);
	EXPECT_EQ(MKVM_CODE_IPA + T32_OFF + 18, elr);
	vcpu_done(vcpu);
}

TEST_F(aa32, injected_abort_at_aarch32_vector)
{
	struct mkvm_vcpu *vcpu = aa32_vcpu(self, guest_t32_fetch,
					   guest_t32_fetch_end);
	uint64_t esr, elr;

	/*
	 * Reported by the +0x600 vector only: the +0x400 one (lower EL,
	 * AArch64) reports an exception, which vcpu_report() fails on.
	 */
	esr = vcpu_report(vcpu);
	elr = vcpu_report(vcpu);
	EXPECT_EQ(EC_IABT_LOW, ESR_EC(esr)) TH_LOG("ESR %#llx",
						   (unsigned long long)esr);
	EXPECT_EQ(MKVM_MMIO_IPA, elr);
	vcpu_done(vcpu);
}

/*
 * ID_AA64PFR0_EL1.EL0 lowered to 1 (AArch64 only) does not stop the guest
 * from running AArch32 at EL0, on KVM 6.12 either: it refuses AArch32
 * only where the host's CPUs lack it (vcpu_mode_is_bad_32bit()), not by
 * the VM's ID register, and the architecture has no trap for the ERET.
 * The field only describes (api.rst, "Writable ID registers").
 */
TEST_F(aa32, el0_hidden_aarch32_still_runs)
{
	struct mkvm_vcpu *vcpu = aa32_vcpu(self, guest_t32_stores,
					   guest_t32_stores_end);
	uint64_t id = ARM64_SYS_REG(3, 0, 0, 4, 0);
	uint64_t pfr0 = vcpu_get_reg(vcpu, id);
	struct kvm_run *run;

	ASSERT_EQ(0, _vcpu_set_reg(vcpu, id, (pfr0 & ~0xfull) | 1));
	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(MKVM_MMIO_IPA, run->mmio.phys_addr);
	EXPECT_EQ(MKVM_CODE_IPA + T32_OFF + 2, vcpu_get_reg(vcpu, MKVM_PC))
		TH_LOG("the first T32 store, at EL0 in AArch32");
	EXPECT_EQ(1, vcpu_get_reg(vcpu, id) & 0xf);
}

TEST_HARNESS_MAIN
