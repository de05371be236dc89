// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzers' fake VM.  The devices are minivmm's own (pl011.c,
 * virtio-mmio.c, virtio-blk.c, virtio-console.c, virtio-net.c, on the real
 * MMIO bus of mmio.c); only KVM is missing (and the tap: virtio-net's
 * backend is one end of a datagram socket pair).  Guest RAM is a heap buffer, so that the
 * address sanitizer reports any access a device makes outside it.  The
 * I/O threads are not started: fuzz_vm__serve() runs their work on the
 * calling thread after each guest action, which keeps a run deterministic.
 *
 * A fuzz input is a sequence of guest actions, each an opcode byte and
 * its operands (bytes missing at the end read as 0):
 *
 *   0 dev off len val	MMIO write (1, 2, 4 or 8 bytes) into a device
 *   1 dev off len	MMIO read
 *   2 off n bytes	write n bytes of guest RAM
 *   3 off val		write a 32-bit word of guest RAM
 *   4 dev q lognum	bring virtio queue q up the way a driver does
 *   5 dev q n descs	post a chain of n + 1 descriptors (up to 128) and notify
 *   6 n bytes		type n characters at the console(s); as one
 *			packet from the network too
 *   7 dev		reset a virtio device (status 0)
 *   8 addr len		MMIO access anywhere, any length (the bus itself)
 *
 * The queue of virtio device d, queue q, sits at fuzz_vm__queue_base():
 * descriptors, then the available ring at +0x800, the used ring at +0xa00.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "../mmio.h"
#include "../pl011.h"
#include "../virtio-blk.h"
#include "../virtio-console.h"
#include "../virtio-mmio.h"
#include "../virtio-net.h"
#include "fuzz.h"

#define FUZZ_DISK_SIZE	0x10000
#define QUEUE_AVAIL	0x800
#define QUEUE_USED	0xa00

struct cursor {
	const uint8_t *p;
	size_t n;
};

static uint8_t get8(struct cursor *c)
{
	if (!c->n)
		return 0;
	c->n--;
	return *c->p++;
}

static uint16_t get16(struct cursor *c)
{
	return get8(c) | get8(c) << 8;
}

static uint32_t get32(struct cursor *c)
{
	return get16(c) | (uint32_t)get16(c) << 16;
}

static uint64_t get64(struct cursor *c)
{
	return get32(c) | (uint64_t)get32(c) << 32;
}

/*
 * A virtio device that checks the transport and the virtqueue code alone:
 * it reads every byte the driver offers and writes every byte it may.
 */
static uint8_t testdev_scratch[4096];

static bool testdev_process(struct virtio_mmio_dev *vdev, unsigned int q)
{
	struct virtq_elem elem;
	unsigned int budget;
	uint64_t off;
	size_t n;

	for (budget = VIRTQ_BUDGET; budget; budget--) {
		if (virtq__pop(vdev, q, &elem) <= 0)
			return false;
		for (off = 0; off < elem.out_len; off += n) {
			n = virtq_elem__read(&elem, off, testdev_scratch,
					     sizeof(testdev_scratch));
			if (!n)
				abort();	/* out_len lied */
		}
		for (off = 0; off < elem.in_len; off += n) {
			n = virtq_elem__write(&elem, off, testdev_scratch,
					      sizeof(testdev_scratch));
			if (!n)
				abort();
		}
		virtq__push(vdev, q, &elem, elem.in_len);
		virtio_mmio__signal_used(vdev);
	}
	return true;
}

static const struct virtio_dev_ops testdev_ops = {
	.name		= "fuzz-testdev",
	.device_id	= 0x4d56,
	.features	= 1ULL << 28 | 1ULL << 3,
	.nr_queues	= 2,
	.queue_max	= 256,
	.process	= testdev_process,
};

static const uint8_t testdev_config[6] = { 1, 2, 3, 4, 5, 6 };

/* The network's side of virtio-net's socket pair, -1 without one. */
static int fuzz_net_peer = -1;

/* One disk image per process, emptied for every VM: runs stay repeatable. */
static const char *fuzz_disk_path(void)
{
	static char path[64];
	const char *dir = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";

	snprintf(path, sizeof(path), "%s/minivmm-fuzz-%d.img", dir, getpid());
	return path;
}

static void fuzz_disk_remove(void)
{
	unlink(fuzz_disk_path());
}

static int fuzz_disk_reset(void)
{
	static bool registered;
	int fd = open(fuzz_disk_path(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (!registered) {
		atexit(fuzz_disk_remove);
		registered = true;
	}
	if (ftruncate(fd, 0) || ftruncate(fd, FUZZ_DISK_SIZE)) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/**
 * fuzz_vm__create() - a VM with RAM and the given devices, no vCPUs
 * @devices:	FUZZ_* flags
 *
 * Return: the VM; aborts on failure (a harness bug, not a finding).
 */
struct kvm *fuzz_vm__create(unsigned int devices)
{
	static int devnull = -1;
	struct kvm *kvm = calloc(1, sizeof(*kvm));

	if (devnull < 0)
		devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (!kvm)
		abort();
	kvm->cfg.ram_base = FUZZ_RAM_BASE;
	kvm->cfg.ram_size = FUZZ_RAM_SIZE;
	kvm->cfg.nr_vcpus = 1;
	kvm->cfg.irqchip = true;
	kvm->cfg.console = devices & FUZZ_CONSOLE ? CONSOLE_VIRTIO : CONSOLE_SERIAL;
	kvm->sys_fd = -1;
	kvm->vm_fd = -1;
	kvm->gic_fd = -1;
	kvm->out_fd = devnull;
	kvm->mem.base = FUZZ_RAM_BASE;
	kvm->mem.size = FUZZ_RAM_SIZE;
	/* Page aligned, so that a test can protect pages of it. */
	kvm->mem.host = aligned_alloc(4096, FUZZ_RAM_SIZE);
	if (!kvm->mem.host)
		abort();
	memset(kvm->mem.host, 0, FUZZ_RAM_SIZE);
	pthread_mutex_init(&kvm->mmio_warn_lock, NULL);

	if ((devices & FUZZ_PL011) && pl011__init(kvm))
		abort();
	if ((devices & FUZZ_CONSOLE) && virtio_console__init(kvm))
		abort();
	if (devices & FUZZ_BLK) {
		struct virtio_blk *blk;

		if (fuzz_disk_reset())
			abort();
		blk = virtio_blk__open(fuzz_disk_path());
		if (!blk || virtio_blk__init(kvm, blk))
			abort();
	}
	if (devices & FUZZ_NET) {
		struct virtio_net *net;
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       0, sv))
			abort();
		net = virtio_net__open_fd(sv[0]);
		if (!net || virtio_net__init(kvm, net))
			abort();
		fuzz_net_peer = sv[1];
	}
	if ((devices & FUZZ_TESTDEV) &&
	    !virtio_mmio__create(kvm, &testdev_ops, NULL, testdev_config,
				 sizeof(testdev_config)))
		abort();
	return kvm;
}

void fuzz_vm__destroy(struct kvm *kvm)
{
	virtio_net__exit(kvm);
	if (fuzz_net_peer >= 0)
		close(fuzz_net_peer);
	fuzz_net_peer = -1;
	virtio_blk__exit(kvm);
	virtio_console__exit(kvm);
	virtio_mmio__exit(kvm);
	pl011__exit(kvm);
	mmio__exit(kvm);
	pthread_mutex_destroy(&kvm->mmio_warn_lock);
	free(kvm->mem.host);
	free(kvm);
}

/* What the I/O threads would do: bounded, as theirs is per round. */
void fuzz_vm__serve(struct kvm *kvm)
{
	unsigned int i, round;

	for (i = 0; i < kvm->nr_virtio; i++) {
		struct virtio_mmio_dev *vdev = kvm->virtio[i];

		pthread_mutex_lock(&vdev->lock);
		/* As the poll on the backend would: there may be input. */
		if (vdev->backend_fd >= 0 && vdev->backend_on)
			vdev->kicked |= 1U << vdev->backend_q;
		for (round = 0; round < 8 && vdev->kicked; round++)
			virtio_mmio__run_pending(vdev);
		pthread_mutex_unlock(&vdev->lock);
	}
	/* What the guest sent: the network takes it. */
	if (fuzz_net_peer >= 0)
		while (recv(fuzz_net_peer, NULL, 0, MSG_DONTWAIT | MSG_TRUNC) >= 0)
			;
}

void fuzz_vm__mmio_write32(struct kvm *kvm, uint64_t addr, uint32_t val)
{
	uint8_t data[8] = { val, val >> 8, val >> 16, val >> 24 };

	mmio__dispatch(kvm, addr, data, 4, true);
}

uint32_t fuzz_vm__mmio_read32(struct kvm *kvm, uint64_t addr)
{
	uint8_t data[8];

	mmio__dispatch(kvm, addr, data, 4, false);
	return data[0] | data[1] << 8 | data[2] << 16 | (uint32_t)data[3] << 24;
}

uint64_t fuzz_vm__queue_base(unsigned int dev, unsigned int q)
{
	return FUZZ_RAM_BASE + (dev * VIRTIO_MAX_QUEUES + q) * 0x1000ULL;
}

static uint64_t virtio_base(unsigned int dev)
{
	return VIRTIO_MMIO_BASE + dev * VIRTIO_MMIO_SIZE;
}

/**
 * fuzz_vm__setup_queue() - what a driver does to bring a queue up
 * @kvm:	the VM
 * @dev:	virtio slot
 * @q:		queue
 * @num:	its size
 *
 * Features: everything the device offers; then the queue at its fixed
 * place, ready, and DRIVER_OK.
 */
void fuzz_vm__setup_queue(struct kvm *kvm, unsigned int dev, unsigned int q,
			  uint16_t num)
{
	uint64_t base = virtio_base(dev), ring = fuzz_vm__queue_base(dev, q);
	uint32_t status = fuzz_vm__mmio_read32(kvm, base + VIRTIO_MMIO_STATUS);
	unsigned int i;

	if (!(status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
		fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_STATUS, status);
		for (i = 0; i < 2; i++) {
			fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_DEVICE_FEATURES_SEL, i);
			fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_DRIVER_FEATURES_SEL, i);
			fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_DRIVER_FEATURES,
					      fuzz_vm__mmio_read32(kvm, base + VIRTIO_MMIO_DEVICE_FEATURES));
		}
		status |= VIRTIO_CONFIG_S_FEATURES_OK;
		fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_STATUS, status);
	}
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_SEL, q);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_NUM, num);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_DESC_LOW, ring);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_DESC_HIGH, ring >> 32);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_AVAIL_LOW, ring + QUEUE_AVAIL);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (ring + QUEUE_AVAIL) >> 32);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_USED_LOW, ring + QUEUE_USED);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_USED_HIGH, (ring + QUEUE_USED) >> 32);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_QUEUE_READY, 1);
	fuzz_vm__mmio_write32(kvm, base + VIRTIO_MMIO_STATUS,
			      status | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Guest RAM at @gpa, for the harness's own writes (ring set-up). */
static void *ram(struct kvm *kvm, uint64_t gpa, size_t len)
{
	void *p = guest_mem__ptr(&kvm->mem, gpa, len);

	if (!p)
		abort();
	return p;
}

/*
 * A chain of descriptors at (head + i) % num, each one's address and
 * length from the input: mostly inside RAM, sometimes anything at all.
 */
static void post_chain(struct kvm *kvm, struct cursor *c)
{
	unsigned int dev = get8(c) % (kvm->nr_virtio ? kvm->nr_virtio : 1);
	unsigned int q = get8(c) % VIRTIO_MAX_QUEUES;
	unsigned int n = 1 + get8(c) % 128, i;
	uint64_t ring = fuzz_vm__queue_base(dev, q);
	uint16_t num = 1 << (get8(c) % 8), head = get8(c) % num, idx;
	uint16_t *avail_idx = ram(kvm, ring + QUEUE_AVAIL + 2, 2);

	for (i = 0; i < n; i++) {
		struct vring_desc d;
		uint8_t kind = get8(c);

		idx = (head + i) % num;
		d.addr = kind & 0x80 ? get64(c) : FUZZ_RAM_BASE + 0x4000 + get16(c) % 0xc000;
		d.len = kind & 0x40 ? get32(c) : get16(c) % 0x1000;
		d.flags = kind & 7;
		if (i + 1 < n)
			d.flags |= VRING_DESC_F_NEXT;
		d.next = kind & 0x20 ? get16(c) : (head + i + 1) % num;
		memcpy(ram(kvm, ring + idx * sizeof(d), sizeof(d)), &d, sizeof(d));
	}
	memcpy(ram(kvm, ring + QUEUE_AVAIL + 4 + (*avail_idx % num) * 2, 2),
	       &head, 2);
	__atomic_store_n(avail_idx, *avail_idx + 1, __ATOMIC_RELEASE);
	fuzz_vm__mmio_write32(kvm, virtio_base(dev) + VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* Device @sel: the virtio devices by slot, then the PL011. */
static uint64_t device_base(struct kvm *kvm, uint8_t sel, uint64_t *size)
{
	unsigned int n = kvm->nr_virtio + (kvm->uart ? 1 : 0);

	sel %= n ? n : 1;
	if (sel < kvm->nr_virtio) {
		*size = VIRTIO_MMIO_SIZE;
		return virtio_base(sel);
	}
	*size = PL011_SIZE;
	return PL011_BASE;
}

static void type_chars(struct kvm *kvm, struct cursor *c)
{
	uint8_t buf[256];
	size_t n = get8(c), i;

	for (i = 0; i < n; i++)
		buf[i] = get8(c);
	if (kvm->uart)
		pl011__receive(kvm, buf, n);
	if (kvm->console)
		virtio_console__receive(kvm, buf, n);
	/* A full socket drops the packet, as a network would. */
	if (fuzz_net_peer >= 0)
		(void)send(fuzz_net_peer, buf, n, MSG_DONTWAIT);
}

/**
 * fuzz_vm__run() - play a fuzz input as guest actions
 * @kvm:	the VM
 * @data:	the input, see the top of this file
 * @size:	its length
 */
void fuzz_vm__run(struct kvm *kvm, const uint8_t *data, size_t size)
{
	struct cursor c = { data, size };
	uint8_t buf[8];
	uint64_t base, dsize, off;
	unsigned int len;

	while (c.n) {
		switch (get8(&c) % 9) {
		case 0:
			base = device_base(kvm, get8(&c), &dsize);
			off = get16(&c) % dsize;
			len = 1 << (get8(&c) % 4);
			memcpy(buf, (uint64_t[]){ get64(&c) }, 8);
			if (off + len <= dsize)
				mmio__dispatch(kvm, base + off, buf, len, true);
			break;
		case 1:
			base = device_base(kvm, get8(&c), &dsize);
			off = get16(&c) % dsize;
			len = 1 << (get8(&c) % 4);
			if (off + len <= dsize)
				mmio__dispatch(kvm, base + off, buf, len, false);
			break;
		case 2:
			off = get16(&c) % FUZZ_RAM_SIZE;
			len = get8(&c);
			if (len > c.n)
				len = c.n;
			if (len > FUZZ_RAM_SIZE - off)
				len = FUZZ_RAM_SIZE - off;
			memcpy(kvm->mem.host + off, c.p, len);
			c.p += len;
			c.n -= len;
			break;
		case 3:
			off = get16(&c) % (FUZZ_RAM_SIZE - 3);
			memcpy(kvm->mem.host + off, (uint32_t[]){ get32(&c) }, 4);
			break;
		case 4:
			len = get8(&c);
			if (kvm->nr_virtio)
				fuzz_vm__setup_queue(kvm, len % kvm->nr_virtio,
						     get8(&c) % VIRTIO_MAX_QUEUES,
						     1 << (get8(&c) % 8));
			break;
		case 5:
			if (kvm->nr_virtio)
				post_chain(kvm, &c);
			break;
		case 6:
			type_chars(kvm, &c);
			break;
		case 7:
			len = get8(&c);
			if (kvm->nr_virtio)
				fuzz_vm__mmio_write32(kvm, virtio_base(len % kvm->nr_virtio) +
						      VIRTIO_MMIO_STATUS, 0);
			break;
		case 8:
			off = get64(&c);
			len = get8(&c) % 16;
			memset(buf, 0x5a, sizeof(buf));
			mmio__dispatch(kvm, off, buf, len, get8(&c) & 1);
			break;
		}
		fuzz_vm__serve(kvm);
	}
}
