/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM: the KVM-API device, the VM fd, guest RAM, the MMIO bus, and the
 * vCPUs that run it.
 *
 * Error convention of this layer: a function that fails prints one line on
 * stderr saying why and returns -1; callers only propagate.
 */
#ifndef MINIVMM_KVM_H
#define MINIVMM_KVM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "guest-mem.h"
#include "virtio-mmio.h"

struct kvm_cpu;
struct mmio_range;
struct pci_host;
struct pl011;
struct virtio_blk;
struct virtio_console;
struct virtio_net;

/* kvmtool's arm64 RAM base: below it sit the devices (the UART at 0x09000000). */
#define KVM_DEFAULT_RAM_BASE	0x80000000ULL
#define KVM_DEFAULT_RAM_MIB	64ULL
/* A Linux guest with a busybox initramfs is comfortable in this. */
#define KVM_DEFAULT_LINUX_RAM_MIB	256ULL
/* Distinct unclaimed MMIO addresses reported before going quiet. */
#define MMIO_WARN_MAX		16

/* The device that gets the terminal's input (and Linux's console=). */
enum kvm_console {
	CONSOLE_SERIAL,		/* the PL011, ttyAMA0 */
	CONSOLE_VIRTIO,		/* a virtio console, hvc0 */
};

struct kvm_config {
	const char *dev_path;
	uint64_t ram_base;
	uint64_t ram_size;
	unsigned int nr_vcpus;
	/* An in-kernel GICv3: needed by Linux, absent for raw payloads. */
	bool irqchip;
	enum kvm_console console;
	/* --no-eventfd: every queue notification exits to the vCPU thread. */
	bool no_eventfd;
	/* --stats: print the notification and interrupt counters at exit. */
	bool stats;
};

/* How virtio notifications and interrupts travelled (--stats). */
struct kvm_stats {
	atomic_ulong notify_exits;	/* QueueNotify writes that exited */
	atomic_ulong ioeventfd_kicks;	/* notifications read from ioeventfds */
	atomic_ulong irqfd_raises;	/* SPIs raised through an irqfd */
	atomic_ulong irq_line_changes;	/* KVM_IRQ_LINE calls for a virtio SPI */
	atomic_ulong vhost_calls;	/* used-buffer signals relayed from vhost */
};

struct kvm {
	struct kvm_config cfg;
	int sys_fd;
	int vm_fd;
	int vcpu_mmap_size;

	/* Guest RAM: every access to it goes through guest-mem.h. */
	struct guest_mem mem;
	/* Where guest console output goes; out_gone once writing it failed. */
	int out_fd;
	atomic_bool out_gone;

	struct kvm_cpu **cpus;
	unsigned int nr_cpus;		/* created so far */

	/* Registered before any vCPU runs, read-only afterwards. */
	struct mmio_range *mmio_ranges;
	/*
	 * Unclaimed addresses already warned about, vCPU threads add to it.
	 * Bounded: a guest scanning the address space gets MMIO_WARN_MAX
	 * lines and one saying that the rest go unreported.
	 */
	pthread_mutex_t mmio_warn_lock;
	uint64_t mmio_warned[MMIO_WARN_MAX];
	unsigned int nr_mmio_warned;
	bool mmio_warn_capped;

	int gic_fd;			/* -1 without an in-kernel GIC */
	/*
	 * Set by kvm__init() from KVM_CHECK_EXTENSION (and not with
	 * --no-eventfd): queue notifications through ioeventfds, virtio
	 * interrupts through resampling irqfds (the latter needs the GIC).
	 */
	bool ioeventfd;
	bool irqfd;
	struct kvm_stats stats;
	struct pl011 *uart;
	struct virtio_mmio_dev *virtio[VIRTIO_MMIO_MAX_DEVS];
	unsigned int nr_virtio;
	struct virtio_console *console;
	struct virtio_blk *blk;
	struct virtio_net *net;
	/* The PCI host bridge, NULL without PCI devices (pci.c). */
	struct pci_host *pci;

	/* Set once, by the first vCPU that ends the VM; see kvm__stop(). */
	atomic_bool stopping;
	int exit_status;
};

int kvm__init(struct kvm *kvm, const struct kvm_config *cfg);
void kvm__exit(struct kvm *kvm);
int kvm__load_raw(struct kvm *kvm, int fd, uint64_t size, uint64_t addr,
		  const char *name);
void kvm__stop(struct kvm *kvm, int status);
void kvm__wait_briefly(pthread_cond_t *cond, pthread_mutex_t *lock);
void kvm__write_out(struct kvm *kvm, const void *buf, size_t len);
void kvm__print_stats(struct kvm *kvm);

/*
 * The calling thread's CPU time so far, in ns (0 if unknown): --stats
 * prints it for the vCPU and I/O threads (make bench).  Under QEMU's
 * -icount it is the virtual time the thread spent on its CPU, which
 * includes the other emulated CPUs' turns meanwhile: how long the
 * thread was busy (or polling), not how many instructions it ran.
 */
static inline uint64_t kvm__thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
		return 0;
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif /* MINIVMM_KVM_H */
