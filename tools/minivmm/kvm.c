// SPDX-License-Identifier: GPL-2.0
/*
 * The VM: open the KVM-API device, create the VM, give it RAM, load a
 * payload into it, and stop it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "gic.h"
#include "kvm.h"
#include "kvm-cpu.h"
#include "mmio.h"
#include "pci.h"
#include "pl011.h"
#include "virtio-blk.h"
#include "virtio-console.h"
#include "virtio-mmio.h"
#include "virtio-net.h"

static int kvm__open_dev(struct kvm *kvm)
{
	const char *path = kvm->cfg.dev_path;
	int ret;

	kvm->sys_fd = open(path, O_RDWR | O_CLOEXEC);
	if (kvm->sys_fd < 0) {
		fprintf(stderr, "minivmm: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* Anything that opens is not a KVM device: ask before trusting it. */
	ret = ioctl(kvm->sys_fd, KVM_GET_API_VERSION, 0);
	if (ret < 0) {
		fprintf(stderr, "minivmm: %s is not a KVM-API device: %s\n",
			path, strerror(errno));
		return -1;
	}
	if (ret != KVM_API_VERSION) {
		fprintf(stderr, "minivmm: %s speaks KVM API version %d, not %d\n",
			path, ret, KVM_API_VERSION);
		return -1;
	}
	return 0;
}

/* KVM_CAP_MAX_VCPUS, falling back to NR_VCPUS as the API document says. */
static int kvm__max_vcpus(struct kvm *kvm)
{
	int ret = ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (ret <= 0)
		ret = ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	return ret;
}

static int kvm__init_ram(struct kvm *kvm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = kvm->cfg.ram_base,
		.memory_size = kvm->cfg.ram_size,
	};

	void *ram;

	ram = mmap(NULL, kvm->cfg.ram_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		fprintf(stderr, "minivmm: cannot map %" PRIu64 " MiB of guest RAM: %s\n",
			kvm->cfg.ram_size >> 20, strerror(errno));
		return -1;
	}
	kvm->mem.host = ram;
	kvm->mem.base = kvm->cfg.ram_base;
	kvm->mem.size = kvm->cfg.ram_size;
	region.userspace_addr = (uintptr_t)ram;
	if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region)) {
		fprintf(stderr, "minivmm: KVM_SET_USER_MEMORY_REGION %#" PRIx64 "+%#" PRIx64 ": %s\n",
			kvm->cfg.ram_base, kvm->cfg.ram_size, strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * kvm__init() - create a VM with RAM, its devices and its vCPUs
 * @kvm:	zeroed by the caller
 * @cfg:	what to create; checked by the caller (non-zero, page-aligned RAM)
 *
 * The vCPUs are created and initialized but not started.  On failure,
 * kvm__exit() undoes what was done.
 *
 * Return: 0, or -1 with a message.
 */
int kvm__init(struct kvm *kvm, const struct kvm_config *cfg)
{
	unsigned int i;
	int max;

	kvm->cfg = *cfg;
	kvm->sys_fd = -1;
	kvm->vm_fd = -1;
	kvm->gic_fd = -1;
	kvm->out_fd = STDOUT_FILENO;
	pthread_mutex_init(&kvm->mmio_warn_lock, NULL);

	if (kvm__open_dev(kvm))
		return -1;
	kvm->vcpu_mmap_size = ioctl(kvm->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
		fprintf(stderr, "minivmm: %s: KVM_GET_VCPU_MMAP_SIZE: %s\n",
			cfg->dev_path, kvm->vcpu_mmap_size < 0 ?
			strerror(errno) : "too small");
		return -1;
	}
	/* Type 0: the default 40-bit IPA space holds RAM at 2 GiB easily. */
	kvm->vm_fd = ioctl(kvm->sys_fd, KVM_CREATE_VM, 0);
	if (kvm->vm_fd < 0) {
		fprintf(stderr, "minivmm: %s: KVM_CREATE_VM: %s\n",
			cfg->dev_path, strerror(errno));
		return -1;
	}
	max = kvm__max_vcpus(kvm);
	if (max > 0 && cfg->nr_vcpus > (unsigned int)max) {
		fprintf(stderr, "minivmm: -c %u: %s supports at most %d vCPUs\n",
			cfg->nr_vcpus, cfg->dev_path, max);
		return -1;
	}
	if (kvm__init_ram(kvm))
		return -1;
	/* KVM wants the vGIC before the vCPUs, initialized after them. */
	if (cfg->irqchip && gic__create(kvm))
		return -1;
	if (pl011__init(kvm))
		return -1;

	kvm->cpus = calloc(cfg->nr_vcpus, sizeof(*kvm->cpus));
	if (!kvm->cpus) {
		fprintf(stderr, "minivmm: out of memory\n");
		return -1;
	}
	for (i = 0; i < cfg->nr_vcpus; i++) {
		kvm->cpus[i] = kvm_cpu__init(kvm, i);
		if (!kvm->cpus[i])
			return -1;
		kvm->nr_cpus++;
	}
	if (cfg->irqchip && gic__init(kvm))
		return -1;
	/*
	 * Without these the virtio devices take the exit path: a device
	 * that KVM cannot notify in-kernel still works, only slower.
	 */
	if (!cfg->no_eventfd) {
		kvm->ioeventfd = ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION,
				       KVM_CAP_IOEVENTFD) > 0;
		kvm->irqfd = cfg->irqchip &&
			     ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION,
				   KVM_CAP_IRQFD) > 0 &&
			     ioctl(kvm->sys_fd, KVM_CHECK_EXTENSION,
				   KVM_CAP_IRQFD_RESAMPLE) > 0;
	}
	return 0;
}

/**
 * kvm__print_stats() - the --stats line, on stderr
 * @kvm: the VM, its vCPUs and I/O threads stopped
 *
 * The tests read it to see which path notifications and interrupts took.
 */
void kvm__print_stats(struct kvm *kvm)
{
	struct kvm_stats *st = &kvm->stats;

	fprintf(stderr, "minivmm: stats: ioeventfd %s, irqfd %s, notify exits %lu, ioeventfd kicks %lu, irqfd raises %lu, irq line changes %lu\n",
		kvm->ioeventfd ? "on" : "off", kvm->irqfd ? "on" : "off",
		atomic_load(&st->notify_exits), atomic_load(&st->ioeventfd_kicks),
		atomic_load(&st->irqfd_raises),
		atomic_load(&st->irq_line_changes));
}

/**
 * kvm__exit() - tear down what kvm__init() built, in reverse order
 * @kvm: the VM; its vCPU threads must have been joined
 */
void kvm__exit(struct kvm *kvm)
{
	while (kvm->nr_cpus)
		kvm_cpu__exit(kvm->cpus[--kvm->nr_cpus]);
	free(kvm->cpus);
	kvm->cpus = NULL;
	/* Passed-through devices stop their DMA before guest RAM goes. */
	pci__exit(kvm);
	virtio_net__exit(kvm);
	virtio_blk__exit(kvm);
	virtio_console__exit(kvm);
	virtio_mmio__exit(kvm);
	pl011__exit(kvm);
	mmio__exit(kvm);
	gic__exit(kvm);
	/* The memslot goes with the VM fd; only then may its memory go. */
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	if (kvm->mem.host)
		munmap(kvm->mem.host, kvm->mem.size);
	kvm->mem.host = NULL;
	if (kvm->sys_fd >= 0)
		close(kvm->sys_fd);
	pthread_mutex_destroy(&kvm->mmio_warn_lock);
}

/**
 * kvm__load_raw() - copy a raw payload into guest RAM
 * @kvm:	the VM
 * @fd:		the payload, read from its current offset
 * @size:	its size in bytes
 * @addr:	IPA to load it at; [addr, addr + size) must be in RAM
 * @name:	for messages
 *
 * Return: 0, or -1 with a message.
 */
int kvm__load_raw(struct kvm *kvm, int fd, uint64_t size, uint64_t addr,
		  const char *name)
{
	uint8_t *dst = guest_mem__ptr(&kvm->mem, addr, size);
	uint64_t done = 0;
	ssize_t n;

	if (!dst) {
		fprintf(stderr, "minivmm: %s does not fit in guest RAM at %#" PRIx64 "\n",
			name, addr);
		return -1;
	}
	while (done < size) {
		n = read(fd, dst + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "minivmm: %s: %s\n", name,
				n ? strerror(errno) : "file shrank while loading");
			return -1;
		}
		done += n;
	}
	return 0;
}

/**
 * kvm__stop() - end the VM: every vCPU thread leaves its run loop
 * @kvm:	the VM
 * @status:	minivmm's exit status; the first caller's wins
 *
 * Safe from any vCPU thread, any number of times.
 */
void kvm__stop(struct kvm *kvm, int status)
{
	unsigned int i;

	if (atomic_exchange(&kvm->stopping, true))
		return;
	kvm->exit_status = status;
	/*
	 * vCPUs that are powered off, or in WFI, sleep inside KVM_RUN:
	 * only a signal gets them out.
	 */
	for (i = 0; i < kvm->nr_cpus; i++)
		kvm_cpu__kick(kvm->cpus[i]);
}

/**
 * kvm__wait_briefly() - wait on @cond for at most 100 ms
 * @cond:	what a device's I/O thread waits for
 * @lock:	held by the caller, as for pthread_cond_wait()
 *
 * For the I/O threads, which wait for the guest to make room: bounded,
 * so that they notice kvm->stopping, which kvm__stop() sets without
 * knowing who waits on what.
 */
void kvm__wait_briefly(pthread_cond_t *cond, pthread_mutex_t *lock)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000 * 1000 * 1000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000 * 1000 * 1000;
	}
	pthread_cond_timedwait(cond, lock, &ts);
}

/**
 * kvm__write_out() - guest console output, to the VMM's stdout
 * @kvm:	the VM
 * @buf:	what the guest wrote
 * @len:	bytes
 *
 * Whole or not at all: once stdout fails (its reader went away: EPIPE,
 * SIGPIPE being ignored) the guest's output is dropped from then on and
 * the VM goes on.  A write interrupted by a stopping VM gives up.
 */
void kvm__write_out(struct kvm *kvm, const void *buf, size_t len)
{
	while (len && !atomic_load(&kvm->out_gone)) {
		ssize_t n = write(kvm->out_fd, buf, len);

		if (n < 0 && errno == EINTR) {
			if (atomic_load(&kvm->stopping))
				return;
			continue;
		}
		if (n <= 0) {
			if (!atomic_exchange(&kvm->out_gone, true))
				fprintf(stderr, "minivmm: stdout: %s; dropping guest output\n",
					n ? strerror(errno) : "cannot write");
			return;
		}
		buf = (const uint8_t *)buf + n;
		len -= n;
	}
}
