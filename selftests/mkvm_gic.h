/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A vGICv3 for selftests: KVM_CREATE_DEVICE(KVM_DEV_TYPE_ARM_VGIC_V3) and
 * its attributes, KVM_IRQ_LINE, and guest code that programs the
 * distributor, its redistributor and the CPU interface and takes
 * interrupts (vgic_test.c, eventfd_test.c).  Needs kselftest_harness.h
 * and mkvm_vm.h first.
 */
#ifndef MKVM_GIC_H
#define MKVM_GIC_H

/* The guest's GIC, laid out as on QEMU's virt machine. */
#define GICD_IPA		0x08000000ull
#define GICR_IPA		0x080a0000ull
#define GICR_FRAME_SIZE		0x20000ull	/* RD_base + SGI_base, per vCPU */
#define NR_IRQS			64		/* SPIs 32..63 */

/* KVM_CREATE_DEVICE of @type: 0 (the fd in *@fd unless testing) or -errno. */
static inline int _vm_vgic_create_type(struct mkvm_vm *vm, uint32_t type,
				       uint32_t flags, int *fd)
{
	struct kvm_create_device cd = { .type = type, .flags = flags, .fd = -1 };
	int ret = mkvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &cd);

	if (!ret && fd)
		*fd = cd.fd;
	return ret;
}

static inline int vm_vgic_create(struct mkvm_vm *vm)
{
	int fd = -1, ret;

	ret = _vm_vgic_create_type(vm, KVM_DEV_TYPE_ARM_VGIC_V3, 0, &fd);
	MKVM_CHECK(!ret, "KVM_CREATE_DEVICE(VGIC_V3): %s", strerror(-ret));
	return fd;
}

/* KVM_{SET,GET}_DEVICE_ATTR with @ptr as its address: 0 or -errno. */
static inline int _vgic_attr(int fd, bool set, uint32_t group,
			     uint64_t attr, void *ptr)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)ptr,
	};

	return mkvm_ioctl(fd, set ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR,
			  &a);
}

static inline int _vgic_set_addr(int fd, uint64_t type, uint64_t ipa)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_ADDR, type, &ipa);
}

static inline int _vgic_set_nr_irqs(int fd, uint32_t nr)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr);
}

static inline int _vgic_init(int fd)
{
	return _vgic_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
			  KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
}

/*
 * The vGIC of a VM whose vCPUs all exist: NR_IRQS, the distributor at
 * GICD_IPA, the redistributors from GICR_IPA, CTRL_INIT.
 */
static inline int vm_vgic_setup(struct mkvm_vm *vm)
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
static inline int _irq_line(struct mkvm_vm *vm, uint32_t type,
			    uint32_t vcpu, uint32_t num, int level)
{
	struct kvm_irq_level irq = {
		.irq = type << KVM_ARM_IRQ_TYPE_SHIFT |
		       (vcpu & KVM_ARM_IRQ_VCPU_MASK) << KVM_ARM_IRQ_VCPU_SHIFT |
		       num << KVM_ARM_IRQ_NUM_SHIFT,
		.level = level,
	};

	return mkvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

static inline void spi_line(struct mkvm_vm *vm, uint32_t intid, int level)
{
	int ret = _irq_line(vm, KVM_ARM_IRQ_TYPE_SPI, 0, intid, level);

	MKVM_CHECK(!ret, "KVM_IRQ_LINE SPI %u level %d: %s", intid, level,
		   strerror(-ret));
}

/* An edge: the line up and down again. */
static inline void spi_pulse(struct mkvm_vm *vm, uint32_t intid)
{
	spi_line(vm, intid, 1);
	spi_line(vm, intid, 0);
}

/*
 * Guests that drive the GIC.  A guest image starts with its vector table
 * (VBAR_EL1 = MKVM_CODE_IPA): every entry reports the exception and stops,
 * except IRQ from the current EL with SP_ELx (VBAR + 0x280), which runs
 * the @irq handler given, at most 32 instructions.  Code follows at
 * VBAR + 0x800.  The guest's registers:
 *
 *   x11  GICR_ISENABLER0: its SGIs and PPIs to enable     (set by the host)
 *   x12  GICD_ICFGR2: SPIs 32..47, bit 2n+1 = edge        (set by the host)
 *   x13  GICD_ISENABLER1: SPIs 32..63 to enable           (set by the host)
 *   x14  GICD_IPRIORITYR10: the priorities of SPIs 40..43 (set by the host)
 *   x16  ICC_PMR_EL1                                      (set by the host)
 *   x20  GICD, x21 its RD_base, x22 its SGI_base          (G_GIC_INIT)
 *   x24  interrupts taken, x26 the last INTID             (the handler)
 *   x23, x25, x26, x27  the handler's and the ucalls' only
 */
#define VECTORS_SIZE		0x800
#define GUEST_ENTRY		(MKVM_CODE_IPA + VECTORS_SIZE)
#define G_VECTORS(irq)							\
	".rept 5\n" G_VECTOR_ENTRY ".endr\n"				\
	".balign 0x80\n" irq						\
	".org 0x300\n"	/* the handler fits its entry */		\
	".rept 10\n" G_VECTOR_ENTRY ".endr\n"				\
	".org 0x800\n"

/*
 * Acknowledge, report the INTID, count, EOI.  INTIDs 1020..1023 are
 * special (1023: spurious) and have nothing to EOI.
 */
#define G_IRQ_REPORT							\
	"mrs	x26, icc_iar1_el1\n"					\
	"cmp	x26, #1020\n"						\
	"b.hs	1f\n"							\
	G_REPORT("x26")							\
	"add	x24, x24, #1\n"						\
	"msr	icc_eoir1_el1, x26\n"					\
	"1:	eret\n"

/*
 * Distributor (GICD_*), this vCPU's redistributor (GICR_*, its frames at
 * GICR_IPA + Aff0 * 128 KiB) and CPU interface (ICC_*), from the host's
 * parameters above.  Every interrupt in Group 1 (GICD_IGROUPR, GICR_IGROUPR0
 * all ones), priority 0xa0, SPIs routed to vCPU 0.  Clobbers x0-x3.
 */
#define G_GIC_INIT							\
	"movz	x20, #0x0800, lsl #16\n"	/* GICD_IPA */		\
	"mrs	x0, mpidr_el1\n"					\
	"and	x0, x0, #0xff\n"					\
	"movz	x21, #0x080a, lsl #16\n"	/* GICR_IPA */		\
	"add	x21, x21, x0, lsl #17\n"				\
	"add	x22, x21, #0x10, lsl #12\n"	/* SGI_base: +64 KiB */	\
	/* GICD_CTLR (0x0) = ARE (4) | EnableGrp1 (1); wait for RWP (31) */ \
	"mov	w0, #0x12\n"						\
	"str	w0, [x20]\n"						\
	"1:	ldr	w0, [x20]\n"					\
	"tbnz	w0, #31, 1b\n"						\
	"mov	w0, #-1\n"						\
	"str	w0, [x20, #0x84]\n"		/* GICD_IGROUPR1 */	\
	/* GICD_IPRIORITYR8..15 (0x420..0x43c): SPIs 32..63 */		\
	"movz	w0, #0xa0a0\n"						\
	"movk	w0, #0xa0a0, lsl #16\n"					\
	"mov	x2, #0x420\n"						\
	"1:	str	w0, [x20, x2]\n"				\
	"add	x2, x2, #4\n"						\
	"cmp	x2, #0x440\n"						\
	"b.lo	1b\n"							\
	"str	w14, [x20, #0x428]\n"		/* GICD_IPRIORITYR10 */	\
	"str	w12, [x20, #0xc08]\n"		/* GICD_ICFGR2 */	\
	/* GICD_IROUTER32..63 (0x6100..0x61f8) = Aff 0.0.0.0, not 1-of-N */ \
	"add	x1, x20, #0x6, lsl #12\n"				\
	"mov	x2, #0x100\n"						\
	"1:	str	xzr, [x1, x2]\n"				\
	"add	x2, x2, #8\n"						\
	"cmp	x2, #0x200\n"						\
	"b.lo	1b\n"							\
	"str	w13, [x20, #0x104]\n"		/* GICD_ISENABLER1 */	\
	/* GICR_WAKER (0x14): ProcessorSleep (1) off, ChildrenAsleep (2) */ \
	"ldr	w1, [x21, #0x14]\n"					\
	"bic	w1, w1, #2\n"						\
	"str	w1, [x21, #0x14]\n"					\
	"1:	ldr	w1, [x21, #0x14]\n"				\
	"tbnz	w1, #2, 1b\n"						\
	"mov	w1, #-1\n"						\
	"str	w1, [x22, #0x80]\n"		/* GICR_IGROUPR0 */	\
	/* GICR_IPRIORITYR0..7 (SGI_base + 0x400..0x41c) */		\
	"mov	x2, #0x400\n"						\
	"1:	str	w0, [x22, x2]\n"				\
	"add	x2, x2, #4\n"						\
	"cmp	x2, #0x420\n"						\
	"b.lo	1b\n"							\
	"str	w11, [x22, #0x100]\n"		/* GICR_ISENABLER0 */	\
	"msr	icc_pmr_el1, x16\n"					\
	"mrs	x0, icc_ctlr_el1\n"					\
	"bic	x0, x0, #2\n"			/* EOImode 0 */		\
	"msr	icc_ctlr_el1, x0\n"					\
	"mov	x0, #1\n"						\
	"msr	icc_igrpen1_el1, x0\n"					\
	"mov	x24, #0\n"						\
	"isb\n"

/* Wait, with WFI, until x24 interrupts have been taken. */
#define G_WAIT(reg)							\
	"1:	cmp	x24, " reg "\n"					\
	"b.hs	2f\n"							\
	"wfi\n"								\
	"b	1b\n"							\
	"2:\n"

/* Give an interrupt that should not come time to come anyway. */
#define G_SPIN								\
	"mov	x0, #0x4000\n"						\
	"1:	subs	x0, x0, #1\n"					\
	"b.ne	1b\n"

/* Report x24, tagged so that the host tells it from an INTID. */
#define COUNT_TAG		0xc000000000000000ull
#define G_COUNT								\
	"orr	x0, x24, #0xc000000000000000\n"				\
	G_REPORT("x0")

struct gic_params {
	uint32_t gicr_enable;	/* x11 */
	uint32_t icfgr2;	/* x12 */
	uint32_t spi_enable;	/* x13 */
	uint32_t prio_40_43;	/* x14 */
	uint64_t pmr;		/* x16 */
};

#define GIC_PARAMS_DEFAULT						\
	.prio_40_43 = 0xa0a0a0a0, .pmr = 0xff

#define SPI_BIT(intid)		(1u << ((intid) - 32))
#define SPI_EDGE(intid)		(2u << 2 * ((intid) - 32))

static inline void gic_params_set(struct mkvm_vcpu *vcpu,
				  const struct gic_params *p)
{
	vcpu_set_reg(vcpu, MKVM_XREG(11), p->gicr_enable);
	vcpu_set_reg(vcpu, MKVM_XREG(12), p->icfgr2);
	vcpu_set_reg(vcpu, MKVM_XREG(13), p->spi_enable);
	vcpu_set_reg(vcpu, MKVM_XREG(14), p->prio_40_43);
	vcpu_set_reg(vcpu, MKVM_XREG(16), p->pmr);
}

/* vCPU @id of a GIC guest image: its own vectors, entry past them. */
static inline struct mkvm_vcpu *gic_vcpu_add(struct mkvm_vm *vm,
					     unsigned int id,
					     const struct gic_params *p)
{
	struct mkvm_vcpu *vcpu = vm_vcpu_add_features(vm, id, 0, GUEST_ENTRY);

	vcpu_set_reg(vcpu, MKVM_VBAR_EL1, MKVM_CODE_IPA);
	gic_params_set(vcpu, p);
	return vcpu;
}

/* The guest's first report is ICC_SRE_EL1: system registers enabled. */
static inline void expect_sre(struct mkvm_vcpu *vcpu)
{
	uint64_t sre = vcpu_report(vcpu);

	MKVM_CHECK(sre & 1, "vcpu %u: ICC_SRE_EL1 %#llx, SRE clear", vcpu->id,
		   (unsigned long long)sre);
}

#endif /* MKVM_GIC_H */
