// SPDX-License-Identifier: GPL-2.0
/*
 * Writable ID registers, as KVM allows them: before a VM's first run the
 * VMM may lower the "safe" fields of the feature ID registers (hide a
 * feature from the guest), not raise them above what the hypervisor
 * offers, nor change a field KVM keeps fixed; the guest then reads the
 * lowered value, every vCPU of the VM alike; once a vCPU ran, only the
 * value held is accepted (-EBUSY).  Where a hidden feature has registers
 * the hypervisor traps (LORegions), their accesses UNDEF.
 *
 * Every case runs on the oracle boot too: KVM is the reference.
 */
#include "kselftest_harness.h"
#include "mkvm_vm.h"

#define ID_REG(crm, op2)	ARM64_SYS_REG(3, 0, 0, crm, op2)
#define ID_AA64PFR0_EL1		ID_REG(4, 0)
#define ID_AA64DFR0_EL1		ID_REG(5, 0)
#define ID_AA64ISAR0_EL1	ID_REG(6, 0)
#define ID_AA64MMFR0_EL1	ID_REG(7, 0)
#define ID_AA64MMFR1_EL1	ID_REG(7, 1)

/* 4-bit fields, by their shift. */
#define FIELD(shift)		(0xfull << (shift))
#define GET(v, shift)		(((v) >> (shift)) & 0xf)
#define SET(v, shift, f)	(((v) & ~FIELD(shift)) | ((uint64_t)(f) << (shift)))
#define ISAR0_AES		4
#define ISAR0_CRC32		16
#define PFR0_FP			16
#define PFR0_RAS		28
#define DFR0_DEBUGVER		0
#define DFR0_BRPS		12
#define DFR0_WRPS		20
#define MMFR0_ASIDBITS		4
#define MMFR1_PAN		20
#define MMFR1_LO		16

#define DEBUGVER_V8		6

/* KVM_ARM_FEATURE_ID_RANGE_IDX() for op0 3, op1 0, CRn 0. */
#define MASK_IDX(crm, op2)	((crm) * 8 + (op2))

/*
 * What the guest reads: ID_AA64ISAR0, DFR0, MMFR1, PFR0; then LORID_EL1,
 * or, if that UNDEFs, the library's vectors report ESR_EL1
 * (UCALL_EXCEPTION) and the guest stops.
 */
MKVM_GUEST(guest_read_ids,
	"mrs	x1, id_aa64isar0_el1\n"
	G_REPORT("x1")
	"mrs	x1, id_aa64dfr0_el1\n"
	G_REPORT("x1")
	"mrs	x1, id_aa64mmfr1_el1\n"
	G_REPORT("x1")
	"mrs	x1, id_aa64pfr0_el1\n"
	G_REPORT("x1")
	"mrs	x1, s3_0_c10_c4_7\n"		/* LORID_EL1 */
	G_REPORT("x1")
	G_DONE);

#define ESR_EC(esr)	(((esr) >> 26) & 0x3f)
#define EC_UNKNOWN	0x00

struct guest_view {
	uint64_t isar0, dfr0, mmfr1, pfr0;
	uint64_t lorid;
	bool lor_undef;
	uint64_t esr;		/* with lor_undef */
};

MKVM_VM_FIXTURE(idregs);

static struct mkvm_vcpu *setup(struct mkvm_vm **vm)
{
	*vm = vm_create(guest_read_ids, guest_read_ids_end);
	return vm_vcpu_add(*vm, 0);
}

static struct guest_view guest_view(struct mkvm_vcpu *vcpu)
{
	struct guest_view g = { 0 };
	struct kvm_run *run;
	uint64_t off;

	g.isar0 = vcpu_report(vcpu);
	g.dfr0 = vcpu_report(vcpu);
	g.mmfr1 = vcpu_report(vcpu);
	g.pfr0 = vcpu_report(vcpu);
	/* vcpu_ucall() fails on an exception: here it is a result. */
	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	off = run->mmio.phys_addr - MKVM_UCALL_IPA;
	if (off == UCALL_EXCEPTION) {
		g.lor_undef = true;
		g.esr = mkvm_mmio_data(run);
		return g;
	}
	MKVM_CHECK(off == UCALL_REPORT, "ucall %#llx", (unsigned long long)off);
	g.lorid = mkvm_mmio_data(run);
	vcpu_done(vcpu);
	return g;
}

/*
 * ID_AA64ISAR0_EL1.AES lowered to 0 in @vcpu's VM: *@isar0 the value
 * before, *@low after.  -ENODEV if the host has no AES to lower.
 */
static int lower_aes(struct mkvm_vcpu *vcpu, uint64_t *isar0, uint64_t *low)
{
	*isar0 = vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1);
	*low = SET(*isar0, ISAR0_AES, 0);
	if (!GET(*isar0, ISAR0_AES))
		return -ENODEV;
	return _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, *low);
}

/* lower_aes() in a test, which it ends with SKIP on a host without AES. */
#define LOWER_AES_OR_SKIP(vcpu, isar0, low) do {			\
	int __ret = lower_aes(vcpu, isar0, low);			\
									\
	if (__ret == -ENODEV)						\
		SKIP(return, "the host has no AES to lower");		\
	ASSERT_EQ(0, __ret);						\
} while (0)

/*
 * Fields lowered before the run (AES, CRC32, WRPs, PAN, as far as the host
 * has them): each write is taken and reads back, and the guest - on
 * either vCPU - reads the lowered values.
 */
TEST_F(idregs, lowered_seen_by_guest)
{
	struct mkvm_vcpu *vcpu = setup(&self->vm), *vcpu1;
	uint64_t isar0, dfr0, mmfr1;
	struct guest_view g;

	isar0 = vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1);
	dfr0 = vcpu_get_reg(vcpu, ID_AA64DFR0_EL1);
	mmfr1 = vcpu_get_reg(vcpu, ID_AA64MMFR1_EL1);
	if (!GET(isar0, ISAR0_AES) && !GET(isar0, ISAR0_CRC32))
		SKIP(return, "the host has neither AES nor CRC32");

	isar0 = SET(isar0, ISAR0_AES, 0);
	isar0 = SET(isar0, ISAR0_CRC32, 0);
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0));
	/* A second lowering of the same register starts from the first. */
	if (GET(dfr0, DFR0_WRPS))
		dfr0 = SET(dfr0, DFR0_WRPS, GET(dfr0, DFR0_WRPS) - 1);
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64DFR0_EL1, dfr0));
	mmfr1 = SET(mmfr1, MMFR1_PAN, 0);
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64MMFR1_EL1, mmfr1));

	EXPECT_EQ(isar0, vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1));
	EXPECT_EQ(dfr0, vcpu_get_reg(vcpu, ID_AA64DFR0_EL1));
	EXPECT_EQ(mmfr1, vcpu_get_reg(vcpu, ID_AA64MMFR1_EL1));

	/* The whole VM's: a vCPU created after the write reads it too. */
	vcpu1 = vm_vcpu_add(self->vm, 1);
	EXPECT_EQ(isar0, vcpu_get_reg(vcpu1, ID_AA64ISAR0_EL1));

	g = guest_view(vcpu);
	EXPECT_EQ(isar0, g.isar0);
	EXPECT_EQ(dfr0, g.dfr0);
	EXPECT_EQ(mmfr1, g.mmfr1);
	g = guest_view(vcpu1);
	EXPECT_EQ(isar0, g.isar0);
	EXPECT_EQ(mmfr1, g.mmfr1);
	vcpu_free(vcpu1);
	vcpu_free(vcpu);
}

/*
 * A lowered field may go back up to the hypervisor's value before the
 * run, never above it; a RES0 bit is refused too.  A refused write leaves
 * what was there.
 */
TEST_F(idregs, raise_rejected)
{
	struct mkvm_vcpu *vcpu = setup(&self->vm);
	uint64_t isar0 = vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1), low;
	uint64_t aes = GET(isar0, ISAR0_AES);

	if (aes < 0xf)
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1,
						 SET(isar0, ISAR0_AES, aes + 1)));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0 | 1))
		TH_LOG("ID_AA64ISAR0_EL1 RES0 bit 0");
	EXPECT_EQ(isar0, vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1));
	if (!aes)
		SKIP(return, "the host has no AES to lower and restore");

	low = SET(isar0, ISAR0_AES, 0);
	ASSERT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, low));
	if (aes < 0xf)
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1,
						 SET(isar0, ISAR0_AES, aes + 1)));
	EXPECT_EQ(low, vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1));
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0))
		TH_LOG("back to the hypervisor's value");
	EXPECT_EQ(isar0, vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1));
}

/*
 * Fields KVM keeps fixed, even lowered: BRPs (the host's breakpoint
 * layout), ASIDBITS, FP and RAS; and DebugVer below Armv8's debug.
 */
TEST_F(idregs, fixed_field_rejected)
{
	struct mkvm_vcpu *vcpu = setup(&self->vm);
	uint64_t dfr0 = vcpu_get_reg(vcpu, ID_AA64DFR0_EL1);
	uint64_t mmfr0 = vcpu_get_reg(vcpu, ID_AA64MMFR0_EL1);
	uint64_t pfr0 = vcpu_get_reg(vcpu, ID_AA64PFR0_EL1);

	ASSERT_NE(0, GET(dfr0, DFR0_BRPS)) TH_LOG("Armv8 has 2 breakpoints");
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64DFR0_EL1,
					 SET(dfr0, DFR0_BRPS, 0)));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64DFR0_EL1,
					 SET(dfr0, DFR0_DEBUGVER,
					     DEBUGVER_V8 - 1)));
	if (GET(mmfr0, MMFR0_ASIDBITS))
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64MMFR0_EL1,
						 SET(mmfr0, MMFR0_ASIDBITS, 0)));
	/* FP 0xf: not implemented, a lower (signed) value. */
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64PFR0_EL1,
					 SET(pfr0, PFR0_FP, 0xf)));
	if (GET(pfr0, PFR0_RAS))
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64PFR0_EL1,
						 SET(pfr0, PFR0_RAS, 0)));
	EXPECT_EQ(dfr0, vcpu_get_reg(vcpu, ID_AA64DFR0_EL1));
	EXPECT_EQ(mmfr0, vcpu_get_reg(vcpu, ID_AA64MMFR0_EL1));
	EXPECT_EQ(pfr0, vcpu_get_reg(vcpu, ID_AA64PFR0_EL1));
}

/* After the first run: the value held is accepted, any other -EBUSY. */
TEST_F(idregs, change_after_run_busy)
{
	struct mkvm_vcpu *vcpu = setup(&self->vm);
	uint64_t isar0, low;

	LOWER_AES_OR_SKIP(vcpu, &isar0, &low);
	EXPECT_EQ(low, guest_view(vcpu).isar0);

	EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, low));
	EXPECT_EQ(-EBUSY, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0))
		TH_LOG("back up after the run");
	EXPECT_EQ(-EBUSY, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1,
					SET(low, ISAR0_CRC32, 0)))
		TH_LOG("lowered further after the run");
	EXPECT_EQ(low, vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1));
}

/*
 * LORegions (HCR_EL2.TLOR): while ID_AA64MMFR1_EL1.LO says the VM has
 * them, LORID_EL1 reads as zero (no region); hidden by the VMM, it
 * UNDEFs.
 */
TEST_F(idregs, lor_follows_lo)
{
	struct mkvm_vcpu *vcpu = setup(&self->vm);
	uint64_t mmfr1 = vcpu_get_reg(vcpu, ID_AA64MMFR1_EL1);
	struct mkvm_vm *vm2;
	struct guest_view g;

	if (!GET(mmfr1, MMFR1_LO))
		SKIP(return, "the host has no LORegions");
	g = guest_view(vcpu);
	EXPECT_FALSE(g.lor_undef) TH_LOG("LORID_EL1 with LO 1: ESR %#llx",
					 (unsigned long long)g.esr);
	EXPECT_EQ(0, g.lorid);
	vcpu_free(vcpu);

	vcpu = setup(&vm2);
	ASSERT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64MMFR1_EL1,
				   SET(mmfr1, MMFR1_LO, 0)));
	g = guest_view(vcpu);
	EXPECT_EQ(0, GET(g.mmfr1, MMFR1_LO));
	EXPECT_TRUE(g.lor_undef) TH_LOG("LORID_EL1 with LO hidden");
	EXPECT_EQ(EC_UNKNOWN, ESR_EC(g.esr));
	vcpu_free(vcpu);
	vm_free(vm2);
}

/*
 * A vCPU reset (KVM_ARM_VCPU_INIT again) keeps what the VMM wrote: the
 * ID registers are the VM's, not reset state.
 */
TEST_F(idregs, reset_keeps_lowered)
{
	struct mkvm_vcpu *vcpu = setup(&self->vm);
	uint64_t isar0, low;

	LOWER_AES_OR_SKIP(vcpu, &isar0, &low);
	ASSERT_EQ(0, _vcpu_init(vcpu, 0));
	EXPECT_EQ(low, vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1));
}

/*
 * KVM_ARM_GET_REG_WRITABLE_MASKS: reserved words must be zero; the masks
 * name AES, WRPs and all of ID_DFR0_EL1 (AArch32 EL0 exists here) as
 * writable, BRPs and MIDR_EL1 (CRm 0) not.
 */
TEST_F(idregs, writable_masks)
{
	uint64_t masks[KVM_ARM_FEATURE_ID_RANGE_SIZE];
	struct reg_mask_range r = { .addr = (uintptr_t)masks };

	self->vm = vm_create(guest_read_ids, guest_read_ids_end);
	EXPECT_EQ(1 << KVM_ARM_FEATURE_ID_RANGE,
		  ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES));
	r.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm->fd,
				      KVM_ARM_GET_REG_WRITABLE_MASKS, &r));
	r.reserved[0] = 0;
	r.range = 1;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm->fd,
				      KVM_ARM_GET_REG_WRITABLE_MASKS, &r));
	r.range = KVM_ARM_FEATURE_ID_RANGE;
	memset(masks, 0xa5, sizeof(masks));
	ASSERT_EQ(0, mkvm_ioctl(self->vm->fd,
				KVM_ARM_GET_REG_WRITABLE_MASKS, &r));
	EXPECT_EQ(FIELD(ISAR0_AES), masks[MASK_IDX(6, 0)] & FIELD(ISAR0_AES));
	EXPECT_EQ(FIELD(DFR0_WRPS), masks[MASK_IDX(5, 0)] & FIELD(DFR0_WRPS));
	EXPECT_EQ(0, masks[MASK_IDX(5, 0)] & FIELD(DFR0_BRPS));
	EXPECT_EQ(0xffffffffull, masks[MASK_IDX(1, 2)]) TH_LOG("ID_DFR0_EL1");
	EXPECT_EQ(0, masks[MASK_IDX(0, 0)]);
	EXPECT_EQ(0, masks[MASK_IDX(4, 3)]) TH_LOG("unallocated (4,3)");
}

TEST_HARNESS_MAIN
