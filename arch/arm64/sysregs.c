// SPDX-License-Identifier: GPL-2.0
/*
 * Guest system registers, one table for everything: KVM_GET/SET_ONE_REG,
 * KVM_GET_REG_LIST, and the emulation of registers the guest's accesses
 * trap on (HCR_EL2.TID3 ID registers, HCR_EL2.TACR, the physical timer -
 * emulated in timer.c, the PMU).  A trapped access the table does not
 * know injects UNDEF.
 */
#include <linux/kvm.h>
#include <linux/types.h>
#include <asm/arch_timer.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
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
	SR_RAZ_WI,	/* trapped and ignored (ACTLR, PMU, ...) */
};

struct sr_desc {
	u32 enc;		/* sys_reg(op0, op1, crn, crm, op2) */
	enum sr_kind kind;
	int idx;		/* SR_CTXT: index in sys[] */
	bool user;		/* listed in KVM_GET_REG_LIST */
	u64 reset;
};

#define CTXT(e, i, r)	{ .enc = (e), .kind = SR_CTXT, .idx = (i), .user = true, .reset = (r) }
#define IDREG(e)	{ .enc = (e), .kind = SR_ID, .user = true }
#define RAZ(e)		{ .enc = (e), .kind = SR_RAZ_WI }
#define TIMER(e)	{ .enc = (e), .kind = SR_TIMER }

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
	RAZ(SYS_ACTLR_EL1),
	RAZ(SYS_PMCR_EL0),
	RAZ(SYS_PMCNTENSET_EL0),
	RAZ(SYS_PMCNTENCLR_EL0),
	RAZ(SYS_PMOVSCLR_EL0),
	RAZ(SYS_PMUSERENR_EL0),
	RAZ(SYS_PMINTENSET_EL1),
	RAZ(SYS_PMINTENCLR_EL1),
	RAZ(SYS_OSLAR_EL1),
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
 * instructions UNDEFINED.  ID_AA64MMFR3_EL1 (TCR2, S1PIE, S1POE, SCTLR2)
 * and ID_AA64PFR2_EL1 (FPMR) are not in sr_table: they read as zero with
 * the rest of the unlisted ID space (is_id_space()).
 *
 * The GIC fields (ID_AA64PFR0_EL1.GIC, ID_PFR1_EL1.GIC) say GICv3 until
 * the VM first runs; from then on a VM without a vGIC reads them as 0, as
 * KVM finalises them then (its ICC_* accesses UNDEF: vgic.c).  No vGIC
 * can be created once a vCPU ran, so the answer never changes again.
 */
static u64 id_reg_value(struct mkvm_vm *vm, u32 enc)
{
	u64 v;

	if (enc == SYS_MIDR_EL1)
		return read_cpuid_id();
	if (enc == SYS_REVIDR_EL1)
		return read_sysreg(revidr_el1);
	v = read_sanitised_ftr_reg(enc);
	if (READ_ONCE(vm->arch.ran) && !READ_ONCE(vm->arch.vgic.created)) {
		if (enc == SYS_ID_AA64PFR0_EL1)
			v &= ~ID_AA64PFR0_EL1_GIC_MASK;
		if (enc == SYS_ID_PFR1_EL1)
			v &= ~ID_PFR1_EL1_GIC_MASK;
	}
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
	}
	return v;
}

static u64 *ctxt_reg(struct mkvm_vcpu *vcpu, int idx)
{
	return &vcpu->arch.hyp->ctxt.sys[idx];
}

static u64 sr_read(struct mkvm_vcpu *vcpu, const struct sr_desc *d)
{
	switch (d->kind) {
	case SR_CTXT:
		return *ctxt_reg(vcpu, d->idx);
	case SR_ID:
		return id_reg_value(vcpu->vm, d->enc);
	case SR_MPIDR:
		return vcpu->arch.hyp->vmpidr_el2;
	case SR_TIMER:
		return mkvm_timer_sysreg_read(vcpu, d->enc);
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
	default:
		break;
	}
}

/**
 * mkvm_sysregs_reset() - architectural reset of the EL1 registers
 * @vcpu:	the vCPU
 *
 * Every register gets a defined value, none keeps what was there.
 */
void mkvm_sysregs_reset(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_hyp *h = vcpu->arch.hyp;
	unsigned int i;

	memset(h->ctxt.sys, 0, sizeof(h->ctxt.sys));
	for (i = 0; i < ARRAY_SIZE(sr_table); i++)
		if (sr_table[i].kind == SR_CTXT)
			h->ctxt.sys[sr_table[i].idx] = sr_table[i].reset;
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
 * ID registers are read-only: writing the value they hold succeeds,
 * anything else is -EINVAL.
 * Return: 0, -ENOENT, -EINVAL.
 */
int mkvm_sysreg_set(struct mkvm_vcpu *vcpu, u64 id, u64 val)
{
	const struct sr_desc *d = user_desc(id);

	if (!d)
		return -ENOENT;
	if (d->kind == SR_ID)
		return val == id_reg_value(vcpu->vm, d->enc) ? 0 : -EINVAL;
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

	for (i = 0; i < ARRAY_SIZE(sr_table); i++) {
		if (!sr_table[i].user)
			continue;
		if (ids)
			ids[n] = desc_user_id(&sr_table[i]);
		n++;
	}
	return n;
}

/*
 * The debug registers (op0 == 2: breakpoints, watchpoints, OS lock, claim
 * tags) trap with MDCR_EL2.TDA/TDOSA/TDRA and are not given to guests: they
 * read as zero and ignore writes, so the guest cannot touch the host's.
 * MDSCR_EL1, also op0 == 2, is a switched register and in sr_table.
 */
static bool is_debug_space(u32 enc)
{
	return sys_reg_Op0(enc) == 2;
}

/* Reserved encodings of the ID register space read as zero (D19.2). */
static bool is_id_space(u32 enc)
{
	return sys_reg_Op0(enc) == 3 && sys_reg_Op1(enc) == 0 &&
	       sys_reg_CRn(enc) == 0 && sys_reg_CRm(enc) >= 1 &&
	       sys_reg_CRm(enc) <= 7;
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
	const struct sr_desc *d = sr_find(enc);

	/*
	 * SGIs: only group 1 Non-secure ones exist for the guest.  Without a
	 * vGIC they trap (ICH_HCR_EL2.TC) and UNDEF like every ICC_* access.
	 */
	if (!read && READ_ONCE(vcpu->vm->arch.vgic.created) &&
	    (enc == SYS_ICC_SGI1R_EL1 || enc == SYS_ICC_SGI0R_EL1 ||
		      enc == SYS_ICC_ASGI1R_EL1)) {
		if (enc == SYS_ICC_SGI1R_EL1)
			mkvm_vgic_sgi(vcpu, mkvm_get_gpr(vcpu, rt));
		mkvm_skip_instr(vcpu);
		return 1;
	}
	if (!d) {
		if (is_debug_space(enc) || (read && is_id_space(enc))) {
			if (read)
				mkvm_set_gpr(vcpu, rt, 0);
			mkvm_skip_instr(vcpu);
			return 1;
		}
		mkvm_inject_undef(vcpu);
		return 1;
	}
	if (read) {
		mkvm_set_gpr(vcpu, rt, sr_read(vcpu, d));
	} else if (d->kind == SR_CTXT || d->kind == SR_RAZ_WI) {
		sr_write(vcpu, d, mkvm_get_gpr(vcpu, rt));
	} else if (d->kind != SR_TIMER ||
		   mkvm_timer_sysreg_write(vcpu, enc, mkvm_get_gpr(vcpu, rt))) {
		/* ID registers, MPIDR, the counters: read-only. */
		mkvm_inject_undef(vcpu);
		return 1;
	}
	mkvm_skip_instr(vcpu);
	return 1;
}
