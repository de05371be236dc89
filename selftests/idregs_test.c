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
#include "mkvm_gic.h"

#define ID_REG(crm, op2)	ARM64_SYS_REG(3, 0, 0, crm, op2)
#define ID_AA64PFR0_EL1		ID_REG(4, 0)
#define ID_AA64DFR0_EL1		ID_REG(5, 0)
#define ID_AA64ISAR0_EL1	ID_REG(6, 0)
#define ID_AA64MMFR0_EL1	ID_REG(7, 0)
#define ID_AA64MMFR1_EL1	ID_REG(7, 1)
#define CTR_EL0			ARM64_SYS_REG(3, 3, 0, 0, 1)
#define CLIDR_EL1		ARM64_SYS_REG(3, 1, 0, 0, 1)
#define CSSELR_EL1		ARM64_SYS_REG(3, 2, 0, 0, 0)
#define CCSIDR(csselr)		(KVM_REG_ARM64 | KVM_REG_SIZE_U32 |	\
				 KVM_REG_ARM_DEMUX |			\
				 KVM_REG_ARM_DEMUX_ID_CCSIDR | (csselr))

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

/* CTR_EL0 (Arm ARM D19.2): KVM lets a VMM lower DIC, IDC and the minLines. */
#define CTR_DIC			(1ull << 29)
#define CTR_IDC			(1ull << 28)
#define CTR_CWG			24
#define CTR_DMINLINE		16
#define CTR_L1IP_MASK		(3ull << 14)
#define CTR_IMINLINE		0
#define CTR_WRITABLE		(CTR_DIC | CTR_IDC | FIELD(CTR_DMINLINE) | \
				 FIELD(CTR_IMINLINE))

/* KVM_ARM_FEATURE_ID_RANGE_IDX() for op0 3, op1 0, CRn 0. */
#define MASK_IDX(crm, op2)	((crm) * 8 + (op2))
/* ... and for CTR_EL0 (op1 3 is the third block of 64). */
#define MASK_IDX_CTR		(2 * 64 + 1)

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

/*
 * The cache identification registers, which HCR_EL2.TID2 traps when the
 * VM's CTR_EL0 is not the hardware's: CTR_EL0, CLIDR_EL1, CSSELR_EL1 as
 * the VMM set it, then, after selecting the first cache (level 1, data
 * or unified), CSSELR_EL1 and CCSIDR_EL1.
 */
MKVM_GUEST(guest_read_cache,
	"mrs	x1, ctr_el0\n"
	G_REPORT("x1")
	"mrs	x1, clidr_el1\n"
	G_REPORT("x1")
	"mrs	x1, csselr_el1\n"
	G_REPORT("x1")
	"msr	csselr_el1, xzr\n"
	"isb\n"
	"mrs	x1, csselr_el1\n"
	G_REPORT("x1")
	"mrs	x1, ccsidr_el1\n"
	G_REPORT("x1")
	G_DONE);

struct cache_view {
	uint64_t ctr, clidr, csselr_before, csselr, ccsidr;
};

/*
 * Run guest_read_cache on @vcpu, CSSELR_EL1 preset to 1 (level 1
 * instruction cache): what the guest read, and, once it is done, that
 * its CSSELR_EL1 write reached the register the VMM sees.
 */
static struct cache_view cache_view(struct __test_metadata *_metadata,
				    struct mkvm_vcpu *vcpu)
{
	struct cache_view c;

	vcpu_set_reg(vcpu, CSSELR_EL1, 1);
	c.ctr = vcpu_report(vcpu);
	c.clidr = vcpu_report(vcpu);
	c.csselr_before = vcpu_report(vcpu);
	c.csselr = vcpu_report(vcpu);
	c.ccsidr = vcpu_report(vcpu);
	vcpu_done(vcpu);
	EXPECT_EQ(0, vcpu_get_reg(vcpu, CSSELR_EL1));
	return c;
}

/*
 * The cache identification the guest reads is what the VMM reads:
 * CLIDR_EL1, and CCSIDR_EL1 of the cache CSSELR_EL1 selects (the u32
 * KVM_REG_ARM_DEMUX_ID_CCSIDR register of CSSELR 0, if it is listed).
 */
static void check_cache_view(struct __test_metadata *_metadata,
			     struct mkvm_vcpu *vcpu, const struct cache_view *c)
{
	uint64_t ccsidr = 0;

	EXPECT_EQ(vcpu_get_reg(vcpu, CLIDR_EL1), c->clidr);
	EXPECT_EQ(1, c->csselr_before);
	EXPECT_EQ(0, c->csselr);
	if (_vcpu_get_reg(vcpu, CCSIDR(0), &ccsidr)) {
		TH_LOG("no CCSIDR for CSSELR 0: not compared");
		return;
	}
	EXPECT_EQ(ccsidr, (uint32_t)c->ccsidr);
}

/*
 * The AArch32 ID registers KVM lets a VMM write, in aa32_regs[] order,
 * read through their AArch64 encodings (op0 3, op1 0, CRn 0).
 */
#define G_READ_ID(crm, op2)						\
	"mrs	x1, s3_0_c0_c" #crm "_" #op2 "\n" G_REPORT("x1")
MKVM_GUEST(guest_read_aa32,
	G_READ_ID(1, 0) G_READ_ID(1, 1) G_READ_ID(1, 4) G_READ_ID(1, 5)
	G_READ_ID(1, 6) G_READ_ID(1, 7) G_READ_ID(2, 0) G_READ_ID(2, 1)
	G_READ_ID(2, 2) G_READ_ID(2, 3) G_READ_ID(2, 4) G_READ_ID(2, 5)
	G_READ_ID(2, 6) G_READ_ID(2, 7) G_READ_ID(3, 0) G_READ_ID(3, 1)
	G_READ_ID(3, 2) G_READ_ID(3, 4) G_READ_ID(3, 6)
	G_DONE);

/*
 * Each register: its fields the kernel's cpufeature tables make "lower
 * safe" (unsigned; the signed InnerShr/OuterShr and the higher-safe
 * SpecSEI left out), and bits KVM keeps fixed though its mask has all 32
 * (fields the tables do not describe), 0 where every field is described.
 */
static const struct {
	const char *name;
	uint32_t crm, op2;
	uint32_t lower;
	uint32_t fixed;
} aa32_regs[] = {
	{ "ID_PFR0_EL1",  1, 0, 0x0f0fffff, 0xf0f00000 },	/* RAS, AMU */
	{ "ID_PFR1_EL1",  1, 1, 0xffffffff, 0 },
	{ "ID_MMFR0_EL1", 1, 4, 0x0ffff0ff, 0 },
	{ "ID_MMFR1_EL1", 1, 5, 0xffffffff, 0 },
	{ "ID_MMFR2_EL1", 1, 6, 0xffffffff, 0 },
	{ "ID_MMFR3_EL1", 1, 7, 0xffffffff, 0 },
	{ "ID_ISAR0_EL1", 2, 0, 0x0fffffff, 0xf0000000 },	/* RES0 */
	{ "ID_ISAR1_EL1", 2, 1, 0xffffffff, 0 },
	{ "ID_ISAR2_EL1", 2, 2, 0xffffffff, 0 },
	{ "ID_ISAR3_EL1", 2, 3, 0xffffffff, 0 },
	{ "ID_ISAR4_EL1", 2, 4, 0xffffffff, 0 },
	{ "ID_ISAR5_EL1", 2, 5, 0x0f0fffff, 0xf0f00000 },	/* VCMA, RES0 */
	{ "ID_MMFR4_EL1", 2, 6, 0xfffffff0, 0 },
	{ "ID_ISAR6_EL1", 2, 7, 0x0fffffff, 0xf0000000 },	/* CLRBHB */
	{ "MVFR0_EL1",    3, 0, 0xffffffff, 0 },
	{ "MVFR1_EL1",    3, 1, 0xffffffff, 0 },
	{ "MVFR2_EL1",    3, 2, 0x000000ff, 0xffffff00 },
	{ "ID_PFR2_EL1",  3, 4, 0x000000ff, 0x00000f00 },	/* RAS_frac */
	{ "ID_MMFR5_EL1", 3, 6, 0x0000000f, 0x000000f0 },	/* nTLBPA */
};

#define NR_AA32		(sizeof(aa32_regs) / sizeof(aa32_regs[0]))
#define PFR0_EL0		0
#define MMFR0_INNERSHR		28
#define EL0_AARCH32		2

/* @v with its first non-zero field of @lower one less, or @v if none. */
static uint64_t lower_one_field(uint64_t v, uint32_t lower)
{
	unsigned int shift;

	for (shift = 0; shift < 32; shift += 4)
		if ((lower & FIELD(shift)) && GET(v, shift))
			return SET(v, shift, GET(v, shift) - 1);
	return v;
}

/* The first field of @lower below 0xf in @v, raised by one; or @v. */
static uint64_t raise_one_field(uint64_t v, uint32_t lower)
{
	unsigned int shift;

	for (shift = 0; shift < 32; shift += 4)
		if ((lower & FIELD(shift)) && GET(v, shift) < 0xf)
			return SET(v, shift, GET(v, shift) + 1);
	return v;
}

/*
 * The GICv3 CPU interface, ID_AA64PFR0_EL1.GIC first, then one access of
 * each trap group of ICH_HCR_EL2, each reported as (UNDEF taken?, ESR):
 * the guest's own vectors (at MKVM_CODE_IPA) note the exception in x24
 * and x26 and step over the instruction.  ICC_SRE_EL1 is not among them:
 * whether it traps depends on ICC_SRE_EL2.Enable, which QEMU's GIC
 * implements as RAO/WI, so KVM cannot trap it there either.
 */
#define G_TRY(insn)							\
	"mov	x24, #0\n"						\
	"mov	x26, #0\n"						\
	"mov	x0, #0\n"						\
	insn "\n"							\
	G_REPORT("x24") G_REPORT("x26")
MKVM_GUEST(guest_icc,
	".rept 16\n" G_SKIP_VECTOR ".endr\n"
	".balign 0x800\n"
	"mrs	x1, id_aa64pfr0_el1\n"
	G_REPORT("x1")
	G_TRY("mrs	x0, s3_0_c4_c6_0")	/* ICC_PMR_EL1: TC */
	G_TRY("mrs	x0, s3_0_c12_c12_4")	/* ICC_CTLR_EL1: TC */
	G_TRY("msr	s3_0_c12_c11_5, x0")	/* ICC_SGI1R_EL1: TC; SGI 0 to nobody */
	G_TRY("mrs	x0, s3_0_c12_c8_3")	/* ICC_BPR0_EL1: TALL0 */
	G_TRY("mrs	x0, s3_0_c12_c12_0")	/* ICC_IAR1_EL1: TALL1 */
	G_TRY("mrs	x0, s3_0_c12_c12_7")	/* ICC_IGRPEN1_EL1: TALL1 */
	G_DONE);

static const char *const icc_names[] = {
	"ICC_PMR_EL1", "ICC_CTLR_EL1", "ICC_SGI1R_EL1", "ICC_BPR0_EL1",
	"ICC_IAR1_EL1", "ICC_IGRPEN1_EL1",
};
#define ICC_SGI1R_IDX		2

#define NR_ICC			(sizeof(icc_names) / sizeof(icc_names[0]))
#define PFR0_GIC		24

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
 * name AES, WRPs, all 32 bits of the AArch32 ID registers (AArch32 EL0
 * exists here) and CTR_EL0's DIC, IDC and minLines as writable, BRPs and
 * MIDR_EL1 (CRm 0) not.
 */
TEST_F(idregs, writable_masks)
{
	uint64_t masks[KVM_ARM_FEATURE_ID_RANGE_SIZE];
	struct reg_mask_range r = { .addr = (uintptr_t)masks };
	unsigned int i;

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
	for (i = 0; i < NR_AA32; i++)
		EXPECT_EQ(0xffffffffull,
			  masks[MASK_IDX(aa32_regs[i].crm, aa32_regs[i].op2)])
			TH_LOG("ID register (CRm %u, op2 %u)",
			       aa32_regs[i].crm, aa32_regs[i].op2);
	EXPECT_EQ(0, masks[MASK_IDX(0, 0)]);
	EXPECT_EQ(0, masks[MASK_IDX(4, 3)]) TH_LOG("unallocated (4,3)");
	EXPECT_EQ(CTR_WRITABLE, masks[MASK_IDX_CTR]) TH_LOG("CTR_EL0");
}

/* CTR_EL0 lowered in every way KVM allows that the host leaves room for. */
static uint64_t ctr_lowered(uint64_t ctr)
{
	ctr &= ~(CTR_DIC | CTR_IDC);
	if (GET(ctr, CTR_IMINLINE))
		ctr = SET(ctr, CTR_IMINLINE, GET(ctr, CTR_IMINLINE) - 1);
	if (GET(ctr, CTR_DMINLINE))
		ctr = SET(ctr, CTR_DMINLINE, GET(ctr, CTR_DMINLINE) - 1);
	return ctr;
}

/*
 * A VM that keeps the hypervisor's CTR_EL0: the guest reads what the VMM
 * reads, and so for its other cache identification registers.  That is
 * the kernel's sanitised CTR_EL0, which on QEMU's CPUs says IDC where the
 * hardware's does not: HCR_EL2.TID2 traps it there, as on KVM.
 */
TEST_F(idregs, cache_ids_as_vmm_reads)
{
	struct mkvm_vcpu *vcpu;
	struct cache_view c;

	self->vm = vm_create(guest_read_cache, guest_read_cache_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	c = cache_view(_metadata, vcpu);
	EXPECT_EQ(vcpu_get_reg(vcpu, CTR_EL0), c.ctr);
	check_cache_view(_metadata, vcpu, &c);
	vcpu_free(vcpu);
}

/*
 * CTR_EL0 lowered before the run (DIC and IDC cleared, the minLines one
 * step down): taken, the VM's (a vCPU added later reads it), and what
 * the guest reads, on every vCPU - HCR_EL2.TID2 traps it.  CLIDR_EL1,
 * CSSELR_EL1 and CCSIDR_EL1, trapped with it, still work.
 */
TEST_F(idregs, ctr_lowered_seen_by_guest)
{
	struct mkvm_vcpu *vcpu, *vcpu1;
	uint64_t ctr, low;
	struct cache_view c;

	self->vm = vm_create(guest_read_cache, guest_read_cache_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	ctr = vcpu_get_reg(vcpu, CTR_EL0);
	low = ctr_lowered(ctr);
	TH_LOG("CTR_EL0 %#llx, lowered %#llx", (unsigned long long)ctr,
	       (unsigned long long)low);
	if (low == ctr)
		SKIP(return, "nothing in CTR_EL0 to lower");
	ASSERT_EQ(0, _vcpu_set_reg(vcpu, CTR_EL0, low));
	EXPECT_EQ(low, vcpu_get_reg(vcpu, CTR_EL0));
	vcpu1 = vm_vcpu_add(self->vm, 1);
	EXPECT_EQ(low, vcpu_get_reg(vcpu1, CTR_EL0));

	c = cache_view(_metadata, vcpu);
	EXPECT_EQ(low, c.ctr);
	check_cache_view(_metadata, vcpu, &c);
	c = cache_view(_metadata, vcpu1);
	EXPECT_EQ(low, c.ctr);

	/* Final once a vCPU ran: the value held only. */
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, CTR_EL0, low));
	EXPECT_EQ(-EBUSY, _vcpu_set_reg(vcpu, CTR_EL0, ctr));
	vcpu_free(vcpu1);
	vcpu_free(vcpu);
}

/*
 * CTR_EL0 outside what KVM allows: a field raised (a minLine, DIC or IDC
 * the host does not have), or changed where KVM keeps the host's (L1Ip,
 * CWG, RES0 bit 30): -EINVAL, the value kept.  A lowered field may go
 * back up to the host's value.
 */
TEST_F(idregs, ctr_raise_rejected)
{
	struct mkvm_vcpu *vcpu;
	uint64_t ctr, low;

	self->vm = vm_create(guest_read_cache, guest_read_cache_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	ctr = vcpu_get_reg(vcpu, CTR_EL0);
	if (GET(ctr, CTR_IMINLINE) < 0xf)
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CTR_EL0,
				SET(ctr, CTR_IMINLINE, GET(ctr, CTR_IMINLINE) + 1)));
	if (GET(ctr, CTR_DMINLINE) < 0xf)
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CTR_EL0,
				SET(ctr, CTR_DMINLINE, GET(ctr, CTR_DMINLINE) + 1)));
	if (!(ctr & CTR_DIC))
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CTR_EL0, ctr | CTR_DIC));
	if (!(ctr & CTR_IDC))
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CTR_EL0, ctr | CTR_IDC));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CTR_EL0, ctr ^ CTR_L1IP_MASK))
		TH_LOG("L1Ip");
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CTR_EL0,
					 SET(ctr, CTR_CWG, GET(ctr, CTR_CWG) ^ 1)))
		TH_LOG("CWG");
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CTR_EL0, ctr | (1ull << 30)))
		TH_LOG("RES0 bit 30");
	EXPECT_EQ(ctr, vcpu_get_reg(vcpu, CTR_EL0));

	low = ctr_lowered(ctr);
	if (low == ctr)
		SKIP(return, "nothing in CTR_EL0 to lower and restore");
	ASSERT_EQ(0, _vcpu_set_reg(vcpu, CTR_EL0, low));
	/* IDC raised alone from a VM value without it (DIC kept 0). */
	if (ctr & CTR_IDC)
		EXPECT_EQ(0, _vcpu_set_reg(vcpu, CTR_EL0, low | CTR_IDC));
	if (!(ctr & CTR_DIC))
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CTR_EL0, low | CTR_DIC));
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, CTR_EL0, ctr))
		TH_LOG("back to the host's value");
	EXPECT_EQ(ctr, vcpu_get_reg(vcpu, CTR_EL0));
	vcpu_free(vcpu);
}

/*
 * Every CCSIDR_EL1 (CSSELR_EL1 = 0 to 13), all 64 bits, then CCSIDR2_EL1
 * as (UNDEF taken?, ESR), the guest's own vectors at MKVM_CODE_IPA
 * stepping over it; ID_AA64MMFR2_EL1 first.
 */
MKVM_GUEST(guest_ccsidr,
	".rept 16\n" G_SKIP_VECTOR ".endr\n"
	".balign 0x800\n"
	"mrs	x1, id_aa64mmfr2_el1\n"
	G_REPORT("x1")
	"mov	x2, #0\n"
	"1:	msr	csselr_el1, x2\n"
	"isb\n"
	"mrs	x1, ccsidr_el1\n"
	G_REPORT("x1")
	"add	x2, x2, #1\n"
	"cmp	x2, #14\n"
	"b.lo	1b\n"
	"msr	csselr_el1, xzr\n"
	"isb\n"
	G_TRY("mrs	x0, s3_1_c0_c0_2")	/* CCSIDR2_EL1 */
	G_DONE);

#define NR_CSSELR		14
#define MMFR2_CCIDX		20
#define MMFR4_CCIDX		24
#define MMFR2_IDS		36
#define EC_SYS64		0x18
#define CCSIDR_LINESIZE		0x7u
#define CCSIDR_ASSOC(n)		((uint32_t)(n) << 3)
#define CCSIDR_SETS(n)		((uint32_t)(n) << 13)

/*
 * FEAT_CCIDX is hidden from guests, as KVM hides it: ID_AA64MMFR2_EL1
 * and ID_MMFR4_EL1 say so to the VMM and the guest, and the guest's
 * CCSIDR_EL1 is the 32-bit format the u32 KVM_REG_ARM_DEMUX_ID_CCSIDR
 * registers hold, one for each of the 14 CSSELR_EL1 values, equal to
 * what the guest reads in all 64 bits; CCSIDR2_EL1 UNDEFs.  A VMM may
 * write another geometry, not a line smaller than the one it read (the
 * smallest the CPUs have), and the guest reads what it wrote; it is the
 * vCPU's, kept over a vCPU reset, as in KVM.
 */
TEST_F(idregs, ccsidr_32bit_as_guest_reads)
{
	uint32_t ccsidr[NR_CSSELR], made_up, small;
	uint64_t mmfr2, got, undef, esr;
	struct mkvm_vcpu *vcpu, *vcpu1;
	unsigned int i;

	self->vm = vm_create(guest_ccsidr, guest_ccsidr_end);
	vcpu = vm_vcpu_add_features(self->vm, 0, 0, MKVM_CODE_IPA + 0x800);
	vcpu_set_reg(vcpu, MKVM_VBAR_EL1, MKVM_CODE_IPA);
	mmfr2 = vcpu_get_reg(vcpu, ID_REG(7, 2));
	EXPECT_EQ(0, GET(mmfr2, MMFR2_CCIDX)) TH_LOG("ID_AA64MMFR2_EL1.CCIDX");
	EXPECT_EQ(0, GET(vcpu_get_reg(vcpu, ID_REG(2, 6)), MMFR4_CCIDX))
		TH_LOG("ID_MMFR4_EL1.CCIDX");
	for (i = 0; i < NR_CSSELR; i++) {
		uint64_t v = 0;

		EXPECT_EQ(0, _vcpu_get_reg(vcpu, CCSIDR(i), &v))
			TH_LOG("CCSIDR of CSSELR %u", i);
		ccsidr[i] = v;
	}
	EXPECT_EQ(-ENOENT, _vcpu_get_reg(vcpu, CCSIDR(NR_CSSELR), &got));
	TH_LOG("ID_AA64MMFR2_EL1 %#llx, CCSIDR of CSSELR 0 %#x, 1 %#x",
	       (unsigned long long)mmfr2, ccsidr[0], ccsidr[1]);

	/* CSSELR 0 (level 1 data) with more sets and ways, a longer line. */
	made_up = ccsidr[0];
	small = ccsidr[0] & CCSIDR_LINESIZE;
	if (small < CCSIDR_LINESIZE)
		ccsidr[0] = (small + 1) | CCSIDR_ASSOC(3) | CCSIDR_SETS(63);
	else
		ccsidr[0] = small | CCSIDR_ASSOC(3) | CCSIDR_SETS(63);
	ASSERT_EQ(0, _vcpu_set_reg(vcpu, CCSIDR(0), ccsidr[0]));
	/* CSSELR 1 (level 1 instruction) with a line one step shorter. */
	small = ccsidr[1] & CCSIDR_LINESIZE;
	if (!small) {
		TH_LOG("smallest line is 16 bytes: none below to refuse");
	} else {
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CCSIDR(1),
				(ccsidr[1] & ~CCSIDR_LINESIZE) | (small - 1)))
			TH_LOG("a line below the smallest");
	}

	EXPECT_EQ(0, GET(vcpu_report(vcpu), MMFR2_CCIDX))
		TH_LOG("the guest's ID_AA64MMFR2_EL1.CCIDX");
	for (i = 0; i < NR_CSSELR; i++) {
		got = vcpu_report(vcpu);
		EXPECT_EQ(ccsidr[i], got)
			TH_LOG("the guest's CCSIDR_EL1 of CSSELR %u", i);
	}
	undef = vcpu_report(vcpu);
	esr = vcpu_report(vcpu);
	EXPECT_EQ(1, undef) TH_LOG("CCSIDR2_EL1 read");
	/*
	 * UNDEF from the hypervisor; or, on a CPU without FEAT_CCIDX whose
	 * FEAT_IDST reports an unimplemented ID space register as a trapped
	 * access (QEMU's), from the CPU, before any trap to EL2.
	 */
	EXPECT_TRUE(ESR_EC(esr) == EC_UNKNOWN ||
		    (GET(mmfr2, MMFR2_IDS) && ESR_EC(esr) == EC_SYS64))
		TH_LOG("CCSIDR2_EL1 ESR %#llx, ID_AA64MMFR2_EL1 %#llx",
		       (unsigned long long)esr, (unsigned long long)mmfr2);
	vcpu_done(vcpu);

	/* The vCPU's own, kept over a reset; another vCPU's is made up. */
	ASSERT_EQ(0, _vcpu_init(vcpu, 0));
	EXPECT_EQ(0, _vcpu_get_reg(vcpu, CCSIDR(0), &got));
	EXPECT_EQ(ccsidr[0], got) TH_LOG("after KVM_ARM_VCPU_INIT again");
	vcpu1 = vm_vcpu_add(self->vm, 1);
	EXPECT_EQ(0, _vcpu_get_reg(vcpu1, CCSIDR(0), &got));
	EXPECT_EQ(made_up, got) TH_LOG("another vCPU");
	vcpu_free(vcpu1);
	vcpu_free(vcpu);
}

/* CLIDR_EL1 (Arm ARM D19.2): Ctype<n> 3 bits a level, LoUIS, LoC, LoUU. */
#define CLIDR_CTYPE_SHIFT(n)	(3 * ((n) - 1))
#define CLIDR_CTYPE(v, n)	(((v) >> CLIDR_CTYPE_SHIFT(n)) & 7)
#define CLIDR_LOUIS		21
#define CLIDR_LOC		24
#define CLIDR_LOUU		27
#define CLIDR_LVL_MASK(shift)	(7ull << (shift))
#define CLIDR_RES0_LOW		47
#define CTYPE_INST		1
#define CTYPE_DATA		2
#define CTYPE_SEPARATE		3
#define CTYPE_UNIFIED		4

/*
 * The CLIDR_EL1 KVM 6.12 gives a vCPU for the host's sanitised CTR_EL0
 * @ctr (reset_clidr(), no MTE): what CTR_EL0's IDC and DIC ask of the
 * guest, in the fewest levels.  No IDC: a level-1 data cache to clean to
 * the PoU (LoUU = LoUIS = LoC = 1).  IDC: nothing to clean to the PoU,
 * one unified level as LoC, at level 1 with DIC, else at level 2.  No
 * DIC: a level-1 instruction cache too.
 */
static uint64_t kvm_made_up_clidr(uint64_t ctr)
{
	uint64_t clidr = 0, loc = 1;

	if (ctr & CTR_IDC) {
		loc = (ctr & CTR_DIC) ? 1 : 2;
		clidr |= (uint64_t)CTYPE_UNIFIED << CLIDR_CTYPE_SHIFT(loc);
	} else {
		clidr |= CTYPE_DATA | 1ull << CLIDR_LOUU | 1ull << CLIDR_LOUIS;
	}
	if (!(ctr & CTR_DIC))
		clidr |= CTYPE_INST;
	return clidr | loc << CLIDR_LOC;
}

/*
 * CLIDR_EL1 is made up from CTR_EL0, not the hardware's, as KVM makes it
 * (the hardware's levels differ between CPUs): the VMM reads the value
 * kvm_made_up_clidr() gives for the VM's CTR_EL0 as first read (the
 * host's sanitised one), on every vCPU, and the guest reads the same.
 * The CCSIDR_EL1 of each cache it names has the smallest line of its
 * kind CTR_EL0 names, as KVM makes it (no other line is ever made up).
 */
TEST_F(idregs, clidr_made_up_from_ctr)
{
	uint64_t ctr, clidr, want, ccsidr;
	struct mkvm_vcpu *vcpu, *vcpu1;
	struct cache_view c;
	unsigned int level;

	self->vm = vm_create(guest_read_cache, guest_read_cache_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu1 = vm_vcpu_add(self->vm, 1);
	ctr = vcpu_get_reg(vcpu, CTR_EL0);
	clidr = vcpu_get_reg(vcpu, CLIDR_EL1);
	want = kvm_made_up_clidr(ctr);
	TH_LOG("CTR_EL0 %#llx, CLIDR_EL1 %#llx, KVM's for that CTR_EL0 %#llx",
	       (unsigned long long)ctr, (unsigned long long)clidr,
	       (unsigned long long)want);
	EXPECT_EQ(want, clidr);
	EXPECT_EQ(want, vcpu_get_reg(vcpu1, CLIDR_EL1)) TH_LOG("vCPU 1");

	for (level = 1; level <= 7; level++) {
		unsigned int type = CLIDR_CTYPE(clidr, level);
		uint32_t dline = GET(ctr, CTR_DMINLINE) + 2 - 4;
		uint32_t iline = GET(ctr, CTR_IMINLINE) + 2 - 4;

		if (type & (CTYPE_DATA | CTYPE_UNIFIED)) {
			ASSERT_EQ(0, _vcpu_get_reg(vcpu,
					CCSIDR((level - 1) << 1), &ccsidr));
			EXPECT_EQ(dline, ccsidr & CCSIDR_LINESIZE)
				TH_LOG("level %u data/unified line", level);
		}
		if (type & CTYPE_INST) {
			ASSERT_EQ(0, _vcpu_get_reg(vcpu,
					CCSIDR((level - 1) << 1 | 1), &ccsidr));
			EXPECT_EQ(iline, ccsidr & CCSIDR_LINESIZE)
				TH_LOG("level %u instruction line", level);
		}
	}

	c = cache_view(_metadata, vcpu);
	EXPECT_EQ(want, c.clidr) TH_LOG("the guest's CLIDR_EL1");
	check_cache_view(_metadata, vcpu, &c);
	vcpu_free(vcpu1);
	vcpu_free(vcpu);
}

/* @clidr with a unified cache at its first level without one. */
static uint64_t clidr_one_more_level(uint64_t clidr)
{
	unsigned int level;

	for (level = 1; level < 7; level++)
		if (!CLIDR_CTYPE(clidr, level))
			break;
	return clidr | (uint64_t)CTYPE_UNIFIED << CLIDR_CTYPE_SHIFT(level);
}

/*
 * KVM_SET_ONE_REG of CLIDR_EL1, as KVM 6.12's set_clidr(): any value
 * without RES0 bits (63:47) that asks for a clean to the PoU unless the
 * host's sanitised CTR_EL0 says IDC (LoC 0, or LoUU and LoUIS both 0,
 * means none is needed); RES0 bits and, without IDC, such a value are
 * -EINVAL, the value kept.  The check is the host's CTR_EL0, not the
 * VM's: lowering the VM's IDC changes nothing.  Taken before and after
 * the first run (the vCPU's register, not the VM's configuration);
 * the guest reads what was written; the vCPU keeps it over a reset
 * (KVM_ARM_VCPU_INIT again), as KVM makes it up only at the first;
 * another vCPU keeps its own.
 */
TEST_F(idregs, clidr_write_checked)
{
	uint64_t ctr, clidr, more, no_pou, no_loc;
	struct mkvm_vcpu *vcpu, *vcpu1;
	struct cache_view c;
	int want_no_pou;

	self->vm = vm_create(guest_read_cache, guest_read_cache_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu1 = vm_vcpu_add(self->vm, 1);
	ctr = vcpu_get_reg(vcpu, CTR_EL0);
	clidr = vcpu_get_reg(vcpu, CLIDR_EL1);
	more = clidr_one_more_level(clidr);
	no_loc = more & ~CLIDR_LVL_MASK(CLIDR_LOC);
	no_pou = (more & ~CLIDR_LVL_MASK(CLIDR_LOUU) &
		  ~CLIDR_LVL_MASK(CLIDR_LOUIS)) | 1ull << CLIDR_LOC;
	want_no_pou = (ctr & CTR_IDC) ? 0 : -EINVAL;
	TH_LOG("CTR_EL0 %#llx (IDC %d), CLIDR_EL1 %#llx, one more level %#llx",
	       (unsigned long long)ctr, !!(ctr & CTR_IDC),
	       (unsigned long long)clidr, (unsigned long long)more);

	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CLIDR_EL1,
					 more | 1ull << CLIDR_RES0_LOW))
		TH_LOG("RES0 bit 47");
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CLIDR_EL1, more | 1ull << 63))
		TH_LOG("RES0 bit 63");
	EXPECT_EQ(clidr, vcpu_get_reg(vcpu, CLIDR_EL1));
	EXPECT_EQ(want_no_pou, _vcpu_set_reg(vcpu, CLIDR_EL1, no_loc))
		TH_LOG("LoC 0");
	EXPECT_EQ(want_no_pou, _vcpu_set_reg(vcpu, CLIDR_EL1, no_pou))
		TH_LOG("LoUU and LoUIS 0");
	if (ctr & CTR_IDC) {
		/* The VM's CTR_EL0 without IDC: the host's still rules. */
		ASSERT_EQ(0, _vcpu_set_reg(vcpu, CTR_EL0, ctr & ~CTR_IDC));
		EXPECT_EQ(0, _vcpu_set_reg(vcpu, CLIDR_EL1, no_loc))
			TH_LOG("LoC 0, the VM's IDC lowered");
		EXPECT_EQ(no_loc, vcpu_get_reg(vcpu, CLIDR_EL1));
		ASSERT_EQ(0, _vcpu_set_reg(vcpu, CTR_EL0, ctr));
	} else {
		EXPECT_EQ(clidr, vcpu_get_reg(vcpu, CLIDR_EL1));
	}

	ASSERT_EQ(0, _vcpu_set_reg(vcpu, CLIDR_EL1, more));
	EXPECT_EQ(more, vcpu_get_reg(vcpu, CLIDR_EL1));
	EXPECT_EQ(clidr, vcpu_get_reg(vcpu1, CLIDR_EL1)) TH_LOG("vCPU 1");
	c = cache_view(_metadata, vcpu);
	EXPECT_EQ(more, c.clidr) TH_LOG("the guest's CLIDR_EL1");

	/* After the run: still the vCPU's to write, never -EBUSY. */
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, CLIDR_EL1, clidr))
		TH_LOG("after the run");
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, CLIDR_EL1,
					 clidr | 1ull << CLIDR_RES0_LOW));
	ASSERT_EQ(0, _vcpu_set_reg(vcpu, CLIDR_EL1, more));
	ASSERT_EQ(0, _vcpu_init(vcpu, 0));
	EXPECT_EQ(more, vcpu_get_reg(vcpu, CLIDR_EL1))
		TH_LOG("after KVM_ARM_VCPU_INIT again");
	EXPECT_EQ(clidr, vcpu_get_reg(vcpu1, CLIDR_EL1)) TH_LOG("vCPU 1");
	vcpu_free(vcpu1);
	vcpu_free(vcpu);
}

/* The host's EL0 runs AArch32: the AArch32 ID registers are writable. */
#define AA32_OR_SKIP(vcpu) do {						\
	if (GET(vcpu_get_reg(vcpu, ID_AA64PFR0_EL1), PFR0_EL0) !=	\
	    EL0_AARCH32)						\
		SKIP(return, "no AArch32 EL0: AArch32 ID registers fixed"); \
} while (0)

/*
 * Every AArch32 ID register KVM makes writable, one field of each
 * lowered before the run: taken, read back, and what the guest reads;
 * final once it ran (-EBUSY for another value).
 */
TEST_F(idregs, aa32_lowered_seen_by_guest)
{
	uint64_t want[NR_AA32], got;
	struct mkvm_vcpu *vcpu;
	unsigned int i, lowered = 0;

	self->vm = vm_create(guest_read_aa32, guest_read_aa32_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	AA32_OR_SKIP(vcpu);
	for (i = 0; i < NR_AA32; i++) {
		uint64_t id = ID_REG(aa32_regs[i].crm, aa32_regs[i].op2);
		uint64_t v = vcpu_get_reg(vcpu, id);

		want[i] = lower_one_field(v, aa32_regs[i].lower);
		if (want[i] == v) {
			TH_LOG("%s %#llx: nothing to lower", aa32_regs[i].name,
			       (unsigned long long)v);
			continue;
		}
		EXPECT_EQ(0, _vcpu_set_reg(vcpu, id, want[i]))
			TH_LOG("%s %#llx -> %#llx", aa32_regs[i].name,
			       (unsigned long long)v,
			       (unsigned long long)want[i]);
		EXPECT_EQ(want[i], vcpu_get_reg(vcpu, id))
			TH_LOG("%s read back", aa32_regs[i].name);
		lowered++;
	}
	ASSERT_LT(NR_AA32 / 2, lowered) TH_LOG("too few fields to lower");

	for (i = 0; i < NR_AA32; i++) {
		got = vcpu_report(vcpu);
		/* ID_PFR1_EL1.GIC reads 0 once a VM without vGIC ran. */
		if (aa32_regs[i].crm == 1 && aa32_regs[i].op2 == 1)
			want[i] &= ~FIELD(28);
		EXPECT_EQ(want[i], got) TH_LOG("the guest's %s",
					       aa32_regs[i].name);
	}
	vcpu_done(vcpu);
	EXPECT_EQ(-EBUSY, _vcpu_set_reg(vcpu, ID_REG(2, 5),
					lower_one_field(want[11],
							aa32_regs[11].lower)))
		TH_LOG("ID_ISAR5_EL1 after the run");
	vcpu_free(vcpu);
}

/*
 * AArch32 ID registers outside KVM's rules: a field raised, a bit KVM
 * keeps (a field its tables do not describe), or a bit above 31:
 * -EINVAL, the value kept.  A signed field goes lower to 0xf.
 */
TEST_F(idregs, aa32_raise_rejected)
{
	struct mkvm_vcpu *vcpu;
	unsigned int i;
	uint64_t v;

	self->vm = vm_create(guest_read_aa32, guest_read_aa32_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	AA32_OR_SKIP(vcpu);
	for (i = 0; i < NR_AA32; i++) {
		uint64_t id = ID_REG(aa32_regs[i].crm, aa32_regs[i].op2);
		uint64_t up;
		uint32_t fixed = aa32_regs[i].fixed;

		v = vcpu_get_reg(vcpu, id);
		up = raise_one_field(v, aa32_regs[i].lower);

		if (up != v)
			EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, id, up))
				TH_LOG("%s raised to %#llx", aa32_regs[i].name,
				       (unsigned long long)up);
		if (fixed)
			EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, id,
						v ^ (fixed & -fixed)))
				TH_LOG("%s fixed bits %#x", aa32_regs[i].name,
				       fixed);
		EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, id, v | 1ull << 32))
			TH_LOG("%s bit 32", aa32_regs[i].name);
		EXPECT_EQ(v, vcpu_get_reg(vcpu, id));
	}
	/* ID_MMFR0_EL1.InnerShr is signed: 0xf ("ignored") is lower. */
	v = vcpu_get_reg(vcpu, ID_REG(1, 4));
	if (GET(v, MMFR0_INNERSHR) != 0xf) {
		EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_REG(1, 4),
					   SET(v, MMFR0_INNERSHR, 0xf)));
		EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_REG(1, 4), v));
	}
}

/*
 * guest_icc in a VM with a vGICv3, ID_AA64PFR0_EL1.GIC lowered to 0 first
 * if @hide: the ICC_* accesses UNDEF (ESR_EL1.EC 0) exactly when the
 * guest's GIC field says it has no GICv3 CPU interface, as KVM's
 * kvm_has_gicv3().  KVM 6.12 asks for the ICH_HCR_EL2 traps then
 * (vcpu_set_ich_hcr()) but writes ICH_HCR_EL2 only while list registers
 * are in use, so with no interrupt in flight only ICC_SGI1R_EL1, which
 * HCR_EL2.IMO always traps, UNDEFs there; minikvm traps all of them on
 * every entry.
 */
static void icc_case(struct __test_metadata *_metadata, bool hide)
{
	struct mkvm_vm *vm = vm_create(guest_icc, guest_icc_end);
	struct mkvm_vcpu *vcpu;
	uint64_t pfr0, undef, esr;
	unsigned int i;
	int gic;

	vcpu = vm_vcpu_add_features(vm, 0, 0, MKVM_CODE_IPA + 0x800);
	vcpu_set_reg(vcpu, MKVM_VBAR_EL1, MKVM_CODE_IPA);
	gic = vm_vgic_setup(vm);
	pfr0 = vcpu_get_reg(vcpu, ID_AA64PFR0_EL1);
	ASSERT_EQ(1, GET(pfr0, PFR0_GIC)) TH_LOG("a vGICv3: GIC 1");
	if (hide)
		ASSERT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64PFR0_EL1,
					   SET(pfr0, PFR0_GIC, 0)));

	EXPECT_EQ(hide ? 0 : 1, GET(vcpu_report(vcpu), PFR0_GIC));
	for (i = 0; i < NR_ICC; i++) {
		undef = vcpu_report(vcpu);
		esr = vcpu_report(vcpu);
		TH_LOG("%s, GIC %s: %s, ESR_EL1 %#llx", icc_names[i],
		       hide ? "hidden" : "shown", undef ? "UNDEF" : "done",
		       (unsigned long long)esr);
		if (!hide) {
			EXPECT_EQ(0, undef);
			continue;
		}
		if (!mkvm_dev_is_minikvm() && i != ICC_SGI1R_IDX)
			continue;
		EXPECT_EQ(1, undef);
		EXPECT_EQ(EC_UNKNOWN, ESR_EC(esr));
	}
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(gic);
	vm_free(vm);
}

/*
 * ID_AA64PFR0_EL1.GIC lowered to 0 in a VM that has a vGICv3: its ICC_*
 * registers UNDEF (ICH_HCR_EL2.TC, TALL0, TALL1; on KVM 6.12 only
 * ICC_SGI1R_EL1 for sure); left at 1, they work.
 */
TEST_F(idregs, gic_hidden_icc_undef)
{
	icc_case(_metadata, false);
	icc_case(_metadata, true);
}

TEST_HARNESS_MAIN
