// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.2, 5.3) with a single port and no optional
 * features: the transmit queue goes to stdout from the device's I/O
 * thread, the receive queue is filled by the terminal's input thread
 * (term.c) with what fits in the buffers the driver posted - never waiting
 * for more.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include "kvm.h"
#include "virtio-console.h"
#include "virtio-mmio.h"

#define CONSOLE_RXQ		0
#define CONSOLE_TXQ		1
#define CONSOLE_QUEUE_MAX	64
/* Output is written in pieces so that a stopping VM is noticed between. */
#define CONSOLE_OUT_CHUNK	65536

struct virtio_console {
	struct virtio_mmio_dev *vdev;
	struct virtio_console_config config;
};

/*
 * One request's output, without the device lock: @elem is our own copy.
 * A reset of the device (the driver forgot the request) or a stopping VM
 * ends it between pieces.
 */
static void console__write_elem(struct virtio_mmio_dev *vdev,
				const struct virtq_elem *elem)
{
	struct kvm *kvm = vdev->kvm;
	unsigned int i;

	for (i = 0; i < elem->nr_out; i++) {
		const uint8_t *buf = elem->iov[i].iov_base;
		size_t len = elem->iov[i].iov_len;

		while (len && !atomic_load(&kvm->stopping) &&
		       !virtq_elem__stale(vdev, elem)) {
			size_t n = len < CONSOLE_OUT_CHUNK ? len : CONSOLE_OUT_CHUNK;

			kvm__write_out(kvm, buf, n);
			buf += n;
			len -= n;
		}
	}
}

/*
 * On the I/O thread, lock held.  The receive queue needs nothing here:
 * term.c fills it whenever it has input.
 */
static bool virtio_console__process(struct virtio_mmio_dev *vdev,
				    unsigned int q)
{
	struct virtq_elem elem;
	unsigned int budget;

	if (q != CONSOLE_TXQ)
		return false;
	for (budget = VIRTQ_BUDGET; budget; budget--) {
		if (virtq__pop(vdev, q, &elem) <= 0)
			return false;
		pthread_mutex_unlock(&vdev->lock);
		console__write_elem(vdev, &elem);
		pthread_mutex_lock(&vdev->lock);
		virtq__push(vdev, q, &elem, 0);
		virtio_mmio__signal_used(vdev);
	}
	return true;
}

static const struct virtio_dev_ops virtio_console_ops = {
	.name		= "virtio-console",
	.device_id	= VIRTIO_ID_CONSOLE,
	.nr_queues	= 2,
	.queue_max	= CONSOLE_QUEUE_MAX,
	.process	= virtio_console__process,
};

/**
 * virtio_console__receive() - terminal input for the guest's hvc0
 * @kvm:	the VM
 * @buf:	the characters
 * @len:	how many
 *
 * Fills as many receive buffers as the driver posted, and returns: the
 * caller keeps the rest and tries again later.  Every buffer filled is
 * pushed and signalled.
 *
 * Return: how many characters were taken, 0 to @len.
 */
size_t virtio_console__receive(struct kvm *kvm, const uint8_t *buf, size_t len)
{
	struct virtio_mmio_dev *vdev = kvm->console->vdev;
	struct virtq_elem elem;
	size_t done = 0, n;

	pthread_mutex_lock(&vdev->lock);
	while (done < len && virtio_mmio__queue_live(vdev, CONSOLE_RXQ) &&
	       virtq__pop(vdev, CONSOLE_RXQ, &elem) > 0) {
		n = virtq_elem__write(&elem, 0, buf + done, len - done);
		done += n;
		virtq__push(vdev, CONSOLE_RXQ, &elem, n);
		virtio_mmio__signal_used(vdev);
	}
	pthread_mutex_unlock(&vdev->lock);
	return done;
}

/**
 * virtio_console__init() - the virtio console, in the next virtio slot
 * @kvm: the VM
 *
 * Return: 0, or -1 with a message.
 */
int virtio_console__init(struct kvm *kvm)
{
	struct virtio_console *con = calloc(1, sizeof(*con));

	if (!con) {
		fprintf(stderr, "minivmm: virtio-console: out of memory\n");
		return -1;
	}
	con->vdev = virtio_mmio__create(kvm, &virtio_console_ops, con,
					&con->config, sizeof(con->config));
	if (!con->vdev) {
		free(con);
		return -1;
	}
	kvm->console = con;
	return 0;
}

void virtio_console__exit(struct kvm *kvm)
{
	if (!kvm->console)
		return;
	free(kvm->console);
	kvm->console = NULL;
}
