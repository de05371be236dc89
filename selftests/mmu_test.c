// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory follows the VMM's memory: when a page behind a memslot is
 * dropped or replaced (madvise(MADV_DONTNEED), munmap + mmap), the guest
 * must see the new page, and its writes must land in it.  Plus the
 * VMM's huge pages are mapped as 2 MiB blocks, which still follow it page
 * by page and still log dirty pages one by one, and replace the pages
 * mapped before when they can (after logging, after a collapse).  Plus the
 * exits that cannot be emulated: an MMIO access without a syndrome, and
 * an IMPLEMENTATION DEFINED register the guest is not given.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"
#include "mkvm_stats.h"

#define MEM_IPA		0xc0000000ull
#define MEM_SIZE	0x10000ull

MKVM_VM_FIXTURE(mmu);

/* Read [x6] and report it, three times; then write x1 to [x6 + 8]. */
MKVM_GUEST(guest_reread,
	"movz	x6, #0xc000, lsl #16\n"
	"ldr	x2, [x6]\n"
	G_REPORT("x2")
	"ldr	x2, [x6]\n"
	G_REPORT("x2")
	"ldr	x2, [x6]\n"
	G_REPORT("x2")
	"str	x1, [x6, #8]\n"
	"dsb	sy\n"
	G_DONE);

/* madvise(MADV_DONTNEED) drops the page: the guest must not keep it. */
TEST_F(mmu, madvise_dontneed)
{
	struct mkvm_vcpu *vcpu;
	uint64_t *mem;

	self->vm = vm_create(guest_reread, guest_reread_end);
	mem = vm_add_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0x600dull);

	mem[0] = 0x1111;
	EXPECT_EQ(0x1111, vcpu_report(vcpu));
	ASSERT_EQ(0, madvise(mem, MEM_SIZE, MADV_DONTNEED));
	EXPECT_EQ(0, mem[0]);		/* a fresh zero page for the host */
	EXPECT_EQ(0, vcpu_report(vcpu));	/* ... and for the guest */
	mem[0] = 0x2222;
	EXPECT_EQ(0x2222, vcpu_report(vcpu));
	vcpu_done(vcpu);
	EXPECT_EQ(0x600dull, mem[1]);	/* the guest's write is not lost */
}

/* munmap + mmap at the same address: new pages, same memslot. */
TEST_F(mmu, remap_same_address)
{
	struct mkvm_vcpu *vcpu;
	uint64_t *mem, *again;

	self->vm = vm_create(guest_reread, guest_reread_end);
	mem = vm_add_memory(self->vm, 1, 0, MEM_IPA, MEM_SIZE);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0xbeefull);

	mem[0] = 0x3333;
	EXPECT_EQ(0x3333, vcpu_report(vcpu));
	ASSERT_EQ(0, munmap(mem, MEM_SIZE));
	again = mmap(mem, MEM_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_EQ(mem, again);
	again[0] = 0x4444;
	EXPECT_EQ(0x4444, vcpu_report(vcpu));
	again[0] = 0x5555;
	EXPECT_EQ(0x5555, vcpu_report(vcpu));
	vcpu_done(vcpu);
	EXPECT_EQ(0xbeefull, again[1]);
}

/*
 * Huge pages.  THP_SIZE of transparent huge pages at THP_IPA (2 MiB
 * aligned on both sides).  The guest sums the first word of every page
 * (x2), twice; then stores x1 + offset into every page; then stores x1
 * into the three pages at THP_DIRTY_* (for the dirty log).
 */
#define THP_IPA		0xc0000000ull
#define THP_SIZE	0x400000ull
#define THP_PAGES	(THP_SIZE / 4096)
#define THP_DIRTY_A	0x5000
#define THP_DIRTY_B	0x201000
#define THP_DIRTY_C	0x3ff000

#define G_THP_SUM							\
	"mov	x7, #0\n"						\
	"mov	x2, #0\n"						\
	"1:	ldr	x3, [x6, x7]\n"					\
	"add	x2, x2, x3\n"						\
	"add	x7, x7, #0x1000\n"					\
	"cmp	x7, x8\n"						\
	"b.lo	1b\n"							\
	G_REPORT("x2")

MKVM_GUEST(guest_thp,
	"movz	x6, #0xc000, lsl #16\n"
	"movz	x8, #0x40, lsl #16\n"
	G_THP_SUM
	G_THP_SUM
	"mov	x7, #0\n"
	"2:	add	x3, x1, x7\n"
	"str	x3, [x6, x7]\n"
	"add	x7, x7, #0x1000\n"
	"cmp	x7, x8\n"
	"b.lo	2b\n"
	"dsb	sy\n"
	G_REPORT("x7")
	"movz	x7, #0x5000\n"
	"str	x1, [x6, x7]\n"
	"movz	x7, #0x20, lsl #16\n"
	"movk	x7, #0x1000\n"
	"str	x1, [x6, x7]\n"
	"movz	x7, #0x3f, lsl #16\n"
	"movk	x7, #0xf000\n"
	"str	x1, [x6, x7]\n"
	"dsb	sy\n"
	G_DONE);

/* THP_SIZE bytes of anonymous memory on a 2 MiB boundary, in huge pages. */
static uint64_t *thp_alloc(struct __test_metadata *_metadata)
{
	char *p = mkvm_alloc(THP_SIZE + 0x200000);
	char *mem = (char *)(((uintptr_t)p + 0x1fffff) & ~0x1fffffull);
	char line[256];
	FILE *f;
	long kb = 0;
	int i;

	ASSERT_EQ(0, madvise(mem, THP_SIZE, MADV_HUGEPAGE));
	for (i = 0; i < THP_PAGES; i++)
		((uint64_t *)(mem + i * 4096))[0] = i + 1;
	/* The kernel found 2 MiB pages for it: else nothing is tested. */
	f = fopen("/proc/self/smaps_rollup", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		sscanf(line, "AnonHugePages: %ld kB", &kb);
	fclose(f);
	EXPECT_LE(THP_SIZE / 1024, kb);
	return (uint64_t *)mem;
}

/*
 * The VMM's huge pages are mapped as blocks: the guest touching 1024
 * pages takes a handful of exits (a page-by-page stage 2 takes 1024, one
 * per page; KVM maps blocks as well).  A block still follows the VMM's
 * memory page by page: a page dropped in the middle of one is gone for
 * the guest too, and every page's write lands.  And dirty logging tracks
 * pages, not blocks: three pages written, three reported.
 */
TEST_F(mmu, huge_pages_map_as_blocks)
{
	uint64_t sum = THP_PAGES * (THP_PAGES + 1) / 2, exits;
	uint64_t bitmap[THP_PAGES / 64] = { 0 };
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bitmap };
	struct mkvm_vcpu *vcpu;
	struct stats st;
	uint64_t *mem;
	int i, ndirty = 0;

	self->vm = vm_create(guest_thp, guest_thp_end);
	mem = thp_alloc(_metadata);
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, THP_IPA, THP_SIZE,
				    (uintptr_t)mem));
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0xa000000000ull);
	stats_open(&st, ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL));

	exits = stat_of(&st, "exits");
	EXPECT_EQ(sum, vcpu_report(vcpu));
	exits = stat_of(&st, "exits") - exits;
	EXPECT_GT(64, exits) TH_LOG("%llu exits to read %llu pages",
				    (unsigned long long)exits,
				    (unsigned long long)THP_PAGES);

	/* Page 3 goes from the VMM: the guest's sum loses its 4. */
	ASSERT_EQ(0, madvise((char *)mem + 0x3000, 4096, MADV_DONTNEED));
	EXPECT_EQ(sum - 4, vcpu_report(vcpu));

	EXPECT_EQ(THP_SIZE, vcpu_report(vcpu));
	for (i = 0; i < THP_PAGES; i++)
		if (mem[i * 512] != 0xa000000000ull + i * 4096ull)
			break;
	EXPECT_EQ(THP_PAGES, i) TH_LOG("page %d holds %#llx", i,
				       (unsigned long long)mem[i * 512]);

	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				    THP_IPA, THP_SIZE, (uintptr_t)mem));
	vcpu_done(vcpu);
	ASSERT_EQ(0, mkvm_ioctl(self->vm->fd, KVM_GET_DIRTY_LOG, &log));
	for (i = 0; i < THP_PAGES; i++)
		if (bitmap[i / 64] & (1ull << (i % 64)))
			ndirty++;
	EXPECT_EQ(3, ndirty);
	EXPECT_TRUE(bitmap[THP_DIRTY_A / 4096 / 64] &
		    (1ull << (THP_DIRTY_A / 4096 % 64)));
	EXPECT_TRUE(bitmap[THP_DIRTY_B / 4096 / 64] &
		    (1ull << (THP_DIRTY_B / 4096 % 64)));
	EXPECT_TRUE(bitmap[THP_DIRTY_C / 4096 / 64] &
		    (1ull << (THP_DIRTY_C / 4096 % 64)));
	EXPECT_EQ(0xa000000000ull, mem[THP_DIRTY_B / 8]);
	stats_close(&st);
}

/*
 * The guest's first access to each 2 MiB is not at the start of a page
 * (as most are: a Linux guest reads and writes anywhere in a page).  The
 * block must not depend on it: the fault's offset inside its page says
 * nothing about the VMM's huge page.  Sums the second word of every page.
 */
MKVM_GUEST(guest_thp_mid_page,
	"movz	x6, #0xc000, lsl #16\n"
	"add	x6, x6, #8\n"
	"movz	x8, #0x40, lsl #16\n"
	G_THP_SUM
	G_DONE);

TEST_F(mmu, huge_pages_map_as_blocks_from_mid_page)
{
	uint64_t exits, *mem;
	struct mkvm_vcpu *vcpu;
	struct stats st;
	int i;

	self->vm = vm_create(guest_thp_mid_page, guest_thp_mid_page_end);
	mem = thp_alloc(_metadata);
	for (i = 0; i < THP_PAGES; i++)
		mem[i * 512 + 1] = 2;
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, THP_IPA, THP_SIZE,
				    (uintptr_t)mem));
	vcpu = vm_vcpu_add(self->vm, 0);
	stats_open(&st, ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL));

	exits = stat_of(&st, "exits");
	EXPECT_EQ(2 * THP_PAGES, vcpu_report(vcpu));
	exits = stat_of(&st, "exits") - exits;
	EXPECT_GT(64, exits) TH_LOG("%llu exits to read %llu pages",
				    (unsigned long long)exits,
				    (unsigned long long)THP_PAGES);
	vcpu_done(vcpu);
	stats_close(&st);
}

/*
 * A table of pages under a 2 MiB that may now be a block is replaced by
 * the block at the next fault there, as KVM does: the guest reads page 0
 * and writes page 1 of each 2 MiB while its slot logs dirty pages (pages
 * mapped, a table under each 2 MiB), and with logging off it sums the
 * first word of every page.  Without the replacement that is a fault for
 * each of the 1,022 pages not mapped yet (only what logging mapped stays
 * pages; the rest could have been blocks all along).
 */
MKVM_GUEST(guest_thp_logged,
	"movz	x6, #0xc000, lsl #16\n"
	"movz	x8, #0x40, lsl #16\n"
	"ldr	x2, [x6]\n"
	"str	xzr, [x6, #0x1000]\n"
	"movz	x7, #0x20, lsl #16\n"
	"add	x9, x6, x7\n"
	"ldr	x2, [x9]\n"
	"str	xzr, [x9, #0x1000]\n"
	"dsb	sy\n"
	G_REPORT("x2")
	G_THP_SUM
	G_DONE);

/* The exits of the guest's next report; its value must be @want. */
static uint64_t report_exits(struct __test_metadata *_metadata,
			     struct mkvm_vcpu *vcpu, struct stats *st,
			     uint64_t want)
{
	uint64_t exits = stat_of(st, "exits");

	EXPECT_EQ(want, vcpu_report(vcpu));
	return stat_of(st, "exits") - exits;
}

/* minikvm's count of tables replaced by blocks, or -1 on another KVM. */
static int64_t tables_replaced(struct mkvm_vm *vm)
{
	struct stats s;
	uint64_t n;
	int64_t ret = -1;

	stats_open(&s, vm_stats_fd(vm));
	if (stats_get(&s, "mkvm_s2_tables_replaced", &n))
		ret = n;
	stats_close(&s);
	return ret;
}

/*
 * The guest's read of the whole huge page, reporting @sum, takes under 64
 * exits for its 512 pages (blocks), and minikvm replaced two tables
 * (@before: tables_replaced() before it, -1 on another KVM); then the
 * vCPU finishes.
 */
static void expect_blocks_read(struct __test_metadata *_metadata,
			       struct mkvm_vm *vm, struct mkvm_vcpu *vcpu,
			       struct stats *st, uint64_t sum, int64_t before)
{
	uint64_t exits = report_exits(_metadata, vcpu, st, sum);

	EXPECT_GT(64, exits) TH_LOG("%llu exits to read %llu pages",
				    (unsigned long long)exits,
				    (unsigned long long)THP_PAGES);
	if (before >= 0)
		EXPECT_EQ(before + 2, tables_replaced(vm));
	vcpu_done(vcpu);
	stats_close(st);
}

TEST_F(mmu, logged_pages_become_block)
{
	uint64_t sum = THP_PAGES * (THP_PAGES + 1) / 2 - 2 - 514;
	struct mkvm_vcpu *vcpu;
	struct stats st;
	uint64_t *mem;
	int64_t before;

	self->vm = vm_create(guest_thp_logged, guest_thp_logged_end);
	mem = thp_alloc(_metadata);
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES,
				    THP_IPA, THP_SIZE, (uintptr_t)mem));
	vcpu = vm_vcpu_add(self->vm, 0);
	stats_open(&st, ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL));
	EXPECT_EQ(513, vcpu_report(vcpu));
	EXPECT_EQ(0, mem[512]);
	EXPECT_EQ(0, mem[513 * 512]);

	before = tables_replaced(self->vm);
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, THP_IPA, THP_SIZE,
				    (uintptr_t)mem));
	expect_blocks_read(_metadata, self->vm, vcpu, &st, sum, before);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/*
 * The VMM's memory becomes huge pages after the guest touched it
 * (khugepaged, here MADV_COLLAPSE): the collapse unmaps the old pages
 * through the MMU notifier, and the table left under each 2 MiB is
 * replaced by a block at the next fault.  The guest sums every page
 * twice, before and after; the second sum reads the huge pages' copy of
 * the same data.
 */
MKVM_GUEST(guest_thp_twice,
	"movz	x6, #0xc000, lsl #16\n"
	"movz	x8, #0x40, lsl #16\n"
	G_THP_SUM
	G_THP_SUM
	G_DONE);

TEST_F(mmu, collapsed_huge_pages_become_blocks)
{
	uint64_t sum = THP_PAGES * (THP_PAGES + 1) / 2, exits;
	struct mkvm_vcpu *vcpu;
	struct stats st;
	char *p, *mem;
	int64_t before;
	int i;

	self->vm = vm_create(guest_thp_twice, guest_thp_twice_end);
	p = mkvm_alloc(THP_SIZE + 0x200000);
	mem = (char *)(((uintptr_t)p + 0x1fffff) & ~0x1fffffull);
	ASSERT_EQ(0, madvise(mem, THP_SIZE, MADV_NOHUGEPAGE));
	for (i = 0; i < THP_PAGES; i++)
		((uint64_t *)(mem + i * 4096))[0] = i + 1;
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, THP_IPA, THP_SIZE,
				    (uintptr_t)mem));
	vcpu = vm_vcpu_add(self->vm, 0);
	stats_open(&st, ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL));
	exits = report_exits(_metadata, vcpu, &st, sum);
	EXPECT_LE(THP_PAGES, exits);		/* small pages: one each */

	ASSERT_EQ(0, madvise(mem, THP_SIZE, MADV_HUGEPAGE));
	if (madvise(mem, THP_SIZE, MADV_COLLAPSE)) {
		stats_close(&st);
		SKIP(return, "MADV_COLLAPSE: %s", strerror(errno));
	}
	before = tables_replaced(self->vm);
	expect_blocks_read(_metadata, self->vm, vcpu, &st, sum, before);
}

/*
 * Guest RAM is mapped execute-never until the guest fetches from it, as
 * in KVM: only pages mapped executable need their instruction cache lines
 * invalidated, and most pages are data.  A guest writing code (a JIT, a
 * module loader) still runs it: its first store maps the page writable,
 * its first fetch takes a permission fault that makes it executable, and
 * code stored there later runs too.  The guest writes "movz x2, #N; ret"
 * to a fresh page at THP_IPA, cleans and invalidates as the architecture
 * asks, and calls it, twice with different N.
 */
#define G_STORE_MOVZ_X2_RET(hi, lo)					\
	"movz	w3, #" lo "\n"						\
	"movk	w3, #" hi ", lsl #16\n"					\
	"str	w3, [x6]\n"						\
	"movz	w3, #0x03c0\n"						\
	"movk	w3, #0xd65f, lsl #16\n"					\
	"str	w3, [x6, #4]\n"						\
	"dc	cvau, x6\n"						\
	"dsb	ish\n"							\
	"ic	ivau, x6\n"						\
	"dsb	ish\n"							\
	"isb\n"								\
	"blr	x6\n"							\
	G_REPORT("x2")

MKVM_GUEST(guest_jit,
	G_REPORT("xzr")
	"movz	x6, #0xc000, lsl #16\n"
	G_STORE_MOVZ_X2_RET("0xd282", "0x4682")		/* movz x2, #0x1234 */
	G_STORE_MOVZ_X2_RET("0xd28a", "0xcf02")		/* movz x2, #0x5678 */
	G_DONE);

TEST_F(mmu, data_pages_execute_never_until_fetched)
{
	struct mkvm_vcpu *vcpu;
	struct stats st;
	uint64_t exits;

	self->vm = vm_create(guest_jit, guest_jit_end);
	vm_add_memory(self->vm, 1, 0, THP_IPA, 0x10000);
	vcpu = vm_vcpu_add(self->vm, 0);
	stats_open(&st, ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL));
	EXPECT_EQ(0, vcpu_report(vcpu));

	exits = stat_of(&st, "exits");
	EXPECT_EQ(0x1234, vcpu_report(vcpu));
	exits = stat_of(&st, "exits") - exits;
	/* The store's fault, the fetch's permission fault, the report. */
	EXPECT_LE(3, exits);
	EXPECT_GE(10, exits);
	EXPECT_EQ(0x5678, vcpu_report(vcpu));
	vcpu_done(vcpu);
	stats_close(&st);
}

/*
 * A block only where the slot has the whole 2 MiB, at the same offset in
 * the VMM's huge page as in the guest's 2 MiB.  Slot 1: 2 MiB at THP_IPA
 * from the VMM's page 1 on (offsets differ: the guest's first page is
 * the VMM's second, holding 2).  Slot 2: 1 MiB at THP_IPA + 4 MiB from
 * the second huge page (offsets agree, the slot is short).  Past each
 * slot's end is no memory: an MMIO exit, not the rest of the huge page.
 */
MKVM_GUEST(guest_thp_edges,
	"movz	x6, #0xc000, lsl #16\n"
	"ldr	x2, [x6]\n"
	G_REPORT("x2")
	"movz	x7, #0x20, lsl #16\n"
	"ldr	x2, [x6, x7]\n"
	"movz	x7, #0x40, lsl #16\n"
	"ldr	x2, [x6, x7]\n"
	G_REPORT("x2")
	"movz	x7, #0x50, lsl #16\n"
	"ldr	x2, [x6, x7]\n"
	G_DONE);

TEST_F(mmu, huge_page_blocks_stay_inside_slots)
{
	static const uint64_t past[] = { THP_IPA + 0x200000,
					 THP_IPA + 0x500000 };
	struct mkvm_vcpu *vcpu;
	struct kvm_run *run;
	uint64_t *mem;
	int i;

	self->vm = vm_create(guest_thp_edges, guest_thp_edges_end);
	mem = thp_alloc(_metadata);
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, THP_IPA, 0x200000,
				    (uintptr_t)mem + 4096));
	ASSERT_EQ(0, _vm_set_memory(self->vm, 2, 0, THP_IPA + 0x400000,
				    0x100000, (uintptr_t)mem + 0x200000));
	vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(i ? 513 : 2, vcpu_report(vcpu));
		run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
		EXPECT_EQ(past[i], run->mmio.phys_addr);
		EXPECT_FALSE(run->mmio.is_write);
	}
	vcpu_done(vcpu);
}

/*
 * The MMU notifier's TLB invalidation reaches a vCPU that never exits:
 * the guest reads a page over and over (its translation cached) while a
 * VMM thread on another CPU drops the page and then raises a flag the
 * guest polls; once the guest sees the flag, the page must read as the
 * new zero page, not as the old page through a stale TLB entry.  Under
 * QEMU the stale entry is the combined stage 1+2 one that TLBI
 * VMALLE1IS drops (and any exit drops, with its VTTBR_EL2 write: a
 * round the host's tick interrupts tests nothing, hence the rounds).
 * Pages of a huge page (a block, then pages once the VMM's huge page
 * is split) and small pages; on both boots.
 *
 * x0 = the page, x1 = the flag, x4 = where the guest says it polls,
 * x5 = the round (the guest counts it).
 */
MKVM_GUEST(guest_poll_dropped,
	"1:	add	x5, x5, #1\n"
	"str	x5, [x4]\n"
	"dsb	sy\n"
	"2:	ldr	x2, [x0]\n"
	"ldr	x3, [x1]\n"
	"cmp	x3, x5\n"
	"b.ne	2b\n"
	"ldr	x2, [x0]\n"
	G_REPORT("x2")
	"b	1b\n");

#define POLL_IPA	(THP_IPA + THP_SIZE)	/* slot 2: small pages */
#define POLL_SIZE	0x20000ull
#define POLL_FLAG	0x1f000
#define POLL_STARTED	0x1e000
#define POLL_ROUNDS	24

struct poll_dropper {
	volatile uint64_t *started, *flag;
	char *page;
	uint64_t round;
	int cpu;
};

static void *poll_dropper_fn(void *arg)
{
	struct poll_dropper *d = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(d->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (*d->started != d->round)
		;
	usleep(2000);		/* the guest polls with its entry cached */
	MKVM_CHECK(!madvise(d->page, 4096, MADV_DONTNEED), "madvise: %s",
		   strerror(errno));
	__atomic_store_n(d->flag, d->round, __ATOMIC_RELEASE);
	return NULL;
}

TEST_F(mmu, dontneed_reaches_running_guest)
{
	struct poll_dropper d = {};
	struct mkvm_vcpu *vcpu;
	char *thp, *small;
	cpu_set_t set;
	pthread_t t;
	int r;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: the dropper would run only in exits");
	self->vm = vm_create(guest_poll_dropped, guest_poll_dropped_end);
	thp = (char *)thp_alloc(_metadata);
	ASSERT_EQ(0, _vm_set_memory(self->vm, 1, 0, THP_IPA, THP_SIZE,
				    (uintptr_t)thp));
	small = vm_add_memory(self->vm, 2, 0, POLL_IPA, POLL_SIZE);
	ASSERT_EQ(0, madvise(small, POLL_SIZE, MADV_NOHUGEPAGE));
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), POLL_IPA + POLL_FLAG);
	vcpu_set_reg(vcpu, MKVM_XREG(4), POLL_IPA + POLL_STARTED);
	d.started = (uint64_t *)(small + POLL_STARTED);
	d.flag = (uint64_t *)(small + POLL_FLAG);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	d.cpu = 1;

	for (r = 1; r <= POLL_ROUNDS; r++) {
		/* Both 2 MiB of the huge page, then the small pages. */
		uint64_t off = r <= POLL_ROUNDS / 2 ? (r % 2) * 0x200000 +
			       r * 0x11000 : 0;
		uint64_t ipa = off ? THP_IPA + off :
			       POLL_IPA + (r - POLL_ROUNDS / 2) * 0x1000;

		d.page = off ? thp + off : small + (ipa - POLL_IPA);
		*(uint64_t *)d.page = 0x5a5a0000 + r;
		d.round = r;
		vcpu_set_reg(vcpu, MKVM_XREG(0), ipa);
		ASSERT_EQ(0, pthread_create(&t, NULL, poll_dropper_fn, &d));
		EXPECT_EQ(0, vcpu_report(vcpu))
			TH_LOG("round %d: the guest read the dropped page at %#llx",
			       r, (unsigned long long)ipa);
		pthread_join(t, NULL);
	}
	CPU_ZERO(&set);
	for (r = 0; r < CPU_SETSIZE; r++)
		CPU_SET(r, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* A load pair reports no instruction syndrome (ISV = 0). */
MKVM_GUEST(guest_ldp_mmio,
	"movz	x6, #0x2000, lsl #16\n"
	"ldp	x2, x3, [x6]\n"
	G_DONE);

TEST_F(mmu, mmio_without_syndrome)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_ldp_mmio, guest_ldp_mmio_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	/* KVM without KVM_CAP_ARM_NISV_TO_USER: the run fails. */
	EXPECT_EQ(-ENOSYS, _vcpu_run(vcpu));
}

/*
 * Registers the guest is not given: each access takes an UNDEF
 * (ESR_EL1.EC 0) in the guest, and the host is unharmed.
 */
MKVM_GUEST(guest_impdef_read,
	"mrs	x0, s3_0_c15_c0_0\n"
	G_DONE);
MKVM_GUEST(guest_impdef_write,
	"msr	s3_0_c15_c0_0, xzr\n"
	G_DONE);

static const struct {
	const char *name;
	const char *start, *end;
} undef_guests[] = {
	{ "read IMPDEF",  guest_impdef_read,  guest_impdef_read_end },
	{ "write IMPDEF", guest_impdef_write, guest_impdef_write_end },
};

TEST_F(mmu, unknown_sysreg_is_undef)
{
	unsigned int i;

	for (i = 0; i < sizeof(undef_guests) / sizeof(undef_guests[0]); i++) {
		struct kvm_run *run;
		struct mkvm_vcpu *vcpu;
		struct mkvm_vm *vm;

		vm = vm_create(undef_guests[i].start, undef_guests[i].end);
		vcpu = vm_vcpu_add(vm, 0);
		run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
		EXPECT_EQ(MKVM_UCALL_IPA + UCALL_EXCEPTION, run->mmio.phys_addr)
			TH_LOG("%s", undef_guests[i].name);
		EXPECT_EQ(0, mkvm_mmio_data(run) >> 26)
			TH_LOG("%s: ESR_EL1 %#llx", undef_guests[i].name,
			       (unsigned long long)mkvm_mmio_data(run));
		/* The exception was taken at the faulting instruction. */
		EXPECT_EQ(MKVM_CODE_IPA, vcpu_get_reg(vcpu, MKVM_ELR_EL1))
			TH_LOG("%s", undef_guests[i].name);
		vm_free(vm);
	}
}

/*
 * The debug registers a Linux guest resets at boot: accesses must not
 * fault (both hypervisors trap the first one and switch the guest's own
 * registers in from then on, the host's out of the guest's reach).
 */
MKVM_GUEST(guest_debug_regs,
	"mov	x1, #0x1234\n"
	"msr	dbgbvr0_el1, x1\n"
	"msr	dbgbcr0_el1, xzr\n"
	"msr	dbgwvr0_el1, x1\n"
	"msr	dbgwcr0_el1, xzr\n"
	"msr	oslar_el1, xzr\n"
	"mrs	x2, dbgbcr0_el1\n"
	"mrs	x3, mdscr_el1\n"
	"orr	x3, x3, #1\n"			/* MDSCR_EL1.SS: kept */
	"msr	mdscr_el1, x3\n"
	"mrs	x4, mdscr_el1\n"
	"and	x4, x4, #1\n"
	G_REPORT("x4")
	G_REPORT("x1")
	G_DONE);

TEST_F(mmu, debug_registers_do_not_fault)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_debug_regs, guest_debug_regs_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(1, vcpu_report(vcpu));	/* MDSCR_EL1 is the guest's */
	EXPECT_EQ(0x1234, vcpu_report(vcpu));	/* a write left x1 alone */
	vcpu_done(vcpu);
}

TEST_HARNESS_MAIN
