// SPDX-License-Identifier: GPL-2.0
/*
 * Host safety at EL2 (issue 7): who may open the device; EL2 lost to CPU
 * power management and taken back; the EL2 controls every guest runs
 * under, built from nothing; the registers of features a guest is denied.
 *
 * The device and guest-visible cases run against the kernel's KVM on the
 * oracle boot too (same answers expected); the EL2 internals are
 * minikvm-only, through debugfs minikvm/.
 */
#include <grp.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"

#define DEBUGFS		"/sys/kernel/debug/minikvm/"
#define LOST_LINE	"EL2 was lost to the hyp stub"
#define NOBODY		65534

/* ------------------------------------------------------------------ */
/* The device node: root only, like /dev/kvm.                          */

/* In a child that dropped to nobody: the errno of opening @path. */
static int open_errno_as_nobody(const char *path)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(255);
		fd = open(path, O_RDWR | O_CLOEXEC);
		_exit(fd >= 0 ? 0 : errno);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * /dev/minikvm is created 0600 root:root, as the kernel creates /dev/kvm
 * (scripts/60-minikvm.rules gives it to a group); nobody gets EACCES.
 * On the oracle boot the same holds for /dev/kvm.
 */
TEST(dev_node_root_only)
{
	struct stat st;

	ASSERT_EQ(0, mkvm_load_if_owner());
	ASSERT_EQ(0, stat(mkvm_dev_path(), &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777) TH_LOG("%s is %o", mkvm_dev_path(),
						   st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(EACCES, open_errno_as_nobody(mkvm_dev_path()));
}

/*
 * minikvm.devmode: for systems without udev.  Read/write bits only;
 * anything else refuses the load.
 */
TEST(devmode_parameter)
{
	static const char *const refused[] = {
		"devmode=0777", "devmode=04600", "devmode=01666", "devmode=0700",
	};
	struct stat st;
	unsigned int i;

	if (!mkvm_boot_minikvm())
		SKIP(return, "a minikvm module parameter");
	mkvm_unload();
	ASSERT_FALSE(mkvm_loaded());

	ASSERT_EQ(0, mkvm_load_params("devmode=0660"));
	ASSERT_EQ(0, stat("/dev/minikvm", &st));
	EXPECT_EQ(0660, st.st_mode & 07777);
	EXPECT_EQ(EACCES, open_errno_as_nobody("/dev/minikvm"));
	ASSERT_EQ(0, mkvm_unload());

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		EXPECT_EQ(-EINVAL, mkvm_load_params(refused[i]))
			TH_LOG("%s", refused[i]);
		if (mkvm_loaded()) {
			EXPECT_FALSE(true) TH_LOG("%s: loaded", refused[i]);
			mkvm_unload();
		}
	}
	ASSERT_EQ(0, mkvm_load_params(""));
	ASSERT_EQ(0, stat("/dev/minikvm", &st));
	EXPECT_EQ(0600, st.st_mode & 07777);
}

/* ------------------------------------------------------------------ */
/* EL2 lost to CPU power management.                                   */

/* Write @cpu to debugfs minikvm/@knob: 0 or -errno. */
static int knob(const char *name, int cpu)
{
	char path[128], buf[16];
	int fd, n, ret = 0;

	snprintf(path, sizeof(path), DEBUGFS "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d", cpu);
	if (write(fd, buf, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/* How many times CPU_PM took EL2 back (debugfs minikvm/el2_cpu_pm). */
static int pm_retakes(void)
{
	char buf[32] = "";
	int fd = open(DEBUGFS "el2_cpu_pm", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 0;
	close(fd);
	return buf[0] ? atoi(buf) : -1;
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static int unpin(void)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < mkvm_possible_cpus(); cpu++)
		CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

MKVM_GUEST(guest_answer,
	"mov	x0, #40\n"
	"add	x0, x0, #2\n"
	G_REPORT("x0")
	G_DONE);

/* A VM with one vCPU that ran once: its stage 2 and TLBs are live. */
static struct mkvm_vm *run_guest(struct __test_metadata *_metadata,
				 struct mkvm_vcpu **vcpu)
{
	struct mkvm_vm *vm = vm_create(guest_answer, guest_answer_end);

	*vcpu = vm_vcpu_add(vm, 0);
	EXPECT_EQ(42, vcpu_report(*vcpu));
	vcpu_done(*vcpu);
	return vm;
}

/* minikvm's EL2 answers on @cpu, MMU on. */
static void expect_ours(struct __test_metadata *_metadata, int fd, int cpu)
{
	struct minikvm_hyp_ping ping;

	ASSERT_EQ(0, mkvm_ping(fd, cpu, &ping)) TH_LOG("cpu %d", cpu);
	EXPECT_EQ(~(0x5a5a0000ull + cpu), ping.answer) TH_LOG("cpu %d", cpu);
	EXPECT_EQ(2, ping.current_el);
	EXPECT_EQ(1, ping.sctlr_el2 & 1);
}

FIXTURE(el2pm) {
	int fd;
};

FIXTURE_SETUP(el2pm)
{
	self->fd = -1;
	if (!mkvm_boot_minikvm())
		SKIP(return, "minikvm's EL2 only");
	ASSERT_EQ(0, mkvm_load_if_owner());
	self->fd = open("/dev/minikvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(el2pm)
{
	unpin();
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Each CPU in turn: EL2 goes back to the hyp stub behind minikvm's back
 * (what a power-down state does), then the CPU_PM exit path runs on that
 * CPU.  The notifier must have taken EL2 back by itself (not the lazy
 * retake of the next host call, which logs LOST_LINE), and a guest pinned
 * to that CPU runs and is destroyed (its TLB invalidation made there).
 */
TEST_F_TIMEOUT(el2pm, cpu_pm_exit_retakes_el2, 120)
{
	int cpu, n = mkvm_online_cpus(), before, lost;
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;

	if (mkvm_boot_vhe())
		SKIP(return, "VHE: no hyp stub to lose EL2 to");

	lost = mkvm_klog_count(LOST_LINE);
	for (cpu = 0; cpu < n; cpu++) {
		before = pm_retakes();
		ASSERT_LE(0, before);
		ASSERT_EQ(0, knob("el2_lose", cpu)) TH_LOG("cpu %d", cpu);
		ASSERT_EQ(0, knob("el2_cpu_pm", cpu)) TH_LOG("cpu %d", cpu);
		EXPECT_EQ(before + 1, pm_retakes()) TH_LOG("cpu %d", cpu);
		expect_ours(_metadata, self->fd, cpu);

		ASSERT_EQ(0, pin_to(cpu));
		vm = run_guest(_metadata, &vcpu);
		vcpu_free(vcpu);
		vm_free(vm);
		ASSERT_EQ(0, unpin());
	}
	EXPECT_EQ(lost, mkvm_klog_count(LOST_LINE));
}

/* A state that kept EL2 (retention): the exit path leaves it alone. */
TEST_F(el2pm, cpu_pm_keeps_live_el2)
{
	int before = pm_retakes(), cpu;

	if (mkvm_boot_vhe())
		SKIP(return, "VHE: no hyp stub to lose EL2 to");

	for (cpu = 0; cpu < mkvm_online_cpus(); cpu++) {
		ASSERT_EQ(0, knob("el2_cpu_pm", cpu)) TH_LOG("cpu %d", cpu);
		expect_ours(_metadata, self->fd, cpu);
	}
	EXPECT_EQ(before, pm_retakes());
}

/*
 * EL2 lost with no CPU_PM exit at all: no host call is swallowed by the
 * stub.  The next one on that CPU (here a vCPU run, then the TLB
 * invalidation of the VM's destruction) takes EL2 back, says so once,
 * and does its work.
 */
TEST_F(el2pm, lost_el2_retaken_by_next_call)
{
	int cpu = mkvm_online_cpus() - 1, lost = mkvm_klog_count(LOST_LINE);
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;

	if (mkvm_boot_vhe())
		SKIP(return, "VHE: no hyp stub to lose EL2 to");

	ASSERT_EQ(0, pin_to(cpu));
	ASSERT_EQ(0, knob("el2_lose", cpu));
	vm = run_guest(_metadata, &vcpu);
	EXPECT_EQ(lost + 1, mkvm_klog_count(LOST_LINE));

	ASSERT_EQ(0, knob("el2_lose", cpu));
	vcpu_free(vcpu);
	vm_free(vm);	/* MKVM_HC_FLUSH_VMID, on this CPU */
	EXPECT_EQ(lost + 2, mkvm_klog_count(LOST_LINE));
	expect_ours(_metadata, self->fd, cpu);
	EXPECT_EQ(0, mkvm_klog_count("could invalidate VMID"));
}

/* ------------------------------------------------------------------ */
/* Deny by default at EL2.                                             */

#define F_SPE		(1ull << 0)
#define F_TRF		(1ull << 2)
#define F_FGT		(1ull << 3)
#define F_HCX		(1ull << 4)
#define F_RAS		(1ull << 5)

#define HCR_TERR	(1ull << 36)
#define HCR_TEA		(1ull << 37)
#define MDCR_HPMN	0x1full
#define MDCR_TPMCR	(1ull << 5)
#define MDCR_TPM	(1ull << 6)
#define MDCR_TDA	(1ull << 9)
#define MDCR_TDOSA	(1ull << 10)
#define MDCR_TDRA	(1ull << 11)
#define MDCR_TPMS	(1ull << 14)
#define MDCR_TTRF	(1ull << 19)
#define MDCR_TDCC	(1ull << 27)
#define CPTR_RES1	0x32ffull
#define CPTR_TZ		(1ull << 8)
#define CPTR_TSM	(1ull << 12)
#define CPTR_TTA	(1ull << 20)
#define CPTR_TAM	(1ull << 30)
/* CPTR_EL2 with HCR_EL2.E2H set (VHE): CPACR_EL1's layout. */
#define CPTR_E2H_FPEN	(3ull << 20)
#define CPTR_E2H_TTA	(1ull << 28)
#define HCR_TGE		(1ull << 27)
#define HCR_FWB		(1ull << 46)
#define ID_AA64MMFR2_EL1_ID	ARM64_SYS_REG(3, 0, 0, 7, 2)
#define MMFR2_FWB_SHIFT		40
#define HCR_E2H		(1ull << 34)
/* CNTHCTL_EL2 with E2H: EL1PCTEN, EL1PTEN; bits 9:0 the host's EL0 ones. */
#define CNTHCTL_E2H_EL1PCTEN	(1ull << 10)
#define CNTHCTL_E2H_EL1PTEN	(1ull << 11)
#define CNTHCTL_EVNTEN		(1ull << 2)

struct el2_traps {
	unsigned long long features, mitigation, hcr, mdcr, cptr, hcrx, cnthctl;
};

static int read_el2_traps(int cpu, struct el2_traps *t)
{
	FILE *f = fopen(DEBUGFS "el2_traps", "r");
	char line[256];
	int c, ret = -ENOENT;

	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu%d features %llx mitigation %llx hcr %llx mdcr %llx cptr %llx hcrx %llx cnthctl %llx",
			   &c, &t->features, &t->mitigation, &t->hcr, &t->mdcr,
			   &t->cptr, &t->hcrx, &t->cnthctl) == 8 && c == cpu)
			ret = 0;
	fclose(f);
	return ret;
}

/* One line of @path into the test's log, for the record. */
static void log_file(struct __test_metadata *_metadata, const char *path)
{
	char line[160] = "";
	FILE *f = fopen(path, "r");

	if (f && fgets(line, sizeof(line), f))
		line[strcspn(line, "\n")] = 0;
	if (f)
		fclose(f);
	TH_LOG("%s: %s", path, line);
}

/*
 * The EL2 controls a guest ran under, exactly: nothing of the stub's
 * values but MDCR_EL2.HPMN, SPE and TRBE buffers owned by EL2
 * (E2PB = E2TB = 0), HCRX_EL2 = 0, RAS error records trapped (TERR, TEA),
 * CNTHCTL_EL2 = EL1PCTEN alone.
 */
TEST_F(el2pm, guest_el2_controls_from_scratch)
{
	unsigned long long mdcr;
	struct mkvm_vcpu *vcpu;
	struct el2_traps t;
	struct mkvm_vm *vm;

	ASSERT_EQ(0, pin_to(0));
	vm = run_guest(_metadata, &vcpu);
	ASSERT_EQ(0, read_el2_traps(0, &t));
	TH_LOG("cpu0: features %#llx mitigation %#llx hcr %#llx mdcr %#llx cptr %#llx hcrx %#llx",
	       t.features, t.mitigation, t.hcr, t.mdcr, t.cptr, t.hcrx);
	log_file(_metadata, "/sys/devices/system/cpu/vulnerabilities/spectre_v2");

	if (mkvm_boot_vhe()) {	/* FP/SIMD untrapped; SVE, SME trapped (0) */
		EXPECT_EQ(CPTR_E2H_FPEN | CPTR_E2H_TTA | CPTR_TAM, t.cptr);
	} else {
		EXPECT_EQ(CPTR_RES1 | CPTR_TZ | CPTR_TSM | CPTR_TTA | CPTR_TAM,
			  t.cptr);
	}
	/* VHE: E2H kept for the guest, TGE clear (set, EL1 could not run). */
	EXPECT_EQ(mkvm_boot_vhe() ? HCR_E2H : 0, t.hcr & (HCR_E2H | HCR_TGE));
	mdcr = MDCR_TPM | MDCR_TPMCR | MDCR_TDA | MDCR_TDOSA | MDCR_TDRA;
	if (t.features & F_SPE)
		mdcr |= MDCR_TPMS;
	if (t.features & F_TRF)
		mdcr |= MDCR_TTRF;
	if (t.features & F_FGT)
		mdcr |= MDCR_TDCC;
	EXPECT_EQ(mdcr, t.mdcr & ~MDCR_HPMN);
	if (t.features & F_RAS)
		EXPECT_EQ(HCR_TERR | HCR_TEA, t.hcr & (HCR_TERR | HCR_TEA));
	/*
	 * FWB exactly where every CPU has FEAT_S2FWB (the VM's ID register
	 * holds the host's sanitised field): memory is then Write-Back at
	 * stage 2 and mapping it needs no clean to the PoC, as on KVM.
	 */
	EXPECT_EQ((vcpu_get_reg(vcpu, ID_AA64MMFR2_EL1_ID) >> MMFR2_FWB_SHIFT) & 0xf ?
		  HCR_FWB : 0, t.hcr & HCR_FWB);
	EXPECT_EQ(0, t.hcrx);
	/* CNTHCTL_EL2: only EL1PCTEN (no counter offset); CNTP_* trap. */
	if (mkvm_boot_vhe()) {
		EXPECT_EQ(CNTHCTL_E2H_EL1PCTEN, t.cnthctl & ~0x3ffull);
		EXPECT_EQ(0, t.cnthctl & CNTHCTL_EVNTEN);
	} else {
		EXPECT_EQ(1, t.cnthctl);
	}
	vcpu_free(vcpu);
	vm_free(vm);
}

#define MDCR_TDE	(1ull << 8)
#define MDSCR_EL1_ID	ARM64_SYS_REG(2, 0, 0, 2, 2)
#define OSLSR_EL1_ID	ARM64_SYS_REG(2, 0, 1, 1, 4)

/*
 * MDCR_EL2's debug bits follow what the guest's run needs (el2.rst,
 * "Debug registers"): TDA clear only while the guest's own debug
 * registers are switched in (its debug in use: MDSCR_EL1.KDE | MDE) and
 * its OS lock is clear; TDE (and TDA) only while the VMM debugs it.
 */
TEST_F(el2pm, guest_mdcr_debug_bits)
{
	static const struct {
		const char *what;
		uint64_t mdscr, oslsr;
		uint32_t control;
		unsigned long long want;
	} cases[] = {
		{ "no debug",		0,	0x8, 0,			 MDCR_TDA },
		{ "debug in use",	0xa000,	0x8, 0,			 0 },
		{ "OS lock set",	0xa000,	0xa, 0,			 MDCR_TDA },
		{ "VMM step",		0,	0x8, KVM_GUESTDBG_ENABLE |
					KVM_GUESTDBG_SINGLESTEP,	 MDCR_TDA | MDCR_TDE },
		{ "VMM, debug in use",	0xa000,	0x8, KVM_GUESTDBG_ENABLE, MDCR_TDA | MDCR_TDE },
	};
	unsigned int i;

	ASSERT_EQ(0, pin_to(0));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kvm_guest_debug gd = { .control = cases[i].control };
		struct mkvm_vm *vm = vm_create(guest_answer, guest_answer_end);
		struct mkvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
		struct kvm_run *run;
		struct el2_traps t;

		vcpu_set_reg(vcpu, MDSCR_EL1_ID, cases[i].mdscr);
		vcpu_set_reg(vcpu, OSLSR_EL1_ID, cases[i].oslsr);
		ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &gd));
		/* The first exit: a report, or the VMM's step. */
		vcpu_run(vcpu);
		run = vcpu->run;
		EXPECT_TRUE(run->exit_reason == KVM_EXIT_MMIO ||
			    (cases[i].control && run->exit_reason == KVM_EXIT_DEBUG))
			TH_LOG("%s: exit %u", cases[i].what, run->exit_reason);
		ASSERT_EQ(0, read_el2_traps(0, &t));
		EXPECT_EQ(cases[i].want, t.mdcr & (MDCR_TDA | MDCR_TDE))
			TH_LOG("%s: MDCR_EL2 %#llx", cases[i].what, t.mdcr);
		vcpu_free(vcpu);
		vm_free(vm);
	}
}

/* ------------------------------------------------------------------ */
/* Registers of features a guest is denied, as the guest sees them.    */

/*
 * The guest's own vector table at MKVM_CODE_IPA (G_SKIP_VECTOR: any
 * exception records ESR_EL1 in x26, sets x24 and resumes after the
 * faulting instruction).  Main code at MKVM_CODE_IPA + 0x800.
 *
 * G_TRY reports (trapped?, ESR, value) of one access.
 */
#define G_TRY(insn)							\
	"mov	x24, #0\n"						\
	"mov	x26, #0\n"						\
	"movz	x0, #0x5a5a\n"						\
	insn "\n"							\
	G_REPORT("x24") G_REPORT("x26") G_REPORT("x0")

static const struct denied_reg {
	const char *name;
	bool ras;	/* error record: RAZ/WI when RAS, else UNDEF */
} denied_regs[] = {
	{ "mrs PIR_EL1" }, { "msr PIR_EL1" },
	{ "mrs PIRE0_EL1" }, { "msr PIRE0_EL1" },
	{ "mrs TCR2_EL1" }, { "msr TCR2_EL1" },
	{ "mrs POR_EL0" }, { "msr POR_EL0" },
	{ "mrs POR_EL1" }, { "msr POR_EL1" },
	{ "mrs FPMR" }, { "msr FPMR" },
	{ "mrs PMSCR_EL1" }, { "msr PMSCR_EL1" },
	{ "mrs PMBLIMITR_EL1" }, { "msr PMBLIMITR_EL1" },
	{ "mrs PMBPTR_EL1" }, { "msr PMBPTR_EL1" },
	{ "mrs PMBSR_EL1" },
	{ "mrs TRBLIMITR_EL1" }, { "msr TRBLIMITR_EL1" },
	{ "mrs TRBPTR_EL1" },
	{ "mrs TRFCR_EL1" }, { "msr TRFCR_EL1" },
	{ "mrs HCRX_EL2" }, { "mrs MDCR_EL2" },
	{ "mrs ERRIDR_EL1", true },
	{ "mrs ERRSELR_EL1", true }, { "msr ERRSELR_EL1", true },
	{ "mrs ERXSTATUS_EL1", true }, { "msr ERXSTATUS_EL1", true },
	{ "mrs ERXCTLR_EL1", true },
};

MKVM_GUEST(guest_denied,
	".rept 16\n" G_SKIP_VECTOR ".endr\n"
	".balign 0x800\n"
	/* ID registers first: x1 PFR0, DFR0, MMFR3, PFR2, ISAR1, ISAR2 */
	"mrs	x1, id_aa64pfr0_el1\n"		G_REPORT("x1")
	"mrs	x1, id_aa64dfr0_el1\n"		G_REPORT("x1")
	"mrs	x1, s3_0_c0_c7_3\n"		G_REPORT("x1")
	"mrs	x1, s3_0_c0_c4_2\n"		G_REPORT("x1")
	"mrs	x1, id_aa64isar1_el1\n"		G_REPORT("x1")
	"mrs	x1, id_aa64isar2_el1\n"		G_REPORT("x1")
	G_TRY("mrs	x0, s3_0_c10_c2_3")	/* PIR_EL1 */
	G_TRY("msr	s3_0_c10_c2_3, x0")
	G_TRY("mrs	x0, s3_0_c10_c2_2")	/* PIRE0_EL1 */
	G_TRY("msr	s3_0_c10_c2_2, x0")
	G_TRY("mrs	x0, s3_0_c2_c0_3")	/* TCR2_EL1 */
	G_TRY("msr	s3_0_c2_c0_3, x0")
	G_TRY("mrs	x0, s3_3_c10_c2_4")	/* POR_EL0 */
	G_TRY("msr	s3_3_c10_c2_4, x0")
	G_TRY("mrs	x0, s3_0_c10_c2_4")	/* POR_EL1 */
	G_TRY("msr	s3_0_c10_c2_4, x0")
	G_TRY("mrs	x0, s3_3_c4_c4_2")	/* FPMR */
	G_TRY("msr	s3_3_c4_c4_2, x0")
	G_TRY("mrs	x0, s3_0_c9_c9_0")	/* PMSCR_EL1 */
	G_TRY("msr	s3_0_c9_c9_0, x0")
	G_TRY("mrs	x0, s3_0_c9_c10_0")	/* PMBLIMITR_EL1 */
	G_TRY("msr	s3_0_c9_c10_0, x0")
	G_TRY("mrs	x0, s3_0_c9_c10_1")	/* PMBPTR_EL1 */
	G_TRY("msr	s3_0_c9_c10_1, x0")
	G_TRY("mrs	x0, s3_0_c9_c10_3")	/* PMBSR_EL1 */
	G_TRY("mrs	x0, s3_0_c9_c11_0")	/* TRBLIMITR_EL1 */
	G_TRY("msr	s3_0_c9_c11_0, x0")
	G_TRY("mrs	x0, s3_0_c9_c11_1")	/* TRBPTR_EL1 */
	G_TRY("mrs	x0, s3_0_c1_c2_1")	/* TRFCR_EL1 */
	G_TRY("msr	s3_0_c1_c2_1, x0")
	G_TRY("mrs	x0, s3_4_c1_c2_2")	/* HCRX_EL2 */
	G_TRY("mrs	x0, s3_4_c1_c1_1")	/* MDCR_EL2 */
	G_TRY("mrs	x0, s3_0_c5_c3_0")	/* ERRIDR_EL1 */
	G_TRY("mrs	x0, s3_0_c5_c3_1")	/* ERRSELR_EL1 */
	G_TRY("msr	s3_0_c5_c3_1, x0")
	G_TRY("mrs	x0, s3_0_c5_c4_2")	/* ERXSTATUS_EL1 */
	G_TRY("msr	s3_0_c5_c4_2, x0")
	G_TRY("mrs	x0, s3_0_c5_c4_1")	/* ERXCTLR_EL1 */
	G_DONE);

#define FIELD(v, lo)	(((v) >> (lo)) & 0xf)

MKVM_VM_FIXTURE(denied);

/*
 * Every register of a feature the guest is denied (or that belongs to
 * EL2) is UNDEFINED to it, and its ID register field reads 0; the RAS
 * error records read as zero and ignore writes where the guest sees
 * FEAT_RAS (KVM does the same), else UNDEF.  Same answers on KVM.
 */
TEST_F(denied, denied_registers_undef)
{
	uint64_t pfr0, dfr0, mmfr3, pfr2, isar1, isar2, trapped, esr, val;
	struct mkvm_vcpu *vcpu;
	unsigned int i;
	bool ras;

	self->vm = vm_create(guest_denied, guest_denied_end);
	vcpu = vm_vcpu_add_features(self->vm, 0, 0, MKVM_CODE_IPA + 0x800);
	vcpu_set_reg(vcpu, MKVM_VBAR_EL1, MKVM_CODE_IPA);

	pfr0 = vcpu_report(vcpu);
	dfr0 = vcpu_report(vcpu);
	mmfr3 = vcpu_report(vcpu);
	pfr2 = vcpu_report(vcpu);
	isar1 = vcpu_report(vcpu);
	isar2 = vcpu_report(vcpu);
	TH_LOG("guest ID_AA64PFR0 %#llx DFR0 %#llx MMFR3 %#llx PFR2 %#llx ISAR1 %#llx ISAR2 %#llx",
	       (unsigned long long)pfr0, (unsigned long long)dfr0,
	       (unsigned long long)mmfr3, (unsigned long long)pfr2,
	       (unsigned long long)isar1, (unsigned long long)isar2);
	EXPECT_EQ(0, FIELD(dfr0, 32));	/* PMSVer: SPE */
	EXPECT_EQ(0, FIELD(dfr0, 40));	/* TraceFilt */
	EXPECT_EQ(0, FIELD(dfr0, 44));	/* TraceBuffer: TRBE */
	EXPECT_EQ(0, FIELD(dfr0, 52));	/* BRBE */
	EXPECT_EQ(0, FIELD(mmfr3, 0));	/* TCRX: TCR2_EL1 */
	EXPECT_EQ(0, FIELD(mmfr3, 8));	/* S1PIE: PIR_EL1, PIRE0_EL1 */
	EXPECT_EQ(0, FIELD(mmfr3, 16));	/* S1POE: POR_EL0, POR_EL1 */
	EXPECT_EQ(0, FIELD(pfr2, 32));	/* FPMR */
	EXPECT_EQ(0, FIELD(isar1, 60));	/* LS64 */
	EXPECT_EQ(0, FIELD(isar2, 16));	/* MOPS */
	ras = FIELD(pfr0, 28) != 0;

	for (i = 0; i < sizeof(denied_regs) / sizeof(denied_regs[0]); i++) {
		trapped = vcpu_report(vcpu);
		esr = vcpu_report(vcpu);
		val = vcpu_report(vcpu);
		/* One line each, to compare the boots' logs (KVM vs minikvm). */
		TH_LOG("%-20s %s %#llx", denied_regs[i].name,
		       trapped ? "exception, ESR" : "no exception, x0",
		       (unsigned long long)(trapped ? esr : val));
		if (denied_regs[i].ras && ras && !strcmp(denied_regs[i].name, "mrs ERRIDR_EL1")) {
			/* FEAT_RAS: ERRIDR_EL1 exists, reads NUM = 0 records. */
			EXPECT_EQ(0, trapped) TH_LOG("%s", denied_regs[i].name);
			EXPECT_EQ(0, val) TH_LOG("%s", denied_regs[i].name);
			continue;
		}
		if (denied_regs[i].ras && !trapped) {
			/* RAZ/WI: reads give 0, writes vanish. */
			if (!strncmp(denied_regs[i].name, "mrs", 3))
				EXPECT_EQ(0, val) TH_LOG("%s", denied_regs[i].name);
			continue;
		}
		EXPECT_EQ(1, trapped) TH_LOG("%s: no exception, read %#llx",
					     denied_regs[i].name,
					     (unsigned long long)val);
		/* EC 0: Unknown reason, i.e. UNDEFINED. */
		EXPECT_EQ(0, esr >> 26) TH_LOG("%s: ESR_EL1 %#llx",
					       denied_regs[i].name,
					       (unsigned long long)esr);
	}
	vcpu_done(vcpu);
	vcpu_free(vcpu);
}

TEST_HARNESS_MAIN
