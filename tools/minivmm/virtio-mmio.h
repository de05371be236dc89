/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-mmio transport (virtio 1.x, register layout version 2) and split
 * virtqueues, shared by the virtio devices.  Each device gets a 0x200-byte
 * window and an SPI of its own, in creation order.
 */
#ifndef MINIVMM_VIRTIO_MMIO_H
#define MINIVMM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct fdt;
struct kvm;
struct vring_desc;
struct vring_avail;
struct vring_used;

/* QEMU virt's virtio-mmio window, addresses and SPIs. */
#define VIRTIO_MMIO_BASE	0x0a000000ULL
#define VIRTIO_MMIO_SIZE	0x200ULL
#define VIRTIO_MMIO_SPI_BASE	16
#define VIRTIO_MMIO_MAX_DEVS	8
#define VIRTIO_MAX_QUEUES	2
/* Longest descriptor chain we follow; Linux's block requests use ~3. */
#define VIRTQ_MAX_SEGS		64

struct virtio_mmio_dev;

/* What a device is; its callbacks run with the device's lock held. */
struct virtio_dev_ops {
	const char *name;
	uint32_t device_id;
	uint64_t features;		/* besides VIRTIO_F_VERSION_1 */
	unsigned int nr_queues;
	uint16_t queue_max;
	/* The driver made buffers available on queue @q. */
	void (*notify)(struct virtio_mmio_dev *vdev, unsigned int q);
};

struct virtq {
	uint16_t num;
	bool ready;
	uint64_t desc_addr, avail_addr, used_addr;
	/* Host views of the rings, valid while ready. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;		/* next avail entry to take */
	uint16_t used_idx;		/* next used entry to fill */
};

/* One request: the buffers of a descriptor chain, device-readable first. */
struct virtq_elem {
	uint16_t head;
	unsigned int nr_out;		/* iov[0 .. nr_out): device reads */
	unsigned int nr_in;		/* then nr_in buffers it writes */
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
	uint32_t status;
	uint32_t isr;
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint64_t drv_features;
	uint32_t queue_sel;
	bool irq_level;
	struct virtq vq[VIRTIO_MAX_QUEUES];
};

struct virtio_mmio_dev *virtio_mmio__create(struct kvm *kvm,
					    const struct virtio_dev_ops *ops,
					    void *priv, const void *config,
					    uint32_t config_size);
void virtio_mmio__exit(struct kvm *kvm);
void virtio_mmio__generate_fdt(struct virtio_mmio_dev *vdev, struct fdt *f);
bool virtio_mmio__queue_live(struct virtio_mmio_dev *vdev, unsigned int q);
void virtio_mmio__signal_used(struct virtio_mmio_dev *vdev);

int virtq__pop(struct virtio_mmio_dev *vdev, unsigned int q,
	       struct virtq_elem *elem);
void virtq__push(struct virtio_mmio_dev *vdev, unsigned int q, uint16_t head,
		 uint32_t len);
size_t virtq_elem__read(const struct virtq_elem *elem, size_t offset,
			void *dst, size_t len);
size_t virtq_elem__in_size(const struct virtq_elem *elem);

#endif /* MINIVMM_VIRTIO_MMIO_H */
