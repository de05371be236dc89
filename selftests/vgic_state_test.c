// SPDX-License-Identifier: GPL-2.0
/*
 * The vGIC's save/restore groups, as a VMM saving and restoring a VM uses
 * them (QEMU's kvm_arm_gicv3_get/put): KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
 * REDIST_REGS, CPU_SYSREGS, LEVEL_INFO and the SAVE_PENDING_TABLES
 * control - values written read back, reach the guest, come back from
 * it, and the errors of Documentation/virt/kvm/devices/arm-vgic-v3.rst.
 */
#include "kselftest_harness.h"
#include "mkvm_vm.h"
#include "mkvm_gic.h"

#define G_DIST		KVM_DEV_ARM_VGIC_GRP_DIST_REGS
#define G_REDIST	KVM_DEV_ARM_VGIC_GRP_REDIST_REGS
#define G_SYSREG	KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS
#define G_LEVEL		KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO

/* attr for a redistributor or CPU interface: the vCPU's affinity. */
#define AFF(mpidr)	((uint64_t)(mpidr) << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT)

/* CPU_SYSREGS instr fields: op0 15:14, op1 13:11, CRn 10:7, CRm 6:3, op2. */
#define ICC(op1, crn, crm, op2) \
	((3 << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))
#define ICC_PMR		ICC(0, 4, 6, 0)
#define ICC_BPR0	ICC(0, 12, 8, 3)
#define ICC_AP0R0	ICC(0, 12, 8, 4)
#define ICC_AP1R0	ICC(0, 12, 9, 0)
#define ICC_AP1R3	ICC(0, 12, 9, 3)
#define ICC_SGI1R	ICC(0, 12, 11, 5)	/* not a saved register */
#define ICC_BPR1	ICC(0, 12, 12, 3)
#define ICC_CTLR	ICC(0, 12, 12, 4)
#define ICC_SRE		ICC(0, 12, 12, 5)
#define ICC_IGRPEN1	ICC(0, 12, 12, 7)
#define CTLR_PRIBITS	(7u << 8)

#define D_CTLR		0x0000
#define D_IIDR		0x0008
#define D_IGROUPR1	0x0084
#define D_ISENABLER1	0x0104
#define D_ICENABLER1	0x0184
#define D_ISPENDR1	0x0204
#define D_ICPENDR1	0x0284
#define D_IPRIORITYR8	0x0420
#define D_ICFGR2	0x0c08
#define D_IROUTER(n)	(0x6000 + 8 * (n))
#define R_WAKER		0x0014
#define R_SGI		0x10000
#define R_ISENABLER0	(R_SGI + 0x100)
#define R_IPRIORITYR0	(R_SGI + 0x400)

MKVM_VM_FIXTURE(state);

/* Reports ICC_PMR_EL1 and ICC_IGRPEN1_EL1, sets them from x1/x2, again. */
MKVM_GUEST(guest_icc,
	"mrs	x3, icc_pmr_el1\n"
	G_REPORT("x3")
	"mrs	x3, icc_igrpen1_el1\n"
	G_REPORT("x3")
	"msr	icc_pmr_el1, x1\n"
	"msr	icc_igrpen1_el1, x2\n"
	"isb\n"
	G_REPORT("xzr")
	G_DONE);

/* Sits in a loop: KVM_RUN returns only for a signal. */
MKVM_GUEST(guest_spin, "b	.\n");

static int get32(int fd, uint32_t group, uint64_t attr, uint32_t *val)
{
	return _vgic_attr(fd, false, group, attr, val);
}

static int set32(int fd, uint32_t group, uint64_t attr, uint32_t val)
{
	return _vgic_attr(fd, true, group, attr, &val);
}

static uint32_t rd32(int fd, uint32_t group, uint64_t attr)
{
	uint32_t val = 0xdeadbeef;
	int ret = get32(fd, group, attr, &val);

	MKVM_CHECK(!ret, "get group %u attr %#llx: %s", group,
		   (unsigned long long)attr, strerror(-ret));
	return val;
}

static void wr32(int fd, uint32_t group, uint64_t attr, uint32_t val)
{
	int ret = set32(fd, group, attr, val);

	MKVM_CHECK(!ret, "set group %u attr %#llx: %s", group,
		   (unsigned long long)attr, strerror(-ret));
}

static uint64_t rd64(int fd, uint64_t attr)
{
	uint64_t val = 0xdeadbeef;
	int ret = _vgic_attr(fd, false, G_SYSREG, attr, &val);

	MKVM_CHECK(!ret, "get sysreg %#llx: %s", (unsigned long long)attr,
		   strerror(-ret));
	return val;
}

static int set64(int fd, uint64_t attr, uint64_t val)
{
	return _vgic_attr(fd, true, G_SYSREG, attr, &val);
}

static int has_attr(int fd, uint32_t group, uint64_t attr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr };

	return mkvm_ioctl(fd, KVM_HAS_DEVICE_ATTR, &a);
}

/* A VM with two vCPUs (MPIDR 0 and 1) and an initialised vGIC. */
static int two_vcpus_vgic(struct mkvm_vm *vm, const char *code_start,
			  const char *code_end, struct mkvm_vcpu **v)
{
	if (code_start)
		vm_load_code(vm, MKVM_CODE_IPA, code_start, code_end);
	v[0] = vm_vcpu_add(vm, 0);
	v[1] = vm_vcpu_add(vm, 1);
	return vm_vgic_setup(vm);
}

TEST_F(state, errors)
{
	uint32_t val;
	int fd;

	self->vm = vm_create(NULL, NULL);
	fd = vm_vgic_create(self->vm);
	/* No vCPU to name: -EINVAL, before anything else. */
	EXPECT_EQ(-EINVAL, get32(fd, G_DIST, D_CTLR, &val));
	vm_vcpu_add(self->vm, 0);
	vm_vcpu_add(self->vm, 1);
	/* Not initialised: -EBUSY. */
	EXPECT_EQ(-EBUSY, get32(fd, G_DIST, D_CTLR, &val));
	EXPECT_EQ(-EBUSY, get32(fd, G_REDIST, AFF(1) | R_WAKER, &val));
	EXPECT_EQ(0, _vgic_set_nr_irqs(fd, 64));
	EXPECT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_DIST, GICD_IPA));
	EXPECT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_REDIST,
				    GICR_IPA));
	EXPECT_EQ(0, _vgic_init(fd));

	/* An affinity no vCPU has. */
	EXPECT_EQ(-EINVAL, get32(fd, G_REDIST, AFF(7) | R_WAKER, &val));
	EXPECT_EQ(-EINVAL, has_attr(fd, G_REDIST, AFF(7) | R_WAKER));
	EXPECT_EQ(-EINVAL, _vgic_attr(fd, false, G_SYSREG, AFF(7) | ICC_PMR,
				      &val));
	/*
	 * Offsets the groups do not have, unaligned ones, interrupts the VM
	 * does not have (64: SPIs up to 63): HAS_DEVICE_ATTR says -ENXIO,
	 * an access reads 0 and ignores a write.
	 */
	EXPECT_EQ(-ENXIO, has_attr(fd, G_DIST, 0xc000));
	EXPECT_EQ(-ENXIO, has_attr(fd, G_DIST, D_ISENABLER1 + 1));
	EXPECT_EQ(-ENXIO, has_attr(fd, G_REDIST, AFF(0) | 0x8000));
	EXPECT_EQ(-ENXIO, has_attr(fd, G_DIST, D_ISENABLER1 + 4));
	EXPECT_EQ(-ENXIO, has_attr(fd, G_DIST, D_IROUTER(64)));
	EXPECT_EQ(0, has_attr(fd, G_DIST, D_IROUTER(63)));
	EXPECT_EQ(0, has_attr(fd, G_REDIST, AFF(1) | R_WAKER));
	val = 0x1234;
	EXPECT_EQ(0, get32(fd, G_DIST, 0xc000, &val));
	EXPECT_EQ(0, val);
	EXPECT_EQ(0, set32(fd, G_DIST, 0xc000, 0xffffffff));
	EXPECT_EQ(0, set32(fd, G_DIST, D_ISENABLER1 + 4, 0xffffffff));
	EXPECT_EQ(0, rd32(fd, G_DIST, D_ISENABLER1 + 4));
	/* A CPU interface register the group does not save. */
	EXPECT_EQ(-ENOENT, _vgic_attr(fd, false, G_SYSREG, ICC_SGI1R, &val));
	EXPECT_EQ(-ENXIO, has_attr(fd, G_SYSREG, ICC_SGI1R));
	EXPECT_EQ(0, has_attr(fd, G_SYSREG, AFF(1) | ICC_PMR));
	/* LEVEL_INFO: an INTID not a multiple of 32, or another info. */
	EXPECT_EQ(-EINVAL, get32(fd, G_LEVEL, 33, &val));
	EXPECT_EQ(-EINVAL, get32(fd, G_LEVEL, (1ull << 10) | 32, &val));
	EXPECT_EQ(-ENXIO, has_attr(fd, G_LEVEL, (1ull << 10) | 32));
	EXPECT_EQ(0, has_attr(fd, G_LEVEL, 32));
	/* ICC_SRE_EL1 must keep SRE; ICC_CTLR_EL1 no more PRIbits than here. */
	EXPECT_EQ(-EINVAL, set64(fd, ICC_SRE, 0));
	EXPECT_EQ(0, set64(fd, ICC_SRE, rd64(fd, ICC_SRE)));
	EXPECT_EQ(0, set64(fd, ICC_CTLR, rd64(fd, ICC_CTLR)));
	if ((rd64(fd, ICC_CTLR) & CTLR_PRIBITS) != CTLR_PRIBITS)
		EXPECT_EQ(-EINVAL, set64(fd, ICC_CTLR,
					 rd64(fd, ICC_CTLR) | CTLR_PRIBITS));
	/* The identification register may only be written as it reads. */
	val = rd32(fd, G_DIST, D_IIDR);
	EXPECT_EQ(0, set32(fd, G_DIST, D_IIDR, val));
	EXPECT_EQ(-EINVAL, set32(fd, G_DIST, D_IIDR, val ^ 0xff000000));
	/* Bad pointers. */
	EXPECT_EQ(-EFAULT, _vgic_attr(fd, false, G_DIST, D_CTLR, NULL));
	EXPECT_EQ(-EFAULT, _vgic_attr(fd, true, G_DIST, D_CTLR, NULL));
	EXPECT_EQ(-EFAULT, _vgic_attr(fd, false, G_SYSREG, ICC_PMR, NULL));
	/* Without LPIs, saving the pending tables has nothing to do. */
	EXPECT_EQ(0, has_attr(fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES));
	EXPECT_EQ(0, _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
				KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, NULL));
	close(fd);
}

/* Distributor registers: what the VMM writes it reads back. */
TEST_F(state, dist_round_trip)
{
	struct mkvm_vcpu *v[2];
	int fd;

	self->vm = vm_create(NULL, NULL);
	fd = two_vcpus_vgic(self->vm, NULL, NULL, v);
	wr32(fd, G_DIST, D_CTLR, rd32(fd, G_DIST, D_CTLR) | 2);
	EXPECT_EQ(2, rd32(fd, G_DIST, D_CTLR) & 2);	/* EnableGrp1A */
	wr32(fd, G_DIST, D_IGROUPR1, 0x0000ffff);
	EXPECT_EQ(0x0000ffff, rd32(fd, G_DIST, D_IGROUPR1));
	wr32(fd, G_DIST, D_ISENABLER1, 0x00f000f0);
	EXPECT_EQ(0x00f000f0, rd32(fd, G_DIST, D_ISENABLER1));
	wr32(fd, G_DIST, D_ICENABLER1, 0x00100010);
	EXPECT_EQ(0x00e000e0, rd32(fd, G_DIST, D_ISENABLER1));
	wr32(fd, G_DIST, D_IPRIORITYR8, 0xa0b0c0d0);
	EXPECT_EQ(0xa0b0c0d0, rd32(fd, G_DIST, D_IPRIORITYR8));
	wr32(fd, G_DIST, D_ICFGR2, 0xaaaa0000);	/* SPIs 40..47 edge */
	EXPECT_EQ(0xaaaa0000, rd32(fd, G_DIST, D_ICFGR2));
	/* IROUTER: 64 bits as two words; SPI 33 to the vCPU at 0.0.0.1. */
	wr32(fd, G_DIST, D_IROUTER(33), 1);
	wr32(fd, G_DIST, D_IROUTER(33) + 4, 0);
	EXPECT_EQ(1, rd32(fd, G_DIST, D_IROUTER(33)));
	EXPECT_EQ(0, rd32(fd, G_DIST, D_IROUTER(33) + 4));
	close(fd);
}

/* Each vCPU's redistributor is its own: named by affinity. */
TEST_F(state, redist_per_vcpu)
{
	struct mkvm_vcpu *v[2];
	int fd;

	self->vm = vm_create(NULL, NULL);
	fd = two_vcpus_vgic(self->vm, NULL, NULL, v);
	wr32(fd, G_REDIST, AFF(1) | R_IPRIORITYR0, 0x10203040);
	wr32(fd, G_REDIST, AFF(1) | R_ISENABLER0, 0x00ff0000);
	EXPECT_EQ(0x10203040, rd32(fd, G_REDIST, AFF(1) | R_IPRIORITYR0));
	/* PPIs 16..23; the SGIs cannot be disabled with affinity routing. */
	EXPECT_EQ(0x00ffffff, rd32(fd, G_REDIST, AFF(1) | R_ISENABLER0));
	EXPECT_EQ(0x0000ffff, rd32(fd, G_REDIST, AFF(0) | R_ISENABLER0));
	EXPECT_EQ(0, rd32(fd, G_REDIST, AFF(0) | R_IPRIORITYR0));
	close(fd);
}

/*
 * ISPENDR through this interface is the latch alone, the line is
 * LEVEL_INFO: a level SPI held high reads 0 in one and 1 in the other;
 * ISPENDR sets latches, ICPENDR is RAZ/WI.
 */
TEST_F(state, pending_latch_and_line)
{
	struct mkvm_vcpu *v[2];
	int fd;

	self->vm = vm_create(NULL, NULL);
	fd = two_vcpus_vgic(self->vm, NULL, NULL, v);
	wr32(fd, G_DIST, D_ICFGR2, 0x0);	/* SPIs 32..47 level */
	spi_line(self->vm, 40, 1);
	EXPECT_EQ(0, rd32(fd, G_DIST, D_ISPENDR1) & (1u << 8));
	EXPECT_EQ(1u << 8, rd32(fd, G_LEVEL, 32) & (1u << 8));
	spi_line(self->vm, 40, 0);
	EXPECT_EQ(0, rd32(fd, G_LEVEL, 32) & (1u << 8));

	/* Lines written back, as on a restore: SPI 41 high. */
	wr32(fd, G_LEVEL, 32, 1u << 9);
	EXPECT_EQ(1u << 9, rd32(fd, G_LEVEL, 32));

	wr32(fd, G_DIST, D_ISPENDR1, 1u << 12);
	EXPECT_EQ(1u << 12, rd32(fd, G_DIST, D_ISPENDR1));
	EXPECT_EQ(0, rd32(fd, G_DIST, D_ICPENDR1));
	wr32(fd, G_DIST, D_ICPENDR1, 1u << 12);
	EXPECT_EQ(1u << 12, rd32(fd, G_DIST, D_ISPENDR1));
	/* The word is the latches: a 0 clears one. */
	wr32(fd, G_DIST, D_ISPENDR1, 1u << 13);
	EXPECT_EQ(1u << 13, rd32(fd, G_DIST, D_ISPENDR1));
	close(fd);
}

/*
 * The CPU interface: what the VMM restores is what the guest reads,
 * and what the guest set is what the VMM saves.
 */
TEST_F(state, cpu_sysregs_reach_guest)
{
	struct mkvm_vcpu *v[2];
	uint64_t bpr0;
	int fd;

	self->vm = vm_create(NULL, NULL);
	fd = two_vcpus_vgic(self->vm, guest_icc, guest_icc_end, v);
	EXPECT_EQ(0, set64(fd, ICC_PMR, 0xf0));
	EXPECT_EQ(0xf0, rd64(fd, ICC_PMR));
	EXPECT_EQ(0, set64(fd, ICC_IGRPEN1, 1));
	EXPECT_EQ(1, rd64(fd, ICC_IGRPEN1));
	EXPECT_EQ(0, set64(fd, ICC_BPR0, 2));
	bpr0 = rd64(fd, ICC_BPR0);
	EXPECT_LE(2, bpr0);	/* at least the minimum the CPU has */
	EXPECT_EQ(0, set64(fd, ICC_AP1R0, 0x1));
	EXPECT_EQ(0x1, rd64(fd, ICC_AP1R0));
	EXPECT_EQ(0, set64(fd, ICC_AP1R0, 0));
	/* vCPU 1 is untouched. */
	EXPECT_EQ(0, rd64(fd, AFF(1) | ICC_PMR));
	EXPECT_EQ(1, rd64(fd, ICC_SRE) & 1);	/* SRE */

	vcpu_set_reg(v[0], MKVM_XREG(1), 0xa0);
	vcpu_set_reg(v[0], MKVM_XREG(2), 0);
	EXPECT_EQ(0xf0, vcpu_report(v[0]));
	EXPECT_EQ(1, vcpu_report(v[0]));
	vcpu_report(v[0]);
	EXPECT_EQ(0xa0, rd64(fd, ICC_PMR));
	EXPECT_EQ(0, rd64(fd, ICC_IGRPEN1));
	/* The save survives the guest's next entry and exit unchanged. */
	vcpu_done(v[0]);
	EXPECT_EQ(0xa0, rd64(fd, ICC_PMR));
	EXPECT_EQ(bpr0, rd64(fd, ICC_BPR0));
	close(fd);
}

/* An AP register beyond the CPU's priority bits does not exist. */
TEST_F(state, apr_range)
{
	struct mkvm_vcpu *v[2];
	uint64_t val;
	int fd;

	self->vm = vm_create(NULL, NULL);
	fd = two_vcpus_vgic(self->vm, NULL, NULL, v);
	EXPECT_EQ(0, _vgic_attr(fd, false, G_SYSREG, ICC_AP0R0, &val));
	/* 5 priority bits (QEMU's): AP1R0 only; 7 bits: up to AP1R3. */
	if (((rd64(fd, ICC_CTLR) & CTLR_PRIBITS) >> 8) < 6)
		EXPECT_EQ(-EINVAL, _vgic_attr(fd, false, G_SYSREG, ICC_AP1R3,
					      &val));
	close(fd);
}

static void *run_thread(void *arg)
{
	struct mkvm_vcpu *vcpu = arg;

	return (void *)(intptr_t)_vcpu_run(vcpu);
}

/* A vCPU in KVM_RUN: the state cannot be read or written (-EBUSY). */
TEST_F(state, busy_while_running)
{
	struct mkvm_vcpu *v[2];
	pthread_t t;
	uint32_t val;
	void *ret;
	int fd, i, busy = 0;

	self->vm = vm_create(NULL, NULL);
	fd = two_vcpus_vgic(self->vm, guest_spin, guest_spin_end, v);
	mkvm_install_kick_handler(SIGUSR1);
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, v[1]));
	/* Until the thread is in KVM_RUN (it never leaves on its own). */
	for (i = 0; i < 500 && !busy; i++) {
		usleep(10000);
		busy = get32(fd, G_DIST, D_CTLR, &val) == -EBUSY;
	}
	EXPECT_TRUE(busy);
	EXPECT_EQ(-EBUSY, set64(fd, ICC_PMR, 0xf0));
	EXPECT_EQ(-EBUSY, _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
				     KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES,
				     NULL));
	pthread_kill(t, SIGUSR1);
	pthread_join(t, &ret);
	EXPECT_EQ(-EINTR, (intptr_t)ret);
	EXPECT_EQ(0, get32(fd, G_DIST, D_CTLR, &val));
	close(fd);
}

TEST_HARNESS_MAIN
