// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (virtio 1.2, 5.3) with a single port and no optional
 * features: the transmit queue goes to stdout, the receive queue is
 * filled by the terminal's input thread (term.c) whenever the driver has
 * posted buffers.
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

struct virtio_console {
	struct virtio_mmio_dev *vdev;
	pthread_cond_t rx_posted;	/* the driver kicked the receive queue */
	struct virtio_console_config config;
};

static void console__write_out(const void *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;		/* stdout is gone: drop the output */
		buf = (const uint8_t *)buf + n;
		len -= n;
	}
}

static void virtio_console__notify(struct virtio_mmio_dev *vdev, unsigned int q)
{
	struct virtio_console *con = vdev->priv;
	struct virtq_elem elem;
	bool used = false;
	unsigned int i;
	int ret;

	if (q == CONSOLE_RXQ) {
		pthread_cond_broadcast(&con->rx_posted);
		return;
	}
	while ((ret = virtq__pop(vdev, q, &elem))) {
		used = true;
		if (ret < 0)
			continue;
		for (i = 0; i < elem.nr_out; i++)
			console__write_out(elem.iov[i].iov_base,
					   elem.iov[i].iov_len);
		virtq__push(vdev, q, elem.head, 0);
	}
	if (used)
		virtio_mmio__signal_used(vdev);
}

static const struct virtio_dev_ops virtio_console_ops = {
	.name		= "virtio-console",
	.device_id	= VIRTIO_ID_CONSOLE,
	.nr_queues	= 2,
	.queue_max	= CONSOLE_QUEUE_MAX,
	.notify		= virtio_console__notify,
};

/* Copy as much of @buf as fits into one posted receive buffer. */
static size_t console__fill(struct virtio_mmio_dev *vdev,
			    struct virtq_elem *elem, const uint8_t *buf,
			    size_t len)
{
	size_t done = 0;
	unsigned int i;

	for (i = elem->nr_out; i < elem->nr_out + elem->nr_in && done < len; i++) {
		size_t n = elem->iov[i].iov_len;

		if (n > len - done)
			n = len - done;
		memcpy(elem->iov[i].iov_base, buf + done, n);
		done += n;
	}
	virtq__push(vdev, CONSOLE_RXQ, elem->head, done);
	return done;
}

/**
 * virtio_console__receive() - terminal input for the guest's hvc0
 * @kvm:	the VM
 * @buf:	the characters
 * @len:	how many
 *
 * Waits for the driver to post receive buffers (it has none before it is
 * up, and none while its tty is busy), so nothing typed is lost.
 *
 * Return: how many were taken: @len, or fewer once the VM is stopping.
 */
size_t virtio_console__receive(struct kvm *kvm, const uint8_t *buf, size_t len)
{
	struct virtio_console *con = kvm->console;
	struct virtio_mmio_dev *vdev = con->vdev;
	struct virtq_elem elem;
	size_t done = 0;
	int ret;

	pthread_mutex_lock(&vdev->lock);
	while (done < len && !atomic_load(&kvm->stopping)) {
		ret = virtio_mmio__queue_live(vdev, CONSOLE_RXQ) ?
		      virtq__pop(vdev, CONSOLE_RXQ, &elem) : 0;
		if (ret > 0) {
			done += console__fill(vdev, &elem, buf + done, len - done);
			virtio_mmio__signal_used(vdev);
		} else if (!ret) {
			kvm__wait_briefly(&con->rx_posted, &vdev->lock);
		}
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
	pthread_cond_init(&con->rx_posted, NULL);
	con->vdev = virtio_mmio__create(kvm, &virtio_console_ops, con,
					&con->config, sizeof(con->config));
	if (!con->vdev) {
		pthread_cond_destroy(&con->rx_posted);
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
	pthread_cond_destroy(&kvm->console->rx_posted);
	free(kvm->console);
	kvm->console = NULL;
}
