// SPDX-License-Identifier: GPL-2.0
/*
 * Load: VMs x vCPUs enough to fill the host's CPUs twice over, each vCPU
 * running a mixed guest (MMIO storms to the VMM, SGIs to its sibling,
 * virtual timer interrupts, WFI) for a fixed number of iterations, while one
 * thread keeps creating, running and destroying extra VMs and another keeps
 * dropping guest pages with MADV_DONTNEED under the running guests.
 *
 * Every guest's result is checked: its MMIO exits and iterations counted,
 * its checksum over what the VMM answered, SGIs received as many as its
 * sibling sent, one timer interrupt per timer armed, its own memory intact,
 * and a dropped page read as zeros exactly when the VMM dropped it.  The
 * boot's kernel-log check then catches RCU stalls, soft lockups, lockdep
 * and (debug boot) kmemleak.
 */
#include <sys/mman.h>
#include <time.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"

/* The guest's GIC, laid out as on QEMU's virt machine. */
#define GICD_IPA		0x08000000ull
#define GICR_IPA		0x080a0000ull

#define SOAK_VMS		4
#define SOAK_VCPUS		2	/* per VM: each has one sibling */
/* Iterations per vCPU on the minikvm boot; mkvm_scaled_work() elsewhere. */
#define SOAK_ITERATIONS		1000
/* MMIO exits to the VMM per iteration: a mark, 4 loads, a store. */
#define MMIO_PER_ITERATION	6
/* The VMM drops a vCPU's exact page in iterations i % 4 == 1. */
#define DROP_EVERY		4
#define DROP_PHASE		1
/*
 * Harness limit.  Measured under load: minikvm 17-39 s, oracle 57-105 s
 * (1500 iterations then), debug 8-20 s per 100 iterations; mkvm_util.h
 * doubles it (x4 on debug).
 */
#define SOAK_TIMEOUT_S		120

#define SGI_INTID		5
#define VTIMER_INTID		27
#define SOAK_STR(x)		#x
#define SOAK_XSTR(x)		SOAK_STR(x)

/* Guest-physical layout. */
#define MAILBOX_IPA		(MKVM_RAM_IPA + 0x100000)	/* 64 B per vCPU */
#define PRIVATE_IPA		(MKVM_RAM_IPA + 0x110000)	/* a page per vCPU */
#define SCRATCH_IPA		0xc0000000ull
#define SCRATCH_SIZE		(SOAK_VCPUS * 0x2000ull)	/* two pages per vCPU */
#define GUEST_ENTRY		(MKVM_CODE_IPA + 0x800)

/*
 * The soak guest.  Vectors at MKVM_CODE_IPA (VBAR_EL1): every entry
 * reports the exception, except IRQ from EL1h, which counts timer
 * interrupts in x24 (and disables the timer, so that its level drops) and
 * SGIs in x25 (published in the vCPU's mailbox for its sibling).
 *
 * Set by the host: x10 iterations, x11 a key for the private word, x16 the
 * timer's delay in ticks, x19 the checksum's seed.
 * Results, reported in this order at the end: x19 checksum, x17
 * iterations, x18 SGIs sent, x25 SGIs received, x3 timers armed, x24 timer
 * interrupts, x28 exact-page zeros, x29 racy-page zeros, x4 errors.
 *
 * Per vCPU (Aff0 = n): mailbox MAILBOX_IPA + 64 n (+0 SGIs received,
 * +8 SGIs sent in all, +16 finished), private word at PRIVATE_IPA +
 * 4 KiB n, scratch pages at SCRATCH_IPA + 8 KiB n: the exact one, which the
 * VMM drops at known iterations, and the racy one (+4 KiB), which the
 * reclaim thread drops whenever it likes.
 */
#define G_SOAK_IRQ							\
	"mrs	x26, icc_iar1_el1\n"					\
	"cmp	x26, #1020\n"						\
	"b.hs	3f\n"							\
	"cmp	x26, #" SOAK_XSTR(VTIMER_INTID) "\n"			\
	"b.ne	1f\n"							\
	"msr	cntv_ctl_el0, xzr\n"					\
	"isb\n"								\
	"add	x24, x24, #1\n"						\
	"b	2f\n"							\
	"1:	add	x25, x25, #1\n"					\
	"str	x25, [x12]\n"						\
	"2:	msr	icc_eoir1_el1, x26\n"				\
	"3:	eret\n"

/* Arm the timer x16 ticks ahead (x3 counts it) and WFI until it fires. */
#define G_SLEEP								\
	"add	x3, x3, #1\n"						\
	"add	x15, x24, #1\n"						\
	"isb\n"								\
	"mrs	x1, cntvct_el0\n"					\
	"add	x1, x1, x16\n"						\
	"msr	cntv_cval_el0, x1\n"					\
	"mov	x1, #1\n"						\
	"msr	cntv_ctl_el0, x1\n"					\
	"isb\n"								\
	"8:	cmp	x24, x15\n"					\
	"b.hs	9f\n"							\
	"wfi\n"								\
	"b	8b\n"							\
	"9:\n"

/* A loaded word at [@addr] must be x0 or zero; zeros counted in @zeros. */
#define G_CHECK_SCRATCH(addr, zeros)					\
	"ldr	x1, [" addr "]\n"					\
	"cmp	x1, x0\n"						\
	"b.eq	7f\n"							\
	"cbz	x1, 6f\n"						\
	"add	x4, x4, #1\n"						\
	"b	7f\n"							\
	"6:	add	" zeros ", " zeros ", #1\n"			\
	"7:\n"

#define G_MMIO_LOAD							\
	"ldr	x1, [x5]\n"						\
	"eor	x19, x1, x19, ror #13\n"

MKVM_GUEST(guest_soak,
	".rept 5\n" G_VECTOR_ENTRY ".endr\n"
	".balign 0x80\n" G_SOAK_IRQ
	".org 0x300\n"
	".rept 10\n" G_VECTOR_ENTRY ".endr\n"
	".org 0x800\n"
	/* GIC: distributor on, this vCPU's redistributor awake. */
	"movz	x20, #0x0800, lsl #16\n"		/* GICD_IPA */
	"mrs	x9, mpidr_el1\n"
	"and	x9, x9, #0xff\n"
	"movz	x21, #0x080a, lsl #16\n"		/* GICR_IPA */
	"add	x21, x21, x9, lsl #17\n"
	"add	x22, x21, #0x10, lsl #12\n"		/* SGI_base */
	"mov	w0, #0x12\n"				/* ARE | EnableGrp1 */
	"str	w0, [x20]\n"
	"1:	ldr	w0, [x20]\n"
	"tbnz	w0, #31, 1b\n"				/* RWP */
	"ldr	w1, [x21, #0x14]\n"			/* GICR_WAKER */
	"bic	w1, w1, #2\n"
	"str	w1, [x21, #0x14]\n"
	"1:	ldr	w1, [x21, #0x14]\n"
	"tbnz	w1, #2, 1b\n"
	"mov	w1, #-1\n"
	"str	w1, [x22, #0x80]\n"			/* GICR_IGROUPR0 */
	"movz	w0, #0xa0a0\n"
	"movk	w0, #0xa0a0, lsl #16\n"
	"mov	x2, #0x400\n"				/* GICR_IPRIORITYR */
	"1:	str	w0, [x22, x2]\n"
	"add	x2, x2, #4\n"
	"cmp	x2, #0x420\n"
	"b.lo	1b\n"
	"mov	w1, #(1 << " SOAK_XSTR(SGI_INTID) ")\n"
	"orr	w1, w1, #(1 << " SOAK_XSTR(VTIMER_INTID) ")\n"
	"str	w1, [x22, #0x100]\n"			/* GICR_ISENABLER0 */
	"mov	x0, #0xff\n"
	"msr	icc_pmr_el1, x0\n"
	"mrs	x0, icc_ctlr_el1\n"
	"bic	x0, x0, #2\n"				/* EOImode 0 */
	"msr	icc_ctlr_el1, x0\n"
	"mov	x0, #1\n"
	"msr	icc_igrpen1_el1, x0\n"
	"isb\n"
	/* Addresses. */
	"movz	x5, #0x2000, lsl #16\n"			/* MKVM_MMIO_IPA */
	"movz	x6, #0xc000, lsl #16\n"			/* SCRATCH_IPA */
	"add	x6, x6, x9, lsl #13\n"
	"add	x7, x6, #0x1000\n"
	"movz	x8, #0x8010, lsl #16\n"			/* MAILBOX_IPA */
	"add	x12, x8, x9, lsl #6\n"
	"eor	x13, x9, #1\n"
	"add	x13, x8, x13, lsl #6\n"
	"movz	x14, #0x8011, lsl #16\n"		/* PRIVATE_IPA */
	"add	x14, x14, x9, lsl #12\n"
	"mov	x3, #0\n"
	"mov	x4, #0\n"
	"mov	x17, #0\n"
	"mov	x18, #0\n"
	"mov	x24, #0\n"
	"mov	x25, #0\n"
	"mov	x28, #0\n"
	"mov	x29, #0\n"
	"msr	daifclr, #2\n"
	/* One iteration. */
	"10:	orr	x0, x17, #0x8000000000000000\n"	/* this round's mark */
	"str	x0, [x6]\n"
	"str	x0, [x7]\n"
	"eor	x1, x0, x11\n"
	"str	x1, [x14]\n"
	"str	x17, [x5, #0x10]\n"			/* the VMM may drop x6 */
	G_MMIO_LOAD G_MMIO_LOAD G_MMIO_LOAD G_MMIO_LOAD
	"str	x19, [x5, #8]\n"
	G_CHECK_SCRATCH("x6", "x28")
	G_CHECK_SCRATCH("x7", "x29")
	"ldr	x1, [x14]\n"
	"eor	x1, x1, x11\n"
	"cmp	x1, x0\n"
	"cinc	x4, x4, ne\n"
	/* An SGI to the sibling once it has taken the previous one. */
	"ldr	x1, [x13]\n"
	"cmp	x1, x18\n"
	"b.ne	11f\n"
	"eor	x1, x9, #1\n"
	"mov	x2, #1\n"
	"lsl	x2, x2, x1\n"				/* TargetList */
	"movz	x1, #(" SOAK_XSTR(SGI_INTID) " << 8), lsl #16\n"	/* INTID */
	"orr	x2, x2, x1\n"
	"msr	icc_sgi1r_el1, x2\n"
	"isb\n"
	"add	x18, x18, #1\n"
	"11:\n"
	G_SLEEP
	"add	x17, x17, #1\n"
	"cmp	x17, x10\n"
	"b.lo	10b\n"
	/* Done: publish the SGIs sent, wait for all the sibling sent. */
	"str	x18, [x12, #8]\n"
	"dsb	sy\n"
	"mov	x1, #1\n"
	"str	x1, [x12, #16]\n"
	"dsb	sy\n"
	"12:	ldr	x1, [x13, #16]\n"
	"cbz	x1, 13f\n"
	"ldr	x2, [x13, #8]\n"
	"cmp	x25, x2\n"
	"b.hs	14f\n"
	"13:\n"
	G_SLEEP
	"b	12b\n"
	"14:\n"
	G_REPORT("x19") G_REPORT("x17") G_REPORT("x18") G_REPORT("x25")
	G_REPORT("x3") G_REPORT("x24") G_REPORT("x28") G_REPORT("x29")
	G_REPORT("x4")
	G_DONE);
_Static_assert(MKVM_MMIO_IPA == 0x2000ull << 16 &&
	       SCRATCH_IPA == 0xc000ull << 16 &&
	       MAILBOX_IPA == 0x8010ull << 16 &&
	       PRIVATE_IPA == 0x8011ull << 16 &&
	       GICD_IPA == 0x0800ull << 16 && GICR_IPA == 0x080aull << 16,
	       "guest_soak is stale");

enum soak_report {
	R_CHECKSUM, R_ITERATIONS, R_SENT, R_RECEIVED, R_ARMED, R_TIMER,
	R_EXACT_ZEROS, R_RACY_ZEROS, R_ERRORS, NR_REPORTS,
};

struct soak_vm;

struct soak_vcpu {
	struct soak_vm *svm;
	struct mkvm_vcpu *vcpu;
	pthread_t thread;
	pthread_barrier_t *start;
	uint64_t rng, sum;		/* the VMM's answers, its checksum */
	unsigned long mmio_exits, marks, bad_marks, bad_sums, drops;
	unsigned int nr_reports;
	uint64_t reports[NR_REPORTS];
};

struct soak_vm {
	struct mkvm_vm *vm;
	int vgic_fd;
	uint8_t *scratch;
	struct soak_vcpu v[SOAK_VCPUS];
};

static int vgic_attr_set(int fd, uint32_t group, uint64_t attr, void *ptr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)ptr,
	};

	return mkvm_ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

/* A vGICv3 at GICD_IPA/GICR_IPA for a VM whose vCPUs all exist. */
static int vm_vgic_setup(struct mkvm_vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GICD_IPA, redist = GICR_IPA;
	int ret;

	ret = mkvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &cd);
	MKVM_CHECK(!ret, "KVM_CREATE_DEVICE(VGIC_V3): %s", strerror(-ret));
	ret = vgic_attr_set(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			    KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	MKVM_CHECK(!ret, "ADDR DIST: %s", strerror(-ret));
	ret = vgic_attr_set(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			    KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	MKVM_CHECK(!ret, "ADDR REDIST: %s", strerror(-ret));
	ret = vgic_attr_set(cd.fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			    KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	MKVM_CHECK(!ret, "CTRL_INIT: %s", strerror(-ret));
	return cd.fd;
}

/* xorshift64*, one stream per vCPU. */
static uint64_t soak_rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint64_t ror64(uint64_t v, unsigned int n)
{
	return (v >> n) | (v << (64 - n));
}

static uint64_t host_cntfrq(void)
{
	uint64_t f;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The VMM side of one soak vCPU: answer its MMIO until it is done. */
static void *soak_vcpu_fn(void *arg)
{
	struct soak_vcpu *v = arg;
	struct kvm_run *run = v->vcpu->run;
	unsigned int idx = v - v->svm->v;

	pthread_barrier_wait(v->start);
	for (;;) {
		uint64_t addr, data;

		vcpu_run(v->vcpu);
		MKVM_CHECK(run->exit_reason == KVM_EXIT_MMIO,
			   "vcpu %u: exit %u (%s), pc %#llx", v->vcpu->id,
			   run->exit_reason, mkvm_exit_name(run->exit_reason),
			   (unsigned long long)vcpu_get_reg(v->vcpu, MKVM_PC));
		addr = run->mmio.phys_addr;
		data = mkvm_mmio_data(run);
		if (addr - MKVM_UCALL_IPA <= UCALL_EXCEPTION) {
			if (addr == MKVM_UCALL_IPA + UCALL_DONE)
				break;
			MKVM_CHECK(addr == MKVM_UCALL_IPA + UCALL_REPORT,
				   "vcpu %u: guest exception ESR_EL1 %#llx ELR_EL1 %#llx",
				   v->vcpu->id, (unsigned long long)data,
				   (unsigned long long)vcpu_get_reg(v->vcpu,
								    MKVM_ELR_EL1));
			MKVM_CHECK(v->nr_reports < NR_REPORTS,
				   "vcpu %u: too many reports", v->vcpu->id);
			v->reports[v->nr_reports++] = data;
			continue;
		}
		v->mmio_exits++;
		MKVM_CHECK(run->mmio.len == 8, "vcpu %u: MMIO of %u bytes",
			   v->vcpu->id, run->mmio.len);
		switch (addr - MKVM_MMIO_IPA) {
		case 0x00:
			MKVM_CHECK(!run->mmio.is_write, "vcpu %u: write at +0",
				   v->vcpu->id);
			data = soak_rng(&v->rng);
			v->sum = data ^ ror64(v->sum, 13);
			memcpy(run->mmio.data, &data, 8);
			break;
		case 0x08:
			v->bad_sums += data != v->sum;
			break;
		case 0x10:
			v->bad_marks += data != v->marks;
			if (v->marks++ % DROP_EVERY == DROP_PHASE) {
				MKVM_CHECK(!madvise(v->svm->scratch + idx * 0x2000,
						    0x1000, MADV_DONTNEED),
					   "madvise: %s", strerror(errno));
				v->drops++;
			}
			break;
		default:
			MKVM_FAIL("vcpu %u: MMIO at %#llx", v->vcpu->id,
				  (unsigned long long)addr);
		}
	}
	return NULL;
}

struct soak_bg {
	struct soak_vm *vms;
	volatile bool stop;
	unsigned long created, ran, dropped;
};

MKVM_GUEST(guest_churn,
	"mov	x0, #0x42\n"
	G_REPORT("x0")
	G_DONE);

/*
 * VMs come and go beside the soak: every other one runs a vCPU to its end,
 * every third has a vGIC and two vCPUs it never runs.
 */
static void *churn_fn(void *arg)
{
	struct soak_bg *bg = arg;
	unsigned long n;

	for (n = 0; !bg->stop; n++) {
		struct mkvm_vm *vm = vm_create(guest_churn, guest_churn_end);
		struct mkvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
		struct mkvm_vcpu *second = NULL;
		int fd = -1;

		if (n % 3 == 2) {
			second = vm_vcpu_add(vm, 1);
			fd = vm_vgic_setup(vm);
		} else if (n % 2) {
			MKVM_CHECK(vcpu_report(vcpu) == 0x42, "churn VM %lu", n);
			vcpu_done(vcpu);
			bg->ran++;
		}
		if (second)
			vcpu_free(second);
		if (fd >= 0)
			close(fd);
		vcpu_free(vcpu);
		vm_free(vm);
		bg->created++;
	}
	return NULL;
}

/* The racy scratch page of every soak vCPU, dropped again and again. */
static void *reclaim_fn(void *arg)
{
	struct soak_bg *bg = arg;
	unsigned int i, j;

	while (!bg->stop) {
		for (i = 0; i < SOAK_VMS; i++)
			for (j = 0; j < SOAK_VCPUS; j++) {
				MKVM_CHECK(!madvise(bg->vms[i].scratch +
						    j * 0x2000 + 0x1000,
						    0x1000, MADV_DONTNEED),
					   "madvise: %s", strerror(errno));
				bg->dropped++;
			}
		usleep(200);
	}
	return NULL;
}

MKVM_VM_FIXTURE(soak);

TEST_F_TIMEOUT(soak, vms_vcpus_churn_reclaim, SOAK_TIMEOUT_S)
{
	unsigned long iterations = mkvm_scaled_work(SOAK_ITERATIONS);
	/* 100 us: a timer that is both frequent and slept for. */
	uint64_t delay = host_cntfrq() / 10000;
	struct soak_vm vms[SOAK_VMS];
	struct soak_bg bg = { .vms = vms };
	pthread_barrier_t start;
	pthread_t churn, reclaim;
	unsigned long exits = 0;
	unsigned int i, j;
	double t0, wall;

	ASSERT_LT(0, delay);
	ASSERT_EQ(0, pthread_barrier_init(&start, NULL,
					  SOAK_VMS * SOAK_VCPUS + 1));
	for (i = 0; i < SOAK_VMS; i++) {
		struct soak_vm *s = &vms[i];

		s->vm = vm_create(guest_soak, guest_soak_end);
		s->scratch = vm_add_memory(s->vm, 1, 0, SCRATCH_IPA,
					   SCRATCH_SIZE);
		for (j = 0; j < SOAK_VCPUS; j++) {
			struct soak_vcpu *v = &s->v[j];

			memset(v, 0, sizeof(*v));
			v->svm = s;
			v->start = &start;
			v->vcpu = vm_vcpu_add_features(s->vm, j, 0, GUEST_ENTRY);
			vcpu_set_reg(v->vcpu, MKVM_VBAR_EL1, MKVM_CODE_IPA);
			v->rng = 0x50a4000000000001ull + (i * SOAK_VCPUS + j);
			v->sum = 0x5eed0000ull * (i * SOAK_VCPUS + j + 1);
			vcpu_set_reg(v->vcpu, MKVM_XREG(10), iterations);
			vcpu_set_reg(v->vcpu, MKVM_XREG(11),
				     0x6b65790000000000ull | (i << 8) | j);
			vcpu_set_reg(v->vcpu, MKVM_XREG(16), delay);
			vcpu_set_reg(v->vcpu, MKVM_XREG(19), v->sum);
		}
		s->vgic_fd = vm_vgic_setup(s->vm);
		for (j = 0; j < SOAK_VCPUS; j++)
			ASSERT_EQ(0, pthread_create(&s->v[j].thread, NULL,
						    soak_vcpu_fn, &s->v[j]));
	}
	ASSERT_EQ(0, pthread_create(&churn, NULL, churn_fn, &bg));
	ASSERT_EQ(0, pthread_create(&reclaim, NULL, reclaim_fn, &bg));
	t0 = now_s();
	pthread_barrier_wait(&start);
	for (i = 0; i < SOAK_VMS; i++)
		for (j = 0; j < SOAK_VCPUS; j++)
			ASSERT_EQ(0, pthread_join(vms[i].v[j].thread, NULL));
	wall = now_s() - t0;
	bg.stop = true;
	ASSERT_EQ(0, pthread_join(churn, NULL));
	ASSERT_EQ(0, pthread_join(reclaim, NULL));

	for (i = 0; i < SOAK_VMS; i++) {
		for (j = 0; j < SOAK_VCPUS; j++) {
			struct soak_vcpu *v = &vms[i].v[j];
			struct soak_vcpu *sib = &vms[i].v[j ^ 1];
			uint64_t *r = v->reports;

			exits += v->mmio_exits;
			ASSERT_EQ(NR_REPORTS, v->nr_reports)
				TH_LOG("VM %u vCPU %u", i, j);
			EXPECT_EQ(iterations * MMIO_PER_ITERATION, v->mmio_exits)
				TH_LOG("VM %u vCPU %u: MMIO exits", i, j);
			EXPECT_EQ(iterations, v->marks)
				TH_LOG("VM %u vCPU %u: iterations the VMM saw", i, j);
			EXPECT_EQ(0, v->bad_marks)
				TH_LOG("VM %u vCPU %u: iterations out of order", i, j);
			EXPECT_EQ(0, v->bad_sums)
				TH_LOG("VM %u vCPU %u: checksums on the way", i, j);
			EXPECT_EQ(v->sum, r[R_CHECKSUM])
				TH_LOG("VM %u vCPU %u: final checksum", i, j);
			EXPECT_EQ(iterations, r[R_ITERATIONS])
				TH_LOG("VM %u vCPU %u", i, j);
			/* Each SGI waits for the last to be taken: none merge. */
			EXPECT_LE(1, r[R_SENT]) TH_LOG("VM %u vCPU %u", i, j);
			EXPECT_GE(iterations, r[R_SENT]) TH_LOG("VM %u vCPU %u", i, j);
			EXPECT_EQ(sib->reports[R_SENT], r[R_RECEIVED])
				TH_LOG("VM %u vCPU %u: SGIs taken", i, j);
			EXPECT_LE(iterations, r[R_ARMED]) TH_LOG("VM %u vCPU %u", i, j);
			EXPECT_EQ(r[R_ARMED], r[R_TIMER])
				TH_LOG("VM %u vCPU %u: timer interrupts", i, j);
			/* The VMM's drops, each seen as zeros; no stale page. */
			EXPECT_EQ(v->drops, r[R_EXACT_ZEROS])
				TH_LOG("VM %u vCPU %u: dropped pages read", i, j);
			EXPECT_GE(iterations, r[R_RACY_ZEROS])
				TH_LOG("VM %u vCPU %u", i, j);
			EXPECT_EQ(0, r[R_ERRORS])
				TH_LOG("VM %u vCPU %u: memory not as written", i, j);
		}
	}
	EXPECT_LT(0, bg.created);
	EXPECT_LT(0, bg.dropped);
	ksft_print_msg("soak on %s: %u VMs x %u vCPUs, %lu iterations each, %lu MMIO exits to the VMM; %lu VMs created beside (%lu run), %lu pages dropped; %.1f s\n",
		       mkvm_boot(), SOAK_VMS, SOAK_VCPUS, iterations, exits,
		       bg.created, bg.ran, bg.dropped, wall);

	for (i = 0; i < SOAK_VMS; i++) {
		for (j = 0; j < SOAK_VCPUS; j++)
			vcpu_free(vms[i].v[j].vcpu);
		close(vms[i].vgic_fd);
		vm_free(vms[i].vm);
	}
	pthread_barrier_destroy(&start);
}

TEST_HARNESS_MAIN
