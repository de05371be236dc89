// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio, version 2 (virtio 1.2, 4.2.2), and split virtqueues
 * (2.7).  The guest's accesses arrive on vCPU threads through the MMIO
 * bus; a device's lock serializes them with its own I/O thread, if any.
 *
 * Everything the guest puts in a ring is checked before use: ring and
 * buffer addresses must lie in guest RAM, indices in the ring, chains
 * must end.  A guest that breaks these rules gets its request dropped
 * (or its queue refused) and one warning, never a crash of the VMM.
 *
 * No notification suppression is offered (no EVENT_IDX): the driver kicks
 * for every batch and the device interrupts for every batch it completes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "fdt.h"
#include "gic.h"
#include "kvm.h"
#include "mmio.h"
#include "virtio-mmio.h"

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VERSION_2	2
#define VIRTIO_MMIO_VENDOR	0x4d4d564d	/* "MVMM" */

static void virtio__warn(struct virtio_mmio_dev *vdev, const char *what)
{
	static bool warned;

	/* A broken guest driver would repeat it for every request. */
	if (!__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		fprintf(stderr, "minivmm: warning: %s: %s (further warnings suppressed)\n",
			vdev->ops->name, what);
}

/* Guest RAM behind [addr, addr + len), or NULL if any of it is not RAM. */
static void *virtio__guest_ptr(struct virtio_mmio_dev *vdev, uint64_t addr,
			       uint64_t len)
{
	if (!kvm__in_ram(vdev->kvm, addr, len))
		return NULL;
	return kvm__ram_ptr(vdev->kvm, addr);
}

/* Lock held.  The SPI is a level: high while any ISR bit is set. */
static void virtio_mmio__update_irq(struct virtio_mmio_dev *vdev)
{
	bool level = vdev->isr != 0;

	if (level != vdev->irq_level) {
		vdev->irq_level = level;
		gic__set_spi(vdev->kvm, vdev->spi, level);
	}
}

/**
 * virtio_mmio__signal_used() - tell the driver that buffers were used
 * @vdev: the device, lock held
 */
void virtio_mmio__signal_used(struct virtio_mmio_dev *vdev)
{
	vdev->isr |= VIRTIO_MMIO_INT_VRING;
	virtio_mmio__update_irq(vdev);
}

/**
 * virtio_mmio__queue_live() - may the device use queue @q now?
 * @vdev:	the device, lock held
 * @q:		queue index
 *
 * Return: whether the driver is up (DRIVER_OK) and the queue ready.
 */
bool virtio_mmio__queue_live(struct virtio_mmio_dev *vdev, unsigned int q)
{
	return q < vdev->ops->nr_queues && vdev->vq[q].ready &&
	       (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK);
}

/* QueueReady = 1: map the rings the driver described, or refuse. */
static void virtq__enable(struct virtio_mmio_dev *vdev, struct virtq *vq)
{
	uint64_t num = vq->num;

	/* Alignments of 2.7 (16, 2, 4): the ring indices are accessed atomically. */
	if (!num || (vq->desc_addr & 15) || (vq->avail_addr & 1) ||
	    (vq->used_addr & 3)) {
		virtio__warn(vdev, "misaligned or empty virtqueue refused");
		return;
	}
	vq->desc = virtio__guest_ptr(vdev, vq->desc_addr,
				     num * sizeof(struct vring_desc));
	vq->avail = virtio__guest_ptr(vdev, vq->avail_addr,
				      sizeof(struct vring_avail) + (num + 1) * 2);
	vq->used = virtio__guest_ptr(vdev, vq->used_addr,
				     sizeof(struct vring_used) +
				     num * sizeof(struct vring_used_elem) + 2);
	if (!vq->desc || !vq->avail || !vq->used) {
		virtio__warn(vdev, "virtqueue outside guest RAM refused");
		return;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->ready = true;
}

/* Status 0 (or a fresh device): everything back to its reset state. */
static void virtio_mmio__reset(struct virtio_mmio_dev *vdev)
{
	vdev->status = 0;
	vdev->isr = 0;
	vdev->dev_features_sel = 0;
	vdev->drv_features_sel = 0;
	vdev->drv_features = 0;
	vdev->queue_sel = 0;
	memset(vdev->vq, 0, sizeof(vdev->vq));
	virtio_mmio__update_irq(vdev);
}

static uint64_t virtio_mmio__features(struct virtio_mmio_dev *vdev)
{
	return vdev->ops->features | 1ULL << VIRTIO_F_VERSION_1;
}

/*
 * The driver sets FEATURES_OK to ask whether its subset is acceptable; the
 * bit stays set only if it is (3.1.1).  Version 1 is what this register
 * layout speaks, so it is required.
 */
static void virtio_mmio__set_status(struct virtio_mmio_dev *vdev, uint32_t val)
{
	uint64_t feat = vdev->drv_features;

	if (!val) {
		virtio_mmio__reset(vdev);
		return;
	}
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((feat & ~virtio_mmio__features(vdev)) ||
	     !(feat & 1ULL << VIRTIO_F_VERSION_1)))
		val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	vdev->status = val;
}

static struct virtq *virtio_mmio__selected(struct virtio_mmio_dev *vdev)
{
	if (vdev->queue_sel >= vdev->ops->nr_queues)
		return NULL;
	return &vdev->vq[vdev->queue_sel];
}

static uint32_t virtio_mmio__read(struct virtio_mmio_dev *vdev, uint64_t reg)
{
	struct virtq *vq = virtio_mmio__selected(vdev);

	switch (reg) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return VIRTIO_MMIO_VERSION_2;
	case VIRTIO_MMIO_DEVICE_ID:
		return vdev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (vdev->dev_features_sel > 1)
			return 0;
		return virtio_mmio__features(vdev) >> (32 * vdev->dev_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? vdev->ops->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return vdev->isr;
	case VIRTIO_MMIO_STATUS:
		return vdev->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return 0;	/* the config space never changes */
	default:
		return 0;
	}
}

/* Set the low or high half of a 64-bit queue address. */
static void virtio_mmio__set_half(uint64_t *addr, uint64_t reg, uint32_t val)
{
	if (reg & 4)
		*addr = (*addr & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*addr = (*addr & ~0xffffffffULL) | val;
}

static void virtio_mmio__write(struct virtio_mmio_dev *vdev, uint64_t reg,
			       uint32_t val)
{
	struct virtq *vq = virtio_mmio__selected(vdev);

	switch (reg) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vdev->dev_features_sel = val;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (vdev->drv_features_sel < 2)
			virtio_mmio__set_half(&vdev->drv_features,
					      vdev->drv_features_sel * 4, val);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		vdev->drv_features_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		vdev->queue_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (virtio_mmio__queue_live(vdev, val))
			vdev->ops->notify(vdev, val);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vdev->isr &= ~val;
		virtio_mmio__update_irq(vdev);
		return;
	case VIRTIO_MMIO_STATUS:
		virtio_mmio__set_status(vdev, val);
		return;
	}

	/* The rest configures the selected queue, only while it is not live. */
	if (!vq || vq->ready) {
		if (vq && reg == VIRTIO_MMIO_QUEUE_READY && !val)
			vq->ready = false;
		return;
	}
	switch (reg) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (val <= vdev->ops->queue_max)
			vq->num = val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (val)
			virtq__enable(vdev, vq);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		virtio_mmio__set_half(&vq->desc_addr, reg, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		virtio_mmio__set_half(&vq->avail_addr, reg, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		virtio_mmio__set_half(&vq->used_addr, reg, val);
		break;
	}
}

/*
 * Registers are 32-bit and must be accessed so (4.2.2.2); the device
 * configuration space takes any width.
 */
static void virtio_mmio__mmio(void *dev, uint64_t offset, uint8_t *data,
			      uint32_t len, bool is_write)
{
	struct virtio_mmio_dev *vdev = dev;
	uint32_t val = 0;
	unsigned int i;

	pthread_mutex_lock(&vdev->lock);
	if (offset >= VIRTIO_MMIO_CONFIG) {
		const uint8_t *cfg = vdev->config;
		uint64_t off = offset - VIRTIO_MMIO_CONFIG;

		/* Nothing here is writable by the driver: writes are dropped. */
		for (i = 0; !is_write && i < len; i++)
			data[i] = off + i < vdev->config_size ? cfg[off + i] : 0;
	} else if (len != 4 || (offset & 3)) {
		virtio__warn(vdev, "register access that is not 32-bit ignored");
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		for (i = 0; i < 4; i++)
			val |= (uint32_t)data[i] << (8 * i);
		virtio_mmio__write(vdev, offset, val);
	} else {
		val = virtio_mmio__read(vdev, offset);
		for (i = 0; i < 4; i++)
			data[i] = val >> (8 * i);
	}
	pthread_mutex_unlock(&vdev->lock);
}

/**
 * virtq__pop() - take the next available descriptor chain
 * @vdev:	the device, lock held
 * @q:		a live queue
 * @elem:	filled with the chain's buffers
 *
 * Return: 1 with @elem filled, 0 if the driver made nothing available, -1
 * for a malformed chain, which has been returned to the driver as used
 * with length 0 so that it does not wait for it forever.
 */
int virtq__pop(struct virtio_mmio_dev *vdev, unsigned int q,
	       struct virtq_elem *elem)
{
	struct virtq *vq = &vdev->vq[q];
	uint16_t avail_idx, idx;
	unsigned int n;

	/* Acquire: the ring entries are read only after the index (2.7.13). */
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num) {
		virtio__warn(vdev, "available index ran ahead of the ring");
		vq->ready = false;
		return 0;
	}
	elem->head = vq->avail->ring[vq->last_avail % vq->num];
	vq->last_avail++;
	elem->nr_out = 0;
	elem->nr_in = 0;
	if (elem->head >= vq->num)
		goto bad;

	/* At most num descriptors: a longer chain loops (2.7.5.2). */
	for (idx = elem->head, n = 0;; n++) {
		struct vring_desc *d = &vq->desc[idx];
		bool write = d->flags & VRING_DESC_F_WRITE;
		void *ptr;

		if (n >= vq->num || n >= VIRTQ_MAX_SEGS ||
		    (d->flags & VRING_DESC_F_INDIRECT))
			goto bad;
		/* Device-writable buffers come after the readable ones. */
		if (!write && elem->nr_in)
			goto bad;
		ptr = virtio__guest_ptr(vdev, d->addr, d->len);
		if (!ptr)
			goto bad;
		elem->iov[n].iov_base = ptr;
		elem->iov[n].iov_len = d->len;
		if (write)
			elem->nr_in++;
		else
			elem->nr_out++;
		if (!(d->flags & VRING_DESC_F_NEXT))
			return 1;
		idx = d->next;
		if (idx >= vq->num)
			goto bad;
	}
bad:
	virtio__warn(vdev, "malformed descriptor chain dropped");
	if (elem->head < vq->num)
		virtq__push(vdev, q, elem->head, 0);
	return -1;
}

/**
 * virtq__push() - return a chain to the driver
 * @vdev:	the device, lock held
 * @q:		the queue it came from
 * @head:	its first descriptor
 * @len:	bytes the device wrote into its buffers
 *
 * The driver learns of it from the used index; signal it with
 * virtio_mmio__signal_used() once a batch is done.
 */
void virtq__push(struct virtio_mmio_dev *vdev, unsigned int q, uint16_t head,
		 uint32_t len)
{
	struct virtq *vq = &vdev->vq[q];
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx % vq->num];

	e->id = head;
	e->len = len;
	vq->used_idx++;
	/* Release: the entry is visible before the index that covers it. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

/**
 * virtq_elem__read() - copy from the device-readable buffers as one stream
 * @elem:	the request
 * @offset:	where in the stream to start
 * @dst:	where to copy
 * @len:	at most this many bytes
 *
 * Return: bytes copied.
 */
size_t virtq_elem__read(const struct virtq_elem *elem, size_t offset,
			void *dst, size_t len)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < elem->nr_out && done < len; i++) {
		size_t seg = elem->iov[i].iov_len, n;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		n = seg - offset < len - done ? seg - offset : len - done;
		memcpy((uint8_t *)dst + done,
		       (uint8_t *)elem->iov[i].iov_base + offset, n);
		done += n;
		offset = 0;
	}
	return done;
}

/* Total size of the device-writable buffers. */
size_t virtq_elem__in_size(const struct virtq_elem *elem)
{
	size_t size = 0;
	unsigned int i;

	for (i = elem->nr_out; i < elem->nr_out + elem->nr_in; i++)
		size += elem->iov[i].iov_len;
	return size;
}

/**
 * virtio_mmio__create() - a new virtio-mmio device in the next free slot
 * @kvm:	the VM, its vCPUs not running yet
 * @ops:	what the device is
 * @priv:	the device's own state
 * @config:	its configuration space, little-endian; it must outlive the VM
 * @config_size: bytes of it
 *
 * Return: the device, or NULL with a message.
 */
struct virtio_mmio_dev *virtio_mmio__create(struct kvm *kvm,
					    const struct virtio_dev_ops *ops,
					    void *priv, const void *config,
					    uint32_t config_size)
{
	struct virtio_mmio_dev *vdev;
	unsigned int slot = kvm->nr_virtio;

	if (slot >= VIRTIO_MMIO_MAX_DEVS) {
		fprintf(stderr, "minivmm: %s: at most %d virtio devices\n",
			ops->name, VIRTIO_MMIO_MAX_DEVS);
		return NULL;
	}
	vdev = calloc(1, sizeof(*vdev));
	if (!vdev) {
		fprintf(stderr, "minivmm: %s: out of memory\n", ops->name);
		return NULL;
	}
	vdev->kvm = kvm;
	vdev->ops = ops;
	vdev->priv = priv;
	vdev->config = config;
	vdev->config_size = config_size;
	vdev->base = VIRTIO_MMIO_BASE + slot * VIRTIO_MMIO_SIZE;
	vdev->spi = VIRTIO_MMIO_SPI_BASE + slot;
	pthread_mutex_init(&vdev->lock, NULL);
	if (mmio__register(kvm, vdev->base, VIRTIO_MMIO_SIZE, virtio_mmio__mmio,
			   vdev, ops->name)) {
		pthread_mutex_destroy(&vdev->lock);
		free(vdev);
		return NULL;
	}
	kvm->virtio[kvm->nr_virtio++] = vdev;
	return vdev;
}

void virtio_mmio__exit(struct kvm *kvm)
{
	while (kvm->nr_virtio) {
		struct virtio_mmio_dev *vdev = kvm->virtio[--kvm->nr_virtio];

		pthread_mutex_destroy(&vdev->lock);
		free(vdev);
	}
}

/**
 * virtio_mmio__generate_fdt() - the device's "virtio,mmio" node
 * @vdev:	the device
 * @f:		the tree being written
 *
 * The SPI is level-high: it stays asserted while InterruptStatus is not 0.
 */
void virtio_mmio__generate_fdt(struct virtio_mmio_dev *vdev, struct fdt *f)
{
	fdt__begin_node(f, "virtio_mmio@%llx", (unsigned long long)vdev->base);
	fdt__prop_string(f, "compatible", "virtio,mmio");
	fdt__prop_reg(f, vdev->base, VIRTIO_MMIO_SIZE);
	fdt__prop_irq(f, vdev->spi, GIC_FDT_IRQ_LEVEL_HIGH);
	fdt__prop(f, "dma-coherent", NULL, 0);
	fdt__end_node(f);
}
