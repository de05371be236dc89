// SPDX-License-Identifier: GPL-2.0
/*
 * Guest system registers, one table for everything: KVM_GET/SET_ONE_REG,
 * KVM_GET_REG_LIST, and the emulation of registers the guest's accesses
 * trap on (HCR_EL2.TID3 ID registers, HCR_EL2.TID2 or TID4 cache
 * identification registers, HCR_EL2.TACR, the physical timer -
 * emulated in timer.c, the PMU).  A trapped access the table does not
 * know injects UNDEF.
 */
#include <linux/cacheinfo.h>
#include <linux/kvm.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <asm/arch_timer.h>
#include <asm/cache.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/kvm_arm.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/hyp.h>
#include <mkvm/run.h>
#include <mkvm/sysregs.h>
#include <mkvm/timer.h>
#include <mkvm/vgic.h>

/* KVM's ONE_REG id for a sys_reg() encoding (the fields line up at >> 5). */
#define ONE_REG_ID(enc)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | \
			 KVM_REG_ARM64_SYSREG | ((u64)(enc) >> 5))

enum sr_kind {
	SR_CTXT,	/* a register of the switched context: sys[idx] */
	SR_ID,		/* read-only ID register, sanitised */
	SR_MPIDR,
	SR_TIMER,	/* the emulated physical timer: timer.c */
	SR_RAZ_WI,	/* trapped and ignored (PMU, ...) */
	SR_EMUL,	/* held at EL1: struct mkvm_vcpu_emul_regs at idx */
	SR_DBG,		/* the guest's debug registers: mkvm_debug_regs at idx */
	SR_OSLAR,	/* write-only: sets OSLSR_EL1.OSLK */
	SR_LOR,		/* LORegions: RAZ/WI, or UNDEF if ID_AA64MMFR1_EL1.LO is 0 */
	SR_CCSIDR,	/* CCSIDR_EL1, CCSIDR2_EL1: guest reads only (TID2/4) */
	SR_CLIDR,	/* CLIDR_EL1: the vCPU's (made_up_clidr()) */
};

/* What a trapped guest access to an SR_EMUL register does. */
enum sr_guest {
	GUEST_RW,	/* reads and writes the value */
	GUEST_WI,	/* reads it, writes are ignored (ACTLR_EL1, as KVM) */
	GUEST_RO,	/* reads it, writes UNDEF */
	GUEST_NONE,	/* userspace only (AArch32 / EL2 state): UNDEF */
};

struct sr_desc {
	u32 enc;		/* sys_reg(op0, op1, crn, crm, op2) */
	enum sr_kind kind;
	int idx;		/* SR_CTXT: index in sys[]; SR_EMUL: offset */
	bool user;		/* listed in KVM_GET_REG_LIST */
	enum sr_guest guest;	/* SR_EMUL only */
	u64 reset;
};

#define CTXT(e, i, r)	{ .enc = (e), .kind = SR_CTXT, .idx = (i), .user = true, .reset = (r) }
#define IDREG(e)	{ .enc = (e), .kind = SR_ID, .user = true }
#define RAZ(e)		{ .enc = (e), .kind = SR_RAZ_WI }
#define EMUL(e, f, g, r) { .enc = (e), .kind = SR_EMUL, .user = true, \
			   .idx = offsetof(struct mkvm_vcpu_emul_regs, f), \
			   .guest = (g), .reset = (r) }
/*
 * Breakpoint and watchpoint registers, MDCCINT_EL1: the guest's to read
 * and write, switched by EL2 when the guest uses them (debug.c).
 */
#define DBG(e, f)	{ .enc = (e), .kind = SR_DBG, .user = true, \
			  .idx = offsetof(struct mkvm_debug_regs, f) }
#define DBG_SLOT(n)	DBG(SYS_DBGBVRn_EL1(n), bvr[n]),		\
			DBG(SYS_DBGBCRn_EL1(n), bcr[n]),		\
			DBG(SYS_DBGWVRn_EL1(n), wvr[n]),		\
			DBG(SYS_DBGWCRn_EL1(n), wcr[n])
#define TIMER(e)	{ .enc = (e), .kind = SR_TIMER }
#define LOR(e)		{ .enc = (e), .kind = SR_LOR }

/* KVM's reset value of SCTLR_EL1: RES1 bits set, MMU and caches off. */
#define SCTLR_EL1_RESET	0x00C50078UL

static const struct sr_desc sr_table[] = {
	CTXT(SYS_SCTLR_EL1,	 SR_SCTLR_EL1,	    SCTLR_EL1_RESET),
	CTXT(SYS_CPACR_EL1,	 SR_CPACR_EL1,	    0),
	CTXT(SYS_TTBR0_EL1,	 SR_TTBR0_EL1,	    0),
	CTXT(SYS_TTBR1_EL1,	 SR_TTBR1_EL1,	    0),
	CTXT(SYS_TCR_EL1,	 SR_TCR_EL1,	    0),
	CTXT(SYS_ESR_EL1,	 SR_ESR_EL1,	    0),
	CTXT(SYS_AFSR0_EL1,	 SR_AFSR0_EL1,	    0),
	CTXT(SYS_AFSR1_EL1,	 SR_AFSR1_EL1,	    0),
	CTXT(SYS_FAR_EL1,	 SR_FAR_EL1,	    0),
	CTXT(SYS_MAIR_EL1,	 SR_MAIR_EL1,	    0),
	CTXT(SYS_AMAIR_EL1,	 SR_AMAIR_EL1,	    0),
	CTXT(SYS_VBAR_EL1,	 SR_VBAR_EL1,	    0),
	CTXT(SYS_CONTEXTIDR_EL1, SR_CONTEXTIDR_EL1, 0),
	CTXT(SYS_CNTKCTL_EL1,	 SR_CNTKCTL_EL1,    0),
	CTXT(SYS_PAR_EL1,	 SR_PAR_EL1,	    0),
	CTXT(SYS_MDSCR_EL1,	 SR_MDSCR_EL1,	    0),
	CTXT(SYS_CSSELR_EL1,	 SR_CSSELR_EL1,	    0),
	CTXT(SYS_TPIDR_EL0,	 SR_TPIDR_EL0,	    0),
	CTXT(SYS_TPIDRRO_EL0,	 SR_TPIDRRO_EL0,    0),
	CTXT(SYS_TPIDR_EL1,	 SR_TPIDR_EL1,	    0),
	/*
	 * CNTHCTL_EL2.EL1PCEN/EL1PCTEN (hyp/switch.c).  The timer registers
	 * userspace sees are timer.c's KVM_REG_ARM_TIMER_* and _PTIMER_*.
	 */
	TIMER(SYS_CNTP_CTL_EL0),
	TIMER(SYS_CNTP_CVAL_EL0),
	TIMER(SYS_CNTP_TVAL_EL0),
	TIMER(SYS_CNTPCT_EL0),
	TIMER(sys_reg(3, 3, 14, 0, 5)),		/* CNTPCTSS_EL0 */
	{ .enc = SYS_MPIDR_EL1, .kind = SR_MPIDR, .user = true },
	IDREG(SYS_MIDR_EL1),
	IDREG(SYS_REVIDR_EL1),
	IDREG(SYS_ID_AA64PFR0_EL1),
	IDREG(SYS_ID_AA64PFR1_EL1),
	IDREG(SYS_ID_AA64ZFR0_EL1),
	IDREG(SYS_ID_AA64SMFR0_EL1),
	IDREG(SYS_ID_AA64DFR0_EL1),
	IDREG(SYS_ID_AA64DFR1_EL1),
	IDREG(SYS_ID_AA64ISAR0_EL1),
	IDREG(SYS_ID_AA64ISAR1_EL1),
	IDREG(SYS_ID_AA64ISAR2_EL1),
	IDREG(SYS_ID_AA64MMFR0_EL1),
	IDREG(SYS_ID_AA64MMFR1_EL1),
	IDREG(SYS_ID_AA64MMFR2_EL1),
	IDREG(SYS_ID_PFR0_EL1),
	IDREG(SYS_ID_PFR1_EL1),
	IDREG(SYS_ID_DFR0_EL1),
	IDREG(SYS_ID_MMFR0_EL1),
	IDREG(SYS_ID_MMFR1_EL1),
	IDREG(SYS_ID_MMFR2_EL1),
	IDREG(SYS_ID_MMFR3_EL1),
	IDREG(SYS_ID_ISAR0_EL1),
	IDREG(SYS_ID_ISAR1_EL1),
	IDREG(SYS_ID_ISAR2_EL1),
	IDREG(SYS_ID_ISAR3_EL1),
	IDREG(SYS_ID_ISAR4_EL1),
	IDREG(SYS_ID_ISAR5_EL1),
	IDREG(SYS_MVFR0_EL1),
	IDREG(SYS_MVFR1_EL1),
	IDREG(SYS_MVFR2_EL1),
	IDREG(SYS_ID_MMFR4_EL1),
	IDREG(SYS_ID_ISAR6_EL1),
	IDREG(SYS_ID_PFR2_EL1),
	IDREG(SYS_ID_MMFR5_EL1),
	/*
	 * Cache and implementation identification: the host's, fixed, but
	 * CTR_EL0, which the VMM may lower (id_writable[]), and CLIDR_EL1
	 * and CCSIDR_EL1, the vCPU's, made up as in KVM (CCSIDR_EL1: the
	 * KVM_REG_ARM_DEMUX ids).  The cache ones always trap (HCR_EL2.TID2
	 * or TID4: mkvm_sysregs_hcr_traps()): CTR_EL0 is then the VM's
	 * (untrapped with TID4: the hardware's, equal to it), CLIDR_EL1 and
	 * CCSIDR_EL1 the vCPU's, CSSELR_EL1 the switched register it always
	 * is, CCSIDR2_EL1 UNDEF.
	 */
	{ .enc = SYS_CLIDR_EL1, .kind = SR_CLIDR, .user = true },
	IDREG(SYS_AIDR_EL1),
	IDREG(SYS_CTR_EL0),
	{ .enc = SYS_CCSIDR_EL1, .kind = SR_CCSIDR },
	{ .enc = SYS_CCSIDR2_EL1, .kind = SR_CCSIDR },
	/*
	 * The guest's breakpoints and watchpoints, all 16 slots KVM lists,
	 * though only as many as ID_AA64DFR0_EL1 says are armed (debug.c).
	 */
	DBG_SLOT(0),
	DBG_SLOT(1),
	DBG_SLOT(2),
	DBG_SLOT(3),
	DBG_SLOT(4),
	DBG_SLOT(5),
	DBG_SLOT(6),
	DBG_SLOT(7),
	DBG_SLOT(8),
	DBG_SLOT(9),
	DBG_SLOT(10),
	DBG_SLOT(11),
	DBG_SLOT(12),
	DBG_SLOT(13),
	DBG_SLOT(14),
	DBG_SLOT(15),
	DBG(SYS_MDCCINT_EL1,	mdccint),
	/* Held at EL1 for the VMM (KVM lists them) and, if trapped, the guest. */
	EMUL(SYS_OSLSR_EL1,	oslsr,	  GUEST_RO,   OSLSR_EL1_OSLM_IMPLEMENTED),
	EMUL(SYS_DBGVCR32_EL2,	dbgvcr32, GUEST_NONE, 0),
	EMUL(SYS_ACTLR_EL1,	actlr,	  GUEST_WI,   0),
	EMUL(SYS_DISR_EL1,	disr,	  GUEST_RW,   0),
	EMUL(SYS_DACR32_EL2,	dacr32,	  GUEST_NONE, 0),
	EMUL(SYS_IFSR32_EL2,	ifsr32,	  GUEST_NONE, 0),
	/* FPEXC32_EL2: KVM's reset value (EN, and the IMPLEMENTATION bits). */
	EMUL(SYS_FPEXC32_EL2,	fpexc32,  GUEST_NONE, 0x700),
	{ .enc = SYS_OSLAR_EL1, .kind = SR_OSLAR },
	RAZ(SYS_PMCR_EL0),
	RAZ(SYS_PMCNTENSET_EL0),
	RAZ(SYS_PMCNTENCLR_EL0),
	RAZ(SYS_PMOVSCLR_EL0),
	RAZ(SYS_PMUSERENR_EL0),
	RAZ(SYS_PMINTENSET_EL1),
	RAZ(SYS_PMINTENCLR_EL1),
	RAZ(SYS_OSDLR_EL1),
	/*
	 * RAS error records, trapped by HCR_EL2.TERR (arch/arm64/hyp/
	 * switch.c): RAZ/WI as KVM makes them, so a guest sees no error
	 * record (ERRIDR_EL1.NUM = 0) and can neither read the host's
	 * records nor clear them.  ID_AA64PFR0_EL1.RAS stays visible, as in
	 * KVM: ESB and the virtual SError syndrome still work.
	 */
	RAZ(SYS_ERRIDR_EL1),
	RAZ(SYS_ERRSELR_EL1),
	RAZ(SYS_ERXFR_EL1),
	RAZ(SYS_ERXCTLR_EL1),
	RAZ(SYS_ERXSTATUS_EL1),
	RAZ(SYS_ERXADDR_EL1),
	RAZ(SYS_ERXMISC0_EL1),
	RAZ(SYS_ERXMISC1_EL1),
	/*
	 * LORegions, trapped by HCR_EL2.TLOR: the trivial implementation
	 * Armv8.1 allows (no region, LORID_EL1 = 0), as KVM's, while the
	 * VM's ID_AA64MMFR1_EL1.LO says the feature is there; UNDEF once
	 * the VMM lowered it to 0.
	 */
	LOR(SYS_LORSA_EL1),
	LOR(SYS_LOREA_EL1),
	LOR(SYS_LORN_EL1),
	LOR(SYS_LORC_EL1),
	LOR(SYS_LORID_EL1),
};

static const struct sr_desc *sr_find(u32 enc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sr_table); i++)
		if (sr_table[i].enc == enc)
			return &sr_table[i];
	return NULL;
}

/*
 * The ID registers a guest sees: the host's sanitised view, less what
 * minikvm does not give guests (SVE, SME, MTE, AMU, MPAM, nested EL2, the
 * PMU, SPE, trace, pointer authentication, whose keys it does not switch),
 * and less what EL2 traps or disables for every guest (switch.c: deny by
 * default): in ID_AA64DFR0 only the debug fields survive (no PMU, SPE
 * PMSVer, TraceBuffer, TraceFilt, BRBE); HCRX_EL2 = 0 makes the memory
 * copy/set instructions (MOPS), LS64 and the 128-bit system register
 * instructions UNDEFINED; FEAT_CCIDX, as KVM hides it.
 * ID_AA64MMFR3_EL1 (TCR2, S1PIE, S1POE, SCTLR2)
 * and ID_AA64PFR2_EL1 (FPMR) are not in sr_table: they read as zero with
 * the rest of the unlisted ID space (is_id_space()).
 *
 * This is the most a VMM may give a guest (id_writable[]).
 */
static u64 id_reg_limit(u32 enc)
{
	u64 v;

	if (enc == SYS_MIDR_EL1)
		return read_cpuid_id();
	if (enc == SYS_REVIDR_EL1)
		return read_sysreg(revidr_el1);
	if (enc == SYS_AIDR_EL1)
		return read_sysreg(aidr_el1);
	v = read_sanitised_ftr_reg(enc);
	switch (enc) {
	case SYS_ID_AA64PFR0_EL1:
		v &= ~(ID_AA64PFR0_EL1_SVE_MASK | ID_AA64PFR0_EL1_AMU_MASK |
		       ID_AA64PFR0_EL1_MPAM_MASK | ID_AA64PFR0_EL1_SEL2_MASK |
		       ID_AA64PFR0_EL1_EL2_MASK);
		break;
	case SYS_ID_AA64PFR1_EL1:
		v &= ID_AA64PFR1_EL1_BT_MASK | ID_AA64PFR1_EL1_SSBS_MASK;
		break;
	case SYS_ID_AA64ZFR0_EL1:
	case SYS_ID_AA64SMFR0_EL1:
	case SYS_ID_AA64DFR1_EL1:
		v = 0;
		break;
	case SYS_ID_AA64DFR0_EL1:
		v &= ID_AA64DFR0_EL1_DebugVer_MASK | ID_AA64DFR0_EL1_BRPs_MASK |
		     ID_AA64DFR0_EL1_WRPs_MASK | ID_AA64DFR0_EL1_CTX_CMPs_MASK;
		break;
	case SYS_ID_DFR0_EL1:
		/* The AArch32 view of the same PMU, hidden the same way. */
		v &= ~ID_DFR0_EL1_PerfMon_MASK;
		break;
	case SYS_ID_AA64ISAR1_EL1:
		v &= ~(ID_AA64ISAR1_EL1_APA_MASK | ID_AA64ISAR1_EL1_API_MASK |
		       ID_AA64ISAR1_EL1_GPA_MASK | ID_AA64ISAR1_EL1_GPI_MASK |
		       ID_AA64ISAR1_EL1_LS64_MASK);
		break;
	case SYS_ID_AA64ISAR2_EL1:
		v &= ~(ID_AA64ISAR2_EL1_APA3_MASK | ID_AA64ISAR2_EL1_GPA3_MASK |
		       ID_AA64ISAR2_EL1_MOPS_MASK |
		       ID_AA64ISAR2_EL1_SYSREG_128_MASK |
		       ID_AA64ISAR2_EL1_SYSINSTR_128_MASK);
		break;
	/*
	 * FEAT_CCIDX (the 64-bit CCSIDR_EL1 format, CCSIDR2_EL1), hidden
	 * as in KVM: the guest reads the 32-bit CCSIDR_EL1 that
	 * KVM_REG_ARM_DEMUX_ID_CCSIDR holds (vcpu_ccsidr()).
	 */
	case SYS_ID_AA64MMFR2_EL1:
		v &= ~ID_AA64MMFR2_EL1_CCIDX_MASK;
		break;
	case SYS_ID_MMFR4_EL1:
		v &= ~ID_MMFR4_EL1_CCIDX_MASK;
		break;
	}
	return v;
}

/* Reserved encodings of the ID register space read as zero (D19.2). */
static bool is_id_space(u32 enc)
{
	return sys_reg_Op0(enc) == 3 && sys_reg_Op1(enc) == 0 &&
	       sys_reg_CRn(enc) == 0 && sys_reg_CRm(enc) >= 1 &&
	       sys_reg_CRm(enc) <= 7;
}

/* Index in mkvm_arch_vm.id_regs[] of an is_id_space() encoding. */
static unsigned int id_index(u32 enc)
{
	return (sys_reg_CRm(enc) - 1) * 8 + sys_reg_Op2(enc);
}

/*
 * What the VMM may change in an ID register before the first run: KVM
 * 6.12's writable mask of the register (mask, what
 * KVM_ARM_GET_REG_WRITABLE_MASKS reports), and within it the 4-bit
 * fields the kernel's cpufeature tables give a rule for: lower (FTR_LOWER_SAFE,
 * unsigned), slower (FTR_LOWER_SAFE, signed: 0xf is "not implemented")
 * and higher (FTR_HIGHER_SAFE).  Any other bit, in the mask or not, must
 * keep minikvm's value, as in KVM, whose check skips fields its tables
 * do not describe.  The AArch32 ID registers are all here, as in KVM.
 *
 * The guest reads what the VMM wrote (HCR_EL2.TID3 traps every read; for
 * CTR_EL0, HCR_EL2.TID2: mkvm_sysregs_hcr_traps()).
 * What it can do follows for LORegions (LO: the LOR registers UNDEF);
 * the other fields only describe: lowering AES, PAN, BT, SSBS, TGRAN4 or
 * WRPs does not stop a guest that uses them anyway, as in KVM without
 * fine-grained traps.  The debug registers EL2 switches stay as many as
 * the host has (debug.c), so fewer WRPs hide no state.
 */
struct id_writable {
	u32 enc;
	u64 mask;
	u64 lower;
	u64 slower;
	u64 higher;
	u64 lbits;	/* 1-bit FTR_LOWER_SAFE fields (CTR_EL0.DIC, IDC) */
};

#define FLD(reg, f)	reg##_##f##_MASK

static const struct id_writable id_writable[] = {
	{ SYS_ID_AA64PFR0_EL1,
	  .mask = ~(FLD(ID_AA64PFR0_EL1, AMU) | FLD(ID_AA64PFR0_EL1, MPAM) |
		    FLD(ID_AA64PFR0_EL1, SVE) | FLD(ID_AA64PFR0_EL1, RAS) |
		    FLD(ID_AA64PFR0_EL1, AdvSIMD) | FLD(ID_AA64PFR0_EL1, FP)),
	  .lower = FLD(ID_AA64PFR0_EL1, CSV3) | FLD(ID_AA64PFR0_EL1, CSV2) |
		   FLD(ID_AA64PFR0_EL1, DIT) | FLD(ID_AA64PFR0_EL1, SEL2) |
		   FLD(ID_AA64PFR0_EL1, GIC) | FLD(ID_AA64PFR0_EL1, EL3) |
		   FLD(ID_AA64PFR0_EL1, EL2) | FLD(ID_AA64PFR0_EL1, EL1) |
		   FLD(ID_AA64PFR0_EL1, EL0) },
	{ SYS_ID_AA64PFR1_EL1,
	  .mask = ~(FLD(ID_AA64PFR1_EL1, PFAR) | FLD(ID_AA64PFR1_EL1, DF2) |
		    FLD(ID_AA64PFR1_EL1, MTEX) | FLD(ID_AA64PFR1_EL1, THE) |
		    FLD(ID_AA64PFR1_EL1, GCS) | FLD(ID_AA64PFR1_EL1, MTE_frac) |
		    FLD(ID_AA64PFR1_EL1, NMI) | FLD(ID_AA64PFR1_EL1, RNDR_trap) |
		    FLD(ID_AA64PFR1_EL1, SME) | ID_AA64PFR1_EL1_RES0 |
		    FLD(ID_AA64PFR1_EL1, MPAM_frac) |
		    FLD(ID_AA64PFR1_EL1, RAS_frac) | FLD(ID_AA64PFR1_EL1, MTE)),
	  .lower = FLD(ID_AA64PFR1_EL1, SSBS) | FLD(ID_AA64PFR1_EL1, BT) },
	/* BRPs and CTX_CMPs fixed: the host's breakpoint layout (KVM). */
	{ SYS_ID_AA64DFR0_EL1,
	  .mask = FLD(ID_AA64DFR0_EL1, DoubleLock) | FLD(ID_AA64DFR0_EL1, WRPs) |
		  FLD(ID_AA64DFR0_EL1, PMUVer) | FLD(ID_AA64DFR0_EL1, DebugVer),
	  .lower = FLD(ID_AA64DFR0_EL1, WRPs) | FLD(ID_AA64DFR0_EL1, PMUVer) |
		   FLD(ID_AA64DFR0_EL1, DebugVer),
	  .slower = FLD(ID_AA64DFR0_EL1, DoubleLock) },
	/*
	 * The AArch32 ID registers: all 32 bits in KVM's mask, the fields
	 * the kernel's tables describe lowered (InnerShr and OuterShr
	 * signed, SpecSEI up), the others (ID_PFR0 RAS and AMU, ID_PFR2
	 * RAS_frac, ID_ISAR0 bits 31:28, ID_ISAR5 VCMA, ID_ISAR6 CLRBHB,
	 * MVFR2 bits 31:8) fixed.  Not with a host whose EL0 has no AArch32:
	 * aa32_id_writable().  ID_DFR0_EL1 has no PMU (PerfMon 0) to lower.
	 */
	{ SYS_ID_PFR0_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_PFR0_EL1, DIT) | FLD(ID_PFR0_EL1, CSV2) |
		   FLD(ID_PFR0_EL1, State3) | FLD(ID_PFR0_EL1, State2) |
		   FLD(ID_PFR0_EL1, State1) | FLD(ID_PFR0_EL1, State0) },
	{ SYS_ID_PFR1_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_PFR1_EL1, GIC) | FLD(ID_PFR1_EL1, Virt_frac) |
		   FLD(ID_PFR1_EL1, Sec_frac) | FLD(ID_PFR1_EL1, GenTimer) |
		   FLD(ID_PFR1_EL1, Virtualization) |
		   FLD(ID_PFR1_EL1, MProgMod) | FLD(ID_PFR1_EL1, Security) |
		   FLD(ID_PFR1_EL1, ProgMod) },
	{ SYS_ID_PFR2_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_PFR2_EL1, SSBS) | FLD(ID_PFR2_EL1, CSV3) },
	{ SYS_ID_MMFR0_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_MMFR0_EL1, FCSE) | FLD(ID_MMFR0_EL1, AuxReg) |
		   FLD(ID_MMFR0_EL1, TCM) | FLD(ID_MMFR0_EL1, ShareLvl) |
		   FLD(ID_MMFR0_EL1, PMSA) | FLD(ID_MMFR0_EL1, VMSA),
	  .slower = FLD(ID_MMFR0_EL1, InnerShr) | FLD(ID_MMFR0_EL1, OuterShr) },
	{ SYS_ID_MMFR1_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_ID_MMFR2_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_ID_MMFR3_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_ID_MMFR4_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_MMFR4_EL1, EVT) | FLD(ID_MMFR4_EL1, CCIDX) |
		   FLD(ID_MMFR4_EL1, LSM) | FLD(ID_MMFR4_EL1, HPDS) |
		   FLD(ID_MMFR4_EL1, CnP) | FLD(ID_MMFR4_EL1, XNX) |
		   FLD(ID_MMFR4_EL1, AC2),
	  .higher = FLD(ID_MMFR4_EL1, SpecSEI) },
	/* nTLBPA, which the kernel's tables do not describe, fixed. */
	{ SYS_ID_MMFR5_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_MMFR5_EL1, ETS) },
	{ SYS_ID_ISAR0_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_ISAR0_EL1, Divide) | FLD(ID_ISAR0_EL1, Debug) |
		   FLD(ID_ISAR0_EL1, Coproc) | FLD(ID_ISAR0_EL1, CmpBranch) |
		   FLD(ID_ISAR0_EL1, BitField) | FLD(ID_ISAR0_EL1, BitCount) |
		   FLD(ID_ISAR0_EL1, Swap) },
	{ SYS_ID_ISAR1_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_ID_ISAR2_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_ID_ISAR3_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_ID_ISAR4_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_ID_ISAR5_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_ISAR5_EL1, RDM) | FLD(ID_ISAR5_EL1, CRC32) |
		   FLD(ID_ISAR5_EL1, SHA2) | FLD(ID_ISAR5_EL1, SHA1) |
		   FLD(ID_ISAR5_EL1, AES) | FLD(ID_ISAR5_EL1, SEVL) },
	{ SYS_ID_ISAR6_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_ISAR6_EL1, I8MM) | FLD(ID_ISAR6_EL1, BF16) |
		   FLD(ID_ISAR6_EL1, SPECRES) | FLD(ID_ISAR6_EL1, SB) |
		   FLD(ID_ISAR6_EL1, FHM) | FLD(ID_ISAR6_EL1, DP) |
		   FLD(ID_ISAR6_EL1, JSCVT) },
	{ SYS_MVFR0_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_MVFR1_EL1, .mask = GENMASK(31, 0), .lower = GENMASK(31, 0) },
	{ SYS_MVFR2_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(MVFR2_EL1, FPMisc) | FLD(MVFR2_EL1, SIMDMisc) },
	{ SYS_ID_DFR0_EL1,
	  .mask = GENMASK(31, 0),
	  .lower = FLD(ID_DFR0_EL1, PerfMon) | FLD(ID_DFR0_EL1, MProfDbg) |
		   FLD(ID_DFR0_EL1, MMapTrc) | FLD(ID_DFR0_EL1, CopTrc) |
		   FLD(ID_DFR0_EL1, MMapDbg) | FLD(ID_DFR0_EL1, CopSDbg) |
		   FLD(ID_DFR0_EL1, CopDbg) },
	{ SYS_ID_AA64ISAR0_EL1,
	  .mask = ~ID_AA64ISAR0_EL1_RES0,
	  .lower = FLD(ID_AA64ISAR0_EL1, RNDR) | FLD(ID_AA64ISAR0_EL1, TLB) |
		   FLD(ID_AA64ISAR0_EL1, TS) | FLD(ID_AA64ISAR0_EL1, FHM) |
		   FLD(ID_AA64ISAR0_EL1, DP) | FLD(ID_AA64ISAR0_EL1, SM4) |
		   FLD(ID_AA64ISAR0_EL1, SM3) | FLD(ID_AA64ISAR0_EL1, SHA3) |
		   FLD(ID_AA64ISAR0_EL1, RDM) | FLD(ID_AA64ISAR0_EL1, ATOMIC) |
		   FLD(ID_AA64ISAR0_EL1, CRC32) | FLD(ID_AA64ISAR0_EL1, SHA2) |
		   FLD(ID_AA64ISAR0_EL1, SHA1) | FLD(ID_AA64ISAR0_EL1, AES) },
	{ SYS_ID_AA64ISAR1_EL1,
	  .mask = ~(FLD(ID_AA64ISAR1_EL1, GPI) | FLD(ID_AA64ISAR1_EL1, GPA) |
		    FLD(ID_AA64ISAR1_EL1, API) | FLD(ID_AA64ISAR1_EL1, APA)),
	  .lower = FLD(ID_AA64ISAR1_EL1, XS) | FLD(ID_AA64ISAR1_EL1, I8MM) |
		   FLD(ID_AA64ISAR1_EL1, DGH) | FLD(ID_AA64ISAR1_EL1, BF16) |
		   FLD(ID_AA64ISAR1_EL1, SPECRES) | FLD(ID_AA64ISAR1_EL1, SB) |
		   FLD(ID_AA64ISAR1_EL1, FRINTTS) | FLD(ID_AA64ISAR1_EL1, LRCPC) |
		   FLD(ID_AA64ISAR1_EL1, FCMA) | FLD(ID_AA64ISAR1_EL1, JSCVT) |
		   FLD(ID_AA64ISAR1_EL1, DPB) },
	{ SYS_ID_AA64ISAR2_EL1,
	  .mask = ~(ID_AA64ISAR2_EL1_RES0 | FLD(ID_AA64ISAR2_EL1, APA3) |
		    FLD(ID_AA64ISAR2_EL1, GPA3)),
	  .lower = FLD(ID_AA64ISAR2_EL1, LUT) | FLD(ID_AA64ISAR2_EL1, CSSC) |
		   FLD(ID_AA64ISAR2_EL1, RPRFM) | FLD(ID_AA64ISAR2_EL1, CLRBHB) |
		   FLD(ID_AA64ISAR2_EL1, BC) | FLD(ID_AA64ISAR2_EL1, MOPS) |
		   FLD(ID_AA64ISAR2_EL1, RPRES) | FLD(ID_AA64ISAR2_EL1, WFxT) },
	{ SYS_ID_AA64MMFR0_EL1,
	  .mask = ~(ID_AA64MMFR0_EL1_RES0 | FLD(ID_AA64MMFR0_EL1, TGRAN4_2) |
		    FLD(ID_AA64MMFR0_EL1, TGRAN64_2) |
		    FLD(ID_AA64MMFR0_EL1, TGRAN16_2) |
		    FLD(ID_AA64MMFR0_EL1, ASIDBITS)),
	  .lower = FLD(ID_AA64MMFR0_EL1, ECV) | FLD(ID_AA64MMFR0_EL1, FGT) |
		   FLD(ID_AA64MMFR0_EL1, EXS) | FLD(ID_AA64MMFR0_EL1, TGRAN16) |
		   FLD(ID_AA64MMFR0_EL1, BIGENDEL0) |
		   FLD(ID_AA64MMFR0_EL1, SNSMEM) | FLD(ID_AA64MMFR0_EL1, BIGEND) |
		   FLD(ID_AA64MMFR0_EL1, PARANGE),
	  .slower = FLD(ID_AA64MMFR0_EL1, TGRAN4) |
		    FLD(ID_AA64MMFR0_EL1, TGRAN64) },
	{ SYS_ID_AA64MMFR1_EL1,
	  .mask = ~(ID_AA64MMFR1_EL1_RES0 | FLD(ID_AA64MMFR1_EL1, HCX) |
		    FLD(ID_AA64MMFR1_EL1, TWED) | FLD(ID_AA64MMFR1_EL1, XNX) |
		    FLD(ID_AA64MMFR1_EL1, VH) | FLD(ID_AA64MMFR1_EL1, VMIDBits)),
	  .lower = FLD(ID_AA64MMFR1_EL1, ECBHB) | FLD(ID_AA64MMFR1_EL1, TIDCP1) |
		   FLD(ID_AA64MMFR1_EL1, AFP) | FLD(ID_AA64MMFR1_EL1, ETS) |
		   FLD(ID_AA64MMFR1_EL1, PAN) | FLD(ID_AA64MMFR1_EL1, LO) |
		   FLD(ID_AA64MMFR1_EL1, HPDS) | FLD(ID_AA64MMFR1_EL1, HAFDBS),
	  .higher = FLD(ID_AA64MMFR1_EL1, SpecSEI) },
	{ SYS_ID_AA64MMFR2_EL1,
	  .mask = ~(ID_AA64MMFR2_EL1_RES0 | FLD(ID_AA64MMFR2_EL1, EVT) |
		    FLD(ID_AA64MMFR2_EL1, FWB) | FLD(ID_AA64MMFR2_EL1, IDS) |
		    FLD(ID_AA64MMFR2_EL1, NV) | FLD(ID_AA64MMFR2_EL1, CCIDX)),
	  .lower = FLD(ID_AA64MMFR2_EL1, E0PD) | FLD(ID_AA64MMFR2_EL1, BBM) |
		   FLD(ID_AA64MMFR2_EL1, TTL) | FLD(ID_AA64MMFR2_EL1, AT) |
		   FLD(ID_AA64MMFR2_EL1, ST) | FLD(ID_AA64MMFR2_EL1, VARange) |
		   FLD(ID_AA64MMFR2_EL1, IESB) | FLD(ID_AA64MMFR2_EL1, LSM) |
		   FLD(ID_AA64MMFR2_EL1, UAO) | FLD(ID_AA64MMFR2_EL1, CnP) },
	/*
	 * The cache maintenance a guest must do (DIC, IDC: 0 asks for more)
	 * and the smallest line it may assume (the minLines: smaller is
	 * safe); L1Ip, ERG and CWG stay the host's.
	 */
	{ SYS_CTR_EL0,
	  .mask = CTR_EL0_DIC_MASK | CTR_EL0_IDC_MASK | CTR_EL0_DminLine_MASK |
		  CTR_EL0_IminLine_MASK,
	  .lower = CTR_EL0_DminLine_MASK | CTR_EL0_IminLine_MASK,
	  .lbits = CTR_EL0_DIC_MASK | CTR_EL0_IDC_MASK },
};

/*
 * The AArch32 ID registers (CRm 1 to 3) are the VMM's to lower only where
 * EL0 can run AArch32 on every CPU, as in KVM (kvm_supports_32bit_el0();
 * with mismatched CPUs the sanitised field says AArch64 only).
 */
static bool aa32_id_writable(u32 enc)
{
	return sys_reg_CRm(enc) > 3 || sys_reg_Op1(enc) ||
	       id_aa64pfr0_32bit_el0(read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1));
}

static const struct id_writable *id_writable_find(u32 enc)
{
	unsigned int i;

	if (!aa32_id_writable(enc))
		return NULL;
	for (i = 0; i < ARRAY_SIZE(id_writable); i++)
		if (id_writable[i].enc == enc)
			return &id_writable[i];
	return NULL;
}

/*
 * The value a VM's guest and VMM read: what the VMM wrote, or the limit.
 * The GIC fields (ID_AA64PFR0_EL1.GIC, ID_PFR1_EL1.GIC) say GICv3 until
 * the VM first runs; from then on a VM without a vGIC reads them as 0, as
 * KVM finalises them then (its ICC_* accesses UNDEF: vgic.c).  No vGIC
 * can be created once a vCPU ran, so the answer never changes again.
 */
static u64 vm_id_reg(struct mkvm_vm *vm, u32 enc)
{
	u64 v;

	if (enc == SYS_CTR_EL0) {
		v = READ_ONCE(vm->arch.ctr_el0);
		return v ? v : id_reg_limit(enc);
	}
	if (is_id_space(enc) &&
	    (READ_ONCE(vm->arch.id_set) & BIT_ULL(id_index(enc)))) {
		/* Pairs with the smp_wmb() in id_reg_set(). */
		smp_rmb();
		v = READ_ONCE(vm->arch.id_regs[id_index(enc)]);
	} else {
		v = id_reg_limit(enc);
	}
	if (READ_ONCE(vm->arch.ran) && !READ_ONCE(vm->arch.vgic.created)) {
		if (enc == SYS_ID_AA64PFR0_EL1)
			v &= ~ID_AA64PFR0_EL1_GIC_MASK;
		if (enc == SYS_ID_PFR1_EL1)
			v &= ~ID_PFR1_EL1_GIC_MASK;
	}
	return v;
}

/* One 4-bit ID field, signed or not. */
static s64 id_field_val(u64 reg, unsigned int shift, bool is_signed)
{
	u64 f = (reg >> shift) & 0xf;

	return is_signed ? sign_extend64(f, 3) : (s64)f;
}

/* Does @val ask for no more than @limit, field by field (KVM's rules)? */
static bool id_val_allowed(const struct id_writable *w, u64 val, u64 limit)
{
	u64 fields = w->lower | w->slower | w->higher;
	unsigned int shift;

	if ((val ^ limit) & ~(fields | w->lbits) || (val & ~limit & w->lbits))
		return false;
	for (shift = 0; shift < 64; shift += 4) {
		u64 m = 0xfULL << shift;
		s64 v, l;

		if (!((val ^ limit) & m & fields))
			continue;
		v = id_field_val(val, shift, w->slower & m);
		l = id_field_val(limit, shift, w->slower & m);
		if ((w->higher & m) ? v < l : v > l)
			return false;
	}
	return true;
}

/*
 * KVM_SET_ONE_REG on an ID register of the feature ID space, or CTR_EL0,
 * before the first run, under vm->lock: a value KVM would take is kept
 * for the VM.
 * Fields KVM lets a VMM write back though it hides them (MPAM, whose
 * host value it accepts and drops; an IMPLEMENTATION DEFINED PMUVer,
 * which it reads as none) are treated the same way.
 */
static int id_reg_set(struct mkvm_vm *vm, u32 enc, u64 val)
{
	const struct id_writable *w = id_writable_find(enc);
	u64 host = read_sanitised_ftr_reg(enc);
	u64 limit = id_reg_limit(enc);

	if (!w)
		return -EINVAL;
	switch (enc) {
	case SYS_ID_AA64PFR0_EL1:
		if (!((val ^ host) & ID_AA64PFR0_EL1_MPAM_MASK))
			val &= ~ID_AA64PFR0_EL1_MPAM_MASK;
		break;
	case SYS_ID_AA64PFR1_EL1:
		if (!((val ^ host) & ID_AA64PFR1_EL1_MPAM_frac_MASK))
			val &= ~ID_AA64PFR1_EL1_MPAM_frac_MASK;
		break;
	case SYS_ID_AA64DFR0_EL1:
		if (SYS_FIELD_GET(ID_AA64DFR0_EL1, PMUVer, val) ==
		    ID_AA64DFR0_EL1_PMUVer_IMP_DEF)
			val &= ~ID_AA64DFR0_EL1_PMUVer_MASK;
		/* Debug is not optional in Armv8: no lower than v8.0. */
		if (SYS_FIELD_GET(ID_AA64DFR0_EL1, DebugVer, val) <
		    ID_AA64DFR0_EL1_DebugVer_IMP)
			return -EINVAL;
		break;
	case SYS_ID_DFR0_EL1:
		if (SYS_FIELD_GET(ID_DFR0_EL1, PerfMon, val) ==
		    ID_DFR0_EL1_PerfMon_IMPDEF)
			val &= ~ID_DFR0_EL1_PerfMon_MASK;
		/* A PMU, if any, is PMUv3; debug at least Armv8's. */
		if ((SYS_FIELD_GET(ID_DFR0_EL1, PerfMon, val) &&
		     SYS_FIELD_GET(ID_DFR0_EL1, PerfMon, val) <
		     ID_DFR0_EL1_PerfMon_PMUv3) ||
		    SYS_FIELD_GET(ID_DFR0_EL1, CopDbg, val) <
		    ID_DFR0_EL1_CopDbg_Armv8)
			return -EINVAL;
		break;
	}
	if (!id_val_allowed(w, val, limit))
		return -EINVAL;
	if (enc == SYS_CTR_EL0) {
		/* Never 0 (RES1 bit 31 kept): the value is its own flag. */
		WRITE_ONCE(vm->arch.ctr_el0, val);
		return 0;
	}
	WRITE_ONCE(vm->arch.id_regs[id_index(enc)], val);
	/* The value before the bit that makes readers use it. */
	smp_wmb();
	WRITE_ONCE(vm->arch.id_set, vm->arch.id_set | BIT_ULL(id_index(enc)));
	return 0;
}

/**
 * mkvm_get_reg_writable_masks() - KVM_ARM_GET_REG_WRITABLE_MASKS
 * @argp:	struct reg_mask_range: range KVM_ARM_FEATURE_ID_RANGE, reserved
 *		words zero, addr for KVM_ARM_FEATURE_ID_RANGE_SIZE u64 masks
 *		indexed by KVM_ARM_FEATURE_ID_RANGE_IDX()
 *
 * Which bits of each feature ID register a VMM may write with another
 * value than the current one: KVM's writable masks of id_writable[], zero
 * for the rest of the range (minikvm keeps those fixed).
 * Return: 0, -EFAULT, or -EINVAL for another range or reserved bits set.
 */
int mkvm_get_reg_writable_masks(void __user *argp)
{
	struct reg_mask_range r;
	u64 __user *masks;
	unsigned int i;

	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.range != KVM_ARM_FEATURE_ID_RANGE ||
	    memchr_inv(r.reserved, 0, sizeof(r.reserved)))
		return -EINVAL;
	masks = u64_to_user_ptr(r.addr);
	if (clear_user(masks, KVM_ARM_FEATURE_ID_RANGE_SIZE * sizeof(u64)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(id_writable); i++) {
		u32 enc = id_writable[i].enc;
		unsigned int idx = KVM_ARM_FEATURE_ID_RANGE_IDX(sys_reg_Op0(enc),
			sys_reg_Op1(enc), sys_reg_CRn(enc), sys_reg_CRm(enc),
			sys_reg_Op2(enc));

		if (!aa32_id_writable(enc))
			continue;
		if (put_user(id_writable[i].mask, masks + idx))
			return -EFAULT;
	}
	return 0;
}

/**
 * mkvm_sysregs_hcr_traps() - HCR_EL2 trap bits the VM's ID registers need
 * @vcpu:	a vCPU of a VM whose configuration is final (vm->arch.ran)
 *
 * The cache identification registers always trap, as in KVM: the guest
 * reads the CLIDR_EL1 and CCSIDR_EL1 values minikvm makes up or the VMM
 * wrote (made_up_clidr(), vcpu_ccsidr()), never the hardware's, whose
 * levels and geometry differ between CPUs and whose CCSIDR_EL1 format on a
 * FEAT_CCIDX CPU is not the one the guest is told of.  HCR_EL2.TID4 traps
 * CCSIDR_EL1, CCSIDR2_EL1, CLIDR_EL1 and CSSELR_EL1 only, and exists with
 * FEAT_EVT; it is enough when the guest may read the hardware's CTR_EL0.
 * HCR_EL2.TID2 traps CTR_EL0 as well, for a guest that must read another:
 * the VMM lowered it; the CPUs disagree (the sanitised value is then what
 * a vCPU must see wherever it runs), as KVM decides; or the kernel's
 * sanitised value itself differs from the hardware's, as when it sets IDC
 * because CLIDR_EL1 says no clean to the PoU is needed
 * (read_cpuid_effective_cachetype(): QEMU's CPUs are such).  All of them
 * are emulated (mkvm_handle_sysreg_trap()).  CPUs that differ only in
 * CTR_EL0.L1Ip (not a mismatch for the kernel) are not looked for: the
 * guest reads its CPU's.
 * Return: the bits, to OR into HCR_EL2 on every entry.
 */
u64 mkvm_sysregs_hcr_traps(struct mkvm_vcpu *vcpu)
{
	if (cpus_have_final_cap(ARM64_HAS_EVT) &&
	    !cpus_have_final_cap(ARM64_MISMATCHED_CACHE_TYPE) &&
	    vm_id_reg(vcpu->vm, SYS_CTR_EL0) == read_sysreg(ctr_el0))
		return HCR_TID4;
	return HCR_TID2;
}

/**
 * mkvm_sysregs_finalise() - keep what the guest reads in the ID registers
 * @vm:		the VM, at a vCPU's first KVM_RUN, vm->lock held, vm->arch.ran set
 *
 * From the first run the VM's ID registers are final, as in KVM: the VMM
 * can only write back the value held (mkvm_sysreg_set()) and no vGIC can
 * come to change the GIC fields (vm_id_reg()).  A guest reads them
 * often (HCR_EL2.TID3 traps every read, at EL1 and at EL0 through the
 * kernel's emulation of MRS), so the values are worked out once here
 * rather than on every trap, where each cost a walk of sr_table and a
 * search of the kernel's cpufeature registers (read_sanitised_ftr_reg()).
 * The ID space encodings sr_table does not list read as zero, as before.
 * Every vCPU calls this before it first enters the guest, so none traps
 * before the values are there; the first call fills them.
 */
void mkvm_sysregs_finalise(struct mkvm_vm *vm)
{
	unsigned int i;

	lockdep_assert_held(&vm->lock);
	if (vm->arch.id_final_done)
		return;
	for (i = 0; i < ARRAY_SIZE(sr_table); i++)
		if (sr_table[i].kind == SR_ID && is_id_space(sr_table[i].enc))
			vm->arch.id_final[id_index(sr_table[i].enc)] =
				vm_id_reg(vm, sr_table[i].enc);
	vm->arch.ctr_final = vm_id_reg(vm, SYS_CTR_EL0);
	vm->arch.id_final_done = true;
}

/**
 * mkvm_sysregs_has_gicv3() - does the VM's guest have the GICv3 CPU interface?
 * @vm:		the VM, its configuration final (vm->arch.ran)
 *
 * As KVM's kvm_has_gicv3(): ID_AA64PFR0_EL1.GIC as the guest reads it,
 * 0 without a vGIC or when the VMM lowered it.  Without it the guest's
 * ICC_* system registers are UNDEFINED (mkvm_vgic_flush() traps them,
 * mkvm_handle_sysreg_trap() emulates none).
 * Return: true if GIC is 1 or more.
 */
bool mkvm_sysregs_has_gicv3(struct mkvm_vm *vm)
{
	return SYS_FIELD_GET(ID_AA64PFR0_EL1, GIC,
			     vm_id_reg(vm, SYS_ID_AA64PFR0_EL1)) >=
	       ID_AA64PFR0_EL1_GIC_IMP;
}

static u64 *ctxt_reg(struct mkvm_vcpu *vcpu, int idx)
{
	return &vcpu->arch.hyp->ctxt.sys[idx];
}

/*
 * The rest of the ID space, for userspace: listed like KVM lists it (every
 * encoding of op0=3 op1=0 CRn=0 CRm=1..7), read-only zero.  That covers
 * the reserved encodings and the ID registers of features minikvm hides
 * (ID_AA64PFR2, ID_AA64MMFR3/4, ID_DFR1, the AFRs).
 */
static const struct sr_desc sr_id_zero = { .kind = SR_ID, .user = true };

static u64 *emul_reg(struct mkvm_vcpu *vcpu, int off)
{
	return (u64 *)((char *)&vcpu->arch.emul + off);
}

static u64 *dbg_reg(struct mkvm_vcpu *vcpu, int off)
{
	return (u64 *)((char *)&vcpu->arch.hyp->dbg + off);
}

static u64 sr_read(struct mkvm_vcpu *vcpu, const struct sr_desc *d)
{
	switch (d->kind) {
	case SR_CTXT:
		return *ctxt_reg(vcpu, d->idx);
	case SR_ID:
		return d == &sr_id_zero ? 0 : vm_id_reg(vcpu->vm, d->enc);
	case SR_MPIDR:
		return vcpu->arch.hyp->vmpidr_el2;
	case SR_TIMER:
		return mkvm_timer_sysreg_read(vcpu, d->enc);
	case SR_EMUL:
		return *emul_reg(vcpu, d->idx);
	case SR_DBG:
		return *dbg_reg(vcpu, d->idx);
	case SR_CLIDR:
		return vcpu->arch.clidr;
	default:
		return 0;
	}
}

static void sr_write(struct mkvm_vcpu *vcpu, const struct sr_desc *d, u64 val)
{
	switch (d->kind) {
	case SR_CTXT:
		*ctxt_reg(vcpu, d->idx) = val;
		break;
	case SR_MPIDR:
		vcpu->arch.hyp->vmpidr_el2 = val | BIT(31);
		vcpu->arch.mpidr = val & MPIDR_HWID_BITMASK;
		break;
	case SR_EMUL:
		*emul_reg(vcpu, d->idx) = val;
		break;
	case SR_DBG:
		*dbg_reg(vcpu, d->idx) = val;
		break;
	case SR_OSLAR:
		/* OSLAR_EL1.OSLK (bit 0) becomes OSLSR_EL1.OSLK (bit 1). */
		vcpu->arch.emul.oslsr &= ~OSLSR_EL1_OSLK;
		if (val & BIT(0))
			vcpu->arch.emul.oslsr |= OSLSR_EL1_OSLK;
		break;
	default:
		break;
	}
}

/*
 * CLIDR_EL1 as KVM 6.12 makes it up (reset_clidr()), from the kernel's
 * sanitised CTR_EL0 rather than the hardware's CLIDR_EL1, whose levels
 * may differ between the CPUs a vCPU moves across.  The levels it names
 * ask the guest for no less maintenance than CTR_EL0 does (Arm ARM
 * D19.2, CTR_EL0.IDC and DIC, with CLIDR_EL1's LoUU, LoUIS and LoC):
 * - without IDC, a data cache at level 1 that is LoUU, LoUIS and LoC, so
 *   that cleaning to the PoU is seen to be needed;
 * - with IDC, no level to clean to the PoU (LoUU = LoUIS = 0) and one
 *   unified level as LoC: level 2, or level 1 with DIC, when no
 *   instruction cache takes level 1;
 * - without DIC, an instruction cache at level 1 (separate caches, if
 *   there is a data cache there too), so that invalidating it is.
 * No allocation tag levels: guests get no MTE.  The CCSIDR_EL1 values
 * made up for these levels (vcpu_ccsidr()) hold for every level, as in
 * KVM, which does not look at CLIDR_EL1 for them.
 */
static u64 made_up_clidr(void)
{
	u64 ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);
	unsigned int loc;
	u64 clidr;

	if (ctr & CTR_EL0_IDC) {
		loc = ctr & CTR_EL0_DIC ? 1 : 2;
		clidr = (u64)CACHE_TYPE_UNIFIED << CLIDR_CTYPE_SHIFT(loc);
	} else {
		loc = 1;
		clidr = (u64)CACHE_TYPE_DATA << CLIDR_CTYPE_SHIFT(1) |
			BIT_ULL(CLIDR_LOUU_SHIFT) | BIT_ULL(CLIDR_LOUIS_SHIFT);
	}
	if (!(ctr & CTR_EL0_DIC))
		clidr |= (u64)CACHE_TYPE_INST << CLIDR_CTYPE_SHIFT(1);
	return clidr | (u64)loc << CLIDR_LOC_SHIFT;
}

/*
 * KVM_SET_ONE_REG of CLIDR_EL1, any time, per vCPU, as KVM 6.12's
 * set_clidr(): RES0 bits set are -EINVAL, and so is a hierarchy that
 * says no clean to the PoU is needed (LoC 0, or LoUU and LoUIS both 0:
 * what the kernel reads as CTR_EL0.IDC, read_cpuid_effective_cachetype())
 * where the kernel's sanitised CTR_EL0 does not say IDC.  As in KVM the
 * check is against the host's CTR_EL0, not the VM's, which the VMM may
 * have lowered.
 */
static int vcpu_clidr_set(struct mkvm_vcpu *vcpu, u64 val)
{
	bool idc = !CLIDR_LOC(val) || (!CLIDR_LOUU(val) && !CLIDR_LOUIS(val));

	if (val & CLIDR_EL1_RES0)
		return -EINVAL;
	if (idc && !(read_sanitised_ftr_reg(SYS_CTR_EL0) & CTR_EL0_IDC))
		return -EINVAL;
	vcpu->arch.clidr = val;
	return 0;
}

/**
 * mkvm_sysregs_reset() - architectural reset of the EL1 registers
 * @vcpu:	the vCPU
 *
 * Every register gets a defined value, none keeps what was there; but
 * CLIDR_EL1, which is the vCPU's description of its caches rather than
 * state: made up until the first KVM_ARM_VCPU_INIT, then kept over later
 * resets (KVM_ARM_VCPU_INIT again, PSCI CPU_ON) with whatever the VMM
 * wrote, as KVM resets it only for a vCPU not yet initialised
 * (reset_vcpu_ftr_id_reg()).
 */
void mkvm_sysregs_reset(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_hyp *h = vcpu->arch.hyp;
	unsigned int i;

	if (!vcpu->arch.initialized)
		vcpu->arch.clidr = made_up_clidr();

	memset(h->ctxt.sys, 0, sizeof(h->ctxt.sys));
	memset(&vcpu->arch.emul, 0, sizeof(vcpu->arch.emul));
	memset(&h->dbg, 0, sizeof(h->dbg));
	for (i = 0; i < ARRAY_SIZE(sr_table); i++) {
		if (sr_table[i].kind == SR_CTXT)
			h->ctxt.sys[sr_table[i].idx] = sr_table[i].reset;
		if (sr_table[i].kind == SR_EMUL)
			*emul_reg(vcpu, sr_table[i].idx) = sr_table[i].reset;
	}
}

/* id -> descriptor, for ids userspace may name. */
static const struct sr_desc *user_desc(u64 id)
{
	const struct sr_desc *d;

	if ((id & ~KVM_REG_ARM64_SYSREG_OP0_MASK & ~KVM_REG_ARM64_SYSREG_OP1_MASK &
	     ~KVM_REG_ARM64_SYSREG_CRN_MASK & ~KVM_REG_ARM64_SYSREG_CRM_MASK &
	     ~KVM_REG_ARM64_SYSREG_OP2_MASK) !=
	    (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG))
		return NULL;
	d = sr_find((id & 0xffff) << 5);
	if (!d && is_id_space((id & 0xffff) << 5))
		return &sr_id_zero;
	return d && d->user ? d : NULL;
}

static u64 desc_user_id(const struct sr_desc *d)
{
	return ONE_REG_ID(d->enc);
}

/**
 * mkvm_sysreg_get() - KVM_GET_ONE_REG for a system register
 * @vcpu:	the vCPU
 * @id:		KVM_REG_ARM64_SYSREG id
 * @val:	the value
 *
 * Return: 0, or -ENOENT for a register minikvm does not expose.
 */
int mkvm_sysreg_get(struct mkvm_vcpu *vcpu, u64 id, u64 *val)
{
	const struct sr_desc *d = user_desc(id);

	if (!d)
		return -ENOENT;
	*val = sr_read(vcpu, d);
	return 0;
}

/**
 * mkvm_sysreg_set() - KVM_SET_ONE_REG for a system register
 * @vcpu:	the vCPU
 * @id:		KVM_REG_ARM64_SYSREG id
 * @val:	the value
 *
 * ID registers: writing the value they hold succeeds.  Before the VM
 * first ran, the fields id_writable[] names may be lowered (raised, for
 * FTR_HIGHER_SAFE ones) as KVM allows, for the whole VM; anything else is
 * -EINVAL.  Once it ran, another value is -EBUSY for the feature ID space
 * and CTR_EL0, as in KVM, and -EINVAL for the registers KVM keeps
 * invariant (MIDR_EL1, REVIDR_EL1, AIDR_EL1).  CLIDR_EL1 is the vCPU's,
 * written at any time: vcpu_clidr_set().  An OSLSR_EL1 value differing
 * in more than OSLK is -EINVAL too.
 * Return: 0, -ENOENT, -EINVAL, -EBUSY.
 */
int mkvm_sysreg_set(struct mkvm_vcpu *vcpu, u64 id, u64 val)
{
	const struct sr_desc *d = user_desc(id);
	struct mkvm_vm *vm = vcpu->vm;
	int ret = -EINVAL;

	if (!d)
		return -ENOENT;
	if (d->kind == SR_ID) {
		mutex_lock(&vm->lock);
		if (val == sr_read(vcpu, d))
			ret = 0;
		else if ((d == &sr_id_zero || is_id_space(d->enc) ||
			  d->enc == SYS_CTR_EL0) && vm->arch.ran)
			ret = -EBUSY;
		else if (d != &sr_id_zero && (is_id_space(d->enc) ||
					      d->enc == SYS_CTR_EL0))
			ret = id_reg_set(vm, d->enc, val);
		mutex_unlock(&vm->lock);
		return ret;
	}
	if (d->kind == SR_CLIDR)
		return vcpu_clidr_set(vcpu, val);
	/* OSLSR_EL1: only the lock state is the VMM's to restore. */
	if (d->enc == SYS_OSLSR_EL1 &&
	    (val ^ sr_read(vcpu, d)) & ~OSLSR_EL1_OSLK)
		return -EINVAL;
	sr_write(vcpu, d, val);
	return 0;
}

/**
 * mkvm_sysreg_ids() - the ids KVM_GET_REG_LIST reports
 * @ids:	where to store them, or NULL to count
 *
 * Return: how many there are.
 */
unsigned int mkvm_sysreg_ids(u64 *ids)
{
	unsigned int i, n = 0;
	u32 crm, op2;

	for (i = 0; i < ARRAY_SIZE(sr_table); i++) {
		if (!sr_table[i].user || is_id_space(sr_table[i].enc))
			continue;
		if (ids)
			ids[n] = desc_user_id(&sr_table[i]);
		n++;
	}
	/* The whole ID space, in encoding order, listed or zero. */
	for (crm = 1; crm <= 7; crm++) {
		for (op2 = 0; op2 <= 7; op2++) {
			if (ids)
				ids[n] = ONE_REG_ID(sys_reg(3, 0, 0, crm, op2));
			n++;
		}
	}
	return n;
}

/* ---- the CCSIDR_EL1 demultiplexer (KVM_REG_ARM_DEMUX_ID_CCSIDR) ------- */

#define DEMUX_CCSIDR	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX | \
			 KVM_REG_ARM_DEMUX_ID_CCSIDR)

/*
 * The smallest line, log2 of its bytes, of the instruction (@icache) or
 * data caches of every CPU: CTR_EL0's minLines (log2 of 4-byte words) of
 * the kernel's sanitised view.
 */
static unsigned int min_line_shift(bool icache)
{
	u64 ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);

	return 2 + (icache ? SYS_FIELD_GET(CTR_EL0, IminLine, ctr) :
			     SYS_FIELD_GET(CTR_EL0, DminLine, ctr));
}

/*
 * CCSIDR_EL1 of the cache CSSELR_EL1 = @csselr selects, in the 32-bit
 * format (FEAT_CCIDX is hidden: id_reg_limit()): what the VMM wrote, or,
 * as KVM makes it up, one set of one way of the smallest line any CPU
 * has.  Not the hardware's geometry, which differs between CPUs a vCPU
 * may move across; nothing but set/way maintenance depends on it, and
 * that UNDEFs in a guest (HCR_EL2.TSW), so the fewest sets and ways cost
 * nothing.  A level CLIDR_EL1 does not name gets a value too: the
 * architecture leaves it UNKNOWN.
 */
static u32 vcpu_ccsidr(struct mkvm_vcpu *vcpu, u32 csselr)
{
	if (vcpu->arch.ccsidr_set & BIT(csselr))
		return vcpu->arch.ccsidr[csselr];
	return FIELD_PREP(CCSIDR_EL1_LineSize,
			  min_line_shift(csselr & CSSELR_EL1_InD) - 4);
}

/*
 * A trapped guest read of CCSIDR_EL1 (HCR_EL2.TID2 or TID4, which every
 * VM has: mkvm_sysregs_hcr_traps()), for the cache its CSSELR_EL1
 * selects (Level and InD; TnD, for the tag caches of MTE, which guests
 * do not get, ignored).  A reserved level reads as 0, one of the UNKNOWN
 * values the architecture allows.  CCSIDR2_EL1 exists with FEAT_CCIDX
 * only, which guests do not get: -ENOENT (UNDEF), as in KVM.
 */
static int guest_ccsidr(struct mkvm_vcpu *vcpu, u32 enc, u64 *val)
{
	u32 csselr = vcpu->arch.hyp->ctxt.sys[SR_CSSELR_EL1] &
		     (CSSELR_EL1_Level | CSSELR_EL1_InD);

	if (enc == SYS_CCSIDR2_EL1)
		return -ENOENT;
	*val = csselr < MKVM_CSSELR_MAX ? vcpu_ccsidr(vcpu, csselr) : 0;
	return 0;
}

/**
 * mkvm_demux_reg_ids() - the CCSIDR ids KVM_GET_REG_LIST reports
 * @ids:	where to store them, or NULL to count
 *
 * One per CSSELR_EL1 value, whether CLIDR_EL1 names that cache or not,
 * as KVM lists them.
 * Return: how many there are.
 */
unsigned int mkvm_demux_reg_ids(u64 *ids)
{
	u32 csselr;

	for (csselr = 0; ids && csselr < MKVM_CSSELR_MAX; csselr++)
		ids[csselr] = DEMUX_CCSIDR | csselr;
	return MKVM_CSSELR_MAX;
}

/**
 * mkvm_demux_reg_access() - KVM_GET/SET_ONE_REG on a KVM_REG_ARM_DEMUX id
 * @vcpu:	the vCPU
 * @id:		the register id
 * @uaddr:	the u32 value
 * @set:	write it
 *
 * The CCSIDR_EL1 the guest reads for that CSSELR_EL1 value.  A VMM may
 * write any value whose line is no smaller than the smallest line of
 * that kind on any CPU (what CTR_EL0 promises the guest), as KVM allows;
 * the guest then reads it.
 * Return: 0, -ENOENT (no such id), -EFAULT, -EINVAL (a smaller line).
 */
int mkvm_demux_reg_access(struct mkvm_vcpu *vcpu, u64 id, void __user *uaddr,
			  bool set)
{
	u32 csselr = id & KVM_REG_ARM_DEMUX_VAL_MASK, val;

	if ((id & ~(u64)KVM_REG_ARM_DEMUX_VAL_MASK) != DEMUX_CCSIDR ||
	    csselr >= MKVM_CSSELR_MAX)
		return -ENOENT;
	if (!set) {
		val = vcpu_ccsidr(vcpu, csselr);
		return copy_to_user(uaddr, &val, sizeof(val)) ? -EFAULT : 0;
	}
	if (copy_from_user(&val, uaddr, sizeof(val)))
		return -EFAULT;
	if (FIELD_GET(CCSIDR_EL1_LineSize, val) + 4 <
	    min_line_shift(csselr & CSSELR_EL1_InD))
		return -EINVAL;
	vcpu->arch.ccsidr[csselr] = val;
	vcpu->arch.ccsidr_set |= BIT(csselr);
	return 0;
}

/*
 * The debug registers (op0 == 2: breakpoints, watchpoints, OS lock, claim
 * tags) trap with MDCR_EL2.TDA/TDOSA/TDRA, so the guest cannot touch the
 * host's.  Those in sr_table (MDSCR_EL1; the breakpoint and watchpoint
 * registers and MDCCINT, switched by EL2 for the runs the guest uses them
 * in, untrapped then; the OS lock, held at EL1) keep their values; the
 * rest read as zero and ignore writes.
 */
static bool is_debug_space(u32 enc)
{
	return sys_reg_Op0(enc) == 2;
}

/**
 * mkvm_handle_sysreg_trap() - emulate a trapped MSR/MRS (EC 0x18)
 * @vcpu:	the vCPU
 * @esr:	ESR_EL2 of the trap
 *
 * Return: 1 (re-enter the guest): either emulated, or UNDEF injected.
 */
int mkvm_handle_sysreg_trap(struct mkvm_vcpu *vcpu, u64 esr)
{
	u32 enc = esr_sys64_to_sysreg(esr);
	bool read = (esr & ESR_ELx_SYS64_ISS_DIR_MASK) == ESR_ELx_SYS64_ISS_DIR_READ;
	unsigned int rt = ESR_ELx_SYS64_ISS_RT(esr);
	const struct sr_desc *d;

	/*
	 * The ID registers and CTR_EL0, the reads a guest traps on most:
	 * the VM's final values (mkvm_sysregs_finalise(); zero for the
	 * encodings of the ID space sr_table does not list), without
	 * looking for a descriptor.  Their writes UNDEF, below.
	 */
	if (read && (is_id_space(enc) || enc == SYS_CTR_EL0)) {
		mkvm_set_gpr(vcpu, rt, enc == SYS_CTR_EL0 ?
			     vcpu->vm->arch.ctr_final :
			     vcpu->vm->arch.id_final[id_index(enc)]);
		mkvm_skip_instr(vcpu);
		return 1;
	}

	/*
	 * SGIs: only group 1 Non-secure ones exist for the guest.  Without a
	 * vGIC, or with its GIC field lowered to 0, they trap
	 * (ICH_HCR_EL2.TC) and UNDEF like every ICC_* access.
	 */
	if (!read && READ_ONCE(vcpu->vm->arch.vgic.created) &&
	    !vcpu->arch.icc_undef &&
	    (enc == SYS_ICC_SGI1R_EL1 || enc == SYS_ICC_SGI0R_EL1 ||
		      enc == SYS_ICC_ASGI1R_EL1)) {
		if (enc == SYS_ICC_SGI1R_EL1)
			mkvm_vgic_sgi(vcpu, mkvm_get_gpr(vcpu, rt));
		mkvm_skip_instr(vcpu);
		return 1;
	}
	d = sr_find(enc);
	if (!d) {
		if (is_debug_space(enc)) {
			if (read)
				mkvm_set_gpr(vcpu, rt, 0);
			mkvm_skip_instr(vcpu);
			return 1;
		}
		mkvm_inject_undef(vcpu);
		return 1;
	}
	if (d->kind == SR_EMUL && (d->guest == GUEST_NONE ||
				   (!read && d->guest == GUEST_RO))) {
		mkvm_inject_undef(vcpu);
		return 1;
	}
	if (read && d->kind == SR_OSLAR) {
		mkvm_inject_undef(vcpu);
		return 1;
	}
	if (d->kind == SR_CCSIDR) {
		u64 val;

		if (!read || guest_ccsidr(vcpu, enc, &val)) {
			mkvm_inject_undef(vcpu);
			return 1;
		}
		mkvm_set_gpr(vcpu, rt, val);
		mkvm_skip_instr(vcpu);
		return 1;
	}
	if (d->kind == SR_LOR) {
		if (!SYS_FIELD_GET(ID_AA64MMFR1_EL1, LO,
				   vm_id_reg(vcpu->vm, SYS_ID_AA64MMFR1_EL1)) ||
		    (!read && enc == SYS_LORID_EL1)) {
			mkvm_inject_undef(vcpu);
			return 1;
		}
		if (read)
			mkvm_set_gpr(vcpu, rt, 0);
		mkvm_skip_instr(vcpu);
		return 1;
	}
	if (read) {
		mkvm_set_gpr(vcpu, rt, sr_read(vcpu, d));
	} else if (d->kind == SR_EMUL && d->guest == GUEST_WI) {
		/* ignored */
	} else if (d->kind == SR_CTXT || d->kind == SR_RAZ_WI ||
		   d->kind == SR_EMUL || d->kind == SR_OSLAR ||
		   d->kind == SR_DBG) {
		sr_write(vcpu, d, mkvm_get_gpr(vcpu, rt));
		/* Writes the guest makes with TDA set: switch them next run. */
		if (d->kind == SR_DBG || enc == SYS_MDSCR_EL1)
			mkvm_debug_reg_written(vcpu);
	} else if (d->kind != SR_TIMER ||
		   mkvm_timer_sysreg_write(vcpu, enc, mkvm_get_gpr(vcpu, rt))) {
		/* ID registers, MPIDR, the counters: read-only. */
		mkvm_inject_undef(vcpu);
		return 1;
	}
	mkvm_skip_instr(vcpu);
	return 1;
}
