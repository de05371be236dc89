// SPDX-License-Identifier: GPL-2.0
/*
 * Registers and firmware services through the KVM API, as KVM 6.12 has
 * them (every case runs on the oracle boot too):
 *  - the firmware pseudo-registers (KVM_REG_ARM_FW: PSCI version, SMCCC
 *    workarounds; KVM_REG_ARM_FW_FEAT_BMAP: which SMCCC services the
 *    guest is offered): defaults, round trips, every error, and the guest
 *    seeing what the VMM chose;
 *  - KVM_GET_REG_LIST: every register listed reads and takes back the
 *    value read; the registers KVM lists are there;
 *  - the debug registers hold what the VMM and the guest write;
 *  - steal time (KVM_ARM_VCPU_PVTIME_CTRL, PV_TIME_FEATURES/PV_TIME_ST):
 *    the attribute's errors, and the record growing by at least the time
 *    the vCPU thread waited for its CPU.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <time.h>
#include <linux/psci.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

MKVM_VM_FIXTURE(regs);

#define FW_REG(r)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_FW | (r))
#define BMAP_REG(r)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | \
			 KVM_REG_ARM_FW_FEAT_BMAP | (r))

/* SMCCC function ids (DEN0028, DEN0098, DEN0057, KVM's vendor calls). */
#define SMCCC_ARCH_FEATURES	0x80000001u
#define SMCCC_ARCH_WA1		0x80008000u
#define SMCCC_ARCH_WA3		0x80003fffu
#define TRNG_VERSION		0x84000050u
#define TRNG_RND64		0xc4000053u
#define PV_TIME_FEATURES	0xc5000020u
#define PV_TIME_ST		0xc5000021u
#define VENDOR_KVM_FEATURES	0x86000000u
#define VENDOR_CALL_UID		0x8600ff01u
#define SMCCC_NOT_SUPPORTED	MKVM_SMCCC_NOT_SUPPORTED

#define PSCI_V(maj, min)	(((maj) << 16) | (min))

/* One SMCCC call per round: x0-x1 from the host, x0 then x1 reported. */
MKVM_GUEST(guest_call,
	"1:	mov	x0, x20\n"
	"mov	x1, x21\n"
	G_HVC
	"mov	x22, x1\n"
	G_REPORT("x0")
	G_REPORT("x22")
	"b	1b\n");

static struct mkvm_vcpu *call_vcpu(struct mkvm_vm *vm)
{
	return vm_vcpu_add(vm, 0);
}

/* The guest's next call: x0 back; x1 back in *@x1 if non-NULL. */
static uint64_t do_call(struct mkvm_vcpu *vcpu, uint32_t fn, uint64_t arg,
			   uint64_t *x1)
{
	uint64_t r0, r1;

	vcpu_set_reg(vcpu, MKVM_XREG(20), fn);
	vcpu_set_reg(vcpu, MKVM_XREG(21), arg);
	r0 = vcpu_report(vcpu);
	r1 = vcpu_report(vcpu);
	if (x1)
		*x1 = r1;
	return r0;
}

TEST_F(regs, fw_defaults_and_round_trip)
{
	static const uint64_t ids[] = {
		FW_REG(0), FW_REG(1), FW_REG(2), FW_REG(3),
		BMAP_REG(0), BMAP_REG(1), BMAP_REG(2),
	};
	struct mkvm_vcpu *vcpu;
	unsigned int i;

	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(PSCI_V(1, 1), vcpu_get_reg(vcpu, KVM_REG_ARM_PSCI_VERSION));
	/* Every service offered after reset: TRNG; PV time; FEAT, PTP. */
	EXPECT_EQ(1, vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP));
	EXPECT_EQ(1, vcpu_get_reg(vcpu, KVM_REG_ARM_STD_HYP_BMAP));
	EXPECT_EQ(3, vcpu_get_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP));
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint64_t v = vcpu_get_reg(vcpu, ids[i]);

		EXPECT_EQ(0, _vcpu_set_reg(vcpu, ids[i], v)) TH_LOG("%#llx", (unsigned long long)ids[i]);
		EXPECT_EQ(v, vcpu_get_reg(vcpu, ids[i]));
	}
	/* Past the last firmware register: no such register. */
	EXPECT_EQ(-ENOENT, _vcpu_set_reg(vcpu, FW_REG(4), 0));
	EXPECT_EQ(-ENOENT, _vcpu_set_reg(vcpu, BMAP_REG(3), 0));
	vcpu_free(vcpu);
}

TEST_F(regs, fw_errors)
{
	struct mkvm_vcpu *vcpu;
	uint64_t wa2;

	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	/* PSCI: 0.2, 1.0, 1.1 for a PSCI 0.2 vCPU; nothing else. */
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(0, 2)));
	EXPECT_EQ(PSCI_V(0, 2), vcpu_get_reg(vcpu, KVM_REG_ARM_PSCI_VERSION));
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(1, 0)));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(0, 1)));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(1, 2)));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, 0));
	EXPECT_EQ(PSCI_V(1, 0), vcpu_get_reg(vcpu, KVM_REG_ARM_PSCI_VERSION));
	/* Workarounds: bits past the level, a level no host has. */
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, 0x10));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1, 0xf));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3, 0xf));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, 0x20));
	/* WA2 ENABLED only with the AVAIL level. */
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
			KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_ENABLED |
			KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_NOT_AVAIL));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2, 4));
	/* NOT_AVAIL (and UNKNOWN, its alias) is always acceptable. */
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1,
			KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_AVAIL));
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2,
			KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_UNKNOWN));
	/* Writes check, they do not store: the host's level stays. */
	wa2 = vcpu_get_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2);
	EXPECT_NE(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_2_UNKNOWN, wa2);
	/* Bitmaps: unknown bits; clearing works. */
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 2));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_HYP_BMAP, 1ull << 63));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP, 4));
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP, 2));
	EXPECT_EQ(2, vcpu_get_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP));
	vcpu_free(vcpu);
}

/* A vCPU without KVM_ARM_VCPU_PSCI_0_2 has PSCI 0.1, and only that. */
TEST_F(regs, psci_0_1_vcpu)
{
	struct kvm_vcpu_init init;
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(NULL, NULL);
	ASSERT_EQ(0, _vm_vcpu_create(self->vm, 0, &vcpu));
	memset(&init, 0, sizeof(init));
	ASSERT_EQ(0, mkvm_ioctl(self->vm->fd, KVM_ARM_PREFERRED_TARGET, &init));
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init));
	EXPECT_EQ(PSCI_V(0, 1), vcpu_get_reg(vcpu, KVM_REG_ARM_PSCI_VERSION));
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(0, 1)));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(1, 1)));
	vcpu_free(vcpu);
}

/* The guest gets the PSCI version the VMM set, and loses what is newer. */
TEST_F(regs, psci_version_for_guest)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_call, guest_call_end);
	vcpu = call_vcpu(self->vm);
	vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(0, 2));
	EXPECT_EQ(PSCI_V(0, 2), do_call(vcpu, PSCI_0_2_FN_PSCI_VERSION, 0, NULL));
	/* PSCI_FEATURES came with 1.0. */
	EXPECT_EQ(SMCCC_NOT_SUPPORTED,
		  do_call(vcpu, PSCI_1_0_FN_PSCI_FEATURES,
			     PSCI_0_2_FN_CPU_ON, NULL));
	vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(1, 0));
	EXPECT_EQ(PSCI_V(1, 0), do_call(vcpu, PSCI_0_2_FN_PSCI_VERSION, 0, NULL));
	EXPECT_EQ(0, do_call(vcpu, PSCI_1_0_FN_PSCI_FEATURES,
				PSCI_0_2_FN_CPU_ON, NULL));
	/* SYSTEM_RESET2 came with 1.1. */
	EXPECT_EQ(SMCCC_NOT_SUPPORTED,
		  do_call(vcpu, PSCI_1_0_FN_PSCI_FEATURES,
			     PSCI_1_1_FN_SYSTEM_RESET2, NULL));
	vcpu_set_reg(vcpu, KVM_REG_ARM_PSCI_VERSION, PSCI_V(1, 1));
	EXPECT_EQ(PSCI_V(1, 1), do_call(vcpu, PSCI_0_2_FN_PSCI_VERSION, 0, NULL));
	EXPECT_EQ(0, do_call(vcpu, PSCI_1_0_FN_PSCI_FEATURES,
				PSCI_1_1_FN_SYSTEM_RESET2, NULL));
	vcpu_free(vcpu);
}

/* Offered services answer; the workaround answers match the registers. */
TEST_F(regs, services_offered)
{
	struct mkvm_vcpu *vcpu;
	uint64_t x1, wa1;

	self->vm = vm_create(guest_call, guest_call_end);
	vcpu = call_vcpu(self->vm);
	EXPECT_EQ(0x10000, do_call(vcpu, TRNG_VERSION, 0, NULL));
	/* 64 random bits, in x3 (reported: x0 status only). */
	EXPECT_EQ(0, do_call(vcpu, TRNG_RND64, 64, NULL));
	EXPECT_EQ(-2ull, do_call(vcpu, TRNG_RND64, 193, NULL));
	EXPECT_EQ(3, do_call(vcpu, VENDOR_KVM_FEATURES, 0, NULL));
	/* KVM's UID, first word. */
	EXPECT_EQ(0xb66fb428ull, do_call(vcpu, VENDOR_CALL_UID, 0, &x1));
	EXPECT_EQ(0xe911c52eull, x1);
	/* No steal-time record: PV_TIME_FEATURES is offered, ST is not. */
	EXPECT_EQ(0, do_call(vcpu, SMCCC_ARCH_FEATURES, PV_TIME_FEATURES, NULL));
	EXPECT_EQ(SMCCC_NOT_SUPPORTED, do_call(vcpu, PV_TIME_FEATURES, PV_TIME_ST, NULL));
	EXPECT_EQ(SMCCC_NOT_SUPPORTED, do_call(vcpu, PV_TIME_ST, 0, NULL));
	wa1 = vcpu_get_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1);
	x1 = do_call(vcpu, SMCCC_ARCH_FEATURES, SMCCC_ARCH_WA1, NULL);
	if (wa1 == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_NOT_REQUIRED) {
		EXPECT_EQ(1, x1);
	} else if (wa1 == KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_1_AVAIL) {
		EXPECT_EQ(0, x1);
	} else {
		EXPECT_EQ(SMCCC_NOT_SUPPORTED, x1);
	}
	vcpu_free(vcpu);
}

/*
 * WORKAROUND_3 is offered exactly when the host mitigates Spectre-BHB,
 * as the kernel reports it in sysfs (KVM answers from that same state).
 * Offered by a host that leaves BHB open, a guest calls it on every
 * entry from EL0 for nothing: QEMU's -cpu max (on no errata list) is such
 * a CPU, and its guest's boot paid 20,000 calls.
 */
TEST_F(regs, wa3_follows_host_bhb_state)
{
	static const char path[] = "/sys/devices/system/cpu/vulnerabilities/spectre_v2";
	struct mkvm_vcpu *vcpu;
	char state[128] = "";
	uint64_t level;
	int64_t feat;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		SKIP(return, "no %s", path);
	ASSERT_NE(NULL, fgets(state, sizeof(state), f));
	fclose(f);
	self->vm = vm_create(guest_call, guest_call_end);
	vcpu = call_vcpu(self->vm);
	level = vcpu_get_reg(vcpu, KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3);
	feat = (int64_t)do_call(vcpu, SMCCC_ARCH_FEATURES, SMCCC_ARCH_WA3, NULL);
	ksft_print_msg("host spectre_v2: %.*s; WORKAROUND_3 level %llu, ARCH_FEATURES %lld\n",
		       (int)strcspn(state, "\n"), state,
		       (unsigned long long)level, (long long)feat);
	if (strstr(state, ", but not BHB")) {
		/* Affected, not mitigated. */
		EXPECT_EQ(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_AVAIL, level);
		EXPECT_EQ(SMCCC_NOT_SUPPORTED, feat);
	} else if (strstr(state, ", BHB") || strstr(state, "eBPF")) {
		EXPECT_EQ(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_AVAIL, level);
		EXPECT_EQ(0, feat);
	} else if (!strncmp(state, "Not affected", 12) ||
		   !strncmp(state, "Mitigation", 10)) {
		/* No BHB word: not affected by it. */
		EXPECT_EQ(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_NOT_REQUIRED, level);
		EXPECT_EQ(1, feat);
	} else {
		/* "Vulnerable": BHB affected and open, or not affected. */
		EXPECT_NE(KVM_REG_ARM_SMCCC_ARCH_WORKAROUND_3_AVAIL, level);
		EXPECT_NE(0, feat);
	}
	vcpu_free(vcpu);
}

/* A cleared bitmap bit hides its service; fixed (-EBUSY) once run. */
TEST_F(regs, bitmap_hides_services)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_call, guest_call_end);
	vcpu = call_vcpu(self->vm);
	vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 0);
	vcpu_set_reg(vcpu, KVM_REG_ARM_STD_HYP_BMAP, 0);
	vcpu_set_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP,
		     1u << KVM_REG_ARM_VENDOR_HYP_BIT_PTP);
	EXPECT_EQ(SMCCC_NOT_SUPPORTED, do_call(vcpu, TRNG_VERSION, 0, NULL));
	EXPECT_EQ(SMCCC_NOT_SUPPORTED, do_call(vcpu, TRNG_RND64, 64, NULL));
	EXPECT_EQ(SMCCC_NOT_SUPPORTED,
		  do_call(vcpu, SMCCC_ARCH_FEATURES, PV_TIME_FEATURES, NULL));
	EXPECT_EQ(SMCCC_NOT_SUPPORTED, do_call(vcpu, VENDOR_KVM_FEATURES, 0, NULL));
	EXPECT_EQ(SMCCC_NOT_SUPPORTED, do_call(vcpu, VENDOR_CALL_UID, 0, NULL));
	/* PSCI is never gated. */
	EXPECT_EQ(PSCI_V(1, 1), do_call(vcpu, PSCI_0_2_FN_PSCI_VERSION, 0, NULL));
	/* The VM ran: the same value is accepted, another is -EBUSY. */
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 0));
	EXPECT_EQ(-EBUSY, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 1));
	EXPECT_EQ(-EBUSY, _vcpu_set_reg(vcpu, KVM_REG_ARM_VENDOR_HYP_BMAP, 3));
	/* Validation first. */
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, KVM_REG_ARM_STD_BMAP, 2));
	EXPECT_EQ(0, vcpu_get_reg(vcpu, KVM_REG_ARM_STD_BMAP));
	vcpu_free(vcpu);
}

static struct kvm_reg_list *reg_list(struct mkvm_vcpu *vcpu)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;

	MKVM_CHECK(mkvm_ioctl(vcpu->fd, KVM_GET_REG_LIST, &probe) == -E2BIG,
		   "KVM_GET_REG_LIST with n = 0");
	list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	MKVM_CHECK(list, "out of memory");
	list->n = probe.n;
	MKVM_CHECK(!mkvm_ioctl(vcpu->fd, KVM_GET_REG_LIST, list),
		   "KVM_GET_REG_LIST");
	return list;
}

static bool listed(const struct kvm_reg_list *list, uint64_t id)
{
	uint64_t i;

	for (i = 0; i < list->n; i++)
		if (list->reg[i] == id)
			return true;
	return false;
}

/* Every listed register reads, and takes back the value read. */
TEST_F(regs, list_round_trip)
{
	static const uint64_t expected[] = {
		FW_REG(0), FW_REG(1), FW_REG(2), FW_REG(3),
		BMAP_REG(0), BMAP_REG(1), BMAP_REG(2),
		ARM64_SYS_REG(3, 1, 0, 0, 1),	/* CLIDR_EL1 */
		ARM64_SYS_REG(3, 1, 0, 0, 7),	/* AIDR_EL1 */
		ARM64_SYS_REG(3, 3, 0, 0, 1),	/* CTR_EL0 */
		ARM64_SYS_REG(3, 0, 1, 0, 1),	/* ACTLR_EL1 */
		ARM64_SYS_REG(3, 0, 12, 1, 1),	/* DISR_EL1 */
		ARM64_SYS_REG(2, 0, 0, 0, 4),	/* DBGBVR0_EL1 */
		ARM64_SYS_REG(2, 0, 0, 15, 7),	/* DBGWCR15_EL1 */
		ARM64_SYS_REG(2, 0, 0, 2, 0),	/* MDCCINT_EL1 */
		ARM64_SYS_REG(2, 0, 1, 1, 4),	/* OSLSR_EL1 */
		ARM64_SYS_REG(2, 4, 0, 7, 0),	/* DBGVCR32_EL2 */
		ARM64_SYS_REG(3, 0, 0, 3, 3),	/* reserved ID encoding */
		ARM64_SYS_REG(3, 0, 0, 7, 7),	/* reserved ID encoding */
		ARM64_SYS_REG(3, 4, 3, 0, 0),	/* DACR32_EL2 */
		ARM64_SYS_REG(3, 4, 5, 0, 1),	/* IFSR32_EL2 */
		ARM64_SYS_REG(3, 4, 5, 3, 0),	/* FPEXC32_EL2 */
	};
	struct kvm_reg_list *list;
	struct mkvm_vcpu *vcpu;
	unsigned int demux = 0;
	uint64_t i;

	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	list = reg_list(vcpu);
	/* For the record (api.rst's count), beside the oracle's. */
	ksft_print_msg("KVM_GET_REG_LIST: %llu registers\n",
		       (unsigned long long)list->n);
	for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		EXPECT_TRUE(listed(list, expected[i]))
			TH_LOG("%#llx not listed", (unsigned long long)expected[i]);
	for (i = 0; i < list->n; i++) {
		uint64_t id = list->reg[i], buf[2] = { 0, 0 };
		struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)buf };

		if ((id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_DEMUX)
			demux++;
		EXPECT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg))
			TH_LOG("get %#llx", (unsigned long long)id);
		EXPECT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg))
			TH_LOG("set %#llx", (unsigned long long)id);
	}
	/* At least one cache level: a data or unified CCSIDR. */
	EXPECT_LE(1, demux);
	/* The reserved ID encodings read as zero and take nothing else. */
	EXPECT_EQ(0, vcpu_get_reg(vcpu, ARM64_SYS_REG(3, 0, 0, 3, 3)));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, ARM64_SYS_REG(3, 0, 0, 3, 3), 1));
	free(list);
	vcpu_free(vcpu);
}

/* A CCSIDR of a cache that does not exist, and a bad size: -ENOENT. */
TEST_F(regs, demux_errors)
{
	struct mkvm_vcpu *vcpu;
	uint32_t v = 0;
	struct kvm_one_reg reg = { .addr = (uintptr_t)&v };

	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	reg.id = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_DEMUX |
		 KVM_REG_ARM_DEMUX_ID_CCSIDR | 0xff;
	EXPECT_EQ(-ENOENT, mkvm_ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg));
	reg.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_DEMUX |
		 KVM_REG_ARM_DEMUX_ID_CCSIDR;
	EXPECT_EQ(-ENOENT, mkvm_ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg));
	vcpu_free(vcpu);
}

/* The guest reads what the VMM wrote in a debug register, and back. */
MKVM_GUEST(guest_dbg,
	"mrs	x0, dbgbvr0_el1\n"
	G_REPORT("x0")
	"msr	dbgwvr1_el1, x1\n"
	"mrs	x0, dbgwvr1_el1\n"
	G_REPORT("x0")
	G_DONE);

TEST_F(regs, debug_registers_hold)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_dbg, guest_dbg_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	/* The OS lock, held at EL1: only OSLSR_EL1.OSLK is the VMM's. */
	vcpu_set_reg(vcpu, ARM64_SYS_REG(2, 0, 1, 1, 4), 0xa);
	EXPECT_EQ(0xa, vcpu_get_reg(vcpu, ARM64_SYS_REG(2, 0, 1, 1, 4)));
	vcpu_set_reg(vcpu, ARM64_SYS_REG(2, 0, 1, 1, 4), 0x8);
	vcpu_set_reg(vcpu, ARM64_SYS_REG(2, 0, 0, 0, 4), 0xffff000012345678ull);
	vcpu_set_reg(vcpu, ARM64_SYS_REG(2, 0, 0, 2, 0), 1ull << 29);
	EXPECT_EQ(1ull << 29, vcpu_get_reg(vcpu, ARM64_SYS_REG(2, 0, 0, 2, 0)));
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0x0000aaaabbbbccc0ull);
	EXPECT_EQ(0xffff000012345678ull, vcpu_report(vcpu));
	EXPECT_EQ(0x0000aaaabbbbccc0ull, vcpu_report(vcpu));
	vcpu_done(vcpu);
	EXPECT_EQ(0x0000aaaabbbbccc0ull,
		  vcpu_get_reg(vcpu, ARM64_SYS_REG(2, 0, 0, 1, 6)));
	vcpu_free(vcpu);
}

/* ---- steal time ------------------------------------------------------ */

#define ST_IPA		0x90000000ull
#define ST_SIZE		0x10000ull

static int pvtime_attr(struct mkvm_vcpu *vcpu, unsigned long cmd,
		       uint32_t group, uint64_t attr, uint64_t *ipa)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)ipa,
	};

	return mkvm_ioctl(vcpu->fd, cmd, &a);
}

TEST_F(regs, steal_time_attr_errors)
{
	struct mkvm_vcpu *vcpu;
	uint64_t ipa = 0;

	self->vm = vm_create(NULL, NULL);
	vm_add_memory(self->vm, 1, 0, ST_IPA, ST_SIZE);
	vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(1, ioctl(self->vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_STEAL_TIME));
	EXPECT_EQ(0, pvtime_attr(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				 KVM_ARM_VCPU_PVTIME_IPA, NULL));
	EXPECT_EQ(-ENXIO, pvtime_attr(vcpu, KVM_HAS_DEVICE_ATTR,
				      KVM_ARM_VCPU_PVTIME_CTRL, 1, NULL));
	EXPECT_EQ(-ENXIO, pvtime_attr(vcpu, KVM_HAS_DEVICE_ATTR, 0x7fff, 0, NULL));
	EXPECT_EQ(-ENXIO, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR,
				      KVM_ARM_VCPU_PVTIME_CTRL, 1, &ipa));
	/* Unset reads as all ones (KVM's INVALID_GPA). */
	EXPECT_EQ(0, pvtime_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				 KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(~0ull, ipa);
	EXPECT_EQ(-EFAULT, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR,
				       KVM_ARM_VCPU_PVTIME_CTRL,
				       KVM_ARM_VCPU_PVTIME_IPA, (uint64_t *)8));
	ipa = ST_IPA + 32;
	EXPECT_EQ(-EINVAL, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				       KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	ipa = ST_IPA + ST_SIZE;		/* no memslot there */
	EXPECT_EQ(-EINVAL, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				       KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	ipa = ST_IPA + 64;
	EXPECT_EQ(0, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				 KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	ipa = ST_IPA + 128;
	EXPECT_EQ(-EEXIST, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				       KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(0, pvtime_attr(vcpu, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				 KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	EXPECT_EQ(ST_IPA + 64, ipa);
	vcpu_free(vcpu);
}

/* This thread's run_delay (ns waiting for a CPU), from schedstat. */
static long run_delay(void)
{
	char path[64];
	long a = 0, b = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/schedstat",
		 (long)gettid());
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &a, &b) != 2)
		b = -1;
	fclose(f);
	return b;
}

#define STEAL_NS	20000000L	/* 20 ms */

static void *hog(void *arg)
{
	struct timespec t0, t;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L +
	       (t.tv_nsec - t0.tv_nsec) < STEAL_NS);
	return NULL;
}

/*
 * The guest reads its record's stolen_time: it grows by at least the time
 * a CPU hog on this thread's CPU kept the vCPU thread waiting.
 */
TEST_F(regs, steal_time_record)
{
	volatile uint64_t *rec;
	struct mkvm_vcpu *vcpu;
	pthread_attr_t pa;
	pthread_t t;
	cpu_set_t cpus;
	uint64_t ipa = ST_IPA, before;
	long d0, delay;

	if (run_delay() < 0)
		SKIP(return, "no /proc/<tid>/schedstat");
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus));
	self->vm = vm_create(guest_call, guest_call_end);
	rec = vm_add_memory(self->vm, 1, 0, ST_IPA, ST_SIZE);
	vcpu = call_vcpu(self->vm);
	ASSERT_EQ(0, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				 KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	rec[0] = ~0ull;		/* PV_TIME_ST zeroes the record */
	rec[1] = ~0ull;
	EXPECT_EQ(0, do_call(vcpu, SMCCC_ARCH_FEATURES, PV_TIME_FEATURES, NULL));
	EXPECT_EQ(0, do_call(vcpu, PV_TIME_FEATURES, PV_TIME_ST, NULL));
	EXPECT_EQ(0, do_call(vcpu, PV_TIME_FEATURES, PV_TIME_FEATURES, NULL));
	EXPECT_EQ(ST_IPA, do_call(vcpu, PV_TIME_ST, 0, NULL));
	EXPECT_EQ(0, rec[0]);		/* revision 0, attributes 0 */
	EXPECT_GT(1000000000ull, rec[1]) TH_LOG("stolen %llu ns at start",
						 (unsigned long long)rec[1]);
	before = rec[1];

	ASSERT_EQ(0, pthread_attr_init(&pa));
	ASSERT_EQ(0, pthread_attr_setaffinity_np(&pa, sizeof(cpus), &cpus));
	d0 = run_delay();
	ASSERT_EQ(0, pthread_create(&t, &pa, hog, NULL));
	do
		sched_yield();
	while (run_delay() - d0 < STEAL_NS);
	pthread_join(t, NULL);
	delay = run_delay() - d0;
	/* Any call: the record is updated before the guest runs again. */
	EXPECT_EQ(0x10000, do_call(vcpu, TRNG_VERSION, 0, NULL));
	EXPECT_LE((uint64_t)delay, rec[1] - before)
		TH_LOG("run_delay grew %ld ns, stolen_time %llu ns", delay,
		       (unsigned long long)(rec[1] - before));
	vcpu_free(vcpu);
}

static uint64_t dirty_log_word(struct mkvm_vm *vm, uint32_t slot)
{
	uint64_t bits[ST_SIZE / 4096 / 64 + 1] = {};
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bits };

	MKVM_CHECK(!mkvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log),
		   "KVM_GET_DIRTY_LOG: %s", strerror(errno));
	return bits[0];
}

/*
 * The hypervisor's own writes to guest memory are logged: PV_TIME_ST
 * zeroes the record (the guest itself writes nothing there), and a VMM
 * migrating the VM must see that page dirty, as KVM's kvm_write_guest()
 * marks it.
 */
TEST_F(regs, steal_time_record_logged_dirty)
{
	struct mkvm_vcpu *vcpu;
	uint64_t ipa = ST_IPA + 0x1000;	/* the slot's second page */
	uint64_t *rec;

	self->vm = vm_create(guest_call, guest_call_end);
	rec = vm_add_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES, ST_IPA,
			    ST_SIZE);
	vcpu = call_vcpu(self->vm);
	ASSERT_EQ(0, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				 KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	rec[512] = ~0ull;
	EXPECT_EQ(0, dirty_log_word(self->vm, 1));
	EXPECT_EQ(ipa, do_call(vcpu, PV_TIME_ST, 0, NULL));
	EXPECT_EQ(0, rec[512]);		/* zeroed by the hypervisor */
	EXPECT_EQ(1ull << 1, dirty_log_word(self->vm, 1));
	vcpu_free(vcpu);
}

/*
 * The guest asks for its record, then spins reading stolen_time until it
 * grew by x21 ns (or x23 rounds pass): the growth, reported.
 */
MKVM_GUEST(guest_steal_spin,
	"movz	x0, #0xc500, lsl #16\n"
	"movk	x0, #0x21\n"			/* PV_TIME_ST */
	G_HVC
	"add	x20, x0, #8\n"			/* stolen_time */
	"ldr	x1, [x20]\n"
	"1:	ldr	x2, [x20]\n"
	"sub	x3, x2, x1\n"
	"cmp	x3, x21\n"
	"b.hs	2f\n"
	"subs	x23, x23, #1\n"
	"b.ne	1b\n"
	"2:\n"
	G_REPORT("x3")
	G_DONE);

#define HOG_LONG_NS	400000000L	/* 400 ms */

static void *hog_long(void *arg)
{
	struct timespec t0, t;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000000L +
	       (t.tv_nsec - t0.tv_nsec) < HOG_LONG_NS);
	return NULL;
}

/*
 * The vCPU thread preempted while in the guest (a CPU hog on its CPU):
 * the guest sees its stolen time grow without leaving KVM_RUN for the VMM.
 */
TEST_F(regs, steal_time_preempted_in_guest)
{
	struct mkvm_vcpu *vcpu;
	pthread_attr_t pa;
	pthread_t t;
	cpu_set_t cpus;
	uint64_t ipa = ST_IPA;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, pthread_setaffinity_np(pthread_self(), sizeof(cpus), &cpus));
	self->vm = vm_create(guest_steal_spin, guest_steal_spin_end);
	vm_add_memory(self->vm, 1, 0, ST_IPA, ST_SIZE);
	vcpu = vm_vcpu_add(self->vm, 0);
	ASSERT_EQ(0, pvtime_attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL,
				 KVM_ARM_VCPU_PVTIME_IPA, &ipa));
	vcpu_set_reg(vcpu, MKVM_XREG(21), STEAL_NS / 2);
	vcpu_set_reg(vcpu, MKVM_XREG(23), 1ull << 30);
	ASSERT_EQ(0, pthread_attr_init(&pa));
	ASSERT_EQ(0, pthread_attr_setaffinity_np(&pa, sizeof(cpus), &cpus));
	ASSERT_EQ(0, pthread_create(&t, &pa, hog_long, NULL));
	EXPECT_LE(STEAL_NS / 2, vcpu_report(vcpu));
	pthread_join(t, NULL);
	vcpu_free(vcpu);
}

TEST_HARNESS_MAIN
