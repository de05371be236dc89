// SPDX-License-Identifier: GPL-2.0
/*
 * EL2 taken from the hyp stub and handed back: load/ping/unload cycles, CPU
 * hotplug with the module loaded, and refusal where EL2 is not the stub's.
 * On the VHE boot (the kernel runs at EL2) the same cycles, and the host's
 * EL2 controls left as found by guest runs and by load and unload.
 */
#include <sched.h>
#include <sys/utsname.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"

#define SCTLR_M		(1ull << 0)
#define SCTLR_C		(1ull << 2)
#define SCTLR_I		(1ull << 12)
#define HANDED_BACK_NVHE "minikvm: EL2 handed back to the hyp stub on"
#define HANDED_BACK_VHE	"minikvm: VHE: EL2 left as found on"
#define HANDED_BACK	(mkvm_boot_vhe() ? HANDED_BACK_VHE : HANDED_BACK_NVHE)
#define NOT_HANDED_BACK	"EL2 not handed back to the hyp stub"

/* Ping @cpu and check that minikvm's EL2 answered, MMU and caches on. */
static void ping_cpu(struct __test_metadata *_metadata, int fd, int cpu,
		     unsigned long long *mpidr)
{
	struct minikvm_hyp_ping ping;

	ASSERT_EQ(0, mkvm_ping(fd, cpu, &ping)) TH_LOG("cpu %d", cpu);
	EXPECT_EQ(~(0x5a5a0000ull + cpu), ping.answer);
	EXPECT_EQ(2, ping.current_el);
	EXPECT_EQ(SCTLR_M | SCTLR_C | SCTLR_I,
		  ping.sctlr_el2 & (SCTLR_M | SCTLR_C | SCTLR_I));
	/*
	 * nVHE: EL2 runs at the kernel address with bits [63:48] cleared.
	 * VHE: VBAR_EL2 is the kernel's own, in the kernel's upper half.
	 */
	EXPECT_EQ(mkvm_boot_vhe() ? 0xffff : 0, ping.vbar_el2 >> 48);
	EXPECT_EQ(0, ping.vbar_el2 & 0x7ff);
	EXPECT_EQ(1, ping.hyp_version);
	if (mpidr)
		*mpidr = ping.mpidr;
}

static void ping_online_cpus(struct __test_metadata *_metadata, int fd)
{
	unsigned long long mpidr[64];
	int n = mkvm_possible_cpus(), cpu, other, pinged = 0;
	struct minikvm_hyp_ping ping;

	ASSERT_LE(n, 64);
	for (cpu = 0; cpu < n; cpu++) {
		if (mkvm_ping(fd, cpu, &ping) == -ENXIO)
			continue;	/* offline */
		ping_cpu(_metadata, fd, cpu, &mpidr[pinged]);
		/* Each answer comes from a different physical CPU. */
		for (other = 0; other < pinged; other++)
			EXPECT_NE(mpidr[other], mpidr[pinged]);
		pinged++;
	}
	EXPECT_EQ(mkvm_online_cpus(), pinged);
}

/*
 * 100 times: load, ping every online CPU at EL2, unload; each unload must
 * report every CPU handed back, and the next load proves the stub answers
 * again (load refuses when it does not).
 */
/*
 * A fixture only for the time limit: 100 cycles take tens of seconds on
 * the debug kernel (KASAN, lockdep), over the harness's default 30.
 */
FIXTURE(cycles) {};
FIXTURE_SETUP(cycles) {}
FIXTURE_TEARDOWN(cycles) {}

TEST_F_TIMEOUT(cycles, load_ping_unload_cycles, 300)
{
	char handed_back[96];
	int i, fd, before;

	if (!mkvm_boot_minikvm())
		SKIP(return, "minikvm owns EL2 only on the minikvm boots");
	mkvm_unload();
	snprintf(handed_back, sizeof(handed_back), "%s %d CPUs\n",
		 HANDED_BACK, mkvm_online_cpus());
	before = mkvm_klog_count(handed_back);
	ASSERT_LE(0, before);

	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, mkvm_load()) TH_LOG("cycle %d", i);
		fd = open("/dev/minikvm", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		ping_online_cpus(_metadata, fd);
		close(fd);
		ASSERT_EQ(0, mkvm_unload()) TH_LOG("cycle %d", i);
		ASSERT_EQ(before + i + 1, mkvm_klog_count(handed_back))
			TH_LOG("cycle %d: not every CPU handed back", i);
		ASSERT_FALSE(mkvm_loaded());
		ASSERT_NE(0, access("/dev/minikvm", F_OK));
	}
	EXPECT_EQ(0, mkvm_klog_count(NOT_HANDED_BACK));
}

/* The module cannot go while /dev/minikvm is open. */
TEST(unload_refused_while_open)
{
	int fd;

	if (!mkvm_boot_minikvm())
		SKIP(return, "minikvm owns EL2 only on the minikvm boots");
	ASSERT_EQ(0, mkvm_load_if_owner());
	fd = open("/dev/minikvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EWOULDBLOCK, mkvm_unload());
	close(fd);
	EXPECT_EQ(0, mkvm_unload());
}

/*
 * Each secondary CPU goes offline (handing EL2 back) and comes online
 * (taking it again, through cpuhp) with the module loaded.
 */
TEST(hotplug_secondaries)
{
	struct minikvm_hyp_ping ping;
	int n = mkvm_possible_cpus(), cpu, fd;

	if (!mkvm_boot_minikvm())
		SKIP(return, "minikvm owns EL2 only on the minikvm boots");
	ASSERT_LE(2, n);
	ASSERT_EQ(0, mkvm_load_if_owner());
	fd = open("/dev/minikvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);

	for (cpu = 1; cpu < n; cpu++) {
		ASSERT_EQ(0, mkvm_cpu_set_online(cpu, false)) TH_LOG("cpu %d", cpu);
		EXPECT_EQ(-ENXIO, mkvm_ping(fd, cpu, &ping));
		ASSERT_EQ(0, mkvm_cpu_set_online(cpu, true)) TH_LOG("cpu %d", cpu);
		ping_cpu(_metadata, fd, cpu, NULL);
	}
	/* And twice in a row for one CPU, to catch state left behind. */
	ASSERT_EQ(0, mkvm_cpu_set_online(1, false));
	ASSERT_EQ(0, mkvm_cpu_set_online(1, true));
	ASSERT_EQ(0, mkvm_cpu_set_online(1, false));
	ASSERT_EQ(0, mkvm_cpu_set_online(1, true));
	ping_online_cpus(_metadata, fd);
	close(fd);
	EXPECT_EQ(0, mkvm_unload());
	EXPECT_EQ(0, mkvm_klog_count(NOT_HANDED_BACK));
}

/*
 * HVC_SOFT_RESTART (kexec's way out) honoured on every CPU: EL2 goes back
 * to the stub, the caller's entry point runs at EL2, and minikvm takes
 * EL2 again (debugfs minikvm/el2_soft_restart does the round trip).
 */
TEST(soft_restart_every_cpu)
{
	int n = mkvm_online_cpus(), cpu, fd, dfd;
	char buf[16];

	if (!mkvm_boot_minikvm())
		SKIP(return, "minikvm owns EL2 only on the minikvm boots");
	if (mkvm_boot_vhe())
		SKIP(return, "no hyp stub to restart into on a VHE host");
	ASSERT_EQ(0, mkvm_load_if_owner());
	fd = open("/dev/minikvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (cpu = 0; cpu < n; cpu++) {
		dfd = open("/sys/kernel/debug/minikvm/el2_soft_restart",
			   O_WRONLY | O_CLOEXEC);
		ASSERT_LE(0, dfd);
		snprintf(buf, sizeof(buf), "%d", cpu);
		EXPECT_EQ((ssize_t)strlen(buf), write(dfd, buf, strlen(buf)))
			TH_LOG("cpu %d: %s", cpu, strerror(errno));
		close(dfd);
		ping_cpu(_metadata, fd, cpu, NULL);
	}
	/* A CPU number that does not exist is refused. */
	dfd = open("/sys/kernel/debug/minikvm/el2_soft_restart",
		   O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, dfd);
	EXPECT_EQ(-1, write(dfd, "4096", 4));
	EXPECT_EQ(EINVAL, errno);
	close(dfd);
	close(fd);
	EXPECT_EQ(0, mkvm_unload());
	EXPECT_EQ(0, mkvm_klog_count("did not hand EL2 back"));
}

/*
 * Where EL2 is not minikvm's to use, loading fails with one line saying
 * why, and leaves nothing behind: -EBUSY where the kernel's KVM owns it.
 */
static const struct {
	const char *boot;
	int err;
	const char *message;
} refusals[] = {
	{ "oracle", -EBUSY, "minikvm: the kernel's KVM owns EL2 (nVHE)" },
	{ "oracle-vhe", -EBUSY, "minikvm: the kernel's KVM owns EL2 (VHE)" },
};

TEST(refused_when_el2_is_not_the_stubs)
{
	unsigned int i;
	int before, fd;

	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (mkvm_boot_is(refusals[i].boot))
			break;
	if (i == sizeof(refusals) / sizeof(refusals[0]))
		SKIP(return, "EL2 belongs to the stub on this boot");

	before = mkvm_klog_count(refusals[i].message);
	ASSERT_LE(0, before);
	EXPECT_EQ(refusals[i].err, mkvm_load());
	EXPECT_EQ(before + 1, mkvm_klog_count(refusals[i].message));
	EXPECT_FALSE(mkvm_loaded());
	EXPECT_NE(0, access("/dev/minikvm", F_OK));

	/* On the oracle boots the kernel's own KVM must be unharmed. */
	if (mkvm_boot_is("oracle") || mkvm_boot_is("oracle-vhe")) {
		fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd);
		EXPECT_EQ(KVM_API_VERSION, ioctl(fd, KVM_GET_API_VERSION, 0));
		close(fd);
	}
}

/* /sys/module/minikvm/parameters/mode says which host mode is in use. */
TEST(mode_parameter)
{
	char buf[16] = "";
	int fd;

	if (!mkvm_boot_minikvm())
		SKIP(return, "minikvm owns EL2 only on the minikvm boots");
	ASSERT_EQ(0, mkvm_load_if_owner());
	fd = open("/sys/module/minikvm/parameters/mode", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	EXPECT_STREQ(mkvm_boot_vhe() ? "vhe\n" : "nvhe\n", buf);
	/* Read-only: the host decides. */
	fd = open("/sys/module/minikvm/parameters/mode", O_WRONLY | O_CLOEXEC);
	EXPECT_GT(0, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, mkvm_unload());
}

/* debugfs minikvm/el2_host (VHE only): the host's EL2 controls, all CPUs. */
static char *read_el2_host(void)
{
	static const size_t size = 16384;
	char *buf = calloc(1, size);
	ssize_t n, len = 0;
	int fd;

	MKVM_CHECK(buf, "calloc");
	fd = open("/sys/kernel/debug/minikvm/el2_host", O_RDONLY | O_CLOEXEC);
	MKVM_CHECK(fd >= 0, "el2_host: %s", strerror(errno));
	while ((n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	return buf;
}

MKVM_GUEST(guest_hvc_done,
	"mov	x0, #0\n"
	G_HVC
	G_DONE);

/* One short guest run on every online CPU, this thread pinned to each. */
static void run_guest_on_each_cpu(void)
{
	int n = mkvm_possible_cpus(), cpu;
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;
	cpu_set_t set;

	for (cpu = 0; cpu < n; cpu++) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			continue;	/* offline */
		vm = vm_create(guest_hvc_done, guest_hvc_done_end);
		vcpu = vm_vcpu_add(vm, 0);
		vcpu_done(vcpu);
		vcpu_free(vcpu);
		vm_free(vm);
	}
	CPU_ZERO(&set);
	for (cpu = 0; cpu < n; cpu++)
		CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * VHE: guests run from the kernel's own EL2, which keeps the kernel's
 * controls in between: HCR_EL2 (E2H and TGE set: the host's), MDCR_EL2,
 * CPTR_EL2, CNTHCTL_EL2, VBAR_EL2 (the kernel's vectors), VTTBR_EL2 (0),
 * CNTVOFF_EL2, VMPIDR_EL2 and TPIDR_EL2 (the kernel's per-CPU offset) are
 * the same after a guest ran on every CPU, and after unload and load.
 */
TEST(vhe_host_el2_as_found)
{
	char *before, *after, *reloaded, *p;
	unsigned long long hcr;
	int cpu, vttbrs = 0;

	if (!mkvm_boot_vhe())
		SKIP(return, "the kernel runs at EL2 only on the vhe boot");
	ASSERT_EQ(0, mkvm_load_if_owner());
	before = read_el2_host();
	/* The register really is the host's HCR_EL2: E2H (34) and TGE (27). */
	p = strstr(before, " hcr_el2 ");
	ASSERT_NE(NULL, p);
	ASSERT_EQ(2, sscanf(p - 1, "%d hcr_el2 %llx", &cpu, &hcr));
	EXPECT_EQ((1ull << 34) | (1ull << 27),
		  hcr & ((1ull << 34) | (1ull << 27)));
	for (p = before; (p = strstr(p, " vttbr_el2 0x0\n")); p++)
		vttbrs++;
	EXPECT_EQ(mkvm_online_cpus(), vttbrs) TH_LOG("%s", before);

	run_guest_on_each_cpu();
	after = read_el2_host();
	EXPECT_STREQ(before, after);

	ASSERT_EQ(0, mkvm_unload());
	ASSERT_EQ(0, mkvm_load());
	reloaded = read_el2_host();
	EXPECT_STREQ(before, reloaded);
	free(before);
	free(after);
	free(reloaded);
	EXPECT_EQ(0, mkvm_unload());
}

TEST_HARNESS_MAIN
