// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2) backed by a disk image file: reads, writes,
 * flushes and the device id.  Requests are served on the device's I/O
 * thread (virtio-mmio.c), never on a vCPU thread, without the device lock
 * held during the file I/O.  A request may carry up to BLK_SEG_MAX data
 * buffers (the driver learns it from seg_max); they are served with one
 * preadv/pwritev, so a 1 MiB direct read is one request, not 256.
 *
 * Durability is what the driver negotiated: with VIRTIO_BLK_F_FLUSH it
 * sends flushes, each one an fdatasync(); without it, it takes the device
 * for writethrough, so every write is synced before it completes.  A
 * request the guest made malformed (too short a header, a sector past the
 * end) completes with VIRTIO_BLK_S_IOERR; one without room for a status
 * byte leaves the device needing a reset.
 */
#include <endian.h>
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
/*
 * Data buffers per request (VIRTIO_BLK_F_SEG_MAX): a 1 MiB request in
 * 4 KiB pages, Linux's largest by default (max_sectors_kb 1280 rounded
 * down to whole pages), travels whole.  Without it Linux sends one buffer
 * per request: 256 requests for 1 MiB.  With the header and the status
 * byte a chain is VIRTQ_MAX_SEGS long; no indirect descriptors, so the
 * ring is twice that, for a second request in flight.
 */
#define BLK_SEG_MAX	(VIRTQ_MAX_SEGS - 2)
#define BLK_QUEUE_MAX	512
/*
 * File I/O is split so that a stopping VM is noticed between pieces; the
 * same size is the buffer size offered (VIRTIO_BLK_F_SIZE_MAX).  A larger
 * buffer from a driver that ignores it is served all the same.  The
 * fuzzers (a 64 KiB disk) build with a smaller piece, so that requests
 * are cut into pieces there too.
 */
#ifndef BLK_IO_CHUNK
#define BLK_IO_CHUNK	(1U << 20)
#endif
/* Page-cache pages under the image: 4 KiB physical blocks (2^3 sectors). */
#define BLK_PHYS_EXP	3

struct virtio_blk {
	struct kvm *kvm;
	struct virtio_mmio_dev *vdev;
	int fd;
	uint64_t size;			/* bytes usable: whole sectors */
	struct virtio_blk_config config;
	char id[VIRTIO_BLK_ID_BYTES];
};

/*
 * preadv/pwritev the whole of @iov (@cnt buffers, none empty), or fail:
 * short transfers are retried.  The transfer goes in pieces of at most
 * BLK_IO_CHUNK bytes, and a stopping VM, or a reset that made the request
 * stale, ends it between pieces.  @iov is consumed.
 */
static int blk__io(struct virtio_blk *blk, const struct virtq_elem *elem,
		   struct iovec *iov, unsigned int cnt, uint64_t off, bool write)
{
	while (cnt) {
		unsigned int n = 0;
		size_t bytes = 0;
		struct iovec last;
		ssize_t r;

		if (atomic_load(&blk->kvm->stopping) ||
		    virtq_elem__stale(blk->vdev, elem))
			return -1;
		/* Whole buffers up to the piece's size, the last one cut there. */
		while (n < cnt && bytes < BLK_IO_CHUNK)
			bytes += iov[n++].iov_len;
		last = iov[n - 1];
		if (bytes > BLK_IO_CHUNK)
			iov[n - 1].iov_len -= bytes - BLK_IO_CHUNK;
		r = write ? pwritev(blk->fd, iov, n, off) :
			    preadv(blk->fd, iov, n, off);
		iov[n - 1] = last;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += r;
		while (r) {
			if ((size_t)r >= iov->iov_len) {
				r -= iov->iov_len;
				iov++;
				cnt--;
			} else {
				iov->iov_base = (uint8_t *)iov->iov_base + r;
				iov->iov_len -= r;
				r = 0;
			}
		}
	}
	return 0;
}

/*
 * The data of a read or write: for a write, the readable buffers after the
 * header; for a read, the writable ones before the status byte.
 */
static uint8_t blk__rw(struct virtio_blk *blk, const struct virtq_elem *elem,
		       uint64_t sector, bool write, bool writethrough,
		       uint32_t *written)
{
	unsigned int first = write ? 0 : elem->nr_out;
	unsigned int end = write ? elem->nr_out : elem->nr_out + elem->nr_in;
	uint64_t skip = write ? sizeof(struct virtio_blk_outhdr) : 0;
	uint64_t total = write ? elem->out_len - skip : elem->in_len - 1;
	struct iovec iov[VIRTQ_MAX_SEGS];
	unsigned int i, cnt = 0;
	uint64_t done = 0;

	if (sector > blk->size / SECTOR_SIZE ||
	    total > blk->size - sector * SECTOR_SIZE)
		return VIRTIO_BLK_S_IOERR;

	/*
	 * The data buffers, cut to the data (the header or the status byte
	 * may share a buffer with it): one preadv/pwritev serves them all,
	 * however many segments the driver split the request into.
	 */
	for (i = first; i < end && done < total; i++) {
		uint8_t *base = elem->iov[i].iov_base;
		uint64_t len = elem->iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		base += skip;
		len -= skip;
		skip = 0;
		if (len > total - done)
			len = total - done;
		iov[cnt].iov_base = base;
		iov[cnt++].iov_len = len;
		done += len;
	}
	if (blk__io(blk, elem, iov, cnt, sector * SECTOR_SIZE, write))
		return VIRTIO_BLK_S_IOERR;
	/* The driver did not negotiate flushes: it expects writethrough. */
	if (write && writethrough && done && fdatasync(blk->fd))
		return VIRTIO_BLK_S_IOERR;
	if (!write)
		*written = done;
	return VIRTIO_BLK_S_OK;
}

/*
 * Serve one request, without the device lock: @elem is the VMM's own
 * copy, its buffers checked to lie in guest RAM.
 *
 * Return: the bytes written into the guest's buffers (status byte
 * included), or -1 if there is no status byte to answer with.
 */
static int64_t blk__request(struct virtio_blk *blk,
			    const struct virtq_elem *elem, uint64_t features)
{
	bool writethrough = !(features & 1ULL << VIRTIO_BLK_F_FLUSH);
	struct virtio_blk_outhdr hdr;
	const struct iovec *last;
	uint32_t written = 0;
	uint8_t status;
	size_t n;

	/* The status byte is the last byte of the last writable buffer. */
	if (!elem->nr_in || !elem->in_len)
		return -1;
	last = &elem->iov[elem->nr_out + elem->nr_in - 1];
	if (!last->iov_len)
		return -1;

	/* One copy of the header, checked and used. */
	if (virtq_elem__read(elem, 0, &hdr, sizeof(hdr)) != sizeof(hdr)) {
		status = VIRTIO_BLK_S_IOERR;
		goto out;
	}
	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		status = blk__rw(blk, elem, le64toh(hdr.sector),
				 le32toh(hdr.type) == VIRTIO_BLK_T_OUT,
				 writethrough, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = fdatasync(blk->fd) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		n = elem->in_len - 1;
		if (n > sizeof(blk->id))
			n = sizeof(blk->id);
		written = virtq_elem__write(elem, 0, blk->id, n);
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
out:
	/* A request the driver forgot in a reset gets no answer. */
	if (!virtq_elem__stale(blk->vdev, elem))
		((uint8_t *)last->iov_base)[last->iov_len - 1] = status;
	return (int64_t)written + 1;
}

/* On the I/O thread, lock held; dropped around each request's I/O. */
static bool virtio_blk__process(struct virtio_mmio_dev *vdev, unsigned int q)
{
	struct virtio_blk *blk = vdev->priv;
	struct virtq_elem elem;
	unsigned int budget;
	bool more = true, used = false;
	uint64_t features;
	int64_t len;

	for (budget = VIRTQ_BUDGET; budget; budget--) {
		if (virtq__pop(vdev, q, &elem) <= 0) {
			more = false;
			break;
		}
		features = vdev->drv_features;
		pthread_mutex_unlock(&vdev->lock);
		len = blk__request(blk, &elem, features);
		pthread_mutex_lock(&vdev->lock);
		if (len < 0) {
			if (elem.gen == vdev->gen)
				virtio_mmio__needs_reset(vdev, "request without a status byte");
			more = false;
			break;
		}
		virtq__push(vdev, q, &elem, len);
		used = true;
	}
	/*
	 * One interrupt for the round: the driver takes every used buffer
	 * in one handler, and an interrupt per request (Linux splits a
	 * 1 MiB direct read into 256 of them) costs the guest four exits
	 * each.
	 */
	if (used)
		virtio_mmio__signal_used(vdev);
	return more;
}

static const struct virtio_dev_ops virtio_blk_ops = {
	.name		= "virtio-blk",
	.device_id	= VIRTIO_ID_BLOCK,
	.features	= 1ULL << VIRTIO_BLK_F_FLUSH |
			  1ULL << VIRTIO_BLK_F_SEG_MAX |
			  1ULL << VIRTIO_BLK_F_SIZE_MAX |
			  1ULL << VIRTIO_BLK_F_BLK_SIZE |
			  1ULL << VIRTIO_BLK_F_TOPOLOGY,
	.nr_queues	= 1,
	.queue_max	= BLK_QUEUE_MAX,
	.max_segs	= VIRTQ_MAX_SEGS,
	.process	= virtio_blk__process,
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
	/* The config space is little-endian (virtio 1.2, 5.2.4). */
	blk->config.capacity = htole64(blk->size / SECTOR_SIZE);
	blk->config.seg_max = htole32(BLK_SEG_MAX);
	blk->config.size_max = htole32(BLK_IO_CHUNK);
	blk->config.blk_size = htole32(SECTOR_SIZE);
	blk->config.physical_block_exp = BLK_PHYS_EXP;
	blk->config.min_io_size = htole16(1U << BLK_PHYS_EXP);
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
	if (fsync(blk->fd))
		fprintf(stderr, "minivmm: virtio-blk: fsync: %s\n", strerror(errno));
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
	blk->kvm = kvm;
	blk->vdev = virtio_mmio__create(kvm, &virtio_blk_ops, blk, &blk->config,
					sizeof(blk->config));
	if (!blk->vdev) {
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
