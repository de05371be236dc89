// SPDX-License-Identifier: GPL-2.0
/*
 * A corrupted restore (issue 10, item 5): QEMU writes back whatever its
 * migration stream or snapshot holds, through KVM_SET_ONE_REG, the vGIC's
 * and the ITS's device attributes, KVM_SET_VCPU_EVENTS and
 * KVM_SET_MP_STATE.  Each case here writes one corrupted value through the
 * same ioctl and expects KVM's answer (the oracle boot is the reference),
 * then checks that the rejected value left no trace: what reads back is
 * what was there, and a guest that runs afterwards runs in a state the
 * architecture allows (AArch64 EL1, never AArch32 or EL2).
 *
 * Every case prints one line "restore: CASE: KVM E, here E" (E an errno
 * name, 0 for success), the table of Documentation/qemu.rst.
 */
#include <stdarg.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"
#include "mkvm_gic.h"

#define G_DIST		KVM_DEV_ARM_VGIC_GRP_DIST_REGS
#define G_REDIST	KVM_DEV_ARM_VGIC_GRP_REDIST_REGS
#define G_SYSREG	KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS
#define G_LEVEL		KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO
#define G_ITS		KVM_DEV_ARM_VGIC_GRP_ITS_REGS

/* ONE_REG ids of the ID registers (op0 3, op1 0, CRn 0). */
#define ID_REG(crm, op2)	ARM64_SYS_REG(3, 0, 0, crm, op2)
#define MIDR_EL1		ID_REG(0, 0)
#define ID_AA64PFR0_EL1		ID_REG(4, 0)
#define ID_UNALLOC_4_3		ID_REG(4, 3)	/* no register there */
#define ID_AA64ISAR0_EL1	ID_REG(6, 0)
#define ISAR0_AES		(0xfull << 4)

/* PSTATE.M[4:0] (M[4] set: AArch32). */
#define PSTATE_M_MASK		0x1full
#define PSTATE_EL1H_MASKED	(0x3c5ull)	/* EL1h, DAIF all set */

/* CPU_SYSREGS attr: op0 15:14, op1 13:11, CRn 10:7, CRm 6:3, op2. */
#define ICC(op1, crn, crm, op2) \
	((3 << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))
#define ICC_PMR		ICC(0, 4, 6, 0)
#define ICC_AP1R3	ICC(0, 12, 9, 3)
#define ICC_CTLR	ICC(0, 12, 12, 4)
#define CTLR_PRIBITS	(7ull << 8)
#define CTLR_IDBITS	(7ull << 11)
#define CTLR_SEIS	(1ull << 14)
#define CTLR_A3V	(1ull << 15)

#define D_CTLR		0x0000
#define D_TYPER		0x0004
#define D_IIDR		0x0008
#define D_TYPER2	0x000c
#define D_IPRIORITYR(n)	(0x0400 + (n))
#define IIDR_REV_SHIFT	12
#define IIDR_REV_MASK	(0xfu << IIDR_REV_SHIFT)
#define R_IIDR		0x0004
#define R_TYPER		0x0008
#define R_PROPBASER	0x0070
#define R_PENDBASER	0x0078

/* The ITS and its tables, in the 2 MiB of guest RAM vm_create() gives. */
#define ITS_IPA		0x08080000ull
#define DT_IPA		(MKVM_RAM_IPA + 0x10000)
#define CT_IPA		(MKVM_RAM_IPA + 0x20000)
#define CQ_IPA		(MKVM_RAM_IPA + 0x30000)
#define ITT_IPA		(MKVM_RAM_IPA + 0x40000)
#define PROP_IPA	(MKVM_RAM_IPA + 0x60000)
#define PEND_IPA	(MKVM_RAM_IPA + 0x70000)
#define GITS_CTLR	0x0000
#define GITS_IIDR	0x0004
#define GITS_CBASER	0x0080
#define GITS_CREADR	0x0090
#define GITS_BASER0	0x0100
#define GITS_BASER1	0x0108
#define BASER_VALID	(1ull << 63)
#define BASER_TYPE(v)	(((v) >> 56) & 7)
#define BASER_PSZ_64K	(2ull << 8)
#define LPI_IDBITS	15				/* 16 bits */
#define LPI(n)		(8192 + (n))
/* KVM's table entries (ABI revision 0, arm-vgic-its.rst). */
#define DTE(itt, bits)	(1ull << 63 | ((itt) >> 8) << 5 | ((bits) - 1))
#define ITE(lpi, icid)	((uint64_t)(lpi) << 16 | (icid))
#define CTE(vcpu, icid)	(1ull << 63 | (uint64_t)(vcpu) << 16 | (icid))

/* Reports once, then stops: proof that it ran, and where. */
MKVM_GUEST(guest_report,
	"mrs	x1, CurrentEL\n"
	G_REPORT("x1")
	G_DONE);

MKVM_VM_FIXTURE(restore);

static const char *err_name(int err)
{
	const char *name;

	if (!err)
		return "0";
	name = strerrorname_np(-err);
	return name ?: "?";
}

/*
 * One case: KVM's answer @kvm, this boot's @got.  @here is what this boot
 * is expected to answer when it is minikvm and differs on purpose (a
 * documented difference), else @kvm.
 */
static void check_case(struct __test_metadata *_metadata, int kvm, int here,
		       int got, const char *fmt, ...)
{
	char name[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	ksft_print_msg("restore: %s: KVM %s, here %s\n", name, err_name(kvm),
		       err_name(got));
	EXPECT_EQ(mkvm_dev_is_minikvm() ? here : kvm, got) TH_LOG("%s", name);
}

#define CASE(kvm, got, ...)	check_case(_metadata, kvm, kvm, got, __VA_ARGS__)
#define CASE_DIFF(kvm, here, got, ...) \
	check_case(_metadata, kvm, here, got, __VA_ARGS__)

/* A VM running guest_report on one vCPU. */
static struct mkvm_vcpu *one_vcpu(struct mkvm_vm **vm)
{
	*vm = vm_create(guest_report, guest_report_end);
	return vm_vcpu_add(*vm, 0);
}

/*
 * ID registers: a value above this host's (a field raised, a RES0 bit) is
 * refused before the VM runs (KVM: -E2BIG inside, -EINVAL to userspace),
 * and after it ran nothing but the value held is accepted (-EBUSY).  MIDR
 * is invariant (-EINVAL at any time).
 */
TEST_F(restore, id_registers)
{
	uint64_t isar0, pfr0, midr;
	struct mkvm_vcpu *vcpu = one_vcpu(&self->vm);

	isar0 = vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1);
	pfr0 = vcpu_get_reg(vcpu, ID_AA64PFR0_EL1);
	midr = vcpu_get_reg(vcpu, MIDR_EL1);

	CASE(0, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0),
	     "ID_AA64ISAR0_EL1 as read");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0 | 1),
	     "ID_AA64ISAR0_EL1 RES0 bit 0 set");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0 | ISAR0_AES),
	     "ID_AA64ISAR0_EL1.AES 0xf (above the host's)");
	/* EL1 field 0xf: an EL1 that does not exist in the architecture. */
	CASE(-EINVAL, _vcpu_set_reg(vcpu, ID_AA64PFR0_EL1, pfr0 | 0xf0),
	     "ID_AA64PFR0_EL1.EL1 0xf");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, ID_UNALLOC_4_3, 1),
	     "unallocated ID register (3,0,0,4,3) not zero");
	CASE(0, _vcpu_set_reg(vcpu, ID_UNALLOC_4_3, 0),
	     "unallocated ID register zero");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, MIDR_EL1, midr ^ 1),
	     "MIDR_EL1 another revision");
	/* A field lowered (AES not implemented): taken, the feature hidden. */
	if (isar0 & ISAR0_AES) {
		CASE(0, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0 & ~ISAR0_AES),
		     "ID_AA64ISAR0_EL1.AES lowered to 0");
		EXPECT_EQ(0, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0));
	}
	EXPECT_EQ(isar0, vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1));
	EXPECT_EQ(pfr0, vcpu_get_reg(vcpu, ID_AA64PFR0_EL1));
	EXPECT_EQ(0, vcpu_get_reg(vcpu, ID_UNALLOC_4_3));

	EXPECT_EQ(4, vcpu_report(vcpu)) TH_LOG("CurrentEL: EL1");
	CASE(0, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0),
	     "after a run: ID_AA64ISAR0_EL1 as read");
	CASE(-EBUSY, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0 | 1),
	     "after a run: ID_AA64ISAR0_EL1 RES0 bit");
	CASE(-EBUSY, _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0 | ISAR0_AES),
	     "after a run: ID_AA64ISAR0_EL1.AES 0xf");
	if (isar0 & ISAR0_AES)
		CASE(-EBUSY,
		     _vcpu_set_reg(vcpu, ID_AA64ISAR0_EL1, isar0 & ~ISAR0_AES),
		     "after a run: ID_AA64ISAR0_EL1.AES lowered");
	CASE(-EBUSY, _vcpu_set_reg(vcpu, ID_UNALLOC_4_3, 1),
	     "after a run: unallocated ID register not zero");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, MIDR_EL1, midr ^ 1),
	     "after a run: MIDR_EL1 another revision");
	EXPECT_EQ(isar0, vcpu_get_reg(vcpu, ID_AA64ISAR0_EL1));
	EXPECT_EQ(midr, vcpu_get_reg(vcpu, MIDR_EL1));
}

/*
 * PSTATE: only AArch64 EL0t, EL1t and EL1h exist for a guest without
 * nested virtualisation, and AArch32 User where the CPU has AArch32 at
 * EL0 (ID_AA64PFR0_EL1.EL0 2); the other AArch32 modes (the vCPU's EL1 is
 * AArch64), EL2, EL3 and the reserved encodings are -EINVAL, and the mode
 * held stays.  The guest then runs at EL1.
 */
TEST_F(restore, core_pstate)
{
	static const struct { uint64_t mode; const char *name; int kvm; } m[] = {
		{ 0x0, "EL0t", 0 }, { 0x4, "EL1t", 0 }, { 0x5, "EL1h", 0 },
		{ 0x1, "reserved 0b00001", -EINVAL },
		{ 0x2, "reserved 0b00010", -EINVAL },
		{ 0x8, "EL2t", -EINVAL }, { 0x9, "EL2h", -EINVAL },
		{ 0xc, "EL3t", -EINVAL }, { 0xd, "EL3h", -EINVAL },
		{ 0x10, "AArch32 User", 1 },	/* 0 if EL0 has AArch32 */
		{ 0x13, "AArch32 Supervisor", -EINVAL },
		{ 0x1a, "AArch32 Hyp", -EINVAL },
		{ 0x1f, "AArch32 System", -EINVAL },
	};
	struct mkvm_vcpu *vcpu = one_vcpu(&self->vm);
	bool el0_aa32 = (vcpu_get_reg(vcpu, ID_AA64PFR0_EL1) & 0xf) == 2;
	uint64_t v = 0;
	unsigned int i;
	int kvm;

	for (i = 0; i < ARRAY_SIZE(m); i++) {
		kvm = m[i].kvm == 1 ? (el0_aa32 ? 0 : -EINVAL) : m[i].kvm;
		vcpu_set_reg(vcpu, MKVM_PSTATE, PSTATE_EL1H_MASKED);
		CASE(kvm, _vcpu_set_reg(vcpu, MKVM_PSTATE,
					(PSTATE_EL1H_MASKED & ~PSTATE_M_MASK) |
					m[i].mode),
		     "PSTATE mode %#llx (%s%s)", (unsigned long long)m[i].mode,
		     m[i].name, m[i].kvm == 1 ? (el0_aa32 ? ", EL0 has AArch32" :
						 ", EL0 AArch64 only") : "");
		if (kvm)
			EXPECT_EQ(PSTATE_EL1H_MASKED,
				  vcpu_get_reg(vcpu, MKVM_PSTATE)) TH_LOG("%s", m[i].name);
	}
	/* Core register ids: the wrong size, between two registers, past the end. */
	CASE(-EINVAL, _vcpu_set_reg(vcpu, (MKVM_PC & ~KVM_REG_SIZE_MASK) |
				    KVM_REG_SIZE_U32, 0),
	     "core PC as a 32-bit register");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, MKVM_XREG(0) + 1, 0),
	     "core register id inside X0");
	CASE(-ENOENT, _vcpu_set_reg(vcpu, KVM_REG_ARM64 | KVM_REG_SIZE_U64 |
				    KVM_REG_ARM_CORE |
				    (sizeof(struct kvm_regs) / 4), 0),
	     "core register id past struct kvm_regs");
	{
		struct kvm_one_reg reg = {
			.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
			      KVM_REG_ARM_CORE_REG(fp_regs.fpsr),
			.addr = (uintptr_t)&v,
		};

		CASE(-EINVAL, mkvm_ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg),
		     "core FPSR as a 64-bit register");
	}
	/* An unaligned PC is allowed: the guest takes the alignment fault. */
	CASE(0, _vcpu_set_reg(vcpu, MKVM_PC, MKVM_CODE_IPA + 2),
	     "core PC unaligned");
	vcpu_set_reg(vcpu, MKVM_PC, MKVM_CODE_IPA);
	vcpu_set_reg(vcpu, MKVM_PSTATE, PSTATE_EL1H_MASKED);
	EXPECT_EQ(4, vcpu_report(vcpu)) TH_LOG("CurrentEL: EL1");
}

/*
 * Timer registers: KVM takes any value (the control register's status
 * bit is computed, not stored).
 */
TEST_F(restore, timer_regs)
{
	struct mkvm_vcpu *vcpu = one_vcpu(&self->vm);

	CASE(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_TIMER_CTL, ~0ull),
	     "TIMER_CTL all ones");
	CASE(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_TIMER_CVAL, ~0ull),
	     "TIMER_CVAL all ones");
	CASE(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_PTIMER_CTL, ~0ull),
	     "PTIMER_CTL all ones");
	CASE(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_PTIMER_CVAL, ~0ull),
	     "PTIMER_CVAL all ones");
	ksft_print_msg("TIMER_CTL reads %#llx, PTIMER_CTL %#llx after ~0\n",
		       (unsigned long long)vcpu_get_reg(vcpu, KVM_REG_ARM_TIMER_CTL),
		       (unsigned long long)vcpu_get_reg(vcpu, KVM_REG_ARM_PTIMER_CTL));
	vcpu_set_reg(vcpu, KVM_REG_ARM_TIMER_CTL, 0);
	vcpu_set_reg(vcpu, KVM_REG_ARM_PTIMER_CTL, 0);
	EXPECT_EQ(4, vcpu_report(vcpu));
}

/*
 * The firmware pseudo-registers: a PSCI version this host does not
 * implement, bitmaps with unknown bits, workaround levels it does not
 * know; the bitmaps are fixed once the VM ran.
 */
TEST_F(restore, firmware_regs)
{
	struct mkvm_vcpu *vcpu = one_vcpu(&self->vm);
	uint64_t psci = vcpu_get_reg(vcpu, KVM_REG_ARM_PSCI_VERSION);
	uint64_t std = vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP);

	/* What a restored guest is told of the Spectre workarounds. */
	ksft_print_msg("WORKAROUND_1/2/3 levels here: %llu %llu %llu\n",
		       (unsigned long long)vcpu_get_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1),
		       (unsigned long long)vcpu_get_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2),
		       (unsigned long long)vcpu_get_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3));
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, 0),
	     "PSCI_VERSION 0.1 on a PSCI 0.2 vCPU");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, 3),
	     "PSCI_VERSION 0.3");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, 0x10002),
	     "PSCI_VERSION 1.2");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, ~0ull),
	     "PSCI_VERSION all ones");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 1ull << 63),
	     "STD_BMAP unknown bit 63");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_HYP_BMAP, ~0ull),
	     "STD_HYP_BMAP all ones");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP,
				    1ull << 40),
	     "VENDOR_HYP_BMAP unknown bit 40");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1,
				    5),
	     "WORKAROUND_1 level 5");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
				    0x1f),
	     "WORKAROUND_2 unknown bits");
	CASE(-ENOENT, _vcpu_set_reg(vcpu, KVM_REG_ARM_FW_REG(0x10), 0),
	     "firmware register 0x10");
	EXPECT_EQ(psci, vcpu_get_reg(vcpu, KVM_REG_ARM_PSCI_VERSION));
	EXPECT_EQ(std, vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP));

	EXPECT_EQ(4, vcpu_report(vcpu));
	CASE(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, std),
	     "after a run: STD_BMAP as read");
	CASE(-EBUSY, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 0),
	     "after a run: STD_BMAP cleared");
	CASE(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 1ull << 63),
	     "after a run: STD_BMAP unknown bit");
	CASE(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, psci),
	     "after a run: PSCI_VERSION as read");
	EXPECT_EQ(std, vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP));
}

/* KVM_SET_MP_STATE: a state arm64 does not have; KVM_SET_VCPU_EVENTS: junk. */
TEST_F(restore, mp_state_and_events)
{
	struct mkvm_vcpu *vcpu = one_vcpu(&self->vm);
	struct kvm_vcpu_events ev;

	CASE(-EINVAL, vcpu_set_mp_state(vcpu, KVM_MP_STATE_HALTED),
	     "MP state HALTED (x86 only)");
	CASE(-EINVAL, vcpu_set_mp_state(vcpu, KVM_MP_STATE_INIT_RECEIVED),
	     "MP state INIT_RECEIVED (x86 only)");
	CASE(-EINVAL, vcpu_set_mp_state(vcpu, ~0u), "MP state ~0");
	EXPECT_EQ(KVM_MP_STATE_RUNNABLE, vcpu_get_mp_state(vcpu));

	memset(&ev, 0, sizeof(ev));
	ev.reserved[0] = 1;
	CASE(-EINVAL, mkvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev),
	     "VCPU_EVENTS reserved word set");
	memset(&ev, 0, sizeof(ev));
	ev.exception.pad[0] = 1;
	CASE(-EINVAL, mkvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev),
	     "VCPU_EVENTS exception padding set");
	memset(&ev, 0, sizeof(ev));
	ev.exception.serror_pending = 1;
	ev.exception.serror_has_esr = 1;
	ev.exception.serror_esr = 1ull << 40;
	CASE(-EINVAL, mkvm_ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &ev),
	     "VCPU_EVENTS SError ESR beyond ISS");
	memset(&ev, 0, sizeof(ev));
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev));
	EXPECT_EQ(0, ev.exception.serror_pending) TH_LOG("a refused SError stays out");
	EXPECT_EQ(4, vcpu_report(vcpu));
}

static int attr32(int fd, bool set, uint32_t group, uint64_t attr,
		  uint32_t *val)
{
	return _vgic_attr(fd, set, group, attr, val);
}

static uint32_t rd32(struct __test_metadata *_metadata, int fd,
		     uint32_t group, uint64_t attr)
{
	uint32_t v = 0;

	EXPECT_EQ(0, attr32(fd, false, group, attr, &v))
		TH_LOG("group %u attr %#llx", group, (unsigned long long)attr);
	return v;
}

static int set32(int fd, uint32_t group, uint64_t attr, uint32_t v)
{
	return attr32(fd, true, group, attr, &v);
}

static int set64(int fd, uint32_t group, uint64_t attr, uint64_t v)
{
	return _vgic_attr(fd, true, group, attr, &v);
}

static uint64_t rd64(struct __test_metadata *_metadata, int fd,
		     uint32_t group, uint64_t attr)
{
	uint64_t v = 0;

	EXPECT_EQ(0, _vgic_attr(fd, false, group, attr, &v))
		TH_LOG("group %u attr %#llx", group, (unsigned long long)attr);
	return v;
}

/*
 * The distributor's and redistributors' registers: identification with
 * another implementer or an ABI revision KVM does not have, TYPER and
 * TYPER2 other than they read, a priority past the last interrupt; the
 * CPU interface's ICC_CTLR_EL1 with more priority or ID bits than here,
 * or the SEIS/A3V of another host; LEVEL_INFO past the interrupts.
 */
TEST_F(restore, vgic_regs)
{
	uint32_t iidr, typer, typer2, riidr, rtyper, v;
	uint64_t ctlr, pribits;
	struct mkvm_vcpu *vcpu;
	int fd;

	self->vm = vm_create(guest_report, guest_report_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	fd = vm_vgic_setup(self->vm);

	iidr = rd32(_metadata, fd, G_DIST, D_IIDR);
	CASE(-EINVAL, set32(fd, G_DIST, D_IIDR, iidr ^ 0x1),
	     "GICD_IIDR another implementer");
	CASE(-EINVAL, set32(fd, G_DIST, D_IIDR,
			    (iidr & ~IIDR_REV_MASK) | 1 << IIDR_REV_SHIFT),
	     "GICD_IIDR revision 1");
	CASE(-EINVAL, set32(fd, G_DIST, D_IIDR,
			    (iidr & ~IIDR_REV_MASK) | 4 << IIDR_REV_SHIFT),
	     "GICD_IIDR revision 4");
	CASE(0, set32(fd, G_DIST, D_IIDR,
		      (iidr & ~IIDR_REV_MASK) | 2 << IIDR_REV_SHIFT),
	     "GICD_IIDR revision 2");
	CASE(0, set32(fd, G_DIST, D_IIDR,
		      (iidr & ~IIDR_REV_MASK) | 3 << IIDR_REV_SHIFT),
	     "GICD_IIDR revision 3");
	CASE(0, set32(fd, G_DIST, D_IIDR, iidr), "GICD_IIDR as read");
	typer = rd32(_metadata, fd, G_DIST, D_TYPER);
	CASE(0, set32(fd, G_DIST, D_TYPER, ~typer), "GICD_TYPER inverted");
	EXPECT_EQ(typer, rd32(_metadata, fd, G_DIST, D_TYPER));
	typer2 = rd32(_metadata, fd, G_DIST, D_TYPER2);
	CASE(-EINVAL, set32(fd, G_DIST, D_TYPER2, ~typer2),
	     "GICD_TYPER2 inverted");
	CASE(0, set32(fd, G_DIST, D_TYPER2, typer2), "GICD_TYPER2 as read");
	/* Taken and ignored, as the guest's own write would be. */
	CASE(0, set32(fd, G_DIST, D_IPRIORITYR(NR_IRQS), 0xa0a0a0a0),
	     "GICD_IPRIORITYR past the last SPI");
	EXPECT_EQ(0, rd32(_metadata, fd, G_DIST, D_IPRIORITYR(NR_IRQS)));
	CASE(0, set32(fd, G_DIST, D_CTLR, ~0u), "GICD_CTLR all ones");
	v = rd32(_metadata, fd, G_DIST, D_CTLR);
	ksft_print_msg("GICD_CTLR reads %#x after ~0\n", v);

	riidr = rd32(_metadata, fd, G_REDIST, R_IIDR);
	CASE(0, set32(fd, G_REDIST, R_IIDR, ~riidr), "GICR_IIDR inverted");
	EXPECT_EQ(riidr, rd32(_metadata, fd, G_REDIST, R_IIDR));
	rtyper = rd32(_metadata, fd, G_REDIST, R_TYPER);
	CASE(0, set32(fd, G_REDIST, R_TYPER, ~rtyper),
	     "GICR_TYPER (low word) inverted");
	EXPECT_EQ(rtyper, rd32(_metadata, fd, G_REDIST, R_TYPER));
	CASE(0, set32(fd, G_REDIST, R_TYPER + 4, 0x55),
	     "GICR_TYPER affinity (high word) of another vCPU");
	CASE(-EINVAL, set32(fd, G_REDIST, (1ull << 32) | R_IIDR, 0),
	     "GICR_IIDR of an MPIDR with no vCPU");

	ctlr = rd64(_metadata, fd, G_SYSREG, ICC_CTLR);
	pribits = (ctlr & CTLR_PRIBITS) >> 8;
	ksft_print_msg("ICC_CTLR_EL1 %#llx: %llu priority bits\n",
		       (unsigned long long)ctlr, (unsigned long long)pribits + 1);
	CASE(0, set64(fd, G_SYSREG, ICC_CTLR, ctlr), "ICC_CTLR_EL1 as read");
	if (pribits < 7)
		CASE(-EINVAL, set64(fd, G_SYSREG, ICC_CTLR, ctlr | CTLR_PRIBITS),
		     "ICC_CTLR_EL1 PRIbits 8");
	if (!(ctlr & CTLR_IDBITS))
		CASE(-EINVAL, set64(fd, G_SYSREG, ICC_CTLR,
				    ctlr | (1ull << 11)),
		     "ICC_CTLR_EL1 IDbits 24");
	CASE(-EINVAL, set64(fd, G_SYSREG, ICC_CTLR, ctlr ^ CTLR_SEIS),
	     "ICC_CTLR_EL1 SEIS of another host");
	CASE(-EINVAL, set64(fd, G_SYSREG, ICC_CTLR, ctlr ^ CTLR_A3V),
	     "ICC_CTLR_EL1 A3V of another host");
	EXPECT_EQ(ctlr, rd64(_metadata, fd, G_SYSREG, ICC_CTLR));
	/* Five priority bits: one active-priority register, AP1R0. */
	if (pribits < 6)
		CASE(-EINVAL, set64(fd, G_SYSREG, ICC_AP1R3, 1),
		     "ICC_AP1R3_EL1 with %llu priority bits",
		     (unsigned long long)pribits + 1);
	CASE(0, set64(fd, G_SYSREG, ICC_PMR, ~0ull), "ICC_PMR_EL1 all ones");
	ksft_print_msg("ICC_PMR_EL1 reads %#llx after ~0\n",
		       (unsigned long long)rd64(_metadata, fd, G_SYSREG, ICC_PMR));
	CASE(-EINVAL, set32(fd, G_LEVEL, 33, 1), "LEVEL_INFO INTID 33");
	CASE(-EINVAL, set32(fd, G_LEVEL, (1ull << 10) | 32, 1),
	     "LEVEL_INFO of another kind");
	CASE(0, set32(fd, G_LEVEL, 96, ~0u), "LEVEL_INFO past the last SPI");

	EXPECT_EQ(4, vcpu_report(vcpu));
	close(fd);
}

static int its_reg(int its, bool set, uint64_t off, uint64_t *v)
{
	return _vgic_attr(its, set, G_ITS, off, v);
}

static int its_ctrl(int its, uint64_t attr)
{
	return _vgic_attr(its, true, KVM_DEV_ARM_VGIC_GRP_CTRL, attr, NULL);
}

/*
 * The ITS as QEMU restores it: IIDR, the BASERs and CBASER through the
 * register group, then its tables from guest memory with RESTORE_TABLES.
 * Corrupted: an ABI revision KVM does not have, a BASER that changes the
 * table's type, table entries naming an event ID width past the ITS's, an
 * LPI below 8192, a collection no table entry maps, a vCPU that does not
 * exist; CREADR moved while the ITS runs.
 */
TEST_F(restore, its)
{
	uint64_t base = ITS_IPA, v, baser0;
	struct mkvm_vcpu *vcpu;
	uint64_t *dt, *ct, *itt;
	int gic, its;

	self->vm = vm_create(guest_report, guest_report_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	gic = vm_vgic_setup(self->vm);
	ASSERT_EQ(0, _vm_vgic_create_type(self->vm, KVM_DEV_TYPE_ARM_VGIC_ITS,
					  0, &its));
	ASSERT_EQ(0, _vgic_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				KVM_VGIC_ITS_ADDR_TYPE, &base));
	ASSERT_EQ(0, its_ctrl(its, KVM_DEV_ARM_VGIC_CTRL_INIT));
	/* KVM reads an LPI's pending bit from its vCPU's table on restore. */
	ASSERT_EQ(0, set32(gic, G_REDIST, R_PROPBASER, PROP_IPA | LPI_IDBITS));
	ASSERT_EQ(0, set32(gic, G_REDIST, R_PENDBASER, PEND_IPA));

	v = 0;
	ASSERT_EQ(0, its_reg(its, false, GITS_IIDR, &v));
	v |= 1 << IIDR_REV_SHIFT;
	CASE(-EINVAL, its_reg(its, true, GITS_IIDR, &v), "GITS_IIDR revision 1");
	v = DT_IPA | BASER_VALID | BASER_PSZ_64K;
	ASSERT_EQ(0, its_reg(its, true, GITS_BASER0, &v));
	ASSERT_EQ(0, its_reg(its, false, GITS_BASER0, &baser0));
	v = baser0 ^ (3ull << 56);
	CASE(0, its_reg(its, true, GITS_BASER0, &v),
	     "GITS_BASER0 with the collection table's type");
	ASSERT_EQ(0, its_reg(its, false, GITS_BASER0, &v));
	EXPECT_EQ(BASER_TYPE(baser0), BASER_TYPE(v)) TH_LOG("read-only type");
	v = CT_IPA | BASER_VALID | BASER_PSZ_64K;
	ASSERT_EQ(0, its_reg(its, true, GITS_BASER1, &v));
	v = CQ_IPA | BASER_VALID;
	ASSERT_EQ(0, its_reg(its, true, GITS_CBASER, &v));

	dt = vm_gpa_to_hva(self->vm, DT_IPA);
	ct = vm_gpa_to_hva(self->vm, CT_IPA);
	itt = vm_gpa_to_hva(self->vm, ITT_IPA);
	/* Device 1, 2 event bits; event 0 -> LPI 0 in collection 0 on vCPU 0. */
	dt[1] = DTE(ITT_IPA, 2);
	itt[0] = ITE(LPI(0), 0);
	ct[0] = CTE(0, 0);

	dt[1] = DTE(ITT_IPA, 17);
	CASE(-EINVAL, its_ctrl(its, KVM_DEV_ARM_ITS_RESTORE_TABLES),
	     "ITS device entry with 17 event ID bits");
	dt[1] = DTE(ITT_IPA, 2);
	itt[0] = ITE(100, 0);
	CASE(-EINVAL, its_ctrl(its, KVM_DEV_ARM_ITS_RESTORE_TABLES),
	     "ITS event entry with INTID 100 (not an LPI)");
	itt[0] = ITE(LPI(0), 7);
	CASE(-EINVAL, its_ctrl(its, KVM_DEV_ARM_ITS_RESTORE_TABLES),
	     "ITS event entry in collection 7, unmapped");
	itt[0] = ITE(LPI(0), 0);
	ct[0] = CTE(5, 0);
	CASE(-EINVAL, its_ctrl(its, KVM_DEV_ARM_ITS_RESTORE_TABLES),
	     "ITS collection entry on vCPU 5, absent");
	ct[0] = CTE(0, 0);
	CASE(0, its_ctrl(its, KVM_DEV_ARM_ITS_RESTORE_TABLES),
	     "ITS tables consistent");

	v = 1;
	ASSERT_EQ(0, its_reg(its, true, GITS_CTLR, &v));
	v = 0x20;
	CASE(-EBUSY, its_reg(its, true, GITS_CREADR, &v),
	     "GITS_CREADR while the ITS is enabled");
	v = 0;
	EXPECT_EQ(0, its_reg(its, false, GITS_CREADR, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(4, vcpu_report(vcpu));
	close(its);
	close(gic);
}

TEST_HARNESS_MAIN
