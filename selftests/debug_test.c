// SPDX-License-Identifier: GPL-2.0
/*
 * Debugging guests, on both boots (the kernel's KVM is the reference):
 *
 *  - the guest's own debug: hardware breakpoints, watchpoints, software
 *    step, BRK, linked context-ID breakpoints and the OS lock, each taken
 *    by the guest into its own vectors, with the syndrome, the return
 *    address and (watchpoints) the address the architecture gives;
 *  - its registers are its own: two VMs in turns on one CPU fill every
 *    breakpoint and watchpoint ID_AA64DFR0_EL1 gives them, and each reads
 *    back its own values; the host's stay as they were (minikvm's debugfs
 *    minikvm/host_sysregs, on the minikvm boot);
 *  - KVM_SET_GUEST_DEBUG: the VMM's single step (across MMIO exits, HVCs
 *    and emulated instructions, with host interrupts arriving), software
 *    breakpoints, hardware breakpoints and watchpoints, each a
 *    KVM_EXIT_DEBUG with the syndrome (and the address) KVM reports; the
 *    capabilities and the errors.
 */
#include <sched.h>
#include <sys/time.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"

MKVM_VM_FIXTURE(debug);

#define ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define EC_BREAKPT_LOW		0x30
#define EC_BREAKPT_CUR		0x31
#define EC_SOFTSTP_LOW		0x32
#define EC_SOFTSTP_CUR		0x33
#define EC_WATCHPT_LOW		0x34
#define EC_WATCHPT_CUR		0x35
#define EC_BRK64		0x3c

#define ID_AA64DFR0_EL1		ARM64_SYS_REG(3, 0, 0, 5, 0)
#define DBGBVR_EL1(n)		ARM64_SYS_REG(2, 0, 0, (n), 4)

/* Where the watchpoint probes store: guest RAM, 8-byte aligned. */
#define WP_IPA			(MKVM_RAM_IPA + 0x100000)
#define G_WP_ADDR		"movz	x3, #0x8010, lsl #16\n"
_Static_assert(WP_IPA == 0x8010ull << 16, "G_WP_ADDR is stale");

/* DBGBCR: address match, BAS all four bytes, EL1 (PMC 0b01), enabled. */
#define BCR_EL1_EXEC		0x1e3ull
/* DBGWCR: BAS all eight bytes, stores (LSC 0b10), EL1 (PAC 0b01), on. */
#define WCR_EL1_STORE		0x1ff3ull

/*
 * The guest's own vectors, then a reset of its debug state.  Every
 * exception counts in x25, leaves ESR_EL1 in x24, ELR_EL1 in x23 and
 * FAR_EL1 in x22, and returns with PSTATE.D set, so that the debug event
 * that fired is not taken again (BRK, which D does not mask, returns past
 * itself).  Clobbers x26.
 */
#define G_VECTORS							\
	"b	9f\n"							\
	".balign 0x800\n"						\
	"8:\n"								\
	".rept 16\n"							\
	".balign 0x80\n"						\
	"mrs	x24, esr_el1\n"						\
	"mrs	x23, elr_el1\n"						\
	"mrs	x22, far_el1\n"						\
	"add	x25, x25, #1\n"						\
	"lsr	x26, x24, #26\n"					\
	"cmp	x26, #0x3c\n"						\
	"b.ne	7f\n"							\
	"add	x26, x23, #4\n"						\
	"msr	elr_el1, x26\n"						\
	"7:	mrs	x26, spsr_el1\n"				\
	"orr	x26, x26, #(1 << 9)\n"					\
	"msr	spsr_el1, x26\n"					\
	"eret\n"							\
	".endr\n"							\
	"9:	adr	x26, 8b\n"					\
	"msr	vbar_el1, x26\n"					\
	"mov	x22, #0\n"						\
	"mov	x23, #0\n"						\
	"mov	x24, #0\n"						\
	"mov	x25, #0\n"						\
	"msr	oslar_el1, xzr\n"					\
	"msr	mdscr_el1, xzr\n"					\
	"msr	contextidr_el1, xzr\n"					\
	"isb\n"

/*
 * The debug register @reg number @idx (a register) := x2, or x2 := it:
 * one MSR/MRS per number, reached by a computed branch.  Clobbers x9.
 */
#define G_DBG_ACCESS(insn, idx)						\
	"adr	x9, 5f\n"						\
	"add	x9, x9, " idx ", lsl #3\n"				\
	"br	x9\n"							\
	"5:\n"								\
	".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n"		\
	insn "\n"							\
	"b	6f\n"							\
	".endr\n"							\
	"6:\n"
#define G_DBG_WRITE(reg, idx)	G_DBG_ACCESS("msr	" reg "\\n\\()_el1, x2", idx)
#define G_DBG_READ(reg, idx)	G_DBG_ACCESS("mrs	x2, " reg "\\n\\()_el1", idx)

/* MDSCR_EL1.KDE | MDE, then debug exceptions unmasked at EL1. */
#define G_DEBUG_ON							\
	"mov	x2, #0xa000\n"						\
	"msr	mdscr_el1, x2\n"					\
	"isb\n"								\
	"msr	daifclr, #8\n"						\
	"isb\n"

#define G_RESULTS							\
	G_REPORT("x1")							\
	G_REPORT("x25")							\
	G_REPORT("x24")							\
	G_REPORT("x23")							\
	G_REPORT("x22")

/* Breakpoint x10 on the nop at 1: x1 = its address. */
MKVM_GUEST(guest_hw_bp,
	G_VECTORS
	"adr	x2, 1f\n"
	G_DBG_WRITE("dbgbvr", "x10")
	"mov	x2, #0x1e3\n"
	G_DBG_WRITE("dbgbcr", "x10")
	G_DEBUG_ON
	"1:	nop\n"
	"adr	x1, 1b\n"
	G_RESULTS
	G_DONE);

/* Watchpoint x10 on stores to WP_IPA: x1 = the store's address. */
MKVM_GUEST(guest_hw_wp,
	G_VECTORS
	G_WP_ADDR
	"mov	x2, x3\n"
	G_DBG_WRITE("dbgwvr", "x10")
	"mov	x2, #0x1ff3\n"
	G_DBG_WRITE("dbgwcr", "x10")
	G_DEBUG_ON
	"1:	str	x3, [x3]\n"
	"adr	x1, 1b\n"
	G_RESULTS
	G_DONE);

/*
 * Software step: MDSCR_EL1.KDE | SS, then an ERET to 1: with SPSR_EL1.SS
 * set and D clear runs one instruction; the step exception follows at
 * the next: x1 = its address.
 */
MKVM_GUEST(guest_step,
	G_VECTORS
	"mov	x2, #0x2001\n"
	"msr	mdscr_el1, x2\n"
	"isb\n"
	"adr	x3, 1f\n"
	"msr	elr_el1, x3\n"
	"mov	x4, #0x1c5\n"			/* EL1h, D clear, A I F set */
	"orr	x4, x4, #(1 << 21)\n"		/* SS */
	"msr	spsr_el1, x4\n"
	"eret\n"
	"1:	add	x1, x1, #1\n"
	"2:	add	x1, x1, #1\n"
	"adr	x1, 2b\n"
	G_RESULTS
	G_DONE);

/* BRK #0x123 at 1: x1 = its address. */
MKVM_GUEST(guest_brk,
	G_VECTORS
	"1:	brk	#0x123\n"
	"adr	x1, 1b\n"
	G_RESULTS
	G_DONE);

/*
 * The OS lock: locked, OSLSR_EL1 (x20), breakpoint x10 on 1: (blocked:
 * exceptions in x21), BRK (not blocked: x19); unlocked, the breakpoint
 * moved to 3: fires (x1 = its address).
 */
MKVM_GUEST(guest_os_lock,
	G_VECTORS
	"mov	x2, #1\n"
	"msr	oslar_el1, x2\n"
	"isb\n"
	"mrs	x20, oslsr_el1\n"
	"adr	x2, 1f\n"
	G_DBG_WRITE("dbgbvr", "x10")
	"mov	x2, #0x1e3\n"
	G_DBG_WRITE("dbgbcr", "x10")
	G_DEBUG_ON
	"1:	nop\n"
	"mov	x21, x25\n"
	"brk	#1\n"
	"mov	x19, x25\n"
	"msr	oslar_el1, xzr\n"
	"isb\n"
	"adr	x2, 3f\n"
	G_DBG_WRITE("dbgbvr", "x10")
	"msr	daifclr, #8\n"
	"isb\n"
	"3:	nop\n"
	"adr	x1, 3b\n"
	G_REPORT("x20")
	G_REPORT("x21")
	G_REPORT("x19")
	G_RESULTS
	G_DONE);

/*
 * Linked context-ID breakpoint: x11 a context-aware breakpoint matching
 * CONTEXTIDR_EL1 == 0xabcd (BT 0b0011), x10 an address breakpoint linked
 * to it (BT 0b0001, LBN x11).  With CONTEXTIDR_EL1 = 0x1234 the nop at
 * 1: passes (exceptions in x19); with 0xabcd the one at 2: stops.
 */
MKVM_GUEST(guest_ctx_bp,
	G_VECTORS
	"mov	x2, #0xabcd\n"
	G_DBG_WRITE("dbgbvr", "x11")
	"movz	x2, #0x1e3\n"
	"movk	x2, #0x30, lsl #16\n"
	G_DBG_WRITE("dbgbcr", "x11")
	"adr	x2, 1f\n"
	G_DBG_WRITE("dbgbvr", "x10")
	"movz	x2, #0x1e3\n"
	"movk	x2, #0x10, lsl #16\n"
	"orr	x2, x2, x11, lsl #16\n"
	G_DBG_WRITE("dbgbcr", "x10")
	"mov	x2, #0x1234\n"
	"msr	contextidr_el1, x2\n"
	G_DEBUG_ON
	"1:	nop\n"
	"mov	x19, x25\n"
	"adr	x2, 2f\n"
	G_DBG_WRITE("dbgbvr", "x10")
	"mov	x2, #0xabcd\n"
	"msr	contextidr_el1, x2\n"
	"isb\n"
	"2:	nop\n"
	"adr	x1, 2b\n"
	"msr	contextidr_el1, xzr\n"
	G_REPORT("x19")
	G_RESULTS
	G_DONE);

struct dbg_result {
	uint64_t addr;		/* x1: where the event should be */
	uint64_t exceptions;
	uint64_t esr, elr, far;
};

static struct dbg_result results(struct mkvm_vcpu *vcpu)
{
	struct dbg_result r;

	r.addr = vcpu_report(vcpu);
	r.exceptions = vcpu_report(vcpu);
	r.esr = vcpu_report(vcpu);
	r.elr = vcpu_report(vcpu);
	r.far = vcpu_report(vcpu);
	vcpu_done(vcpu);
	return r;
}

static uint64_t dfr0_field(struct mkvm_vcpu *vcpu, int shift)
{
	return (vcpu_get_reg(vcpu, ID_AA64DFR0_EL1) >> shift) & 0xf;
}

/* Breakpoints, watchpoints, context-aware breakpoints the guest is told. */
static unsigned int nr_brps(struct mkvm_vcpu *vcpu)
{
	return dfr0_field(vcpu, 12) + 1;
}

static unsigned int nr_wrps(struct mkvm_vcpu *vcpu)
{
	return dfr0_field(vcpu, 20) + 1;
}

static unsigned int nr_ctx_cmps(struct mkvm_vcpu *vcpu)
{
	return dfr0_field(vcpu, 28) + 1;
}

/* A vCPU running @start in a fresh VM, with x10 = @n, x11 = @ctx. */
static struct mkvm_vcpu *probe_vcpu(struct mkvm_vm **vm, const char *start,
				    const char *end, uint64_t n, uint64_t ctx)
{
	struct mkvm_vcpu *vcpu;

	*vm = vm_create(start, end);
	vcpu = vm_vcpu_add(*vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(10), n);
	vcpu_set_reg(vcpu, MKVM_XREG(11), ctx);
	return vcpu;
}

static void probe_free(struct mkvm_vm *vm, struct mkvm_vcpu *vcpu)
{
	vcpu_free(vcpu);
	vm_free(vm);
}

/* A vCPU's count of a kind of comparator (nr_brps(), ...), from a probe. */
static unsigned int probe_count(unsigned int (*count)(struct mkvm_vcpu *))
{
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;
	unsigned int n;

	vcpu = probe_vcpu(&vm, NULL, NULL, 0, 0);
	n = count(vcpu);
	probe_free(vm, vcpu);
	return n;
}

/*
 * The guest took one debug exception, of class @ec, at the instruction it
 * armed (ELR); @what and @n name the case in the log.
 */
static void expect_one(struct __test_metadata *_metadata,
		       const struct dbg_result *r, unsigned int ec,
		       const char *what, unsigned int n)
{
	EXPECT_EQ(1, r->exceptions) TH_LOG("%s %u", what, n);
	EXPECT_EQ(ec, ESR_EC(r->esr))
		TH_LOG("%s %u: ESR %#llx", what, n,
		       (unsigned long long)r->esr);
	EXPECT_EQ(r->addr, r->elr) TH_LOG("%s %u", what, n);
}

/*
 * Each of the @count comparators of a kind fires, in the guest, once:
 * the guest @start..@end arms comparator x10 and trips it; ELR is the
 * instruction's address and, for a watchpoint (@far), FAR the data's.
 */
static void each_comparator_fires(struct __test_metadata *_metadata,
				  const char *kind, unsigned int count,
				  const char *start, const char *end,
				  unsigned int ec, bool far)
{
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;
	unsigned int n;

	ASSERT_GE(count, 2);
	for (n = 0; n < count; n++) {
		struct dbg_result r;

		vcpu = probe_vcpu(&vm, start, end, n, 0);
		r = results(vcpu);
		expect_one(_metadata, &r, ec, kind, n);
		if (far)
			EXPECT_EQ(WP_IPA, r.far) TH_LOG("%s %u", kind, n);
		probe_free(vm, vcpu);
	}
}

/* Every breakpoint the guest is given. */
TEST_F(debug, guest_breakpoints)
{
	each_comparator_fires(_metadata, "breakpoint", probe_count(nr_brps),
			      guest_hw_bp,
			      guest_hw_bp_end, EC_BREAKPT_CUR, false);
}

/* Every watchpoint. */
TEST_F(debug, guest_watchpoints)
{
	each_comparator_fires(_metadata, "watchpoint", probe_count(nr_wrps),
			      guest_hw_wp,
			      guest_hw_wp_end, EC_WATCHPT_CUR, true);
}

TEST_F(debug, guest_single_step)
{
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;
	struct dbg_result r;

	vcpu = probe_vcpu(&vm, guest_step, guest_step_end, 0, 0);
	r = results(vcpu);
	expect_one(_metadata, &r, EC_SOFTSTP_CUR, "single step", 0);
	probe_free(vm, vcpu);
}

/* BRK reaches the guest's vectors with its immediate, VMM or not. */
TEST_F(debug, guest_brk)
{
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;
	struct dbg_result r;

	vcpu = probe_vcpu(&vm, guest_brk, guest_brk_end, 0, 0);
	r = results(vcpu);
	expect_one(_metadata, &r, EC_BRK64, "brk", 0);
	EXPECT_EQ(0x123, r.esr & 0xffff);
	probe_free(vm, vcpu);
}

TEST_F(debug, guest_os_lock)
{
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;
	struct dbg_result r;
	uint64_t oslsr, blocked, brk;

	vcpu = probe_vcpu(&vm, guest_os_lock, guest_os_lock_end, 1, 0);
	oslsr = vcpu_report(vcpu);
	blocked = vcpu_report(vcpu);
	brk = vcpu_report(vcpu);
	r = results(vcpu);
	EXPECT_TRUE(oslsr & 2) TH_LOG("OSLSR_EL1 %#llx", (unsigned long long)oslsr);
	EXPECT_EQ(0, blocked) TH_LOG("a breakpoint fired under the OS lock");
	EXPECT_EQ(1, brk) TH_LOG("BRK is not blocked by the OS lock");
	EXPECT_EQ(2, r.exceptions);
	EXPECT_EQ(EC_BREAKPT_CUR, ESR_EC(r.esr))
		TH_LOG("ESR %#llx", (unsigned long long)r.esr);
	EXPECT_EQ(r.addr, r.elr);
	/* The lock is the vCPU's: unlocked again for the VMM too. */
	probe_free(vm, vcpu);
}

/* Every context-aware breakpoint, linked to breakpoint 0. */
TEST_F(debug, guest_linked_context_bp)
{
	unsigned int c, brps = probe_count(nr_brps);
	unsigned int ctx = probe_count(nr_ctx_cmps);
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;

	ASSERT_LT(ctx, brps);
	/* The context-aware ones are the highest numbered (Arm ARM D2.8). */
	for (c = brps - ctx; c < brps; c++) {
		struct dbg_result r;
		uint64_t wrong;

		vcpu = probe_vcpu(&vm, guest_ctx_bp, guest_ctx_bp_end, 0, c);
		wrong = vcpu_report(vcpu);
		r = results(vcpu);
		EXPECT_EQ(0, wrong) TH_LOG("context %u: fired for another context", c);
		expect_one(_metadata, &r, EC_BREAKPT_CUR, "context", c);
		probe_free(vm, vcpu);
	}
}

/*
 * Every breakpoint and watchpoint register the guest is given := a value
 * of its own (tag in x15-x17, disabled: E clear), MDSCR_EL1 := x19; x13
 * and x14 reported (the counts); then, after an exit (another VM runs on
 * the CPU meanwhile), each read back: the number that differ is reported.
 */
MKVM_GUEST(guest_fill,
	G_VECTORS
	"msr	mdscr_el1, x19\n"
	"isb\n"
	"mrs	x12, id_aa64dfr0_el1\n"
	"ubfx	x13, x12, #12, #4\n"
	"add	x13, x13, #1\n"
	"ubfx	x14, x12, #20, #4\n"
	"add	x14, x14, #1\n"
	"mov	x10, #0\n"
	"1:	add	x2, x15, x10, lsl #4\n"
	G_DBG_WRITE("dbgbvr", "x10")
	"mov	x2, #0x1e0\n"
	"orr	x2, x2, x10, lsl #16\n"
	"orr	x2, x2, x16\n"
	G_DBG_WRITE("dbgbcr", "x10")
	"add	x10, x10, #1\n"
	"cmp	x10, x13\n"
	"b.lo	1b\n"
	"mov	x10, #0\n"
	"1:	add	x2, x15, x10, lsl #8\n"
	"add	x2, x2, #0x8000\n"
	G_DBG_WRITE("dbgwvr", "x10")
	"mov	x2, #0x1fe0\n"
	"orr	x2, x2, x10, lsl #16\n"
	"orr	x2, x2, x17\n"
	G_DBG_WRITE("dbgwcr", "x10")
	"add	x10, x10, #1\n"
	"cmp	x10, x14\n"
	"b.lo	1b\n"
	G_REPORT("x13")
	G_REPORT("x14")
	"mov	x20, #0\n"
	"mov	x10, #0\n"
	"1:	add	x3, x15, x10, lsl #4\n"
	G_DBG_READ("dbgbvr", "x10")
	"cmp	x2, x3\n"
	"cinc	x20, x20, ne\n"
	"mov	x3, #0x1e0\n"
	"orr	x3, x3, x10, lsl #16\n"
	"orr	x3, x3, x16\n"
	G_DBG_READ("dbgbcr", "x10")
	"cmp	x2, x3\n"
	"cinc	x20, x20, ne\n"
	"add	x10, x10, #1\n"
	"cmp	x10, x13\n"
	"b.lo	1b\n"
	"mov	x10, #0\n"
	"1:	add	x3, x15, x10, lsl #8\n"
	"add	x3, x3, #0x8000\n"
	G_DBG_READ("dbgwvr", "x10")
	"cmp	x2, x3\n"
	"cinc	x20, x20, ne\n"
	"mov	x3, #0x1fe0\n"
	"orr	x3, x3, x10, lsl #16\n"
	"orr	x3, x3, x17\n"
	G_DBG_READ("dbgwcr", "x10")
	"cmp	x2, x3\n"
	"cinc	x20, x20, ne\n"
	"add	x10, x10, #1\n"
	"cmp	x10, x14\n"
	"b.lo	1b\n"
	"mrs	x21, mdscr_el1\n"
	G_REPORT("x20")
	G_REPORT("x21")
	G_DONE);

static uint64_t fill_bvr(uint64_t t, unsigned int n)
{
	return 0x123400000000ull + (t << 20) + ((uint64_t)n << 4);
}

static uint64_t fill_bcr(uint64_t t, unsigned int n)
{
	return 0x1e0 | (uint64_t)n << 16 | (t & 3) << 1;
}

static uint64_t fill_wvr(uint64_t t, unsigned int n)
{
	return fill_bvr(t, 0) + ((uint64_t)n << 8) + 0x8000;
}

static uint64_t fill_wcr(uint64_t t, unsigned int n)
{
	return 0x1fe0 | (uint64_t)n << 16 | (t & 3) << 3 | (t & 3) << 1;
}

#define HOST_SYSREGS	"/sys/kernel/debug/minikvm/host_sysregs"

/* The host's debug registers on @cpu; false without minikvm's debugfs. */
static bool host_dbg_read(int cpu, uint64_t bvr[16], uint64_t bcr[16],
			  uint64_t wvr[16], uint64_t wcr[16])
{
	FILE *f = fopen(HOST_SYSREGS, "r");
	unsigned long long v;
	unsigned int n;
	char name[32];
	int c;

	if (!f)
		return false;
	while (fscanf(f, "%d %31s %llx", &c, name, &v) == 3) {
		if (c != cpu)
			continue;
		if (sscanf(name, "dbgbvr%u_el1", &n) == 1 && n < 16)
			bvr[n] = v;
		else if (sscanf(name, "dbgbcr%u_el1", &n) == 1 && n < 16)
			bcr[n] = v;
		else if (sscanf(name, "dbgwvr%u_el1", &n) == 1 && n < 16)
			wvr[n] = v;
		else if (sscanf(name, "dbgwcr%u_el1", &n) == 1 && n < 16)
			wcr[n] = v;
	}
	fclose(f);
	return true;
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
 * Two VMs in turns on one CPU, each filling every breakpoint and
 * watchpoint: VM 1 with MDSCR_EL1.MDE | KDE (debug in use: switched every
 * run), VM 2 with MDSCR_EL1 = 0 (switched in the run after its first
 * trapped write, held by the hypervisor from then on).  Each reads its
 * own back; the host's registers on that CPU never change.
 */
TEST_F(debug, registers_are_the_guests)
{
	uint64_t before[4][16] = {}, after[4][16] = {};
	static const uint64_t mdscr[] = { 0, 0xa000, 0 };
	struct mkvm_vcpu *vcpus[2];
	struct mkvm_vm *vms[2];
	int cpu = mkvm_online_cpus() > 1 ? 1 : 0, k;
	unsigned int n, brps, wrps;
	bool host;

	pin_to_cpu(cpu);
	host = host_dbg_read(cpu, before[0], before[1], before[2], before[3]);
	if (!host)
		EXPECT_FALSE(mkvm_dev_is_minikvm()) TH_LOG("no " HOST_SYSREGS);
	for (k = 0; k < 2; k++) {
		uint64_t t = k + 1;

		vms[k] = vm_create(guest_fill, guest_fill_end);
		vcpus[k] = vm_vcpu_add(vms[k], 0);
		vcpu_set_reg(vcpus[k], MKVM_XREG(15), fill_bvr(t, 0));
		vcpu_set_reg(vcpus[k], MKVM_XREG(16), (t & 3) << 1);
		vcpu_set_reg(vcpus[k], MKVM_XREG(17), (t & 3) << 3 | (t & 3) << 1);
		vcpu_set_reg(vcpus[k], MKVM_XREG(19), mdscr[t]);
	}
	brps = nr_brps(vcpus[0]);
	wrps = nr_wrps(vcpus[0]);
	for (k = 0; k < 2; k++) {
		EXPECT_EQ(brps, vcpu_report(vcpus[k]));
		EXPECT_EQ(wrps, vcpu_report(vcpus[k]));
	}
	if (host) {
		ASSERT_TRUE(host_dbg_read(cpu, after[0], after[1], after[2],
					  after[3]));
		for (n = 0; n < 16; n++) {
			EXPECT_EQ(before[0][n], after[0][n]) TH_LOG("host DBGBVR%u", n);
			EXPECT_EQ(before[1][n], after[1][n]) TH_LOG("host DBGBCR%u", n);
			EXPECT_EQ(before[2][n], after[2][n]) TH_LOG("host DBGWVR%u", n);
			EXPECT_EQ(before[3][n], after[3][n]) TH_LOG("host DBGWCR%u", n);
		}
		for (n = 0; n < brps; n++)
			EXPECT_NE(fill_bvr(2, n), after[0][n]);
	}
	for (k = 0; k < 2; k++) {
		uint64_t t = k + 1;

		EXPECT_EQ(0, vcpu_report(vcpus[k]))
			TH_LOG("VM %d: registers not its own", k + 1);
		EXPECT_EQ(mdscr[t], vcpu_report(vcpus[k]));
		vcpu_done(vcpus[k]);
		/* The VMM sees the guest's values too. */
		for (n = 0; n < brps; n++) {
			EXPECT_EQ(fill_bvr(t, n),
				  vcpu_get_reg(vcpus[k], DBGBVR_EL1(n)));
			EXPECT_EQ(fill_bcr(t, n),
				  vcpu_get_reg(vcpus[k], ARM64_SYS_REG(2, 0, 0, n, 5)));
		}
		for (n = 0; n < wrps; n++) {
			EXPECT_EQ(fill_wvr(t, n),
				  vcpu_get_reg(vcpus[k], ARM64_SYS_REG(2, 0, 0, n, 6)));
			EXPECT_EQ(fill_wcr(t, n),
				  vcpu_get_reg(vcpus[k], ARM64_SYS_REG(2, 0, 0, n, 7)));
		}
	}
	if (host) {
		ASSERT_TRUE(host_dbg_read(cpu, after[0], after[1], after[2],
					  after[3]));
		for (n = 0; n < 16; n++) {
			EXPECT_EQ(before[0][n], after[0][n]) TH_LOG("host DBGBVR%u", n);
			EXPECT_EQ(before[3][n], after[3][n]) TH_LOG("host DBGWCR%u", n);
		}
	}
	for (k = 0; k < 2; k++) {
		vcpu_free(vcpus[k]);
		vm_free(vms[k]);
	}
}

/* ---- KVM_SET_GUEST_DEBUG ---------------------------------------------- */

static int set_guest_debug(struct mkvm_vcpu *vcpu, uint32_t control,
			   const struct kvm_guest_debug_arch *arch)
{
	struct kvm_guest_debug gd;

	memset(&gd, 0, sizeof(gd));
	gd.control = control;
	if (arch)
		gd.arch = *arch;
	return mkvm_ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &gd);
}

/* Run until KVM_EXIT_DEBUG, through signals; its syndrome. */
static uint64_t run_to_debug(struct mkvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int ret;

	do {
		ret = _vcpu_run(vcpu);
	} while (ret == -EINTR);
	MKVM_CHECK(!ret, "KVM_RUN: %s", strerror(-ret));
	MKVM_CHECK(run->exit_reason == KVM_EXIT_DEBUG,
		   "exit %u (%s), expected DEBUG, pc %#llx", run->exit_reason,
		   mkvm_exit_name(run->exit_reason),
		   (unsigned long long)vcpu_get_reg(vcpu, MKVM_PC));
	MKVM_CHECK(run->flags & KVM_DEBUG_ARCH_HSR_HIGH_VALID, "flags %#x",
		   run->flags);
	return (uint64_t)run->debug.arch.hsr_high << 32 | run->debug.arch.hsr;
}

TEST_F(debug, set_guest_debug_api)
{
	int kvm = mkvm_open();
	struct mkvm_vcpu *vcpu;
	uint64_t dfr0;

	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	dfr0 = vcpu_get_reg(vcpu, ID_AA64DFR0_EL1);
	EXPECT_EQ(1, ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG));
	EXPECT_EQ(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP |
		  KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW,
		  ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2));
	EXPECT_EQ(((dfr0 >> 12) & 0xf) + 1,
		  ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_DEBUG_HW_BPS));
	EXPECT_EQ(((dfr0 >> 20) & 0xf) + 1,
		  ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_DEBUG_HW_WPS));
	EXPECT_EQ(((dfr0 >> 12) & 0xf) + 1,
		  ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			KVM_CAP_GUEST_DEBUG_HW_BPS));

	/* x86's flags, and any arm64 does not have: -EINVAL, even off. */
	EXPECT_EQ(-EINVAL, set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE | 0x4, NULL));
	EXPECT_EQ(-EINVAL, set_guest_debug(vcpu, 0x4, NULL));
	EXPECT_EQ(-EINVAL, set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE | 1u << 31,
					   NULL));
	EXPECT_EQ(-EINVAL, set_guest_debug(vcpu, 1u << 18, NULL));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG,
				      (void *)8));
	EXPECT_EQ(0, set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE |
				     KVM_GUESTDBG_SINGLESTEP |
				     KVM_GUESTDBG_USE_SW_BP |
				     KVM_GUESTDBG_USE_HW, NULL));
	/* Flags without ENABLE: debugging off, no error. */
	EXPECT_EQ(0, set_guest_debug(vcpu, KVM_GUESTDBG_SINGLESTEP, NULL));
	EXPECT_EQ(0, set_guest_debug(vcpu, 0, NULL));
	vcpu_free(vcpu);
	close(kvm);
}

/*
 * Under the VMM's single step: plain instructions, one the hypervisor
 * emulates (ID register, HVC#0 PSCI_VERSION), an MMIO exit to the VMM
 * (the report), then 64 plain ones, counting in x19 (KVM's SMCCC answer
 * clears x1-x3).
 */
MKVM_GUEST(guest_vmm_step,
	"add	x19, x19, #1\n"
	"add	x19, x19, #1\n"
	"mrs	x2, id_aa64pfr0_el1\n"
	"movz	w0, #0x8400, lsl #16\n"
	"hvc	#0\n"
	"add	x19, x19, #1\n"
	G_REPORT("x19")
	".rept 64\n"
	"add	x19, x19, #1\n"
	".endr\n"
	G_REPORT("x19")
	G_DONE);

/*
 * Every KVM_RUN runs one instruction: a KVM_EXIT_DEBUG (EC 0x32) at the
 * next one, whatever the instruction was (HVC, an ID register the
 * hypervisor answers, a store that went to the VMM), and with host
 * interrupts arriving all along (SIGALRM every 2 ms: exits in the middle
 * of a step must not lose it or add one).
 */
TEST_F_TIMEOUT(debug, vmm_single_step, 300)
{
	struct itimerval it = { { 0, 2000 }, { 0, 2000 } };
	struct itimerval off = { 0 };
	struct mkvm_vcpu *vcpu;
	uint64_t pc = MKVM_CODE_IPA, esr;
	unsigned int steps = 0;

	self->vm = vm_create(guest_vmm_step, guest_vmm_step_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	mkvm_install_kick_handler(SIGALRM);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	ASSERT_EQ(0, set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE |
				     KVM_GUESTDBG_SINGLESTEP, NULL));
	for (;;) {
		struct kvm_run *run = vcpu->run;
		int ret;

		do {
			ret = _vcpu_run(vcpu);
		} while (ret == -EINTR);
		ASSERT_EQ(0, ret);
		if (run->exit_reason == KVM_EXIT_MMIO) {
			/* The str of a report: it completes on the next run. */
			ASSERT_EQ(MKVM_UCALL_IPA + UCALL_REPORT,
				  run->mmio.phys_addr);
			EXPECT_EQ(pc, vcpu_get_reg(vcpu, MKVM_PC));
			if (mkvm_mmio_data(run) == 3)
				continue;
			EXPECT_EQ(3 + 64, mkvm_mmio_data(run));
			break;
		}
		ASSERT_EQ(KVM_EXIT_DEBUG, run->exit_reason)
			TH_LOG("exit %s", mkvm_exit_name(run->exit_reason));
		esr = (uint64_t)run->debug.arch.hsr_high << 32 |
		      run->debug.arch.hsr;
		EXPECT_EQ(EC_SOFTSTP_LOW, ESR_EC(esr))
			TH_LOG("ESR %#llx", (unsigned long long)esr);
		pc += 4;
		ASSERT_EQ(pc, vcpu_get_reg(vcpu, MKVM_PC))
			TH_LOG("step %u", steps);
		steps++;
	}
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));
	/* From the first instruction to the last report's str: 73 steps. */
	EXPECT_EQ(73, steps);
	/* Off again: the rest runs without a stop. */
	ASSERT_EQ(0, set_guest_debug(vcpu, 0, NULL));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
}

/*
 * BRK #0x42: the VMM's with KVM_GUESTDBG_USE_SW_BP (the PC stays on it),
 * the guest's own without (its vectors report the exception).
 */
MKVM_GUEST(guest_sw_bp,
	"1:	brk	#0x42\n"
	"adr	x1, 1b\n"
	G_REPORT("x1")
	G_DONE);

TEST_F(debug, vmm_sw_breakpoint)
{
	struct mkvm_vcpu *vcpu;
	uint64_t esr, pc;
	struct kvm_run *run;

	self->vm = vm_create(guest_sw_bp, guest_sw_bp_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	ASSERT_EQ(0, set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE |
				     KVM_GUESTDBG_USE_SW_BP, NULL));
	esr = run_to_debug(vcpu);
	EXPECT_EQ(EC_BRK64, ESR_EC(esr)) TH_LOG("ESR %#llx", (unsigned long long)esr);
	EXPECT_EQ(0x42, esr & 0xffff);
	pc = vcpu_get_reg(vcpu, MKVM_PC);
	EXPECT_EQ(MKVM_CODE_IPA, pc);
	/* Again: the BRK is still there. */
	esr = run_to_debug(vcpu);
	EXPECT_EQ(pc, vcpu_get_reg(vcpu, MKVM_PC));
	/* The VMM steps over it. */
	vcpu_set_pc(vcpu, pc + 4);
	EXPECT_EQ(pc, vcpu_report(vcpu));
	vcpu_done(vcpu);

	vcpu_free(vcpu);

	/*
	 * Debugging off again (a fresh vCPU: the last one's MMIO exit
	 * would step its PC): the guest's vectors take the BRK.
	 */
	vcpu = vm_vcpu_add(self->vm, 1);
	ASSERT_EQ(0, set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE |
				     KVM_GUESTDBG_USE_SW_BP, NULL));
	ASSERT_EQ(0, set_guest_debug(vcpu, 0, NULL));
	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(MKVM_UCALL_IPA + UCALL_EXCEPTION, run->mmio.phys_addr);
	EXPECT_EQ(EC_BRK64, ESR_EC(mkvm_mmio_data(run)));
	vcpu_free(vcpu);
}

/*
 * The guest writes its own DBGBVR0_EL1 (x5), then reaches 1: (the VMM's
 * breakpoint) and reads its register back: its own value, not the VMM's.
 */
MKVM_GUEST(guest_vmm_hw,
	"msr	dbgbvr0_el1, x5\n"
	"isb\n"
	"1:	nop\n"
	G_WP_ADDR
	"2:	str	x3, [x3]\n"
	"mrs	x1, dbgbvr0_el1\n"
	G_REPORT("x1")
	G_DONE);

/* KVM_GUESTDBG_USE_HW: breakpoint 0 on 1:, then watchpoint 0 on WP_IPA. */
TEST_F(debug, vmm_hw_breakpoint_watchpoint)
{
	struct kvm_guest_debug_arch arch;
	struct mkvm_vcpu *vcpu;
	uint64_t esr;

	self->vm = vm_create(guest_vmm_hw, guest_vmm_hw_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(5), 0x5550);

	memset(&arch, 0, sizeof(arch));
	arch.dbg_bvr[0] = MKVM_CODE_IPA + 8;
	arch.dbg_bcr[0] = BCR_EL1_EXEC;
	ASSERT_EQ(0, set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE |
				     KVM_GUESTDBG_USE_HW, &arch));
	esr = run_to_debug(vcpu);
	EXPECT_EQ(EC_BREAKPT_LOW, ESR_EC(esr))
		TH_LOG("ESR %#llx", (unsigned long long)esr);
	EXPECT_EQ(MKVM_CODE_IPA + 8, vcpu_get_reg(vcpu, MKVM_PC));
	/* The guest's own register kept the guest's value. */
	EXPECT_EQ(0x5550, vcpu_get_reg(vcpu, DBGBVR_EL1(0)));

	memset(&arch, 0, sizeof(arch));
	arch.dbg_wvr[0] = WP_IPA;
	arch.dbg_wcr[0] = WCR_EL1_STORE;
	ASSERT_EQ(0, set_guest_debug(vcpu, KVM_GUESTDBG_ENABLE |
				     KVM_GUESTDBG_USE_HW, &arch));
	esr = run_to_debug(vcpu);
	EXPECT_EQ(EC_WATCHPT_LOW, ESR_EC(esr))
		TH_LOG("ESR %#llx", (unsigned long long)esr);
	EXPECT_EQ(WP_IPA, vcpu->run->debug.arch.far);
	EXPECT_EQ(MKVM_CODE_IPA + 16, vcpu_get_reg(vcpu, MKVM_PC));

	ASSERT_EQ(0, set_guest_debug(vcpu, 0, NULL));
	EXPECT_EQ(0x5550, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
}

TEST_HARNESS_MAIN
