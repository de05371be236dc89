// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input must never hurt the host.  Random guest code (every exit path
 * the hypervisor has: traps, aborts, MMIO, system registers, SMCCC, WFI;
 * a quarter of the programs under a random KVM_SET_GUEST_DEBUG) and
 * random ioctl arguments, from a fixed seed so a failure repeats.  The
 * assertions: every KVM_RUN and ioctl returns, with a result KVM also
 * gives, and the VM stays usable; the boot's kernel-log check (and, on
 * the debug boot, KASAN/lockdep/kmemleak) catches anything worse.
 */
#include <sys/eventfd.h>
#include <sys/time.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"
#include "mkvm_gic.h"

/* Half the random programs have a vGIC and an ITS there. */
#define FUZZ_ITS_IPA	0x08080000ull

#define PROGRAMS	48
#define PROGRAM_WORDS	256
#define RUN_MS		20
/*
 * 48 VMs, each created, run and freed: seconds on the minikvm boot, under
 * a minute on the debug kernel with a second QEMU busy beside it (each
 * program ends at its first kick, see arm_kick()).  mkvm_util.h scales the
 * limit for the boot (x4 on debug).
 */
#define FUZZ_TIMEOUT_S	120

static uint64_t rng_state;

/* xorshift64*: small, and the same sequence everywhere. */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/*
 * Vectors that step over whatever faulted, so one random program runs
 * through many exits instead of parking at its first exception.
 */
#define G_SKIP_ENTRY							\
	".balign 0x80\n"						\
	"mrs	x28, elr_el1\n"						\
	"add	x28, x28, #4\n"						\
	"msr	elr_el1, x28\n"						\
	"eret\n"
MKVM_GUEST(guest_skip_vectors, ".rept 16\n" G_SKIP_ENTRY ".endr\n");

MKVM_VM_FIXTURE(fuzz);

/*
 * SIGALRM every @ms from now on (0: none), not once: a single signal that
 * lands while the test is between two KVM_RUNs is taken in user space,
 * and a program that then waits in WFI with nothing pending would sleep
 * until the harness's timeout.  On a slow boot under load that was most
 * programs' fate (the debug boot's "timeouts", 3 runs out of 3).
 */
static void arm_kick(long ms)
{
	struct itimerval it = {
		.it_value = { .tv_usec = ms * 1000 },
		.it_interval = { .tv_usec = ms * 1000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

/*
 * Instructions worth more than random bits: system register accesses,
 * SMCCC and PSCI calls, WFI/WFE, loads and stores through registers that
 * point at RAM, MMIO or nowhere.  Random words fill the rest.
 */
static uint32_t random_insn(void)
{
	static const uint32_t templates[] = {
		0xd5300000,	/* mrs x0, <op0=2/3, any> */
		0xd5100000,	/* msr <op0=2/3, any>, x0 */
		0xd4000002,	/* hvc #0 */
		0xd4000003,	/* smc #0 */
		0xd503207f,	/* wfi */
		0xd503205f,	/* wfe */
		0xf9400000,	/* ldr x0, [x0] */
		0xf9000000,	/* str x0, [x0] */
		0xa9400000,	/* ldp x0, x0, [x0] */
		0xd2800000,	/* movz x0, #imm */
	};
	uint32_t r = rng();
	uint32_t t = templates[r % (sizeof(templates) / sizeof(templates[0]))];

	switch (r % 16) {
	case 0 ... 1:
		return rng();			/* anything at all */
	case 2 ... 5:				/* sysreg: op0/op1/CRn/CRm/op2, Rt */
		return (t & 0xfff00000) | (rng() & 0xfffff);
	case 6 ... 7:
		return t;
	default:				/* memory ops, movz: registers */
		return t | (rng() & 0x001fffff & ~((t == 0xd2800000) ? 0 : 0x1ffc00));
	}
}

TEST_F_TIMEOUT(fuzz, random_guest_code, FUZZ_TIMEOUT_S)
{
	uint32_t code[PROGRAM_WORDS];
	unsigned int p, i, runs = 0, intr = 0, nosys = 0, fault = 0, events = 0;
	int gic, its;

	mkvm_install_kick_handler(SIGALRM);	/* ends each program */
	rng_state = 0x6d696e696b766dull;	/* "minikvm" */
	for (p = 0; p < PROGRAMS; p++) {
		struct mkvm_vcpu *vcpu;
		struct mkvm_vm *vm;
		uint64_t pc;
		int r;

		for (i = 0; i < PROGRAM_WORDS; i++)
			code[i] = random_insn();
		vm = vm_create((const char *)code,
			       (const char *)(code + PROGRAM_WORDS));
		vm_load_code(vm, MKVM_RAM_IPA, guest_skip_vectors,
			     guest_skip_vectors_end);
		vcpu = vm_vcpu_add_features(vm, 0, 1u << KVM_ARM_VCPU_PSCI_0_2,
					    MKVM_CODE_IPA);
		gic = its = -1;
		if (p & 1) {
			uint64_t base = FUZZ_ITS_IPA;

			gic = vm_vgic_setup(vm);
			ASSERT_EQ(0, _vm_vgic_create_type(vm,
					KVM_DEV_TYPE_ARM_VGIC_ITS, 0, &its));
			ASSERT_EQ(0, _vgic_attr(its, true,
					KVM_DEV_ARM_VGIC_GRP_ADDR,
					KVM_VGIC_ITS_ADDR_TYPE, &base));
		}
		/*
		 * x0..x7 point at RAM, MMIO, nothing, the distributor, the
		 * ITS (its registers, its translation frame), a
		 * redistributor, or are random.
		 */
		for (i = 0; i < 8; i++) {
			static const uint64_t bases[] = {
				MKVM_RAM_IPA, MKVM_MMIO_IPA, MKVM_UCALL_IPA,
				0x40000000, 0, GICD_IPA, FUZZ_ITS_IPA,
				FUZZ_ITS_IPA + 0x10000, GICR_IPA,
			};
			uint64_t v = rng();

			if (v & 1)
				v = bases[(v >> 1) % 9] + ((v >> 8) & 0xff8);
			vcpu_set_reg(vcpu, MKVM_XREG(i), v);
		}

		/*
		 * A quarter under the VMM's debugging: step, BRK, random
		 * hardware breakpoints and watchpoints (random HMC, SSC and
		 * link fields too, which must never match in the host).
		 */
		if (p % 4 == 3) {
			struct kvm_guest_debug gd = { .control = rng() & 0x30003 };
			uint64_t *w = (uint64_t *)&gd.arch;

			for (i = 0; i < sizeof(gd.arch) / 8; i++)
				w[i] = rng() & 1 ? rng() :
				       MKVM_CODE_IPA + (rng() & 0x3fc);
			ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG,
						&gd));
		}

		arm_kick(RUN_MS);
		for (i = 0; i < 256; i++) {
			r = _vcpu_run(vcpu);
			runs++;
			/* What KVM can answer for a guest: nothing worse. */
			ASSERT_TRUE(r == 0 || r == -EINTR || r == -ENOSYS ||
				    r == -EFAULT)
				TH_LOG("program %u: KVM_RUN %d", p, r);
			intr += r == -EINTR;
			nosys += r == -ENOSYS;
			fault += r == -EFAULT;
			events += !r && vcpu->run->exit_reason != KVM_EXIT_MMIO;
			if (!r && vcpu->run->exit_reason == KVM_EXIT_DEBUG) {
				/* Resume: over a BRK, or from where it stopped. */
				if ((vcpu->run->debug.arch.hsr >> 26) == 0x3c) {
					ASSERT_EQ(0, _vcpu_get_reg(vcpu, MKVM_PC, &pc));
					vcpu_set_reg(vcpu, MKVM_PC, pc + 4);
				}
				continue;
			}
			if (r == -ENOSYS) {
				/* A VMM may step over what it cannot emulate. */
				ASSERT_EQ(0, _vcpu_get_reg(vcpu, MKVM_PC, &pc));
				vcpu_set_reg(vcpu, MKVM_PC, pc + 4);
				continue;
			}
			if (r || vcpu->run->exit_reason != KVM_EXIT_MMIO)
				break;
			/* Reads of anything get a random answer. */
			*(uint64_t *)vcpu->run->mmio.data = rng();
		}
		arm_kick(0);
		/* The VM still answers. */
		ASSERT_EQ(0, _vcpu_get_reg(vcpu, MKVM_PC, &pc)) TH_LOG("program %u", p);
		vcpu_free(vcpu);
		if (its >= 0)
			close(its);
		if (gic >= 0)
			close(gic);
		vm_free(vm);
	}
	/* How the programs ended: the mix shows the exits were exercised. */
	TH_LOG("%u programs, %u runs: %u timed out, %u MMIO without syndrome, %u EFAULT, %u other exits",
	       PROGRAMS, runs, intr, nosys, fault, events);
}

/* Random ioctl numbers and arguments on every fd: each returns. */
TEST_F_TIMEOUT(fuzz, random_ioctls, FUZZ_TIMEOUT_S)
{
	static const unsigned long cmds[] = {
		KVM_SET_USER_MEMORY_REGION, KVM_SET_USER_MEMORY_REGION2,
		KVM_CREATE_VCPU, KVM_CHECK_EXTENSION, KVM_IRQ_LINE,
		KVM_CREATE_DEVICE, KVM_ARM_PREFERRED_TARGET,
		KVM_ARM_VCPU_INIT, KVM_GET_ONE_REG, KVM_SET_ONE_REG,
		KVM_GET_REG_LIST, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
		KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR,
		KVM_ENABLE_CAP, KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
		KVM_REGISTER_COALESCED_MMIO, KVM_UNREGISTER_COALESCED_MMIO,
		KVM_GET_STATS_FD, KVM_IOEVENTFD, KVM_IRQFD, KVM_SET_GSI_ROUTING,
		KVM_ARM_SET_COUNTER_OFFSET, KVM_ARM_GET_REG_WRITABLE_MASKS,
		KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG, KVM_SET_SIGNAL_MASK,
		KVM_SIGNAL_MSI,
		KVM_SET_GUEST_DEBUG,
	};
	/* Big enough for any answer: KVM_GET_REG_LIST writes every id. */
	static uint64_t buf[2048];
	struct mkvm_vcpu *vcpu;
	unsigned int i, j;
	int fds[4], ret, efd;

	rng_state = 0x696f63746cull;		/* "ioctl" */
	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	/* A low fd number that is an eventfd, for KVM_IOEVENTFD/IRQFD. */
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	/* A slot that logs, for KVM_GET/CLEAR_DIRTY_LOG to work on. */
	vm_add_memory(self->vm, 1, KVM_MEM_LOG_DIRTY_PAGES, 0xc0000000ull,
		      0x40000);
	fds[0] = self->vm->kvm_fd;
	fds[1] = self->vm->fd;
	fds[2] = vcpu->fd;
	/* An ITS, placed: its attributes and KVM_SIGNAL_MSI reach it. */
	ASSERT_EQ(0, _vm_vgic_create_type(self->vm, KVM_DEV_TYPE_ARM_VGIC_ITS,
					  0, &fds[3]));
	buf[0] = FUZZ_ITS_IPA;
	ASSERT_EQ(0, _vgic_attr(fds[3], true, KVM_DEV_ARM_VGIC_GRP_ADDR,
				KVM_VGIC_ITS_ADDR_TYPE, buf));
	for (i = 0; i < 3000; i++) {
		unsigned long cmd = cmds[rng() % (sizeof(cmds) / sizeof(cmds[0]))];
		uint64_t arg;

		for (j = 0; j < 64; j++) {	/* the first 64 words vary */
			buf[j] = rng();
			/* Small values: slot ids, sizes, flags, register ids. */
			if (buf[j] & 1)
				buf[j] &= 0xff;
		}
		switch (rng() % 4) {
		case 0:
			arg = (uintptr_t)buf;
			break;
		case 1:
			arg = rng();		/* a wild pointer */
			break;
		case 2:
			arg = rng() & 0xffff;	/* a small integer */
			break;
		default:
			arg = 0;
			break;
		}
		/*
		 * Attributes of a group that exists half the time (struct
		 * kvm_device_attr: flags, group, attr, addr): the vCPU's
		 * timer numbers, with a known attribute or just past them.
		 */
		if ((cmd == KVM_SET_DEVICE_ATTR || cmd == KVM_GET_DEVICE_ATTR ||
		     cmd == KVM_HAS_DEVICE_ATTR) && rng() % 2) {
			buf[0] = (uint64_t)KVM_ARM_VCPU_TIMER_CTRL << 32;
			buf[1] = rng() % 5;
			buf[2] = rng() % 2 ? (uintptr_t)&buf[8] : rng();
			buf[8] = rng() % 40;
			/* On the ITS: its registers, and its controls. */
			if (rng() % 2) {
				buf[0] = (uint64_t)(rng() % 2 ?
					KVM_DEV_ARM_VGIC_GRP_ITS_REGS :
					KVM_DEV_ARM_VGIC_GRP_CTRL) << 32;
				buf[1] = rng() % 0x140;
			}
		}
		/* MSIs to the ITS's doorbell, small device and event IDs. */
		if (cmd == KVM_SIGNAL_MSI && rng() % 2) {
			buf[0] = FUZZ_ITS_IPA + 0x10040;	/* address */
			/* data, flags (KVM_MSI_VALID_DEVID or not), devid */
			buf[1] = rng() % 8 | (rng() % 2) << 32;
			buf[2] = rng() % 8;
		}
		/* KVM_RUN is fuzzed above; memslots must not hit our buffer. */
		if (cmd == KVM_SET_USER_MEMORY_REGION ||
		    cmd == KVM_SET_USER_MEMORY_REGION2)
			buf[3] = 0;		/* userspace_addr: never valid */
		/* Half the guest debug controls are valid flags. */
		if (cmd == KVM_SET_GUEST_DEBUG && (buf[4] & 2))
			buf[0] &= 0x30003;
		/* Half the dirty logs go to real memory (our buffer's tail). */
		if (cmd == KVM_GET_DIRTY_LOG && (buf[4] & 2)) {
			buf[0] &= 3;		/* slot 0..3, address space 0 */
			buf[1] = (uintptr_t)&buf[64];
		}
		if (cmd == KVM_CLEAR_DIRTY_LOG && (buf[4] & 2)) {
			/* slot 0..3; num_pages and first_page near 64 */
			buf[0] = (buf[0] & 3) | (buf[5] % 130) << 32;
			buf[1] = buf[6] % 130;
			buf[2] = (uintptr_t)&buf[64];
		}
		ret = ioctl(fds[rng() % 4], cmd, arg);
		/*
		 * A new fd (a device, a stats fd): not 3000 of them open.
		 * CREATE_DEVICE's test flag answers 0, which is no new fd.
		 */
		if ((cmd == KVM_CREATE_DEVICE || cmd == KVM_GET_STATS_FD) &&
		    ret > STDERR_FILENO)
			close(ret);
	}
	/* Everything still answers. */
	EXPECT_EQ(KVM_API_VERSION, ioctl(fds[0], KVM_GET_API_VERSION, 0));
	EXPECT_LE(0, ioctl(fds[1], KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY));
	vcpu_free(vcpu);
	close(fds[3]);
	close(efd);
}

/*
 * Random values into every listed register (the firmware registers, the
 * bitmaps, the debug and ID registers, the CCSIDR demux) and random steal-
 * time IPAs: each call returns one of KVM's errors or succeeds, and the
 * vCPU still reads every register afterwards.
 */
TEST_F_TIMEOUT(fuzz, random_one_reg_values, FUZZ_TIMEOUT_S)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	struct mkvm_vcpu *vcpu;
	unsigned int i, j;

	rng_state = 0x6f6e65726567ull;		/* "onereg" */
	self->vm = vm_create(NULL, NULL);
	vcpu = vm_vcpu_add(self->vm, 0);
	ASSERT_EQ(-E2BIG, mkvm_ioctl(vcpu->fd, KVM_GET_REG_LIST, &probe));
	list = calloc(1, sizeof(*list) + probe.n * sizeof(uint64_t));
	ASSERT_NE(NULL, list);
	list->n = probe.n;
	ASSERT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_GET_REG_LIST, list));
	for (j = 0; j < 8; j++) {
		for (i = 0; i < list->n; i++) {
			uint64_t v[2] = { rng(), rng() };
			struct kvm_one_reg reg = {
				.id = list->reg[i], .addr = (uintptr_t)v,
			};
			int r;

			/* Small values too: levels, bitmaps, versions. */
			if (v[0] & 1)
				v[0] &= 0x1ffff;
			/* Not the core registers: KVM_RUN is fuzzed above. */
			if ((reg.id & KVM_REG_ARM_COPROC_MASK) == KVM_REG_ARM_CORE)
				continue;
			r = mkvm_ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg);
			EXPECT_TRUE(r == 0 || r == -EINVAL || r == -E2BIG ||
				    r == -EBUSY || r == -ENOENT)
				TH_LOG("set %#llx: %d", (unsigned long long)reg.id, r);
		}
		for (i = 0; i < 64; i++) {
			uint64_t ipa = rng() & (j & 1 ? ~0ull : 0xfffffffc0ull);
			struct kvm_device_attr a = {
				.group = rng() % 4, .attr = rng() % 2,
				.addr = (uintptr_t)&ipa,
			};

			ioctl(vcpu->fd, KVM_SET_DEVICE_ATTR, &a);
			ioctl(vcpu->fd, KVM_GET_DEVICE_ATTR, &a);
		}
	}
	for (i = 0; i < list->n; i++) {
		uint64_t v[2];
		struct kvm_one_reg reg = { .id = list->reg[i], .addr = (uintptr_t)v };

		EXPECT_EQ(0, mkvm_ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg))
			TH_LOG("get %#llx", (unsigned long long)reg.id);
	}
	free(list);
	vcpu_free(vcpu);
}

TEST_HARNESS_MAIN
