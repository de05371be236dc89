/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-mmio transport (virtio 1.x, register layout version 2) and split
 * virtqueues, shared by the virtio devices.  Each device gets a 0x200-byte
 * window, an SPI of its own, in creation order, and an I/O thread that
 * serves its queues (so that no vCPU thread ever waits for device I/O).
 */
#ifndef MINIVMM_VIRTIO_MMIO_H
#define MINIVMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct fdt;
struct kvm;

/* QEMU virt's virtio-mmio window, addresses and SPIs. */
#define VIRTIO_MMIO_BASE	0x0a000000ULL
#define VIRTIO_MMIO_SIZE	0x200ULL
#define VIRTIO_MMIO_SPI_BASE	16
#define VIRTIO_MMIO_MAX_DEVS	8
#define VIRTIO_MAX_QUEUES	2
/*
 * Longest descriptor chain followed: virtio-blk's requests of up to 256
 * data buffers (its SEG_MAX), a header and a status byte.  Other devices
 * follow VIRTQ_DEFAULT_SEGS (virtio_dev_ops.max_segs).
 */
#define VIRTQ_MAX_SEGS		258
#define VIRTQ_DEFAULT_SEGS	64
/* Requests an I/O thread serves before it lets the vCPUs at the lock. */
#define VIRTQ_BUDGET		32
/* Device status bit the device sets (virtio 1.2, 2.1). */
#define VIRTIO_STATUS_NEEDS_RESET	0x40

struct virtio_mmio_dev;

/* What a device is. */
struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	uint64_t features;		/* besides VIRTIO_F_VERSION_1 */
	unsigned int nr_queues;
	uint16_t queue_max;		/* a power of two */
	/* Longest chain, up to VIRTQ_MAX_SEGS; 0: VIRTQ_DEFAULT_SEGS. */
	unsigned int max_segs;
	/*
	 * Serve what the driver made available on queue @q: on the device's
	 * I/O thread, lock held; it may drop the lock around its I/O (see
	 * virtq__push()).  Return: true if it stopped at VIRTQ_BUDGET with
	 * more to do.
	 */
	bool (*process)(struct virtio_mmio_dev *vdev, unsigned int q);
	/*
	 * Optional: the driver changed the device's state (a status write,
	 * a reset, a queue enabled or disabled); lock held.  The device
	 * brings its backend in line (virtio-net starts and stops vhost).
	 */
	void (*changed)(struct virtio_mmio_dev *vdev);
};

/* A split virtqueue: guest-physical ring addresses, checked when enabled. */
struct virtq {
	uint16_t num;
	bool ready;
	uint64_t desc_addr, avail_addr, used_addr;
	uint16_t last_avail;		/* next avail entry to take */
	uint16_t used_idx;		/* next used entry to fill */
	/* VIRTIO_RING_F_EVENT_IDX: used_idx when last looked at used_event. */
	uint16_t signalled_used;
	bool signalled_used_valid;
};

/*
 * One request: the buffers of a descriptor chain, device-readable first.
 * Built from one copy of each descriptor; every iov lies in guest RAM.
 */
struct virtq_elem {
	uint16_t head;
	uint32_t gen;			/* vdev->gen when it was taken */
	unsigned int nr_out;		/* iov[0 .. nr_out): device reads */
	unsigned int nr_in;		/* then nr_in buffers it writes */
	uint64_t out_len, in_len;	/* their total sizes */
	struct iovec iov[VIRTQ_MAX_SEGS];
};

struct virtio_mmio_dev {
	struct kvm *kvm;
	const struct virtio_dev_ops *ops;
	void *priv;
	const void *config;		/* little-endian config space image */
	uint32_t config_size;
	uint64_t base;
	unsigned int spi;

	pthread_mutex_t lock;		/* everything below */
	pthread_cond_t kick;		/* kicked became non-zero */
	uint32_t kicked;		/* queues notified, not yet served */
	uint32_t gen;			/* bumped by every reset */
	bool warned;			/* this device printed its warning */
	uint32_t status;
	uint32_t isr;
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint64_t drv_features;
	uint32_t queue_sel;
	bool irq_level;
	struct virtq vq[VIRTIO_MAX_QUEUES];

	/*
	 * The eventfd paths (kvm->ioeventfd, kvm->irqfd), -1 where unused.
	 * The fds live as long as the device; only their registration with
	 * KVM follows the queues (notify_on[q]: registered now).  A QueueNotify
	 * that KVM matches to notify_fd[q] never reaches the MMIO handler.
	 * The irqfd raises the SPI; KVM lowers it when the guest EOIs it and
	 * signals resample_fd, and the I/O thread raises it again if ISR is
	 * still set.  wake_fd wakes the I/O thread for what comes another way.
	 */
	int notify_fd[VIRTIO_MAX_QUEUES];
	bool notify_on[VIRTIO_MAX_QUEUES];
	int irq_fd;
	int resample_fd;
	int wake_fd;

	/*
	 * A backend that has input for queue backend_q (a tap with packets
	 * for the receive queue): while backend_on and the queue is live,
	 * the I/O thread polls backend_fd and turns its readiness into kicks
	 * of backend_q.  The device clears backend_on when the driver left
	 * it no buffers, and sets it again when kicked.
	 */
	int backend_fd;
	unsigned int backend_q;
	bool backend_on;

	/*
	 * Queues whose rings the host kernel serves (vhost).  Their
	 * notify_fd is the kernel's kick and is not polled here; the kernel
	 * signals call_fd[q] for used buffers, and the I/O thread relays that
	 * to InterruptStatus and the SPI (the interrupt status register is
	 * minivmm's, so the kernel cannot raise the SPI itself).
	 */
	uint32_t offloaded;
	int call_fd[VIRTIO_MAX_QUEUES];

	pthread_t io_thread;
	bool io_started;
	uint64_t io_cpu_ns;		/* the I/O thread's CPU time, at its end */
};

struct virtio_mmio_dev *virtio_mmio__create(struct kvm *kvm,
					    const struct virtio_dev_ops *ops,
					    void *priv, const void *config,
					    uint32_t config_size);
void virtio_mmio__exit(struct kvm *kvm);
int virtio_mmio__start_io(struct kvm *kvm);
void virtio_mmio__stop_io(struct kvm *kvm);
void virtio_mmio__print_cpu(struct kvm *kvm);
bool virtio_mmio__run_pending(struct virtio_mmio_dev *vdev);
void virtio_mmio__mmio(void *dev, uint64_t offset, uint8_t *data,
		       uint32_t len, bool is_write);
void virtio_mmio__generate_fdt(struct virtio_mmio_dev *vdev, struct fdt *f);
bool virtio_mmio__queue_live(struct virtio_mmio_dev *vdev, unsigned int q);
void virtio_mmio__signal_used(struct virtio_mmio_dev *vdev);
void virtio_mmio__needs_reset(struct virtio_mmio_dev *vdev, const char *why);
void virtio__warn(struct virtio_mmio_dev *vdev, const char *what);
int virtio_mmio__set_backend_fd(struct virtio_mmio_dev *vdev, int fd,
				unsigned int q);

int virtq__pop(struct virtio_mmio_dev *vdev, unsigned int q,
	       struct virtq_elem *elem);
void virtq__push(struct virtio_mmio_dev *vdev, unsigned int q,
		 const struct virtq_elem *elem, uint32_t len);
void virtq__unpop(struct virtio_mmio_dev *vdev, unsigned int q,
		  const struct virtq_elem *elem);
bool virtq__wants_interrupt(struct virtio_mmio_dev *vdev, unsigned int q);
/* Was the device reset since @elem was taken?  Without the lock. */
static inline bool virtq_elem__stale(struct virtio_mmio_dev *vdev,
				     const struct virtq_elem *elem)
{
	return __atomic_load_n(&vdev->gen, __ATOMIC_RELAXED) != elem->gen;
}

size_t virtq_elem__read(const struct virtq_elem *elem, size_t offset,
			void *dst, size_t len);
size_t virtq_elem__write(const struct virtq_elem *elem, size_t offset,
			 const void *src, size_t len);

#endif /* MINIVMM_VIRTIO_MMIO_H */
