/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest that drives the GICv3 ITS itself, for its_test.c and
 * tools/bench/microbench.c: the ITS frames and LPI tables in guest memory,
 * a small MMIO interpreter in the guest (the host names the register, the
 * guest's own store or load reaches the ITS), the commands the host queues
 * for the guest in its command queue, and KVM_SIGNAL_MSI.  Needs mkvm_vm.h
 * and mkvm_gic.h first.
 */
#ifndef MKVM_ITS_H
#define MKVM_ITS_H

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
 *   7 x10 round trips of: store w0 at x11 (a notification to the host),
 *     WFI until an interrupt is taken; report the CNTVCT ticks it took
 *   anything else: done
 * Its IRQ handler acknowledges, reports the INTID at ucall offset 0x18
 * (any INTID but 1020..1023: LPIs are above 8191; not during op 7, whose
 * timing would include that exit), counts and EOIs.
 */
#define READY		0x4000000000000000ull
#define UCALL_IRQ	0x18
#define OP_ST64		1
#define OP_ST32		2
#define OP_LD64		3
#define OP_LD32		4
#define OP_WAIT		5
#define OP_SPIN		6
#define OP_ROUNDTRIP	7
#define OP_DONE		0

#define G_IRQ_LPI							\
	"mrs	x26, icc_iar1_el1\n"					\
	"sub	x25, x26, #1020\n"					\
	"cmp	x25, #4\n"						\
	"b.lo	1f\n"							\
	"cbnz	x28, 2f\n"		/* op 7: no report */		\
	G_UCALL_ADDR							\
	"str	x26, [x27, #0x18]\n"					\
	"2:	add	x24, x24, #1\n"						\
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
	"cmp	x9, #7\n"
	"b.eq	its_roundtrip\n"
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
	"b	its_out\n"
	/*
	 * Check-then-sleep with IRQs masked: the interrupt may come before
	 * the WFI, and WFI wakes on a pending interrupt even while masked.
	 */
	"its_roundtrip:\n"
	"mov	x28, #1\n"
	"mov	x5, x10\n"
	"isb\n"
	"mrs	x4, cntvct_el0\n"
	"1:	mov	x1, x24\n"
	"str	w0, [x11]\n"
	"2:	msr	daifset, #2\n"
	"cmp	x24, x1\n"
	"b.ne	3f\n"
	"wfi\n"
	"msr	daifclr, #2\n"
	"b	2b\n"
	"3:	msr	daifclr, #2\n"
	"subs	x5, x5, #1\n"
	"b.ne	1b\n"
	"isb\n"
	"mrs	x0, cntvct_el0\n"
	"sub	x0, x0, x4\n"
	"mov	x28, #0\n"
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

static inline bool logged(const struct irq_log *log, uint32_t intid)
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
static inline uint64_t its_next(struct its_vm *t, int n, uint64_t *val)
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
static inline uint64_t its_report(struct its_vm *t, int n)
{
	uint64_t val, off = its_next(t, n, &val);

	MKVM_CHECK(off == UCALL_REPORT, "vcpu %d: ucall %#llx (%#llx)", n,
		   (unsigned long long)off, (unsigned long long)val);
	return val;
}

/* Have vCPU @n (stopped before its READY) do one operation. */
static inline uint64_t g_op(struct its_vm *t, int n, int op, uint64_t a,
			    uint64_t b)
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

static inline void its_wr64(struct its_vm *t, uint64_t off, uint64_t val)
{
	g_op(t, 0, OP_ST64, ITS_IPA + off, val);
}

static inline uint64_t its_rd64(struct its_vm *t, uint64_t off)
{
	return g_op(t, 0, OP_LD64, ITS_IPA + off, 0);
}

static inline void rd_wr64(struct its_vm *t, int vcpu, uint64_t off,
			   uint64_t val)
{
	g_op(t, 0, OP_ST64, GICR_IPA + vcpu * GICR_FRAME_SIZE + off, val);
}

/* LPI @intid's byte of the configuration table. */
static inline void lpi_prop(struct its_vm *t, uint32_t intid, uint8_t prop)
{
	*(uint8_t *)vm_gpa_to_hva(t->vm, PROP_IPA + intid - 8192) = prop;
}

static inline int its_create(struct mkvm_vm *vm, int *fd)
{
	return _vm_vgic_create_type(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, 0, fd);
}

static inline int its_attr(int fd, bool set, uint32_t group, uint64_t attr,
			   uint64_t *val)
{
	return _vgic_attr(fd, set, group, attr, val);
}

static inline int has_attr(int fd, uint32_t group, uint64_t attr)
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
static inline void guest_setup_at(struct its_vm *t, int nr, uint64_t cq_ipa,
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

static inline void guest_setup(struct its_vm *t, int nr)
{
	guest_setup_at(t, nr, CQ_IPA, 16);
}

static inline void guest_free(struct its_vm *t)
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
static inline void cmd_put(struct its_vm *t, uint64_t w0, uint64_t w1,
			   uint64_t w2, uint64_t w3)
{
	uint64_t *c = vm_gpa_to_hva(t->vm, CQ_IPA + t->cwriter);

	c[0] = w0;
	c[1] = w1;
	c[2] = w2;
	c[3] = w3;
	t->cwriter = (t->cwriter + 32) % t->cq_size;
}

/* The guest moves CWRITER; the ITS has read every command by then. */
static inline void cmd_go(struct its_vm *t)
{
	its_wr64(t, GITS_CWRITER, t->cwriter);
	MKVM_CHECK(its_rd64(t, GITS_CREADR) == t->cwriter, "CREADR behind");
}

static inline void cmd_mapd(struct its_vm *t, uint32_t dev, uint64_t itt,
			    unsigned int bits, bool valid)
{
	cmd_put(t, CMD_MAPD | (uint64_t)dev << 32, bits - 1,
		itt | (valid ? VALID : 0), 0);
}

static inline void cmd_mapc(struct its_vm *t, uint32_t coll, uint32_t vcpu,
			    bool valid)
{
	cmd_put(t, CMD_MAPC, 0,
		coll | (uint64_t)vcpu << 16 | (valid ? VALID : 0), 0);
}

static inline void cmd_mapti(struct its_vm *t, uint32_t dev, uint32_t ev,
			     uint32_t intid, uint32_t coll)
{
	cmd_put(t, CMD_MAPTI | (uint64_t)dev << 32,
		ev | (uint64_t)intid << 32, coll, 0);
}

static inline void cmd_ev(struct its_vm *t, int code, uint32_t dev,
			  uint32_t ev, uint32_t coll)
{
	cmd_put(t, code | (uint64_t)dev << 32, ev, coll, 0);
}

/* Device DEV with 16 events, collection 0 on vCPU 0, EV -> LPI(n). */
static inline void map_one(struct its_vm *t, uint32_t n, uint8_t prop)
{
	lpi_prop(t, LPI(n), prop);
	cmd_mapd(t, DEV, ITT_IPA, 4, true);
	cmd_mapc(t, 0, 0, true);
	cmd_mapti(t, DEV, EV, LPI(n), 0);
	cmd_go(t);
}

static inline int _signal_msi(struct mkvm_vm *vm, uint64_t addr,
			      uint32_t dev, uint32_t ev, uint32_t flags)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = addr >> 32,
		.data = ev, .devid = dev, .flags = flags,
	};
	int ret = ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);

	return ret < 0 ? -errno : ret;
}

/* An MSI as a PCI device would send it: to GITS_TRANSLATER, with its ID. */
static inline int msi(struct its_vm *t, uint32_t dev, uint32_t ev)
{
	return _signal_msi(t->vm, ITS_IPA + GITS_TRANSLATER, dev, ev,
			   KVM_MSI_VALID_DEVID);
}

/* KVM_SET_GSI_ROUTING: @gsi, the only route, an MSI from @dev's @ev. */
static inline int _set_msi_route(struct mkvm_vm *vm, uint32_t gsi,
				 uint32_t dev, uint32_t ev)
{
	struct kvm_irq_routing *r;
	int ret;

	r = calloc(1, sizeof(*r) + sizeof(r->entries[0]));
	MKVM_CHECK(r, "out of memory");
	r->nr = 1;
	r->entries[0] = (struct kvm_irq_routing_entry) {
		.gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
		.flags = KVM_MSI_VALID_DEVID,
		.u.msi = { .address_lo = ITS_IPA + GITS_TRANSLATER,
			   .data = ev, .devid = dev },
	};
	ret = mkvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, r);
	free(r);
	return ret;
}

#endif /* MKVM_ITS_H */
