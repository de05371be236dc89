// SPDX-License-Identifier: GPL-2.0
/*
 * Every trap and control bit the hypervisor sets for a guest, each shown by
 * an effect only the trap produces: a guest does the trapped thing, and the
 * test checks what the host (or the guest) can see.  All of it runs against
 * the kernel's KVM on the oracle boot too.
 *
 *   HCR_EL2.TWI        WFI leaves the physical CPU to the host
 *   HCR_EL2.TWE        WFE: see wfe_shares_cpu (QEMU 7.2 never traps it)
 *   HCR_EL2.TSC        SMC is answered by the hypervisor's PSCI
 *   HCR_EL2.TID3       ID registers read sanitised, as KVM_GET_ONE_REG says
 *   HCR_EL2.TSW        set/way cache maintenance: no fault, as on KVM (gap)
 *   HCR_EL2.TACR       ACTLR_EL1 writes do not stick
 *   HCR_EL2.TIDCP      IMPDEF registers UNDEF
 *   HCR_EL2.TLOR       LORegion registers: RAZ/WI (UNDEF if hidden), never the CPU's
 *   MDCR_EL2.TDA/...   debug registers: the host's breakpoints untouched
 *   MDCR_EL2.TPM/TPMCR PMU registers UNDEF or read as zero (no vPMU)
 *   CNTHCTL_EL2        CNTP_* trapped and emulated (the host's timer
 *                      keeps ticking), CNTPCT_EL0 readable
 *   CPTR_EL2.TZ/TSM    SVE and SME instructions UNDEF
 *
 * and trap_costs: whatever a trap does, it costs a round trip to the
 * hypervisor, which the guest can time against a known exit (HVC) and a
 * plain instruction.  That catches a dropped trap bit even where QEMU
 * emulates the untrapped access the same way as the hypervisor does.
 */
#include <sched.h>
#include <sys/time.h>
#include <time.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"

MKVM_VM_FIXTURE(trap);

/*
 * Vectors that count and skip: every exception taken to the guest's EL1
 * adds one to x25, leaves ESR_EL1 in x24 and returns past the faulting
 * instruction.  Probes run with these, so an UNDEF is a result to check,
 * not the end of the guest.
 */
#define SKIP_VECTORS_IPA	(MKVM_RAM_IPA + 0x10000)
#define G_SKIP_ENTRY							\
	".balign 0x80\n"						\
	"mrs	x24, esr_el1\n"						\
	"add	x25, x25, #1\n"						\
	"mrs	x26, elr_el1\n"						\
	"add	x26, x26, #4\n"						\
	"msr	elr_el1, x26\n"						\
	"eret\n"
MKVM_GUEST(guest_skip_vectors, ".rept 16\n" G_SKIP_ENTRY ".endr\n");

/* FP, SVE and SME enabled at EL1 (CPACR_EL1.FPEN, ZEN, SMEN). */
#define G_CPACR_ALL							\
	"movz	x0, #0x0333, lsl #16\n"					\
	"msr	cpacr_el1, x0\n"					\
	"isb\n"

/*
 * A probe: @setup, then @insn (its result in x1), then reports x1, the
 * number of exceptions the guest took (x25) and the last ESR_EL1 (x24).
 */
#define PROBE(name, setup, insn)					\
	MKVM_GUEST(name,						\
		"mov	x24, #0\n"					\
		"mov	x25, #0\n"					\
		"mov	x1, #0\n"					\
		setup							\
		insn "\n"						\
		G_REPORT("x1")						\
		G_REPORT("x25")						\
		G_REPORT("x24")						\
		G_DONE)

struct probe_result {
	uint64_t val;		/* x1 */
	uint64_t exceptions;
	uint64_t esr;
};

static struct mkvm_vcpu *vcpu_add_skipping(struct mkvm_vm *vm,
					   unsigned int id)
{
	struct mkvm_vcpu *vcpu = vm_vcpu_add(vm, id);

	vm_load_code(vm, SKIP_VECTORS_IPA, guest_skip_vectors,
		     guest_skip_vectors_end);
	vcpu_set_reg(vcpu, MKVM_VBAR_EL1, SKIP_VECTORS_IPA);
	return vcpu;
}

/* Run the probe [@start, @end) in a fresh VM. */
static struct probe_result probe_run(const char *start, const char *end)
{
	struct mkvm_vm *vm = vm_create(start, end);
	struct mkvm_vcpu *vcpu = vcpu_add_skipping(vm, 0);
	struct probe_result r;

	r.val = vcpu_report(vcpu);
	r.exceptions = vcpu_report(vcpu);
	r.esr = vcpu_report(vcpu);
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	vm_free(vm);
	return r;
}

#define ESR_EC(esr)	(((esr) >> 26) & 0x3f)
#define EC_UNKNOWN	0x00

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	MKVM_CHECK(!sched_setaffinity(0, sizeof(set), &set),
		   "pin to CPU %d: %s", cpu, strerror(errno));
}

/* The CPU the pinned threads share: not CPU 0, where the harness runs. */
static int shared_cpu(void)
{
	return mkvm_online_cpus() > 1 ? 1 : 0;
}

static double now_s(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * WFI and WFE: the vCPU thread and a spinning host thread share one CPU
 * for a while; the vCPU thread reports its CPU time, the spinner its
 * CPU time and how far it counted.
 */
struct share {
	int cpu;
	struct mkvm_vcpu *vcpu;
	pthread_t vcpu_thread;
	bool started, stop;
	double vcpu_cpu_s, spin_cpu_s;
	uint64_t spins;
};

static void *share_vcpu_fn(void *arg)
{
	struct share *s = arg;
	double t0;
	int ret;

	pin_to_cpu(s->cpu);
	MKVM_CHECK(vcpu_report(s->vcpu) == 0, "guest did not start");
	t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	__atomic_store_n(&s->started, true, __ATOMIC_RELEASE);
	/* The guest idles (or spins) until a signal. */
	do {
		ret = _vcpu_run(s->vcpu);
	} while (!ret && s->vcpu->run->exit_reason == KVM_EXIT_INTR);
	MKVM_CHECK(ret == -EINTR, "KVM_RUN: %d, exit %s", ret,
		   mkvm_exit_name(s->vcpu->run->exit_reason));
	s->vcpu_cpu_s = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	return NULL;
}

static void *share_spin_fn(void *arg)
{
	struct share *s = arg;
	double t0;

	pin_to_cpu(s->cpu);
	while (!__atomic_load_n(&s->started, __ATOMIC_ACQUIRE))
		;
	t0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
		s->spins++;
	s->spin_cpu_s = now_s(CLOCK_THREAD_CPUTIME_ID) - t0;
	return NULL;
}

/* Share the CPU for @secs of wall time; returns the wall time taken. */
static double share_cpu(struct share *s, const char *start, const char *end,
			double secs)
{
	struct mkvm_vm *vm = vm_create(start, end);
	pthread_t spin;
	double t0, wall;

	s->cpu = shared_cpu();
	s->vcpu = vm_vcpu_add(vm, 0);
	mkvm_install_kick_handler(SIGUSR1);
	MKVM_CHECK(!pthread_create(&s->vcpu_thread, NULL, share_vcpu_fn, s),
		   "pthread_create");
	MKVM_CHECK(!pthread_create(&spin, NULL, share_spin_fn, s),
		   "pthread_create");
	while (!__atomic_load_n(&s->started, __ATOMIC_ACQUIRE))
		usleep(1000);
	t0 = now_s(CLOCK_MONOTONIC);
	usleep(secs * 1e6);
	__atomic_store_n(&s->stop, true, __ATOMIC_RELEASE);
	pthread_join(spin, NULL);
	wall = now_s(CLOCK_MONOTONIC) - t0;
	/* Kick until the vCPU thread is out (one kick may come early). */
	while (pthread_tryjoin_np(s->vcpu_thread, NULL)) {
		pthread_kill(s->vcpu_thread, SIGUSR1);
		usleep(10000);
	}
	vcpu_free(s->vcpu);
	vm_free(vm);
	return wall;
}

MKVM_GUEST(guest_wfi_forever,
	G_REPORT("xzr")
	"1:	wfi\n"
	"b	1b\n");

MKVM_GUEST(guest_wfe_forever,
	G_REPORT("xzr")
	"1:	wfe\n"
	"b	1b\n");

/*
 * HCR_EL2.TWI.  A guest in WFI with nothing pending: the hypervisor puts
 * its thread to sleep, so that thread uses almost no CPU time and a host
 * thread on the same CPU gets nearly all of it.  Without the trap the
 * guest's WFI waits in the guest: the thread looks busy to the host, and
 * the scheduler halves the CPU between the two.
 */
TEST_F_TIMEOUT(trap, wfi_yields_cpu, 120)
{
	struct share s = { 0 };
	double wall = share_cpu(&s, guest_wfi_forever, guest_wfi_forever_end,
				1.5);

	TH_LOG("wall %.2f s: vCPU thread %.3f s, spinner %.3f s (%llu spins)",
	       wall, s.vcpu_cpu_s, s.spin_cpu_s, (unsigned long long)s.spins);
	EXPECT_LT(s.vcpu_cpu_s, 0.2 * wall);
	EXPECT_GT(s.spin_cpu_s, 0.7 * wall);
	EXPECT_GT(s.spins, 0);
}

/*
 * HCR_EL2.TWE.  KVM answers a trapped WFE with a yield to another vCPU of
 * the same VM and goes straight back to the guest; minikvm with
 * cond_resched().  Neither sleeps, so all a test can hold both to is that
 * a guest spinning on WFE does not starve a host thread on its CPU and
 * still stops for a signal.  QEMU 7.2 (the test machine's) never traps
 * WFE to EL2 at all - its WFE is a yield of the emulator - so TWE has no
 * effect a test here can see; on hardware a WFE that waits for an event
 * would show as CPU time like WFI above.
 */
TEST_F_TIMEOUT(trap, wfe_shares_cpu, 120)
{
	struct share s = { 0 };
	double wall = share_cpu(&s, guest_wfe_forever, guest_wfe_forever_end,
				1.5);

	TH_LOG("wall %.2f s: vCPU thread %.3f s, spinner %.3f s (%llu spins)",
	       wall, s.vcpu_cpu_s, s.spin_cpu_s, (unsigned long long)s.spins);
	EXPECT_GT(s.spin_cpu_s, 0.25 * wall);
	EXPECT_GT(s.spins, 0);
}

/* x0 = function id, x1 = argument, through smc then hvc: both reported. */
MKVM_GUEST(guest_smc_and_hvc,
	"mov	x10, x0\n"
	"mov	x11, x1\n"
	"smc	#0\n"
	G_REPORT("x0")
	"mov	x0, x10\n"
	"mov	x1, x11\n"
	"hvc	#0\n"
	G_REPORT("x0")
	G_DONE);

/*
 * HCR_EL2.TSC.  Without the trap a guest's SMC reaches the machine's
 * firmware (QEMU's PSCI, as the host's own would): it would answer for
 * the physical CPUs - CPU 1 is on - or power the machine off.  Trapped,
 * the hypervisor answers for the VM, where vCPU 1 exists and is off.
 */
TEST_F(trap, smc_answered_by_hypervisor)
{
	static const struct {
		uint32_t fid;
		uint64_t arg;
		uint64_t ret;
	} cases[] = {
		{ PSCI_0_2_FN64_AFFINITY_INFO, 1, PSCI_0_2_AFFINITY_LEVEL_OFF },
		{ PSCI_0_2_FN64_AFFINITY_INFO, 0, PSCI_0_2_AFFINITY_LEVEL_ON },
		{ PSCI_0_2_FN_PSCI_VERSION, 0, ~0ull },	/* same as hvc */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mkvm_vcpu *vcpu, *off;
		uint64_t smc, hvc;

		self->vm = vm_create(guest_smc_and_hvc, guest_smc_and_hvc_end);
		vcpu = vm_vcpu_add(self->vm, 0);
		off = vm_vcpu_add_features(self->vm, 1,
					   1u << KVM_ARM_VCPU_POWER_OFF,
					   MKVM_CODE_IPA);
		vcpu_set_reg(vcpu, MKVM_XREG(0), cases[i].fid);
		vcpu_set_reg(vcpu, MKVM_XREG(1), cases[i].arg);
		smc = vcpu_report(vcpu);
		hvc = vcpu_report(vcpu);
		vcpu_done(vcpu);
		EXPECT_EQ(hvc, smc) TH_LOG("case %u: fid %#x", i, cases[i].fid);
		if (cases[i].ret != ~0ull)
			EXPECT_EQ(cases[i].ret, smc) TH_LOG("case %u", i);
		vcpu_free(off);
		vcpu_free(vcpu);
		vm_free(self->vm);
		self->vm = NULL;
	}
}

/* The guest's view of the ID registers, one report each. */
#define ID_REGS(X)							\
	X(id_aa64pfr0_el1,  3, 0, 0, 4, 0)				\
	X(id_aa64pfr1_el1,  3, 0, 0, 4, 1)				\
	X(id_aa64zfr0_el1,  3, 0, 0, 4, 4)				\
	X(id_aa64dfr0_el1,  3, 0, 0, 5, 0)				\
	X(id_aa64isar0_el1, 3, 0, 0, 6, 0)				\
	X(id_aa64isar1_el1, 3, 0, 0, 6, 1)				\
	X(id_aa64mmfr0_el1, 3, 0, 0, 7, 0)				\
	X(id_aa64mmfr1_el1, 3, 0, 0, 7, 1)				\
	X(id_aa64mmfr2_el1, 3, 0, 0, 7, 2)
#define G_READ_ID(name, op0, op1, crn, crm, op2)			\
	"mrs	x1, s" #op0 "_" #op1 "_c" #crn "_c" #crm "_" #op2 "\n"	\
	G_REPORT("x1")
MKVM_GUEST(guest_id_regs, ID_REGS(G_READ_ID) G_DONE);

struct id_reg {
	const char *name;
	uint64_t id;
};
#define ID_REG_DESC(name, op0, op1, crn, crm, op2)			\
	{ #name, ARM64_SYS_REG(op0, op1, crn, crm, op2) },
static const struct id_reg id_regs[] = { ID_REGS(ID_REG_DESC) };

#define FIELD(v, shift)		(((v) >> (shift)) & 0xf)

/*
 * HCR_EL2.TID3.  The guest reads what KVM_GET_ONE_REG says (the VMM's
 * view), and that hides what the hypervisor does not virtualise; the
 * hardware (QEMU's -cpu max) has SVE, a PMU, MPAM-less AMU-less cores.
 */
TEST_F(trap, id_regs_sanitised)
{
	struct mkvm_vcpu *vcpu;
	uint64_t pfr0 = 0, dfr0 = 0;
	unsigned int i;

	self->vm = vm_create(guest_id_regs, guest_id_regs_end);
	vcpu = vcpu_add_skipping(self->vm, 0);
	for (i = 0; i < ARRAY_SIZE(id_regs); i++) {
		uint64_t guest = vcpu_report(vcpu);
		uint64_t vmm = vcpu_get_reg(vcpu, id_regs[i].id);

		EXPECT_EQ(vmm, guest) TH_LOG("%s", id_regs[i].name);
		if (id_regs[i].id == ARM64_SYS_REG(3, 0, 0, 4, 0))
			pfr0 = guest;
		if (id_regs[i].id == ARM64_SYS_REG(3, 0, 0, 5, 0))
			dfr0 = guest;
	}
	vcpu_done(vcpu);
	EXPECT_EQ(0, FIELD(pfr0, 32)) TH_LOG("SVE %#llx", (unsigned long long)pfr0);
	EXPECT_EQ(0, FIELD(pfr0, 40)) TH_LOG("MPAM");
	EXPECT_EQ(0, FIELD(pfr0, 44)) TH_LOG("AMU");
	EXPECT_EQ(0, FIELD(dfr0, 8)) TH_LOG("PMUVer %#llx",
					   (unsigned long long)dfr0);
	EXPECT_EQ(0, FIELD(dfr0, 32)) TH_LOG("PMSVer (SPE)");
	/* EL1 must be AArch64 and EL0 too: the fields stay. */
	EXPECT_NE(0, FIELD(pfr0, 4));
	/*
	 * The VMM cannot show a guest what is hidden: before a new VM first
	 * runs (after, KVM refuses any change with -EBUSY), writing SVE into
	 * ID_AA64PFR0_EL1 fails (KVM: not a writable field), writing the
	 * value back as it is succeeds.
	 */
	vcpu_free(vcpu);
	vm_free(self->vm);
	self->vm = vm_create(guest_id_regs, guest_id_regs_end);
	vcpu = vcpu_add_skipping(self->vm, 0);
	/*
	 * The VMM's view before the first run: in a VM without a vGIC,
	 * ID_AA64PFR0_EL1.GIC drops to 0 only once it has run (as KVM).
	 */
	pfr0 = vcpu_get_reg(vcpu, id_regs[0].id);
	EXPECT_EQ(0, FIELD(pfr0, 32));
	EXPECT_EQ(-EINVAL, _vcpu_set_reg(vcpu, id_regs[0].id,
					 pfr0 | 1ull << 32));
	EXPECT_EQ(0, _vcpu_set_reg(vcpu, id_regs[0].id, pfr0));
	EXPECT_EQ(pfr0, vcpu_get_reg(vcpu, id_regs[0].id));
	vcpu_free(vcpu);
}

/* Set/way maintenance of the first data cache line. */
PROBE(guest_set_way, "",
	"mov	x2, #0\n"
	"dc	isw, x2\n"
	"dc	csw, x2\n"
	"dc	cisw, x2");

/*
 * HCR_EL2.TSW.  KVM emulates set/way operations (a guest cannot be given
 * the physical caches by set/way: it would clean lines of other VMs and
 * would miss its own lines on other CPUs) by cleaning the VM's memory to
 * the point of coherency; the guest sees them succeed.  minikvm does not
 * emulate them yet and injects UNDEF - a gap (firmware such as UEFI uses
 * set/way), reported as SKIP so that it stays visible.  Under QEMU (no
 * caches modelled) "no fault" is all the guest can see; trap_costs sees
 * the trap itself.
 */
TEST_F(trap, set_way_ops)
{
	struct probe_result r = probe_run(guest_set_way, guest_set_way_end);

	if (mkvm_dev_is_minikvm() && r.exceptions == 3 &&
	    ESR_EC(r.esr) == EC_UNKNOWN)
		SKIP(return, "minikvm: set/way operations UNDEF (KVM: clean to PoC)");
	EXPECT_EQ(0, r.exceptions) TH_LOG("ESR %#llx",
					  (unsigned long long)r.esr);
}

/* ACTLR_EL1 written, then read back. */
PROBE(guest_actlr, "",
	"mrs	x3, actlr_el1\n"
	"mvn	x2, x3\n"
	"msr	actlr_el1, x2\n"
	"isb\n"
	"mrs	x1, actlr_el1\n"
	"eor	x1, x1, x3");	/* bits that changed */

/*
 * HCR_EL2.TACR.  ACTLR_EL1 is IMPLEMENTATION DEFINED (on real cores it
 * switches off prefetchers, coherency...); a guest's write must not
 * reach it.  KVM and minikvm ignore the write.
 */
TEST_F(trap, actlr_write_ignored)
{
	struct probe_result r = probe_run(guest_actlr, guest_actlr_end);

	EXPECT_EQ(0, r.exceptions);
	EXPECT_EQ(0, r.val) TH_LOG("ACTLR_EL1 bits changed: %#llx",
				   (unsigned long long)r.val);
}

/* An IMPLEMENTATION DEFINED register (op0 3, CRn 15). */
PROBE(guest_impdef, "", "mrs	x1, s3_0_c15_c0_0");

/* HCR_EL2.TIDCP: IMPDEF registers UNDEF (KVM injects UNDEF too). */
TEST_F(trap, impdef_undef)
{
	struct probe_result r = probe_run(guest_impdef, guest_impdef_end);

	EXPECT_EQ(1, r.exceptions);
	EXPECT_EQ(EC_UNKNOWN, ESR_EC(r.esr));
}

/* LORC_EL1 := all ones, read back (FEAT_LOR, which QEMU's -cpu max has). */
PROBE(guest_lor, "",
	"mov	x2, #-1\n"
	"msr	s3_0_c10_c4_3, x2\n"
	"mrs	x1, s3_0_c10_c4_3");

/*
 * HCR_EL2.TLOR.  LORegions are not virtualised: KVM and minikvm make the
 * registers read as zero and ignore writes while the VM's
 * ID_AA64MMFR1_EL1.LO is 1 (idregs_test: UNDEF once the VMM hid it).
 * QEMU's own LOR registers are RAZ/WI too, so only trap_costs can tell
 * that the access trapped.
 */
TEST_F(trap, lor_not_given)
{
	struct probe_result r = probe_run(guest_lor, guest_lor_end);

	EXPECT_EQ(0, r.exceptions) TH_LOG("ESR %#llx",
					  (unsigned long long)r.esr);
	EXPECT_EQ(0, r.val) TH_LOG("LORC_EL1 after writing all ones");
}

/* DBGBVR0_EL1 := 0x123456780000, then read back. */
PROBE(guest_dbgbvr,
	"movz	x2, #0x5678, lsl #16\n"
	"movk	x2, #0x1234, lsl #32\n",
	"msr	dbgbvr0_el1, x2\n"
	"isb\n"
	"mrs	x1, dbgbvr0_el1");

/* The OS lock set and left set, MDRAR_EL1 read (MDCR_EL2.TDOSA, TDRA). */
PROBE(guest_os_lock, "",
	"mov	x2, #1\n"
	"msr	oslar_el1, x2\n"
	"isb\n"
	"mrs	x1, oslsr_el1\n"
	"mrs	x3, mdrar_el1");

/* minikvm's debugfs file of the host's EL1 registers, per CPU. */
#define HOST_SYSREGS	"/sys/kernel/debug/minikvm/host_sysregs"

/*
 * The host's value of @reg on @cpu, from minikvm's debugfs file; false
 * if there is no such file (the oracle boot).
 */
static bool host_sysreg(int cpu, const char *reg, uint64_t *val)
{
	FILE *f = fopen(HOST_SYSREGS, "r");
	char name[32];
	unsigned long long v;
	int c;
	bool found = false;

	if (!f)
		return false;
	while (fscanf(f, "%d %31s %llx", &c, name, &v) == 3) {
		if (c == cpu && !strcmp(name, reg)) {
			*val = v;
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

/*
 * MDCR_EL2.TDA, TDOSA, TDRA.  Both hypervisors trap the first write and
 * switch the guest's own breakpoint registers in from the next run on:
 * DBGBVR0_EL1 reads back what was written, and the host's breakpoint
 * registers on that CPU keep their value, which on the minikvm boot the
 * test reads through debugfs.  Likewise the OS lock: a guest that locks
 * it (both emulate a per-vCPU lock) must not lock the host's.
 */
TEST_F(trap, debug_regs_stay_with_host)
{
	uint64_t before = 0, after = 0;
	int cpu = shared_cpu();
	bool host_visible;
	struct probe_result r;

	pin_to_cpu(cpu);
	host_visible = host_sysreg(cpu, "dbgbvr0_el1", &before);
	r = probe_run(guest_dbgbvr, guest_dbgbvr_end);
	EXPECT_EQ(0, r.exceptions);
	EXPECT_EQ(0x123456780000ull, r.val)
		TH_LOG("DBGBVR0_EL1 read %#llx", (unsigned long long)r.val);
	if (host_visible) {
		ASSERT_TRUE(host_sysreg(cpu, "dbgbvr0_el1", &after));
		EXPECT_EQ(before, after);
		EXPECT_NE(0x123456780000ull, after);
	} else {
		EXPECT_FALSE(mkvm_dev_is_minikvm()) TH_LOG("no " HOST_SYSREGS);
	}
	host_sysreg(cpu, "oslsr_el1", &before);
	r = probe_run(guest_os_lock, guest_os_lock_end);
	EXPECT_EQ(0, r.exceptions) TH_LOG("ESR %#llx", (unsigned long long)r.esr);
	if (host_visible) {
		ASSERT_TRUE(host_sysreg(cpu, "oslsr_el1", &after));
		EXPECT_EQ(before, after) TH_LOG("the host's OSLSR_EL1");
	}
}

/*
 * A software step at EL1: MDSCR_EL1.KDE and SS set, then an ERET with
 * PSTATE.D clear and SPSR_EL1.SS set runs one instruction and takes a
 * Software Step exception (EC 0x33).  Its own vectors count it and clear
 * MDSCR_EL1.SS, or the next ERET would step again at once.
 */
MKVM_GUEST(guest_step,
	"b	2f\n"
	".balign 0x800\n"
	"3:\n"
	".rept 16\n"
	".balign 0x80\n"
	"mrs	x24, esr_el1\n"
	"add	x25, x25, #1\n"
	"msr	mdscr_el1, xzr\n"
	"isb\n"
	"eret\n"
	".endr\n"
	"2:	mov	x24, #0\n"
	"mov	x25, #0\n"
	"mov	x1, #0\n"
	"adr	x5, 3b\n"
	"msr	vbar_el1, x5\n"
	"msr	oslar_el1, xzr\n"
	"mov	x2, #0x2001\n"			/* MDSCR_EL1.KDE | SS */
	"msr	mdscr_el1, x2\n"
	"isb\n"
	"adr	x3, 1f\n"
	"msr	elr_el1, x3\n"
	"mov	x4, #0x1c5\n"			/* EL1h, D clear, A I F set */
	"orr	x4, x4, #(1 << 21)\n"		/* SS */
	"msr	spsr_el1, x4\n"
	"eret\n"
	"1:	add	x1, x1, #1\n"		/* stepped */
	"add	x1, x1, #1\n"			/* after the step exception */
	G_REPORT("x1")
	G_REPORT("x25")
	G_REPORT("x24")
	G_DONE);

/*
 * MDSCR_EL1's first write is trapped (MDCR_EL2.TDA) and emulated into the
 * switched context, so its effect shows that the world switch loads the
 * guest's value: a guest's single step works, on KVM and on minikvm.
 */
TEST_F(trap, guest_single_step)
{
	struct probe_result r = probe_run(guest_step, guest_step_end);

	EXPECT_EQ(2, r.val);
	EXPECT_EQ(1, r.exceptions);
	EXPECT_EQ(0x33, ESR_EC(r.esr)) TH_LOG("ESR %#llx",
					     (unsigned long long)r.esr);
}

PROBE(guest_pmcr, "", "mrs	x1, pmcr_el0");
PROBE(guest_pmccntr, "", "mrs	x1, pmccntr_el0");
PROBE(guest_pmevcntr, "", "mrs	x1, pmevcntr0_el0");

/*
 * MDCR_EL2.TPM, TPMCR.  Neither hypervisor gives this VM a PMU: KVM makes
 * every PMU register UNDEF, minikvm makes PMCR_EL0 and the enable/overflow
 * registers read as zero and the rest UNDEF.  Untrapped, the guest would
 * read QEMU's PMU (PMCR_EL0.N counters, a running cycle counter).
 */
TEST_F(trap, pmu_hidden)
{
	struct probe_result r = probe_run(guest_pmcr, guest_pmcr_end);

	EXPECT_TRUE(r.exceptions == 1 || (r.exceptions == 0 && r.val == 0))
		TH_LOG("PMCR_EL0 %#llx, %llu exceptions",
		       (unsigned long long)r.val,
		       (unsigned long long)r.exceptions);
	r = probe_run(guest_pmccntr, guest_pmccntr_end);
	EXPECT_EQ(1, r.exceptions) TH_LOG("PMCCNTR_EL0 %#llx",
					  (unsigned long long)r.val);
	EXPECT_EQ(EC_UNKNOWN, ESR_EC(r.esr));
	r = probe_run(guest_pmevcntr, guest_pmevcntr_end);
	EXPECT_EQ(1, r.exceptions);
}

/* The guest's physical timer: disabled, compare value far away, read back. */
PROBE(guest_ptimer,
	"movz	x2, #0x1234, lsl #32\n",
	"msr	cntp_ctl_el0, xzr\n"
	"msr	cntp_cval_el0, x2\n"
	"isb\n"
	"mrs	x1, cntp_cval_el0");

/* The physical counter, twice: increasing. */
PROBE(guest_pct, "",
	"isb\n"
	"mrs	x2, cntpct_el0\n"
	"isb\n"
	"mrs	x3, cntpct_el0\n"
	"sub	x1, x3, x2");

/* Writes CNTP_CTL_EL0 := 0 once (disabling the timer if untrapped), spins. */
MKVM_GUEST(guest_ptimer_off_spin,
	"mov	x24, #0\n"
	"mov	x25, #0\n"
	"msr	cntp_ctl_el0, xzr\n"
	"isb\n"
	G_REPORT("x25")
	"1:	msr	cntp_ctl_el0, xzr\n"
	"b	1b\n");

struct sleeper {
	int cpu;
	int naps;
};

struct kicker {
	pthread_t target;
	bool stop;
};

/* From CPU 0: SIGUSR1 to the vCPU thread every 100 ms. */
static void *kicker_fn(void *arg)
{
	struct kicker *k = arg;

	pin_to_cpu(0);
	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		usleep(100000);
		pthread_kill(k->target, SIGUSR1);
	}
	return NULL;
}

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;
	int i;

	pin_to_cpu(s->cpu);
	for (i = 0; i < 5; i++) {
		usleep(20000);
		__atomic_store_n(&s->naps, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * CNTHCTL_EL2.EL1PCEN clear, EL1PCTEN set.  The EL1 physical timer is
 * the host's (an nVHE host runs on it): the guest's accesses trap, and
 * both hypervisors emulate a physical timer of the guest's own (the
 * value reads back; timer_test has the rest).  The host's timer must keep working on the
 * CPU the guest runs on: a host thread sleeping on that CPU while the
 * guest keeps clearing CNTP_CTL_EL0 still wakes up.  Untrapped, the
 * guest disables the host's tick there and the sleeper never wakes.  The
 * physical counter stays readable.
 */
TEST_F_TIMEOUT(trap, physical_timer_stays_with_host, 60)
{
	struct sleeper s = { .cpu = shared_cpu() };
	struct kicker k = { 0 };
	struct mkvm_vcpu *vcpu;
	struct probe_result r;
	pthread_t sleeper, kicker;
	int i, ret;

	r = probe_run(guest_ptimer, guest_ptimer_end);
	EXPECT_EQ(0, r.exceptions);
	EXPECT_EQ(0x123400000000ull, r.val);

	r = probe_run(guest_pct, guest_pct_end);
	EXPECT_EQ(0, r.exceptions);
	EXPECT_GT(r.val, 0);

	pin_to_cpu(s.cpu);
	self->vm = vm_create(guest_ptimer_off_spin, guest_ptimer_off_spin_end);
	vcpu = vcpu_add_skipping(self->vm, 0);
	vcpu_report(vcpu);
	mkvm_install_kick_handler(SIGUSR1);
	k.target = pthread_self();
	ASSERT_EQ(0, pthread_create(&sleeper, NULL, sleeper_fn, &s));
	ASSERT_EQ(0, pthread_create(&kicker, NULL, kicker_fn, &k));
	/*
	 * This thread runs the guest on the sleeper's CPU; the kicker, on
	 * CPU 0, stops KVM_RUN every 100 ms to look, for up to 5 s.
	 */
	for (i = 0; i < 50 && __atomic_load_n(&s.naps, __ATOMIC_ACQUIRE) < 5;
	     i++) {
		ret = _vcpu_run(vcpu);
		ASSERT_TRUE(ret == -EINTR ||
			    vcpu->run->exit_reason == KVM_EXIT_INTR)
			TH_LOG("KVM_RUN %d exit %s", ret,
			       mkvm_exit_name(vcpu->run->exit_reason));
	}
	__atomic_store_n(&k.stop, true, __ATOMIC_RELEASE);
	pthread_join(kicker, NULL);
	pin_to_cpu(0);
	EXPECT_EQ(5, __atomic_load_n(&s.naps, __ATOMIC_ACQUIRE))
		TH_LOG("the host's timer stopped on CPU %d", s.cpu);
	pthread_join(sleeper, NULL);
	vcpu_free(vcpu);
}

/* RDVL x1, #1 (SVE), with SVE and FP enabled at EL1. */
PROBE(guest_sve, G_CPACR_ALL, ".inst 0x04bf5021");
/* SMSTART SM (SME), with SME enabled at EL1. */
PROBE(guest_sme, G_CPACR_ALL, ".inst 0xd503437f");

/*
 * CPTR_EL2.TZ, TSM.  SVE and SME state is not switched: a guest that
 * enabled them at EL1 still gets UNDEF (KVM: the same, for a vCPU without
 * the SVE feature).  Untrapped, RDVL returns QEMU's vector length.
 */
TEST_F(trap, sve_sme_undef)
{
	struct probe_result r = probe_run(guest_sve, guest_sve_end);

	EXPECT_EQ(1, r.exceptions) TH_LOG("RDVL gave %llu",
					  (unsigned long long)r.val);
	EXPECT_EQ(EC_UNKNOWN, ESR_EC(r.esr));
	r = probe_run(guest_sme, guest_sme_end);
	EXPECT_EQ(1, r.exceptions);
	EXPECT_EQ(EC_UNKNOWN, ESR_EC(r.esr));
}

/*
 * Cost of an instruction, measured by the guest: ITERS executions timed
 * with the virtual counter, reported, forever (the host takes the best of
 * a few rounds).  x0 is reloaded for the SMCCC cases.
 */
#define TIMED_ITERS	"64"
#define TIMED(name, setup, insn)					\
	MKVM_GUEST(name,						\
		setup							\
		"0:	mov	x20, #" TIMED_ITERS "\n"		\
		"isb\n"							\
		"mrs	x21, cntvct_el0\n"				\
		"1:	movz	w0, #0x8400, lsl #16\n"			\
		"mov	x2, #0\n"					\
		insn "\n"						\
		"subs	x20, x20, #1\n"					\
		"b.ne	1b\n"						\
		"isb\n"							\
		"mrs	x22, cntvct_el0\n"				\
		"sub	x22, x22, x21\n"				\
		G_REPORT("x22")						\
		"b	0b\n")

TIMED(t_nop, "", "nop");
TIMED(t_hvc, "", "hvc #0");
TIMED(t_tpidr, "", "mrs x1, tpidr_el1\n msr tpidr_el1, x1");
TIMED(t_wfe, "", "wfe");
TIMED(t_smc, "", "smc #0");
TIMED(t_id, "", "mrs x1, id_aa64pfr0_el1");
TIMED(t_set_way, "", "dc cisw, x2");
TIMED(t_actlr, "", "mrs x1, actlr_el1");
TIMED(t_impdef, "", "mrs x1, s3_0_c15_c0_0");
TIMED(t_pmcr, "", "mrs x1, pmcr_el0");
TIMED(t_cntp, "", "mrs x1, cntp_ctl_el0");
TIMED(t_cntpct, "", "mrs x1, cntpct_el0");
TIMED(t_sve, G_CPACR_ALL, ".inst 0x04bf5021");
TIMED(t_lor, "", "mrs x1, s3_0_c10_c4_3");
TIMED(t_dbg, "", "mrs x1, dbgbvr0_el1");

struct cost_case {
	const char *what;
	const char *start, *end;
	/* 1: must trap, 0: must not, -1: not checked (see the comment) */
	int trapped;
};

#define COST(what, name, trapped) { what, name, name##_end, trapped }

/*
 * Not checked: WFE (QEMU 7.2 never traps it), IMPDEF registers (QEMU 7.2
 * ignores HCR_EL2.TIDCP and UNDEFs them at EL1 itself: impdef_undef
 * checks the result), debug registers (both hypervisors trap only until
 * the guest writes one, then hand it its own switched registers for a
 * run).  The cost is still printed.
 */
static const struct cost_case cost_cases[] = {
	COST("nop",			 t_nop,	    0),
	COST("TPIDR_EL1 (untrapped)",	 t_tpidr,   0),
	COST("CNTPCT_EL0 (EL1PCTEN)",	 t_cntpct,  0),
	COST("SMC (TSC)",		 t_smc,	    1),
	COST("ID_AA64PFR0_EL1 (TID3)",	 t_id,	    1),
	COST("DC CISW (TSW)",		 t_set_way, 1),
	COST("ACTLR_EL1 (TACR)",	 t_actlr,   1),
	COST("PMCR_EL0 (TPM, TPMCR)",	 t_pmcr,    1),
	COST("CNTP_CTL_EL0 (EL1PCEN)",	 t_cntp,    1),
	COST("RDVL (CPTR_EL2.TZ)",	 t_sve,	    1),
	COST("LORC_EL1 (TLOR)",		 t_lor,	    1),
	COST("DBGBVR0_EL1 (TDA)",	 t_dbg,	   -1),
	COST("WFE (TWE)",		 t_wfe,	   -1),
	COST("IMPDEF (TIDCP)",		 t_impdef, -1),
};

#define COST_ROUNDS	5

/*
 * Each instruction costs either about what a plain one does, or about
 * an exit (HVC, answered in the kernel in both hypervisors): a trap is
 * one whose cost is at least a quarter of HVC's.  Best of COST_ROUNDS
 * rounds, interleaved, so that load on the machine hits all alike.
 */
TEST_F_TIMEOUT(trap, trap_costs, 300)
{
	struct mkvm_vm *vms[ARRAY_SIZE(cost_cases) + 1];
	struct mkvm_vcpu *vcpus[ARRAY_SIZE(cost_cases) + 1];
	uint64_t best[ARRAY_SIZE(cost_cases) + 1];
	unsigned int n = ARRAY_SIZE(cost_cases), i, round;
	uint64_t hvc;

	for (i = 0; i <= n; i++) {
		const char *start = i < n ? cost_cases[i].start : t_hvc;
		const char *end = i < n ? cost_cases[i].end : t_hvc_end;

		vms[i] = vm_create(start, end);
		vcpus[i] = vcpu_add_skipping(vms[i], 0);
		best[i] = ~0ull;
	}
	for (round = 0; round < COST_ROUNDS; round++) {
		for (i = 0; i <= n; i++) {
			uint64_t t = vcpu_report(vcpus[i]);

			if (round && t < best[i])	/* round 0 warms up */
				best[i] = t;
		}
	}
	hvc = best[n];
	TH_LOG("HVC: %llu ticks per " TIMED_ITERS, (unsigned long long)hvc);
	for (i = 0; i < n; i++) {
		bool trapped = best[i] * 4 >= hvc;

		TH_LOG("%-26s %8llu ticks: %s", cost_cases[i].what,
		       (unsigned long long)best[i],
		       trapped ? "trapped" : "not trapped");
		if (cost_cases[i].trapped >= 0)
			EXPECT_EQ(cost_cases[i].trapped, trapped)
				TH_LOG("%s", cost_cases[i].what);
	}
	/* The method itself: an exit must cost far more than a nop. */
	EXPECT_GT(hvc, 8 * best[0]);
	for (i = 0; i <= n; i++) {
		vcpu_free(vcpus[i]);
		vm_free(vms[i]);
	}
}

TEST_HARNESS_MAIN
