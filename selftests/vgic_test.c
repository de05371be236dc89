// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel vGICv3 through the KVM API: the device-attribute rules of
 * KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_V3) and KVM_IRQ_LINE, with the
 * errors the kernel's KVM gives (arch/arm64/kvm/vgic/vgic-kvm-device.c,
 * vgic-init.c, vgic-v3.c, arm.c kvm_vm_ioctl_irq_line()); then guests that
 * program the distributor, their redistributor and the CPU interface and
 * take SPIs, SGIs and the virtual timer's PPI.
 */
#include "kselftest_harness.h"
#include "mkvm_vm.h"

/* The guest's GIC, laid out as on QEMU's virt machine. */
#define GICD_IPA		0x08000000ull
#define GICR_IPA		0x080a0000ull
#define GICR_FRAME_SIZE		0x20000ull	/* RD_base + SGI_base, per vCPU */
#define NR_IRQS			64		/* SPIs 32..63 */
#define BEYOND_IPA		(1ull << 40)	/* the default IPA size */

FIXTURE(vgic) {
	struct mkvm_vm *vm;
};

FIXTURE_SETUP(vgic)
{
	self->vm = NULL;
	if (mkvm_boot_is("vhe"))
		SKIP(return, "no KVM-API device on the VHE boot");
	ASSERT_EQ(0, mkvm_load_if_owner());
}

FIXTURE_TEARDOWN(vgic)
{
	if (self->vm)
		vm_free(self->vm);
}

/* KVM_CREATE_DEVICE of @type: 0 (the fd in *@fd unless testing) or -errno. */
static int _vm_vgic_create_type(struct mkvm_vm *vm, uint32_t type,
			     uint32_t flags, int *fd)
{
	struct kvm_create_device cd = { .type = type, .flags = flags, .fd = -1 };
	int ret = mkvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &cd);

	if (!ret && fd)
		*fd = cd.fd;
	return ret;
}

static int vm_vgic_create(struct mkvm_vm *vm)
{
	int fd = -1, ret;

	ret = _vm_vgic_create_type(vm, KVM_DEV_TYPE_ARM_VGIC_V3, 0, &fd);
	MKVM_CHECK(!ret, "KVM_CREATE_DEVICE(VGIC_V3): %s", strerror(-ret));
	return fd;
}

/* KVM_{SET,GET}_DEVICE_ATTR with @ptr as its address: 0 or -errno. */
static int _vgic_attr(int fd, bool set, uint32_t group, uint64_t attr,
		      void *ptr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)ptr,
	};

	return mkvm_ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR,
			  &a);
}

static int _vgic_set_addr(int fd, uint64_t type, uint64_t ipa)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR, type, &ipa);
}

static int _vgic_set_nr_irqs(int fd, uint32_t nr)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr);
}

static int _vgic_init(int fd)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
			  KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

/*
 * The vGIC of a VM whose vCPUs all exist: NR_IRQS, the distributor at
 * GICD_IPA, the redistributors from GICR_IPA, CTRL_INIT.
 */
static int vm_vgic_setup(struct mkvm_vm *vm)
{
	int fd = vm_vgic_create(vm), ret;

	ret = _vgic_set_nr_irqs(fd, NR_IRQS);
	MKVM_CHECK(!ret, "NR_IRQS: %s", strerror(-ret));
	ret = _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_DIST, GICD_IPA);
	MKVM_CHECK(!ret, "ADDR DIST: %s", strerror(-ret));
	ret = _vgic_set_addr(fd, KVM_VGIC_V3_ADDR_TYPE_REDIST, GICR_IPA);
	MKVM_CHECK(!ret, "ADDR REDIST: %s", strerror(-ret));
	ret = _vgic_init(fd);
	MKVM_CHECK(!ret, "CTRL_INIT: %s", strerror(-ret));
	return fd;
}

/* KVM_IRQ_LINE: 0 or -errno. */
static int _irq_line(struct mkvm_vm *vm, uint32_t type, uint32_t vcpu,
		     uint32_t num, int level)
{
	struct kvm_irq_level irq = {
		.irq = type << KVM_ARM_IRQ_TYPE_SHIFT |
		       (vcpu & KVM_ARM_IRQ_VCPU_MASK) << KVM_ARM_IRQ_VCPU_SHIFT |
		       num << KVM_ARM_IRQ_NUM_SHIFT,
		.level = level,
	};

	return mkvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

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
		int fd;

		vm = vm_create(guest_done, guest_done_end);
		vcpu = vm_vcpu_add(vm, 0);
		fd = vm_vgic_create(vm);
		if (c->has & HAS_REDIST)
			ASSERT_EQ(0, _vgic_set_addr(fd,
						    KVM_VGIC_V3_ADDR_TYPE_REDIST,
						    c->redist)) TH_LOG("%s", c->what);
		if (c->has & HAS_DIST)
			ASSERT_EQ(0, _vgic_set_addr(fd,
						    KVM_VGIC_V3_ADDR_TYPE_DIST,
						    c->dist)) TH_LOG("%s", c->what);
		if (c->has & HAS_INIT)
			ASSERT_EQ(0, _vgic_init(fd)) TH_LOG("%s", c->what);
		if (c->ret) {
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

TEST_HARNESS_MAIN
