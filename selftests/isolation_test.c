// SPDX-License-Identifier: GPL-2.0
/*
 * Register isolation: every register of the world switch belongs to whoever
 * runs.  Two VMs, on one host CPU, each write their own pattern to every
 * switched EL1/EL0 register and to the FP/SIMD registers, exit in every way
 * (MMIO, HVC, WFI, interrupts), run in turns, and read their registers
 * back: each must find its own values.  Meanwhile:
 *  - KVM_GET_ONE_REG shows the guest's values, and KVM_SET_ONE_REG's reach
 *    the guest;
 *  - the host keeps its own: TPIDR_EL0 and TPIDRRO_EL0 read from this
 *    thread, the EL1 registers on minikvm's boot through debugfs
 *    minikvm/host_sysregs (arch/arm64/debugfs_regs.c), read on the CPU the
 *    guests ran on.
 * The same test runs on the kernel's KVM (oracle boot), without the
 * debugfs part.
 */
#include <sched.h>
#include <sys/time.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"

MKVM_VM_FIXTURE(isolation);

/*
 * Guest memory, from DATA_IPA: the values to load (sys[] then the FP
 * block), then where the guest stores what it reads back.
 */
#define DATA_IPA	(MKVM_RAM_IPA + 0x100000)
#define G_DATA		"movz	x1, #0x8010, lsl #16\n"
#define OFF_SET		0x000		/* 32 x u64: system registers */
#define OFF_GOT		0x100
#define OFF_FP_SET	0x200		/* 32 x 128-bit, FPCR, FPSR */
#define OFF_FP_GOT	0x500
#define FP_BYTES	0x210
#define VBAR_IPA(t)	(MKVM_RAM_IPA + 0x180000 + (t) * 0x800)
_Static_assert(DATA_IPA == 0x8010ull << 16, "G_DATA is stale");

/*
 * The switched registers (arch/arm64/hyp/sysreg-sr.c, and a breakpoint
 * and a watchpoint of hyp/debug-sr.c, switched once the guest wrote
 * them), by index into the data block.  SP_EL1 (21) is the guest's own SP at EL1h, moved apart.
 * CNTV_CVAL_EL0 is written before CNTV_CTL_EL0 so the timer never fires.
 */
#define ISO_SYSREGS(X)							\
	X(0, sctlr_el1) X(1, cpacr_el1) X(2, ttbr0_el1) X(3, ttbr1_el1)	\
	X(4, tcr_el1) X(5, esr_el1) X(6, afsr0_el1) X(7, afsr1_el1)	\
	X(8, far_el1) X(9, mair_el1) X(10, amair_el1) X(11, vbar_el1)	\
	X(12, contextidr_el1) X(13, cntkctl_el1) X(14, par_el1)		\
	X(15, mdscr_el1) X(16, csselr_el1) X(17, tpidr_el0)		\
	X(18, tpidrro_el0) X(19, tpidr_el1) X(20, sp_el0)		\
	X(22, elr_el1) X(23, spsr_el1) X(25, cntv_cval_el0)		\
	X(24, cntv_ctl_el0) X(26, dbgbvr0_el1) X(27, dbgbcr0_el1)	\
	X(28, dbgwvr1_el1) X(29, dbgwcr1_el1)
#define NR_ISO		30
#define SP_EL1_IDX	21

#define G_LOAD(i, reg)							\
	"ldr	x2, [x1, #(" #i " * 8)]\n"				\
	"msr	" #reg ", x2\n"
#define G_STORE(i, reg)							\
	"mrs	x2, " #reg "\n"						\
	"str	x2, [x1, #(0x100 + " #i " * 8)]\n"
#define G_VREGS	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"

#define G_LOAD_ALL							\
	G_DATA								\
	ISO_SYSREGS(G_LOAD)						\
	"ldr	x2, [x1, #(21 * 8)]\n"					\
	"mov	sp, x2\n"						\
	"add	x3, x1, #0x200\n"					\
	G_VREGS "ldr	q\\n, [x3], #16\n" ".endr\n"			\
	"ldr	x2, [x3]\n"						\
	"msr	fpcr, x2\n"						\
	"ldr	x2, [x3, #8]\n"						\
	"msr	fpsr, x2\n"						\
	"isb\n"

#define G_STORE_ALL							\
	G_DATA								\
	ISO_SYSREGS(G_STORE)						\
	"mov	x2, sp\n"						\
	"str	x2, [x1, #(0x100 + 21 * 8)]\n"				\
	"add	x3, x1, #0x500\n"					\
	G_VREGS "str	q\\n, [x3], #16\n" ".endr\n"			\
	"mrs	x2, fpcr\n"						\
	"str	x2, [x3]\n"						\
	"mrs	x2, fpsr\n"						\
	"str	x2, [x3, #8]\n"

/*
 * Load everything; report (MMIO exit); PSCI_VERSION (HVC, answered in
 * the kernel); WFI (the host wakes it with a signal); spin ~0.1 s on the
 * virtual counter (host interrupts, signals); report; store everything,
 * report; store everything again (the host has set other values with
 * KVM_SET_ONE_REG meanwhile); done.
 */
MKVM_GUEST(guest_iso,
	"mov	x0, #0x300000\n"		/* FP on for the loads */
	"msr	cpacr_el1, x0\n"
	"isb\n"
	G_LOAD_ALL
	G_REPORT("xzr")
	"movz	w0, #0x8400, lsl #16\n"
	"hvc	#0\n"
	"wfi\n"
	"mrs	x3, cntvct_el0\n"
	"movz	x4, #0x60, lsl #16\n"
	"add	x4, x4, x3\n"
	"1:	mrs	x3, cntvct_el0\n"
	"cmp	x3, x4\n"
	"b.lo	1b\n"
	G_REPORT("xzr")
	G_STORE_ALL
	G_REPORT("xzr")
	G_STORE_ALL
	G_DONE);

enum check {
	EXACT,		/* reads back as written */
	QEMU_RAZ,	/* IMPDEF, and RAZ/WI in QEMU: not compared */
};

struct iso_reg {
	const char *name;	/* as in debugfs host_sysregs */
	uint64_t id;		/* ONE_REG id */
	enum check check;
	/*
	 * The host's value on that CPU is stable (compared with itself
	 * before the guests ran) or not (only compared with the guests').
	 */
	bool host_stable;
	/*
	 * Not the host's: the host does not use the virtual timer, and
	 * both KVM and minikvm leave the guest's compare value behind (the
	 * timer itself is disabled, CNTV_CTL_EL0 = 0, which is checked).
	 */
	bool guest_leftover;
};

#define SYS(op0, op1, crn, crm, op2)	ARM64_SYS_REG(op0, op1, crn, crm, op2)

static const struct iso_reg iso_regs[NR_ISO] = {
	[0]  = { "sctlr_el1",	   SYS(3, 0, 1, 0, 0),	 EXACT,	   true },
	[1]  = { "cpacr_el1",	   SYS(3, 0, 1, 0, 2),	 EXACT,	   false },
	[2]  = { "ttbr0_el1",	   SYS(3, 0, 2, 0, 0),	 EXACT,	   false },
	[3]  = { "ttbr1_el1",	   SYS(3, 0, 2, 0, 1),	 EXACT,	   true },
	[4]  = { "tcr_el1",	   SYS(3, 0, 2, 0, 2),	 EXACT,	   true },
	[5]  = { "esr_el1",	   SYS(3, 0, 5, 2, 0),	 EXACT,	   false },
	[6]  = { "afsr0_el1",	   SYS(3, 0, 5, 1, 0),	 QEMU_RAZ, false },
	[7]  = { "afsr1_el1",	   SYS(3, 0, 5, 1, 1),	 QEMU_RAZ, false },
	[8]  = { "far_el1",	   SYS(3, 0, 6, 0, 0),	 EXACT,	   false },
	[9]  = { "mair_el1",	   SYS(3, 0, 10, 2, 0),	 EXACT,	   true },
	[10] = { "amair_el1",	   SYS(3, 0, 10, 3, 0),	 QEMU_RAZ, true },
	[11] = { "vbar_el1",	   SYS(3, 0, 12, 0, 0),	 EXACT,	   true },
	[12] = { "contextidr_el1", SYS(3, 0, 13, 0, 1),	 EXACT,	   true },
	[13] = { "cntkctl_el1",	   SYS(3, 0, 14, 1, 0),	 EXACT,	   true },
	[14] = { "par_el1",	   SYS(3, 0, 7, 4, 0),	 EXACT,	   false },
	[15] = { "mdscr_el1",	   SYS(2, 0, 0, 2, 2),	 EXACT,	   true },
	[16] = { "csselr_el1",	   SYS(3, 2, 0, 0, 0),	 EXACT,	   true },
	[17] = { "tpidr_el0",	   SYS(3, 3, 13, 0, 2),	 EXACT,	   false },
	[18] = { "tpidrro_el0",	   SYS(3, 3, 13, 0, 3),	 EXACT,	   false },
	[19] = { "tpidr_el1",	   SYS(3, 0, 13, 0, 4),	 EXACT,	   true },
	[20] = { "sp_el0",	   MKVM_SP_EL0,		 EXACT,	   false },
	[21] = { "sp_el1",	   MKVM_SP_EL1,		 EXACT,	   false },
	[22] = { "elr_el1",	   MKVM_ELR_EL1,	 EXACT,	   false },
	[23] = { "spsr_el1",	   MKVM_SPSR_EL1,	 EXACT,	   false },
	[24] = { "cntv_ctl_el0",   KVM_REG_ARM_TIMER_CTL, EXACT,   true },
	[25] = { "cntv_cval_el0",  KVM_REG_ARM_TIMER_CVAL, EXACT,  false, true },
	[26] = { "dbgbvr0_el1",	   SYS(2, 0, 0, 0, 4),	 EXACT,	   true },
	[27] = { "dbgbcr0_el1",	   SYS(2, 0, 0, 0, 5),	 EXACT,	   true },
	[28] = { "dbgwvr1_el1",	   SYS(2, 0, 0, 1, 6),	 EXACT,	   true },
	[29] = { "dbgwcr1_el1",	   SYS(2, 0, 0, 1, 7),	 EXACT,	   true },
};

/*
 * Tag @t's value of register @i: distinct for every tag, and made of
 * bits QEMU's -cpu max keeps (no RES0 bits, valid cache levels, the
 * timer masked and far in the future, SCTLR's EL0-only controls on top
 * of the reset value, SP and VBAR in guest RAM, breakpoints and
 * watchpoints disabled).
 */
static uint64_t pattern(int i, uint64_t t, uint64_t sctlr_reset)
{
	static const uint64_t sctlr_bits[] = {
		0, 1u << 15 | 1u << 14, 1u << 26, 1u << 26 | 1u << 15,
		1u << 26 | 1u << 14,
	};
	static const uint64_t cpacr[] = {
		0, 0x300000, 0x330000, 0x3300000, 0x3330000,
	};
	static const uint64_t mdscr[] = { 0, 0x1000, 0x2000, 0x3000, 0x1000 };
	static const uint64_t csselr[] = { 0, 2, 1, 0, 2 };
	static const uint64_t cntv_ctl[] = { 0, 3, 2, 2, 3 };
	uint64_t mair = 0xee0c0804ff44bb00ull;

	switch (i) {
	case 0:	 return sctlr_reset | sctlr_bits[t];
	case 1:	 return cpacr[t];
	case 2:	 return t << 48 | 0x765432100000ull | t << 12;
	case 3:	 return (t + 8) << 48 | 0x111122220000ull | t << 12;
	case 4:	 return (16 + t) | 1 << 7 | 1 << 8 | 1 << 10 | 3 << 12 |
			(25 + t) << 16 | 1 << 23 | 2ull << 30 |
			(t % 5) << 32 | 1ull << 36 | (t & 1) << 37;
	case 5:	 return 0x96000005ull | t << 4;
	case 6:	 return 0x1111 * t;
	case 7:	 return 0x2222 * t;
	case 8:	 return 0xfa00000000000000ull | 0x11111111ull * t;
	case 9:	 return mair << (8 * t) | mair >> (64 - 8 * t);
	case 10: return 0x3333 * t;
	case 11: return VBAR_IPA(t);
	case 12: return 0xc0de0000ull | 0x101 * t;
	case 13: return 0x103 | t << 4;
	case 14: return 0xff00000000000880ull | (0x12345 + t) << 12;
	case 15: return mdscr[t];
	case 16: return csselr[t];
	case 17: return 0x7e00000000000000ull | 0x10101 * t;
	case 18: return 0x7e11000000000000ull | 0x10101 * t;
	case 19: return 0x7e22000000000000ull | 0x10101 * t;
	case 20: return 0x5e00000000001000ull | t << 4;
	case 21: return MKVM_RAM_IPA + 0x1f0000 - t * 0x100;
	case 22: return 0xe100000000000000ull | t << 8;
	case 23: return (t & 0xf) << 28 | 0x3c5;
	case 24: return cntv_ctl[t];
	case 25: return 0x10000000000ull | t << 24;
	case 26: return 0x123400000000ull | t << 20;
	case 27: return 0x1e0 | t << 16 | (t & 3) << 1;
	case 28: return 0x567800000000ull | t << 12;
	case 29: return 0x1fe0 | t << 16 | (t & 3) << 3;
	}
	return 0;
}

struct fp_block {
	uint64_t v[64];		/* v0..v31, low then high half */
	uint64_t fpcr, fpsr;
};

static void fp_pattern(struct fp_block *fp, uint64_t t)
{
	static const uint64_t fpcr[] = {
		0, 0x0c00000, 0x3400000, 0x0800000, 0x4000000,
	};
	static const uint64_t fpsr[] = {
		0, 0x11, 0x8000002, 0x84, 0x8000008,
	};
	int n;

	for (n = 0; n < 64; n++)
		fp->v[n] = t << 56 | 0x0101010101ull * (n + 1);
	fp->fpcr = fpcr[t];
	fp->fpsr = fpsr[t];
}

#define MKVM_VREG(n)							\
	(KVM_REG_ARM64 | KVM_REG_SIZE_U128 | KVM_REG_ARM_CORE |	\
	 KVM_REG_ARM_CORE_REG(fp_regs.vregs[n]))
#define MKVM_FPSR							\
	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE |		\
	 KVM_REG_ARM_CORE_REG(fp_regs.fpsr))
#define MKVM_FPCR							\
	(KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE |		\
	 KVM_REG_ARM_CORE_REG(fp_regs.fpcr))

struct iso_vm {
	struct mkvm_vm *vm;
	struct mkvm_vcpu *vcpu;
	uint64_t tag;
	uint64_t sctlr_reset;
	uint64_t *data;
};

static struct iso_vm iso_vm_create(uint64_t tag)
{
	struct iso_vm v = { .tag = tag };
	struct fp_block fp;
	uint64_t t;
	int i;

	v.vm = vm_create(guest_iso, guest_iso_end);
	v.vcpu = vm_vcpu_add(v.vm, 0);
	v.sctlr_reset = vcpu_get_reg(v.vcpu, iso_regs[0].id);
	v.data = vm_gpa_to_hva(v.vm, DATA_IPA);
	for (i = 0; i < NR_ISO; i++)
		v.data[OFF_SET / 8 + i] = pattern(i, tag, v.sctlr_reset);
	fp_pattern(&fp, tag);
	memcpy((char *)v.data + OFF_FP_SET, &fp, FP_BYTES);
	/* Vectors wherever any tag's VBAR_EL1 points. */
	for (t = 1; t <= 4; t++)
		vm_load_code(v.vm, VBAR_IPA(t), mkvm_guest_vectors,
			     mkvm_guest_vectors_end);
	return v;
}

static void iso_vm_free(struct iso_vm *v)
{
	vcpu_free(v->vcpu);
	vm_free(v->vm);
}

/* Run to the next report, through signals (-EINTR: run again). */
static void run_to_report(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int ret;

	for (;;) {
		ret = _vcpu_run(vcpu);
		if (ret == -EINTR)
			continue;
		MKVM_CHECK(!ret, "KVM_RUN: %s", strerror(-ret));
		break;
	}
	MKVM_CHECK(run->exit_reason == KVM_EXIT_MMIO &&
		   run->mmio.phys_addr == MKVM_UCALL_IPA + UCALL_REPORT,
		   "exit %s at %#llx (ESR_EL1 %#llx?)",
		   mkvm_exit_name(run->exit_reason),
		   (unsigned long long)run->mmio.phys_addr,
		   (unsigned long long)mkvm_mmio_data(run));
}

static bool expect_reg(struct __test_metadata *_metadata, int i)
{
	return iso_regs[i].check == EXACT;
}

/* KVM_GET_ONE_REG shows the values the guest loaded (tag @t). */
static void check_one_regs(struct __test_metadata *_metadata,
			   struct iso_vm *v, uint64_t t)
{
	struct fp_block fp;
	uint64_t q[2];
	struct kvm_one_reg reg;
	int i, n;

	for (i = 0; i < NR_ISO; i++) {
		if (!expect_reg(_metadata, i))
			continue;
		EXPECT_EQ(pattern(i, t, v->sctlr_reset),
			  vcpu_get_reg(v->vcpu, iso_regs[i].id))
			TH_LOG("VM %llu: GET_ONE_REG %s", (unsigned long long)v->tag,
			       iso_regs[i].name);
	}
	fp_pattern(&fp, t);
	for (n = 0; n < 32; n++) {
		reg.id = MKVM_VREG(n);
		reg.addr = (uintptr_t)q;
		ASSERT_EQ(0, ioctl(v->vcpu->fd, KVM_GET_ONE_REG, &reg));
		EXPECT_EQ(fp.v[2 * n], q[0]) TH_LOG("GET_ONE_REG v%d", n);
		EXPECT_EQ(fp.v[2 * n + 1], q[1]) TH_LOG("GET_ONE_REG v%d", n);
	}
}

/* The guest read back tag @t's values (the block at OFF_GOT). */
static void check_guest_got(struct __test_metadata *_metadata,
			    struct iso_vm *v, uint64_t t)
{
	struct fp_block want, got;
	int i, n;

	for (i = 0; i < NR_ISO; i++) {
		if (!expect_reg(_metadata, i))
			continue;
		EXPECT_EQ(pattern(i, t, v->sctlr_reset),
			  v->data[OFF_GOT / 8 + i])
			TH_LOG("VM %llu: guest read %s", (unsigned long long)v->tag,
			       iso_regs[i].name);
	}
	fp_pattern(&want, t);
	memcpy(&got, (char *)v->data + OFF_FP_GOT, FP_BYTES);
	for (n = 0; n < 64; n++)
		EXPECT_EQ(want.v[n], got.v[n])
			TH_LOG("VM %llu: guest read v%d", (unsigned long long)v->tag,
			       n / 2);
	EXPECT_EQ(want.fpcr, got.fpcr) TH_LOG("VM %llu: FPCR",
					      (unsigned long long)v->tag);
	EXPECT_EQ(want.fpsr, got.fpsr) TH_LOG("VM %llu: FPSR",
					      (unsigned long long)v->tag);
}

/* KVM_SET_ONE_REG of tag @t's values, everything but SCTLR/CPACR's FP. */
static void set_one_regs(struct iso_vm *v, uint64_t t)
{
	struct fp_block fp;
	struct kvm_one_reg reg;
	uint32_t w;
	int i, n;

	for (i = 0; i < NR_ISO; i++)
		vcpu_set_reg(v->vcpu, iso_regs[i].id,
			     pattern(i, t, v->sctlr_reset));
	fp_pattern(&fp, t);
	for (n = 0; n < 32; n++) {
		reg.id = MKVM_VREG(n);
		reg.addr = (uintptr_t)&fp.v[2 * n];
		MKVM_CHECK(!ioctl(v->vcpu->fd, KVM_SET_ONE_REG, &reg),
			   "SET_ONE_REG v%d: %s", n, strerror(errno));
	}
	reg.addr = (uintptr_t)&w;
	reg.id = MKVM_FPCR;
	w = fp.fpcr;
	MKVM_CHECK(!ioctl(v->vcpu->fd, KVM_SET_ONE_REG, &reg), "FPCR");
	reg.id = MKVM_FPSR;
	w = fp.fpsr;
	MKVM_CHECK(!ioctl(v->vcpu->fd, KVM_SET_ONE_REG, &reg), "FPSR");
}

#define HOST_SYSREGS	"/sys/kernel/debug/minikvm/host_sysregs"

struct host_regs {
	bool valid;
	uint64_t val[NR_ISO];
	bool have[NR_ISO];
	uint64_t tpidr_el0, tpidrro_el0;
};

/* The host's registers on @cpu (this thread runs there). */
static void host_regs_read(struct host_regs *h, int cpu)
{
	FILE *f = fopen(HOST_SYSREGS, "r");
	unsigned long long v;
	char name[32];
	int c, i;

	memset(h, 0, sizeof(*h));
	asm volatile("mrs %0, tpidr_el0" : "=r" (h->tpidr_el0));
	asm volatile("mrs %0, tpidrro_el0" : "=r" (h->tpidrro_el0));
	if (!f)
		return;
	h->valid = true;
	while (fscanf(f, "%d %31s %llx", &c, name, &v) == 3) {
		if (c != cpu)
			continue;
		for (i = 0; i < NR_ISO; i++) {
			if (!strcmp(name, iso_regs[i].name)) {
				h->val[i] = v;
				h->have[i] = true;
			}
		}
	}
	fclose(f);
}

/*
 * The host's registers now (@now) against before the guests ran
 * (@before): the stable ones unchanged, none holding any tag's value.
 */
static void check_host(struct __test_metadata *_metadata,
		       const struct host_regs *before,
		       const struct host_regs *now, const struct iso_vm *vms,
		       int nr_vms, const char *when)
{
	uint64_t t;
	int i;

	EXPECT_EQ(before->tpidr_el0, now->tpidr_el0) TH_LOG("%s", when);
	EXPECT_EQ(before->tpidrro_el0, now->tpidrro_el0) TH_LOG("%s", when);
	if (!now->valid) {
		EXPECT_FALSE(mkvm_dev_is_minikvm()) TH_LOG("no " HOST_SYSREGS);
		return;
	}
	for (i = 0; i < NR_ISO; i++) {
		if (!now->have[i] || iso_regs[i].guest_leftover)
			continue;	/* SP_EL1: the reader's own stack */
		if (iso_regs[i].host_stable)
			EXPECT_EQ(before->val[i], now->val[i])
				TH_LOG("%s: host %s", when, iso_regs[i].name);
		for (t = 1; t <= 4; t++) {
			if (iso_regs[i].check != EXACT ||
			    pattern(i, t, vms[0].sctlr_reset) == before->val[i])
				continue;
			EXPECT_NE(pattern(i, t, vms[0].sctlr_reset), now->val[i])
				TH_LOG("%s: host %s holds tag %llu's value", when,
				       iso_regs[i].name, (unsigned long long)t);
		}
	}
	(void)nr_vms;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	MKVM_CHECK(!sched_setaffinity(0, sizeof(set), &set),
		   "pin to CPU %d: %s", cpu, strerror(errno));
}

/*
 * VMs A (tag 1) and B (tag 2), run by this one thread pinned to one CPU,
 * in turns, so that each enters right after the other left: whatever
 * the switch forgets, the next one finds.  Then tags 3 and 4 through
 * KVM_SET_ONE_REG.
 */
TEST_F_TIMEOUT(isolation, two_vms_alternating, 120)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	struct itimerval off = { 0 };
	struct host_regs before, now;
	struct iso_vm vms[2];
	int cpu = mkvm_online_cpus() > 1 ? 1 : 0, k;

	pin_to_cpu(cpu);
	host_regs_read(&before, cpu);
	for (k = 0; k < 2; k++)
		vms[k] = iso_vm_create(k + 1);

	/* Loaded, then an MMIO exit: the VMM's view, the host's own. */
	for (k = 0; k < 2; k++)
		run_to_report(vms[k].vcpu);
	for (k = 0; k < 2; k++)
		check_one_regs(_metadata, &vms[k], k + 1);
	host_regs_read(&now, cpu);
	check_host(_metadata, &before, &now, vms, 2, "after MMIO exits");

	/* HVC, WFI (woken by SIGALRM), interrupts while spinning. */
	mkvm_install_kick_handler(SIGALRM);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	for (k = 0; k < 2; k++)
		run_to_report(vms[k].vcpu);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));

	/* Each reads back its own. */
	for (k = 0; k < 2; k++)
		run_to_report(vms[k].vcpu);
	for (k = 0; k < 2; k++)
		check_guest_got(_metadata, &vms[k], k + 1);
	host_regs_read(&now, cpu);
	check_host(_metadata, &before, &now, vms, 2, "after the round");

	/* KVM_SET_ONE_REG reaches the guest. */
	for (k = 0; k < 2; k++) {
		set_one_regs(&vms[k], k + 3);
		memset((char *)vms[k].data + OFF_GOT, 0, 0x100);
	}
	for (k = 0; k < 2; k++)
		vcpu_done(vms[k].vcpu);
	for (k = 0; k < 2; k++)
		check_guest_got(_metadata, &vms[k], k + 3);
	host_regs_read(&now, cpu);
	check_host(_metadata, &before, &now, vms, 2, "at the end");
	for (k = 0; k < 2; k++)
		iso_vm_free(&vms[k]);
}

TEST_HARNESS_MAIN
