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

#include "mkvm_its.h"

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
	struct kvm_irqfd irqfd = { .gsi = 7 };
	uint64_t one = 1;
	struct its_vm t;
	int efd;

	guest_setup(&t, 1);
	self->vm = t.vm;
	map_one(&t, 12, PROP_ON);
	ASSERT_EQ(0, _set_msi_route(t.vm, 7, DEV, EV));
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

static void fire(int efd)
{
	uint64_t one = 1;

	MKVM_CHECK(write(efd, &one, sizeof(one)) == sizeof(one),
		   "eventfd write: %s", strerror(errno));
}

/*
 * A signal the ITS cannot translate at once goes to a work item that may
 * run later, after the test changed the translation again.  Deassigning
 * the irqfd waits for that work (on KVM too); assigning it again keeps the
 * VM's translation cache, which is what the test is about.
 */
static void irqfd_settle(struct its_vm *t, struct kvm_irqfd *irqfd)
{
	struct kvm_irqfd off = *irqfd;

	off.flags |= KVM_IRQFD_FLAG_DEASSIGN;
	MKVM_CHECK(mkvm_ioctl(t->vm->fd, KVM_IRQFD, &off) == 0,
		   "irqfd deassign: %s", strerror(errno));
	MKVM_CHECK(mkvm_ioctl(t->vm->fd, KVM_IRQFD, irqfd) == 0,
		   "irqfd assign: %s", strerror(errno));
}

/*
 * An irqfd's MSI whose translation the ITS knows already is delivered from
 * the eventfd's wakeup (KVM's translation cache); every command that
 * changes the translation must still be seen by the next signal.  Each
 * signal that must go nowhere is settled before the test looks.
 */
TEST_F(its, irqfd_follows_translation_changes)
{
	struct kvm_irqfd irqfd = { .gsi = 7 };
	struct its_vm t;

	guest_setup(&t, 2);
	self->vm = t.vm;
	map_one(&t, 12, PROP_ON);
	ASSERT_EQ(0, _set_msi_route(t.vm, 7, DEV, EV));
	irqfd.fd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, (int)irqfd.fd);
	ASSERT_EQ(0, mkvm_ioctl(t.vm->fd, KVM_IRQFD, &irqfd));
	/* The first signal translates; the second finds it known. */
	fire(irqfd.fd);
	EXPECT_EQ(1, g_op(&t, 0, OP_WAIT, 1, 0));
	fire(irqfd.fd);
	EXPECT_EQ(2, g_op(&t, 0, OP_WAIT, 2, 0));
	/* MOVI: to vCPU 1 now. */
	cmd_mapc(&t, 1, 1, true);
	cmd_ev(&t, CMD_MOVI, DEV, EV, 1);
	cmd_go(&t);
	fire(irqfd.fd);
	EXPECT_EQ(1, g_op(&t, 1, OP_WAIT, 1, 0));
	EXPECT_EQ(2, g_op(&t, 0, OP_SPIN, 0, 0)) TH_LOG("not to vCPU 0");
	/* DISCARD: nowhere. */
	cmd_ev(&t, CMD_DISCARD, DEV, EV, 1);
	cmd_go(&t);
	fire(irqfd.fd);
	irqfd_settle(&t, &irqfd);
	EXPECT_EQ(1, g_op(&t, 1, OP_SPIN, 0, 0)) TH_LOG("discarded event");
	/* Mapped again, to another LPI on vCPU 0: that LPI, twice. */
	cmd_mapti(&t, DEV, EV, LPI(20), 0);
	lpi_prop(&t, LPI(20), PROP_ON);
	cmd_go(&t);
	fire(irqfd.fd);
	EXPECT_EQ(3, g_op(&t, 0, OP_WAIT, 3, 0));
	EXPECT_EQ(LPI(20), t.log[0].intid[2]);
	fire(irqfd.fd);
	EXPECT_EQ(4, g_op(&t, 0, OP_WAIT, 4, 0));
	/* The ITS off: dropped; on again: delivered. */
	g_op(&t, 0, OP_ST32, ITS_IPA + GITS_CTLR, 0);
	fire(irqfd.fd);
	irqfd_settle(&t, &irqfd);
	EXPECT_EQ(4, g_op(&t, 0, OP_SPIN, 0, 0)) TH_LOG("ITS disabled");
	g_op(&t, 0, OP_ST32, ITS_IPA + GITS_CTLR, 1);
	fire(irqfd.fd);
	EXPECT_EQ(5, g_op(&t, 0, OP_WAIT, 5, 0));
	fire(irqfd.fd);
	EXPECT_EQ(6, g_op(&t, 0, OP_WAIT, 6, 0));
	/* Its collection unmapped: nowhere. */
	cmd_mapc(&t, 0, 0, false);
	cmd_go(&t);
	fire(irqfd.fd);
	irqfd_settle(&t, &irqfd);
	EXPECT_EQ(6, g_op(&t, 0, OP_SPIN, 0, 0)) TH_LOG("unmapped collection");
	g_op(&t, 0, OP_DONE, 0, 0);
	g_op(&t, 1, OP_DONE, 0, 0);
	guest_free(&t);
	self->vm = NULL;
	close(irqfd.fd);
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
