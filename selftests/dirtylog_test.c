// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging (KVM_MEM_LOG_DIRTY_PAGES, KVM_GET_DIRTY_LOG,
 * KVM_CLEAR_DIRTY_LOG, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2): the log holds
 * exactly the pages the guest wrote - not the ones it only read - each
 * round exactly the new writes, a manual CLEAR re-arms exactly the range
 * it names, a read-only slot logs nothing, every error is KVM's, and two
 * vCPUs that write without pause while the VMM copies what the log
 * reports lose no page (the guest checksums the copy).  All KVM API: the
 * same on the oracle boot.  (Named so as not to clash with the kernel's
 * dirty_log_test in the TAP output.)
 */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <time.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

#define MEM_IPA		0xc0000000ull
#define NPAGES		128
#define PAGE		4096ull
#define MEM_SIZE	(NPAGES * PAGE)
#define WORDS		(NPAGES / 64)
/* In slot 0 (not logged): the host tells the writer guest to stop. */
#define STOP_IPA	(MKVM_RAM_IPA + 0x180000)

MKVM_VM_FIXTURE(dirtylog);

/*
 * Report x2 (a round ends), then touch page x3 + i of [x6] for every bit
 * i set in x1: store x2 there, or load if x8 is 1.  The host sets x1, x2,
 * x3 and x8 at each report.
 */
MKVM_GUEST(guest_touch,
	"1:\n"
	G_REPORT("x2")
	"mov	x4, x3\n"
	"2:\n"
	"cbz	x1, 1b\n"
	"tbz	x1, #0, 4f\n"
	"add	x5, x6, x4, lsl #12\n"
	"cbnz	x8, 3f\n"
	"str	x2, [x5]\n"
	"b	4f\n"
	"3:\n"
	"ldr	x9, [x5]\n"
	"4:\n"
	"lsr	x1, x1, #1\n"
	"add	x4, x4, #1\n"
	"b	2b\n");

struct toucher {
	struct mkvm_vm *vm;
	struct mkvm_vcpu *vcpu;
	uint64_t *mem;
};

static void toucher_init(struct toucher *t, struct mkvm_vm *vm,
			 uint32_t flags)
{
	t->vm = vm;
	t->mem = vm_add_memory(vm, 1, flags, MEM_IPA, MEM_SIZE);
	t->vcpu = vm_vcpu_add(vm, 0);
	vcpu_set_reg(t->vcpu, MKVM_XREG(6), MEM_IPA);
	vcpu_set_reg(t->vcpu, MKVM_XREG(1), 0);
	vcpu_report(t->vcpu);		/* at its first report */
}

/* The guest touches the pages set in @pages (NPAGES bits), value @val. */
static void touch(struct toucher *t, const uint64_t *pages, uint64_t val,
		  bool read)
{
	int w;

	for (w = 0; w < WORDS; w++) {
		if (!pages[w])
			continue;
		vcpu_set_reg(t->vcpu, MKVM_XREG(1), pages[w]);
		vcpu_set_reg(t->vcpu, MKVM_XREG(2), val);
		vcpu_set_reg(t->vcpu, MKVM_XREG(3), w * 64);
		vcpu_set_reg(t->vcpu, MKVM_XREG(8), read);
		MKVM_CHECK(vcpu_report(t->vcpu) == val, "round %#llx",
			   (unsigned long long)val);
	}
}

static int _get_log(struct mkvm_vm *vm, uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };

	return mkvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log);
}

static void get_log(struct mkvm_vm *vm, uint64_t *bitmap)
{
	int ret = _get_log(vm, 1, bitmap);

	MKVM_CHECK(!ret, "KVM_GET_DIRTY_LOG: %s", strerror(-ret));
}

static int _clear_log(struct mkvm_vm *vm, uint32_t slot, uint64_t first,
		      uint32_t num, void *bitmap)
{
	struct kvm_clear_dirty_log log = {
		.slot = slot,
		.first_page = first,
		.num_pages = num,
		.dirty_bitmap = bitmap,
	};

	return mkvm_ioctl(vm->fd, KVM_CLEAR_DIRTY_LOG, &log);
}

static int _enable_manual(struct mkvm_vm *vm, uint64_t arg, uint32_t flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.flags = flags,
		.args = { arg },
	};

	return mkvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
}

#define EXPECT_LOG(vm, w0, w1) do {				\
	uint64_t _got[WORDS] = { ~0ull, ~0ull };			\
	get_log(vm, _got);						\
	EXPECT_EQ((uint64_t)(w0), _got[0]);				\
	EXPECT_EQ((uint64_t)(w1), _got[1]);				\
} while (0)

/* Written pages, and only those, in each round; reads are not writes. */
TEST_F(dirtylog, get_reports_exactly_the_writes)
{
	uint64_t a[WORDS] = { 0x8000000000000029ull, 0x4000000000000011ull };
	uint64_t b[WORDS] = { 0x0000000000000021ull, 0x0000000100000000ull };
	uint64_t r[WORDS] = { 0x0000000000000f00ull, 0x00000000000f0000ull };
	struct toucher t;
	int i;

	self->vm = vm_create(guest_touch, guest_touch_end);
	toucher_init(&t, self->vm, KVM_MEM_LOG_DIRTY_PAGES);

	EXPECT_LOG(self->vm, 0, 0);
	touch(&t, r, 0, true);
	touch(&t, a, 0x1111, false);
	EXPECT_LOG(self->vm, a[0], a[1]);
	for (i = 0; i < NPAGES; i++)
		EXPECT_EQ(a[i / 64] >> (i % 64) & 1 ? 0x1111 : 0,
			  t.mem[i * PAGE / 8]);
	/* Second round: only the new writes, old pages included again. */
	touch(&t, b, 0x2222, false);
	touch(&t, r, 0, true);
	EXPECT_LOG(self->vm, b[0], b[1]);
	EXPECT_LOG(self->vm, 0, 0);
	/* Pages read first, then written: their write is logged. */
	touch(&t, r, 0x3333, false);
	EXPECT_LOG(self->vm, r[0], r[1]);
	vcpu_free(t.vcpu);
}

/* Logging starts on a slot the guest already wrote: protected at once. */
TEST_F(dirtylog, enable_on_mapped_slot)
{
	uint64_t all[WORDS] = { ~0ull, ~0ull };
	uint64_t a[WORDS] = { 0x10000000000000f0ull, 0x3ull };
	struct toucher t;
	int ret;

	self->vm = vm_create(guest_touch, guest_touch_end);
	toucher_init(&t, self->vm, 0);
	EXPECT_EQ(-ENOENT, _get_log(self->vm, 1, all));
	touch(&t, all, 0x44, false);		/* all mapped writable */
	ret = _vm_set_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES, MEM_IPA,
			     MEM_SIZE, (uintptr_t)t.mem);
	ASSERT_EQ(0, ret);
	EXPECT_LOG(self->vm, 0, 0);
	touch(&t, a, 0x55, false);
	EXPECT_LOG(self->vm, a[0], a[1]);
	/* Off: no log; on again: a fresh, empty log, protected again. */
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE,
				    (uintptr_t)t.mem));
	EXPECT_EQ(-ENOENT, _get_log(self->vm, 1, all));
	touch(&t, all, 0x66, false);
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				    MEM_IPA, MEM_SIZE, (uintptr_t)t.mem));
	EXPECT_LOG(self->vm, 0, 0);
	touch(&t, a, 0x77, false);
	EXPECT_LOG(self->vm, a[0], a[1]);
	vcpu_free(t.vcpu);
}

/*
 * Manual protection: GET leaves the bits (and the pages writable); CLEAR
 * clears exactly the bits given in its range and re-arms those pages.
 */
TEST_F(dirtylog, manual_clear_rearms_range)
{
	uint64_t all[WORDS] = { ~0ull, ~0ull };
	uint64_t p70[WORDS] = { 0, 1ull << 6 };
	uint64_t p1_80[WORDS] = { 1ull << 1, 1ull << 16 };
	uint64_t p70_80[WORDS] = { 0, (1ull << 6) | (1ull << 16) };
	uint64_t mask;
	struct toucher t;

	self->vm = vm_create(guest_touch, guest_touch_end);
	ASSERT_EQ(0, _enable_manual(self->vm,
				    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, 0));
	toucher_init(&t, self->vm, KVM_MEM_LOG_DIRTY_PAGES);

	touch(&t, all, 1, false);
	EXPECT_LOG(self->vm, ~0ull, ~0ull);
	EXPECT_LOG(self->vm, ~0ull, ~0ull);	/* GET kept them */

	/* Clear pages 64..127 but 80: 80 stays; 70 re-armed. */
	mask = ~(1ull << 16);
	ASSERT_EQ(0, _clear_log(self->vm, 1, 64, 64, &mask));
	EXPECT_LOG(self->vm, ~0ull, 1ull << 16);
	touch(&t, p70, 2, false);
	EXPECT_LOG(self->vm, ~0ull, (1ull << 6) | (1ull << 16));

	/* Clear everything: only writes after this show. */
	ASSERT_EQ(0, _clear_log(self->vm, 1, 0, NPAGES, all));
	EXPECT_LOG(self->vm, 0, 0);
	touch(&t, p1_80, 3, false);
	EXPECT_LOG(self->vm, p1_80[0], p1_80[1]);

	/* Clearing bits that are not set re-arms nothing and reports no error. */
	ASSERT_EQ(0, _clear_log(self->vm, 1, 0, 64, all));
	EXPECT_LOG(self->vm, 0, p1_80[1]);
	touch(&t, p70_80, 4, false);
	EXPECT_LOG(self->vm, 0, p70_80[1]);
	vcpu_free(t.vcpu);
}

/* KVM_DIRTY_LOG_INITIALLY_SET: every page of a new slot, none past it. */
TEST_F(dirtylog, initially_set)
{
	uint64_t got[2] = { 0, 0 };
	void *mem = mkvm_alloc(100 * PAGE);

	self->vm = vm_create_bare();
	ASSERT_EQ(0, _enable_manual(self->vm,
				    KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
				    KVM_DIRTY_LOG_INITIALLY_SET, 0));
	ASSERT_EQ(0, _vm_set_memory(self->vm, 2, KVM_MEM_LOG_DIRTY_PAGES,
				    MEM_IPA, 100 * PAGE, (uintptr_t)mem));
	ASSERT_EQ(0, _get_log(self->vm, 2, got));
	EXPECT_EQ(~0ull, got[0]);
	EXPECT_EQ((1ull << 36) - 1, got[1]);
	/* The last, partial word may be cleared to the slot's end. */
	ASSERT_EQ(0, _clear_log(self->vm, 2, 64, 36, &got[1]));
	ASSERT_EQ(0, _get_log(self->vm, 2, got));
	EXPECT_EQ(~0ull, got[0]);
	EXPECT_EQ(0, got[1]);
	munmap(mem, 100 * PAGE);
}

/* A read-only slot may log; writes go to the VMM as MMIO, none logged. */
TEST_F(dirtylog, readonly_slot)
{
	uint64_t all[WORDS] = { ~0ull, ~0ull };
	uint64_t one[WORDS] = { 1ull << 5, 0 };
	struct kvm_run *run;
	struct toucher t;

	self->vm = vm_create(guest_touch, guest_touch_end);
	toucher_init(&t, self->vm,
		     KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY);
	t.mem[0] = 0x99;
	touch(&t, all, 0, true);
	EXPECT_LOG(self->vm, 0, 0);

	vcpu_set_reg(t.vcpu, MKVM_XREG(1), one[0]);
	vcpu_set_reg(t.vcpu, MKVM_XREG(2), 0xabc);
	vcpu_set_reg(t.vcpu, MKVM_XREG(3), 0);
	vcpu_set_reg(t.vcpu, MKVM_XREG(8), 0);
	run = vcpu_run_expect(t.vcpu, KVM_EXIT_MMIO);
	EXPECT_TRUE(run->mmio.is_write);
	EXPECT_EQ(MEM_IPA + 5 * PAGE, run->mmio.phys_addr);
	EXPECT_EQ(0xabc, mkvm_mmio_data(run));
	EXPECT_EQ(0, t.mem[5 * PAGE / 8]);
	EXPECT_LOG(self->vm, 0, 0);
	/* READONLY cannot be toggled on a slot, logging or not. */
	EXPECT_EQ(-EINVAL, _vm_set_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
					  MEM_IPA, MEM_SIZE,
					  (uintptr_t)t.mem));
	vcpu_free(t.vcpu);
}

/* KVM's answers, errno for errno. */
TEST_F(dirtylog, errors)
{
	uint64_t bm[4] = { 0 };
	void *mem = mkvm_alloc(MEM_SIZE), *mem2 = mkvm_alloc(100 * PAGE);
	struct kvm_userspace_memory_region2 r2 = {
		.slot = 3,
		.flags = KVM_MEM_LOG_DIRTY_PAGES | (1u << 3),
		.guest_phys_addr = MEM_IPA,
		.memory_size = MEM_SIZE,
		.userspace_addr = (uintptr_t)mem,
	};
	int kvm_fd = mkvm_open();

	self->vm = vm_create_bare();
	EXPECT_EQ(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		  KVM_DIRTY_LOG_INITIALLY_SET,
		  ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	EXPECT_EQ(KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		  KVM_DIRTY_LOG_INITIALLY_SET,
		  ioctl(kvm_fd, KVM_CHECK_EXTENSION,
			KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	close(kvm_fd);

	/* Unknown flags beside LOG_DIRTY_PAGES, in both structs. */
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm->fd,
				      KVM_SET_USER_MEMORY_REGION2, &r2));
	EXPECT_EQ(-EINVAL, _vm_set_memory(self->vm, 3,
					  KVM_MEM_LOG_DIRTY_PAGES | (1u << 2),
					  MEM_IPA, MEM_SIZE, (uintptr_t)mem));
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				    MEM_IPA, MEM_SIZE, (uintptr_t)mem));
	ASSERT_EQ(0, _vm_set_memory(self->vm, 2, 0, MEM_IPA + MEM_SIZE,
				    100 * PAGE, (uintptr_t)mem2));

	/* GET: slot ids (address space in bits 16+), slots that do not log. */
	EXPECT_EQ(0, _get_log(self->vm, 1, bm));
	EXPECT_EQ(-ENOENT, _get_log(self->vm, 2, bm));	/* no logging */
	EXPECT_EQ(-ENOENT, _get_log(self->vm, 5, bm));	/* no slot */
	EXPECT_EQ(-ENOENT, _get_log(self->vm, 600, bm));
	EXPECT_EQ(-ENOENT, _get_log(self->vm, 0x7ffe, bm));
	EXPECT_EQ(-EINVAL, _get_log(self->vm, 0x7fff, bm));
	EXPECT_EQ(-EINVAL, _get_log(self->vm, 0xffff, bm));
	EXPECT_EQ(-EINVAL, _get_log(self->vm, (1u << 16) | 1, bm));
	EXPECT_EQ(-EFAULT, _get_log(self->vm, 1, (void *)8));

	/* CLEAR: the same ids, then 64-page alignment and the slot's range. */
	EXPECT_EQ(0, _clear_log(self->vm, 1, 0, NPAGES, bm));
	EXPECT_EQ(-ENOENT, _clear_log(self->vm, 2, 0, 64, bm));
	EXPECT_EQ(-ENOENT, _clear_log(self->vm, 5, 0, 64, bm));
	EXPECT_EQ(-EINVAL, _clear_log(self->vm, 0x7fff, 0, 64, bm));
	EXPECT_EQ(-EINVAL, _clear_log(self->vm, (1u << 16) | 1, 0, 64, bm));
	EXPECT_EQ(-EINVAL, _clear_log(self->vm, 1, 1, 63, bm));
	EXPECT_EQ(-EINVAL, _clear_log(self->vm, 5, 32, 64, bm));
	EXPECT_EQ(-EINVAL, _clear_log(self->vm, 1, 0, 10, bm));
	EXPECT_EQ(-EINVAL, _clear_log(self->vm, 1, 64, 65, bm));
	EXPECT_EQ(-EINVAL, _clear_log(self->vm, 1, 0, NPAGES + 1, bm));
	EXPECT_EQ(-EINVAL, _clear_log(self->vm, 1, NPAGES + 64, 0, bm));
	EXPECT_EQ(0, _clear_log(self->vm, 1, NPAGES, 0, bm));
	EXPECT_EQ(0, _clear_log(self->vm, 1, 64, 64, bm));
	EXPECT_EQ(0, _clear_log(self->vm, 1, 0, 0, NULL));
	EXPECT_EQ(-EFAULT, _clear_log(self->vm, 1, 0, 64, (void *)8));

	/* KVM_ENABLE_CAP: INITIALLY_SET only with ENABLE, no flags. */
	EXPECT_EQ(-EINVAL, _enable_manual(self->vm,
					  KVM_DIRTY_LOG_INITIALLY_SET, 0));
	EXPECT_EQ(-EINVAL, _enable_manual(self->vm, 1ull << 2, 0));
	EXPECT_EQ(-EINVAL, _enable_manual(self->vm, 7, 0));
	EXPECT_EQ(-EINVAL, _enable_manual(self->vm,
					  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
					  1));
	EXPECT_EQ(0, _enable_manual(self->vm, 3, 0));
	EXPECT_EQ(0, _enable_manual(self->vm, 0, 0));
	EXPECT_EQ(0, _enable_manual(self->vm, 1, 0));

	/* A logging slot moves with its log; then goes, and its log too. */
	EXPECT_EQ(0, _vm_set_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				    MEM_IPA - MEM_SIZE, MEM_SIZE,
				    (uintptr_t)mem));
	EXPECT_EQ(0, _get_log(self->vm, 1, bm));
	EXPECT_EQ(0, _vm_set_memory(self->vm, 1, 0, 0, 0, (uintptr_t)mem));
	EXPECT_EQ(-ENOENT, _get_log(self->vm, 1, bm));
	EXPECT_EQ(-ENOENT, _clear_log(self->vm, 1, 0, 64, bm));
	munmap(mem, MEM_SIZE);
	munmap(mem2, 100 * PAGE);
}

/*
 * Write every page of [x6] (x7 pages), value gen + page, pass after pass,
 * until the word at [x9] is non-zero; then report a checksum of the
 * pages, and again after each run (the host swaps the memory between).
 */
MKVM_GUEST(guest_writer,
	"mov	x10, #0\n"
	"1:\n"
	"add	x10, x10, #1\n"
	"mov	x4, #0\n"
	"2:\n"
	"add	x5, x6, x4, lsl #12\n"
	"add	x11, x10, x4\n"
	"str	x11, [x5]\n"
	"add	x4, x4, #1\n"
	"cmp	x4, x7\n"
	"b.lo	2b\n"
	"ldr	x12, [x9]\n"
	"cbz	x12, 1b\n"
	"3:\n"
	"mov	x4, #0\n"
	"mov	x13, #0\n"
	"4:\n"
	"add	x5, x6, x4, lsl #12\n"
	"ldr	x11, [x5]\n"
	"eor	x13, x11, x13, ror #7\n"
	"add	x4, x4, #1\n"
	"cmp	x4, x7\n"
	"b.lo	4b\n"
	G_REPORT("x13")
	"b	3b\n");

struct writer {
	struct mkvm_vcpu *vcpu;
	uint64_t sum;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;

	w->sum = vcpu_report(w->vcpu);
	return NULL;
}

/* Copy to @dst every page the log reports; how many. */
static int copy_dirty(struct mkvm_vm *vm, const uint8_t *src, uint8_t *dst)
{
	uint64_t bm[WORDS];
	int i, n = 0;

	get_log(vm, bm);
	for (i = 0; i < NPAGES; i++) {
		if (!(bm[i / 64] >> (i % 64) & 1))
			continue;
		memcpy(dst + i * PAGE, src + i * PAGE, PAGE);
		n++;
	}
	return n;
}

/*
 * A live migration in miniature: two vCPUs write without pause, each its
 * half of the slot, while the VMM copies what the log reports, round
 * after round; then the VMM stops the guest, copies the last round, and
 * gives the guest the copy: each vCPU's checksum of its half of the copy
 * is the checksum of what it wrote.
 */
TEST_F(dirtylog, continuous_writers_lose_nothing)
{
	uint8_t *dst = mkvm_alloc(MEM_SIZE);
	struct writer w[2];
	pthread_t thread[2];
	uint64_t *stop;
	uint8_t *src;
	int i, rounds = 0, copied = 0;
	time_t end = time(NULL) + 3;

	self->vm = vm_create(guest_writer, guest_writer_end);
	src = vm_add_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES, MEM_IPA,
			    MEM_SIZE);
	stop = vm_gpa_to_hva(self->vm, STOP_IPA);
	for (i = 0; i < 2; i++) {
		w[i].vcpu = vm_vcpu_add(self->vm, i);
		vcpu_set_reg(w[i].vcpu, MKVM_XREG(6),
			     MEM_IPA + i * MEM_SIZE / 2);
		vcpu_set_reg(w[i].vcpu, MKVM_XREG(7), NPAGES / 2);
		vcpu_set_reg(w[i].vcpu, MKVM_XREG(9), STOP_IPA);
		ASSERT_EQ(0, pthread_create(&thread[i], NULL, writer_fn, &w[i]));
	}

	while (time(NULL) < end || rounds < 10) {
		copied += copy_dirty(self->vm, src, dst);
		rounds++;
	}
	__atomic_store_n(stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(thread[i], NULL));
	copied += copy_dirty(self->vm, src, dst);
	ksft_print_msg("%d rounds, %d pages copied\n", rounds, copied);
	EXPECT_LT(NPAGES, copied);		/* the guest wrote meanwhile */
	EXPECT_EQ(0, memcmp(src, dst, MEM_SIZE));

	/* The guest checks the copy itself. */
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, 0, 0, (uintptr_t)src));
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE,
				    (uintptr_t)dst));
	for (i = 0; i < 2; i++) {
		EXPECT_NE(0, w[i].sum);
		EXPECT_EQ(w[i].sum, vcpu_report(w[i].vcpu));
		vcpu_free(w[i].vcpu);
	}
	munmap(dst, MEM_SIZE);
}

/*
 * KVM_SET_SIGNAL_MASK, which the kernel's dirty_log_test kicks its vCPU
 * through: a signal the thread blocks reaches it inside KVM_RUN only.
 */
MKVM_GUEST(guest_spin, "b	.\n");

struct kicked {
	struct mkvm_vcpu *vcpu;
	int run_ret;
	bool still_blocked;
};

static void *kicked_fn(void *arg)
{
	struct kicked *k = arg;
	struct {
		struct kvm_signal_mask m;
		uint64_t set;
	} mask = { .m.len = 8, .set = 0 };
	sigset_t cur;

	k->run_ret = mkvm_ioctl(k->vcpu->fd, KVM_SET_SIGNAL_MASK, &mask);
	if (!k->run_ret)
		k->run_ret = _vcpu_run(k->vcpu);
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	k->still_blocked = sigismember(&cur, SIGUSR1);
	return NULL;
}

TEST_F(dirtylog, signal_mask)
{
	struct {
		struct kvm_signal_mask m;
		uint64_t set;
	} mask = { .m.len = 4 };
	struct kicked k = { .run_ret = 1 };
	sigset_t block, old;
	pthread_t thread;

	self->vm = vm_create(guest_spin, guest_spin_end);
	k.vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(-EINVAL, mkvm_ioctl(k.vcpu->fd, KVM_SET_SIGNAL_MASK, &mask));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(k.vcpu->fd, KVM_SET_SIGNAL_MASK,
				      (void *)8));
	EXPECT_EQ(0, mkvm_ioctl(k.vcpu->fd, KVM_SET_SIGNAL_MASK, NULL));

	mkvm_install_kick_handler(SIGUSR1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	/* The thread inherits the block; the vCPU's mask lifts it. */
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &block, &old));
	ASSERT_EQ(0, pthread_create(&thread, NULL, kicked_fn, &k));
	usleep(200000);
	ASSERT_EQ(0, pthread_kill(thread, SIGUSR1));
	ASSERT_EQ(0, pthread_join(thread, NULL));
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	EXPECT_EQ(-EINTR, k.run_ret);
	EXPECT_EQ(KVM_EXIT_INTR, k.vcpu->run->exit_reason);
	EXPECT_TRUE(k.still_blocked);
	vcpu_free(k.vcpu);
}

TEST_HARNESS_MAIN
