// SPDX-License-Identifier: GPL-2.0
/*
 * The GICv3 ITS and LPIs (KVM_DEV_TYPE_ARM_VGIC_ITS, KVM_SIGNAL_MSI, MSI
 * routes for irqfds), with the answers of the kernel's KVM
 * (arch/arm64/kvm/vgic/vgic-its.c, Documentation/virt/kvm/devices/
 * arm-vgic-its.rst).  The guest programs its redistributors and the ITS
 * itself, and its commands go through the command queue in its memory;
 * the host only writes the 32-byte commands there and tells the guest
 * which register to write (a small MMIO interpreter in the guest), so
 * every ITS register access is the guest's.  Runs on the oracle boot too.
 */
#include <sys/eventfd.h>
#include "kselftest_harness.h"
#include "mkvm_vm.h"
#include "mkvm_gic.h"

/* The ITS frames, between the distributor and the redistributors. */
#define ITS_IPA		0x08080000ull
#define ITS_SIZE	0x20000ull

/* Guest RAM: tables 64 KiB aligned, after the code. */
#define DT_IPA		(MKVM_RAM_IPA + 0x10000)	/* device table */
#define CT_IPA		(MKVM_RAM_IPA + 0x20000)	/* collection table */
#define CQ_IPA		(MKVM_RAM_IPA + 0x30000)	/* command queue */
#define ITT_IPA		(MKVM_RAM_IPA + 0x40000)	/* device ITTs, 4K each */
#define PROP_IPA	(MKVM_RAM_IPA + 0x60000)	/* LPI configuration */
#define PEND_IPA(n)	(MKVM_RAM_IPA + 0x70000 + (n) * 0x10000)
#define NOWHERE_IPA	0x40000000ull			/* not RAM */

/* GITS_* and GICR_* offsets, and fields (IHI 0069, 12.19, 12.11). */
#define GITS_CTLR	0x0000
#define GITS_IIDR	0x0004
#define GITS_TYPER	0x0008
#define GITS_CBASER	0x0080
#define GITS_CWRITER	0x0088
#define GITS_CREADR	0x0090
#define GITS_BASER0	0x0100
#define GITS_BASER1	0x0108
#define GITS_PIDR2	0xffe8
#define GITS_TRANSLATER	0x10040
#define VALID		(1ull << 63)
#define PSZ_64K		(2ull << 8)
#define GICR_CTLR	0x0000
#define GICR_TYPER	0x0008
#define GICR_PROPBASER	0x0070
#define GICR_PENDBASER	0x0078
#define GICR_INVLPIR	0x00a0
#define GICD_TYPER	0x0004
#define LPI_IDBITS	15				/* 16 bits */
#define PROP_ON		(0xa0 | 2 | 1)			/* prio, group 1, enable */
#define PROP_OFF	(0xa0 | 2)

/* Commands (IHI 0069, 6.3). */
#define CMD_MOVI	0x01
#define CMD_INT		0x03
#define CMD_CLEAR	0x04
#define CMD_SYNC	0x05
#define CMD_MAPD	0x08
#define CMD_MAPC	0x09
#define CMD_MAPTI	0x0a
#define CMD_INV		0x0c
#define CMD_INVALL	0x0d
#define CMD_DISCARD	0x0f

#define LPI(n)		(8192 + (n))
#define DEV		5
#define EV		3

/*
 * The guest: after G_GIC_INIT it reports ICC_SRE_EL1 (expect_sre()), then,
 * with IRQs unmasked, it reports READY
 * and does what x9 says with x10 (an address or a count) and x11 (a
 * value), then reports the result:
 *   1 store x11 (64 bits) at x10     2 store w11 at x10
 *   3 load 64 bits from x10          4 load 32 bits from x10
 *   5 WFI until x24 >= x10 interrupts, report x24
 *   6 give interrupts time to come, report x24
 *   anything else: done
 * Its IRQ handler acknowledges, reports the INTID at ucall offset 0x18
 * (any INTID but 1020..1023: LPIs are above 8191), counts and EOIs.
 */
#define READY		0x4000000000000000ull
#define UCALL_IRQ	0x18
#define OP_ST64		1
#define OP_ST32		2
#define OP_LD64		3
#define OP_LD32		4
#define OP_WAIT		5
#define OP_SPIN		6
#define OP_DONE		0

#define G_IRQ_LPI							\
	"mrs	x26, icc_iar1_el1\n"					\
	"sub	x25, x26, #1020\n"					\
	"cmp	x25, #4\n"						\
	"b.lo	1f\n"							\
	G_UCALL_ADDR							\
	"str	x26, [x27, #0x18]\n"					\
	"add	x24, x24, #1\n"						\
	"msr	icc_eoir1_el1, x26\n"					\
	"1:	eret\n"

MKVM_GUEST(guest_its,
	G_VECTORS(G_IRQ_LPI)
	G_GIC_INIT
	"mrs	x0, icc_sre_el1\n"
	G_REPORT("x0")
	"msr	daifclr, #2\n"
	"its_loop:\n"
	"movz	x0, #0x4000, lsl #48\n"
	G_REPORT("x0")
	"mov	x0, #0\n"
	"cmp	x9, #1\n"
	"b.eq	its_st64\n"
	"cmp	x9, #2\n"
	"b.eq	its_st32\n"
	"cmp	x9, #3\n"
	"b.eq	its_ld64\n"
	"cmp	x9, #4\n"
	"b.eq	its_ld32\n"
	"cmp	x9, #5\n"
	"b.eq	its_wait\n"
	"cmp	x9, #6\n"
	"b.eq	its_spin\n"
	G_DONE
	"its_st64:	str	x11, [x10]\n"
	"b	its_out\n"
	"its_st32:	str	w11, [x10]\n"
	"b	its_out\n"
	"its_ld64:	ldr	x0, [x10]\n"
	"b	its_out\n"
	"its_ld32:	ldr	w0, [x10]\n"
	"b	its_out\n"
	"its_wait:\n"
	G_WAIT("x10")
	"mov	x0, x24\n"
	"b	its_out\n"
	"its_spin:\n"
	G_SPIN
	"mov	x0, x24\n"
	"its_out:\n"
	G_REPORT("x0")
	"b	its_loop\n");

/* The interrupts a vCPU took, in order. */
struct irq_log {
	uint32_t intid[64];
	unsigned int n;
};

struct its_vm {
	struct mkvm_vm *vm;
	struct mkvm_vcpu *vcpu[2];
	struct irq_log log[2];
	int gic, its;
	uint64_t cwriter;
	uint64_t cq_size;
};

static bool logged(const struct irq_log *log, uint32_t intid)
{
	unsigned int i;

	for (i = 0; i < log->n; i++)
		if (log->intid[i] == intid)
			return true;
	return false;
}

/*
 * Run vCPU @n to its next ucall other than an interrupt, logging the
 * interrupts it takes meanwhile: the ucall's offset, its value in *@val.
 */
static uint64_t its_next(struct its_vm *t, int n, uint64_t *val)
{
	for (;;) {
		struct kvm_run *run = vcpu_run_expect(t->vcpu[n],
						      KVM_EXIT_MMIO);
		uint64_t off = run->mmio.phys_addr - MKVM_UCALL_IPA;

		*val = mkvm_mmio_data(run);
		MKVM_CHECK(run->mmio.is_write, "vcpu %d: MMIO read at %#llx", n,
			   (unsigned long long)run->mmio.phys_addr);
		if (off != UCALL_IRQ)
			return off;
		if (t->log[n].n < 64)
			t->log[n].intid[t->log[n].n++] = *val;
	}
}

/* Run vCPU @n to its next report. */
static uint64_t its_report(struct its_vm *t, int n)
{
	uint64_t val, off = its_next(t, n, &val);

	MKVM_CHECK(off == UCALL_REPORT, "vcpu %d: ucall %#llx (%#llx)", n,
		   (unsigned long long)off, (unsigned long long)val);
	return val;
}

/* Have vCPU @n (stopped before its READY) do one operation. */
static uint64_t g_op(struct its_vm *t, int n, int op, uint64_t a, uint64_t b)
{
	uint64_t ready = its_report(t, n);

	MKVM_CHECK(ready == READY, "vcpu %d: %#llx, not READY", n,
		   (unsigned long long)ready);
	vcpu_set_reg(t->vcpu[n], MKVM_XREG(9), op);
	vcpu_set_reg(t->vcpu[n], MKVM_XREG(10), a);
	vcpu_set_reg(t->vcpu[n], MKVM_XREG(11), b);
	if (op != OP_DONE)
		return its_report(t, n);
	ready = its_next(t, n, &b);
	MKVM_CHECK(ready == UCALL_DONE, "vcpu %d: ucall %#llx, not DONE", n,
		   (unsigned long long)ready);
	return 0;
}

static void its_wr64(struct its_vm *t, uint64_t off, uint64_t val)
{
	g_op(t, 0, OP_ST64, ITS_IPA + off, val);
}

static uint64_t its_rd64(struct its_vm *t, uint64_t off)
{
	return g_op(t, 0, OP_LD64, ITS_IPA + off, 0);
}

static void rd_wr64(struct its_vm *t, int vcpu, uint64_t off, uint64_t val)
{
	g_op(t, 0, OP_ST64, GICR_IPA + vcpu * GICR_FRAME_SIZE + off, val);
}

/* LPI @intid's byte of the configuration table. */
static void lpi_prop(struct its_vm *t, uint32_t intid, uint8_t prop)
{
	*(uint8_t *)vm_gpa_to_hva(t->vm, PROP_IPA + intid - 8192) = prop;
}

static int its_create(struct mkvm_vm *vm, int *fd)
{
	return _vm_vgic_create_type(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, 0, fd);
}

static int its_attr(int fd, bool set, uint32_t group, uint64_t attr,
		    uint64_t *val)
{
	return _vgic_attr(fd, set, group, attr, val);
}

static int has_attr(int fd, uint32_t group, uint64_t attr)
{
	struct kvm_device_attr a = { .group = group, .attr = attr };

	return mkvm_ioctl(fd, KVM_HAS_DEVICE_ATTR, &a);
}

/*
 * A VM with @nr vCPUs running guest_its, the vGIC, an ITS at ITS_IPA,
 * and, programmed by vCPU 0: the LPI tables and EnableLPIs of every
 * redistributor, the ITS's device and collection tables (flat, 64 KiB),
 * a command queue of @cq_pages 4 KiB pages at @cq_ipa, the ITS enabled.
 */
static void guest_setup_at(struct its_vm *t, int nr, uint64_t cq_ipa,
			 unsigned int cq_pages)
{
	struct gic_params p = { GIC_PARAMS_DEFAULT };
	uint64_t base = ITS_IPA;
	int i;

	memset(t, 0, sizeof(*t));
	t->vm = vm_create(guest_its, guest_its_end);
	for (i = 0; i < nr; i++)
		t->vcpu[i] = gic_vcpu_add(t->vm, i, &p);
	t->gic = vm_vgic_setup(t->vm);
	MKVM_CHECK(!its_create(t->vm, &t->its), "create ITS");
	MKVM_CHECK(!its_attr(t->its, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
			     KVM_VGIC_ITS_ADDR_TYPE, &base), "ITS base");
	MKVM_CHECK(!its_attr(t->its, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
			     KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), "ITS init");
	for (i = 0; i < nr; i++)
		expect_sre(t->vcpu[i]);
	for (i = 0; i < nr; i++) {
		rd_wr64(t, i, GICR_PROPBASER, PROP_IPA | LPI_IDBITS);
		rd_wr64(t, i, GICR_PENDBASER, PEND_IPA(i));
		g_op(t, 0, OP_ST32, GICR_IPA + i * GICR_FRAME_SIZE + GICR_CTLR,
		     1);
	}
	its_wr64(t, GITS_BASER0, DT_IPA | VALID | PSZ_64K);
	its_wr64(t, GITS_BASER1, CT_IPA | VALID | PSZ_64K);
	its_wr64(t, GITS_CBASER, cq_ipa | VALID | (cq_pages - 1));
	t->cq_size = cq_pages * 4096ull;
	g_op(t, 0, OP_ST32, ITS_IPA + GITS_CTLR, 1);
}

static void guest_setup(struct its_vm *t, int nr)
{
	guest_setup_at(t, nr, CQ_IPA, 16);
}

static void guest_free(struct its_vm *t)
{
	int i;

	for (i = 0; i < 2; i++)
		if (t->vcpu[i])
			vcpu_free(t->vcpu[i]);
	close(t->its);
	close(t->gic);
	vm_free(t->vm);
}

/* Queue one command at CWRITER (the guest moves CWRITER afterwards). */
static void cmd_put(struct its_vm *t, uint64_t w0, uint64_t w1, uint64_t w2,
		    uint64_t w3)
{
	uint64_t *c = vm_gpa_to_hva(t->vm, CQ_IPA + t->cwriter);

	c[0] = w0;
	c[1] = w1;
	c[2] = w2;
	c[3] = w3;
	t->cwriter = (t->cwriter + 32) % t->cq_size;
}

/* The guest moves CWRITER; the ITS has read every command by then. */
static void cmd_go(struct its_vm *t)
{
	its_wr64(t, GITS_CWRITER, t->cwriter);
	MKVM_CHECK(its_rd64(t, GITS_CREADR) == t->cwriter, "CREADR behind");
}

static void cmd_mapd(struct its_vm *t, uint32_t dev, uint64_t itt,
		     unsigned int bits, bool valid)
{
	cmd_put(t, CMD_MAPD | (uint64_t)dev << 32, bits - 1,
		itt | (valid ? VALID : 0), 0);
}

static void cmd_mapc(struct its_vm *t, uint32_t coll, uint32_t vcpu,
		     bool valid)
{
	cmd_put(t, CMD_MAPC, 0,
		coll | (uint64_t)vcpu << 16 | (valid ? VALID : 0), 0);
}

static void cmd_mapti(struct its_vm *t, uint32_t dev, uint32_t ev,
		      uint32_t intid, uint32_t coll)
{
	cmd_put(t, CMD_MAPTI | (uint64_t)dev << 32,
		ev | (uint64_t)intid << 32, coll, 0);
}

static void cmd_ev(struct its_vm *t, int code, uint32_t dev, uint32_t ev,
		   uint32_t coll)
{
	cmd_put(t, code | (uint64_t)dev << 32, ev, coll, 0);
}

/* Device DEV with 16 events, collection 0 on vCPU 0, EV -> LPI(n). */
static void map_one(struct its_vm *t, uint32_t n, uint8_t prop)
{
	lpi_prop(t, LPI(n), prop);
	cmd_mapd(t, DEV, ITT_IPA, 4, true);
	cmd_mapc(t, 0, 0, true);
	cmd_mapti(t, DEV, EV, LPI(n), 0);
	cmd_go(t);
}

static int _signal_msi(struct mkvm_vm *vm, uint64_t addr, uint32_t dev,
		       uint32_t ev, uint32_t flags)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = addr >> 32,
		.data = ev, .devid = dev, .flags = flags,
	};
	int ret = ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);

	return ret < 0 ? -errno : ret;
}

/* An MSI as a PCI device would send it: to GITS_TRANSLATER, with its ID. */
static int msi(struct its_vm *t, uint32_t dev, uint32_t ev)
{
	return _signal_msi(t->vm, ITS_IPA + GITS_TRANSLATER, dev, ev,
			   KVM_MSI_VALID_DEVID);
}

MKVM_VM_FIXTURE(its);

TEST_F(its, caps_and_msi_errors)
{
	int its, gic;

	self->vm = vm_create_bare();
	EXPECT_EQ(1, ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_SIGNAL_MSI));
	EXPECT_EQ(-1, ioctl(self->vm->kvm_fd, KVM_CHECK_EXTENSION,
			    KVM_CAP_MSI_DEVID));
	EXPECT_EQ(EINVAL, errno) TH_LOG("MSI_DEVID is a VM question");
	EXPECT_EQ(0, ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_MSI_DEVID)) TH_LOG("no ITS yet");
	EXPECT_EQ(-EINVAL, _signal_msi(self->vm, ITS_IPA, 0, 0,
				       KVM_MSI_VALID_DEVID)) TH_LOG("no vGIC");
	gic = vm_vgic_create(self->vm);
	EXPECT_EQ(-ENODEV, _signal_msi(self->vm, ITS_IPA, 0, 0,
				       KVM_MSI_VALID_DEVID)) TH_LOG("no ITS");
	EXPECT_EQ(0, _vm_vgic_create_type(self->vm, KVM_DEV_TYPE_ARM_VGIC_ITS,
					  KVM_CREATE_DEVICE_TEST, NULL));
	EXPECT_EQ(0, ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_MSI_DEVID)) TH_LOG("only tested");
	ASSERT_EQ(0, its_create(self->vm, &its));
	EXPECT_EQ(1, ioctl(self->vm->fd, KVM_CHECK_EXTENSION,
			   KVM_CAP_MSI_DEVID));
	EXPECT_EQ(-EINVAL, _signal_msi(self->vm, ITS_IPA, 0, 0, 0))
		TH_LOG("no device ID");
	EXPECT_EQ(-EINVAL, _signal_msi(self->vm, ITS_IPA, 0, 0, 2))
		TH_LOG("unknown flag");
	EXPECT_EQ(-EINVAL, _signal_msi(self->vm, ITS_IPA, 0, 0,
				       KVM_MSI_VALID_DEVID))
		TH_LOG("no ITS frame there yet");
	close(its);
	close(gic);
}

TEST_F(its, device_attrs)
{
	uint64_t val, base = ITS_IPA;
	int its;

	self->vm = vm_create_bare();
	ASSERT_EQ(0, its_create(self->vm, &its));
	EXPECT_EQ(0, has_attr(its, KVM_DEV_ARM_VGIC_GRP_ADDR,
			      KVM_VGIC_ITS_ADDR_TYPE));
	EXPECT_EQ(-ENXIO, has_attr(its, KVM_DEV_ARM_VGIC_GRP_ADDR, 5));
	EXPECT_EQ(0, has_attr(its, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_VGIC_CTRL_INIT));
	EXPECT_EQ(0, has_attr(its, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_ITS_CTRL_RESET));
	EXPECT_EQ(0, has_attr(its, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_ITS_SAVE_TABLES));
	EXPECT_EQ(0, has_attr(its, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_ITS_RESTORE_TABLES));
	EXPECT_EQ(0, has_attr(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, GITS_CTLR));
	EXPECT_EQ(0, has_attr(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			      GITS_BASER0 + 8));
	EXPECT_EQ(-EINVAL, has_attr(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 1));
	EXPECT_EQ(-EINVAL, has_attr(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				    GITS_TYPER + 4)) TH_LOG("64-bit aligned");
	EXPECT_EQ(-ENXIO, has_attr(its, KVM_DEV_ARM_VGIC_GRP_ITS_REGS, 0x200));
	EXPECT_EQ(-ENXIO, has_attr(its, 99, 0));

	EXPECT_EQ(-ENXIO, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				   GITS_TYPER, &val)) TH_LOG("no base yet");
	val = ITS_IPA + 0x1000;
	EXPECT_EQ(-EINVAL, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_ITS_ADDR_TYPE, &val));
	val = 1ull << 40;
	EXPECT_EQ(-E2BIG, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				   KVM_VGIC_ITS_ADDR_TYPE, &val));
	EXPECT_EQ(-ENODEV, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ADDR, 5,
				    &base));
	EXPECT_EQ(-ENODEV, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_ADDR, 5,
				    &val));
	EXPECT_EQ(-EFAULT, _vgic_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				      KVM_VGIC_ITS_ADDR_TYPE, (void *)8));
	EXPECT_EQ(0, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
			      KVM_VGIC_ITS_ADDR_TYPE, &base));
	EXPECT_EQ(-EEXIST, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				    KVM_VGIC_ITS_ADDR_TYPE, &base));
	val = 0;
	EXPECT_EQ(0, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_ADDR,
			      KVM_VGIC_ITS_ADDR_TYPE, &val));
	EXPECT_EQ(ITS_IPA, val);

	EXPECT_EQ(0, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_VGIC_CTRL_INIT, NULL));
	EXPECT_EQ(0, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_CTRL,
			      KVM_DEV_ARM_ITS_CTRL_RESET, NULL));
	EXPECT_EQ(-ENXIO, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_CTRL,
				   KVM_DEV_ARM_VGIC_CTRL_INIT, &val));
	EXPECT_EQ(-ENXIO, its_attr(its, true, 99, 0, &val));

	EXPECT_EQ(0, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			      GITS_TYPER, &val));
	/* PLPIS, 16 device ID bits, 16 event ID bits, 8-byte ITT entries. */
	EXPECT_EQ(0x1ef71, val);
	EXPECT_EQ(0, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			      GITS_IIDR, &val));
	EXPECT_EQ(0x4b00043b, val);
	val = 0x4b00143b;
	EXPECT_EQ(-EINVAL, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				    GITS_IIDR, &val)) TH_LOG("ABI revision 1");
	val = 0x4b00043b;
	EXPECT_EQ(0, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			      GITS_IIDR, &val));
	/* A 4 KiB queue (CBASER 0): CREADR inside it only. */
	val = 0x20;
	EXPECT_EQ(0, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			      GITS_CREADR, &val));
	val = 0;
	EXPECT_EQ(0, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			      GITS_CREADR, &val));
	EXPECT_EQ(0x20, val);
	val = 0x2000;
	EXPECT_EQ(-EINVAL, its_attr(its, true, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
				    GITS_CREADR, &val));
	EXPECT_EQ(0, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			      GITS_BASER0, &val));
	EXPECT_EQ(1, (val >> 56) & 7) TH_LOG("BASER0: the device table");
	EXPECT_EQ(7, (val >> 48) & 0x1f) TH_LOG("8-byte entries");
	EXPECT_EQ(0, its_attr(its, false, KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
			      GITS_BASER1, &val));
	EXPECT_EQ(4, (val >> 56) & 7) TH_LOG("BASER1: the collection table");
	close(its);
}

/* What the guest sees: the registers that announce LPIs and the ITS. */
TEST_F(its, guest_registers)
{
	struct its_vm t;
	uint64_t v;

	guest_setup(&t, 1);
	self->vm = t.vm;
	v = g_op(&t, 0, OP_LD32, GICD_IPA + GICD_TYPER, 0);
	EXPECT_TRUE(v & (1u << 17)) TH_LOG("GICD_TYPER.LPIS");
	EXPECT_EQ(LPI_IDBITS, (v >> 19) & 0x1f) TH_LOG("GICD_TYPER.IDbits");
	v = g_op(&t, 0, OP_LD64, GICR_IPA + GICR_TYPER, 0);
	EXPECT_TRUE(v & 1) TH_LOG("GICR_TYPER.PLPIS");
	EXPECT_EQ(1, g_op(&t, 0, OP_LD32, GICR_IPA + GICR_CTLR, 0) & 1)
		TH_LOG("GICR_CTLR.EnableLPIs");
	/* PROPBASER is fixed while LPIs are on. */
	rd_wr64(&t, 0, GICR_PROPBASER, DT_IPA | 3);
	v = g_op(&t, 0, OP_LD64, GICR_IPA + GICR_PROPBASER, 0);
	EXPECT_EQ(PROP_IPA | LPI_IDBITS, v & (0xfffffffff000ull | 0x1f));
	EXPECT_EQ(0x1ef71, its_rd64(&t, GITS_TYPER));
	EXPECT_EQ(0x4b00043b, g_op(&t, 0, OP_LD32, ITS_IPA + GITS_IIDR, 0));
	EXPECT_EQ(0x3b, g_op(&t, 0, OP_LD32, ITS_IPA + GITS_PIDR2, 0));
	EXPECT_EQ(0x80000001, g_op(&t, 0, OP_LD32, ITS_IPA + GITS_CTLR, 0))
		TH_LOG("enabled, quiescent");
	v = its_rd64(&t, GITS_BASER0);
	EXPECT_EQ(DT_IPA | VALID, v & (VALID | 0xffffffff0000ull));
	/* The upper half of CBASER, 32 bits at a time. */
	EXPECT_EQ(VALID >> 32, g_op(&t, 0, OP_LD32,
				    ITS_IPA + GITS_CBASER + 4, 0) & (1u << 31));
	g_op(&t, 0, OP_DONE, 0, 0);
	guest_free(&t);
	self->vm = NULL;
}

/* MAPD, MAPC, MAPTI; an MSI then reaches the guest as the LPI. */
TEST_F(its, msi_delivers_lpi)
{
	struct its_vm t;

	guest_setup(&t, 1);
	self->vm = t.vm;
	map_one(&t, 8, PROP_ON);
	EXPECT_EQ(0, g_op(&t, 0, OP_SPIN, 0, 0)) TH_LOG("nothing yet");
	/*
	 * A mapped event, but no KVM_MSI_VALID_DEVID.  Before its first
	 * delivery: KVM's translation cache answers a later one without
	 * looking at the flag.
	 */
	EXPECT_EQ(-EINVAL, _signal_msi(t.vm, ITS_IPA, DEV, EV, 0));
	EXPECT_EQ(0, g_op(&t, 0, OP_SPIN, 0, 0)) TH_LOG("nothing delivered");
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(1, g_op(&t, 0, OP_WAIT, 1, 0));
	ASSERT_EQ(1, t.log[0].n);
	EXPECT_EQ(LPI(8), t.log[0].intid[0]);
	/* No translation: blocked (0), nothing delivered. */
	EXPECT_EQ(0, msi(&t, DEV, EV + 1)) TH_LOG("unmapped event");
	EXPECT_EQ(0, msi(&t, DEV + 1, EV)) TH_LOG("unmapped device");
	EXPECT_EQ(-EINVAL, _signal_msi(t.vm, GICD_IPA, DEV, EV,
				       KVM_MSI_VALID_DEVID)) TH_LOG("not an ITS");
	/* Any address of the ITS's frames is its doorbell (KVM). */
	EXPECT_EQ(1, _signal_msi(t.vm, ITS_IPA, DEV, EV, KVM_MSI_VALID_DEVID));
	EXPECT_EQ(2, g_op(&t, 0, OP_WAIT, 2, 0));
	EXPECT_EQ(2, g_op(&t, 0, OP_SPIN, 0, 0));
	EXPECT_EQ(LPI(8), t.log[0].intid[1]);
	g_op(&t, 0, OP_DONE, 0, 0);
	guest_free(&t);
	self->vm = NULL;
}

/* INT: the guest triggers its own LPI through the queue. */
TEST_F(its, int_command)
{
	struct its_vm t;

	guest_setup(&t, 1);
	self->vm = t.vm;
	map_one(&t, 9, PROP_ON);
	cmd_ev(&t, CMD_INT, DEV, EV, 0);
	cmd_go(&t);
	EXPECT_EQ(1, g_op(&t, 0, OP_WAIT, 1, 0));
	ASSERT_EQ(1, t.log[0].n);
	EXPECT_EQ(LPI(9), t.log[0].intid[0]);
	/* DISCARD: the event translates to nothing any more. */
	cmd_ev(&t, CMD_DISCARD, DEV, EV, 0);
	cmd_go(&t);
	EXPECT_EQ(0, msi(&t, DEV, EV));
	cmd_mapti(&t, DEV, EV, LPI(20), 0);
	lpi_prop(&t, LPI(20), PROP_ON);
	cmd_go(&t);
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(2, g_op(&t, 0, OP_WAIT, 2, 0));
	EXPECT_EQ(LPI(20), t.log[0].intid[1]);
	g_op(&t, 0, OP_DONE, 0, 0);
	guest_free(&t);
	self->vm = NULL;
}

/*
 * An LPI disabled in the configuration table stays pending, and is not
 * delivered when the table changes - only once INV (or GICR_INVLPIR)
 * tells the redistributor to read it again.  CLEAR drops a pending one.
 */
TEST_F(its, disabled_lpi_waits_for_inv)
{
	struct its_vm t;

	guest_setup(&t, 1);
	self->vm = t.vm;
	map_one(&t, 10, PROP_OFF);
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(0, g_op(&t, 0, OP_SPIN, 0, 0)) TH_LOG("disabled");
	lpi_prop(&t, LPI(10), PROP_ON);
	EXPECT_EQ(0, g_op(&t, 0, OP_SPIN, 0, 0)) TH_LOG("not read again yet");
	cmd_ev(&t, CMD_INV, DEV, EV, 0);
	cmd_go(&t);
	EXPECT_EQ(1, g_op(&t, 0, OP_WAIT, 1, 0));

	/* Again, with the redistributor's GICR_INVLPIR. */
	lpi_prop(&t, LPI(10), PROP_OFF);
	cmd_ev(&t, CMD_INV, DEV, EV, 0);
	cmd_go(&t);
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(1, g_op(&t, 0, OP_SPIN, 0, 0));
	lpi_prop(&t, LPI(10), PROP_ON);
	rd_wr64(&t, 0, GICR_INVLPIR, LPI(10));
	EXPECT_EQ(2, g_op(&t, 0, OP_WAIT, 2, 0));

	/* Pending while disabled, then CLEARed: never delivered. */
	lpi_prop(&t, LPI(10), PROP_OFF);
	cmd_ev(&t, CMD_INV, DEV, EV, 0);
	cmd_go(&t);
	EXPECT_EQ(1, msi(&t, DEV, EV));
	cmd_ev(&t, CMD_CLEAR, DEV, EV, 0);
	lpi_prop(&t, LPI(10), PROP_ON);
	cmd_put(&t, CMD_INVALL, 0, 0, 0);	/* collection 0 */
	cmd_go(&t);
	EXPECT_EQ(2, g_op(&t, 0, OP_SPIN, 0, 0));
	/* INVALL did read the table: the LPI is enabled again. */
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(3, g_op(&t, 0, OP_WAIT, 3, 0));
	ASSERT_EQ(3, t.log[0].n);
	EXPECT_EQ(LPI(10), t.log[0].intid[2]);
	g_op(&t, 0, OP_DONE, 0, 0);
	guest_free(&t);
	self->vm = NULL;
}

/* MOVI: the event's LPI goes to the other collection's vCPU. */
TEST_F(its, movi_to_other_vcpu)
{
	struct its_vm t;

	guest_setup(&t, 2);
	self->vm = t.vm;
	map_one(&t, 11, PROP_ON);
	cmd_mapc(&t, 1, 1, true);
	cmd_ev(&t, CMD_MOVI, DEV, EV, 1);
	cmd_go(&t);
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(1, g_op(&t, 1, OP_WAIT, 1, 0));
	ASSERT_EQ(1, t.log[1].n);
	EXPECT_EQ(LPI(11), t.log[1].intid[0]);
	EXPECT_EQ(0, g_op(&t, 0, OP_SPIN, 0, 0)) TH_LOG("not to vCPU 0");
	/* MAPC moves the collection, and the LPI with it. */
	cmd_mapc(&t, 1, 0, true);
	cmd_go(&t);
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(1, g_op(&t, 0, OP_WAIT, 1, 0));
	EXPECT_EQ(LPI(11), t.log[0].intid[0]);
	g_op(&t, 0, OP_DONE, 0, 0);
	g_op(&t, 1, OP_DONE, 0, 0);
	guest_free(&t);
	self->vm = NULL;
}

/* An irqfd with an MSI route: the eventfd's signal arrives as the LPI. */
TEST_F(its, irqfd_msi_route)
{
	struct kvm_irq_routing *r;
	struct kvm_irqfd irqfd = { .gsi = 7 };
	uint64_t one = 1;
	struct its_vm t;
	int efd;

	guest_setup(&t, 1);
	self->vm = t.vm;
	map_one(&t, 12, PROP_ON);
	r = calloc(1, sizeof(*r) + sizeof(r->entries[0]));
	ASSERT_NE(NULL, r);
	r->nr = 1;
	r->entries[0] = (struct kvm_irq_routing_entry) {
		.gsi = 7, .type = KVM_IRQ_ROUTING_MSI,
		.flags = KVM_MSI_VALID_DEVID,
		.u.msi = { .address_lo = ITS_IPA + GITS_TRANSLATER,
			   .data = EV, .devid = DEV },
	};
	ASSERT_EQ(0, mkvm_ioctl(t.vm->fd, KVM_SET_GSI_ROUTING, r));
	free(r);
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	irqfd.fd = efd;
	ASSERT_EQ(0, mkvm_ioctl(t.vm->fd, KVM_IRQFD, &irqfd));
	ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
	/* The guest sleeps in WFI until the injection wakes it. */
	EXPECT_EQ(1, g_op(&t, 0, OP_WAIT, 1, 0));
	ASSERT_EQ(1, t.log[0].n);
	EXPECT_EQ(LPI(12), t.log[0].intid[0]);
	ASSERT_EQ(sizeof(one), write(efd, &one, sizeof(one)));
	EXPECT_EQ(2, g_op(&t, 0, OP_WAIT, 2, 0));
	g_op(&t, 0, OP_DONE, 0, 0);
	/* The VM goes with the irqfd still assigned. */
	guest_free(&t);
	self->vm = NULL;
	close(efd);
}

/*
 * Commands the architecture makes errors (or UNPREDICTABLE): ignored, as
 * KVM ignores them; the queue drains and what was mapped keeps working.
 */
TEST_F(its, hostile_commands)
{
	struct its_vm t;
	unsigned int delivered = 1;

	guest_setup(&t, 1);
	self->vm = t.vm;
	map_one(&t, 14, PROP_ON);
	lpi_prop(&t, LPI(15), PROP_ON);
	lpi_prop(&t, LPI(17), PROP_ON);
	lpi_prop(&t, LPI(18), PROP_ON);
	/* The same event mapped again: the first mapping stays. */
	cmd_mapti(&t, DEV, EV, LPI(15), 0);
	/* A device ID beyond GITS_TYPER.Devbits and the device table. */
	cmd_mapd(&t, 0xffffffff, ITT_IPA, 4, true);
	cmd_mapti(&t, 0xffffffff, 0, LPI(15), 0);
	/* An ITT of 2^17 events: more than GITS_TYPER.IDbits. */
	cmd_mapd(&t, 6, ITT_IPA + 0x1000, 17, true);
	cmd_mapti(&t, 6, 0, LPI(15), 0);
	/* 4 events: event 4 is outside the ITT; INTIDs out of range. */
	cmd_mapd(&t, 7, ITT_IPA + 0x2000, 2, true);
	cmd_mapti(&t, 7, 4, LPI(15), 0);
	cmd_mapti(&t, 7, 0, 100, 0);
	cmd_mapti(&t, 7, 1, 70000, 0);
	cmd_mapti(&t, 7, 3, LPI(17), 0);
	/* Into a collection not mapped yet; MOVI to one not mapped. */
	cmd_mapti(&t, 7, 2, LPI(18), 9);
	cmd_ev(&t, CMD_MOVI, 7, 3, 10);
	cmd_put(&t, CMD_INVALL, 0, 11, 0);
	/* An unknown command, and SYNC. */
	cmd_put(&t, 0xff, ~0ull, ~0ull, ~0ull);
	cmd_put(&t, CMD_SYNC, 0, 0, 0);
	cmd_go(&t);

	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(0, msi(&t, 0xffffffff, 0));
	EXPECT_EQ(0, msi(&t, 6, 0));
	EXPECT_EQ(0, msi(&t, 7, 4));
	EXPECT_EQ(0, msi(&t, 7, 0));
	EXPECT_EQ(0, msi(&t, 7, 1));
	EXPECT_EQ(0, msi(&t, 7, 2)) TH_LOG("collection 9 not mapped");
	EXPECT_EQ(1, msi(&t, 7, 3)) TH_LOG("MOVI to collection 10 ignored");
	delivered++;
	cmd_mapc(&t, 9, 0, true);
	cmd_go(&t);
	EXPECT_EQ(1, msi(&t, 7, 2));
	delivered++;
	EXPECT_EQ(delivered, g_op(&t, 0, OP_WAIT, delivered, 0));
	EXPECT_EQ(delivered, g_op(&t, 0, OP_SPIN, 0, 0));
	ASSERT_EQ(delivered, t.log[0].n);
	/* Equal priorities: any order. */
	EXPECT_TRUE(logged(&t.log[0], LPI(14)));
	EXPECT_TRUE(logged(&t.log[0], LPI(17)));
	EXPECT_TRUE(logged(&t.log[0], LPI(18)));
	EXPECT_FALSE(logged(&t.log[0], LPI(15)));
	/* MAPD with V=0 drops the device and its translations. */
	cmd_mapd(&t, DEV, 0, 1, false);
	cmd_go(&t);
	EXPECT_EQ(0, msi(&t, DEV, EV));
	g_op(&t, 0, OP_DONE, 0, 0);
	guest_free(&t);
	self->vm = NULL;
}

/*
 * A hostile queue: CWRITER past the end (ignored), commands wrapping at
 * the end of a one-page queue, a queue outside guest RAM (every command
 * skipped, CREADR still catches up).
 */
TEST_F(its, hostile_queue)
{
	struct its_vm t;
	int i;

	guest_setup_at(&t, 1, CQ_IPA, 1);
	self->vm = t.vm;
	its_wr64(&t, GITS_CWRITER, 4096 + 32);
	EXPECT_EQ(0, its_rd64(&t, GITS_CWRITER)) TH_LOG("past the end");
	EXPECT_EQ(0, its_rd64(&t, GITS_CREADR));
	for (i = 0; i < 126; i++)
		cmd_put(&t, CMD_SYNC, 0, 0, 0);
	cmd_go(&t);
	/* MAPD, MAPC at the end, MAPTI from the start again. */
	map_one(&t, 16, PROP_ON);
	EXPECT_EQ(32, t.cwriter);
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(1, g_op(&t, 0, OP_WAIT, 1, 0));
	EXPECT_EQ(LPI(16), t.log[0].intid[0]);

	/* The ITS off, a queue where there is no RAM, on again. */
	g_op(&t, 0, OP_ST32, ITS_IPA + GITS_CTLR, 0);
	its_wr64(&t, GITS_CBASER, NOWHERE_IPA | VALID | 15);
	EXPECT_EQ(0, its_rd64(&t, GITS_CREADR)) TH_LOG("reset with CBASER");
	g_op(&t, 0, OP_ST32, ITS_IPA + GITS_CTLR, 1);
	its_wr64(&t, GITS_CWRITER, 0xffe0);
	EXPECT_EQ(0xffe0, its_rd64(&t, GITS_CREADR));
	/* A 64-bit CWRITER with junk above the offset: only 19:5 count. */
	its_wr64(&t, GITS_CWRITER, 0xffffffff00000040ull);
	EXPECT_EQ(0x40, its_rd64(&t, GITS_CWRITER));
	EXPECT_EQ(0x40, its_rd64(&t, GITS_CREADR));
	/* The translations are the ITS's, not the queue's: still there. */
	EXPECT_EQ(1, msi(&t, DEV, EV));
	EXPECT_EQ(2, g_op(&t, 0, OP_WAIT, 2, 0));
	/* A disabled ITS translates nothing: KVM answers -EBUSY. */
	g_op(&t, 0, OP_ST32, ITS_IPA + GITS_CTLR, 0);
	EXPECT_EQ(-EBUSY, msi(&t, DEV, EV));
	g_op(&t, 0, OP_DONE, 0, 0);
	guest_free(&t);
	self->vm = NULL;
}

/* The GIC's KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, and the ITS's controls. */
static void its_ctrl(int fd, uint64_t attr, int expect)
{
	int ret = its_attr(fd, true, KVM_DEV_ARM_VGIC_GRP_CTRL, attr, NULL);

	MKVM_CHECK(ret == expect, "control %llu: %d, expected %d",
		   (unsigned long long)attr, ret, expect);
}

static uint64_t gmem64(struct its_vm *t, uint64_t gpa)
{
	return *(uint64_t *)vm_gpa_to_hva(t->vm, gpa);
}

/*
 * KVM_DEV_ARM_ITS_SAVE_TABLES writes KVM's table layout (ABI revision 0)
 * into the guest's tables, SAVE_PENDING_TABLES the pending LPIs; a second
 * VM given copies of those tables gets the translations and the pending
 * state back with RESTORE_TABLES, and refuses an inconsistent table.
 */
TEST_F(its, save_restore_tables)
{
	static const uint64_t copy[][2] = {
		{ DT_IPA, 0x10000 }, { CT_IPA, 0x10000 },
		{ ITT_IPA, 0x20000 }, { PROP_IPA, 0x10000 },
		{ PEND_IPA(0), 0x10000 },
	};
	struct its_vm a, b;
	uint8_t *pend;
	unsigned int i;

	guest_setup(&a, 1);
	self->vm = a.vm;
	map_one(&a, 21, PROP_ON);
	lpi_prop(&a, LPI(22), PROP_OFF);
	cmd_mapd(&a, 9, ITT_IPA + 0x1000, 4, true);
	cmd_mapc(&a, 2, 0, true);
	cmd_mapti(&a, 9, 1, LPI(22), 2);
	cmd_go(&a);
	EXPECT_EQ(1, msi(&a, 9, 1)) TH_LOG("pending, disabled");
	its_ctrl(a.its, KVM_DEV_ARM_ITS_SAVE_TABLES, 0);
	its_ctrl(a.gic, KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES, 0);
	/* Device 5: valid, next device 4 IDs on, its ITT, 4 event bits. */
	EXPECT_EQ(1ull << 63 | 4ull << 49 | (ITT_IPA >> 8) << 5 | 3,
		  gmem64(&a, DT_IPA + DEV * 8));
	EXPECT_EQ(1ull << 63 | ((ITT_IPA + 0x1000) >> 8) << 5 | 3,
		  gmem64(&a, DT_IPA + 9 * 8));
	/* Its event: the last (next 0), the LPI, collection 0. */
	EXPECT_EQ((uint64_t)LPI(21) << 16, gmem64(&a, ITT_IPA + EV * 8));
	EXPECT_EQ((uint64_t)LPI(22) << 16 | 2,
		  gmem64(&a, ITT_IPA + 0x1000 + 8));
	/* The collections in the order they were made, then an end mark. */
	EXPECT_EQ(1ull << 63, gmem64(&a, CT_IPA));
	EXPECT_EQ(1ull << 63 | 2, gmem64(&a, CT_IPA + 8));
	EXPECT_EQ(0, gmem64(&a, CT_IPA + 16));
	pend = vm_gpa_to_hva(a.vm, PEND_IPA(0));
	EXPECT_EQ(1 << (LPI(22) % 8), pend[LPI(22) / 8]);
	EXPECT_EQ(0, pend[LPI(21) / 8] & (1 << (LPI(21) % 8)));

	guest_setup(&b, 1);
	for (i = 0; i < ARRAY_SIZE(copy); i++)
		memcpy(vm_gpa_to_hva(b.vm, copy[i][0]),
		       vm_gpa_to_hva(a.vm, copy[i][0]), copy[i][1]);
	/* A device entry with 32 event bits: refused, nothing kept. */
	*(uint64_t *)vm_gpa_to_hva(b.vm, DT_IPA + 3 * 8) = 1ull << 63 | 31;
	its_ctrl(b.its, KVM_DEV_ARM_ITS_RESTORE_TABLES, -EINVAL);
	EXPECT_EQ(0, msi(&b, DEV, EV));
	*(uint64_t *)vm_gpa_to_hva(b.vm, DT_IPA + 3 * 8) = 0;
	its_ctrl(b.its, KVM_DEV_ARM_ITS_RESTORE_TABLES, 0);
	EXPECT_EQ(1, msi(&b, DEV, EV));
	EXPECT_EQ(1, g_op(&b, 0, OP_WAIT, 1, 0));
	EXPECT_EQ(LPI(21), b.log[0].intid[0]);
	/* LPI 22 came back pending (its bit consumed), still disabled. */
	pend = vm_gpa_to_hva(b.vm, PEND_IPA(0));
	EXPECT_EQ(0, pend[LPI(22) / 8]);
	EXPECT_EQ(1, g_op(&b, 0, OP_SPIN, 0, 0));
	lpi_prop(&b, LPI(22), PROP_ON);
	cmd_ev(&b, CMD_INV, 9, 1, 0);
	cmd_go(&b);
	EXPECT_EQ(2, g_op(&b, 0, OP_WAIT, 2, 0));
	EXPECT_EQ(LPI(22), b.log[0].intid[1]);
	/*
	 * EnableLPIs off and on again (no PENDBASER.PTZ): the redistributor
	 * loads its LPIs' pending state from the table.
	 */
	g_op(&b, 0, OP_ST32, GICR_IPA + GICR_CTLR, 0);
	EXPECT_EQ(-EBUSY, msi(&b, DEV, EV)) TH_LOG("LPIs off");
	pend[LPI(21) / 8] |= 1 << (LPI(21) % 8);
	g_op(&b, 0, OP_ST32, GICR_IPA + GICR_CTLR, 1);
	EXPECT_EQ(3, g_op(&b, 0, OP_WAIT, 3, 0));
	EXPECT_EQ(LPI(21), b.log[0].intid[2]);
	g_op(&b, 0, OP_DONE, 0, 0);
	guest_free(&b);
	g_op(&a, 0, OP_DONE, 0, 0);
	guest_free(&a);
	self->vm = NULL;
}

TEST_HARNESS_MAIN
