// SPDX-License-Identifier: GPL-2.0
/*
 * microbench: the cost of the basic exits, timed by the guest itself with
 * its virtual counter over a loop of operations, on any KVM-API device:
 *
 *   microbench [--dev PATH]
 *
 * prints one line per benchmark: "NAME ns/op".  scripts/bench.sh runs it
 * on minikvm and on the kernel's KVM in the same QEMU configuration; under
 * -icount shift=0 the figures repeat.
 */
#include <getopt.h>
#include <sys/eventfd.h>
#include "mkvm_vm.h"
#include "mkvm_gic.h"
#include "mkvm_its.h"

/* x9 iterations of @op, then the elapsed CNTVCT ticks are reported. */
#define TIMED_LOOP(op)							\
	"isb\n"								\
	"mrs	x10, cntvct_el0\n"					\
	"1:\n" op							\
	"subs	x9, x9, #1\n"						\
	"b.ne	1b\n"							\
	"isb\n"								\
	"mrs	x11, cntvct_el0\n"					\
	"sub	x2, x11, x10\n"						\
	G_REPORT("x2")							\
	G_DONE

/* An SMCCC call no one implements: answered NOT_SUPPORTED. */
MKVM_GUEST(guest_hvc,
	TIMED_LOOP("movz	x0, #0xffff\n"
		   "movk	x0, #0x8600, lsl #16\n"
		   "hvc	#0\n"));

/*
 * PSCI_VERSION: an SMCCC call both minikvm and KVM answer at EL1, so the
 * full world switch and the kernel's exit handling, with no VMM.
 */
MKVM_GUEST(guest_psci_version,
	TIMED_LOOP("movz	x0, #0x8400, lsl #16\n"
		   "hvc	#0\n"));

/* ID_AA64PFR0_EL1: trapped (HCR_EL2.TID3) and emulated at EL1 on both. */
MKVM_GUEST(guest_id_reg,
	TIMED_LOOP("mrs	x0, id_aa64pfr0_el1\n"));

/* A load from an address no memslot backs: an exit to this program. */
MKVM_GUEST(guest_mmio_read,
	"movz	x6, #0x2000, lsl #16\n"
	TIMED_LOOP("ldr	w0, [x6]\n"));

/*
 * A virtio-style notification: a 4-byte store.  Once to an address that
 * exits to this program (the VMM's MMIO path), once to one an ioeventfd
 * takes: the kernel signals the eventfd and the guest goes on.
 */
MKVM_GUEST(guest_mmio_write,
	"movz	x6, #0x2000, lsl #16\n"
	TIMED_LOOP("str	w0, [x6]\n"));

#define IOEVENTFD_IPA	(MKVM_MMIO_IPA + 0x100)
MKVM_GUEST(guest_ioeventfd_write,
	"movz	x6, #0x2000, lsl #16\n"
	"add	x6, x6, #0x100\n"
	TIMED_LOOP("str	w0, [x6]\n"));

/*
 * Stage-2 faults on 4 KiB pages: one store to each page of a slot the
 * guest never touched, so each iteration is one fault that maps one page
 * (the VMM's memory is kept out of huge pages, which would be blocks).
 */
#define S2_IPA		0xc0000000ull
#define S2_PAGES	4096
MKVM_GUEST(guest_s2_fault,
	"movz	x6, #0xc000, lsl #16\n"
	TIMED_LOOP("str	x0, [x6]\n"
		   "add	x6, x6, #0x1000\n"));

/* GICD_TYPER: emulated by the hypervisor, never reaches this program. */
MKVM_GUEST(guest_gicd_read,
	"movz	x6, #0x0800, lsl #16\n"
	TIMED_LOOP("ldr	w0, [x6, #4]\n"));

/* ICC_EOIR1_EL1 of the spurious INTID: the virtual CPU interface, no exit. */
MKVM_GUEST(guest_eoi,
	"mov	x0, #1023\n"
	TIMED_LOOP("msr	s3_0_c12_c12_1, x0\n"));

/*
 * SGI ping-pong between two vCPUs that both sleep in WFI: vCPU 0 sends
 * SGI 1 to vCPU 1, whose handler sends SGI 1 back; each handler bumps its
 * vCPU's counter.  One op = half a round trip: an SGI from the write of
 * ICC_SGI1R_EL1 to the target running its handler.
 *   x19 = VBAR_EL1 (this blob), x20 = my counter (my ready flag at +8),
 *   x21 = ICC_SGI1R_EL1 value naming the other vCPU, x22 = 0 for vCPU 0,
 *   x23 = my redistributor, x24 = the other's counter, x9 = iterations.
 */
#define SGI_BLOB_IPA	(MKVM_RAM_IPA + 0x10000)
#define SGI_COUNTER_IPA	(MKVM_RAM_IPA + 0x100000)

MKVM_GUEST(guest_sgi_pingpong,
	/* 2 KiB of vectors: IRQ from EL1h at +0x280, the rest parks. */
	".rept 0x280 / 4\n b .\n .endr\n"
	/* The handler owns x25/x26: the interrupted loop keeps its own. */
	"mrs	x25, s3_0_c12_c12_0\n"		/* ICC_IAR1_EL1 */
	"ldr	x26, [x20]\n"
	"add	x26, x26, #1\n"
	"str	x26, [x20]\n"
	"cbz	x22, 1f\n"
	"msr	s3_0_c12_c11_5, x21\n"		/* answer: ICC_SGI1R_EL1 */
	"1:	msr	s3_0_c12_c12_1, x25\n"		/* ICC_EOIR1_EL1 */
	"eret\n"
	".balign 0x800\n"
	"movz	x6, #0x0800, lsl #16\n"		/* GICD_CTLR: ARE, Grp1 */
	"mov	w1, #0x12\n"
	"str	w1, [x6]\n"
	"str	wzr, [x23, #0x14]\n"		/* GICR_WAKER: awake */
	"add	x6, x23, #0x10000\n"		/* SGI frame */
	"mov	w1, #2\n"
	"str	w1, [x6, #0x100]\n"		/* GICR_ISENABLER0: SGI 1 */
	"msr	vbar_el1, x19\n"
	"mov	x1, #0xff\n"
	"msr	s3_0_c4_c6_0, x1\n"		/* ICC_PMR_EL1 */
	"mov	x1, #1\n"
	"msr	s3_0_c12_c12_7, x1\n"		/* ICC_IGRPEN1_EL1 */
	"isb\n"
	"msr	daifclr, #2\n"
	"str	x1, [x20, #8]\n"		/* ready */
	"cbz	x22, 3f\n"
	"2:	wfi\n"
	"b	2b\n"
	"3:	ldr	x1, [x24, #8]\n"		/* vCPU 0: wait for vCPU 1 */
	"cbz	x1, 3b\n"
	/*
	 * Check-then-sleep with IRQs masked: the answer may come before the
	 * WFI, and a WFI wakes on a pending interrupt even while masked.
	 */
	TIMED_LOOP("ldr	x1, [x20]\n"
		   "msr	s3_0_c12_c11_5, x21\n"
		   "4:	msr	daifset, #2\n"
		   "ldr	x3, [x20]\n"
		   "cmp	x3, x1\n"
		   "b.ne	5f\n"
		   "wfi\n"
		   "msr	daifclr, #2\n"
		   "b	4b\n"
		   "5:	msr	daifclr, #2\n"));

static const char *dev_path = "/dev/minikvm";

struct bench {
	const char *name;
	const char *start, *end;
	uint64_t iters;
	bool vgic;		/* needs the in-kernel GICv3 */
	bool mmio;		/* each iteration exits to us */
	bool ioeventfd;		/* an ioeventfd at IOEVENTFD_IPA */
	int s2_slot;		/* 1: 4 KiB pages at S2_IPA, VMM-touched;
				 * 2: the same, untouched (the host's own
				 * page fault in each iteration too) */
};

static const struct bench benches[] = {
	{ "hvc-roundtrip",	guest_hvc, guest_hvc_end,	   65536 },
	{ "psci-version-hvc",	guest_psci_version, guest_psci_version_end, 16384 },
	{ "id-reg-trap",	guest_id_reg, guest_id_reg_end,	   16384 },
	{ "mmio-read-to-vmm",	guest_mmio_read, guest_mmio_read_end, 4096, .mmio = true },
	{ "mmio-write-to-vmm",	guest_mmio_write, guest_mmio_write_end, 4096, .mmio = true },
	{ "ioeventfd-write",	guest_ioeventfd_write, guest_ioeventfd_write_end,
	  65536, .ioeventfd = true },
	{ "s2-fault-4k",	guest_s2_fault, guest_s2_fault_end, S2_PAGES,
	  .s2_slot = 1 },
	{ "s2-fault-4k-host-fault", guest_s2_fault, guest_s2_fault_end, S2_PAGES,
	  .s2_slot = 2 },
	{ "gicd-read",		guest_gicd_read, guest_gicd_read_end, 65536, .vgic = true },
	{ "eoi-no-exit",	guest_eoi, guest_eoi_end,	   65536, .vgic = true },
};

static void vgic_attr(int fd, uint32_t group, uint64_t attr, void *val)
{
	int ret = _vgic_attr(fd, true, group, attr, val);

	MKVM_CHECK(!ret, "vGIC attr %u/%llu: %s", group,
		   (unsigned long long)attr, strerror(-ret));
}

static int vgic_create(struct mkvm_vm *vm)
{
	int fd = vm_vgic_create(vm);

	vgic_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
		  &(uint64_t){ GICD_IPA });
	vgic_attr(fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
		  &(uint64_t){ GICR_IPA });
	return fd;
}

static double run_bench(const struct bench *b, double ns_per_tick)
{
	struct mkvm_vm *vm = vm_create(b->start, b->end);
	struct mkvm_vcpu *vcpu;
	int gic = -1, efd = -1;
	uint64_t ticks;

	if (b->vgic)
		gic = vgic_create(vm);
	if (b->ioeventfd) {
		struct kvm_ioeventfd io = {
			.addr = IOEVENTFD_IPA, .len = 4,
			.fd = efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		};

		MKVM_CHECK(efd >= 0 && !ioctl(vm->fd, KVM_IOEVENTFD, &io),
			   "KVM_IOEVENTFD: %s", strerror(errno));
	}
	if (b->s2_slot) {
		char *mem = vm_add_memory(vm, 1, 0, S2_IPA, S2_PAGES * 4096ull);

		MKVM_CHECK(!madvise(mem, S2_PAGES * 4096ull, MADV_NOHUGEPAGE),
			   "MADV_NOHUGEPAGE: %s", strerror(errno));
		if (b->s2_slot == 1)
			memset(mem, 1, S2_PAGES * 4096ull);
	}
	vcpu = vm_vcpu_add(vm, 0);
	if (b->vgic)
		vgic_attr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL,
			  KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	vcpu_set_reg(vcpu, MKVM_XREG(9), b->iters);
	for (;;) {
		struct kvm_run *run = vcpu_run_expect(vcpu, KVM_EXIT_MMIO);

		if (run->mmio.phys_addr != MKVM_MMIO_IPA)
			break;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	}
	ticks = mkvm_mmio_data(vcpu->run);
	vcpu_done(vcpu);
	vcpu_free(vcpu);
	if (gic >= 0)
		close(gic);
	if (efd >= 0) {
		uint64_t n = 0;

		/* Every store signalled it: the count is the loop's. */
		MKVM_CHECK(read(efd, &n, sizeof(n)) == sizeof(n) &&
			   n == b->iters, "ioeventfd count %llu, not %llu",
			   (unsigned long long)n,
			   (unsigned long long)b->iters);
		close(efd);
	}
	vm_free(vm);
	return ticks * ns_per_tick / b->iters;
}

static void *sgi_responder_thread(void *arg)
{
	struct mkvm_vcpu *vcpu = arg;

	/* Runs (sleeping in WFI between SGIs) until a signal stops it. */
	while (!_vcpu_run(vcpu))
		;
	return NULL;
}

static void sgi_vcpu_regs(struct mkvm_vcpu *vcpu, unsigned int id)
{
	vcpu_set_reg(vcpu, MKVM_XREG(19), SGI_BLOB_IPA);
	vcpu_set_reg(vcpu, MKVM_XREG(20), SGI_COUNTER_IPA + 16 * id);
	vcpu_set_reg(vcpu, MKVM_XREG(21), (1ull << 24) | (1u << !id));
	vcpu_set_reg(vcpu, MKVM_XREG(22), id);
	vcpu_set_reg(vcpu, MKVM_XREG(23), GICR_IPA + 0x20000ull * id);
	vcpu_set_reg(vcpu, MKVM_XREG(24), SGI_COUNTER_IPA + 16 * !id);
}

static double run_sgi_bench(uint64_t iters, double ns_per_tick)
{
	struct mkvm_vm *vm = vm_create(NULL, NULL);
	struct mkvm_vcpu *vcpu[2];
	pthread_t thread;
	uint64_t ticks;
	unsigned int i;
	int gic;

	vm_load_code(vm, SGI_BLOB_IPA, guest_sgi_pingpong,
		     guest_sgi_pingpong_end);
	gic = vgic_create(vm);
	for (i = 0; i < 2; i++) {
		vcpu[i] = vm_vcpu_add_features(vm, i, 1u << KVM_ARM_VCPU_PSCI_0_2,
					       SGI_BLOB_IPA + 0x800);
		sgi_vcpu_regs(vcpu[i], i);
	}
	vgic_attr(gic, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT,
		  NULL);
	vcpu_set_reg(vcpu[0], MKVM_XREG(9), iters);

	mkvm_install_kick_handler(SIGUSR1);
	pthread_create(&thread, NULL, sgi_responder_thread, vcpu[1]);
	ticks = vcpu_report(vcpu[0]);
	vcpu_done(vcpu[0]);
	pthread_kill(thread, SIGUSR1);
	pthread_join(thread, NULL);
	vcpu_free(vcpu[1]);
	vcpu_free(vcpu[0]);
	close(gic);
	vm_free(vm);
	return ticks * ns_per_tick / iters / 2;
}

/*
 * LPI delivery: the guest of mkvm_its.h stores to NOTIFY_IPA and sleeps in
 * WFI until an LPI (device DEV, event EV, through the ITS) has run its
 * handler, x10 times.  The MSI that answers comes either from this
 * program on the MMIO exit (KVM_SIGNAL_MSI, the way a VMM's emulated
 * device raises one), or, with an ioeventfd on NOTIFY_IPA, from a thread
 * that waits on it and writes an irqfd routed to the ITS (the way vhost
 * or VFIO raise one, without the vCPU thread).  One op: the notification,
 * the MSI, the LPI taken.
 */
#define NOTIFY_IPA	(MKVM_MMIO_IPA + 0x200)
#define LPI_GSI		7

struct lpi_relay {
	int notify, irq;	/* the ioeventfd, the irqfd's eventfd */
	uint64_t iters;
};

static void *lpi_relay_thread(void *arg)
{
	struct lpi_relay *r = arg;
	uint64_t done = 0, n;

	/* The guest waits for each LPI before it notifies again. */
	while (done < r->iters) {
		MKVM_CHECK(read(r->notify, &n, sizeof(n)) == sizeof(n),
			   "ioeventfd read: %s", strerror(errno));
		MKVM_CHECK(write(r->irq, &n, sizeof(n)) == sizeof(n),
			   "irqfd write: %s", strerror(errno));
		done += n;
	}
	return NULL;
}

static double run_lpi_bench(uint64_t iters, bool irqfd, double ns_per_tick)
{
	struct lpi_relay relay = { .notify = -1, .irq = -1, .iters = iters };
	struct kvm_run *run;
	pthread_t thread;
	struct its_vm t;
	uint64_t ticks;

	guest_setup(&t, 1);
	map_one(&t, 8, PROP_ON);
	if (irqfd) {
		struct kvm_irqfd fd = { .gsi = LPI_GSI };
		struct kvm_ioeventfd io = { .addr = NOTIFY_IPA, .len = 4 };
		int ret = _set_msi_route(t.vm, LPI_GSI, DEV, EV);

		MKVM_CHECK(!ret, "KVM_SET_GSI_ROUTING: %s", strerror(-ret));
		io.fd = relay.notify = eventfd(0, EFD_CLOEXEC);
		fd.fd = relay.irq = eventfd(0, EFD_CLOEXEC);
		MKVM_CHECK(io.fd >= 0 && fd.fd >= 0, "eventfd: %s",
			   strerror(errno));
		MKVM_CHECK(!ioctl(t.vm->fd, KVM_IOEVENTFD, &io) &&
			   !ioctl(t.vm->fd, KVM_IRQFD, &fd),
			   "KVM_IOEVENTFD/KVM_IRQFD: %s", strerror(errno));
		pthread_create(&thread, NULL, lpi_relay_thread, &relay);
	}
	MKVM_CHECK(its_report(&t, 0) == READY, "LPI guest not ready");
	vcpu_set_reg(t.vcpu[0], MKVM_XREG(9), OP_ROUNDTRIP);
	vcpu_set_reg(t.vcpu[0], MKVM_XREG(10), iters);
	vcpu_set_reg(t.vcpu[0], MKVM_XREG(11), NOTIFY_IPA);
	for (;;) {
		run = vcpu_run_expect(t.vcpu[0], KVM_EXIT_MMIO);
		if (run->mmio.phys_addr != NOTIFY_IPA)
			break;
		MKVM_CHECK(!irqfd && msi(&t, DEV, EV) == 1,
			   "KVM_SIGNAL_MSI not delivered");
	}
	MKVM_CHECK(run->mmio.phys_addr == MKVM_UCALL_IPA + UCALL_REPORT,
		   "LPI guest: ucall at %#llx",
		   (unsigned long long)run->mmio.phys_addr);
	ticks = mkvm_mmio_data(run);
	MKVM_CHECK(vcpu_get_reg(t.vcpu[0], MKVM_XREG(24)) == iters,
		   "LPIs taken: not %llu", (unsigned long long)iters);
	if (irqfd) {
		pthread_join(thread, NULL);
		close(relay.notify);
		close(relay.irq);
	}
	g_op(&t, 0, OP_DONE, 0, 0);
	guest_free(&t);
	return ticks * ns_per_tick / iters;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dev", required_argument, NULL, 'D' },
		{ }
	};
	uint64_t frq;
	unsigned int i;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'D') {
			fprintf(stderr, "usage: microbench [--dev PATH]\n");
			return 2;
		}
		dev_path = optarg;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("MKVM_DEV", dev_path, 1);
	asm volatile("mrs %0, cntfrq_el0" : "=r" (frq));
	for (i = 0; i < ARRAY_SIZE(benches); i++)
		printf("%s %.1f\n", benches[i].name,
		       run_bench(&benches[i], 1e9 / frq));
	printf("sgi-to-other-vcpu-handler %.1f\n", run_sgi_bench(1024, 1e9 / frq));
	printf("lpi-msi-ioctl-to-handler %.1f\n",
	       run_lpi_bench(1024, false, 1e9 / frq));
	printf("lpi-irqfd-to-handler %.1f\n",
	       run_lpi_bench(1024, true, 1e9 / frq));
	return 0;
}
