// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's EL1 timers through the KVM API: the physical timer a guest
 * programs (CNTP_*, trapped and emulated: KVM's arch/arm64/kvm/
 * arch_timer.c on nVHE) and takes as INTID 30, WFI woken by it alone, its
 * registers kept off the host's timer; the vCPU attributes that number the
 * timers' interrupts (KVM_ARM_VCPU_TIMER_CTRL), the timer ONE_REG ids and
 * KVM_ARM_SET_COUNTER_OFFSET, with the errors the kernel's KVM gives.
 * Everything but the host-side check runs against the kernel's KVM on the
 * oracle boot too.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mount.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

/* The guest's GIC, laid out as on QEMU's virt machine. */
#define GICD_IPA		0x08000000ull
#define GICR_IPA		0x080a0000ull
#define NR_IRQS			64

#define VTIMER_INTID		27
#define PTIMER_INTID		30
#define HVTIMER_INTID		28
#define HPTIMER_INTID		26

/* CNTx_CTL_EL0 */
#define CTL_ENABLE		1ull
#define CTL_IMASK		2ull
#define CTL_ISTATUS		4ull

MKVM_VM_FIXTURE(timer);

static int _vm_vgic_create(struct mkvm_vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	int ret = mkvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &cd);

	MKVM_CHECK(!ret, "KVM_CREATE_DEVICE(VGIC_V3): %s", strerror(-ret));
	return cd.fd;
}

static int _dev_attr(int fd, unsigned long cmd, uint32_t group, uint64_t attr,
		     void *ptr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)ptr,
	};

	return mkvm_ioctl(fd, cmd, &a);
}

/* NR_IRQS, the distributor at GICD_IPA, redistributors at GICR_IPA, INIT. */
static void vgic_finish(int fd)
{
	uint64_t dist = GICD_IPA, redist = GICR_IPA;
	uint32_t nr = NR_IRQS;

	MKVM_CHECK(!_dev_attr(fd, KVM_SET_DEVICE_ATTR,
			      KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr), "NR_IRQS");
	MKVM_CHECK(!_dev_attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR,
			      KVM_VGIC_V3_ADDR_TYPE_DIST, &dist), "DIST");
	MKVM_CHECK(!_dev_attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR,
			      KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist), "REDIST");
	MKVM_CHECK(!_dev_attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), "CTRL_INIT");
}

static int timer_attr(struct mkvm_vcpu *vcpu, unsigned long cmd,
		      uint64_t attr, void *ptr)
{
	return _dev_attr(vcpu->fd, cmd, KVM_ARM_VCPU_TIMER_CTRL, attr, ptr);
}

static int get_ppi(struct mkvm_vcpu *vcpu, uint64_t attr)
{
	int irq = -1, ret = timer_attr(vcpu, KVM_GET_DEVICE_ATTR, attr, &irq);

	MKVM_CHECK(!ret, "GET timer attr %llu: %s", (unsigned long long)attr,
		   strerror(-ret));
	return irq;
}

static int set_ppi(struct mkvm_vcpu *vcpu, uint64_t attr, int irq)
{
	return timer_attr(vcpu, KVM_SET_DEVICE_ATTR, attr, &irq);
}

static uint64_t host_cntfrq(void)
{
	uint64_t f;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

/* The machine's count, as EL0 of the host reads it (no offset there). */
static uint64_t host_count(void)
{
	uint64_t c;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(c));
	return c;
}

MKVM_GUEST(guest_done, G_DONE);

/*
 * KVM_HAS/GET/SET_DEVICE_ATTR, group KVM_ARM_VCPU_TIMER_CTRL: four timers
 * known (the EL2 ones too, without nested virtualization), KVM's default
 * INTIDs, numbers set only with a vGIC and only to PPIs, VM-wide, checked
 * at the first run (two EL1 timers on one PPI: -EINVAL), -EBUSY once a
 * vCPU ran.
 */
TEST_F(timer, attr_rules)
{
	static const struct {
		uint64_t attr;
		int def;
	} timers[] = {
		{ KVM_ARM_VCPU_TIMER_IRQ_VTIMER, VTIMER_INTID },
		{ KVM_ARM_VCPU_TIMER_IRQ_PTIMER, PTIMER_INTID },
		{ KVM_ARM_VCPU_TIMER_IRQ_HVTIMER, HVTIMER_INTID },
		{ KVM_ARM_VCPU_TIMER_IRQ_HPTIMER, HPTIMER_INTID },
	};
	struct mkvm_vcpu *vcpu, *vcpu1, *bare = NULL;
	unsigned int i;
	int irq, fd;

	self->vm = vm_create(guest_done, guest_done_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu1 = vm_vcpu_add(self->vm, 1);
	for (i = 0; i < ARRAY_SIZE(timers); i++) {
		EXPECT_EQ(0, timer_attr(vcpu, KVM_HAS_DEVICE_ATTR,
					timers[i].attr, NULL));
		EXPECT_EQ(timers[i].def, get_ppi(vcpu, timers[i].attr));
	}
	EXPECT_EQ(-ENXIO, timer_attr(vcpu, KVM_HAS_DEVICE_ATTR, 4, NULL));
	EXPECT_EQ(-ENXIO, timer_attr(vcpu, KVM_GET_DEVICE_ATTR, 4, &irq));
	EXPECT_EQ(-ENXIO, _dev_attr(vcpu->fd, KVM_HAS_DEVICE_ATTR, 0x55, 0,
				    NULL));
	EXPECT_EQ(-EFAULT, timer_attr(vcpu, KVM_GET_DEVICE_ATTR,
				      KVM_ARM_VCPU_TIMER_IRQ_PTIMER, NULL));
	EXPECT_EQ(-EFAULT, mkvm_ioctl(vcpu->fd, KVM_GET_DEVICE_ATTR, NULL));
	/* Without a vGIC there is nothing to number. */
	EXPECT_EQ(-EINVAL, set_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, 20));

	/* A vCPU not yet initialised answers too. */
	ASSERT_EQ(0, _vm_vcpu_create(self->vm, 2, &bare));
	EXPECT_EQ(PTIMER_INTID, get_ppi(bare, KVM_ARM_VCPU_TIMER_IRQ_PTIMER));
	ASSERT_EQ(0, _vcpu_init(bare, 0));

	fd = _vm_vgic_create(self->vm);
	EXPECT_EQ(-EINVAL, set_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, 15));
	EXPECT_EQ(-EINVAL, set_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, 32));
	EXPECT_EQ(-EINVAL, set_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, -1));
	EXPECT_EQ(-EFAULT, timer_attr(vcpu, KVM_SET_DEVICE_ATTR,
				      KVM_ARM_VCPU_TIMER_IRQ_PTIMER, NULL));
	/* The number is checked before the attribute. */
	EXPECT_EQ(-EINVAL, set_ppi(vcpu, 4, 5));
	EXPECT_EQ(-ENXIO, set_ppi(vcpu, 4, 20));
	/* One VM, one set of numbers, whichever vCPU sets them. */
	EXPECT_EQ(0, set_ppi(vcpu1, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, 20));
	EXPECT_EQ(0, set_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_VTIMER, 20));
	EXPECT_EQ(0, set_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_HVTIMER, 17));
	EXPECT_EQ(20, get_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_PTIMER));
	EXPECT_EQ(20, get_ppi(vcpu1, KVM_ARM_VCPU_TIMER_IRQ_VTIMER));
	EXPECT_EQ(17, get_ppi(bare, KVM_ARM_VCPU_TIMER_IRQ_HVTIMER));
	vgic_finish(fd);
	/* Both EL1 timers on PPI 20: the first run refuses. */
	EXPECT_EQ(-EINVAL, _vcpu_run(vcpu));
	close(fd);
	vcpu_free(bare);
	vcpu_free(vcpu1);
	vcpu_free(vcpu);
	vm_free(self->vm);

	/* Two PPIs: the run goes, and the numbers are final. */
	self->vm = vm_create(guest_done, guest_done_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu1 = vm_vcpu_add(self->vm, 1);
	fd = _vm_vgic_create(self->vm);
	EXPECT_EQ(0, set_ppi(vcpu1, KVM_ARM_VCPU_TIMER_IRQ_VTIMER, 20));
	EXPECT_EQ(0, set_ppi(vcpu1, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, 21));
	vgic_finish(fd);
	vcpu_done(vcpu);
	EXPECT_EQ(-EBUSY, set_ppi(vcpu1, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, 22));
	EXPECT_EQ(-EBUSY, set_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_HPTIMER, 22));
	/* Past the busy check, the number is still checked first. */
	EXPECT_EQ(-EINVAL, set_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, 40));
	EXPECT_EQ(21, get_ppi(vcpu1, KVM_ARM_VCPU_TIMER_IRQ_PTIMER));
	EXPECT_EQ(20, get_ppi(vcpu, KVM_ARM_VCPU_TIMER_IRQ_VTIMER));
	close(fd);
	vcpu_free(vcpu1);
	vcpu_free(vcpu);
}

/*
 * Vector table at MKVM_CODE_IPA; every entry reports the exception and
 * stops, but IRQ from EL1 with SP_EL1 (VBAR + 0x280): G_PTIMER_IRQ.  Code
 * at VBAR + 0x800.
 */
#define VECTORS_SIZE		0x800
#define GUEST_ENTRY		(MKVM_CODE_IPA + VECTORS_SIZE)
#define G_VECTORS(irq)							\
	".rept 5\n" G_VECTOR_ENTRY ".endr\n"				\
	".balign 0x80\n" irq						\
	".org 0x300\n"							\
	".rept 10\n" G_VECTOR_ENTRY ".endr\n"				\
	".org 0x800\n"

/*
 * Acknowledge; x9 = INTID, x10 = CNTPCT_EL0 and x11 = CNTP_CTL_EL0 on
 * arrival; mask the timer (its line drops), count in x24, EOI.
 */
#define G_PTIMER_IRQ							\
	"mrs	x26, icc_iar1_el1\n"					\
	"cmp	x26, #1020\n"						\
	"b.hs	1f\n"							\
	"mov	x9, x26\n"						\
	"isb\n"								\
	"mrs	x10, cntpct_el0\n"					\
	"mrs	x11, cntp_ctl_el0\n"					\
	"mov	x0, #2\n"						\
	"msr	cntp_ctl_el0, x0\n"					\
	"add	x24, x24, #1\n"						\
	"msr	icc_eoir1_el1, x26\n"					\
	"1:	eret\n"

/*
 * The distributor (ARE, Group 1), this vCPU's redistributor awake, every
 * SGI/PPI in Group 1 at priority 0xa0, PPI 30 enabled, the CPU interface
 * open (PMR 0xff, EOImode 0, Group 1 on).  Clobbers x0-x2, x20-x22.
 */
#define G_GIC_PPI30							\
	"movz	x20, #0x0800, lsl #16\n"				\
	"movz	x21, #0x080a, lsl #16\n"				\
	"add	x22, x21, #0x10, lsl #12\n"				\
	"mov	w0, #0x12\n"						\
	"str	w0, [x20]\n"						\
	"1:	ldr	w0, [x20]\n"					\
	"tbnz	w0, #31, 1b\n"						\
	"ldr	w1, [x21, #0x14]\n"					\
	"bic	w1, w1, #2\n"						\
	"str	w1, [x21, #0x14]\n"					\
	"1:	ldr	w1, [x21, #0x14]\n"				\
	"tbnz	w1, #2, 1b\n"						\
	"mov	w1, #-1\n"						\
	"str	w1, [x22, #0x80]\n"					\
	"movz	w0, #0xa0a0\n"						\
	"movk	w0, #0xa0a0, lsl #16\n"					\
	"mov	x2, #0x400\n"						\
	"1:	str	w0, [x22, x2]\n"				\
	"add	x2, x2, #4\n"						\
	"cmp	x2, #0x420\n"						\
	"b.lo	1b\n"							\
	"mov	w0, #(1 << 30)\n"					\
	"str	w0, [x22, #0x100]\n"					\
	"mov	x0, #0xff\n"						\
	"msr	icc_pmr_el1, x0\n"					\
	"mrs	x0, icc_ctlr_el1\n"					\
	"bic	x0, x0, #2\n"						\
	"msr	icc_ctlr_el1, x0\n"					\
	"mov	x0, #1\n"						\
	"msr	icc_igrpen1_el1, x0\n"					\
	"mov	x24, #0\n"						\
	"isb\n"

/* Enable PPI 27, the virtual timer's, after G_GIC_PPI30. */
#define G_GIC_PPI27_ON							\
	"mov	w0, #(1 << 27)\n"					\
	"str	w0, [x22, #0x100]\n"

/* Virtual timer on, unmasked, x3 = CVAL = count + @ticks (a register). */
#define G_VTIMER_ARM(ticks)						\
	"mrs	x0, cntvct_el0\n"					\
	"add	x3, x0, " ticks "\n"					\
	"msr	cntv_cval_el0, x3\n"					\
	"mov	x0, #1\n"						\
	"msr	cntv_ctl_el0, x0\n"					\
	"isb\n"

/*
 * A VM running @code (its vectors at the start: VBAR_EL1 there, entry at
 * GUEST_ENTRY) with one vCPU and a finished vGIC, whose fd goes to *@gic.
 */
static struct mkvm_vcpu *irq_vm_create(struct mkvm_vm **vm, const char *code,
				       const char *end, int *gic)
{
	struct mkvm_vcpu *vcpu;

	*vm = vm_create(code, end);
	vcpu = vm_vcpu_add_features(*vm, 0, 0, GUEST_ENTRY);
	vcpu_set_reg(vcpu, MKVM_VBAR_EL1, MKVM_CODE_IPA);
	*gic = _vm_vgic_create(*vm);
	vgic_finish(*gic);
	return vcpu;
}

/*
 * Reports CNTFRQ_EL0; arms the physical timer 10 ms ahead through
 * CNTP_TVAL_EL0 and reports CVAL - start; waits in WFI with only that
 * timer armed; reports the INTID taken, arrival - CVAL and CTL on
 * arrival; then CTL and TVAL after the handler masked it; spins, and
 * reports how many interrupts came in all.
 */
MKVM_GUEST(guest_ptimer,
	G_VECTORS(G_PTIMER_IRQ)
	G_GIC_PPI30
	"mrs	x1, cntfrq_el0\n"
	G_REPORT("x1")
	"mov	x2, #100\n"
	"udiv	x2, x1, x2\n"
	"isb\n"
	"mrs	x19, cntpct_el0\n"
	"msr	cntp_tval_el0, x2\n"
	"mov	x0, #1\n"
	"msr	cntp_ctl_el0, x0\n"
	"isb\n"
	"mrs	x3, cntp_cval_el0\n"
	"sub	x0, x3, x19\n"
	G_REPORT("x0")
	"msr	daifclr, #2\n"
	"1:	cbnz	x24, 2f\n"
	"wfi\n"
	"b	1b\n"
	"2:\n"
	G_REPORT("x9")
	"sub	x0, x10, x3\n"
	G_REPORT("x0")
	G_REPORT("x11")
	"mrs	x0, cntp_ctl_el0\n"
	G_REPORT("x0")
	"mrs	x0, cntp_tval_el0\n"
	G_REPORT("x0")
	"mov	x0, #0x4000\n"
	"1:	subs	x0, x0, #1\n"
	"b.ne	1b\n"
	G_REPORT("x24")
	G_DONE);

/*
 * The guest's physical timer: programmed through TVAL, it raises INTID
 * 30, which wakes the guest's WFI (the virtual timer is off) not before
 * the compare value, once; ISTATUS and TVAL read as KVM gives them.
 */
TEST_F(timer, ptimer_irq_wakes_wfi)
{
	struct mkvm_vcpu *vcpu;
	uint64_t freq, ticks, v;
	int fd;

	vcpu = irq_vm_create(&self->vm, guest_ptimer, guest_ptimer_end, &fd);

	freq = vcpu_report(vcpu);
	EXPECT_EQ(host_cntfrq(), freq);
	ASSERT_LT(0, freq);
	ticks = freq / 100;
	/* CVAL = count at the TVAL write + TVAL: a few ticks past start. */
	v = vcpu_report(vcpu);
	EXPECT_LE(ticks, v);
	EXPECT_GT(ticks + freq, v);
	EXPECT_EQ(PTIMER_INTID, vcpu_report_within(vcpu, 10 * mkvm_timeout_scale(),
					       KVM_REG_ARM_PTIMER_CTL,
					       KVM_REG_ARM_PTIMER_CVAL,
					       KVM_REG_ARM_PTIMER_CNT));
	EXPECT_GT(1ull << 63, vcpu_report(vcpu)) TH_LOG("IRQ before CVAL");
	/* On arrival: ENABLE and ISTATUS; masked by the handler: IMASK. */
	EXPECT_EQ(CTL_ENABLE | CTL_ISTATUS, vcpu_report(vcpu));
	EXPECT_EQ(CTL_IMASK | CTL_ISTATUS, vcpu_report(vcpu));
	/* TVAL: 32 bits, signed, negative once past CVAL. */
	v = vcpu_report(vcpu);
	EXPECT_EQ(0, v >> 32);
	EXPECT_EQ(1, (v >> 31) & 1) TH_LOG("TVAL %#llx", (unsigned long long)v);
	EXPECT_EQ(1, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

#define GUEST_CVAL	0x5a5a00001234ull

/* Programs CNTP_CVAL = GUEST_CVAL, CTL = ENABLE | IMASK; reads both back. */
MKVM_GUEST(guest_ptimer_mark,
	"movz	x2, #0x1234\n"
	"movk	x2, #0x5a5a, lsl #32\n"
	"msr	cntp_cval_el0, x2\n"
	"mov	x0, #3\n"
	"msr	cntp_ctl_el0, x0\n"
	"isb\n"
	"mrs	x1, cntp_cval_el0\n"
	G_REPORT("x1")
	"mrs	x1, cntp_ctl_el0\n"
	G_REPORT("x1")
	G_DONE);

/* How many CPUs hold @val in @reg, per debugfs minikvm/host_sysregs. */
static int host_sysreg_matches(const char *reg, uint64_t val)
{
	FILE *f = fopen("/sys/kernel/debug/minikvm/host_sysregs", "r");
	char name[64];
	unsigned long long v;
	int cpu, n = 0, lines = 0;

	MKVM_CHECK(f, "host_sysregs: %s", strerror(errno));
	while (fscanf(f, "%d %63s %llx", &cpu, name, &v) == 3) {
		if (strcmp(name, reg))
			continue;
		lines++;
		n += v == val;
	}
	fclose(f);
	MKVM_CHECK(lines, "no %s in host_sysregs", reg);
	return n;
}

/*
 * What the guest writes to its physical timer stays in its vCPU: the
 * host's own CNTP_CVAL_EL0 never holds it, on any CPU (debugfs
 * minikvm/host_sysregs, minikvm only).  The guest still reads its values
 * back.
 */
TEST_F(timer, guest_cntp_never_reaches_host)
{
	struct mkvm_vcpu *vcpu;

	if (!mkvm_dev_is_minikvm())
		SKIP(return, "reads minikvm's debugfs");
	self->vm = vm_create(guest_ptimer_mark, guest_ptimer_mark_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(GUEST_CVAL, vcpu_report(vcpu));
	EXPECT_EQ(0, host_sysreg_matches("cntp_cval_el0", GUEST_CVAL));
	EXPECT_EQ(CTL_ENABLE | CTL_IMASK, vcpu_report(vcpu));
	EXPECT_EQ(0, host_sysreg_matches("cntp_cval_el0", GUEST_CVAL));
	EXPECT_EQ(GUEST_CVAL, vcpu_get_reg(vcpu, KVM_REG_ARM_PTIMER_CVAL));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
}

/*
 * The guest arms its virtual timer a long way off (masked: no vGIC here)
 * and reports its count in a loop, each report an exit to user space.
 */
MKVM_GUEST(guest_vtimer_armed,
	"mrs	x1, cntvct_el0\n"
	"movz	x2, #0x100, lsl #32\n"
	"add	x1, x1, x2\n"
	"msr	cntv_cval_el0, x1\n"
	"mov	x1, #3\n"
	"msr	cntv_ctl_el0, x1\n"
	"isb\n"
	"1:	mrs	x1, cntvct_el0\n"
	G_REPORT("x1")
	"b	1b\n");

/*
 * The host's own virtual count, read at EL0 between runs of a guest whose
 * virtual timer is armed: the guest's CNTVOFF_EL2 (the count at VM
 * creation here) must not be in force on the vCPU thread's CPU once
 * KVM_RUN has returned, or the host's vDSO clocks would run from 0.
 * minikvm keeps the guest's timer and offset loaded across the exits it
 * handles itself (Documentation/el2.rst) and puts them away on the way
 * out; both kernels must give the host its own count.
 */
TEST_F(timer, host_count_after_guest_runs)
{
	struct mkvm_vcpu *vcpu;
	uint64_t before = host_count(), prev = before, now, guest;
	unsigned int i;

	self->vm = vm_create(guest_vtimer_armed, guest_vtimer_armed_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	for (i = 0; i < 200; i++) {
		guest = vcpu_report(vcpu);
		now = host_count();
		/* Not the guest's count, nor behind the last reading. */
		ASSERT_LE(prev, now) TH_LOG("run %u: host count %#llx after %#llx (guest's %#llx)",
					    i, (unsigned long long)now,
					    (unsigned long long)prev,
					    (unsigned long long)guest);
		prev = now;
	}
	/* Within 60 s of the first reading: TCG under load is slow, not that slow. */
	EXPECT_GT(before + 60 * host_cntfrq(), now);
	vcpu_free(vcpu);
}

/*
 * The guest's virtual timer fires about 1 ms after it is armed, unmasked,
 * while the guest spins with its interrupts masked for another 250 ms;
 * then it reports CNTV_CTL_EL0.
 */
MKVM_GUEST(guest_vtimer_fires,
	"mrs	x1, cntfrq_el0\n"
	"lsr	x2, x1, #10\n"
	"mrs	x0, cntvct_el0\n"
	"add	x3, x0, x2\n"
	"msr	cntv_cval_el0, x3\n"
	"mov	x4, #1\n"
	"msr	cntv_ctl_el0, x4\n"
	"isb\n"
	"lsr	x2, x1, #2\n"
	"add	x3, x3, x2\n"
	"1:	isb\n"
	"mrs	x0, cntvct_el0\n"
	"cmp	x0, x3\n"
	"b.lo	1b\n"
	"mrs	x0, cntv_ctl_el0\n"
	G_REPORT("x0")
	G_DONE);

/*
 * The host's count of the physical PPI a guest's virtual timer raises
 * (minikvm-vtimer, or the kernel's KVM's "kvm guest vtimer"), all CPUs.
 */
static long host_vtimer_irqs(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[1024], *p, *end;
	long sum = -1, n;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "vtimer"))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		sum = 0;
		for (p++;; p = end) {
			n = strtol(p, &end, 10);
			if (end == p)
				break;
			sum += n;
		}
		break;
	}
	fclose(f);
	return sum;
}

/*
 * A guest timer that fires stays the guest's business: the host takes its
 * PPI at most a few times (the exit it causes), however long the line
 * stays high.  minikvm keeps the timer armed across exits with IMASK set
 * (hyp/sysreg-sr.c); without the mask the PPI would fire into the host
 * again the moment it enables interrupts after the exit, and go on doing
 * so until the next entry - a storm on the vCPU's CPU.
 */
TEST_F(timer, fired_vtimer_stays_off_the_host)
{
	struct mkvm_vcpu *vcpu;
	long before, after;
	int fd;

	self->vm = vm_create(guest_vtimer_fires, guest_vtimer_fires_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	fd = _vm_vgic_create(self->vm);
	vgic_finish(fd);
	before = host_vtimer_irqs();
	/* ENABLE and ISTATUS: it fired, and the guest saw it high. */
	EXPECT_EQ(CTL_ENABLE | CTL_ISTATUS, vcpu_report(vcpu));
	after = host_vtimer_irqs();
	TH_LOG("host vtimer interrupts: %ld", after - before);
	ASSERT_LE(0, before) TH_LOG("no vtimer line in /proc/interrupts");
	EXPECT_GT(100, after - before);
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

/*
 * Acknowledge; mask the virtual timer (its line drops), count in x24, EOI.
 */
#define G_VTIMER_IRQ							\
	"mrs	x26, icc_iar1_el1\n"					\
	"cmp	x26, #1020\n"						\
	"b.hs	1f\n"							\
	"mov	x0, #2\n"						\
	"msr	cntv_ctl_el0, x0\n"					\
	"isb\n"								\
	"add	x24, x24, #1\n"						\
	"msr	icc_eoir1_el1, x26\n"					\
	"1:	eret\n"

#define WFI_ROUNDS		200
#define WFI_ROUNDS_STR		"200"

/*
 * WFI_ROUNDS times: arm the virtual timer about 120 us ahead (CNTFRQ /
 * 8192) and wait for its interrupt in WFI; then report how many came.
 */
MKVM_GUEST(guest_vtimer_wfi,
	G_VECTORS(G_VTIMER_IRQ)
	G_GIC_PPI30
	G_GIC_PPI27_ON
	"mrs	x1, cntfrq_el0\n"
	"lsr	x2, x1, #13\n"
	"mov	x5, #" WFI_ROUNDS_STR "\n"
	"2:	add	x6, x24, #1\n"
	G_VTIMER_ARM("x2")
	/* IRQs masked from the check to the WFI: no wake-up is lost. */
	"1:	cmp	x24, x6\n"
	"b.hs	3f\n"
	"wfi\n"
	"msr	daifclr, #2\n"
	"isb\n"
	"msr	daifset, #2\n"
	"b	1b\n"
	"3:	subs	x5, x5, #1\n"
	"b.ne	2b\n"
	G_REPORT("x24")
	G_DONE);

#define TRACEFS			"/sys/kernel/tracing"

static int tracefs_write(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), TRACEFS "/%s", file);
	return mkvm_write_file(path, val, O_TRUNC);
}

/* Lines of the trace buffer that name @a or @b. */
static long trace_count(const char *a, const char *b)
{
	FILE *f = fopen(TRACEFS "/trace", "r");
	char line[512];
	long n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, a) || strstr(line, b);
	fclose(f);
	return n;
}

/*
 * A WFI that halt polling ends queues no host timer: the poll watches the
 * guest's timer itself, and the hrtimer that wakes a sleeping vCPU
 * (minikvm's vtimer_expired, KVM's background timer kvm_bg_timer_expire)
 * is queued only when the vCPU goes to sleep, as KVM queues its
 * background timer only when the vCPU thread schedules out.  Counted with
 * the timer:hrtimer_start trace event over WFI_ROUNDS waits of about
 * 120 us each, which the polling window (KVM's, up to 500 us) grows to
 * cover after a few sleeps.  Queued and cancelled around every poll, the
 * hrtimer reprograms the host CPU's timer twice per WFI; under QEMU's
 * -icount that hands the machine to the other CPUs each time
 * (Documentation/io.rst).
 */
TEST_F(timer, polled_wfi_queues_no_host_timer)
{
	struct mkvm_vcpu *vcpu;
	long queued;
	int fd;

	if (access(TRACEFS "/trace", R_OK))
		mount("nodev", TRACEFS, "tracefs", 0, NULL);
	if (tracefs_write("events/timer/hrtimer_start/enable", "0"))
		SKIP(return, "no timer:hrtimer_start trace event");
	vcpu = irq_vm_create(&self->vm, guest_vtimer_wfi,
			     guest_vtimer_wfi_end, &fd);

	ASSERT_EQ(0, tracefs_write("tracing_on", "0"));
	ASSERT_EQ(0, tracefs_write("trace", ""));
	ASSERT_EQ(0, tracefs_write("events/timer/hrtimer_start/enable", "1"));
	ASSERT_EQ(0, tracefs_write("tracing_on", "1"));
	EXPECT_EQ(WFI_ROUNDS, vcpu_report_within(vcpu, 10 * mkvm_timeout_scale(),
						 KVM_REG_ARM_TIMER_CTL,
						 KVM_REG_ARM_TIMER_CVAL,
						 KVM_REG_ARM_TIMER_CNT));
	tracefs_write("tracing_on", "0");
	tracefs_write("events/timer/hrtimer_start/enable", "0");
	queued = trace_count("function=vtimer_expired",
			     "function=kvm_bg_timer_expire");
	tracefs_write("trace", "");
	TH_LOG("wake-up hrtimers queued over %d WFIs: %ld", WFI_ROUNDS, queued);
	ASSERT_LE(0, queued);
	/* A few sleeps while the window grows, more on a loaded boot (25 on vhe). */
	EXPECT_GT(WFI_ROUNDS / 2, queued);
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

/*
 * Acknowledge; count in x23 an interrupt taken while CNTV_CTL_EL0.ISTATUS
 * reads clear; disable the virtual timer (its line drops); count in x24;
 * EOI.
 */
#define G_VTIMER_ISTATUS_IRQ						\
	"mrs	x26, icc_iar1_el1\n"					\
	"cmp	x26, #1020\n"						\
	"b.hs	1f\n"							\
	"mrs	x25, cntv_ctl_el0\n"					\
	"tbnz	x25, #2, 2f\n"						\
	"add	x23, x23, #1\n"						\
	"2:	mov	x25, #2\n"					\
	"msr	cntv_ctl_el0, x25\n"					\
	"isb\n"								\
	"add	x24, x24, #1\n"						\
	"msr	icc_eoir1_el1, x26\n"					\
	"1:	eret\n"

#define LAG_ROUNDS		1000
#define LAG_ROUNDS_STR		"1000"

/*
 * LAG_ROUNDS times, interrupts masked: arm the virtual timer about 2 us
 * ahead (CNTFRQ >> 19), spin until the count passes the compare value,
 * note whether ISTATUS is still clear then (x19), and exit at once with
 * an HVC (PSCI_VERSION, answered by the hypervisor; it may clobber
 * x0-x3); back in the guest, unmask and wait for the interrupt.  Reports
 * the interrupts taken, those taken with ISTATUS clear, and the rounds
 * where ISTATUS lagged the count.
 */
MKVM_GUEST(guest_vtimer_istatus,
	G_VECTORS(G_VTIMER_ISTATUS_IRQ)
	G_GIC_PPI30
	G_GIC_PPI27_ON
	"mov	x23, #0\n"
	"mov	x19, #0\n"
	"mrs	x1, cntfrq_el0\n"
	"lsr	x7, x1, #19\n"
	"mov	x5, #" LAG_ROUNDS_STR "\n"
	"2:	add	x6, x24, #1\n"
	"isb\n"
	G_VTIMER_ARM("x7")
	"1:	isb\n"
	"mrs	x0, cntvct_el0\n"
	"cmp	x0, x3\n"
	"b.lo	1b\n"
	"mrs	x0, cntv_ctl_el0\n"
	"tbnz	x0, #2, 3f\n"
	"add	x19, x19, #1\n"
	"3:	movz	x0, #0x8400, lsl #16\n"
	"hvc	#0\n"
	"msr	daifclr, #2\n"
	"isb\n"
	"4:	cmp	x24, x6\n"
	"b.lo	4b\n"
	"msr	daifset, #2\n"
	"subs	x5, x5, #1\n"
	"b.ne	2b\n"
	G_REPORT("x24")
	G_REPORT("x23")
	G_REPORT("x19")
	G_DONE);

/*
 * A virtual timer interrupt never comes before the guest can read its
 * cause: in the handler, CNTV_CTL_EL0.ISTATUS is set.  The guest lets
 * the count pass the compare value and exits at once, so the entry that
 * follows decides the line just after the deadline.  A CPU may set
 * ISTATUS a little after the count got there (QEMU does, from a host
 * timer callback); an entry that compared counts would then inject an
 * interrupt the guest's timer does not show yet (timer.c,
 * vtimer_fired()).  The guest counts the rounds where it saw ISTATUS
 * lag: when there are none, this run could not have told.
 */
TEST_F(timer, vtimer_irq_not_before_istatus)
{
	struct mkvm_vcpu *vcpu;
	uint64_t taken, early, lagged;
	int fd;

	vcpu = irq_vm_create(&self->vm, guest_vtimer_istatus,
			     guest_vtimer_istatus_end, &fd);

	taken = vcpu_report_within(vcpu, 30 * mkvm_timeout_scale(),
				   KVM_REG_ARM_TIMER_CTL,
				   KVM_REG_ARM_TIMER_CVAL,
				   KVM_REG_ARM_TIMER_CNT);
	early = vcpu_report(vcpu);
	lagged = vcpu_report(vcpu);
	TH_LOG("%d rounds: ISTATUS lagged the count in %llu, interrupts "
	       "taken with ISTATUS clear %llu", LAG_ROUNDS,
	       (unsigned long long)lagged, (unsigned long long)early);
	EXPECT_EQ(LAG_ROUNDS, taken);
	EXPECT_EQ(0, early);
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

/*
 * Acknowledge; note the count (x10) and CNTV_CTL_EL0 (x11) on arrival;
 * disable the virtual timer; count in x24; EOI.
 */
#define G_VTIMER_ARRIVAL_IRQ						\
	"mrs	x26, icc_iar1_el1\n"					\
	"cmp	x26, #1020\n"						\
	"b.hs	1f\n"							\
	"isb\n"								\
	"mrs	x10, cntvct_el0\n"					\
	"mrs	x11, cntv_ctl_el0\n"					\
	"mov	x25, #2\n"						\
	"msr	cntv_ctl_el0, x25\n"					\
	"isb\n"								\
	"add	x24, x24, #1\n"						\
	"msr	icc_eoir1_el1, x26\n"					\
	"1:	eret\n"

/*
 * Arms the virtual timer about 8 ms ahead (CNTFRQ / 128), reports the
 * compare value (an exit to the VMM, with the timer armed), then waits
 * for the interrupt in WFI; reports arrival - CVAL and CTL on arrival.
 */
MKVM_GUEST(guest_vtimer_vmm_exit,
	G_VECTORS(G_VTIMER_ARRIVAL_IRQ)
	G_GIC_PPI30
	G_GIC_PPI27_ON
	"mrs	x1, cntfrq_el0\n"
	"lsr	x2, x1, #7\n"
	"isb\n"
	G_VTIMER_ARM("x2")
	G_REPORT("x3")
	"msr	daifclr, #2\n"
	"1:	cbnz	x24, 2f\n"
	"wfi\n"
	"b	1b\n"
	"2:	sub	x0, x10, x3\n"
	G_REPORT("x0")
	G_REPORT("x11")
	G_DONE);

/*
 * A virtual timer armed when KVM_RUN returns to the VMM fires at its
 * compare value, not at the next entry: that entry finds the timer put
 * away (off the CPU) and decides its line by comparing counts
 * (timer.c, vtimer_fired()).
 */
TEST_F(timer, vtimer_not_early_after_vmm_exit)
{
	struct mkvm_vcpu *vcpu;
	uint64_t cval, late;
	int fd;

	vcpu = irq_vm_create(&self->vm, guest_vtimer_vmm_exit,
			     guest_vtimer_vmm_exit_end, &fd);

	cval = vcpu_report(vcpu);
	EXPECT_NE(0, cval);
	late = vcpu_report_within(vcpu, 10 * mkvm_timeout_scale(),
				  KVM_REG_ARM_TIMER_CTL,
				  KVM_REG_ARM_TIMER_CVAL,
				  KVM_REG_ARM_TIMER_CNT);
	EXPECT_GT(1ull << 63, late) TH_LOG("IRQ %lld ticks before CVAL",
					   -(long long)late);
	EXPECT_EQ(CTL_ENABLE | CTL_ISTATUS, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

/* The guest's counters and physical timer, as it reads them. */
MKVM_GUEST(guest_counters,
	"isb\n"
	"mrs	x1, cntpct_el0\n"
	G_REPORT("x1")
	"mrs	x1, cntvct_el0\n"
	G_REPORT("x1")
	"mrs	x1, cntp_cval_el0\n"
	G_REPORT("x1")
	"mrs	x1, cntp_ctl_el0\n"
	G_REPORT("x1")
	G_DONE);

static void expect_count(struct __test_metadata *_metadata, uint64_t base,
			 uint64_t got, const char *what)
{
	/* Within 60 s of the value set: TCG under load is slow, not that slow. */
	EXPECT_LE(base, got) TH_LOG("%s %#llx, set %#llx", what,
				    (unsigned long long)got,
				    (unsigned long long)base);
	EXPECT_GT(base + 60 * host_cntfrq(), got) TH_LOG("%s %#llx, set %#llx",
		what, (unsigned long long)got, (unsigned long long)base);
}

/*
 * ONE_REG: KVM_REG_ARM_PTIMER_CTL/CVAL read back (CTL with ISTATUS
 * computed), PTIMER_CNT and TIMER_CNT move the VM's two counters apart,
 * for every vCPU, and the guest sees what was set (its CNTPCT_EL0 now
 * trapped and offset).  KVM_GET_REG_LIST names the six timer ids once.
 */
TEST_F(timer, one_reg_round_trip)
{
	static const uint64_t ids[] = {
		KVM_REG_ARM_TIMER_CTL, KVM_REG_ARM_TIMER_CNT,
		KVM_REG_ARM_TIMER_CVAL, KVM_REG_ARM_PTIMER_CTL,
		KVM_REG_ARM_PTIMER_CNT, KVM_REG_ARM_PTIMER_CVAL,
	};
	const uint64_t pcnt = 1ull << 40, vcnt = 1ull << 41;
	struct mkvm_vcpu *vcpu, *vcpu1;
	struct kvm_reg_list *list;
	unsigned int i, j, found;

	self->vm = vm_create(guest_counters, guest_counters_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu1 = vm_vcpu_add(self->vm, 1);

	vcpu_set_reg(vcpu, KVM_REG_ARM_PTIMER_CVAL, ~0ull);
	EXPECT_EQ(~0ull, vcpu_get_reg(vcpu, KVM_REG_ARM_PTIMER_CVAL));
	vcpu_set_reg(vcpu, KVM_REG_ARM_PTIMER_CTL, CTL_ENABLE | CTL_IMASK);
	EXPECT_EQ(CTL_ENABLE | CTL_IMASK,
		  vcpu_get_reg(vcpu, KVM_REG_ARM_PTIMER_CTL));
	vcpu_set_reg(vcpu, KVM_REG_ARM_PTIMER_CVAL, 0);
	EXPECT_EQ(CTL_ENABLE | CTL_IMASK | CTL_ISTATUS,
		  vcpu_get_reg(vcpu, KVM_REG_ARM_PTIMER_CTL));
	EXPECT_EQ(0, vcpu_get_reg(vcpu1, KVM_REG_ARM_PTIMER_CTL) &
		     (CTL_ENABLE | CTL_IMASK));

	vcpu_set_reg(vcpu, KVM_REG_ARM_PTIMER_CNT, pcnt);
	vcpu_set_reg(vcpu1, KVM_REG_ARM_TIMER_CNT, vcnt);
	expect_count(_metadata, pcnt,
		     vcpu_get_reg(vcpu1, KVM_REG_ARM_PTIMER_CNT), "vcpu1 PCNT");
	expect_count(_metadata, vcnt,
		     vcpu_get_reg(vcpu, KVM_REG_ARM_TIMER_CNT), "vcpu0 VCNT");

	expect_count(_metadata, pcnt, vcpu_report(vcpu), "guest CNTPCT");
	expect_count(_metadata, vcnt, vcpu_report(vcpu), "guest CNTVCT");
	EXPECT_EQ(0, vcpu_report(vcpu));
	EXPECT_EQ(CTL_ENABLE | CTL_IMASK | CTL_ISTATUS, vcpu_report(vcpu));
	vcpu_done(vcpu);

	list = calloc(1, sizeof(*list) + 1024 * sizeof(uint64_t));
	ASSERT_NE(NULL, list);
	list->n = 1024;
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_GET_REG_LIST, list));
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		for (j = 0, found = 0; j < list->n; j++)
			found += list->reg[j] == ids[i];
		EXPECT_EQ(1, found) TH_LOG("id %#llx",
					   (unsigned long long)ids[i]);
	}
	free(list);
	vcpu_free(vcpu1);
	vcpu_free(vcpu);
}

MKVM_GUEST(guest_spin, "b	.\n");

static void *run_fn(void *arg)
{
	struct mkvm_vcpu *vcpu = arg;

	return (void *)(intptr_t)_vcpu_run(vcpu);
}

/*
 * KVM_ARM_SET_COUNTER_OFFSET: both counters at the machine's count less
 * the offset, for good (ONE_REG count writes are then ignored); reserved
 * must be zero; -EBUSY while a vCPU runs.
 */
TEST_F(timer, counter_offset)
{
	struct kvm_arm_counter_offset off = { 0 };
	struct mkvm_vcpu *vcpu;
	pthread_t t;
	void *ret;
	uint64_t base;
	int i, r = 0;

	self->vm = vm_create(guest_spin, guest_spin_end);
	EXPECT_EQ(1, ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_COUNTER_OFFSET));
	vcpu = vm_vcpu_add(self->vm, 0);
	EXPECT_EQ(-EFAULT, mkvm_ioctl(self->vm->fd, KVM_ARM_SET_COUNTER_OFFSET,
				      NULL));
	off.reserved = 1;
	EXPECT_EQ(-EINVAL, mkvm_ioctl(self->vm->fd, KVM_ARM_SET_COUNTER_OFFSET,
				      &off));
	base = 1000;
	off.reserved = 0;
	off.counter_offset = host_count() - base;
	ASSERT_EQ(0, mkvm_ioctl(self->vm->fd, KVM_ARM_SET_COUNTER_OFFSET,
				&off));
	expect_count(_metadata, base,
		     vcpu_get_reg(vcpu, KVM_REG_ARM_TIMER_CNT), "VCNT");
	expect_count(_metadata, base,
		     vcpu_get_reg(vcpu, KVM_REG_ARM_PTIMER_CNT), "PCNT");
	/* The VMM chose the offset: a count written now changes nothing. */
	vcpu_set_reg(vcpu, KVM_REG_ARM_TIMER_CNT, 1ull << 50);
	vcpu_set_reg(vcpu, KVM_REG_ARM_PTIMER_CNT, 1ull << 50);
	expect_count(_metadata, base,
		     vcpu_get_reg(vcpu, KVM_REG_ARM_TIMER_CNT), "VCNT");
	expect_count(_metadata, base,
		     vcpu_get_reg(vcpu, KVM_REG_ARM_PTIMER_CNT), "PCNT");

	mkvm_install_kick_handler(SIGUSR1);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_fn, vcpu));
	/* Until the thread is in KVM_RUN, the same offset is set again. */
	for (i = 0; i < 100; i++) {
		r = mkvm_ioctl(self->vm->fd, KVM_ARM_SET_COUNTER_OFFSET, &off);
		if (r)
			break;
		usleep(50000);
	}
	EXPECT_EQ(-EBUSY, r);
	do {
		pthread_kill(t, SIGUSR1);
		usleep(10000);
	} while (pthread_tryjoin_np(t, &ret));
	EXPECT_EQ(-EINTR, (int)(intptr_t)ret);
	vcpu_free(vcpu);
}

TEST_HARNESS_MAIN
