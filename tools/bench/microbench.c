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
#include "mkvm_vm.h"

#define GICD_IPA	0x08000000ull
#define GICR_IPA	0x080a0000ull

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

/* A load from an address no memslot backs: an exit to this program. */
MKVM_GUEST(guest_mmio_read,
	"movz	x6, #0x2000, lsl #16\n"
	TIMED_LOOP("ldr	w0, [x6]\n"));

/* GICD_TYPER: emulated by the hypervisor, never reaches this program. */
MKVM_GUEST(guest_gicd_read,
	"movz	x6, #0x0800, lsl #16\n"
	TIMED_LOOP("ldr	w0, [x6, #4]\n"));

/* ICC_EOIR1_EL1 of the spurious INTID: the virtual CPU interface, no exit. */
MKVM_GUEST(guest_eoi,
	"mov	x0, #1023\n"
	TIMED_LOOP("msr	s3_0_c12_c12_1, x0\n"));

static const char *dev_path = "/dev/minikvm";

struct bench {
	const char *name;
	const char *start, *end;
	uint64_t iters;
	bool vgic;		/* needs the in-kernel GICv3 */
	bool mmio;		/* each iteration exits to us */
};

static const struct bench benches[] = {
	{ "hvc-roundtrip",	guest_hvc, guest_hvc_end,	   65536 },
	{ "mmio-read-to-vmm",	guest_mmio_read, guest_mmio_read_end, 4096, .mmio = true },
	{ "gicd-read",		guest_gicd_read, guest_gicd_read_end, 65536, .vgic = true },
	{ "eoi-no-exit",	guest_eoi, guest_eoi_end,	   65536, .vgic = true },
};

static void vgic_attr(int fd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uintptr_t)val,
	};

	MKVM_CHECK(!ioctl(fd, KVM_SET_DEVICE_ATTR, &a), "vGIC attr %u/%llu: %s",
		   group, (unsigned long long)attr, strerror(errno));
}

static int vgic_create(struct mkvm_vm *vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	uint64_t dist = GICD_IPA, redist = GICR_IPA;

	MKVM_CHECK(!ioctl(vm->fd, KVM_CREATE_DEVICE, &cd),
		   "KVM_CREATE_DEVICE: %s", strerror(errno));
	vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST,
		  &dist);
	vgic_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST,
		  &redist);
	return cd.fd;
}

static double run_bench(const struct bench *b, double ns_per_tick)
{
	struct mkvm_vm *vm = vm_create(b->start, b->end);
	struct mkvm_vcpu *vcpu;
	int gic = -1;
	uint64_t ticks;

	if (b->vgic)
		gic = vgic_create(vm);
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
	vm_free(vm);
	return ticks * ns_per_tick / b->iters;
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
	setenv("MKVM_DEV", dev_path, 1);
	asm volatile("mrs %0, cntfrq_el0" : "=r" (frq));
	for (i = 0; i < ARRAY_SIZE(benches); i++)
		printf("%s %.1f\n", benches[i].name,
		       run_bench(&benches[i], 1e9 / frq));
	return 0;
}
