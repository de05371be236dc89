// SPDX-License-Identifier: GPL-2.0
/*
 * SMCCC and PSCI for guests, through HVC or SMC (both conduits, as KVM).
 * PSCI 1.1 as KVM reports it to a vCPU created with KVM_ARM_VCPU_PSCI_0_2
 * (or the older version the VMM sets in KVM_REG_ARM_PSCI_VERSION), the Arm
 * architecture calls (ARCH_FEATURES, the Spectre workarounds), TRNG, PV
 * time and KVM's vendor services (KVM_FEATURES, CALL_UID, PTP), each
 * service hidden when the VMM clears its bit in the firmware bitmap
 * registers; anything else answers SMCCC NOT_SUPPORTED (-1).  Spec: Arm
 * DEN0022 (PSCI), DEN0028 (SMCCC), DEN0098 (TRNG), DEN0057 (PV time).
 */
#include <linux/arm-smccc.h>
#include <linux/kvm.h>
#include <linux/sched/signal.h>
#include <linux/cpu.h>
#include <linux/clocksource_ids.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>
#include <uapi/linux/psci.h>
#include <asm/arch_timer.h>
#include <asm/cpufeature.h>
#include <asm/cputype.h>
#include <asm/esr.h>
#include <asm/kvm.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/run.h>

/* KVM_REG_ARM_PSCI_VERSION values: PSCI_VERSION() layout, as KVM's. */
#define MKVM_PSCI_0_1	PSCI_VERSION(0, 1)
#define MKVM_PSCI_0_2	PSCI_VERSION(0, 2)
#define MKVM_PSCI_1_0	PSCI_VERSION(1, 0)
#define MKVM_PSCI_1_1	PSCI_VERSION(1, 1)

/* ---- which services a VM offers (the KVM_REG_ARM_*_BMAP registers) -- */

enum { BMAP_STD, BMAP_STD_HYP, BMAP_VENDOR_HYP };

static const u64 bmap_valid[] = {
	[BMAP_STD]	  = GENMASK(KVM_REG_ARM_STD_BMAP_BIT_COUNT - 1, 0),
	[BMAP_STD_HYP]	  = GENMASK(KVM_REG_ARM_STD_HYP_BMAP_BIT_COUNT - 1, 0),
	[BMAP_VENDOR_HYP] = GENMASK(KVM_REG_ARM_VENDOR_HYP_BMAP_BIT_COUNT - 1, 0),
};

static u64 bmap_offered(struct mkvm_vm *vm, unsigned int b)
{
	return bmap_valid[b] & ~READ_ONCE(vm->arch.smccc_hidden[b]);
}

static bool offers(struct mkvm_vm *vm, unsigned int b, unsigned int bit)
{
	return bmap_offered(vm, b) & BIT(bit);
}

/*
 * The bitmap bit that gates @fn, as KVM has them; false for calls no bit
 * gates (the Arm architecture calls, PSCI: always offered).
 */
static bool smccc_hidden(struct mkvm_vm *vm, u32 fn)
{
	switch (fn) {
	case ARM_SMCCC_TRNG_VERSION:
	case ARM_SMCCC_TRNG_FEATURES:
	case ARM_SMCCC_TRNG_GET_UUID:
	case ARM_SMCCC_TRNG_RND32:
	case ARM_SMCCC_TRNG_RND64:
		return !offers(vm, BMAP_STD, KVM_REG_ARM_STD_BIT_TRNG_V1_0);
	case ARM_SMCCC_HV_PV_TIME_FEATURES:
	case ARM_SMCCC_HV_PV_TIME_ST:
		return !offers(vm, BMAP_STD_HYP, KVM_REG_ARM_STD_HYP_BIT_PV_TIME);
	case ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID:
	case ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID:
		return !offers(vm, BMAP_VENDOR_HYP,
			       KVM_REG_ARM_VENDOR_HYP_BIT_FUNC_FEAT);
	case ARM_SMCCC_VENDOR_HYP_KVM_PTP_FUNC_ID:
		return !offers(vm, BMAP_VENDOR_HYP, KVM_REG_ARM_VENDOR_HYP_BIT_PTP);
	default:
		return false;
	}
}

/* The PSCI version the guest gets: MKVM_PSCI_* (PSCI_VERSION layout). */
static u32 psci_version(struct mkvm_vcpu *vcpu)
{
	u32 v = READ_ONCE(vcpu->vm->arch.psci_version);

	if (!(vcpu->arch.features & BIT(KVM_ARM_VCPU_PSCI_0_2)))
		return MKVM_PSCI_0_1;
	return v ? v : MKVM_PSCI_1_1;
}

/* ---- the Spectre workarounds, as the guest is told of them ----------- */

/*
 * A guest's WORKAROUND_1/3 call traps to EL2, whose exit path runs the
 * host's branch-predictor mitigation (el2.c, el2_exit_mitigation()): the
 * call is mitigated exactly when the host mitigates guest exits.  The
 * kernel's own verdicts (arm64_get_spectre_*_state()) are not exported;
 * these use the same inputs: whether any CPU is affected, and whether the
 * mitigation is on; WORKAROUND_3 also whether the host mitigates BHB at
 * all (host_bhb_mitigated()).  WORKAROUND_2 (Spectre-v4) is never
 * offered: minikvm does not toggle the host's SSBD for a guest, and a
 * guest with SSBS (kept in ID_AA64PFR1_EL1) controls it itself, as KVM
 * reports then.
 */
static int fw_has_workaround(u32 id)
{
	struct arm_smccc_res res;

	if (arm_smccc_1_1_get_conduit() == SMCCC_CONDUIT_NONE)
		return false;
	arm_smccc_1_1_invoke(ARM_SMCCC_ARCH_FEATURES_FUNC_ID, id, &res);
	return (int)res.a0 == SMCCC_RET_SUCCESS;
}

/*
 * The CPUs on which the kernel clears the branch history with its branchy
 * loop (proton-pack.c, spectre_bhb_loop_affected(), not exported): on
 * them it mitigates Spectre-BHB without firmware or CPU help.
 */
static const struct midr_range bhb_loop_cpus[] = {
	MIDR_ALL_VERSIONS(MIDR_CORTEX_X3),
	MIDR_ALL_VERSIONS(MIDR_NEOVERSE_V2),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A715),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A720),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A78),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A78AE),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A78C),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_X1),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_X1C),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A710),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_X2),
	MIDR_ALL_VERSIONS(MIDR_NEOVERSE_N2),
	MIDR_ALL_VERSIONS(MIDR_NEOVERSE_V1),
	MIDR_ALL_VERSIONS(MIDR_HISI_TSV110),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A76),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A76AE),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A77),
	MIDR_ALL_VERSIONS(MIDR_NEOVERSE_N1),
	MIDR_ALL_VERSIONS(MIDR_QCOM_KRYO_4XX_GOLD),
	MIDR_ALL_VERSIONS(MIDR_HISI_HIP09),
	MIDR_ALL_VERSIONS(MIDR_AMPERE1),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A72),
	MIDR_ALL_VERSIONS(MIDR_CORTEX_A57),
	{},
};

/*
 * On each CPU (an IPI): is this one affected by Spectre-BHB with nothing
 * of its own to mitigate it - no ECBHB, no CLRBHB, not a loop CPU?  Then
 * *@open is set.
 */
static void bhb_check_cpu(void *open)
{
	u64 mmfr1 = read_sysreg_s(SYS_ID_AA64MMFR1_EL1);
	u64 isar2 = read_sysreg_s(SYS_ID_AA64ISAR2_EL1);

	if (!this_cpu_has_cap(ARM64_SPECTRE_BHB))
		return;
	if (cpuid_feature_extract_unsigned_field(mmfr1,
						 ID_AA64MMFR1_EL1_ECBHB_SHIFT) ||
	    cpuid_feature_extract_unsigned_field(isar2,
						 ID_AA64ISAR2_EL1_CLRBHB_SHIFT) ||
	    is_midr_in_range_list(read_cpuid_id(), bhb_loop_cpus))
		return;
	WRITE_ONCE(*(bool *)open, true);
}

/*
 * Does the host mitigate Spectre-BHB, as the kernel decides it
 * (arm64_get_spectre_bhb_state() == SPECTRE_MITIGATED, which is what KVM
 * tells its guests)?  That verdict is not exported; this weighs its
 * inputs in its order: nothing when Spectre-v2 is left open (no firmware
 * WORKAROUND_1 on an affected CPU: "no point mitigating BHB alone"), then
 * on every affected CPU ECBHB, CLRBHB, the loop, else firmware
 * WORKAROUND_3.  A CPU on none of these leaves the host vulnerable, and
 * the guest must hear so: told WORKAROUND_3 is there, it would call it on
 * every entry from EL0 for a protection the host does not give itself.
 * Computed once, on the CPUs online then (the kernel's verdict is fixed
 * at boot too).  The caller has checked the capability and mitigations.
 */
static bool host_bhb_mitigated(void)
{
	static int mitigated = -1;
	bool open = false;
	int m = READ_ONCE(mitigated);

	if (m >= 0)
		return m;
	if (cpus_have_cap(ARM64_SPECTRE_V2) &&
	    !fw_has_workaround(ARM_SMCCC_ARCH_WORKAROUND_1)) {
		open = true;
	} else if (!fw_has_workaround(ARM_SMCCC_ARCH_WORKAROUND_3)) {
		cpus_read_lock();
		on_each_cpu(bhb_check_cpu, &open, 1);
		cpus_read_unlock();
	}
	WRITE_ONCE(mitigated, !open);
	return !open;
}

static u64 wa_level(u64 id)
{
	switch (id) {
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
		if (!cpus_have_cap(ARM64_SPECTRE_V2))
			return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED;
		if (cpu_mitigations_off() ||
		    !(fw_has_workaround(ARM_SMCCC_ARCH_WORKAROUND_1) ||
		      fw_has_workaround(ARM_SMCCC_ARCH_WORKAROUND_3)))
			return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_AVAIL;
		return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_AVAIL;
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
		if (!cpus_have_cap(ARM64_SPECTRE_V4))
			return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED;
		return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL;
	default:	/* WORKAROUND_3 */
		if (!cpus_have_cap(ARM64_SPECTRE_BHB))
			return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED;
		if (cpu_mitigations_off() ||
		    !IS_ENABLED(CONFIG_MITIGATE_SPECTRE_BRANCH_HISTORY) ||
		    !host_bhb_mitigated())
			return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL;
		return KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_AVAIL;
	}
}

/* SMCCC_ARCH_FEATURES for a workaround: the answer matching wa_level(). */
static long wa_feature(u64 id)
{
	u64 l = wa_level(id);

	if (id == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2)
		return l == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED ?
		       SMCCC_RET_NOT_REQUIRED : SMCCC_RET_NOT_SUPPORTED;
	/* WORKAROUND_1 and _3 share their level values. */
	switch (l) {
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_AVAIL:
		return SMCCC_RET_SUCCESS;
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED:
		return SMCCC_ARCH_WORKAROUND_RET_UNAFFECTED;
	default:
		return SMCCC_RET_NOT_SUPPORTED;
	}
}

/* ---- KVM_GET/SET_ONE_REG on the firmware pseudo-registers ------------ */

static const u64 fw_reg_ids[] = {
	KVM_REG_ARM_PSCI_VERSION,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
	KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3,
	KVM_REG_ARM_STD_BMAP,
	KVM_REG_ARM_STD_HYP_BMAP,
	KVM_REG_ARM_VENDOR_HYP_BMAP,
};

#define WA_LEVEL_MASK	GENMASK(3, 0)

/**
 * mkvm_fw_reg_ids() - the firmware register ids KVM_GET_REG_LIST reports
 * @ids:	where to store them, or NULL to count
 *
 * Return: how many there are.
 */
unsigned int mkvm_fw_reg_ids(u64 *ids)
{
	if (ids)
		memcpy(ids, fw_reg_ids, sizeof(fw_reg_ids));
	return ARRAY_SIZE(fw_reg_ids);
}

static int bmap_index(u64 id)
{
	switch (id) {
	case KVM_REG_ARM_STD_BMAP:
		return BMAP_STD;
	case KVM_REG_ARM_STD_HYP_BMAP:
		return BMAP_STD_HYP;
	case KVM_REG_ARM_VENDOR_HYP_BMAP:
		return BMAP_VENDOR_HYP;
	default:
		return -1;
	}
}

/**
 * mkvm_fw_reg_get() - KVM_GET_ONE_REG, KVM_REG_ARM_FW and _FW_FEAT_BMAP
 * @vcpu:	the vCPU
 * @id:		the register id
 * @val:	its value
 *
 * Return: 0, or -ENOENT for an id that names no register.
 */
int mkvm_fw_reg_get(struct mkvm_vcpu *vcpu, u64 id, u64 *val)
{
	int b = bmap_index(id);

	if (b >= 0) {
		*val = bmap_offered(vcpu->vm, b);
		return 0;
	}
	switch (id) {
	case KVM_REG_ARM_PSCI_VERSION:
		*val = psci_version(vcpu);
		return 0;
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3:
		*val = wa_level(id);
		return 0;
	default:
		return -ENOENT;
	}
}

static int bmap_set(struct mkvm_vm *vm, int b, u64 val)
{
	int ret = 0;

	if (val & ~bmap_valid[b])
		return -EINVAL;
	mutex_lock(&vm->lock);
	/* Fixed once the VM ran: the guest may have probed the services. */
	if (vm->arch.ran && val != bmap_offered(vm, b))
		ret = -EBUSY;
	else
		WRITE_ONCE(vm->arch.smccc_hidden[b], bmap_valid[b] & ~val);
	mutex_unlock(&vm->lock);
	return ret;
}

/* A workaround level may be set to one the host provides, or lower. */
static int wa_set(u64 id, u64 val)
{
	u64 level;

	if (id != KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2) {
		if (val & ~WA_LEVEL_MASK)
			return -EINVAL;
		return val > wa_level(id) ? -EINVAL : 0;
	}
	if (val & ~(WA_LEVEL_MASK | KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED))
		return -EINVAL;
	level = val & WA_LEVEL_MASK;
	if ((val & KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED) &&
	    level != KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_AVAIL)
		return -EINVAL;
	/* A source host's UNKNOWN/AVAIL fold into NOT_AVAIL/NOT_REQUIRED. */
	switch (level) {
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_UNKNOWN:
		level = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL;
		break;
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_AVAIL:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED:
		level = KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_REQUIRED;
		break;
	default:
		return -EINVAL;
	}
	return level > wa_level(id) ? -EINVAL : 0;
}

/**
 * mkvm_fw_reg_set() - KVM_SET_ONE_REG, KVM_REG_ARM_FW and _FW_FEAT_BMAP
 * @vcpu:	the vCPU
 * @id:		the register id
 * @val:	the value
 *
 * PSCI_VERSION takes 0.1 for a vCPU without KVM_ARM_VCPU_PSCI_0_2, else
 * 0.2, 1.0 or 1.1, for the whole VM; a workaround register takes a level
 * no better than this host's (a VM moved here must not count on more);
 * a bitmap takes its known bits until the VM first ran, then only the
 * value it holds.
 * Return: 0, -ENOENT, -EINVAL, -EBUSY.
 */
int mkvm_fw_reg_set(struct mkvm_vcpu *vcpu, u64 id, u64 val)
{
	bool v02 = vcpu->arch.features & BIT(KVM_ARM_VCPU_PSCI_0_2);
	int b = bmap_index(id);

	if (b >= 0)
		return bmap_set(vcpu->vm, b, val);
	switch (id) {
	case KVM_REG_ARM_PSCI_VERSION:
		switch (val) {
		case MKVM_PSCI_0_1:
			if (v02)
				return -EINVAL;
			break;
		case MKVM_PSCI_0_2:
		case MKVM_PSCI_1_0:
		case MKVM_PSCI_1_1:
			if (!v02)
				return -EINVAL;
			break;
		default:
			return -EINVAL;
		}
		WRITE_ONCE(vcpu->vm->arch.psci_version, val);
		return 0;
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2:
	case KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3:
		return wa_set(id, val);
	default:
		return -ENOENT;
	}
}

/* ---- the services behind the bitmaps ---------------------------------- */

/* Arm's TRNG (DEN0098) UUID, as KVM reports it. */
static const uuid_t trng_uuid __aligned(4) =
	UUID_INIT(0x0d21e000, 0x4384, 0x11eb,
		  0x80, 0x70, 0x52, 0x44, 0x55, 0x4e, 0x5a, 0x4c);

#define TRNG_VERSION_1_0	0x10000UL
#define TRNG_NOT_SUPPORTED	((unsigned long)-1)
#define TRNG_INVALID_PARAMETER	((unsigned long)-2)

static void set_ret4(struct mkvm_vcpu *vcpu, u64 a0, u64 a1, u64 a2, u64 a3)
{
	mkvm_set_gpr(vcpu, 0, a0);
	mkvm_set_gpr(vcpu, 1, a1);
	mkvm_set_gpr(vcpu, 2, a2);
	mkvm_set_gpr(vcpu, 3, a3);
}

/* RND32/RND64: up to 96 / 192 bits, the low ones in the last register. */
static void trng_rnd(struct mkvm_vcpu *vcpu, u32 fn)
{
	unsigned int width = fn == ARM_SMCCC_TRNG_RND32 ? 32 : 64;
	u64 nbits = (u32)mkvm_get_gpr(vcpu, 1);
	u64 r[3] = {};
	unsigned int i;

	if (nbits > 3 * width) {
		set_ret4(vcpu, TRNG_INVALID_PARAMETER, 0, 0, 0);
		return;
	}
	for (i = 0; i < 3 && i * width < nbits; i++) {
		unsigned int n = min_t(u64, width, nbits - i * width);

		r[i] = get_random_u64() & GENMASK_ULL(n - 1, 0);
	}
	set_ret4(vcpu, 0, r[2], r[1], r[0]);
	memzero_explicit(r, sizeof(r));
}

static void trng_call(struct mkvm_vcpu *vcpu, u32 fn)
{
	const __le32 *u = (const __le32 *)trng_uuid.b;

	switch (fn) {
	case ARM_SMCCC_TRNG_VERSION:
		set_ret4(vcpu, TRNG_VERSION_1_0, 0, 0, 0);
		return;
	case ARM_SMCCC_TRNG_FEATURES:
		switch ((u32)mkvm_get_gpr(vcpu, 1)) {
		case ARM_SMCCC_TRNG_VERSION:
		case ARM_SMCCC_TRNG_FEATURES:
		case ARM_SMCCC_TRNG_GET_UUID:
		case ARM_SMCCC_TRNG_RND32:
		case ARM_SMCCC_TRNG_RND64:
			set_ret4(vcpu, 0, 0, 0, 0);
			return;
		}
		set_ret4(vcpu, TRNG_NOT_SUPPORTED, 0, 0, 0);
		return;
	case ARM_SMCCC_TRNG_GET_UUID:
		set_ret4(vcpu, le32_to_cpu(u[0]), le32_to_cpu(u[1]),
			 le32_to_cpu(u[2]), le32_to_cpu(u[3]));
		return;
	default:
		trng_rnd(vcpu, fn);
	}
}

/*
 * PTP (KVM's vendor service): wall-clock time and the guest's counter at
 * one instant, for the guest's ptp_kvm driver; all ones in x0 when the
 * host's clocksource is not the counter the guest sees.
 */
static void ptp_call(struct mkvm_vcpu *vcpu)
{
	struct system_time_snapshot snap;
	u64 cycles;

	ktime_get_snapshot(&snap);
	if (snap.cs_id != CSID_ARM_ARCH_COUNTER) {
		set_ret4(vcpu, SMCCC_RET_NOT_SUPPORTED, 0, 0, 0);
		return;
	}
	switch ((u32)mkvm_get_gpr(vcpu, 1)) {
	case KVM_PTP_VIRT_COUNTER:
		cycles = snap.cycles - vcpu->arch.hyp->cntvoff_el2;
		break;
	case KVM_PTP_PHYS_COUNTER:
		cycles = snap.cycles;
		break;
	default:
		set_ret4(vcpu, SMCCC_RET_NOT_SUPPORTED, 0, 0, 0);
		return;
	}
	set_ret4(vcpu, upper_32_bits(snap.real), lower_32_bits(snap.real),
		 upper_32_bits(cycles), lower_32_bits(cycles));
}

/*
 * The calls besides PSCI.  Return: true when @fn was one of them (the
 * result registers set), false to try PSCI.
 */
static bool service_call(struct mkvm_vcpu *vcpu, u32 fn)
{
	u32 arg = mkvm_get_gpr(vcpu, 1);
	long ret = SMCCC_RET_NOT_SUPPORTED;

	switch (fn) {
	case ARM_SMCCC_ARCH_FEATURES_FUNC_ID:
		switch (arg) {
		case ARM_SMCCC_ARCH_WORKAROUND_1:
			ret = wa_feature(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1);
			break;
		case ARM_SMCCC_ARCH_WORKAROUND_2:
			ret = wa_feature(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2);
			break;
		case ARM_SMCCC_ARCH_WORKAROUND_3:
			ret = wa_feature(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3);
			break;
		case ARM_SMCCC_HV_PV_TIME_FEATURES:
			if (offers(vcpu->vm, BMAP_STD_HYP,
				   KVM_REG_ARM_STD_HYP_BIT_PV_TIME))
				ret = SMCCC_RET_SUCCESS;
			break;
		}
		break;
	case ARM_SMCCC_ARCH_WORKAROUND_1:
	case ARM_SMCCC_ARCH_WORKAROUND_3:
		/* The trap to EL2 already ran the mitigation (see wa_level). */
		ret = SMCCC_RET_SUCCESS;
		break;
	case ARM_SMCCC_HV_PV_TIME_FEATURES:
		ret = mkvm_pvtime_features(vcpu, arg);
		break;
	case ARM_SMCCC_HV_PV_TIME_ST:
		ret = mkvm_steal_time_init(vcpu);
		break;
	case ARM_SMCCC_VENDOR_HYP_CALL_UID_FUNC_ID:
		set_ret4(vcpu, ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_0,
			 ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_1,
			 ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_2,
			 ARM_SMCCC_VENDOR_HYP_UID_KVM_REG_3);
		return true;
	case ARM_SMCCC_VENDOR_HYP_KVM_FEATURES_FUNC_ID:
		set_ret4(vcpu, bmap_offered(vcpu->vm, BMAP_VENDOR_HYP), 0, 0, 0);
		return true;
	case ARM_SMCCC_VENDOR_HYP_KVM_PTP_FUNC_ID:
		ptp_call(vcpu);
		return true;
	case ARM_SMCCC_TRNG_VERSION:
	case ARM_SMCCC_TRNG_FEATURES:
	case ARM_SMCCC_TRNG_GET_UUID:
	case ARM_SMCCC_TRNG_RND32:
	case ARM_SMCCC_TRNG_RND64:
		trng_call(vcpu, fn);
		return true;
	default:
		return false;
	}
	mkvm_set_gpr(vcpu, 0, ret);
	return true;
}

/* PSCI's own function ids: 0x84000000-0x8400001f and the SMC64 twins. */
static bool is_psci_fn(u32 fn)
{
	return ARM_SMCCC_OWNER_NUM(fn) == ARM_SMCCC_OWNER_STANDARD &&
	       ARM_SMCCC_FUNC_NUM(fn) <= 0x1f;
}

/* Arguments of a 32-bit call are the low halves of the registers. */
static u64 smccc_arg(struct mkvm_vcpu *vcpu, unsigned int n, u32 fn)
{
	u64 v = mkvm_get_gpr(vcpu, n);

	return ARM_SMCCC_IS_64(fn) ? v : (u32)v;
}

/* Stop every vCPU and tell the VMM: the guest switched the machine off. */
static int system_event(struct mkvm_vcpu *vcpu, u32 type, u64 flags)
{
	struct mkvm_vm *vm = vcpu->vm;
	int i, n = mkvm_nr_vcpus(vm);

	for (i = 0; i < n; i++) {
		struct mkvm_vcpu *v = vm->vcpus[i];

		WRITE_ONCE(v->arch.power, MKVM_POWER_OFF);
		mkvm_vcpu_kick(v);
	}
	memset(&vcpu->run->system_event, 0, sizeof(vcpu->run->system_event));
	vcpu->run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	vcpu->run->system_event.type = type;
	vcpu->run->system_event.ndata = 1;
	vcpu->run->system_event.data[0] = flags;
	/* If the VMM resumes the vCPU anyway, the call failed. */
	mkvm_set_gpr(vcpu, 0, PSCI_RET_INTERNAL_FAILURE);
	return 0;
}

/*
 * SYSTEM_SUSPEND with KVM_CAP_ARM_SYSTEM_SUSPEND: the VMM implements it
 * (api.rst), so the vCPU exits with its registers as the guest left them,
 * x0 still the function id and x1/x2 the entry point and context id.  As
 * KVM, a 32-bit call has the upper halves of x1-x3 cleared first, and no
 * vCPU changes power state: that is the VMM's choice.
 */
static int system_suspend(struct mkvm_vcpu *vcpu, u32 fn)
{
	unsigned int i;

	if (!ARM_SMCCC_IS_64(fn))
		for (i = 1; i < 4; i++)
			mkvm_set_gpr(vcpu, i, (u32)mkvm_get_gpr(vcpu, i));
	memset(&vcpu->run->system_event, 0, sizeof(vcpu->run->system_event));
	vcpu->run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	vcpu->run->system_event.type = KVM_SYSTEM_EVENT_SUSPEND;
	return 0;
}

static long psci_cpu_on(struct mkvm_vcpu *vcpu, u32 fn)
{
	u64 mpidr = smccc_arg(vcpu, 1, fn) & MPIDR_HWID_BITMASK;
	struct mkvm_vcpu *target = mkvm_vcpu_by_mpidr(vcpu->vm, mpidr);

	if (!target)
		return PSCI_RET_INVALID_PARAMS;
	/* As KVM: a CPU_ON still being acted on is ALREADY_ON too. */
	if (READ_ONCE(target->arch.power) == MKVM_POWER_ON)
		return PSCI_RET_ALREADY_ON;
	target->arch.on_entry = smccc_arg(vcpu, 2, fn);
	target->arch.on_context = smccc_arg(vcpu, 3, fn);
	target->arch.power_on_pending = true;
	/* The entry point and context are visible before it runs. */
	smp_store_release(&target->arch.power, MKVM_POWER_ON);
	mkvm_vcpu_kick(target);
	return PSCI_RET_SUCCESS;
}

static long psci_affinity_info(struct mkvm_vcpu *vcpu, u32 fn)
{
	u64 aff = smccc_arg(vcpu, 1, fn) & MPIDR_HWID_BITMASK;
	u64 level = smccc_arg(vcpu, 2, fn), mask;
	struct mkvm_vm *vm = vcpu->vm;
	int i, n = mkvm_nr_vcpus(vm);
	bool found = false;

	if (level > 3)
		return PSCI_RET_INVALID_PARAMS;
	mask = MPIDR_HWID_BITMASK << MPIDR_LEVEL_SHIFT(level);
	for (i = 0; i < n; i++) {
		struct mkvm_vcpu *v = vm->vcpus[i];

		if ((v->arch.mpidr & mask) != (aff & mask))
			continue;
		found = true;
		if (READ_ONCE(v->arch.power) == MKVM_POWER_ON)
			return PSCI_0_2_AFFINITY_LEVEL_ON;
	}
	return found ? PSCI_0_2_AFFINITY_LEVEL_OFF : PSCI_RET_INVALID_PARAMS;
}

static long psci_features(struct mkvm_vcpu *vcpu)
{
	u32 fn = mkvm_get_gpr(vcpu, 1);

	/* SYSTEM_RESET2 came with PSCI 1.1. */
	if (psci_version(vcpu) < MKVM_PSCI_1_1 &&
	    (fn == PSCI_1_1_FN_SYSTEM_RESET2 ||
	     fn == PSCI_1_1_FN64_SYSTEM_RESET2))
		return PSCI_RET_NOT_SUPPORTED;
	switch (fn) {
	case PSCI_1_0_FN_SYSTEM_SUSPEND:
	case PSCI_1_0_FN64_SYSTEM_SUSPEND:
		return READ_ONCE(vcpu->vm->arch.system_suspend) ?
		       0 : PSCI_RET_NOT_SUPPORTED;
	case PSCI_0_2_FN_PSCI_VERSION:
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
	case PSCI_0_2_FN_CPU_OFF:
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
	case PSCI_0_2_FN_SYSTEM_OFF:
	case PSCI_0_2_FN_SYSTEM_RESET:
	case PSCI_1_0_FN_PSCI_FEATURES:
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
	case ARM_SMCCC_VERSION_FUNC_ID:
		return 0;
	default:
		return PSCI_RET_NOT_SUPPORTED;
	}
}

/* Returns 1 to re-enter the guest with x0 = @ret, 0 to exit, <0 error. */
static int psci_call(struct mkvm_vcpu *vcpu, u32 fn, long *ret)
{
	u32 version = psci_version(vcpu);
	u64 reset_type;

	/*
	 * The functions a VMM-chosen older version lacks: PSCI_FEATURES and
	 * SYSTEM_SUSPEND came with 1.0, SYSTEM_RESET2 with 1.1.
	 */
	switch (fn) {
	case PSCI_1_0_FN_PSCI_FEATURES:
	case PSCI_1_0_FN_SYSTEM_SUSPEND:
	case PSCI_1_0_FN64_SYSTEM_SUSPEND:
		if (version < MKVM_PSCI_1_0) {
			*ret = PSCI_RET_NOT_SUPPORTED;
			return 1;
		}
		break;
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
		if (version < MKVM_PSCI_1_1) {
			*ret = PSCI_RET_NOT_SUPPORTED;
			return 1;
		}
		break;
	}

	switch (fn) {
	case PSCI_0_2_FN_PSCI_VERSION:
		*ret = version;
		return 1;
	case PSCI_0_2_FN_CPU_SUSPEND:
	case PSCI_0_2_FN64_CPU_SUSPEND:
		/* A suspend may return at once, like a WFI woken early. */
		*ret = PSCI_RET_SUCCESS;
		return 1;
	case PSCI_0_2_FN_CPU_OFF:
		WRITE_ONCE(vcpu->arch.power, MKVM_POWER_OFF);
		*ret = PSCI_RET_INTERNAL_FAILURE;	/* only if woken wrongly */
		return 1;
	case PSCI_0_2_FN_CPU_ON:
	case PSCI_0_2_FN64_CPU_ON:
		*ret = psci_cpu_on(vcpu, fn);
		return 1;
	case PSCI_0_2_FN_AFFINITY_INFO:
	case PSCI_0_2_FN64_AFFINITY_INFO:
		*ret = psci_affinity_info(vcpu, fn);
		return 1;
	case PSCI_0_2_FN_MIGRATE_INFO_TYPE:
		*ret = PSCI_0_2_TOS_MP;
		return 1;
	case PSCI_1_0_FN_PSCI_FEATURES:
		*ret = psci_features(vcpu);
		return 1;
	case PSCI_0_2_FN_SYSTEM_OFF:
		return system_event(vcpu, KVM_SYSTEM_EVENT_SHUTDOWN, 0);
	case PSCI_0_2_FN_SYSTEM_RESET:
		return system_event(vcpu, KVM_SYSTEM_EVENT_RESET, 0);
	case PSCI_1_0_FN_SYSTEM_SUSPEND:
	case PSCI_1_0_FN64_SYSTEM_SUSPEND:
		if (!READ_ONCE(vcpu->vm->arch.system_suspend)) {
			*ret = PSCI_RET_NOT_SUPPORTED;
			return 1;
		}
		return system_suspend(vcpu, fn);
	case PSCI_1_1_FN_SYSTEM_RESET2:
	case PSCI_1_1_FN64_SYSTEM_RESET2:
		reset_type = smccc_arg(vcpu, 1, fn);
		if (!(reset_type & BIT(31)) &&
		    reset_type != PSCI_1_1_RESET_TYPE_SYSTEM_WARM_RESET) {
			*ret = PSCI_RET_INVALID_PARAMS;
			return 1;
		}
		return system_event(vcpu, KVM_SYSTEM_EVENT_RESET,
				    KVM_SYSTEM_EVENT_RESET_FLAG_PSCI_RESET2);
	case ARM_SMCCC_VERSION_FUNC_ID:
		*ret = ARM_SMCCC_VERSION_1_1;
		return 1;
	default:
		*ret = SMCCC_RET_NOT_SUPPORTED;
		return 1;
	}
}

/* ---- the SMCCC filter (KVM_ARM_VM_SMCCC_CTRL, api.rst) --------------- */

/*
 * The Arm architecture calls (SMCCC_VERSION, ARCH_FEATURES, the Spectre
 * workarounds) stay with the kernel once a filter exists, as in KVM: a
 * VMM could otherwise misreport the mitigations to the guest.
 */
#define SMC32_ARCH_FIRST	ARM_SMCCC_VERSION_FUNC_ID
#define SMC32_ARCH_LAST		ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, \
						   ARM_SMCCC_SMC_32, 0, \
						   ARM_SMCCC_FUNC_MASK)
#define SMC64_ARCH_FIRST	ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, \
						   ARM_SMCCC_SMC_64, 0, 0)
#define SMC64_ARCH_LAST		ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, \
						   ARM_SMCCC_SMC_64, 0, \
						   ARM_SMCCC_FUNC_MASK)

/* Index of the first range ending at or after @fn (binary search). */
static unsigned int filter_pos(const struct mkvm_arch_vm *a, u32 fn)
{
	unsigned int lo = 0, hi = a->nr_smccc_filter;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (a->smccc_filter[mid].end < fn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Insert [base, end]: -EEXIST if it overlaps a range already there. */
static int filter_insert(struct mkvm_arch_vm *a, u32 base, u32 end, u8 action)
{
	unsigned int pos = filter_pos(a, base), n = a->nr_smccc_filter;
	struct mkvm_smccc_range *r;

	if (pos < n && a->smccc_filter[pos].base <= end)
		return -EEXIST;
	/*
	 * One array, charged to the VMM; past the largest kmalloc (some
	 * 350,000 ranges) the VMM gets -ENOMEM, not a kernel warning.
	 */
	r = krealloc_array(a->smccc_filter, n + 1, sizeof(*r),
			   GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!r)
		return -ENOMEM;
	memmove(&r[pos + 1], &r[pos], (n - pos) * sizeof(*r));
	r[pos] = (struct mkvm_smccc_range){ base, end, action };
	a->smccc_filter = r;
	a->nr_smccc_filter = n + 1;
	return 0;
}

static int smccc_set_filter(struct mkvm_vm *vm,
			    struct kvm_smccc_filter __user *uaddr)
{
	struct mkvm_arch_vm *a = &vm->arch;
	struct kvm_smccc_filter f;
	u32 end;
	int ret;

	if (copy_from_user(&f, uaddr, sizeof(f)))
		return -EFAULT;
	if (memchr_inv(f.pad, 0, sizeof(f.pad)))
		return -EINVAL;
	end = f.base + f.nr_functions - 1;
	if (!f.nr_functions || end < f.base ||
	    f.action > KVM_SMCCC_FILTER_FWD_TO_USER)
		return -EINVAL;

	mutex_lock(&vm->lock);
	/* As KVM: the filter is fixed once a vCPU ran (read unlocked then). */
	if (vm->arch.ran) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (!a->nr_smccc_filter) {
		ret = filter_insert(a, SMC32_ARCH_FIRST, SMC32_ARCH_LAST,
				    KVM_SMCCC_FILTER_HANDLE);
		if (!ret)
			ret = filter_insert(a, SMC64_ARCH_FIRST,
					    SMC64_ARCH_LAST,
					    KVM_SMCCC_FILTER_HANDLE);
		if (ret)
			goto out_free_filter;
	}
	ret = filter_insert(a, f.base, end, f.action);
	goto out_unlock;

out_free_filter:
	mkvm_smccc_vm_destroy(vm);
out_unlock:
	mutex_unlock(&vm->lock);
	return ret;
}

/**
 * mkvm_smccc_has_attr() - KVM_HAS_DEVICE_ATTR, group KVM_ARM_VM_SMCCC_CTRL
 * @vm:		the VM
 * @attr:	the attribute
 *
 * Return: 0 for KVM_ARM_VM_SMCCC_FILTER, -ENXIO for anything else.
 */
int mkvm_smccc_has_attr(struct mkvm_vm *vm, u64 attr)
{
	return attr == KVM_ARM_VM_SMCCC_FILTER ? 0 : -ENXIO;
}

/**
 * mkvm_smccc_set_attr() - KVM_SET_DEVICE_ATTR, group KVM_ARM_VM_SMCCC_CTRL
 * @vm:		the VM
 * @attr:	the attribute
 * @uaddr:	its struct kvm_smccc_filter
 *
 * Return: 0, -ENXIO (unknown attribute), -EFAULT, -EINVAL (non-zero
 * padding, no functions, a range past 0xffffffff, an unknown action),
 * -EEXIST (overlaps a range already set or the reserved Arm architecture
 * calls), -EBUSY (a vCPU already ran), -ENOMEM.
 */
int mkvm_smccc_set_attr(struct mkvm_vm *vm, u64 attr, void __user *uaddr)
{
	if (attr != KVM_ARM_VM_SMCCC_FILTER)
		return -ENXIO;
	return smccc_set_filter(vm, uaddr);
}

/**
 * mkvm_smccc_vm_destroy() - free the SMCCC filter
 * @vm:		the VM, torn down (or its filter being discarded)
 */
void mkvm_smccc_vm_destroy(struct mkvm_vm *vm)
{
	kfree(vm->arch.smccc_filter);
	vm->arch.smccc_filter = NULL;
	vm->arch.nr_smccc_filter = 0;
}

/* What the filter says of @fn; no range or no filter: HANDLE. */
static u8 filter_action(struct mkvm_vm *vm, u32 fn)
{
	struct mkvm_arch_vm *a = &vm->arch;
	unsigned int pos;

	if (!a->nr_smccc_filter)
		return KVM_SMCCC_FILTER_HANDLE;
	pos = filter_pos(a, fn);
	if (pos < a->nr_smccc_filter && a->smccc_filter[pos].base <= fn)
		return a->smccc_filter[pos].action;
	return KVM_SMCCC_FILTER_HANDLE;
}

/* FWD_TO_USER: the VMM answers; x0-x17 stay as the guest left them. */
static int hypercall_exit(struct mkvm_vcpu *vcpu, u32 fn)
{
	u64 esr = vcpu->arch.hyp->esr_el2;
	u64 flags = 0;

	if (ESR_ELx_EC(esr) == ESR_ELx_EC_SMC64)
		flags |= KVM_HYPERCALL_EXIT_SMC;
	if (!(esr & ESR_ELx_IL))
		flags |= KVM_HYPERCALL_EXIT_16BIT;
	memset(&vcpu->run->hypercall, 0, sizeof(vcpu->run->hypercall));
	vcpu->run->exit_reason = KVM_EXIT_HYPERCALL;
	vcpu->run->hypercall.nr = fn;
	vcpu->run->hypercall.flags = flags;
	return 0;
}

/**
 * mkvm_handle_smccc() - an HVC or SMC from the guest (PC already past it)
 * @vcpu:	the vCPU; x0 holds the function id
 *
 * Return: 1 to re-enter the guest, 0 to exit to the VMM (system event,
 * or a call the SMCCC filter forwards: KVM_EXIT_HYPERCALL).
 */
int mkvm_handle_smccc(struct mkvm_vcpu *vcpu)
{
	u32 fn = mkvm_get_gpr(vcpu, 0);
	long ret = SMCCC_RET_NOT_SUPPORTED;
	int r;

	/* The VMM's filter comes before anything minikvm implements. */
	switch (filter_action(vcpu->vm, fn)) {
	case KVM_SMCCC_FILTER_HANDLE:
		break;
	case KVM_SMCCC_FILTER_FWD_TO_USER:
		return hypercall_exit(vcpu, fn);
	default:
		mkvm_set_gpr(vcpu, 0, SMCCC_RET_NOT_SUPPORTED);
		return 1;
	}

	/* Then the services the VMM hid with the bitmap registers. */
	if (smccc_hidden(vcpu->vm, fn)) {
		mkvm_set_gpr(vcpu, 0, SMCCC_RET_NOT_SUPPORTED);
		return 1;
	}
	if (service_call(vcpu, fn))
		return 1;

	/* A vCPU without KVM_ARM_VCPU_PSCI_0_2 gets no PSCI at all. */
	if (!(vcpu->arch.features & BIT(KVM_ARM_VCPU_PSCI_0_2)) &&
	    fn != ARM_SMCCC_VERSION_FUNC_ID && is_psci_fn(fn)) {
		mkvm_set_gpr(vcpu, 0, SMCCC_RET_NOT_SUPPORTED);
		return 1;
	}
	r = psci_call(vcpu, fn, &ret);
	if (r > 0)
		mkvm_set_gpr(vcpu, 0, ret);
	return r;
}
