// SPDX-License-Identifier: GPL-2.0
/*
 * The guest-escape suite, VM and vCPU part (issue 7): hostile guests and
 * hostile VMMs against the VM/vCPU API.  Every case says what "contained"
 * means - an exact errno, exit reason or guest-visible fault - and runs
 * against the kernel's KVM on the oracle boot too, which is the reference
 * for each of them.  What run_test, vm_test and fuzz_test already cover
 * (IPAs outside every slot, writes to read-only slots with the MMU off,
 * the common PSTATE modes, unknown SMCCC ids) is not repeated here.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"

MKVM_VM_FIXTURE(escape);

#define GICD_IPA		0x08000000ull
#define GICR_IPA		0x080a0000ull

#define ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define ESR_FSC(esr)		((esr) & 0x3f)
#define EC_UNKNOWN		0x00
#define EC_IABT_CUR		0x21
#define EC_DABT_CUR		0x25
#define FSC_EXTABT		0x10

#define MKVM_FAR_EL1		ARM64_SYS_REG(3, 0, 6, 0, 0)

/*
 * Vectors that report the exception (ESR_EL1 as UCALL_EXCEPTION) and then
 * step over the faulting instruction, so one guest can try many things.
 */
#define G_SKIP_VECTOR_ENTRY						\
	".balign 0x80\n"						\
	"mrs	x26, esr_el1\n"						\
	G_UCALL_ADDR							\
	"str	x26, [x27, #0x10]\n"					\
	"mrs	x26, elr_el1\n"						\
	"add	x26, x26, #4\n"						\
	"msr	elr_el1, x26\n"						\
	"eret\n"
MKVM_GUEST(skip_vectors, ".rept 16\n" G_SKIP_VECTOR_ENTRY ".endr\n");

static struct mkvm_vm *vm_create_skipping(const char *start, const char *end)
{
	struct mkvm_vm *vm = vm_create(start, end);

	vm_load_code(vm, MKVM_RAM_IPA, skip_vectors, skip_vectors_end);
	return vm;
}

/* Run to the next ucall of any kind; its kind, and its value in *@val. */
static int next_ucall(struct mkvm_vcpu *vcpu, uint64_t *val)
{
	struct kvm_run *run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	uint64_t off = run->mmio.phys_addr - MKVM_UCALL_IPA;

	MKVM_CHECK(run->mmio.is_write && off <= UCALL_EXCEPTION && !(off & 7),
		   "not a ucall: %s at %#llx",
		   run->mmio.is_write ? "write" : "read",
		   (unsigned long long)run->mmio.phys_addr);
	*val = mkvm_mmio_data(run);
	return off;
}

/* Run to the next ucall, which must be a guest exception: its ESR_EL1. */
static uint64_t expect_exception(struct mkvm_vcpu *vcpu)
{
	uint64_t esr;
	int kind = next_ucall(vcpu, &esr);

	MKVM_CHECK(kind == UCALL_EXCEPTION, "ucall %d, expected an exception",
		   kind);
	return esr;
}

/*
 * A guest that tries one instruction after another; each is followed by a
 * report of its index.  An instruction that faults shows up as an
 * exception ucall before its report.
 */
struct try_case {
	const char *name;
	bool undef;		/* must UNDEF; else must not fault at all */
};

static void run_try_cases(struct __test_metadata *_metadata,
			  struct mkvm_vcpu *vcpu, const struct try_case *cases,
			  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t val;
		int kind = next_ucall(vcpu, &val);

		if (kind == UCALL_EXCEPTION) {
			EXPECT_TRUE(cases[i].undef)
				TH_LOG("%s: unexpected exception, ESR_EL1 %#llx",
				       cases[i].name, (unsigned long long)val);
			EXPECT_EQ(EC_UNKNOWN, ESR_EC(val))
				TH_LOG("%s: ESR_EL1 %#llx", cases[i].name,
				       (unsigned long long)val);
			kind = next_ucall(vcpu, &val);
		} else {
			EXPECT_FALSE(cases[i].undef)
				TH_LOG("%s: did not UNDEF", cases[i].name);
		}
		ASSERT_EQ(UCALL_REPORT, kind) TH_LOG("%s", cases[i].name);
		ASSERT_EQ(i, val) TH_LOG("%s", cases[i].name);
	}
	vcpu_done(vcpu);
}

#define G_TRY(n, insn)	insn "\n" "mov x0, #" #n "\n" G_REPORT("x0")

/*
 * TLB, instruction cache and set/way maintenance by the guest.  EL1's own
 * operations act on the guest's VMID only (and HCR_EL2.FB makes the local
 * ones broadcast); set/way operations trap (HCR_EL2.TSW) and complete
 * without a fault; EL2 operations UNDEF.  Contained: exactly that, and the
 * host and the guest go on.  x1: a set/way or VA operand, x2: guest RAM.
 */
MKVM_GUEST(guest_maintenance,
	G_TRY(0, "tlbi vmalle1")
	G_TRY(1, "tlbi vmalle1is")
	G_TRY(2, "tlbi vae1is, x1")
	G_TRY(3, "tlbi aside1, x1")
	G_TRY(4, "ic iallu")
	G_TRY(5, "ic ialluis")
	G_TRY(6, "ic ivau, x2")
	G_TRY(7, "dc isw, x1")
	G_TRY(8, "dc csw, x1")
	G_TRY(9, "dc cisw, x1")
	G_TRY(10, "dc cisw, x3")
	G_TRY(11, "tlbi alle1")
	G_TRY(12, "tlbi alle1is")
	G_TRY(13, "tlbi vmalls12e1is")
	G_TRY(14, "tlbi alle2")
	G_TRY(15, "at s12e1r, x2")
	G_DONE);

TEST_F(escape, guest_cache_and_tlb_maintenance)
{
	static const struct try_case cases[] = {
		{ "tlbi vmalle1", false }, { "tlbi vmalle1is", false },
		{ "tlbi vae1is", false }, { "tlbi aside1", false },
		{ "ic iallu", false }, { "ic ialluis", false },
		{ "ic ivau", false }, { "dc isw", false }, { "dc csw", false },
		{ "dc cisw", false }, { "dc cisw (all ones)", false },
		{ "tlbi alle1", true }, { "tlbi alle1is", true },
		{ "tlbi vmalls12e1is", true }, { "tlbi alle2", true },
		{ "at s12e1r", true },
	};
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create_skipping(guest_maintenance,
				      guest_maintenance_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0);
	vcpu_set_reg(vcpu, MKVM_XREG(2), MKVM_CODE_IPA);
	vcpu_set_reg(vcpu, MKVM_XREG(3), 0xfffffffeull);
	run_try_cases(_metadata, vcpu, cases, ARRAY_SIZE(cases));
}

/* ---- the GIC CPU interface -------------------------------------------- */

static int vgic_attr(int fd, uint32_t group, uint64_t attr, void *ptr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)ptr,
	};

	return mkvm_ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

/* A vGICv3 device with its frames placed, not initialised: its fd. */
static int vgic_create(struct mkvm_vm *vm, uint32_t nr_irqs)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GICD_IPA, redist = GICR_IPA;
	int ret = mkvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &cd);

	MKVM_CHECK(!ret, "KVM_CREATE_DEVICE: %s", strerror(-ret));
	ret = vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	MKVM_CHECK(!ret, "NR_IRQS: %s", strerror(-ret));
	ret = vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	MKVM_CHECK(!ret, "DIST: %s", strerror(-ret));
	ret = vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	MKVM_CHECK(!ret, "REDIST: %s", strerror(-ret));
	return cd.fd;
}

static int vgic_ctrl_init(int fd)
{
	return vgic_attr(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			 KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

/*
 * With a vGIC: the guest writes ICC_SRE_EL1 = 0 (it may not turn the
 * system-register interface off; SRE reads back set), sends group 0 and
 * alias SGIs (ICC_SGI0R_EL1, ICC_ASGI1R_EL1: no fault, no host effect),
 * and tries the EL2 side of the GIC (ICH_*_EL2, ICC_SRE_EL2: UNDEF).
 */
MKVM_GUEST(guest_gic_sysregs,
	"msr	icc_sre_el1, xzr\n"
	"isb\n"
	"mrs	x0, icc_sre_el1\n"
	G_REPORT("x0")
	G_TRY(0, "msr icc_sgi0r_el1, x4")
	G_TRY(1, "msr icc_asgi1r_el1, x4")
	G_TRY(2, "mrs x0, ich_hcr_el2")
	G_TRY(3, "msr ich_vmcr_el2, xzr")
	G_TRY(4, "mrs x0, ich_vtr_el2")
	G_TRY(5, "msr icc_sre_el2, xzr")
	G_TRY(6, "mrs x0, ich_ap1r0_el2")
	G_DONE);

TEST_F(escape, gic_cpu_interface_beyond_the_virtual_one)
{
	static const struct try_case cases[] = {
		{ "ICC_SGI0R_EL1", false }, { "ICC_ASGI1R_EL1", false },
		{ "ICH_HCR_EL2 read", true }, { "ICH_VMCR_EL2 write", true },
		{ "ICH_VTR_EL2 read", true }, { "ICC_SRE_EL2 write", true },
		{ "ICH_AP1R0_EL2 read", true },
	};
	struct mkvm_vcpu *vcpu;
	uint64_t sre;
	int fd;

	self->vm = vm_create_skipping(guest_gic_sysregs,
				      guest_gic_sysregs_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	fd = vgic_create(self->vm, 64);
	ASSERT_EQ(0, vgic_ctrl_init(fd));
	/* SGI 1 to Aff0 0 (this vCPU): TargetList bit 0, INTID 1. */
	vcpu_set_reg(vcpu, MKVM_XREG(4), 1ull | 1ull << 24);
	sre = vcpu_report(vcpu);
	EXPECT_EQ(1, sre & 1) TH_LOG("ICC_SRE_EL1 %#llx", (unsigned long long)sre);
	run_try_cases(_metadata, vcpu, cases, ARRAY_SIZE(cases));
	close(fd);
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	MKVM_CHECK(!sched_setaffinity(0, sizeof(set), &set),
		   "sched_setaffinity: %s", strerror(errno));
}

MKVM_GUEST(guest_set_pmr,
	"msr	icc_pmr_el1, x5\n"
	"isb\n"
	"mrs	x0, icc_pmr_el1\n"
	G_REPORT("x0")
	G_DONE);

MKVM_GUEST(guest_read_gic_state,
	G_TRY(0, "mrs x0, icc_pmr_el1")
	G_TRY(1, "mrs x0, icc_ap1r0_el1")
	G_TRY(2, "mrs x0, icc_igrpen1_el1")
	G_DONE);

/*
 * A VM without a vGIC must not see another VM's GIC CPU interface state
 * (ICH_VMCR_EL2, ICH_AP*R): after a VM with a vGIC set its priority mask
 * on the same physical CPU, the ICC_* registers of a VM without one UNDEF
 * (as KVM traps them with ICH_HCR_EL2.TALL0/TALL1/TC).
 */
TEST_F(escape, no_vgic_sees_no_gic_state)
{
	static const struct try_case cases[] = {
		{ "ICC_PMR_EL1", true }, { "ICC_AP1R0_EL1", true },
		{ "ICC_IGRPEN1_EL1", true },
	};
	struct mkvm_vm *other;
	struct mkvm_vcpu *vcpu, *ovcpu;
	int fd;

	pin_to_cpu0();
	other = vm_create(guest_set_pmr, guest_set_pmr_end);
	ovcpu = vm_vcpu_add(other, 0);
	fd = vgic_create(other, 64);
	ASSERT_EQ(0, vgic_ctrl_init(fd));
	vcpu_set_reg(ovcpu, MKVM_XREG(5), 0xa0);
	EXPECT_EQ(0xa0, vcpu_report(ovcpu));

	self->vm = vm_create_skipping(guest_read_gic_state,
				      guest_read_gic_state_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	run_try_cases(_metadata, vcpu, cases, ARRAY_SIZE(cases));

	vcpu_done(ovcpu);
	vcpu_free(ovcpu);
	close(fd);
	vm_free(other);
	vcpu_free(vcpu);
}

/* ---- KVM_IRQ_LINE against KVM_DEV_ARM_VGIC_CTRL_INIT ------------------ */

struct irq_line_racer {
	struct mkvm_vm *vm;
	bool stop;
	int bad_errno;		/* anything but 0, -EBUSY, -EINVAL */
};

/* SPI 500 with 64 interrupts: -EBUSY before CTRL_INIT, -EINVAL after. */
static void *irq_line_racer_fn(void *arg)
{
	struct irq_line_racer *r = arg;
	struct kvm_irq_level l = {
		.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 500,
		.level = 1,
	};

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		int ret = mkvm_ioctl(r->vm->fd, KVM_IRQ_LINE, &l);

		if (ret != -EBUSY && ret != -EINVAL)
			r->bad_errno = ret ? ret : -1;
	}
	return NULL;
}

/*
 * KVM_IRQ_LINE for an SPI past NR_IRQS, racing with CTRL_INIT on another
 * thread.  Contained: -EBUSY until the vGIC is initialised, -EINVAL after,
 * never a NULL dereference in the host.
 */
TEST_F(escape, irq_line_racing_vgic_init)
{
	int round;

	for (round = 0; round < 100; round++) {
		struct irq_line_racer r = { 0 };
		struct mkvm_vcpu *vcpu;
		struct kvm_irq_level l = {
			.irq = KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT | 500,
			.level = 1,
		};
		pthread_t t;
		int fd;

		r.vm = vm_create(NULL, NULL);
		vcpu = vm_vcpu_add(r.vm, 0);
		fd = vgic_create(r.vm, 64);
		ASSERT_EQ(0, pthread_create(&t, NULL, irq_line_racer_fn, &r));
		usleep(round % 10 * 100);
		ASSERT_EQ(0, vgic_ctrl_init(fd));
		__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		EXPECT_EQ(0, r.bad_errno) TH_LOG("round %d", round);
		EXPECT_EQ(-EINVAL, mkvm_ioctl(r.vm->fd, KVM_IRQ_LINE, &l));
		vcpu_free(vcpu);
		close(fd);
		vm_free(r.vm);
	}
}

/* ---- the virtual timer's compare value ------------------------------ */

/*
 * CNTV_CVAL_EL0 = CNTVCT_EL0 + x5, timer on and unmasked, then WFI until
 * woken 100 times (x1 counts the wake-ups).
 */
MKVM_GUEST(guest_far_timer,
	"mov	x1, #0\n"
	"mrs	x0, cntvct_el0\n"
	"add	x0, x0, x5\n"
	"msr	cntv_cval_el0, x0\n"
	"mov	x0, #1\n"
	"msr	cntv_ctl_el0, x0\n"
	"isb\n"
	"1:	wfi\n"
	"add	x1, x1, #1\n"
	"cmp	x1, #100\n"
	"b.ne	1b\n"
	G_REPORT("x1")
	G_DONE);

/*
 * Compare values centuries away, whose distance in nanoseconds overflows
 * 64 bits: 2^60 counter ticks and a little more.  Truncated, the
 * nanoseconds come out as the little more, and WFI wakes after it as if
 * the timer had fired.  Contained: no wake-up at all - KVM_RUN -EINTR
 * (KVM_EXIT_INTR) at the VMM's signal after 300 ms, the guest in its
 * first WFI.  (Not CNTV_CVAL near U64_MAX itself: QEMU 7.2's own timer
 * model adds CNTVOFF_EL2 to the compare value, wraps, and spins re-arming
 * its timer while such a guest runs, on any hypervisor.)
 */
TEST_F(escape, vtimer_compare_value_overflow)
{
	static const uint64_t offsets[] = {
		(1ull << 60) + 62500, (1ull << 61) + 31250,
		(1ull << 63) + 15625,
	};
	struct itimerval it = { { 0, 0 }, { 0, 300000 } };
	unsigned int i;

	mkvm_install_kick_handler(SIGALRM);
	for (i = 0; i < ARRAY_SIZE(offsets); i++) {
		struct mkvm_vm *vm = vm_create(guest_far_timer,
					       guest_far_timer_end);
		struct mkvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
		int ret;

		vcpu_set_reg(vcpu, MKVM_XREG(5), offsets[i]);
		ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
		ret = _vcpu_run(vcpu);
		EXPECT_EQ(-EINTR, ret)
			TH_LOG("offset %#llx: KVM_RUN %d, exit %s",
			       (unsigned long long)offsets[i], ret,
			       mkvm_exit_name(vcpu->run->exit_reason));
		EXPECT_EQ(0, vcpu_get_reg(vcpu, MKVM_XREG(1)))
			TH_LOG("offset %#llx: woken", (unsigned long long)offsets[i]);
		vcpu_free(vcpu);
		vm_free(vm);
	}
}

/* ---- many VMs: VMIDs ---------------------------------------------------- */

#define MANY_VMS	300

MKVM_GUEST(guest_add,
	"1:	add	x0, x0, x1\n"
	G_REPORT("x0")
	"b	1b\n");

struct many {
	int sys_fd;
	struct mkvm_vm vm[MANY_VMS];
	struct mkvm_vcpu *vcpu[MANY_VMS];
};

/* VM @i on one shared system fd, RAM of 64 KiB, one vCPU adding @i. */
static void many_create(struct many *m, int i)
{
	struct mkvm_vm *vm = &m->vm[i];
	void *ram;
	int ret;

	vm->kvm_fd = -1;
	vm->fd = ioctl(m->sys_fd, KVM_CREATE_VM, 0);
	MKVM_CHECK(vm->fd >= 0, "KVM_CREATE_VM #%d: %s", i, strerror(errno));
	ram = mkvm_alloc(0x10000);
	ret = _vm_set_memory(vm, 0, 0, MKVM_RAM_IPA, 0x10000, (uintptr_t)ram);
	MKVM_CHECK(!ret, "VM #%d: slot: %s", i, strerror(-ret));
	vm->slots[vm->nr_slots++] = (struct mkvm_slot){ MKVM_RAM_IPA, 0x10000, ram };
	vm->kvm_fd = m->sys_fd;
	vm_load_code(vm, MKVM_RAM_IPA, mkvm_guest_vectors,
		     mkvm_guest_vectors_end);
	vm_load_code(vm, MKVM_CODE_IPA, guest_add, guest_add_end);
	m->vcpu[i] = vm_vcpu_add(vm, 0);
	vcpu_set_reg(m->vcpu[i], MKVM_XREG(0), 0);
	vcpu_set_reg(m->vcpu[i], MKVM_XREG(1), i + 1);
}

static void many_free(struct many *m)
{
	int i;

	for (i = 0; i < MANY_VMS; i++) {
		vcpu_free(m->vcpu[i]);
		close(m->vm[i].fd);
		munmap(m->vm[i].slots[0].hva, m->vm[i].slots[0].size);
	}
	close(m->sys_fd);
}

/*
 * 300 VMs alive at once (more than 8-bit VMIDs can tell apart), each one
 * vCPU: all run, three rounds in an interleaved order, each with its own
 * memory and registers.  Contained: every KVM_CREATE_VM succeeds and
 * every guest reports its own running sum.
 */
static void many_vms(struct __test_metadata *_metadata)
{
	struct rlimit rl = { 4096, 4096 };
	struct many *m = calloc(1, sizeof(*m));
	int i, round;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	m->sys_fd = mkvm_open();
	for (i = 0; i < MANY_VMS; i++)
		many_create(m, i);
	for (round = 1; round <= 3; round++) {
		for (i = 0; i < MANY_VMS; i++) {
			/* Odd rounds forwards, the other backwards. */
			int v = round % 2 ? i : MANY_VMS - 1 - i;

			ASSERT_EQ((uint64_t)round * (v + 1),
				  vcpu_report(m->vcpu[v]))
				TH_LOG("VM %d round %d", v, round);
		}
	}
	many_free(m);
	free(m);
}

TEST_F_TIMEOUT(escape, three_hundred_vms, 300)
{
	many_vms(_metadata);
}

/*
 * minikvm only: with 8-bit VMIDs forced (module parameter vmid_bits=8),
 * 300 live VMs need VMID rollovers on every round; all still run right.
 */
TEST_F_TIMEOUT(escape, vmid_rollover_8bit, 300)
{
	int ret;

	if (!mkvm_boot_minikvm() || !mkvm_dev_is_minikvm())
		SKIP(return, "minikvm's VMID allocator");
	ret = mkvm_unload();
	if (ret == -EBUSY || ret == -EAGAIN || ret == -EWOULDBLOCK)
		SKIP(return, "minikvm is in use: cannot reload it");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, mkvm_load_params("vmid_bits=8"));
	many_vms(_metadata);
	ASSERT_EQ(0, mkvm_unload());
	ASSERT_EQ(0, mkvm_load());
}

/* ---- stage-1 tables in a read-only slot, with the MMU on ------------- */

#define PT_IPA		0xc0000000ull	/* read-only slot: the guest's L1 table */
#define RODATA_IPA	0xc0010000ull	/* read-only slot: data */
#define VA_RODATA	(0x100000000ull + (RODATA_IPA - PT_IPA))
#define VA_NO_AF	0x140000000ull	/* its descriptor has AF = 0 */

#define PTE_BLOCK	0x1ull
#define PTE_ATTR(i)	((uint64_t)(i) << 2)
#define PTE_SH_INNER	(3ull << 8)
#define PTE_AF		(1ull << 10)

/*
 * MAIR (x10), TCR (x11), TTBR0 (x12) from the host; MMU on.  Then: read
 * the read-only data through VA_RODATA (x13) and report it; write it (an
 * MMIO exit at its IPA, which EL2 must find from the VA: HPFAR_EL2 is
 * UNKNOWN for this stage-2 permission fault); load through VA_NO_AF (x15),
 * whose descriptor the hardware must write (TCR_EL1.HA) in a read-only
 * slot: a stage-2 permission fault on the table walk.
 */
MKVM_GUEST(guest_mmu_readonly,
	"mrs	x0, id_aa64mmfr1_el1\n"
	G_REPORT("x0")
	"msr	mair_el1, x10\n"
	"msr	tcr_el1, x11\n"
	"msr	ttbr0_el1, x12\n"
	"isb\n"
	"mrs	x0, sctlr_el1\n"
	"orr	x0, x0, #1\n"
	"msr	sctlr_el1, x0\n"
	"isb\n"
	"ldr	x1, [x13]\n"
	G_REPORT("x1")
	"str	x14, [x13, #8]\n"
	"mov	x0, #1\n"
	G_REPORT("x0")
	"ldr	x1, [x15]\n"
	"mov	x0, #2\n"
	G_REPORT("x0")
	G_DONE);

TEST_F(escape, stage1_tables_in_readonly_slot)
{
	uint64_t *pt, *rodata, mmfr1, esr, val;
	struct mkvm_vcpu *vcpu;
	struct kvm_run *run;
	int kind;

	self->vm = vm_create_skipping(guest_mmu_readonly,
				      guest_mmu_readonly_end);
	pt = vm_add_memory(self->vm, 1, KVM_MEM_READONLY, PT_IPA, 0x1000);
	rodata = vm_add_memory(self->vm, 2, KVM_MEM_READONLY, RODATA_IPA,
			       0x1000);
	/* 39-bit VAs: one level-1 table of 1 GiB blocks. */
	pt[0] = 0x0ull | PTE_BLOCK | PTE_ATTR(1) | PTE_AF;	/* ucalls, MMIO */
	pt[2] = MKVM_RAM_IPA | PTE_BLOCK | PTE_ATTR(0) | PTE_SH_INNER | PTE_AF;
	pt[4] = PT_IPA | PTE_BLOCK | PTE_ATTR(0) | PTE_SH_INNER | PTE_AF;
	pt[5] = PT_IPA | PTE_BLOCK | PTE_ATTR(0) | PTE_SH_INNER;
	rodata[0] = 0x5eed5eed5eed5eedull;

	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(10), 0x00ff);	/* 0: WB, 1: device */
	/* T0SZ 25, WBWA, inner shareable, 4K, EPD1, IPS 40 bits, HA. */
	vcpu_set_reg(vcpu, MKVM_XREG(11), 25 | 1ull << 8 | 1ull << 10 |
		     3ull << 12 | 1ull << 23 | 2ull << 32 | 1ull << 39);
	vcpu_set_reg(vcpu, MKVM_XREG(12), PT_IPA);
	vcpu_set_reg(vcpu, MKVM_XREG(13), VA_RODATA);
	vcpu_set_reg(vcpu, MKVM_XREG(14), 0xabcdabcdabcdabcdull);
	vcpu_set_reg(vcpu, MKVM_XREG(15), VA_NO_AF);

	mmfr1 = vcpu_report(vcpu);
	EXPECT_EQ(0x5eed5eed5eed5eedull, vcpu_report(vcpu));

	run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(RODATA_IPA + 8, run->mmio.phys_addr);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(8, run->mmio.len);
	EXPECT_EQ(0xabcdabcdabcdabcdull, mkvm_mmio_data(run));
	EXPECT_EQ(1, vcpu_report(vcpu));

	if (!(mmfr1 & 0xf)) {
		/* No hardware Access flag: the guest takes its own fault. */
		esr = expect_exception(vcpu);
		EXPECT_EQ(EC_DABT_CUR, ESR_EC(esr));
		EXPECT_EQ(2, vcpu_report(vcpu));
		vcpu_done(vcpu);
		SKIP(return, "no FEAT_HAFDBS: the walk never writes");
	}
	/*
	 * The walker's write to a read-only slot: as KVM, an external
	 * abort for the guest (not an endless fault loop).  SIGALRM turns
	 * a loop into -EINTR instead of a hung test.
	 */
	mkvm_install_kick_handler(SIGALRM);
	alarm(10);
	kind = next_ucall(vcpu, &esr);
	alarm(0);
	ASSERT_EQ(UCALL_EXCEPTION, kind);
	EXPECT_EQ(EC_DABT_CUR, ESR_EC(esr))
		TH_LOG("ESR_EL1 %#llx", (unsigned long long)esr);
	EXPECT_EQ(FSC_EXTABT, ESR_FSC(esr))
		TH_LOG("ESR_EL1 %#llx", (unsigned long long)esr);
	EXPECT_EQ(VA_NO_AF, vcpu_get_reg(vcpu, MKVM_FAR_EL1));
	kind = next_ucall(vcpu, &val);
	EXPECT_EQ(UCALL_REPORT, kind);
	EXPECT_EQ(2, val);
	vcpu_done(vcpu);
	EXPECT_EQ(0, pt[5] & PTE_AF);
}

/* ---- instruction fetch from MMIO ------------------------------------ */

MKVM_GUEST(guest_jump,
	"br	x6\n");

/*
 * A jump to an IPA with no memory behind it (MMIO, or nothing): nothing
 * the VMM could emulate.  Contained: a prefetch abort for the guest (EC
 * 0x21, external abort), ELR_EL1 and FAR_EL1 at the target, as KVM.
 */
TEST_F(escape, instruction_fetch_from_mmio)
{
	static const uint64_t targets[] = { MKVM_MMIO_IPA, 0x40000000ull };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		struct mkvm_vm *vm = vm_create(guest_jump, guest_jump_end);
		struct mkvm_vcpu *vcpu = vm_vcpu_add(vm, 0);
		uint64_t esr;

		vcpu_set_reg(vcpu, MKVM_XREG(6), targets[i]);
		esr = expect_exception(vcpu);
		EXPECT_EQ(EC_IABT_CUR, ESR_EC(esr))
			TH_LOG("ESR_EL1 %#llx", (unsigned long long)esr);
		EXPECT_EQ(FSC_EXTABT, ESR_FSC(esr))
			TH_LOG("ESR_EL1 %#llx", (unsigned long long)esr);
		EXPECT_EQ(targets[i], vcpu_get_reg(vcpu, MKVM_ELR_EL1));
		EXPECT_EQ(targets[i], vcpu_get_reg(vcpu, MKVM_FAR_EL1));
		vcpu_free(vcpu);
		vm_free(vm);
	}
}

/* ---- SMC/HVC with random function ids -------------------------------- */

MKVM_GUEST(guest_smccc_loop,
	"1:	cbz	x7, 2f\n"
	G_SMC
	"b	3f\n"
	"2:	" G_HVC
	"3:\n"
	G_REPORT("x0")
	"b	1b\n");

/*
 * 256 random SMCCC ids (fixed seed) in ranges no hypervisor implements
 * for a guest: CPU, SiP and OEM services, trusted OSes, yielding calls.
 * Contained: NOT_SUPPORTED (-1) in x0, by HVC and by SMC, nothing else.
 */
TEST_F(escape, smccc_random_function_ids)
{
	static const uint32_t owners[] = { 1, 2, 3, 48, 50, 63 };
	struct mkvm_vcpu *vcpu;
	unsigned int i;

	srandom(7);
	self->vm = vm_create(guest_smccc_loop, guest_smccc_loop_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < 256; i++) {
		uint32_t owner = owners[random() % ARRAY_SIZE(owners)];
		uint32_t fid = (uint32_t)random() & 0xffff;
		uint64_t ret;

		fid |= owner << 24;
		switch (i % 3) {
		case 0: fid |= 0x80000000u; break;		/* fast 32 */
		case 1: fid |= 0xc0000000u; break;		/* fast 64 */
		default: fid |= (uint32_t)(random() & 1) << 30;	/* yielding */
		}
		vcpu_set_reg(vcpu, MKVM_XREG(0), fid);
		vcpu_set_reg(vcpu, MKVM_XREG(1), random());
		vcpu_set_reg(vcpu, MKVM_XREG(7), i & 1);
		ret = vcpu_report(vcpu);
		EXPECT_EQ(MKVM_SMCCC_NOT_SUPPORTED, ret)
			TH_LOG("%s %#x", i & 1 ? "smc" : "hvc", fid);
	}
}

/* ---- PSTATE: every mode ---------------------------------------------- */

/*
 * KVM_SET_ONE_REG of PSTATE with every M[4:0] value: only AArch64 EL0t,
 * EL1t and EL1h exist for this vCPU.  Contained: -EINVAL and PSTATE
 * unchanged for every other one (EL2/EL3, AArch32 modes, reserved
 * values).  AArch32 User (0x10) is left out: KVM accepts it where the CPU
 * has AArch32 EL0.
 */
TEST_F(escape, pstate_every_mode)
{
	struct mkvm_vcpu *vcpu;
	uint64_t mode;

	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	for (mode = 0; mode < 0x20; mode++) {
		bool ok = mode == 0x0 || mode == 0x4 || mode == 0x5;
		uint64_t pstate = mode | 0x3c0;	/* DAIF masked */

		if (mode == 0x10)
			continue;
		vcpu_set_reg(vcpu, MKVM_PSTATE, 0x3c5);
		EXPECT_EQ(ok ? 0 : -EINVAL,
			  _vcpu_set_reg(vcpu, MKVM_PSTATE, pstate))
			TH_LOG("mode %#llx", (unsigned long long)mode);
		EXPECT_EQ(ok ? pstate : 0x3c5, vcpu_get_reg(vcpu, MKVM_PSTATE))
			TH_LOG("mode %#llx", (unsigned long long)mode);
	}
}

/* ---- fds across processes, fds closed while vCPUs run ---------------- */

MKVM_GUEST(guest_sum,
	"add	x2, x0, x1\n"
	G_REPORT("x2")
	G_DONE);

/* A fresh VM runs a guest to the end: the host is fine. */
static void expect_new_vm_works(struct __test_metadata *_metadata)
{
	struct mkvm_vm *vm = vm_create(guest_sum, guest_sum_end);
	struct mkvm_vcpu *vcpu = vm_vcpu_add(vm, 0);

	vcpu_set_reg(vcpu, MKVM_XREG(0), 40);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 2);
	EXPECT_EQ(42, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * A child of fork() holds the VM and vCPU fds but not the VM's mm.
 * Contained: every VM and vCPU ioctl from it fails with -EIO (as KVM),
 * and the parent's VM is untouched.
 */
TEST_F(escape, fds_used_from_another_process)
{
	struct mkvm_vcpu *vcpu;
	int status;
	pid_t pid;

	self->vm = vm_create(guest_sum, guest_sum_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(0), 40);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kvm_one_reg reg = { .id = MKVM_PC, .addr = 0 };
		uint64_t val = 0;
		int bad = 0;

		reg.addr = (uintptr_t)&val;
		bad |= mkvm_ioctl(vcpu->fd, KVM_RUN, NULL) != -EIO;
		bad |= (mkvm_ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg) != -EIO) << 1;
		bad |= (mkvm_ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg) != -EIO) << 2;
		bad |= (ioctl(self->vm->fd, KVM_CREATE_VCPU, 1) != -1 ||
			errno != EIO) << 3;
		bad |= (_vm_set_memory(self->vm, 3, 0, 0xc0000000ull, 0x1000,
				       (uintptr_t)self->vm->slots[0].hva) !=
			-EIO) << 4;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("failed checks (bits: run, set, get, vcpu, slot) %#x",
		       WEXITSTATUS(status));
	EXPECT_EQ(42, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
}

MKVM_GUEST(guest_spin_forever,
	G_REPORT("xzr")
	"1:	b	1b\n");

struct runner {
	struct mkvm_vcpu *vcpu;
	int ret;
	bool started, done;
};

static void *runner_fn(void *arg)
{
	struct runner *r = arg;

	__atomic_store_n(&r->started, true, __ATOMIC_RELEASE);
	r->ret = _vcpu_run(r->vcpu);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

enum close_order { VM_FD_FIRST, VCPU_FD_FIRST, ALL_BEFORE_SIGNAL };

/*
 * A vCPU spinning in KVM_RUN on a thread while the main thread closes its
 * fds in the given order, then signals the thread out of KVM_RUN.
 * Contained: KVM_RUN returns -EINTR (an fd closed under a running ioctl
 * keeps its file until the ioctl returns), the VM is then freed, and a
 * new VM works.
 */
static void close_while_running(struct __test_metadata *_metadata,
				enum close_order order)
{
	struct mkvm_vm *vm = vm_create(guest_spin_forever,
				       guest_spin_forever_end);
	struct runner r = { .vcpu = vm_vcpu_add(vm, 0) };
	pthread_t t;

	/* First run to the report, so the spin is the second. */
	EXPECT_EQ(0, vcpu_report(r.vcpu));
	mkvm_install_kick_handler(SIGUSR1);
	ASSERT_EQ(0, pthread_create(&t, NULL, runner_fn, &r));
	while (!__atomic_load_n(&r.started, __ATOMIC_ACQUIRE))
		usleep(1000);
	usleep(50000);
	switch (order) {
	case VM_FD_FIRST:
		close(vm->fd);
		close(vm->kvm_fd);
		usleep(20000);
		close(r.vcpu->fd);
		break;
	case VCPU_FD_FIRST:
		close(r.vcpu->fd);
		usleep(20000);
		close(vm->fd);
		close(vm->kvm_fd);
		break;
	case ALL_BEFORE_SIGNAL:
		close(r.vcpu->fd);
		close(vm->fd);
		close(vm->kvm_fd);
		munmap(r.vcpu->run, r.vcpu->run_size);
		r.vcpu->run = NULL;
		break;
	}
	/* Again and again, in case a signal came before KVM_RUN began. */
	while (!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE)) {
		usleep(20000);
		pthread_kill(t, SIGUSR1);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(-EINTR, r.ret);
	if (r.vcpu->run)
		munmap(r.vcpu->run, r.vcpu->run_size);
	free(r.vcpu);
	munmap(vm->slots[0].hva, vm->slots[0].size);
	free(vm);
	expect_new_vm_works(_metadata);
}

TEST_F(escape, close_vm_fd_first_while_running)
{
	close_while_running(_metadata, VM_FD_FIRST);
}

TEST_F(escape, close_vcpu_fd_first_while_running)
{
	close_while_running(_metadata, VCPU_FD_FIRST);
}

TEST_F(escape, close_everything_while_running)
{
	close_while_running(_metadata, ALL_BEFORE_SIGNAL);
}

MKVM_GUEST(guest_wfi_forever,
	G_REPORT("xzr")
	"1:	wfi\n"
	"b	1b\n");

/*
 * The VMM is SIGKILLed in the middle of KVM_RUN (a vCPU spinning, one in
 * WFI).  Contained: the child dies of SIGKILL, its VM goes with it, and
 * a new VM works.
 */
TEST_F(escape, vmm_sigkilled_mid_run)
{
	int round;

	for (round = 0; round < 2; round++) {
		int pipefd[2], status;
		char c;
		pid_t pid;

		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct mkvm_vm *vm = round ?
				vm_create(guest_wfi_forever, guest_wfi_forever_end) :
				vm_create(guest_spin_forever, guest_spin_forever_end);
			struct mkvm_vcpu *vcpu = vm_vcpu_add(vm, 0);

			vcpu_report(vcpu);
			if (write(pipefd[1], "r", 1) != 1)
				_exit(2);
			_vcpu_run(vcpu);
			_exit(3);
		}
		close(pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		close(pipefd[0]);
		usleep(100000);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			TH_LOG("round %d: status %#x", round, status);
		expect_new_vm_works(_metadata);
	}
}

TEST_HARNESS_MAIN
