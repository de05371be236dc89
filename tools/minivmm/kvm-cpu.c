// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: create and initialize them, then run each in its own thread.  The
 * run loop is one switch on the exit reason, each exit handed to one
 * function that says whether the vCPU goes on running.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "kvm.h"
#include "kvm-cpu.h"
#include "minivmm.h"
#include "mmio.h"

/* Sent to a vCPU thread to get it out of KVM_RUN; its handler does nothing. */
#define SIGKVMKICK	SIGUSR1

#define ARM64_CORE_REG(x)	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | \
				 KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(x))
#define MPIDR_EL1_REG		ARM64_SYS_REG(3, 0, 0, 0, 5)
/* Aff3 and Aff2..Aff0: what identifies a CPU (the device tree's reg). */
#define MPIDR_HWID_MASK		0xff00ffffffULL

/**
 * kvm_cpu__init() - create vCPU @id and initialize it for PSCI 0.2
 * @kvm:	the VM
 * @id:		vCPU index; KVM derives its MPIDR from it
 *
 * vCPU 0 starts running at reset; the others start powered off and wait
 * for the guest's PSCI CPU_ON, like secondaries on real firmware.
 *
 * Return: the vCPU, or NULL with a message.
 */
struct kvm_cpu *kvm_cpu__init(struct kvm *kvm, unsigned int id)
{
	struct kvm_vcpu_init init;
	struct kvm_cpu *vcpu;

	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu) {
		fprintf(stderr, "minivmm: vcpu%u: out of memory\n", id);
		return NULL;
	}
	vcpu->kvm = kvm;
	vcpu->id = id;
	vcpu->run = MAP_FAILED;

	vcpu->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, id);
	if (vcpu->fd < 0) {
		fprintf(stderr, "minivmm: vcpu%u: KVM_CREATE_VCPU: %s\n", id,
			strerror(errno));
		goto err_free;
	}
	vcpu->run = mmap(NULL, kvm->vcpu_mmap_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		fprintf(stderr, "minivmm: vcpu%u: mmap of kvm_run: %s\n", id,
			strerror(errno));
		goto err_close;
	}

	/* The target the host CPU prefers, with only the features we ask. */
	memset(&init, 0, sizeof(init));
	if (ioctl(kvm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init)) {
		fprintf(stderr, "minivmm: vcpu%u: KVM_ARM_PREFERRED_TARGET: %s\n",
			id, strerror(errno));
		goto err_unmap;
	}
	memset(init.features, 0, sizeof(init.features));
	init.features[0] = 1U << KVM_ARM_VCPU_PSCI_0_2;
	if (id)
		init.features[0] |= 1U << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init)) {
		fprintf(stderr, "minivmm: vcpu%u: KVM_ARM_VCPU_INIT: %s\n", id,
			strerror(errno));
		goto err_unmap;
	}
	return vcpu;

err_unmap:
	munmap(vcpu->run, kvm->vcpu_mmap_size);
err_close:
	close(vcpu->fd);
err_free:
	free(vcpu);
	return NULL;
}

/* Undo kvm_cpu__init(); the thread, if any, must have been joined. */
void kvm_cpu__exit(struct kvm_cpu *vcpu)
{
	munmap(vcpu->run, vcpu->kvm->vcpu_mmap_size);
	close(vcpu->fd);
	free(vcpu);
}

static int kvm_cpu__set_reg(struct kvm_cpu *vcpu, uint64_t id, uint64_t val,
			    const char *name)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	if (ioctl(vcpu->fd, KVM_SET_ONE_REG, &reg)) {
		fprintf(stderr, "minivmm: vcpu%u: KVM_SET_ONE_REG %s: %s\n",
			vcpu->id, name, strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * kvm_cpu__set_entry() - where and with what the vCPU starts
 * @vcpu:	the vCPU, initialized, not running
 * @pc:		first instruction
 * @x0:		first argument (the DTB address for a Linux Image)
 *
 * KVM_ARM_VCPU_INIT already put the vCPU in EL1h with DAIF masked and the
 * MMU off; the entry point and the arguments are ours to choose.  x1-x3
 * are zeroed explicitly: the arm64 boot protocol reserves them and wants
 * them 0 (Documentation/arch/arm64/booting.rst).
 *
 * Return: 0, or -1 with a message.
 */
int kvm_cpu__set_entry(struct kvm_cpu *vcpu, uint64_t pc, uint64_t x0)
{
	if (kvm_cpu__set_reg(vcpu, ARM64_CORE_REG(regs.regs[0]), x0, "x0") ||
	    kvm_cpu__set_reg(vcpu, ARM64_CORE_REG(regs.regs[1]), 0, "x1") ||
	    kvm_cpu__set_reg(vcpu, ARM64_CORE_REG(regs.regs[2]), 0, "x2") ||
	    kvm_cpu__set_reg(vcpu, ARM64_CORE_REG(regs.regs[3]), 0, "x3"))
		return -1;
	return kvm_cpu__set_reg(vcpu, ARM64_CORE_REG(regs.pc), pc, "pc");
}

/**
 * kvm_cpu__mpidr() - the vCPU's hardware id, as the guest will read it
 * @vcpu:	the vCPU, initialized
 * @mpidr:	its MPIDR_EL1 affinity fields
 *
 * Read back rather than derived from the vCPU index: the device tree must
 * say exactly what KVM chose.
 *
 * Return: 0, or -1 with a message.
 */
int kvm_cpu__mpidr(struct kvm_cpu *vcpu, uint64_t *mpidr)
{
	struct kvm_one_reg reg = { .id = MPIDR_EL1_REG, .addr = (uintptr_t)mpidr };

	if (ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg)) {
		fprintf(stderr, "minivmm: vcpu%u: KVM_GET_ONE_REG MPIDR_EL1: %s\n",
			vcpu->id, strerror(errno));
		return -1;
	}
	*mpidr &= MPIDR_HWID_MASK;
	return 0;
}

static uint64_t kvm_cpu__pc(struct kvm_cpu *vcpu)
{
	uint64_t pc = 0;
	struct kvm_one_reg reg = {
		.id = ARM64_CORE_REG(regs.pc),
		.addr = (uintptr_t)&pc,
	};

	if (ioctl(vcpu->fd, KVM_GET_ONE_REG, &reg))
		return ~0ULL;
	return pc;
}

static const char *const exit_reason_names[] = {
	[KVM_EXIT_UNKNOWN]		= "UNKNOWN",
	[KVM_EXIT_EXCEPTION]		= "EXCEPTION",
	[KVM_EXIT_IO]			= "IO",
	[KVM_EXIT_HYPERCALL]		= "HYPERCALL",
	[KVM_EXIT_DEBUG]		= "DEBUG",
	[KVM_EXIT_HLT]			= "HLT",
	[KVM_EXIT_MMIO]			= "MMIO",
	[KVM_EXIT_IRQ_WINDOW_OPEN]	= "IRQ_WINDOW_OPEN",
	[KVM_EXIT_SHUTDOWN]		= "SHUTDOWN",
	[KVM_EXIT_FAIL_ENTRY]		= "FAIL_ENTRY",
	[KVM_EXIT_INTR]			= "INTR",
	[KVM_EXIT_SET_TPR]		= "SET_TPR",
	[KVM_EXIT_TPR_ACCESS]		= "TPR_ACCESS",
	[KVM_EXIT_INTERNAL_ERROR]	= "INTERNAL_ERROR",
	[KVM_EXIT_SYSTEM_EVENT]		= "SYSTEM_EVENT",
	[KVM_EXIT_ARM_NISV]		= "ARM_NISV",
	[KVM_EXIT_MEMORY_FAULT]		= "MEMORY_FAULT",
};

static const char *kvm_cpu__exit_name(uint32_t reason)
{
	if (reason < ARRAY_SIZE(exit_reason_names) &&
	    exit_reason_names[reason])
		return exit_reason_names[reason];
	return "?";
}

/* Say why the vCPU stopped in terms a KVM developer can act on. */
static void kvm_cpu__report_exit(struct kvm_cpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	unsigned int i;

	fprintf(stderr, "minivmm: vcpu%u: unhandled exit reason %u (KVM_EXIT_%s), pc %#" PRIx64 "\n",
		vcpu->id, run->exit_reason, kvm_cpu__exit_name(run->exit_reason),
		kvm_cpu__pc(vcpu));
	switch (run->exit_reason) {
	case KVM_EXIT_FAIL_ENTRY:
		fprintf(stderr, "minivmm:   hardware entry failure reason %#llx on cpu %u\n",
			run->fail_entry.hardware_entry_failure_reason,
			run->fail_entry.cpu);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		fprintf(stderr, "minivmm:   suberror %u", run->internal.suberror);
		for (i = 0; i < run->internal.ndata && i < 16; i++)
			fprintf(stderr, " %#llx", run->internal.data[i]);
		fputc('\n', stderr);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		fprintf(stderr, "minivmm:   system event type %u, ndata %u\n",
			run->system_event.type, run->system_event.ndata);
		break;
	case KVM_EXIT_ARM_NISV:
		/* A data abort whose syndrome KVM cannot decode (no ISV). */
		fprintf(stderr, "minivmm:   data abort without a valid syndrome: ISS %#llx, IPA %#llx\n",
			run->arm_nisv.esr_iss, run->arm_nisv.fault_ipa);
		break;
	case KVM_EXIT_MEMORY_FAULT:
		fprintf(stderr, "minivmm:   memory fault at %#llx+%#llx, flags %#llx\n",
			run->memory_fault.gpa, run->memory_fault.size,
			run->memory_fault.flags);
		break;
	}
}

/* Return: true to run the vCPU again, false once the VM is stopped. */
static bool kvm_cpu__handle_mmio(struct kvm_cpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	mmio__dispatch(vcpu->kvm, run->mmio.phys_addr, run->mmio.data,
		       run->mmio.len, run->mmio.is_write);
	return true;
}

static bool kvm_cpu__handle_system_event(struct kvm_cpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		kvm__stop(vcpu->kvm, 0);
		return false;
	case KVM_SYSTEM_EVENT_RESET:
		/* Not an error: the guest asked; we just cannot reboot it. */
		fprintf(stderr, "minivmm: guest requested a reset; stopping (reset is not supported)\n");
		kvm__stop(vcpu->kvm, 0);
		return false;
	default:
		kvm_cpu__report_exit(vcpu);
		kvm__stop(vcpu->kvm, 1);
		return false;
	}
}

static bool kvm_cpu__handle_unknown(struct kvm_cpu *vcpu)
{
	kvm_cpu__report_exit(vcpu);
	kvm__stop(vcpu->kvm, 1);
	return false;
}

/* One KVM_RUN, and the exit it ended with.  Return: whether to go on. */
static bool kvm_cpu__run_once(struct kvm_cpu *vcpu)
{
	if (ioctl(vcpu->fd, KVM_RUN, 0)) {
		/* A kick (or any signal) lands here; the loop checks why. */
		if (errno == EINTR || errno == EAGAIN)
			return true;
		fprintf(stderr, "minivmm: vcpu%u: KVM_RUN: %s\n", vcpu->id,
			strerror(errno));
		kvm__stop(vcpu->kvm, 1);
		return false;
	}

	switch (vcpu->run->exit_reason) {
	case KVM_EXIT_MMIO:
		return kvm_cpu__handle_mmio(vcpu);
	case KVM_EXIT_SYSTEM_EVENT:
		return kvm_cpu__handle_system_event(vcpu);
	case KVM_EXIT_INTR:
		return true;
	default:
		return kvm_cpu__handle_unknown(vcpu);
	}
}

/**
 * kvm_cpu__run() - run a vCPU until the VM stops
 * @vcpu: the vCPU
 */
void kvm_cpu__run(struct kvm_cpu *vcpu)
{
	while (!atomic_load(&vcpu->kvm->stopping))
		if (!kvm_cpu__run_once(vcpu))
			break;
}

static void *kvm_cpu__thread(void *arg)
{
	struct kvm_cpu *vcpu = arg;

	kvm_cpu__run(vcpu);
	vcpu->cpu_ns = kvm__thread_cpu_ns();
	return NULL;
}

/**
 * kvm_cpu__start() - run the vCPU in a thread of its own
 * @vcpu: the vCPU, its entry point set
 *
 * Return: 0, or -1 with a message.
 */
int kvm_cpu__start(struct kvm_cpu *vcpu)
{
	int err = pthread_create(&vcpu->thread, NULL, kvm_cpu__thread, vcpu);
	char name[16];

	if (err) {
		fprintf(stderr, "minivmm: vcpu%u: pthread_create: %s\n",
			vcpu->id, strerror(err));
		return -1;
	}
	/* "vcpu0": make bench pins it by this name (scripts/guest-bench.sh). */
	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	pthread_setname_np(vcpu->thread, name);
	atomic_store(&vcpu->thread_started, true);
	return 0;
}

/**
 * kvm_cpu__kick() - make the vCPU's thread leave KVM_RUN soon
 * @vcpu: the vCPU
 *
 * immediate_exit covers the race of a thread that has checked
 * kvm->stopping but not yet entered KVM_RUN: KVM then returns -EINTR at
 * once instead of sleeping through the signal it already took.
 */
void kvm_cpu__kick(struct kvm_cpu *vcpu)
{
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (atomic_load(&vcpu->thread_started) &&
	    !pthread_equal(vcpu->thread, pthread_self()))
		pthread_kill(vcpu->thread, SIGKVMKICK);
}

static void kvm_cpu__kick_handler(int sig)
{
}

/**
 * kvm_cpu__setup_signals() - let the kick signal interrupt KVM_RUN
 *
 * Without SA_RESTART, so that the ioctl returns -EINTR to the run loop.
 *
 * Return: 0, or -1 with a message.
 */
int kvm_cpu__setup_signals(void)
{
	struct sigaction sa = { .sa_handler = kvm_cpu__kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGKVMKICK, &sa, NULL)) {
		fprintf(stderr, "minivmm: sigaction: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * kvm_cpu__print_stats() - the vCPU's KVM_GET_STATS_FD counters, on stderr
 * @vcpu: the vCPU, its thread joined
 *
 * One line, every single-value counter as name=value, in the order the
 * kernel lists them: the same line on minikvm and on KVM, so that a
 * workload's exits, halts and polls can be compared (make bench).
 * Histograms are left out.  A kernel without stats fds prints nothing.
 * Before it, a line with the vCPU thread's CPU time.
 */
void kvm_cpu__print_stats(struct kvm_cpu *vcpu)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsize;
	char *descs = NULL;
	unsigned int i;
	int fd;

	fprintf(stderr, "minivmm: vcpu%u thread cpu_ns %" PRIu64 "\n", vcpu->id,
		vcpu->cpu_ns);
	fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || h.num_desc > 1024)
		goto out;
	dsize = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsize);
	if (!descs)
		goto out;
	if (pread(fd, descs, h.num_desc * dsize, h.desc_offset) !=
	    (ssize_t)(h.num_desc * dsize))
		goto out;
	fprintf(stderr, "minivmm: vcpu%u stats:", vcpu->id);
	for (i = 0; i < h.num_desc; i++) {
		uint64_t val;

		d = (void *)(descs + i * dsize);
		if (d->size != 1)
			continue;
		if (pread(fd, &val, sizeof(val), h.data_offset + d->offset) !=
		    sizeof(val))
			break;
		fprintf(stderr, " %.*s=%" PRIu64, (int)h.name_size, d->name,
			val);
	}
	fprintf(stderr, "\n");
out:
	free(descs);
	close(fd);
}
