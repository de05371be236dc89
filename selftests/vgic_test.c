// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel vGICv3 through the KVM API: the device-attribute rules of
 * KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_V3) and KVM_IRQ_LINE, with the
 * errors the kernel's KVM gives (arch/arm64/kvm/vgic/vgic-kvm-device.c,
 * vgic-init.c, vgic-v3.c, arm.c kvm_vm_ioctl_irq_line()); then guests that
 * program the distributor, their redistributor and the CPU interface and
 * take SPIs, SGIs and the virtual timer's PPI.
 */
#include <semaphore.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"
#include "mkvm_gic.h"
#include "mkvm_stats.h"

#define BEYOND_IPA		(1ull << 40)	/* the default IPA size */

MKVM_VM_FIXTURE(vgic);

/* A guest that only says it is done, for tests that need a run. */
MKVM_GUEST(guest_done, G_DONE);

/*
 * KVM_CREATE_DEVICE: the TEST flag only asks, a vGICv3 is created once,
 * and an unknown type is -ENODEV.
 */
TEST_F(vgic, create_device)
{
	int fd = -1;

	self->vm = vm_create_bare();
	EXPECT_EQ(0, _vm_vgic_create_type(self->vm, KVM_DEV_TYPE_ARM_VGIC_V3,
				       KVM_CREATE_DEVICE_TEST, NULL));
	EXPECT_EQ(0, _vm_vgic_create_type(self->vm, KVM_DEV_TYPE_ARM_VGIC_V3,
				       0, &fd));
	EXPECT_LE(0, fd);
	EXPECT_EQ(-EEXIST, _vm_vgic_create_type(self->vm,
					     KVM_DEV_TYPE_ARM_VGIC_V3, 0,
					     NULL));
	/* TEST asks whether the type exists, not whether one can be made. */
	EXPECT_EQ(0, _vm_vgic_create_type(self->vm, KVM_DEV_TYPE_ARM_VGIC_V3,
				       KVM_CREATE_DEVICE_TEST, NULL));
	EXPECT_EQ(-ENODEV, _vm_vgic_create_type(self->vm, 0x4242, 0, NULL));
	EXPECT_EQ(-ENODEV, _vm_vgic_create_type(self->vm, 0x4242,
					     KVM_CREATE_DEVICE_TEST, NULL));
	close(fd);
}

/* A vGIC comes before the first KVM_RUN or not at all. */
TEST_F(vgic, create_after_run_is_ebusy)
{
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_done, guest_done_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_done(vcpu);
	EXPECT_EQ(-EBUSY, _vm_vgic_create_type(self->vm,
					    KVM_DEV_TYPE_ARM_VGIC_V3, 0, NULL));
	vcpu_free(vcpu);
}

struct attr_step {
	const char *what;
	bool set;
	uint32_t group;
	uint64_t attr;
	uint64_t val;		/* set, or expected from a get */
	int ret;
};

#define ADDR_SET(what, type, ipa, ret)					\
	{ what, true, KVM_DEV_ARM_VGIC_GRP_ADDR,			\
	  KVM_VGIC_V3_ADDR_TYPE_##type, ipa, ret }
#define ADDR_GET(what, type, ipa)					\
	{ what, false, KVM_DEV_ARM_VGIC_GRP_ADDR,			\
	  KVM_VGIC_V3_ADDR_TYPE_##type, ipa, 0 }
#define NR_SET(what, nr, ret)						\
	{ what, true, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, nr, ret }
#define NR_GET(what, nr)						\
	{ what, false, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, nr, 0 }

/* In order, on one vGIC of a VM with one vCPU (128 KiB of redistributor). */
static const struct attr_step addr_steps[] = {
	ADDR_SET("dist misaligned", DIST, GICD_IPA + 0x1000, -EINVAL),
	ADDR_SET("dist beyond the IPA space", DIST, BEYOND_IPA, -E2BIG),
	ADDR_SET("dist", DIST, GICD_IPA, 0),
	ADDR_SET("dist twice", DIST, GICD_IPA + 0x10000, -EEXIST),
	ADDR_SET("redist misaligned", REDIST, GICR_IPA + 0x8000, -EINVAL),
	ADDR_SET("redist beyond the IPA space", REDIST, BEYOND_IPA, -E2BIG),
	ADDR_SET("redist frames across the end of the IPA space", REDIST,
		 BEYOND_IPA - 0x10000, -E2BIG),
	ADDR_SET("redist overlapping the dist", REDIST, GICD_IPA, -EINVAL),
	ADDR_SET("redist ending inside the dist", REDIST, GICD_IPA - 0x10000,
		 -EINVAL),
	ADDR_SET("redist", REDIST, GICR_IPA, 0),
	ADDR_SET("redist twice", REDIST, GICR_IPA + 0x20000, -EEXIST),
	ADDR_GET("get dist", DIST, GICD_IPA),
	ADDR_GET("get redist", REDIST, GICR_IPA),
	{ "GICv2 dist on a GICv3", true, KVM_DEV_ARM_VGIC_GRP_ADDR,
	  KVM_VGIC_V2_ADDR_TYPE_DIST, 0x09000000, -ENXIO },
	{ "unknown addr attr (set)", true, KVM_DEV_ARM_VGIC_GRP_ADDR, 0x42,
	  0x09000000, -ENXIO },
	{ "unknown addr attr (get)", false, KVM_DEV_ARM_VGIC_GRP_ADDR, 0x42,
	  0, -ENXIO },
	{ "unknown group", true, 0x4242, 0, 0, -ENXIO },
	{ "unknown ctrl attr", true, KVM_DEV_ARM_VGIC_GRP_CTRL, 0x42, 0,
	  -ENXIO },
};

static const struct attr_step nr_irqs_steps[] = {
	NR_SET("fewer than 32 SPIs", 32, -EINVAL),
	NR_SET("not a multiple of 32", 100, -EINVAL),
	NR_SET("more than 1020 SPIs", 1024, -EINVAL),
	NR_SET("most", 992, 0),
	NR_GET("get", 992),
	NR_SET("twice", 96, -EBUSY),
	NR_GET("get after twice", 992),
};

static void run_attr_steps(struct __test_metadata *_metadata, int fd,
			   const struct attr_step *steps, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct attr_step *s = &steps[i];
		uint64_t val = s->set ? s->val : 0xdeadbeefdeadbeefull;
		uint32_t val32 = s->set ? s->val : 0xdeadbeef;
		void *ptr = s->group == KVM_DEV_ARM_VGIC_GRP_NR_IRQS ?
			    (void *)&val32 : (void *)&val;

		EXPECT_EQ(s->ret, _vgic_attr(fd, s->set, s->group, s->attr, ptr))
			TH_LOG("%s", s->what);
		if (s->set || s->ret)
			continue;
		if (ptr == &val32)
			val = val32;
		EXPECT_EQ(s->val, val) TH_LOG("%s", s->what);
	}
}

TEST_F(vgic, addr_rules)
{
	struct mkvm_vcpu *vcpu;
	int fd;

	self->vm = vm_create(guest_done, guest_done_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	fd = vm_vgic_create(self->vm);
	run_attr_steps(_metadata, fd, addr_steps, ARRAY_SIZE(addr_steps));
	vcpu_free(vcpu);
	close(fd);
}

TEST_F(vgic, nr_irqs_rules)
{
	int fd;

	self->vm = vm_create_bare();
	fd = vm_vgic_create(self->vm);
	run_attr_steps(_metadata, fd, nr_irqs_steps, ARRAY_SIZE(nr_irqs_steps));
	close(fd);
}

/* Addresses given or taken from an unmapped user pointer. */
TEST_F(vgic, attr_bad_pointer_is_efault)
{
	void *bad = (void *)8;
	int fd;

	self->vm = vm_create_bare();
	fd = vm_vgic_create(self->vm);
	EXPECT_EQ(-EFAULT, _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				      KVM_VGIC_V3_ADDR_TYPE_DIST, bad));
	EXPECT_EQ(-EFAULT, _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				      KVM_VGIC_V3_ADDR_TYPE_REDIST, bad));
	EXPECT_EQ(-EFAULT, _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
				      0, bad));
	ASSERT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_DIST, GICD_IPA));
	EXPECT_EQ(-EFAULT, _vgic_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_ADDR,
				      KVM_VGIC_V3_ADDR_TYPE_DIST, bad));
	close(fd);
}

/* A KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION value. */
#define RR(count, base, flags, index)					\
	((uint64_t)(count) << 52 | (base) | (uint64_t)(flags) << 12 | (index))

struct rr_step {
	const char *what;
	bool set;
	uint64_t type;		/* KVM_VGIC_V3_ADDR_TYPE_* */
	uint64_t val;		/* set, or given to a get (the index) */
	int ret;
	uint64_t want;		/* from a get */
};

#define RR_SET(what, c, b, f, i, ret)					\
	{ what, true, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, RR(c, b, f, i), ret }
#define RR_GET(what, i, ret, want)					\
	{ what, false, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION, i, ret, want }

/*
 * In order, on the vGIC of a VM with four vCPUs (as the kernel's
 * vgic_init test does): regions numbered from 0 without gaps, no overlap,
 * 64 KiB aligned, inside the IPA space, not mixed with the legacy single
 * region, and - once a vCPU gets a frame in it - clear of the distributor.
 */
static const struct rr_step rr_steps[] = {
	RR_SET("flags", 4, 0x100000, 2, 0, -EINVAL),
	RR_SET("count 0", 0, 0x100000, 0, 0, -EINVAL),
	RR_SET("first index 1", 2, 0x200000, 0, 1, -EINVAL),
	RR_SET("misaligned", 2, 0x201000, 0, 0, -EINVAL),
	RR_SET("region 0: 2 frames", 2, 0x200000, 0, 0, 0),
	RR_SET("index 0 again", 2, 0x400000, 0, 0, -EINVAL),
	RR_SET("overlapping region 0", 1, 0x210000, 0, 1, -EINVAL),
	RR_SET("index 2 before 1", 1, 0x240000, 0, 2, -EINVAL),
	RR_SET("region 1: 1 frame", 1, 0x240000, 0, 1, 0),
	RR_SET("beyond the IPA space", 1, BEYOND_IPA, 0, 2, -E2BIG),
	RR_SET("ending beyond the IPA space", 2, BEYOND_IPA - 0x30000, 0, 2,
	       -E2BIG),
	{ "legacy redist after regions", true, KVM_VGIC_V3_ADDR_TYPE_REDIST,
	  0x260000, -EINVAL },
	RR_GET("get region 0", 0, 0, RR(2, 0x200000, 0, 0)),
	RR_GET("get region 1", 1, 0, RR(1, 0x240000, 0, 1)),
	RR_GET("get region 2", 2, -ENOENT, 0),
	{ "get legacy redist: region 0's base", false,
	  KVM_VGIC_V3_ADDR_TYPE_REDIST, 0, 0, 0x200000 },
	{ "dist", true, KVM_VGIC_V3_ADDR_TYPE_DIST, 0x260000, 0 },
	RR_SET("over the dist, for vCPU 3", 1, 0x260000, 0, 2, -EINVAL),
	RR_SET("region 2: 1 frame", 1, 0x280000, 0, 2, 0),
	/* The index field is 12 bits; KVM keeps 8 of them. */
	RR_SET("index 0x103 is 3", 1, 0x300000, 0, 0x103, 0),
	RR_GET("get index 0x103", 0x103, 0, RR(1, 0x300000, 0, 3)),
};

static void run_rr_steps(struct __test_metadata *_metadata, int fd,
			 const struct rr_step *steps, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct rr_step *s = &steps[i];
		uint64_t val = s->val;

		EXPECT_EQ(s->ret, _vgic_attr(fd, s->set,
					     KVM_DEV_ARM_VGIC_GRP_ADDR,
					     s->type, &val))
			TH_LOG("%s", s->what);
		if (!s->set && !s->ret)
			EXPECT_EQ(s->want, val) TH_LOG("%s", s->what);
	}
}

TEST_F(vgic, redist_region_rules)
{
	struct mkvm_vcpu *vcpu[4];
	int fd, i;

	self->vm = vm_create(guest_done, guest_done_end);
	for (i = 0; i < 4; i++)
		vcpu[i] = vm_vcpu_add(self->vm, i);
	fd = vm_vgic_create(self->vm);
	/* A get reads the index from the pointer first. */
	EXPECT_EQ(-EFAULT, _vgic_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_ADDR,
				      KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				      NULL));
	EXPECT_EQ(0, mkvm_ioctl(fd, KVM_HAS_DEVICE_ATTR,
				&(struct kvm_device_attr){
					.group = KVM_DEV_ARM_VGIC_GRP_ADDR,
					.attr = KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				}));
	run_rr_steps(_metadata, fd, rr_steps, ARRAY_SIZE(rr_steps));
	/* Five frames for four vCPUs, the dist clear of them: it runs. */
	ASSERT_EQ(0, _vgic_init(fd));
	vcpu_done(vcpu[0]);
	for (i = 0; i < 4; i++)
		vcpu_free(vcpu[i]);
	close(fd);
}

/* The legacy region first: a second is -EEXIST, index 0 -EINVAL. */
static const struct rr_step rr_legacy_steps[] = {
	{ "legacy redist", true, KVM_VGIC_V3_ADDR_TYPE_REDIST, 0x200000, 0 },
	{ "legacy redist again", true, KVM_VGIC_V3_ADDR_TYPE_REDIST,
	  0x400000, -EEXIST },
	RR_SET("region 0 after legacy", 2, 0x400000, 0, 0, -EINVAL),
	RR_GET("get region 0: the legacy one", 0, 0, RR(0, 0x200000, 0, 0)),
};

TEST_F(vgic, redist_region_after_legacy)
{
	struct mkvm_vcpu *vcpu[2];
	int fd, i;

	self->vm = vm_create(guest_done, guest_done_end);
	for (i = 0; i < 2; i++)
		vcpu[i] = vm_vcpu_add(self->vm, i);
	fd = vm_vgic_create(self->vm);
	run_rr_steps(_metadata, fd, rr_legacy_steps,
		     ARRAY_SIZE(rr_legacy_steps));
	for (i = 0; i < 2; i++)
		vcpu_free(vcpu[i]);
	close(fd);
}

/* A vCPU that no region has a frame for cannot run: -ENXIO. */
TEST_F(vgic, redist_region_too_small)
{
	struct mkvm_vcpu *vcpu[2];
	int fd, i;

	self->vm = vm_create(guest_done, guest_done_end);
	for (i = 0; i < 2; i++)
		vcpu[i] = vm_vcpu_add(self->vm, i);
	fd = vm_vgic_create(self->vm);
	ASSERT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_DIST, GICD_IPA));
	ASSERT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				    RR(1, GICR_IPA, 0, 0)));
	ASSERT_EQ(0, _vgic_init(fd));
	EXPECT_EQ(-ENXIO, _vcpu_run(vcpu[0]));
	for (i = 0; i < 2; i++)
		vcpu_free(vcpu[i]);
	close(fd);
}

/*
 * Each vCPU reads GICR_TYPER from the frame it was given (x19), then the
 * 32 bits at x18, an address no redistributor holds, which must reach the
 * VMM (an MMIO exit); every value read is reported.
 */
MKVM_GUEST(guest_rd_typer,
	"ldr	x0, [x19, #8]\n"		/* GICR_TYPER, 64 bits */
	G_REPORT("x0")
	"ldr	w0, [x18]\n"
	G_REPORT("x0")
	G_DONE);

#define RD1_IPA		0x08100000ull	/* region 1, after a gap */
#define TYPER_LAST	(1ull << 4)

/*
 * Redistributor frames across two regions with a gap between them: vCPU 0
 * in region 0's only frame, vCPUs 1 and 2 in the first two of region 1's
 * three.  From its own frame each vCPU's GICR_TYPER names it (affinity,
 * Processor_Number) and says whether the frame is the last in use of its
 * region; the gap, the unused third frame and the address past region 1
 * are no redistributor's, so their reads go to the VMM.  Guards the
 * lookup of a frame by address, which every MMIO access the distributor
 * does not take goes through.
 */
TEST_F(vgic, redist_frames_across_regions)
{
	static const struct {
		uint64_t frame, elsewhere;
		bool last;
	} want[3] = {
		{ GICR_IPA, GICR_IPA + GICR_FRAME_SIZE, true },
		{ RD1_IPA, RD1_IPA + 2 * GICR_FRAME_SIZE, false },
		{ RD1_IPA + GICR_FRAME_SIZE, RD1_IPA + 3 * GICR_FRAME_SIZE + 8,
		  true },
	};
	struct mkvm_vcpu *vcpu[3];
	struct kvm_run *run;
	uint64_t typer;
	int fd, i;

	self->vm = vm_create(guest_rd_typer, guest_rd_typer_end);
	for (i = 0; i < 3; i++)
		vcpu[i] = vm_vcpu_add(self->vm, i);
	fd = vm_vgic_create(self->vm);
	ASSERT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_DIST, GICD_IPA));
	ASSERT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				    RR(1, GICR_IPA, 0, 0)));
	ASSERT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION,
				    RR(3, RD1_IPA, 0, 1)));
	ASSERT_EQ(0, _vgic_init(fd));
	for (i = 0; i < 3; i++) {
		vcpu_set_reg(vcpu[i], MKVM_XREG(19), want[i].frame);
		vcpu_set_reg(vcpu[i], MKVM_XREG(18), want[i].elsewhere);
		typer = vcpu_report(vcpu[i]);
		EXPECT_EQ((uint64_t)i, typer >> 32) TH_LOG("vCPU %d: affinity", i);
		EXPECT_EQ((uint64_t)i, (typer >> 8) & 0xffff)
			TH_LOG("vCPU %d: Processor_Number", i);
		EXPECT_EQ(want[i].last, !!(typer & TYPER_LAST))
			TH_LOG("vCPU %d: Last", i);
		run = vcpu_run_expect(vcpu[i], KVM_EXIT_MMIO);
		EXPECT_EQ(want[i].elsewhere, run->mmio.phys_addr)
			TH_LOG("vCPU %d", i);
		EXPECT_FALSE(run->mmio.is_write);
		memset(run->mmio.data, 0x5a, sizeof(run->mmio.data));
		EXPECT_EQ(0x5a5a5a5a, vcpu_report(vcpu[i])) TH_LOG("vCPU %d", i);
		vcpu_done(vcpu[i]);
	}
	for (i = 0; i < 3; i++)
		vcpu_free(vcpu[i]);
	close(fd);
}

/* KVM_{SET,GET}_DEVICE_ATTR of a 32-bit register value: 0 or -errno. */
static int _regs_attr(int fd, bool set, uint32_t group, uint64_t attr,
		      uint32_t *val)
{
	return _vgic_attr(fd, set, group, attr, val);
}

#define LEVEL_INFO(intid)						\
	((uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL <<			\
	 KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT | (intid))

/*
 * The save/restore groups the kernel's vgic_irq test uses: GICD and
 * GICR registers 32 bits at a time through the VMM's view, and the
 * LEVEL_INFO input lines.  Before CTRL_INIT: -EBUSY; a GICR of a vCPU
 * that does not exist, or LEVEL_INFO not on a multiple of 32 or with
 * another info type: -EINVAL.
 */
TEST_F(vgic, regs_attrs)
{
	struct mkvm_vcpu *vcpu;
	uint32_t val;
	int fd;

	self->vm = vm_create(guest_done, guest_done_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	fd = vm_vgic_create(self->vm);
	val = 0;
	EXPECT_EQ(-EBUSY, _regs_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				     0x104, &val)) TH_LOG("before CTRL_INIT");
	ASSERT_EQ(0, _vgic_set_nr_irqs(fd, NR_IRQS));
	ASSERT_EQ(0, _vgic_init(fd));

	/* GICD_ISENABLER1 (0x104): SPIs 32..63. */
	val = SPI_BIT(40) | SPI_BIT(45);
	EXPECT_EQ(0, _regs_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				0x104, &val));
	val = 0;
	EXPECT_EQ(0, _regs_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				0x104, &val));
	EXPECT_EQ(SPI_BIT(40) | SPI_BIT(45), val);
	/* GICD_ISPENDR1 (0x204): an edge SPI pended. */
	val = SPI_EDGE(41);
	EXPECT_EQ(0, _regs_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				0xc08, &val));
	val = SPI_BIT(41);
	EXPECT_EQ(0, _regs_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				0x204, &val));
	val = 0;
	EXPECT_EQ(0, _regs_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_DIST_REGS,
				0x204, &val));
	EXPECT_EQ(SPI_BIT(41), val);
	/* GICR_ISENABLER0 (SGI_base + 0x100) of vCPU 0 (affinity 0). */
	val = 1u << 27;
	EXPECT_EQ(0, _regs_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				0x10100, &val));
	val = 0;
	EXPECT_EQ(0, _regs_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				0x10100, &val));
	EXPECT_EQ(0xffffu | 1u << 27, val) TH_LOG("SGIs always enabled");
	EXPECT_EQ(-EINVAL, _regs_attr(fd, false,
				      KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
				      1ull << 32 | 0x10100, &val))
		TH_LOG("no vCPU with affinity 0.0.0.1");

	/* Line levels of the level SPIs 32..63 (all but 41 are level). */
	val = SPI_BIT(42) | SPI_BIT(43);
	EXPECT_EQ(0, _regs_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
				LEVEL_INFO(32), &val));
	val = 0;
	EXPECT_EQ(0, _regs_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
				LEVEL_INFO(32), &val));
	EXPECT_EQ(SPI_BIT(42) | SPI_BIT(43), val);
	EXPECT_EQ(-EINVAL, _regs_attr(fd, false,
				      KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
				      LEVEL_INFO(33), &val));
	EXPECT_EQ(-EINVAL, _regs_attr(fd, false,
				      KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
				      LEVEL_INFO(32) | 1ull << 10, &val));
	vcpu_free(vcpu);
	close(fd);
}

/*
 * CTRL_INIT freezes the VM's shape: no vCPU can be added, and NR_IRQS
 * (defaulted by the init) is taken.  A second CTRL_INIT is harmless.
 */
TEST_F(vgic, init_freezes_vcpus_and_nr_irqs)
{
	struct mkvm_vcpu *vcpu, *late = NULL;
	uint32_t nr = 0;
	int fd;

	self->vm = vm_create(guest_done, guest_done_end);
	vcpu = vm_vcpu_add(self->vm, 0);
	fd = vm_vgic_create(self->vm);
	ASSERT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_DIST, GICD_IPA));
	ASSERT_EQ(0, _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_REDIST,
				    GICR_IPA));
	ASSERT_EQ(0, _vgic_init(fd));
	EXPECT_EQ(0, _vgic_init(fd));
	EXPECT_EQ(-EBUSY, _vm_vcpu_create(self->vm, 1, &late));
	EXPECT_EQ(-EBUSY, _vgic_set_nr_irqs(fd, NR_IRQS));
	EXPECT_EQ(0, _vgic_attr(fd, false, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0,
				&nr));
	EXPECT_LE(64, nr);
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

/*
 * The first KVM_RUN maps the vGIC and fails if it cannot; KVM then marks
 * the VM dead, and every later vCPU ioctl is -EIO.
 */
enum { HAS_DIST = 1, HAS_REDIST = 2, HAS_INIT = 4 };

static const struct {
	const char *what;
	unsigned int has;
	uint64_t dist, redist;
	int ret;
} first_run_cases[] = {
	{ "no CTRL_INIT", HAS_DIST | HAS_REDIST, GICD_IPA, GICR_IPA, -EBUSY },
	{ "no dist", HAS_REDIST | HAS_INIT, 0, GICR_IPA, -ENXIO },
	{ "no redist", HAS_DIST | HAS_INIT, GICD_IPA, 0, -ENXIO },
	{ "nothing but CTRL_INIT", HAS_INIT, 0, 0, -ENXIO },
	/* The dist is only checked against the redists at the first run. */
	{ "dist inside the redist frames", HAS_DIST | HAS_REDIST | HAS_INIT,
	  GICR_IPA + 0x10000, GICR_IPA, -EINVAL },
	{ "dist and redist apart", HAS_DIST | HAS_REDIST | HAS_INIT,
	  GICD_IPA, GICR_IPA, 0 },
};

TEST_F(vgic, first_run_checks)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(first_run_cases); i++) {
		typeof(first_run_cases[0]) *c = &first_run_cases[i];
		struct mkvm_vcpu *vcpu;
		struct mkvm_vm *vm;
		const char *step = "";
		int fd, ret = 0;

		vm = vm_create(guest_done, guest_done_end);
		vcpu = vm_vcpu_add(vm, 0);
		fd = vm_vgic_create(vm);
		if (c->has & HAS_REDIST) {
			step = "set redist";
			ret = _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_REDIST,
					     c->redist);
		}
		if (!ret && (c->has & HAS_DIST)) {
			step = "set dist";
			ret = _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_DIST,
					     c->dist);
		}
		if (!ret && (c->has & HAS_INIT)) {
			step = "CTRL_INIT";
			ret = _vgic_init(fd);
		}
		EXPECT_EQ(0, ret) TH_LOG("%s: %s", c->what, step);
		if (ret) {
			/* Not set up as the case says: its run means nothing. */
		} else if (c->ret) {
			EXPECT_EQ(c->ret, _vcpu_run(vcpu)) TH_LOG("%s", c->what);
			EXPECT_EQ(-EIO, _vcpu_run(vcpu)) TH_LOG("%s, again",
								c->what);
		} else {
			vcpu_done(vcpu);
		}
		vcpu_free(vcpu);
		close(fd);
		vm_free(vm);
	}
}

enum irq_phase { NO_VGIC, BEFORE_INIT, AFTER_INIT };

static const struct {
	const char *what;
	enum irq_phase phase;
	uint32_t type, vcpu, num;
	int ret;
} irq_line_cases[] = {
	{ "SPI, no vGIC", NO_VGIC, KVM_ARM_IRQ_TYPE_SPI, 0, 32, -ENXIO },
	{ "PPI, no vGIC", NO_VGIC, KVM_ARM_IRQ_TYPE_PPI, 0, 16, -ENXIO },
	{ "SPI before init", BEFORE_INIT, KVM_ARM_IRQ_TYPE_SPI, 0, 32, -EBUSY },
	{ "PPI before init", BEFORE_INIT, KVM_ARM_IRQ_TYPE_PPI, 0, 16, -EBUSY },
	{ "SPI 31 before init", BEFORE_INIT, KVM_ARM_IRQ_TYPE_SPI, 0, 31,
	  -EINVAL },
	{ "PPI, no such vCPU, before init", BEFORE_INIT, KVM_ARM_IRQ_TYPE_PPI,
	  1, 16, -EINVAL },
	{ "SPI 32", AFTER_INIT, KVM_ARM_IRQ_TYPE_SPI, 0, 32, 0 },
	{ "last SPI", AFTER_INIT, KVM_ARM_IRQ_TYPE_SPI, 0, NR_IRQS - 1, 0 },
	{ "SPI 31", AFTER_INIT, KVM_ARM_IRQ_TYPE_SPI, 0, 31, -EINVAL },
	{ "SPI 0", AFTER_INIT, KVM_ARM_IRQ_TYPE_SPI, 0, 0, -EINVAL },
	{ "SPI past NR_IRQS", AFTER_INIT, KVM_ARM_IRQ_TYPE_SPI, 0, NR_IRQS,
	  -EINVAL },
	{ "PPI 16", AFTER_INIT, KVM_ARM_IRQ_TYPE_PPI, 0, 16, 0 },
	{ "PPI 31", AFTER_INIT, KVM_ARM_IRQ_TYPE_PPI, 0, 31, 0 },
	{ "PPI 15 (an SGI)", AFTER_INIT, KVM_ARM_IRQ_TYPE_PPI, 0, 15, -EINVAL },
	{ "PPI 32", AFTER_INIT, KVM_ARM_IRQ_TYPE_PPI, 0, 32, -EINVAL },
	{ "PPI, no such vCPU", AFTER_INIT, KVM_ARM_IRQ_TYPE_PPI, 1, 16,
	  -EINVAL },
	{ "CPU line with a vGIC", AFTER_INIT, KVM_ARM_IRQ_TYPE_CPU, 0,
	  KVM_ARM_IRQ_CPU_IRQ, -ENXIO },
	{ "unknown type", AFTER_INIT, 3, 0, 32, -EINVAL },
};

TEST_F(vgic, irq_line_rules)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(irq_line_cases); i++) {
		typeof(irq_line_cases[0]) *c = &irq_line_cases[i];
		struct mkvm_vcpu *vcpu;
		struct mkvm_vm *vm;
		int fd = -1;

		vm = vm_create(guest_done, guest_done_end);
		vcpu = vm_vcpu_add(vm, 0);
		if (c->phase == BEFORE_INIT)
			fd = vm_vgic_create(vm);
		else if (c->phase == AFTER_INIT)
			fd = vm_vgic_setup(vm);
		EXPECT_EQ(c->ret, _irq_line(vm, c->type, c->vcpu, c->num, 1))
			TH_LOG("%s", c->what);
		vcpu_free(vcpu);
		if (fd >= 0)
			close(fd);
		vm_free(vm);
	}
}


/* Reports up to the next count: the INTIDs taken, in order; the count. */
static uint64_t collect_intids(struct mkvm_vcpu *vcpu, uint32_t *intids,
			       unsigned int max, unsigned int *n)
{
	uint64_t val;

	*n = 0;
	while (!((val = vcpu_report(vcpu)) & COUNT_TAG)) {
		MKVM_CHECK(*n < max,
			   "vcpu %u: more than %u interrupts, the last INTID %llu",
			   vcpu->id, max,
			   (unsigned long long)val);
		intids[(*n)++] = val;
	}
	return val & ~COUNT_TAG;
}

static int cmp_u32(const void *a, const void *b)
{
	return (int)(*(const uint32_t *)a - *(const uint32_t *)b);
}

static void format_intids(char *buf, size_t size, const uint32_t *v,
			  unsigned int n)
{
	unsigned int i;
	int len = 0;

	buf[0] = 0;
	for (i = 0; i < n && len < (int)size; i++)
		len += snprintf(buf + len, size - len, "%s%u", i ? " " : "",
				v[i]);
}

/*
 * SPIs from KVM_IRQ_LINE.  Once ready (its report of ICC_SRE_EL1: the
 * host pends the case's SPIs then), the guest unmasks IRQs, waits for x15
 * interrupts, reports its count; then sets ICC_PMR_EL1 to 0xff and
 * enables the SPIs in x17 (GICD_ISENABLER1), waits for x18 interrupts in
 * all, and reports its count again.
 */
MKVM_GUEST(guest_spi,
	G_VECTORS(G_IRQ_REPORT)
	G_GIC_INIT
	"mrs	x0, icc_sre_el1\n"
	G_REPORT("x0")
	"msr	daifclr, #2\n"
	G_WAIT("x15")
	G_SPIN
	G_COUNT
	"mov	x0, #0xff\n"
	"msr	icc_pmr_el1, x0\n"
	"str	w17, [x20, #0x104]\n"		/* GICD_ISENABLER1 */
	"isb\n"
	G_WAIT("x18")
	G_SPIN
	G_COUNT
	G_DONE);

#define MAX_IRQS	16

struct spi_case {
	const char *what;
	struct gic_params gic;
	uint32_t pulse;			/* SPIs (bit n: SPI 32 + n) pended */
	uint32_t enable_later;		/* x17 */
	bool any_order;			/* equal priorities: order unspecified */
	uint32_t first[MAX_IRQS];	/* INTIDs taken before phase 2, 0-ended */
	uint32_t then[MAX_IRQS];	/* and in phase 2 */
};

static const struct spi_case spi_cases[] = {
	{
		.what = "edge SPI",
		.gic = { GIC_PARAMS_DEFAULT, .icfgr2 = SPI_EDGE(40),
			 .spi_enable = SPI_BIT(40) },
		.pulse = SPI_BIT(40),
		.first = { 40 },
	}, {
		/* Pended lowest priority first; taken highest first. */
		.what = "priority order",
		.gic = { GIC_PARAMS_DEFAULT,
			 .icfgr2 = SPI_EDGE(41) | SPI_EDGE(42) | SPI_EDGE(43),
			 .spi_enable = SPI_BIT(41) | SPI_BIT(42) | SPI_BIT(43),
			 .prio_40_43 = 0x2060a0a0 },
		.pulse = SPI_BIT(41) | SPI_BIT(42) | SPI_BIT(43),
		.first = { 43, 42, 41 },
	}, {
		/* Priority 0x80 with PMR 0x80 is masked, 0x40 is not. */
		.what = "priority at the PMR is masked",
		.gic = { GIC_PARAMS_DEFAULT,
			 .icfgr2 = SPI_EDGE(42) | SPI_EDGE(43),
			 .spi_enable = SPI_BIT(42) | SPI_BIT(43),
			 .prio_40_43 = 0x4080a0a0, .pmr = 0x80 },
		.pulse = SPI_BIT(42) | SPI_BIT(43),
		.first = { 43 },
		.then = { 42 },
	}, {
		/* Pending while disabled, taken once enabled. */
		.what = "disabled SPI",
		.gic = { GIC_PARAMS_DEFAULT,
			 .icfgr2 = SPI_EDGE(40) | SPI_EDGE(41),
			 .spi_enable = SPI_BIT(40) },
		.pulse = SPI_BIT(40) | SPI_BIT(41),
		.enable_later = SPI_BIT(41),
		.first = { 40 },
		.then = { 41 },
	}, {
		/* Twice as many as QEMU's GICv3 has list registers. */
		.what = "eight SPIs at once",
		.gic = { GIC_PARAMS_DEFAULT, .icfgr2 = 0xaaaa,
			 .spi_enable = 0xff },
		.pulse = 0xff,
		.any_order = true,
		.first = { 32, 33, 34, 35, 36, 37, 38, 39 },
	},
};

static unsigned int intid_count(const uint32_t *v)
{
	unsigned int n = 0;

	while (n < MAX_IRQS && v[n])
		n++;
	return n;
}

/* The INTIDs taken up to the guest's next count are @want (and so many). */
static void expect_intids(struct __test_metadata *_metadata,
			  struct mkvm_vcpu *vcpu, const char *what,
			  const uint32_t *want, unsigned int total,
			  bool any_order)
{
	unsigned int n, nwant = intid_count(want);
	uint32_t got[MAX_IRQS], sorted[MAX_IRQS];
	char gbuf[128], wbuf[128];
	uint64_t count;

	count = collect_intids(vcpu, got, MAX_IRQS, &n);
	memcpy(sorted, want, nwant * sizeof(*want));
	if (any_order) {
		qsort(got, n, sizeof(*got), cmp_u32);
		qsort(sorted, nwant, sizeof(*sorted), cmp_u32);
	}
	format_intids(gbuf, sizeof(gbuf), got, n);
	format_intids(wbuf, sizeof(wbuf), sorted, nwant);
	EXPECT_STREQ(wbuf, gbuf) TH_LOG("%s: INTIDs taken", what);
	EXPECT_EQ(total, count) TH_LOG("%s: the guest's count", what);
}

TEST_F(vgic, spi_delivery)
{
	unsigned int i, b;

	for (i = 0; i < ARRAY_SIZE(spi_cases); i++) {
		const struct spi_case *c = &spi_cases[i];
		unsigned int n1 = intid_count(c->first);
		unsigned int n2 = intid_count(c->then);
		struct mkvm_vcpu *vcpu;
		struct mkvm_vm *vm;
		int fd;

		vm = vm_create(guest_spi, guest_spi_end);
		vcpu = gic_vcpu_add(vm, 0, &c->gic);
		vcpu_set_reg(vcpu, MKVM_XREG(15), n1);
		vcpu_set_reg(vcpu, MKVM_XREG(17), c->enable_later);
		vcpu_set_reg(vcpu, MKVM_XREG(18), n1 + n2);
		fd = vm_vgic_setup(vm);

		expect_sre(vcpu);
		for (b = 0; b < 32; b++)
			if (c->pulse & (1u << b))
				spi_pulse(vm, 32 + b);
		expect_intids(_metadata, vcpu, c->what, c->first, n1,
			      c->any_order);
		expect_intids(_metadata, vcpu, c->what, c->then, n1 + n2,
			      c->any_order);
		vcpu_done(vcpu);
		vcpu_free(vcpu);
		close(fd);
		vm_free(vm);
	}
}

/*
 * A level SPI is taken again after its EOI while its line stays high, and
 * not once the line is low.
 */
TEST_F(vgic, spi_level)
{
	struct gic_params gic = { GIC_PARAMS_DEFAULT,
				  .spi_enable = SPI_BIT(41) };
	struct mkvm_vcpu *vcpu;
	int fd;

	self->vm = vm_create(guest_spi, guest_spi_end);
	vcpu = gic_vcpu_add(self->vm, 0, &gic);
	vcpu_set_reg(vcpu, MKVM_XREG(15), 2);
	vcpu_set_reg(vcpu, MKVM_XREG(17), 0);
	vcpu_set_reg(vcpu, MKVM_XREG(18), 2);
	fd = vm_vgic_setup(self->vm);

	expect_sre(vcpu);
	spi_line(self->vm, 41, 1);
	EXPECT_EQ(41, vcpu_report(vcpu));	/* the handler, before its EOI */
	EXPECT_EQ(41, vcpu_report(vcpu));	/* again: the line is still up */
	spi_line(self->vm, 41, 0);
	EXPECT_EQ(COUNT_TAG | 2, vcpu_report(vcpu));
	EXPECT_EQ(COUNT_TAG | 2, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

/*
 * ICC_CTLR_EL1.EOImode = 1: ICC_EOIR1_EL1 only drops the priority, the
 * interrupt stays active (GICD_ISACTIVER1) until ICC_DIR_EL1, and an
 * active interrupt pended again is not taken before that.
 */
MKVM_GUEST(guest_eoimode1,
	G_VECTORS(G_IRQ_REPORT)
	G_GIC_INIT
	"mrs	x0, icc_ctlr_el1\n"
	"orr	x0, x0, #2\n"				/* EOImode */
	"msr	icc_ctlr_el1, x0\n"
	"isb\n"
	"mrs	x0, icc_ctlr_el1\n"
	G_REPORT("x0")
	"msr	daifclr, #2\n"
	"mov	x15, #1\n"
	G_WAIT("x15")
	"mrs	x0, icc_rpr_el1\n"
	G_REPORT("x0")
	"ldr	w0, [x20, #0x304]\n"			/* GICD_ISACTIVER1 */
	G_REPORT("x0")
	G_SPIN
	G_COUNT
	"msr	icc_dir_el1, x26\n"
	"isb\n"
	"mov	x15, #2\n"
	G_WAIT("x15")
	"msr	icc_dir_el1, x26\n"
	"isb\n"
	"ldr	w0, [x20, #0x304]\n"			/* GICD_ISACTIVER1 */
	G_REPORT("x0")
	G_SPIN
	G_COUNT
	G_DONE);

TEST_F(vgic, eoimode1_deactivate)
{
	struct gic_params gic = { GIC_PARAMS_DEFAULT,
				  .icfgr2 = SPI_EDGE(44),
				  .spi_enable = SPI_BIT(44) };
	struct mkvm_vcpu *vcpu;
	int fd;

	self->vm = vm_create(guest_eoimode1, guest_eoimode1_end);
	vcpu = gic_vcpu_add(self->vm, 0, &gic);
	fd = vm_vgic_setup(self->vm);

	EXPECT_EQ(2, vcpu_report(vcpu) & 2);	/* ICC_CTLR_EL1.EOImode */
	spi_pulse(self->vm, 44);
	EXPECT_EQ(44, vcpu_report(vcpu));
	EXPECT_EQ(0xff, vcpu_report(vcpu));	/* ICC_RPR_EL1: idle again */
	EXPECT_EQ(SPI_BIT(44), vcpu_report(vcpu) & SPI_BIT(44)) {
		TH_LOG("not active after EOIR with EOImode 1");
	}
	spi_pulse(self->vm, 44);		/* active and pending */
	EXPECT_EQ(COUNT_TAG | 1, vcpu_report(vcpu));
	EXPECT_EQ(44, vcpu_report(vcpu));	/* after the DIR */
	EXPECT_EQ(0, vcpu_report(vcpu) & SPI_BIT(44));
	EXPECT_EQ(COUNT_TAG | 2, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

/*
 * SGI 5 from vCPU 0 to vCPU 1.  Both report MPIDR_EL1 when ready and
 * unmask IRQs; vCPU 1 waits in WFI for one interrupt; vCPU 0 (once the
 * host resumes it) writes ICC_SGI1R_EL1 with INTID 5, Aff3.Aff2.Aff1 = 0
 * and TargetList {Aff0 = 1}, and takes nothing itself.  Each reports its
 * count.
 */
#define SGI_INTID	5

MKVM_GUEST(guest_sgi,
	G_VECTORS(G_IRQ_REPORT)
	G_GIC_INIT
	"mrs	x0, mpidr_el1\n"
	G_REPORT("x0")
	"msr	daifclr, #2\n"
	"and	x0, x0, #0xff\n"
	"cbnz	x0, 3f\n"
	"movz	x1, #0x0500, lsl #16\n"		/* INTID, bits [27:24] */
	"orr	x1, x1, #2\n"			/* TargetList: Aff0 1 */
	"msr	icc_sgi1r_el1, x1\n"
	"isb\n"
	G_SPIN
	G_COUNT
	G_DONE
	"3:	mov	x15, #1\n"
	G_WAIT("x15")
	G_SPIN
	G_COUNT
	G_DONE);
_Static_assert(SGI_INTID == 5, "guest_sgi is stale");

struct sgi_target {
	struct mkvm_vcpu *vcpu;
	sem_t ready;
	uint64_t mpidr, intid, count;
};

static void *sgi_target_fn(void *arg)
{
	struct sgi_target *t = arg;

	t->mpidr = vcpu_report(t->vcpu);
	sem_post(&t->ready);
	t->intid = vcpu_report(t->vcpu);
	t->count = vcpu_report(t->vcpu);
	vcpu_done(t->vcpu);
	return NULL;
}

TEST_F(vgic, sgi_between_vcpus)
{
	struct gic_params gic = { GIC_PARAMS_DEFAULT,
				  .gicr_enable = 1u << SGI_INTID };
	struct sgi_target t = { 0 };
	struct mkvm_vcpu *sender;
	pthread_t thread;
	int fd;

	self->vm = vm_create(guest_sgi, guest_sgi_end);
	sender = gic_vcpu_add(self->vm, 0, &gic);
	t.vcpu = gic_vcpu_add(self->vm, 1, &gic);
	fd = vm_vgic_setup(self->vm);
	ASSERT_EQ(0, sem_init(&t.ready, 0, 0));
	ASSERT_EQ(0, pthread_create(&thread, NULL, sgi_target_fn, &t));

	EXPECT_EQ(0, vcpu_report(sender) & 0xff);
	/* Let vCPU 1 get to its WFI before the SGI is sent. */
	ASSERT_EQ(0, sem_wait(&t.ready));
	usleep(100 * 1000);
	EXPECT_EQ(COUNT_TAG | 0, vcpu_report(sender));
	vcpu_done(sender);

	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_EQ(1, t.mpidr & 0xff);
	EXPECT_EQ(SGI_INTID, t.intid);
	EXPECT_EQ(COUNT_TAG | 1, t.count);
	sem_destroy(&t.ready);
	vcpu_free(t.vcpu);
	vcpu_free(sender);
	close(fd);
}

/*
 * vCPU 0 (x9 = writes) disables SPI 32 over and over (GICD_ICENABLER1)
 * and says it is done; vCPU 1 (x9 = 0) reports once, then waits in WFI
 * (nothing will ever be pending: each WFI that ends is an exit that
 * found nothing) until the host stops it.
 */
#define CLEAR_WRITES	2000
MKVM_GUEST(guest_icenabler,
	"movz	x20, #0x0800, lsl #16\n"	/* GICD_IPA */
	"mov	w1, #1\n"
	"cbz	x9, 2f\n"
	"1:	str	w1, [x20, #0x184]\n"		/* GICD_ICENABLER1 */
	"subs	x9, x9, #1\n"
	"b.ne	1b\n"
	G_DONE
	"2:\n"
	G_REPORT("x9")
	"3:	wfi\n"
	"b	3b\n");

static void *spin_fn(void *arg)
{
	struct mkvm_vcpu *vcpu = arg;

	vcpu_report(vcpu);
	/* In WFI until the signal: -EINTR. */
	while (!_vcpu_run(vcpu))
		;
	return NULL;
}

/*
 * A guest's disable (GICD_ICENABLER, what Linux writes to mask an
 * interrupt) makes nothing due: no other vCPU is made to look again for
 * it (a running one would exit on an IPI).  vCPU 1 waits in WFI while
 * vCPU 0 writes CLEAR_WRITES times: kicked for each write, it left its
 * WFI and came back 168 times (minikvm before); now it stays, as on KVM.
 */
TEST_F(vgic, disable_kicks_no_vcpu)
{
	struct mkvm_vcpu *vcpu[2];
	uint64_t before, exits;
	pthread_t thread;
	struct stats s;
	int fd, i;

	self->vm = vm_create(guest_icenabler, guest_icenabler_end);
	for (i = 0; i < 2; i++)
		vcpu[i] = vm_vcpu_add(self->vm, i);
	fd = vm_vgic_setup(self->vm);
	vcpu_set_reg(vcpu[0], MKVM_XREG(9), CLEAR_WRITES);
	vcpu_set_reg(vcpu[1], MKVM_XREG(9), 0);
	/* Before vCPU 1 runs: a vCPU ioctl waits for its KVM_RUN to end. */
	stats_open(&s, vcpu_stats_fd(vcpu[1]));
	mkvm_install_kick_handler(SIGUSR1);
	ASSERT_EQ(0, pthread_create(&thread, NULL, spin_fn, vcpu[1]));
	usleep(100 * 1000);
	before = stat_of(&s, "exits");
	vcpu_done(vcpu[0]);
	exits = stat_of(&s, "exits") - before;
	pthread_kill(thread, SIGUSR1);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	stats_close(&s);
	TH_LOG("vCPU 1 exits over %d disables by vCPU 0: %llu", CLEAR_WRITES,
	       (unsigned long long)exits);
	EXPECT_LT(exits, CLEAR_WRITES / 100);
	for (i = 0; i < 2; i++)
		vcpu_free(vcpu[i]);
	close(fd);
}

/*
 * The virtual timer's PPI (INTID 27).  The handler reads CNTVCT_EL0 on
 * arrival (x25) and masks the timer (CNTV_CTL_EL0.IMASK) before its EOI.
 */
#define VTIMER_INTID	27

#define G_IRQ_VTIMER							\
	"isb\n"								\
	"mrs	x25, cntvct_el0\n"					\
	"mrs	x26, icc_iar1_el1\n"					\
	"cmp	x26, #1020\n"						\
	"b.hs	1f\n"							\
	"mov	x23, #3\n"			/* ENABLE | IMASK */	\
	"msr	cntv_ctl_el0, x23\n"					\
	"isb\n"								\
	G_REPORT("x26")							\
	"add	x24, x24, #1\n"						\
	"msr	icc_eoir1_el1, x26\n"					\
	"1:	eret\n"

/*
 * Reports CNTFRQ_EL0 when ready; arms the timer (CNTV_CVAL_EL0) 10 ms
 * ahead, waits in WFI for it; reports the ticks from arming to arrival
 * and arrival - CVAL; then busy-waits two more periods with IRQs unmasked
 * and reports CNTV_CTL_EL0 and its count.
 */
MKVM_GUEST(guest_vtimer,
	G_VECTORS(G_IRQ_VTIMER)
	G_GIC_INIT
	"mrs	x1, cntfrq_el0\n"
	G_REPORT("x1")
	"mov	x2, #100\n"
	"udiv	x2, x1, x2\n"			/* 10 ms of ticks */
	"isb\n"
	"mrs	x19, cntvct_el0\n"
	"add	x3, x19, x2\n"
	"msr	cntv_cval_el0, x3\n"
	"mov	x0, #1\n"			/* ENABLE */
	"msr	cntv_ctl_el0, x0\n"
	"isb\n"
	"msr	daifclr, #2\n"
	"mov	x15, #1\n"
	G_WAIT("x15")
	"sub	x0, x25, x19\n"
	G_REPORT("x0")
	"sub	x0, x25, x3\n"
	G_REPORT("x0")
	"add	x4, x25, x2, lsl #1\n"
	"1:	isb\n"
	"mrs	x0, cntvct_el0\n"
	"cmp	x0, x4\n"
	"b.lo	1b\n"
	"mrs	x0, cntv_ctl_el0\n"
	G_REPORT("x0")
	G_COUNT
	G_DONE);

static uint64_t host_cntfrq(void)
{
	uint64_t f;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(f));
	return f;
}

TEST_F(vgic, vtimer_fires_once_not_early)
{
	struct gic_params gic = { GIC_PARAMS_DEFAULT,
				  .gicr_enable = 1u << VTIMER_INTID };
	struct mkvm_vcpu *vcpu;
	uint64_t freq, ticks, elapsed;
	int64_t late;
	int fd;

	self->vm = vm_create(guest_vtimer, guest_vtimer_end);
	vcpu = gic_vcpu_add(self->vm, 0, &gic);
	fd = vm_vgic_setup(self->vm);

	freq = vcpu_report(vcpu);
	EXPECT_EQ(host_cntfrq(), freq);
	ASSERT_LT(0, freq);
	ticks = freq / 100;
	EXPECT_EQ(VTIMER_INTID, vcpu_report_within(vcpu, 5, KVM_REG_ARM_TIMER_CTL,
					       KVM_REG_ARM_TIMER_CVAL,
					       KVM_REG_ARM_TIMER_CNT));
	elapsed = vcpu_report(vcpu);
	late = (int64_t)vcpu_report(vcpu);
	EXPECT_LE(ticks, elapsed) TH_LOG("early by %lld ticks",
					 (long long)(ticks - elapsed));
	EXPECT_LE(0, late);
	/* TCG is slow; only a timer that never came would be this late. */
	EXPECT_GT(10 * freq, elapsed);
	/* CNTV_CTL_EL0: ENABLE | IMASK | ISTATUS, and no second interrupt. */
	EXPECT_EQ(7, vcpu_report(vcpu));
	EXPECT_EQ(COUNT_TAG | 1, vcpu_report(vcpu));
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	close(fd);
}

TEST_HARNESS_MAIN
