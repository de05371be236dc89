// SPDX-License-Identifier: GPL-2.0
/*
 * KVM_GET_STATS_FD: the binary format as KVM lays it out, the fd read-only
 * and alive after the VM goes, and counters that count what the guest did:
 * N MMIO writes to the VMM advance mmio_exit_user by exactly N, N HVCs
 * advance hvc_exit_stat by exactly N.  Counters KVM has too are checked on
 * both boots; minikvm's own ("mkvm_*") skip on the oracle.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"
#include "mkvm_gic.h"
#include "mkvm_stats.h"

MKVM_VM_FIXTURE(stats);

#define XSTR(x)		#x
#define STR(x)		XSTR(x)

MKVM_GUEST(guest_idle, G_DONE);

/* The layout KVM's api.rst gives, and the id strings KVM uses. */
TEST_F(stats, layout)
{
	struct mkvm_vcpu *vcpu;
	struct stats s[2];
	char id[STATS_NAME_SIZE + 1] = "";
	unsigned int i, j, k;

	self->vm = vm_create(guest_idle, guest_idle_end);
	ASSERT_EQ(1, ioctl(self->vm->kvm_fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_BINARY_STATS_FD));
	vcpu = vm_vcpu_add(self->vm, 3);
	stats_open(&s[0], vm_stats_fd(self->vm));
	stats_open(&s[1], vcpu_stats_fd(vcpu));

	for (k = 0; k < 2; k++) {
		struct kvm_stats_header *h = &s[k].h;

		EXPECT_EQ(0, h->flags);
		EXPECT_EQ(STATS_NAME_SIZE, h->name_size);
		EXPECT_LT(0, h->num_desc);
		EXPECT_EQ(sizeof(*h), h->id_offset);
		ASSERT_EQ(STATS_NAME_SIZE,
			  pread(s[k].fd, id, STATS_NAME_SIZE, h->id_offset));
		EXPECT_EQ(0, strncmp(id, "kvm-", 4)) TH_LOG("id %s", id);
		if (k == 1) {
			EXPECT_TRUE(strstr(id, "/vcpu-3") != NULL)
				TH_LOG("id %s", id);
		} else {
			EXPECT_TRUE(strchr(id, '/') == NULL)
				TH_LOG("id %s", id);
		}

		for (i = 0; i < h->num_desc; i++) {
			struct kvm_stats_desc *d = stats_desc(&s[k], i);

			EXPECT_NE(0, d->name[0]);
			EXPECT_LE(1, d->size);
			EXPECT_EQ(0, d->offset % 8);
			for (j = 0; j < i; j++)
				EXPECT_NE(0, strcmp(d->name,
						    stats_desc(&s[k], j)->name))
					TH_LOG("%s twice", d->name);
		}
	}
	/* Counters of both kinds that KVM has on arm64 too. */
	EXPECT_EQ(0, stat_of(&s[1], "mmio_exit_user"));
	EXPECT_EQ(0, stat_of(&s[1], "hvc_exit_stat"));
	(void)stat_of(&s[1], "exits");
	(void)stat_of(&s[1], "halt_wakeup");
	stats_close(&s[0]);
	stats_close(&s[1]);
	vcpu_free(vcpu);
}

/* Read-only, by read() and pread(); past the end reads nothing. */
TEST_F(stats, read_only)
{
	struct kvm_stats_header h;
	char buf[8] = "";
	int fd;

	self->vm = vm_create(guest_idle, guest_idle_end);
	fd = vm_stats_fd(self->vm);
	ASSERT_LE(0, fd);
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADF, errno);
	/* No positional writes at all: KVM refuses them before the mode. */
	EXPECT_EQ(-1, pwrite(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ESPIPE, errno);
	/* read() walks the file from the start, as pread() at 0 does. */
	ASSERT_EQ(sizeof(h), read(fd, &h, sizeof(h)));
	EXPECT_EQ(STATS_NAME_SIZE, h.name_size);
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), 1 << 20));
	close(fd);
}

/* The fds hold the VM: readable after every VM and vCPU fd is closed. */
TEST_F(stats, outlives_vm)
{
	struct mkvm_vcpu *vcpu;
	struct stats vm_s, vcpu_s;

	self->vm = vm_create(guest_idle, guest_idle_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_done(vcpu);
	stats_open(&vm_s, vm_stats_fd(self->vm));
	stats_open(&vcpu_s, vcpu_stats_fd(vcpu));
	vcpu_free(vcpu);
	vm_free(self->vm);
	self->vm = NULL;

	EXPECT_EQ(1, stat_of(&vcpu_s, "mmio_exit_user"));	/* G_DONE */
	memset(&vm_s.h, 0, sizeof(vm_s.h));
	ASSERT_EQ(sizeof(vm_s.h), pread(vm_s.fd, &vm_s.h, sizeof(vm_s.h), 0));
	EXPECT_EQ(STATS_NAME_SIZE, vm_s.h.name_size);
	stats_close(&vm_s);
	stats_close(&vcpu_s);
}

#define NR_MMIO	5
#define NR_HVC	7

/*
 * NR_HVC PSCI_VERSION calls (answered in the kernel), then NR_MMIO writes
 * to MMIO (each an exit to here), then a report.
 */
MKVM_GUEST(guest_counted,
	"mov	x6, #" STR(NR_HVC) "\n"
	"1:	movz	x0, #0x8400, lsl #16\n"
	G_HVC
	"subs	x6, x6, #1\n"
	"b.ne	1b\n"
	"movz	x5, #0x2000, lsl #16\n"
	"mov	x6, #" STR(NR_MMIO) "\n"
	"2:	str	x6, [x5]\n"
	"subs	x6, x6, #1\n"
	"b.ne	2b\n"
	G_REPORT("x6")
	G_DONE);

/* Counters advance by exactly what the guest did. */
TEST_F(stats, counts_exits)
{
	struct mkvm_vcpu *vcpu;
	struct stats s;
	uint64_t exits, v;
	unsigned int i;

	self->vm = vm_create(guest_counted, guest_counted_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	stats_open(&s, vcpu_stats_fd(vcpu));
	EXPECT_EQ(0, stat_of(&s, "mmio_exit_user"));
	EXPECT_EQ(0, stat_of(&s, "hvc_exit_stat"));

	for (i = 0; i < NR_MMIO; i++) {
		struct kvm_run *run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);

		ASSERT_EQ(MKVM_MMIO_IPA, run->mmio.phys_addr);
		ASSERT_EQ(NR_HVC, stat_of(&s, "hvc_exit_stat"));
		ASSERT_EQ(i + 1, stat_of(&s, "mmio_exit_user"));
	}
	exits = stat_of(&s, "exits");
	EXPECT_LE(NR_MMIO + NR_HVC, exits);
	EXPECT_EQ(0, vcpu_report(vcpu));
	EXPECT_EQ(NR_MMIO + 1, stat_of(&s, "mmio_exit_user"));
	EXPECT_LT(exits, stat_of(&s, "exits"));
	EXPECT_EQ(NR_HVC, stat_of(&s, "hvc_exit_stat"));

	/* minikvm's own: the guest's first touch of RAM faulted. */
	if (stats_get(&s, "mkvm_stage2_faults", &v)) {
		EXPECT_LE(1, v);
	} else {
		TH_LOG("no mkvm_stage2_faults here (not minikvm): not checked");
	}
	stats_close(&s);
	vcpu_free(vcpu);
}

#define NR_WA	50

/*
 * NR_WA calls each of SMCCC_ARCH_WORKAROUND_1 and _3, as a Linux guest
 * makes on every entry from EL0 when told they are available; x7 gathers
 * every answer (SUCCESS, 0, from both KVM and minikvm).
 */
MKVM_GUEST(guest_workarounds,
	"mov	x6, #" STR(NR_WA) "\n"
	"mov	x7, #0\n"
	"1:	movz	x0, #0x8000, lsl #16\n"
	"movk	x0, #0x8000\n"			/* ARCH_WORKAROUND_1 */
	G_HVC
	"orr	x7, x7, x0\n"
	"movz	x0, #0x8000, lsl #16\n"
	"movk	x0, #0x3fff\n"			/* ARCH_WORKAROUND_3 */
	G_HVC
	"orr	x7, x7, x0\n"
	"subs	x6, x6, #1\n"
	"b.ne	1b\n"
	G_REPORT("x7")
	G_DONE);

/*
 * The Spectre workaround calls are answered at EL2, as KVM's hyp vectors
 * do: a guest makes one per system call and interrupt from EL0, and an
 * exit to the host kernel for each took a third of a virtio-net guest's
 * time (Documentation/io.rst).  None counts as an HVC exit.
 */
TEST_F(stats, workaround_calls_stay_at_el2)
{
	struct mkvm_vcpu *vcpu;
	struct stats s;

	self->vm = vm_create(guest_workarounds, guest_workarounds_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	stats_open(&s, vcpu_stats_fd(vcpu));
	EXPECT_EQ(0, vcpu_report(vcpu));
	EXPECT_EQ(0, stat_of(&s, "hvc_exit_stat"));
	EXPECT_GT(2 * NR_WA, stat_of(&s, "exits"));
	stats_close(&s);
	vcpu_free(vcpu);
}

#define NR_HALTS	40
#define VTIMER_BIT	(1u << 27)

/*
 * NR_HALTS times: the virtual timer x9 ticks ahead, WFI until it has
 * fired (IRQs stay masked: the pending timer only ends the WFI), timer
 * off.
 */
MKVM_GUEST(guest_halts,
	G_VECTORS(G_IRQ_REPORT)
	G_GIC_INIT
	"mov	x6, #" STR(NR_HALTS) "\n"
	"1:	msr	cntv_tval_el0, x9\n"
	"mov	x0, #1\n"
	"msr	cntv_ctl_el0, x0\n"
	"isb\n"
	"2:	wfi\n"
	"mrs	x0, cntv_ctl_el0\n"
	"tbz	x0, #2, 2b\n"			/* ISTATUS: fired */
	"msr	cntv_ctl_el0, xzr\n"
	"isb\n"
	"subs	x6, x6, #1\n"
	"b.ne	1b\n"
	G_DONE);

/* The module's halt-polling parameter: minikvm's, or KVM's on the oracle. */
static const char *poll_param(void)
{
	return access("/sys/module/minikvm/parameters/halt_poll_ns", W_OK) ?
	       "/sys/module/kvm/parameters/halt_poll_ns" :
	       "/sys/module/minikvm/parameters/halt_poll_ns";
}

/* Reads the parameter at @path into @old (if given), then writes @val. */
static bool param_set(const char *path, char *old, size_t len, const char *val)
{
	FILE *f;
	bool ok = true;

	if (old) {
		f = fopen(path, "r");
		ok = f && fgets(old, len, f);
		if (f)
			fclose(f);
	}
	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fputs(val, f) >= 0 && ok;
	return !fclose(f) && ok;
}

/*
 * Runs guest_halts on a VM with a vGIC, with the halt-polling limit at
 * @max_ns for the run; @s gets the vCPU's stats.
 */
static void run_halts(struct mkvm_vm **vmp, struct stats *s, const char *max_ns)
{
	struct gic_params p = { GIC_PARAMS_DEFAULT, .gicr_enable = VTIMER_BIT };
	const char *path = poll_param();
	struct mkvm_vcpu *vcpu;
	char old[32] = "";
	uint64_t freq;
	int fd;

	MKVM_CHECK(param_set(path, old, sizeof(old), max_ns), "%s: %s", path,
		   strerror(errno));
	*vmp = vm_create(guest_halts, guest_halts_end);
	vcpu = gic_vcpu_add(*vmp, 0, &p);
	/*
	 * 2 ms (times the boot's slowness: 8 ms on the debug boot), not
	 * less: under TCG a WFI's exit alone can take 100 us, and a timer
	 * that fired before the WFI makes no halt.
	 */
	asm volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	vcpu_set_reg(vcpu, MKVM_XREG(9), freq / 500 * mkvm_timeout_scale());
	fd = vm_vgic_setup(*vmp);
	stats_open(s, vcpu_stats_fd(vcpu));
	vcpu_done(vcpu);
	MKVM_CHECK(param_set(path, NULL, 0, old), "%s: %s", path,
		   strerror(errno));
	ksft_print_msg("%llu WFIs, %llu halts polled, %llu woken while polling (%llu ns), %llu slept\n",
	       (unsigned long long)stat_of(s, "wfi_exit_stat"),
	       (unsigned long long)stat_of(s, "halt_attempted_poll"),
	       (unsigned long long)stat_of(s, "halt_successful_poll"),
	       (unsigned long long)stat_of(s, "halt_poll_success_ns"),
	       (unsigned long long)stat_of(s, "halt_wakeup"));
	vcpu_free(vcpu);
	close(fd);
}

/*
 * KVM's adaptive halt polling: a vCPU woken again and again some
 * milliseconds after its WFI grows its polling window (10, 20, 40 ...
 * us; the limit raised to 100 ms for the test) until the wakeups come
 * while it polls.  A fixed 20 us window (minikvm before) never polls
 * successfully here.
 */
TEST_F(stats, halt_polling_grows)
{
	struct stats s;
	uint64_t ok, tried, wfi;

	run_halts(&self->vm, &s, "100000000");
	wfi = stat_of(&s, "wfi_exit_stat");
	tried = stat_of(&s, "halt_attempted_poll");
	ok = stat_of(&s, "halt_successful_poll");
	/* Some WFIs find the timer fired already (a slow TCG exit). */
	ASSERT_LE(4, wfi);
	EXPECT_LE(wfi / 2, tried);
	EXPECT_LE(wfi / 4, ok);
	EXPECT_LT(0, ok);
	EXPECT_LT(0, stat_of(&s, "halt_poll_success_ns"));
	EXPECT_LE(ok, tried);
	stats_close(&s);
}

/* halt_poll_ns = 0 turns polling off: every halt sleeps at once. */
TEST_F(stats, halt_polling_off)
{
	struct stats s;

	run_halts(&self->vm, &s, "0");
	ASSERT_LE(4, stat_of(&s, "wfi_exit_stat"));
	EXPECT_EQ(0, stat_of(&s, "halt_attempted_poll"));
	EXPECT_EQ(0, stat_of(&s, "halt_successful_poll"));
	EXPECT_EQ(0, stat_of(&s, "halt_poll_success_ns"));
	EXPECT_LE(stat_of(&s, "wfi_exit_stat") / 2,
		  stat_of(&s, "halt_wakeup"));
	stats_close(&s);
}

/* A signal that ends KVM_RUN is a signal exit. */
MKVM_GUEST(guest_spin, "b	.\n");

TEST_F(stats, counts_signal_exits)
{
	struct mkvm_vcpu *vcpu;
	struct stats s;
	struct itimerval t = { .it_value.tv_usec = 20000 };

	mkvm_install_kick_handler(SIGALRM);
	self->vm = vm_create(guest_spin, guest_spin_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	stats_open(&s, vcpu_stats_fd(vcpu));
	EXPECT_EQ(0, stat_of(&s, "signal_exits"));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &t, NULL));
	EXPECT_EQ(-EINTR, _vcpu_run(vcpu));
	EXPECT_EQ(1, stat_of(&s, "signal_exits"));
	EXPECT_LE(1, stat_of(&s, "exits"));
	stats_close(&s);
	vcpu_free(vcpu);
}

/*
 * minikvm's own: dropping RAM the guest has touched from the VMM's address
 * space (the MMU notifier) unmaps it at stage 2 and invalidates the TLBs:
 * the few pages of the guest's code by IPA (mkvm_tlb_ipa_flushes), not
 * the whole VM (mkvm_tlb_flushes stays).  KVM's arm64 remote_tlb_flush
 * does not count these (it invalidates as it unmaps), so the oracle
 * skips.
 */
TEST_F(stats, counts_tlb_flushes)
{
	struct mkvm_vcpu *vcpu;
	struct stats s;
	uint64_t before, ipa_before;

	self->vm = vm_create(guest_idle, guest_idle_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_done(vcpu);
	stats_open(&s, vm_stats_fd(self->vm));
	if (!stats_get(&s, "mkvm_tlb_flushes", &before)) {
		stats_close(&s);
		vcpu_free(vcpu);
		SKIP(return, "no mkvm_tlb_flushes: not minikvm");
	}
	ipa_before = stat_of(&s, "mkvm_tlb_ipa_flushes");
	ASSERT_EQ(0, madvise(self->vm->slots[0].hva, self->vm->slots[0].size,
			     MADV_DONTNEED));
	EXPECT_EQ(ipa_before + 1, stat_of(&s, "mkvm_tlb_ipa_flushes"));
	EXPECT_EQ(before, stat_of(&s, "mkvm_tlb_flushes"));
	stats_close(&s);
	vcpu_free(vcpu);
}

/*
 * Stage-2 faults and the VMM's other mappings: a thread of the VMM maps,
 * fills and unmaps 16 MiB of its own memory over and over (every munmap
 * is an MMU notifier invalidation, a long one: 4,096 pages to zap) while
 * the guest reads each page of a 8 MiB slot once, NR_TOUCH faults (small
 * pages: huge ones would be a few block faults).  The
 * munmaps are not of guest memory, so no fault has to wait for them:
 * minikvm takes one fault per page (plus the few of the code and the
 * exits).  Before, every fault that met an invalidation in progress was
 * retried until it ended - QEMU's own munmaps made a Linux guest's boot
 * take 150,000 stage-2 faults instead of 7,000.  The guest's sum checks
 * it read what the host wrote.
 */
#define TOUCH_IPA	0x90000000ull
#define NR_TOUCH	2048
#define CHURN_SIZE	(16ul << 20)

MKVM_GUEST(guest_touch,
	"movz	x0, #0x9000, lsl #16\n"
	"mov	x1, #" STR(NR_TOUCH) "\n"
	"mov	x3, #0\n"
	"1:	ldr	x2, [x0]\n"
	"add	x3, x3, x2\n"
	"add	x0, x0, #4096\n"
	"subs	x1, x1, #1\n"
	"b.ne	1b\n"
	G_REPORT("x3")
	G_DONE);

struct churn {
	atomic_bool stop;
	atomic_ulong cycles;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	while (!atomic_load(&c->stop)) {
		char *p = mmap(NULL, CHURN_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		MKVM_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
		/* 4,096 small pages: a long invalidation to zap. */
		madvise(p, CHURN_SIZE, MADV_NOHUGEPAGE);
		memset(p, 1, CHURN_SIZE);
		munmap(p, CHURN_SIZE);
		atomic_fetch_add(&c->cycles, 1);
	}
	return NULL;
}

TEST_F(stats, faults_ignore_unrelated_munmaps)
{
	struct churn c = { .stop = false };
	struct mkvm_vcpu *vcpu;
	uint64_t *mem, sum = 0, faults;
	pthread_t thread;
	struct stats s;
	unsigned int i;

	self->vm = vm_create(guest_touch, guest_touch_end);
	mem = vm_add_memory(self->vm, 1, 0, TOUCH_IPA, NR_TOUCH * 4096ul);
	/* Small pages, so that each is a fault of its own (not a block). */
	ASSERT_EQ(0, madvise(mem, NR_TOUCH * 4096ul, MADV_NOHUGEPAGE));
	for (i = 0; i < NR_TOUCH; i++) {
		mem[i * 512] = i + 1;
		sum += i + 1;
	}
	vcpu = vm_vcpu_add(self->vm, 0);
	stats_open(&s, vcpu_stats_fd(vcpu));

	ASSERT_EQ(0, pthread_create(&thread, NULL, churn_thread, &c));
	/* The guest starts with the munmaps already going. */
	while (!atomic_load(&c.cycles))
		usleep(1000);
	EXPECT_EQ(sum, vcpu_report(vcpu));
	atomic_store(&c.stop, true);
	pthread_join(thread, NULL);
	TH_LOG("%lu munmaps of %lu MiB meanwhile", atomic_load(&c.cycles),
	       CHURN_SIZE >> 20);

	if (stats_get(&s, "mkvm_stage2_faults", &faults)) {
		TH_LOG("%llu stage-2 faults for %u pages",
		       (unsigned long long)faults, NR_TOUCH);
		EXPECT_LE(NR_TOUCH, faults);
		EXPECT_GE(NR_TOUCH + 16, faults);
	} else {
		TH_LOG("no mkvm_stage2_faults here (not minikvm): not checked");
	}
	vcpu_done(vcpu);
	stats_close(&s);
	vcpu_free(vcpu);
}

/* ---- coalesced MMIO ------------------------------------------------ */

static int zone_ioctl(struct mkvm_vm *vm, unsigned long req, uint64_t addr,
		      uint32_t size, uint32_t pio)
{
	struct kvm_coalesced_mmio_zone z = {
		.addr = addr, .size = size, .pio = pio,
	};

	return mkvm_ioctl(vm->fd, req, &z);
}

/* The errors KVM gives, and what it accepts. */
TEST_F(stats, coalesced_errors)
{
	long page = sysconf(_SC_PAGESIZE);

	self->vm = vm_create(guest_idle, guest_idle_end);
	EXPECT_EQ(KVM_COALESCED_MMIO_PAGE_OFFSET,
		  ioctl(self->vm->kvm_fd, KVM_CHECK_EXTENSION,
			KVM_CAP_COALESCED_MMIO));
	EXPECT_EQ(page * (KVM_COALESCED_MMIO_PAGE_OFFSET + 1),
		  ioctl(self->vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0));
	EXPECT_EQ(-EINVAL, zone_ioctl(self->vm, KVM_REGISTER_COALESCED_MMIO,
				      MKVM_MMIO_IPA, 8, 2));
	EXPECT_EQ(-EINVAL, zone_ioctl(self->vm, KVM_UNREGISTER_COALESCED_MMIO,
				      MKVM_MMIO_IPA, 8, 2));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm->fd, KVM_REGISTER_COALESCED_MMIO,
				      (void *)8));
	/* Overlaps are allowed; a PIO zone is accepted on arm64 too. */
	EXPECT_EQ(0, zone_ioctl(self->vm, KVM_REGISTER_COALESCED_MMIO,
				MKVM_MMIO_IPA, 0x1000, 0));
	EXPECT_EQ(0, zone_ioctl(self->vm, KVM_REGISTER_COALESCED_MMIO,
				MKVM_MMIO_IPA + 8, 8, 0));
	EXPECT_EQ(0, zone_ioctl(self->vm, KVM_REGISTER_COALESCED_MMIO,
				0x3f8, 8, 1));
	/* Unregistering what is not there is no error. */
	EXPECT_EQ(0, zone_ioctl(self->vm, KVM_UNREGISTER_COALESCED_MMIO,
				0x40000000, 8, 0));
	EXPECT_EQ(0, zone_ioctl(self->vm, KVM_UNREGISTER_COALESCED_MMIO,
				MKVM_MMIO_IPA, 8, 0));
	/* Zones stay registered when the VM goes: no leak (debug boot). */
}

#define NR_COALESCED	6

MKVM_GUEST(guest_coalesced,
	"movz	x5, #0x2000, lsl #16\n"
	"mov	x6, #0\n"
	"1:	str	x6, [x5, #0x10]\n"
	"add	x6, x6, #1\n"
	"cmp	x6, #" STR(NR_COALESCED) "\n"
	"b.ne	1b\n"
	G_REPORT("x6")
	"ldr	x7, [x5, #0x10]\n"	/* a read: exits */
	"str	x6, [x5, #0x10]\n"	/* after unregistering: exits */
	G_DONE);

/* Writes into a zone queue without exits; reads exit; unregister works. */
TEST_F(stats, coalesced_ring)
{
	struct kvm_coalesced_mmio_ring *ring;
	struct mkvm_vcpu *vcpu;
	struct kvm_run *run;
	struct stats s;
	unsigned int i;
	uint64_t v;

	self->vm = vm_create(guest_coalesced, guest_coalesced_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	ring = (void *)vcpu->run +
	       KVM_COALESCED_MMIO_PAGE_OFFSET * sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, zone_ioctl(self->vm, KVM_REGISTER_COALESCED_MMIO,
				MKVM_MMIO_IPA, 0x100, 0));
	stats_open(&s, vcpu_stats_fd(vcpu));

	EXPECT_EQ(NR_COALESCED, vcpu_report(vcpu));
	EXPECT_EQ(0, ring->first);
	ASSERT_EQ(NR_COALESCED, ring->last);
	for (i = 0; i < NR_COALESCED; i++) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[i];

		memcpy(&v, e->data, sizeof(v));
		EXPECT_EQ(MKVM_MMIO_IPA + 0x10, e->phys_addr);
		EXPECT_EQ(8, e->len);
		EXPECT_EQ(0, e->pio);
		EXPECT_EQ(i, v);
	}
	EXPECT_EQ(1, stat_of(&s, "mmio_exit_user"));	/* the report */
	EXPECT_LE(NR_COALESCED, stat_of(&s, "mmio_exit_kernel"));
	ring->first = ring->last;

	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(0, run->mmio.is_write);
	EXPECT_EQ(MKVM_MMIO_IPA + 0x10, run->mmio.phys_addr);
	ASSERT_EQ(0, zone_ioctl(self->vm, KVM_UNREGISTER_COALESCED_MMIO,
				MKVM_MMIO_IPA, 0x100, 0));
	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(NR_COALESCED, mkvm_mmio_data(run));
	EXPECT_EQ(ring->first, ring->last);
	vcpu_done(vcpu);
	stats_close(&s);
	vcpu_free(vcpu);
}

TEST_HARNESS_MAIN
