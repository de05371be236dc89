// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio, version 2 (virtio 1.2, 4.2.2), and split virtqueues
 * (2.7).  The guest's register accesses arrive on vCPU threads through the
 * MMIO bus; a notification only marks the queue and wakes the device's I/O
 * thread, which serves the requests.  The device's lock serializes the
 * two, and the I/O thread drops it around its I/O: a vCPU never waits for
 * a disk or a terminal.
 *
 * The guest is not trusted.  Every ring and buffer address is checked to
 * lie in guest RAM (guest-mem.h), each descriptor and ring entry is read
 * from guest memory exactly once into the VMM's own copy, and only the
 * copy is checked and used.  A driver that breaks the rules of 2.7 (a
 * chain that loops or is longer than the queue, a buffer outside RAM,
 * an index running ahead of the ring) gets its device marked
 * DEVICE_NEEDS_RESET (2.1.2) with a configuration change interrupt: that
 * device stops until the driver resets it, every other device and vCPU
 * goes on, and the device prints one warning.
 *
 * Notification suppression: a device that offers VIRTIO_RING_F_EVENT_IDX
 * (virtio-net) gets the driver's used_event honoured by
 * virtq__wants_interrupt(), and virtq__pop() publishes avail_event each
 * time it finds the ring empty, so that the driver kicks only for
 * buffers added after that (virtio 1.2, 2.7.7 and 2.7.10).  Without it
 * the driver kicks for every batch and the device interrupts for every
 * batch it completes, except where a device honours the driver's
 * VRING_AVAIL_F_NO_INTERRUPT (virtq__wants_interrupt() again).
 *
 * Where KVM offers them (and not with --no-eventfd), notifications and
 * interrupts bypass the vCPU threads: each ready queue has an ioeventfd on
 * QueueNotify that matches its index, which the I/O thread polls, and the
 * SPI is raised through a resampling irqfd (Documentation/minivmm.rst,
 * "Notifications and interrupts").  A QueueNotify that no ioeventfd
 * matches (a queue that does not exist or is not ready, an access that is
 * not 32-bit) still exits and reaches virtio_mmio__mmio(), as before.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "fdt.h"
#include "gic.h"
#include "guest-mem.h"
#include "kvm.h"
#include "mmio.h"
#include "virtio-mmio.h"

#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VERSION_2	2
#define VIRTIO_MMIO_VENDOR	0x4d4d564d	/* "MVMM" */

/* Offsets in the split rings (2.7.6, 2.7.8). */
#define VRING_AVAIL_IDX		2
#define VRING_AVAIL_RING	4
#define VRING_USED_IDX		2
#define VRING_USED_RING		4

/**
 * virtio__warn() - the device's one warning about its driver
 * @vdev:	the device
 * @what:	what the driver did
 *
 * Once per device: a broken driver would repeat it for every request, and
 * one device's warning must not hide another's.
 */
void virtio__warn(struct virtio_mmio_dev *vdev, const char *what)
{
	if (!__atomic_exchange_n(&vdev->warned, true, __ATOMIC_RELAXED))
		fprintf(stderr, "minivmm: warning: %s: %s (further warnings from it suppressed)\n",
			vdev->ops->name, what);
}

/*
 * Lock held.  The SPI is a level: high while any ISR bit is set.  Through
 * the irqfd, only raised here: KVM lowers it when the guest EOIs it (the
 * guest acknowledged InterruptStatus in its handler by then), and the I/O
 * thread calls this again on the resample notification (irq_level false
 * again), which raises it anew if ISR is still set.
 */
static void virtio_mmio__update_irq(struct virtio_mmio_dev *vdev)
{
	bool level = vdev->isr != 0;

	if (vdev->irq_fd >= 0) {
		if (level && !vdev->irq_level) {
			vdev->irq_level = true;
			atomic_fetch_add(&vdev->kvm->stats.irqfd_raises, 1);
			if (eventfd_write(vdev->irq_fd, 1))
				virtio__warn(vdev, "irqfd write failed");
		}
		return;
	}
	if (level != vdev->irq_level) {
		vdev->irq_level = level;
		if (vdev->kvm->gic_fd >= 0)
			atomic_fetch_add(&vdev->kvm->stats.irq_line_changes, 1);
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
 * virtio_mmio__needs_reset() - the driver broke the device
 * @vdev:	the device, lock held
 * @why:	for the warning
 *
 * Sets DEVICE_NEEDS_RESET and raises a configuration change interrupt
 * (virtio 1.2, 2.1.2 and 4.2.3.4): the driver learns that it must reset
 * the device, which does nothing more with its queues until then.
 */
void virtio_mmio__needs_reset(struct virtio_mmio_dev *vdev, const char *why)
{
	virtio__warn(vdev, why);
	if (vdev->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vdev->status |= VIRTIO_STATUS_NEEDS_RESET;
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		vdev->isr |= VIRTIO_MMIO_INT_CONFIG;
		virtio_mmio__update_irq(vdev);
	}
}

/**
 * virtio_mmio__queue_live() - may the device use queue @q now?
 * @vdev:	the device, lock held
 * @q:		queue index
 *
 * Return: whether the driver is up (DRIVER_OK), the device is not broken
 * and the queue is ready.
 */
bool virtio_mmio__queue_live(struct virtio_mmio_dev *vdev, unsigned int q)
{
	return q < vdev->ops->nr_queues && vdev->vq[q].ready &&
	       (vdev->status & (VIRTIO_CONFIG_S_DRIVER_OK |
				VIRTIO_STATUS_NEEDS_RESET)) ==
	       VIRTIO_CONFIG_S_DRIVER_OK;
}

/*
 * Lock held (or no vCPU running).  Register queue @q's ioeventfd with KVM,
 * or take it away.  A queue whose ioeventfd could not be registered is
 * notified through the exit path instead: slower, served all the same.
 */
static void virtio_mmio__set_notify(struct virtio_mmio_dev *vdev,
				    unsigned int q, bool on)
{
	struct kvm_ioeventfd ioe = {
		.datamatch = q,
		.addr = vdev->base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.fd = vdev->notify_fd[q],
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	if (vdev->notify_fd[q] < 0 || vdev->notify_on[q] == on)
		return;
	if (!on)
		ioe.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	if (ioctl(vdev->kvm->vm_fd, KVM_IOEVENTFD, &ioe)) {
		fprintf(stderr, "minivmm: %s: KVM_IOEVENTFD queue %u%s: %s\n",
			vdev->ops->name, q, on ? "" : " (deassign)",
			strerror(errno));
		return;
	}
	vdev->notify_on[q] = on;
}

static bool is_power_of_2(uint64_t n)
{
	return n && !(n & (n - 1));
}

/* QueueReady = 1: check the rings the driver described, or refuse. */
static void virtq__enable(struct virtio_mmio_dev *vdev, struct virtq *vq)
{
	const struct guest_mem *gm = &vdev->kvm->mem;
	uint64_t num = vq->num;

	/* Alignments of 2.7 (16, 2, 4): the ring indices are accessed atomically. */
	if (!is_power_of_2(num) || (vq->desc_addr & 15) ||
	    (vq->avail_addr & 1) || (vq->used_addr & 3)) {
		virtio__warn(vdev, "misaligned or empty virtqueue refused");
		return;
	}
	if (!guest_mem__contains(gm, vq->desc_addr,
				 num * sizeof(struct vring_desc)) ||
	    !guest_mem__contains(gm, vq->avail_addr,
				 VRING_AVAIL_RING + (num + 1) * 2) ||
	    !guest_mem__contains(gm, vq->used_addr,
				 VRING_USED_RING +
				 num * sizeof(struct vring_used_elem) + 2)) {
		virtio__warn(vdev, "virtqueue outside guest RAM refused");
		return;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_used_valid = false;
	vq->ready = true;
	virtio_mmio__set_notify(vdev, vq - vdev->vq, true);
}

/*
 * Status 0 (or a fresh device): everything back to its reset state.
 * Requests the I/O thread is serving right now are forgotten: their
 * generation no longer matches (virtq__push()).
 */
static void virtio_mmio__reset(struct virtio_mmio_dev *vdev)
{
	unsigned int q;

	for (q = 0; q < vdev->ops->nr_queues; q++)
		virtio_mmio__set_notify(vdev, q, false);
	vdev->status = 0;
	vdev->isr = 0;
	vdev->dev_features_sel = 0;
	vdev->drv_features_sel = 0;
	vdev->drv_features = 0;
	vdev->queue_sel = 0;
	vdev->kicked = 0;
	/* Read without the lock by I/O in flight (virtq_elem__stale()). */
	__atomic_store_n(&vdev->gen, vdev->gen + 1, __ATOMIC_RELAXED);
	memset(vdev->vq, 0, sizeof(vdev->vq));
	virtio_mmio__update_irq(vdev);
}

/* Lock held: the device follows what the driver just changed. */
static void virtio_mmio__changed(struct virtio_mmio_dev *vdev)
{
	if (vdev->ops->changed)
		vdev->ops->changed(vdev);
}

static uint64_t virtio_mmio__features(struct virtio_mmio_dev *vdev)
{
	return vdev->ops->features | 1ULL << VIRTIO_F_VERSION_1;
}

/*
 * The status machine of virtio 1.2, 3.1.1.  The driver only adds bits
 * (0 resets); DEVICE_NEEDS_RESET is the device's.  FEATURES_OK stays set
 * only if the features the driver chose are acceptable (version 1 is what
 * this register layout speaks, so it is required), and DRIVER_OK needs
 * FEATURES_OK first: a queue never runs with unnegotiated features.
 */
static void virtio_mmio__set_status(struct virtio_mmio_dev *vdev, uint32_t val)
{
	uint64_t feat = vdev->drv_features;
	uint32_t old = vdev->status;

	if (!val) {
		virtio_mmio__reset(vdev);
		return;
	}
	val &= ~VIRTIO_STATUS_NEEDS_RESET;
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((feat & ~virtio_mmio__features(vdev)) ||
	     !(feat & 1ULL << VIRTIO_F_VERSION_1)))
		val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(old & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
		virtio__warn(vdev, "DRIVER_OK without FEATURES_OK refused");
		val &= ~VIRTIO_CONFIG_S_DRIVER_OK;
	}
	/* Bits cannot be cleared but by a reset. */
	vdev->status = old | val;
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
		/* Negotiated is negotiated (3.1.1): read-only from FEATURES_OK on. */
		if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
			virtio__warn(vdev, "feature change after FEATURES_OK ignored");
			return;
		}
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
		/*
		 * The I/O thread serves it; the vCPU goes back to the guest.
		 * With ioeventfds only what none matched comes here.
		 */
		atomic_fetch_add(&vdev->kvm->stats.notify_exits, 1);
		if (val < VIRTIO_MAX_QUEUES && (vdev->offloaded & 1U << val)) {
			/* Missed by the ioeventfd: the kernel's kick all the same. */
			eventfd_write(vdev->notify_fd[val], 1);
		} else if (virtio_mmio__queue_live(vdev, val)) {
			vdev->kicked |= 1U << val;
			pthread_cond_signal(&vdev->kick);
			if (vdev->wake_fd >= 0)
				eventfd_write(vdev->wake_fd, 1);
		}
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vdev->isr &= ~val;
		virtio_mmio__update_irq(vdev);
		return;
	case VIRTIO_MMIO_STATUS:
		virtio_mmio__set_status(vdev, val);
		virtio_mmio__changed(vdev);
		return;
	}

	/* The rest configures the selected queue, only while it is not live. */
	if (!vq || vq->ready) {
		if (vq && reg == VIRTIO_MMIO_QUEUE_READY && !val) {
			vq->ready = false;
			virtio_mmio__set_notify(vdev, vdev->queue_sel, false);
			virtio_mmio__changed(vdev);
		}
		return;
	}
	switch (reg) {
	case VIRTIO_MMIO_QUEUE_NUM:
		/* Split rings have power-of-two sizes (2.7). */
		if (is_power_of_2(val) && val <= vdev->ops->queue_max)
			vq->num = val;
		else
			virtio__warn(vdev, "queue size that is not a power of two up to QueueNumMax ignored");
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (val) {
			virtq__enable(vdev, vq);
			virtio_mmio__changed(vdev);
		}
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

/**
 * virtio_mmio__mmio() - one guest access to the device's window
 * @dev:	the device
 * @offset:	into the window
 * @data:	little-endian, filled on reads
 * @len:	bytes, 1 to 8
 * @is_write:	direction
 *
 * Registers are 32-bit and must be accessed so (4.2.2.2); the device
 * configuration space takes any width.  The MMIO bus's handler, and the
 * fuzzers' way in.
 */
void virtio_mmio__mmio(void *dev, uint64_t offset, uint8_t *data,
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
 * virtio_mmio__run_pending() - serve the queues the driver kicked
 * @vdev:	the device, lock held
 *
 * One round: each kicked queue gets at most VIRTQ_BUDGET requests.
 *
 * Return: whether queues are left with work (another round is due).
 */
bool virtio_mmio__run_pending(struct virtio_mmio_dev *vdev)
{
	uint32_t kicked = vdev->kicked;
	unsigned int q;

	vdev->kicked = 0;
	for (q = 0; q < vdev->ops->nr_queues; q++) {
		if (!(kicked & 1U << q) || (vdev->offloaded & 1U << q) ||
		    !virtio_mmio__queue_live(vdev, q))
			continue;
		if (vdev->ops->process(vdev, q))
			vdev->kicked |= 1U << q;
	}
	return vdev->kicked != 0;
}

/* Take what an eventfd counted; 0 if it was not signalled. */
static uint64_t eventfd__take(int fd)
{
	uint64_t n;

	if (fd < 0 || read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

/*
 * Lock held, dropped while waiting.  Wait up to @timeout_ms for the
 * device's eventfds, then turn what they say into kicks and, for the
 * resample fd, into the SPI's next level.  The fds are the device's for
 * its whole life: a queue reset since only means a kick that
 * virtio_mmio__run_pending() finds no live queue for.
 */
static void virtio_mmio__poll(struct virtio_mmio_dev *vdev, int timeout_ms)
{
	struct pollfd pfd[2 * VIRTIO_MAX_QUEUES + 3];
	bool backend = vdev->backend_fd >= 0 && vdev->backend_on &&
		       virtio_mmio__queue_live(vdev, vdev->backend_q);
	unsigned int q, n = 0, backend_idx = 0;
	uint64_t cnt;

	for (q = 0; q < vdev->ops->nr_queues; q++) {
		/* An offloaded queue's kicks are the kernel's to read. */
		if (vdev->notify_fd[q] >= 0 && !(vdev->offloaded & 1U << q))
			pfd[n++] = (struct pollfd){ vdev->notify_fd[q], POLLIN, 0 };
		if (vdev->call_fd[q] >= 0)
			pfd[n++] = (struct pollfd){ vdev->call_fd[q], POLLIN, 0 };
	}
	if (vdev->resample_fd >= 0)
		pfd[n++] = (struct pollfd){ vdev->resample_fd, POLLIN, 0 };
	if (backend) {
		backend_idx = n;
		pfd[n++] = (struct pollfd){ vdev->backend_fd, POLLIN, 0 };
	}
	pfd[n++] = (struct pollfd){ vdev->wake_fd, POLLIN, 0 };

	pthread_mutex_unlock(&vdev->lock);
	if (poll(pfd, n, timeout_ms) <= 0) {
		pthread_mutex_lock(&vdev->lock);
		return;
	}
	pthread_mutex_lock(&vdev->lock);

	/* Only as many queues as the device has: a guest value is no index. */
	for (q = 0; q < vdev->ops->nr_queues; q++) {
		if (!(vdev->offloaded & 1U << q)) {
			cnt = eventfd__take(vdev->notify_fd[q]);
			if (cnt) {
				atomic_fetch_add(&vdev->kvm->stats.ioeventfd_kicks, cnt);
				vdev->kicked |= 1U << q;
			}
		}
		cnt = eventfd__take(vdev->call_fd[q]);
		if (cnt && (vdev->offloaded & 1U << q)) {
			atomic_fetch_add(&vdev->kvm->stats.vhost_calls, cnt);
			virtio_mmio__signal_used(vdev);
		}
	}
	if (eventfd__take(vdev->resample_fd)) {
		vdev->irq_level = false;
		virtio_mmio__update_irq(vdev);
	}
	if (backend && (pfd[backend_idx].revents & (POLLIN | POLLERR | POLLHUP)))
		vdev->kicked |= 1U << vdev->backend_q;
	eventfd__take(vdev->wake_fd);
}

/*
 * The device's I/O thread: waits for kicks, serves them in budgeted
 * rounds, and lets go of the lock between rounds so that the vCPUs get
 * to the registers.  Kicks come from the MMIO handler (the condition
 * variable) or, with eventfds, from KVM (virtio_mmio__poll()).  It
 * notices a stopping VM within 100 ms, or at once when kicked by a signal
 * out of a blocking write or out of poll().
 */
static void *virtio_mmio__io_thread(void *arg)
{
	struct virtio_mmio_dev *vdev = arg;
	struct kvm *kvm = vdev->kvm;

	pthread_mutex_lock(&vdev->lock);
	while (!atomic_load(&kvm->stopping)) {
		if (vdev->wake_fd >= 0) {
			/* Between rounds too: EOIs and kicks of other queues. */
			virtio_mmio__poll(vdev, vdev->kicked ? 0 : 100);
			if (!vdev->kicked)
				continue;
		} else if (!vdev->kicked) {
			kvm__wait_briefly(&vdev->kick, &vdev->lock);
			continue;
		}
		virtio_mmio__run_pending(vdev);
		pthread_mutex_unlock(&vdev->lock);
		sched_yield();
		pthread_mutex_lock(&vdev->lock);
	}
	pthread_mutex_unlock(&vdev->lock);
	vdev->io_cpu_ns = kvm__thread_cpu_ns();
	return NULL;
}

/**
 * virtio_mmio__set_backend_fd() - poll a backend's fd for input
 * @vdev:	the device, its I/O thread not started yet
 * @fd:		the backend's fd, non-blocking
 * @q:		the queue its input goes to
 *
 * The I/O thread then waits in poll() whatever the notification path, so
 * the device gets a wake eventfd if it has none (--no-eventfd): a
 * notification that exits writes it.
 *
 * Return: 0, or -1 with a message.
 */
int virtio_mmio__set_backend_fd(struct virtio_mmio_dev *vdev, int fd,
				unsigned int q)
{
	if (vdev->wake_fd < 0) {
		vdev->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vdev->wake_fd < 0) {
			fprintf(stderr, "minivmm: %s: eventfd: %s\n",
				vdev->ops->name, strerror(errno));
			return -1;
		}
	}
	vdev->backend_fd = fd;
	vdev->backend_q = q;
	return 0;
}

/**
 * virtio_mmio__start_io() - start every virtio device's I/O thread
 * @kvm: the VM, before its vCPUs run
 *
 * Return: 0, or -1 with a message (threads already started are stopped
 * by virtio_mmio__stop_io()).
 */
int virtio_mmio__start_io(struct kvm *kvm)
{
	unsigned int i;
	int err;

	for (i = 0; i < kvm->nr_virtio; i++) {
		struct virtio_mmio_dev *vdev = kvm->virtio[i];
		char name[16];

		err = pthread_create(&vdev->io_thread, NULL,
				     virtio_mmio__io_thread, vdev);
		if (err) {
			fprintf(stderr, "minivmm: %s: I/O thread: %s\n",
				vdev->ops->name, strerror(err));
			return -1;
		}
		/*
		 * "io-virtio-net": make bench pins each thread to a CPU of
		 * its own by this name (scripts/guest-bench.sh).
		 */
		snprintf(name, sizeof(name), "io-%s", vdev->ops->name);
		pthread_setname_np(vdev->io_thread, name);
		vdev->io_started = true;
	}
	return 0;
}

/**
 * virtio_mmio__stop_io() - join the I/O threads
 * @kvm: the VM, kvm->stopping set
 *
 * The kick signal (SIGUSR1, installed by kvm_cpu__setup_signals() without
 * SA_RESTART) gets a thread out of a write to a stdout nobody reads.
 */
void virtio_mmio__stop_io(struct kvm *kvm)
{
	unsigned int i;

	for (i = 0; i < kvm->nr_virtio; i++) {
		struct virtio_mmio_dev *vdev = kvm->virtio[i];

		if (!vdev->io_started)
			continue;
		pthread_kill(vdev->io_thread, SIGUSR1);
		pthread_join(vdev->io_thread, NULL);
		vdev->io_started = false;
	}
}

/**
 * virtio_mmio__print_cpu() - each I/O thread's CPU time (--stats), on stderr
 * @kvm: the VM, its I/O threads joined
 */
void virtio_mmio__print_cpu(struct kvm *kvm)
{
	unsigned int i;

	for (i = 0; i < kvm->nr_virtio; i++)
		fprintf(stderr, "minivmm: io-%s thread cpu_ns %" PRIu64 "\n",
			kvm->virtio[i]->ops->name, kvm->virtio[i]->io_cpu_ns);
}

/* Lock held.  One copy of descriptor @idx, or -1 (the ring is checked). */
static int virtq__desc(struct virtio_mmio_dev *vdev, struct virtq *vq,
		       uint16_t idx, struct vring_desc *d)
{
	return guest_mem__read(&vdev->kvm->mem,
			       vq->desc_addr + (uint64_t)idx * sizeof(*d),
			       d, sizeof(*d));
}

static bool virtq__event_idx(const struct virtio_mmio_dev *vdev)
{
	return vdev->drv_features & 1ULL << VIRTIO_RING_F_EVENT_IDX;
}

/*
 * Lock held.  avail_event (the used ring's last field) = the next entry
 * to take: the driver kicks when it makes that one available.  A full
 * barrier after it, before the caller reads the available index again
 * (the driver writes its index, then reads avail_event).
 */
static int virtq__set_avail_event(struct virtio_mmio_dev *vdev,
				  const struct virtq *vq)
{
	uint8_t *used = guest_mem__ptr(&vdev->kvm->mem, vq->used_addr,
				       VRING_USED_RING +
				       vq->num * sizeof(struct vring_used_elem) + 2);

	if (!used)
		return -1;
	__atomic_store_n((uint16_t *)(used + VRING_USED_RING +
				      vq->num * sizeof(struct vring_used_elem)),
			 htole16(vq->last_avail), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

/**
 * virtq__pop() - take the next available descriptor chain
 * @vdev:	the device, lock held
 * @q:		a live queue
 * @elem:	filled with the chain's buffers
 *
 * Each descriptor is copied out of guest memory once; the copy is checked
 * (in RAM, no loop, readable before writable, at most 4 GiB in all as
 * 2.7.5.2 allows) and only the copy is used.
 *
 * Return: 1 with @elem filled, 0 if the driver made nothing available, -1
 * if the driver broke the queue: the device now needs a reset.
 */
int virtq__pop(struct virtio_mmio_dev *vdev, unsigned int q,
	       struct virtq_elem *elem)
{
	const struct guest_mem *gm = &vdev->kvm->mem;
	struct virtq *vq = &vdev->vq[q];
	const uint8_t *avail = guest_mem__ptr(gm, vq->avail_addr,
					      VRING_AVAIL_RING + vq->num * 2);
	uint16_t avail_idx, idx;
	unsigned int n, max_segs = vdev->ops->max_segs ?: VIRTQ_DEFAULT_SEGS;
	uint64_t total = 0;

	if (!avail || !vq->num)
		goto bad_ring;
	/* Acquire: the ring entries are read only after the index (2.7.13). */
	avail_idx = __atomic_load_n((const uint16_t *)(avail + VRING_AVAIL_IDX),
				    __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail) {
		if (!virtq__event_idx(vdev))
			return 0;
		/*
		 * Empty: ask for a kick at the next entry the driver adds, then
		 * look once more, since the driver may have added one before
		 * it could see the request (and then did not kick).
		 */
		if (virtq__set_avail_event(vdev, vq))
			goto bad_ring;
		avail_idx = __atomic_load_n((const uint16_t *)(avail + VRING_AVAIL_IDX),
					    __ATOMIC_ACQUIRE);
		if (avail_idx == vq->last_avail)
			return 0;
	}
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->num)
		goto bad_ring;
	elem->head = guest_mem__load16(avail + VRING_AVAIL_RING +
				       (vq->last_avail % vq->num) * 2);
	vq->last_avail++;
	elem->gen = vdev->gen;
	elem->nr_out = 0;
	elem->nr_in = 0;
	elem->out_len = 0;
	elem->in_len = 0;
	if (elem->head >= vq->num)
		goto bad_chain;

	/* At most num descriptors: a longer chain loops (2.7.5.2). */
	for (idx = elem->head, n = 0;; n++) {
		struct vring_desc d;
		bool write;
		void *ptr;

		if (n >= vq->num || n >= max_segs ||
		    virtq__desc(vdev, vq, idx, &d))
			goto bad_chain;
		write = d.flags & VRING_DESC_F_WRITE;
		/* Indirect descriptors were not offered; writable comes last. */
		if ((d.flags & VRING_DESC_F_INDIRECT) || (!write && elem->nr_in))
			goto bad_chain;
		total += d.len;
		ptr = guest_mem__ptr(gm, d.addr, d.len);
		if (!ptr || total > UINT32_MAX)
			goto bad_chain;
		elem->iov[n].iov_base = ptr;
		elem->iov[n].iov_len = d.len;
		if (write) {
			elem->nr_in++;
			elem->in_len += d.len;
		} else {
			elem->nr_out++;
			elem->out_len += d.len;
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 1;
		idx = d.next;
		if (idx >= vq->num)
			goto bad_chain;
	}
bad_ring:
	virtio_mmio__needs_reset(vdev, "available index ran ahead of the ring");
	return -1;
bad_chain:
	virtio_mmio__needs_reset(vdev, "malformed descriptor chain");
	return -1;
}

/**
 * virtq__push() - return a chain to the driver
 * @vdev:	the device, lock held
 * @q:		the queue it came from
 * @elem:	the request, from virtq__pop()
 * @len:	bytes the device wrote into its buffers
 *
 * Dropped if the device was reset (or broken) since @elem was taken: the
 * driver forgot the request, and the ring may be somewhere else by now.
 * The driver learns of it from the used index; signal it with
 * virtio_mmio__signal_used() once a batch is done.
 */
void virtq__push(struct virtio_mmio_dev *vdev, unsigned int q,
		 const struct virtq_elem *elem, uint32_t len)
{
	struct virtq *vq = &vdev->vq[q];
	struct vring_used_elem e = { .id = elem->head, .len = len };
	uint8_t *used;

	if (elem->gen != vdev->gen || !virtio_mmio__queue_live(vdev, q))
		return;
	used = guest_mem__ptr(&vdev->kvm->mem, vq->used_addr,
			      VRING_USED_RING + vq->num * sizeof(e));
	if (!used)
		return;
	memcpy(used + VRING_USED_RING + (vq->used_idx % vq->num) * sizeof(e),
	       &e, sizeof(e));
	vq->used_idx++;
	/* Release: the entry is visible before the index that covers it. */
	__atomic_store_n((uint16_t *)(used + VRING_USED_IDX), vq->used_idx,
			 __ATOMIC_RELEASE);
}

/**
 * virtq__wants_interrupt() - does the driver want to hear of used buffers?
 * @vdev:	the device, lock held
 * @q:		a live queue, after the virtq__push() calls of a round
 *
 * With VIRTIO_RING_F_EVENT_IDX, the driver's used_event (the available
 * ring's last field, 2.7.7.2): an interrupt only if the used entries
 * pushed since this was last asked include that one.  Linux's transmit
 * path puts it three quarters of the way through what it has in flight,
 * where the flag below would ask for an interrupt after every packet.
 * Else the driver's VRING_AVAIL_F_NO_INTERRUPT hint: Linux sets it while
 * it polls the queue anyway (NAPI).  Either is read after the used index
 * is published, with a full barrier between: the driver writes them and
 * then reads the used index, so one of the two sees the other's write
 * and no completion goes unnoticed.
 *
 * Return: whether to call virtio_mmio__signal_used().
 */
bool virtq__wants_interrupt(struct virtio_mmio_dev *vdev, unsigned int q)
{
	struct virtq *vq = &vdev->vq[q];
	const struct guest_mem *gm = &vdev->kvm->mem;
	const uint8_t *avail;
	uint16_t old, event;
	bool valid;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!virtq__event_idx(vdev)) {
		avail = guest_mem__ptr(gm, vq->avail_addr, VRING_AVAIL_IDX);
		return !avail ||
		       !(guest_mem__load16(avail) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	avail = guest_mem__ptr(gm, vq->avail_addr + VRING_AVAIL_RING +
			       (uint64_t)vq->num * 2, 2);
	old = vq->signalled_used;
	valid = vq->signalled_used_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_used_valid = true;
	if (!avail || !valid)
		return true;
	event = le16toh(guest_mem__load16(avail));
	return vring_need_event(event, vq->used_idx, old);
}

/**
 * virtq__unpop() - give back the chain virtq__pop() just took
 * @vdev:	the device, lock held since virtq__pop()
 * @q:		the queue it came from
 * @elem:	the chain; it is taken again, whole, by the next virtq__pop()
 *
 * For a device that took a buffer for input that was not there after all.
 */
void virtq__unpop(struct virtio_mmio_dev *vdev, unsigned int q,
		  const struct virtq_elem *elem)
{
	if (elem->gen == vdev->gen)
		vdev->vq[q].last_avail--;
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
	/* The caller checks what it copied, and uses only that. */
	guest_mem__barrier();
	return done;
}

/**
 * virtq_elem__write() - copy into the device-writable buffers as one stream
 * @elem:	the request
 * @offset:	where in the stream to start
 * @src:	what to copy
 * @len:	at most this many bytes
 *
 * Return: bytes copied.
 */
size_t virtq_elem__write(const struct virtq_elem *elem, size_t offset,
			 const void *src, size_t len)
{
	size_t done = 0;
	unsigned int i;

	for (i = elem->nr_out; i < elem->nr_out + elem->nr_in && done < len; i++) {
		size_t seg = elem->iov[i].iov_len, n;

		if (offset >= seg) {
			offset -= seg;
			continue;
		}
		n = seg - offset < len - done ? seg - offset : len - done;
		memcpy((uint8_t *)elem->iov[i].iov_base + offset,
		       (const uint8_t *)src + done, n);
		done += n;
		offset = 0;
	}
	return done;
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
/*
 * The device's eventfds, as kvm->ioeventfd and kvm->irqfd allow.  What
 * fails is reported and left to the exit path and KVM_IRQ_LINE.  The
 * ioeventfds are registered only when their queue becomes ready.
 */
static void virtio_mmio__open_eventfds(struct virtio_mmio_dev *vdev)
{
	struct kvm *kvm = vdev->kvm;
	struct kvm_irqfd irqfd = {
		.gsi = vdev->spi,
		.flags = KVM_IRQFD_FLAG_RESAMPLE,
	};
	unsigned int q;

	if (!kvm->ioeventfd && !kvm->irqfd)
		return;
	vdev->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vdev->wake_fd < 0)
		goto err_eventfd;
	for (q = 0; kvm->ioeventfd && q < vdev->ops->nr_queues; q++) {
		vdev->notify_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vdev->notify_fd[q] < 0)
			goto err_eventfd;
	}
	if (!kvm->irqfd)
		return;
	vdev->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vdev->resample_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vdev->irq_fd < 0 || vdev->resample_fd < 0)
		goto err_eventfd;
	irqfd.fd = vdev->irq_fd;
	irqfd.resamplefd = vdev->resample_fd;
	if (ioctl(kvm->vm_fd, KVM_IRQFD, &irqfd)) {
		fprintf(stderr, "minivmm: %s: KVM_IRQFD SPI %u: %s (using KVM_IRQ_LINE)\n",
			vdev->ops->name, vdev->spi, strerror(errno));
		goto err_irqfd;
	}
	return;

err_eventfd:
	fprintf(stderr, "minivmm: %s: eventfd: %s (using the exit path)\n",
		vdev->ops->name, strerror(errno));
err_irqfd:
	if (vdev->irq_fd >= 0)
		close(vdev->irq_fd);
	if (vdev->resample_fd >= 0)
		close(vdev->resample_fd);
	vdev->irq_fd = -1;
	vdev->resample_fd = -1;
}

/* Undo virtio_mmio__open_eventfds() and the queues' registrations. */
static void virtio_mmio__close_eventfds(struct virtio_mmio_dev *vdev)
{
	struct kvm_irqfd irqfd = {
		.fd = vdev->irq_fd,
		.gsi = vdev->spi,
		.flags = KVM_IRQFD_FLAG_DEASSIGN,
	};
	unsigned int q;

	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		virtio_mmio__set_notify(vdev, q, false);
		if (vdev->notify_fd[q] >= 0)
			close(vdev->notify_fd[q]);
		vdev->notify_fd[q] = -1;
	}
	if (vdev->irq_fd >= 0) {
		ioctl(vdev->kvm->vm_fd, KVM_IRQFD, &irqfd);
		close(vdev->irq_fd);
		close(vdev->resample_fd);
	}
	if (vdev->wake_fd >= 0)
		close(vdev->wake_fd);
	vdev->irq_fd = -1;
	vdev->resample_fd = -1;
	vdev->wake_fd = -1;
}

struct virtio_mmio_dev *virtio_mmio__create(struct kvm *kvm,
					    const struct virtio_dev_ops *ops,
					    void *priv, const void *config,
					    uint32_t config_size)
{
	struct virtio_mmio_dev *vdev;
	unsigned int slot = kvm->nr_virtio, q;

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
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vdev->notify_fd[q] = -1;
		vdev->call_fd[q] = -1;
	}
	vdev->backend_fd = -1;
	vdev->irq_fd = -1;
	vdev->resample_fd = -1;
	vdev->wake_fd = -1;
	pthread_mutex_init(&vdev->lock, NULL);
	pthread_cond_init(&vdev->kick, NULL);
	if (mmio__register(kvm, vdev->base, VIRTIO_MMIO_SIZE, virtio_mmio__mmio,
			   vdev, ops->name)) {
		pthread_cond_destroy(&vdev->kick);
		pthread_mutex_destroy(&vdev->lock);
		free(vdev);
		return NULL;
	}
	kvm->virtio[kvm->nr_virtio++] = vdev;
	virtio_mmio__open_eventfds(vdev);
	return vdev;
}

void virtio_mmio__exit(struct kvm *kvm)
{
	while (kvm->nr_virtio) {
		struct virtio_mmio_dev *vdev = kvm->virtio[--kvm->nr_virtio];

		virtio_mmio__close_eventfds(vdev);
		pthread_cond_destroy(&vdev->kick);
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
