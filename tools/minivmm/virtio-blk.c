// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2) backed by a disk image file: reads, writes,
 * flushes and the device id.  Requests are served synchronously on the
 * vCPU thread that kicks the queue: simple, and a write is in the host's
 * page cache (and, after a flush, on its disk) before the guest sees it
 * completed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "kvm.h"
#include "virtio-blk.h"
#include "virtio-mmio.h"

#define SECTOR_SIZE	512ULL
#define BLK_QUEUE_MAX	128

struct virtio_blk {
	int fd;
	uint64_t size;			/* bytes usable: whole sectors */
	struct virtio_blk_config config;
	char id[VIRTIO_BLK_ID_BYTES];
};

/* pread/pwrite the whole buffer, or fail: short transfers are retried. */
static int blk__io(int fd, void *buf, size_t len, uint64_t off, bool write)
{
	while (len) {
		ssize_t n = write ? pwrite(fd, buf, len, off) :
				    pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf = (uint8_t *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

/*
 * The data of a read or write: for a write, the readable buffers after the
 * header; for a read, the writable ones before the status byte.
 */
static uint8_t blk__rw(struct virtio_blk *blk, struct virtq_elem *elem,
		       uint64_t sector, bool write, uint32_t *written)
{
	unsigned int first = write ? 0 : elem->nr_out;
	unsigned int end = write ? elem->nr_out : elem->nr_out + elem->nr_in;
	size_t skip = write ? sizeof(struct virtio_blk_outhdr) : 0;
	size_t total = write ? 0 : virtq_elem__in_size(elem) - 1;
	uint64_t off, done = 0;
	unsigned int i;

	if (write) {
		for (i = 0; i < elem->nr_out; i++)
			total += elem->iov[i].iov_len;
		total -= skip;
	}
	if (sector > blk->size / SECTOR_SIZE ||
	    total > blk->size - sector * SECTOR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	off = sector * SECTOR_SIZE;

	for (i = first; i < end && done < total; i++) {
		uint8_t *base = elem->iov[i].iov_base;
		size_t len = elem->iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		base += skip;
		len -= skip;
		skip = 0;
		if (len > total - done)
			len = total - done;
		if (blk__io(blk->fd, base, len, off + done, write))
			return VIRTIO_BLK_S_IOERR;
		done += len;
	}
	if (!write)
		*written = done;
	return VIRTIO_BLK_S_OK;
}

/* Serve one request; return the bytes written into the guest's buffers. */
static uint32_t blk__request(struct virtio_blk *blk, struct virtq_elem *elem)
{
	struct virtio_blk_outhdr hdr;
	struct iovec *last;
	uint32_t written = 0;
	uint8_t status;
	size_t n;

	/* The header is read first, the status byte is the last one written. */
	if (!elem->nr_in ||
	    virtq_elem__read(elem, 0, &hdr, sizeof(hdr)) != sizeof(hdr))
		return 0;
	last = &elem->iov[elem->nr_out + elem->nr_in - 1];
	if (!last->iov_len)
		return 0;

	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		status = blk__rw(blk, elem, hdr.sector,
				 hdr.type == VIRTIO_BLK_T_OUT, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = fsync(blk->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		n = virtq_elem__in_size(elem) - 1;
		if (n > sizeof(blk->id))
			n = sizeof(blk->id);
		if (n > elem->iov[elem->nr_out].iov_len)
			n = elem->iov[elem->nr_out].iov_len;
		memcpy(elem->iov[elem->nr_out].iov_base, blk->id, n);
		written = n;
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	((uint8_t *)last->iov_base)[last->iov_len - 1] = status;
	return written + 1;
}

static void virtio_blk__notify(struct virtio_mmio_dev *vdev, unsigned int q)
{
	struct virtq_elem elem;
	bool used = false;
	int ret;

	while ((ret = virtq__pop(vdev, q, &elem))) {
		used = true;
		if (ret > 0)
			virtq__push(vdev, q, elem.head,
				    blk__request(vdev->priv, &elem));
	}
	if (used)
		virtio_mmio__signal_used(vdev);
}

static const struct virtio_dev_ops virtio_blk_ops = {
	.name		= "virtio-blk",
	.device_id	= VIRTIO_ID_BLOCK,
	.features	= 1ULL << VIRTIO_BLK_F_FLUSH,
	.nr_queues	= 1,
	.queue_max	= BLK_QUEUE_MAX,
	.notify		= virtio_blk__notify,
};

/**
 * virtio_blk__open() - open the disk image for a virtio-blk device
 * @path:	disk image, opened read-write
 *
 * Apart from virtio_blk__init() so that a bad file is reported before a
 * VM is created.
 *
 * Return: the device's backend, or NULL with a message.
 */
struct virtio_blk *virtio_blk__open(const char *path)
{
	struct virtio_blk *blk;
	struct stat st;

	blk = calloc(1, sizeof(*blk));
	if (!blk) {
		fprintf(stderr, "minivmm: virtio-blk: out of memory\n");
		return NULL;
	}
	blk->fd = open(path, O_RDWR | O_CLOEXEC);
	if (blk->fd < 0) {
		fprintf(stderr, "minivmm: -d %s: %s\n", path, strerror(errno));
		goto err_free;
	}
	if (fstat(blk->fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)SECTOR_SIZE) {
		fprintf(stderr, "minivmm: -d %s: not a regular file of at least %llu bytes\n",
			path, SECTOR_SIZE);
		goto err_close;
	}
	/* A partial last sector cannot be addressed: leave it alone. */
	blk->size = st.st_size & ~(SECTOR_SIZE - 1);
	blk->config.capacity = blk->size / SECTOR_SIZE;
	memcpy(blk->id, "minivmm-disk", sizeof("minivmm-disk"));
	return blk;

err_close:
	close(blk->fd);
err_free:
	free(blk);
	return NULL;
}

/**
 * virtio_blk__close() - undo virtio_blk__open()
 * @blk: the backend; flushed, so what the guest wrote reaches the disk
 */
void virtio_blk__close(struct virtio_blk *blk)
{
	if (!blk)
		return;
	fsync(blk->fd);
	close(blk->fd);
	free(blk);
}

/**
 * virtio_blk__init() - put a virtio-blk device on the VM
 * @kvm:	the VM, its vCPUs not running yet
 * @blk:	from virtio_blk__open(); the VM owns it from now on
 *
 * Return: 0, or -1 with a message (@blk is closed then too).
 */
int virtio_blk__init(struct kvm *kvm, struct virtio_blk *blk)
{
	if (!virtio_mmio__create(kvm, &virtio_blk_ops, blk, &blk->config,
				 sizeof(blk->config))) {
		virtio_blk__close(blk);
		return -1;
	}
	kvm->blk = blk;
	return 0;
}

/* After the vCPUs stopped. */
void virtio_blk__exit(struct kvm *kvm)
{
	virtio_blk__close(kvm->blk);
	kvm->blk = NULL;
}
