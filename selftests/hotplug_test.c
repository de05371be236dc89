// SPDX-License-Identifier: GPL-2.0
/*
 * Host CPUs and the module going away under VMs.
 *
 * CPU hotplug: a vCPU thread pinned to a host CPU runs its guest while
 * that CPU goes offline; the thread moves to another CPU and the guest
 * goes on, its state whole; the CPU comes back (minikvm's EL2 with it),
 * and the guest pinned there runs on it again.  The same holds for the
 * kernel's KVM on the oracle boot.
 *
 * Module unload (minikvm only): refused while any VM object is still
 * reachable - a VM fd, a vCPU fd, a kvm_run mapping, a vGIC fd, a vCPU in
 * KVM_RUN whose fds are all closed - and clean once the last one is gone.
 */
#include <sched.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"

/*
 * Rounds of an LCG (x2 = x2 * x6 + x7), x3 = 20000 steps each, the result
 * stored at MKVM_MMIO_IPA + 8 for the VMM to check; then a load from
 * MKVM_MMIO_IPA: 0 goes on, anything else ends the guest.  Nearly all its
 * time is spent in the guest, so that the CPU goes offline under it.
 */
#define LCG_STEPS	20000
#define LCG_MUL		6364136223846793005ull
#define LCG_ADD		1442695040888963407ull

MKVM_GUEST(guest_lcg,
	"movz	x5, #0x2000, lsl #16\n"			/* MKVM_MMIO_IPA */
	"1:	movz	x3, #20000\n"
	"2:	madd	x2, x2, x6, x7\n"
	"subs	x3, x3, #1\n"
	"b.ne	2b\n"
	"str	x2, [x5, #8]\n"
	"ldr	x1, [x5]\n"
	"cbz	x1, 1b\n"
	G_DONE);
_Static_assert(MKVM_MMIO_IPA == 0x2000ull << 16 && LCG_STEPS == 20000,
	       "guest_lcg is stale");

#define MAX_CPUS	64

struct lcg_runner {
	struct mkvm_vcpu *vcpu;
	uint64_t x;			/* the VMM's own LCG */
	volatile bool stop;
	volatile unsigned long rounds, bad;
	volatile unsigned long on_cpu[MAX_CPUS];	/* rounds per host CPU */
};

static void *lcg_fn(void *arg)
{
	struct lcg_runner *r = arg;
	struct kvm_run *run = r->vcpu->run;
	unsigned int i;
	uint64_t val;
	int cpu;

	for (;;) {
		vcpu_run(r->vcpu);
		MKVM_CHECK(run->exit_reason == KVM_EXIT_MMIO,
			   "exit %u (%s)", run->exit_reason,
			   mkvm_exit_name(run->exit_reason));
		if (run->mmio.phys_addr == MKVM_UCALL_IPA + UCALL_DONE)
			break;
		if (run->mmio.phys_addr == MKVM_MMIO_IPA + 8) {
			for (i = 0; i < LCG_STEPS; i++)
				r->x = r->x * LCG_MUL + LCG_ADD;
			val = mkvm_mmio_data(run);
			r->bad += val != r->x;
			r->x = val;	/* one bad round, not all after it */
			cpu = sched_getcpu();
			if (cpu >= 0 && cpu < MAX_CPUS)
				r->on_cpu[cpu]++;
			r->rounds++;
			continue;
		}
		MKVM_CHECK(run->mmio.phys_addr == MKVM_MMIO_IPA &&
			   !run->mmio.is_write,
			   "MMIO %s at %#llx", run->mmio.is_write ? "write" : "read",
			   (unsigned long long)run->mmio.phys_addr);
		val = r->stop;
		memcpy(run->mmio.data, &val, 8);
	}
	return NULL;
}

static int pin(pthread_t thread, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(thread, sizeof(set), &set);
}

static unsigned long rounds_off(struct lcg_runner *r, int cpu)
{
	unsigned long n = 0;
	int c;

	for (c = 0; c < MAX_CPUS; c++)
		if (c != cpu)
			n += r->on_cpu[c];
	return n;
}

/*
 * Wait up to @secs seconds (scaled for the boot) for *@count to grow by
 * @more; false if it did not.
 */
static bool wait_rounds(volatile unsigned long *count, unsigned long more,
			unsigned int secs)
{
	unsigned long target = *count + more;
	long ms = mkvm_scaled_timeout(secs) * 1000L;

	for (; ms > 0 && *count < target; ms -= 10)
		usleep(10000);
	return *count >= target;
}

static bool cpu_hotpluggable(int cpu)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	return access(path, W_OK) == 0;
}

FIXTURE(hotplug) {
	int ncpus;
};

FIXTURE_SETUP(hotplug)
{
	self->ncpus = mkvm_possible_cpus();
	ASSERT_EQ(0, mkvm_load_if_owner());
}

/* Whatever happened, every CPU comes back for the tests after this one. */
FIXTURE_TEARDOWN(hotplug)
{
	int cpu;

	for (cpu = 1; cpu < self->ncpus && cpu < MAX_CPUS; cpu++)
		mkvm_cpu_set_online(cpu, true);
}

/*
 * For each secondary CPU in turn: the guest runs pinned there, the CPU
 * goes offline under it, the guest runs on elsewhere, the CPU comes back,
 * and the guest, pinned there again, runs there again.  Every LCG round
 * the guest reports must be the VMM's.
 */
TEST_F_TIMEOUT(hotplug, vcpu_survives_its_cpu_going_offline, 120)
{
	struct minikvm_hyp_ping ping;
	struct lcg_runner r = { 0 };
	struct mkvm_vcpu *vcpu;
	struct mkvm_vm *vm;
	pthread_t thread;
	int cpu, dev = -1, tried = 0;
	unsigned long elsewhere;

	if (self->ncpus < 2 || !cpu_hotpluggable(1))
		SKIP(return, "no secondary CPU to take offline");
	ASSERT_GE(MAX_CPUS, self->ncpus);
	if (mkvm_dev_is_minikvm()) {
		dev = open(mkvm_dev_path(), O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, dev);
	}
	vm = vm_create(guest_lcg, guest_lcg_end);
	vcpu = vm_vcpu_add(vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(2), 0x686f74706c7567ull);
	vcpu_set_reg(vcpu, MKVM_XREG(6), LCG_MUL);
	vcpu_set_reg(vcpu, MKVM_XREG(7), LCG_ADD);
	r.x = 0x686f74706c7567ull;
	r.vcpu = vcpu;
	ASSERT_EQ(0, pthread_create(&thread, NULL, lcg_fn, &r));
	ASSERT_EQ(0, pin(thread, 1));

	for (cpu = 1; cpu < self->ncpus; cpu++) {
		if (!cpu_hotpluggable(cpu))
			continue;
		tried++;
		ASSERT_EQ(0, pin(thread, cpu)) TH_LOG("cpu %d", cpu);
		ASSERT_TRUE(wait_rounds(&r.on_cpu[cpu], 3, 30))
			TH_LOG("cpu %d: the guest does not run there", cpu);

		elsewhere = rounds_off(&r, cpu);
		ASSERT_EQ(0, mkvm_cpu_set_online(cpu, false))
			TH_LOG("cpu %d", cpu);
		/* The thread moved, the guest goes on. */
		ASSERT_TRUE(wait_rounds(&r.rounds, 3, 30))
			TH_LOG("cpu %d offline: the guest stopped", cpu);
		EXPECT_LE(elsewhere + 3, rounds_off(&r, cpu))
			TH_LOG("cpu %d", cpu);
		if (dev >= 0)
			EXPECT_EQ(-ENXIO, mkvm_ping(dev, cpu, &ping));

		ASSERT_EQ(0, mkvm_cpu_set_online(cpu, true))
			TH_LOG("cpu %d", cpu);
		/* minikvm's EL2 is back there... */
		if (dev >= 0) {
			ASSERT_EQ(0, mkvm_ping(dev, cpu, &ping))
				TH_LOG("cpu %d", cpu);
			EXPECT_EQ(~(0x5a5a0000ull + cpu), ping.answer);
			EXPECT_EQ(2, ping.current_el);
		}
		/* ... and the guest runs there again. */
		ASSERT_EQ(0, pin(thread, cpu)) TH_LOG("cpu %d", cpu);
		ASSERT_TRUE(wait_rounds(&r.on_cpu[cpu], 3, 30))
			TH_LOG("cpu %d online again: the guest does not run there",
			       cpu);
	}
	r.stop = true;
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_LT(0, tried);
	EXPECT_EQ(0, r.bad) TH_LOG("of %lu rounds", r.rounds);
	TH_LOG("%lu rounds on %d CPUs taken offline and back", r.rounds,
	       tried);
	vcpu_free(vcpu);
	vm_free(vm);
	if (dev >= 0)
		close(dev);
}

/*
 * What keeps the module: each case leaves one object of a VM alive (the
 * others closed) and unload must be refused until it goes.
 */
enum keeper { KEEP_VM_FD, KEEP_VCPU_FD, KEEP_RUN_MAPPING, KEEP_VGIC_FD,
	      KEEP_RUNNING_VCPU };

static const struct {
	const char *what;
	enum keeper keep;
} keepers[] = {
	{ "a VM fd",				KEEP_VM_FD },
	{ "a vCPU fd",				KEEP_VCPU_FD },
	{ "a vCPU's kvm_run mapping",		KEEP_RUN_MAPPING },
	{ "a vGIC fd",				KEEP_VGIC_FD },
	{ "a vCPU in KVM_RUN, every fd closed",	KEEP_RUNNING_VCPU },
};

/* Reports once, then spins until a signal ends KVM_RUN. */
MKVM_GUEST(guest_report_spin,
	"mov	x0, #1\n"
	G_REPORT("x0")
	"b	.\n");

struct spinner {
	struct mkvm_vcpu *vcpu;
	volatile bool running, returned;
	int ret;
};

static void *spinner_fn(void *arg)
{
	struct spinner *s = arg;

	vcpu_report(s->vcpu);
	s->running = true;
	s->ret = _vcpu_run(s->vcpu);
	s->returned = true;
	return NULL;
}

TEST_F_TIMEOUT(hotplug, unload_refused_while_a_vm_lives, 60)
{
	unsigned int i;

	if (!mkvm_boot_minikvm())
		SKIP(return, "minikvm is the module under test only on the minikvm boots");
	mkvm_install_kick_handler(SIGUSR1);
	for (i = 0; i < ARRAY_SIZE(keepers); i++) {
		enum keeper keep = keepers[i].keep;
		struct kvm_create_device cd = {
			.type = KVM_DEV_TYPE_ARM_VGIC_V3,
		};
		struct spinner s = { 0 };
		struct mkvm_vcpu *vcpu;
		struct mkvm_vm *vm;
		pthread_t thread;

		ASSERT_EQ(0, mkvm_load_if_owner()) TH_LOG("%s", keepers[i].what);
		vm = vm_create(guest_report_spin, guest_report_spin_end);
		vcpu = vm_vcpu_add(vm, 0);
		if (keep == KEEP_VGIC_FD)
			ASSERT_EQ(0, mkvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &cd));
		if (keep == KEEP_RUNNING_VCPU) {
			s.vcpu = vcpu;
			ASSERT_EQ(0, pthread_create(&thread, NULL, spinner_fn,
						    &s));
			while (!s.running)
				usleep(1000);
			usleep(50000);	/* into KVM_RUN, spinning */
		}

		close(vm->kvm_fd);
		if (keep != KEEP_VM_FD)
			close(vm->fd);
		if (keep != KEEP_VCPU_FD)
			close(vcpu->fd);
		if (keep != KEEP_RUN_MAPPING)
			munmap(vcpu->run, vcpu->run_size);
		EXPECT_EQ(-EWOULDBLOCK, mkvm_unload())
			TH_LOG("with only %s left", keepers[i].what);
		EXPECT_TRUE(mkvm_loaded()) TH_LOG("%s", keepers[i].what);

		/* The last one goes. */
		switch (keep) {
		case KEEP_VM_FD:
			close(vm->fd);
			break;
		case KEEP_VCPU_FD:
			close(vcpu->fd);
			break;
		case KEEP_RUN_MAPPING:
			munmap(vcpu->run, vcpu->run_size);
			break;
		case KEEP_VGIC_FD:
			close(cd.fd);
			break;
		case KEEP_RUNNING_VCPU:
			while (!s.returned) {
				pthread_kill(thread, SIGUSR1);
				usleep(20000);
			}
			ASSERT_EQ(0, pthread_join(thread, NULL));
			EXPECT_EQ(-EINTR, s.ret);
			break;
		}
		EXPECT_EQ(0, mkvm_unload())
			TH_LOG("once %s is gone too", keepers[i].what);
		EXPECT_FALSE(mkvm_loaded()) TH_LOG("%s", keepers[i].what);
		EXPECT_NE(0, access("/dev/minikvm", F_OK));
		/* The slot's memory; the fds are closed above. */
		munmap(vm->slots[0].hva, vm->slots[0].size);
		free(vcpu);
		free(vm);
	}
	/* Loaded again for the tests after this one. */
	ASSERT_EQ(0, mkvm_load_if_owner());
}

TEST_HARNESS_MAIN
