// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1) with one receive and one transmit queue,
 * backed by a tap device that minivmm opens with IFF_VNET_HDR: the
 * virtio-net header the guest puts before each frame is the tap's own
 * header format, so packets cross between the two unchanged.
 *
 * Two data paths (Documentation/io.rst follows one packet down each):
 *
 * - userspace (-n tap): the device's I/O thread writes each transmit
 *   chain to the tap with writev() straight from guest memory, and reads
 *   each packet from the tap with readv() straight into a posted receive
 *   chain.  It polls the tap while the driver has receive buffers posted;
 *   when they run out it waits for the driver's next receive kick.
 *
 * - vhost-net (-n tap,vhost=on or -n vhost): the host kernel moves the
 *   packets.  minivmm hands /dev/vhost-net guest RAM (one memory region),
 *   each ring's size and addresses, the queue's ioeventfd as the kick, an
 *   eventfd of its own as the call, and the tap as the backend, when the
 *   driver sets DRIVER_OK; it takes them back on a reset.  The call
 *   eventfd is relayed by the I/O thread into InterruptStatus and the SPI,
 *   since on virtio-mmio the interrupt status register is minivmm's.
 *
 * Offloads (offload=on, the default): the guest may send packets with a
 * partial checksum and TCP segments up to 64 KiB (VIRTIO_NET_F_CSUM,
 * HOST_TSO4/6), which the tap accepts as they are; what the guest
 * negotiates to receive (GUEST_CSUM, GUEST_TSO4/6) is what TUNSETOFFLOAD
 * tells the tap it may hand us.  No mergeable receive buffers, no
 * control queue, no multiqueue.
 *
 * Hostile guests: chains are taken with virtq__pop() (checked, copied
 * once, inside RAM).  A transmit chain with writable buffers, shorter than
 * the header or longer than the largest packet, or whose header asks for
 * an offload the driver did not negotiate, is dropped (the request fails,
 * one warning); the header the tap gets is minivmm's checked copy.  A
 * receive chain with readable buffers or without room for the header
 * breaks the device (DEVICE_NEEDS_RESET).  Under vhost the host kernel
 * reads the rings and headers itself; minivmm only checked that the rings
 * lie in RAM.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "kvm.h"
#include "virtio-mmio.h"
#include "virtio-net.h"

#define NET_RXQ			0
#define NET_TXQ			1
#define NET_NR_QUEUES		2
#define NET_QUEUE_MAX		256
/* struct virtio_net_hdr_mrg_rxbuf: the header of virtio 1.x, always. */
#define NET_HDR_LEN		12
#define NET_NUM_BUFFERS_OFF	10
/* A 64 KiB TSO segment with its Ethernet and VLAN headers, at most. */
#define NET_MAX_PACKET		(NET_HDR_LEN + 14 + 4 + 65535)

#define NET_FEATURES	(1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS)
/*
 * EVENT_IDX: Linux's transmit path then asks for an interrupt when three
 * quarters of its packets in flight are sent, not after each one, and
 * kicks only for buffers added after the device last found the ring
 * empty.  The userspace data path implements it (virtq__wants_interrupt(),
 * virtq__pop()); vhost-net implements it itself, and it is offered there
 * when vhost-net has it (Documentation/io.rst: guest-to-host TCP no
 * longer falls into the one-packet-per-write mode with it).
 */
#define NET_EVENT_IDX	(1ULL << VIRTIO_RING_F_EVENT_IDX)
#define NET_OFFLOADS	(1ULL << VIRTIO_NET_F_CSUM |			\
			 1ULL << VIRTIO_NET_F_GUEST_CSUM |		\
			 1ULL << VIRTIO_NET_F_HOST_TSO4 |		\
			 1ULL << VIRTIO_NET_F_HOST_TSO6 |		\
			 1ULL << VIRTIO_NET_F_GUEST_TSO4 |		\
			 1ULL << VIRTIO_NET_F_GUEST_TSO6)

struct virtio_net {
	struct kvm *kvm;
	struct virtio_mmio_dev *vdev;
	struct virtio_net_config config;
	char ifname[IFNAMSIZ];
	int tap_fd;
	bool up;			/* both queues live: the backend runs */
	bool offload;			/* offered the offloads */
	bool is_tap;			/* not: virtio_net__open_fd() */

	int vhost_fd;			/* -1: the userspace data path */
	uint64_t vhost_features;

	atomic_ulong tx_packets, rx_packets, dropped;
};

/* ---- the userspace data path, on the device's I/O thread ---- */

/*
 * Does a transmit header ask only for what the driver negotiated
 * (virtio 1.2, 5.1.6.2)?  The tap would honour a checksum or segmentation
 * request whatever was negotiated.
 */
static bool net__tx_hdr_ok(const struct virtio_net_hdr_mrg_rxbuf *h,
			   uint64_t features)
{
	uint8_t gso = h->hdr.gso_type;

	if (h->hdr.flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return false;
	if ((h->hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !(features & 1ULL << VIRTIO_NET_F_CSUM))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return features & 1ULL << VIRTIO_NET_F_HOST_TSO4;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return features & 1ULL << VIRTIO_NET_F_HOST_TSO6;
	default:
		/* ECN and UDP segmentation were not offered. */
		return false;
	}
}

/*
 * One transmit chain to the tap: the header copied out and checked (the
 * copy is what the tap gets, so a guest cannot change it after the check),
 * then the frame straight from guest memory.  Without the device lock.
 * Return: whether the tap took it.
 */
static bool net__tx_one(struct virtio_net *net, const struct virtq_elem *elem,
			uint64_t features)
{
	struct virtio_net_hdr_mrg_rxbuf hdr;
	struct iovec iov[VIRTQ_MAX_SEGS + 1];
	unsigned int i, n = 1;
	size_t skip = NET_HDR_LEN;
	ssize_t ret;

	if (virtq_elem__read(elem, 0, &hdr, NET_HDR_LEN) != NET_HDR_LEN ||
	    !net__tx_hdr_ok(&hdr, features)) {
		virtio__warn(net->vdev, "transmit header asking for offloads not negotiated: packet dropped");
		return false;
	}
	iov[0] = (struct iovec){ &hdr, NET_HDR_LEN };
	for (i = 0; i < elem->nr_out; i++) {
		size_t len = elem->iov[i].iov_len;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		iov[n].iov_base = (uint8_t *)elem->iov[i].iov_base + skip;
		iov[n++].iov_len = len - skip;
		skip = 0;
	}
	do {
		ret = writev(net->tap_fd, iov, n);
	} while (ret < 0 && errno == EINTR && !atomic_load(&net->kvm->stopping));
	return ret >= 0;
}

/* Lock held, dropped around each write to the tap.  *@used: any pushed. */
static bool net__tx_round(struct virtio_mmio_dev *vdev, bool *used)
{
	struct virtio_net *net = vdev->priv;
	struct virtq_elem elem;
	unsigned int budget;
	uint64_t features;
	bool sent;

	for (budget = VIRTQ_BUDGET; budget; budget--) {
		if (virtq__pop(vdev, NET_TXQ, &elem) <= 0)
			return false;
		if (elem.nr_in || elem.out_len < NET_HDR_LEN ||
		    elem.out_len > NET_MAX_PACKET) {
			virtio__warn(vdev, "malformed transmit buffer dropped");
			sent = false;
		} else {
			features = vdev->drv_features;
			pthread_mutex_unlock(&vdev->lock);
			sent = net__tx_one(net, &elem, features);
			pthread_mutex_lock(&vdev->lock);
		}
		atomic_fetch_add(sent ? &net->tx_packets : &net->dropped, 1);
		virtq__push(vdev, NET_TXQ, &elem, 0);
		*used = true;
	}
	return true;
}

/*
 * One interrupt per round of used buffers, if the driver wants to hear of
 * them: a guest that keeps up with the device would otherwise take one
 * per packet, four exits each.  The driver's flag is read after the last
 * push (virtq__wants_interrupt()).
 */
static void net__signal_round(struct virtio_mmio_dev *vdev, unsigned int q,
			      bool used)
{
	if (used && virtq__wants_interrupt(vdev, q))
		virtio_mmio__signal_used(vdev);
}

static bool net__tx(struct virtio_mmio_dev *vdev)
{
	bool used = false, more = net__tx_round(vdev, &used);

	net__signal_round(vdev, NET_TXQ, used);
	return more;
}

/*
 * Lock held throughout: a read from the non-blocking tap is a bounded
 * copy, and a chain that finds no packet goes back to the ring
 * (virtq__unpop()) before anyone else looks at it.
 */
static bool net__rx_round(struct virtio_mmio_dev *vdev, bool *used)
{
	struct virtio_net *net = vdev->priv;
	const uint16_t one = htole16(1);
	struct virtq_elem elem;
	unsigned int budget;
	ssize_t n;
	int ret;

	/* The driver kicked (or the tap has input): poll it again. */
	vdev->backend_on = true;
	for (budget = VIRTQ_BUDGET; budget; budget--) {
		ret = virtq__pop(vdev, NET_RXQ, &elem);
		if (ret < 0)
			return false;
		if (!ret) {
			/* No buffers: packets wait in the tap for a kick. */
			vdev->backend_on = false;
			return false;
		}
		if (elem.nr_out || elem.in_len < NET_HDR_LEN) {
			virtio_mmio__needs_reset(vdev, "malformed receive buffer");
			return false;
		}
		n = readv(net->tap_fd, elem.iov, elem.nr_in);
		if (n < 0) {
			virtq__unpop(vdev, NET_RXQ, &elem);
			if (errno == EAGAIN || errno == EINTR)
				return false;	/* nothing waits */
			/* The tap is gone: stop polling it. */
			virtio__warn(vdev, "reading the tap failed");
			vdev->backend_on = false;
			return false;
		}
		/*
		 * The tap says how long the packet was, also when it had to
		 * cut it to the buffer: such a packet is lost, the buffer is
		 * used for the next one.
		 */
		if (n < NET_HDR_LEN || (uint64_t)n > elem.in_len) {
			virtq__unpop(vdev, NET_RXQ, &elem);
			atomic_fetch_add(&net->dropped, 1);
			continue;
		}
		/* One buffer per packet without VIRTIO_NET_F_MRG_RXBUF (5.1.6.4). */
		virtq_elem__write(&elem, NET_NUM_BUFFERS_OFF, &one, sizeof(one));
		virtq__push(vdev, NET_RXQ, &elem, n);
		*used = true;
		atomic_fetch_add(&net->rx_packets, 1);
	}
	return true;
}

static bool net__rx(struct virtio_mmio_dev *vdev)
{
	bool used = false, more = net__rx_round(vdev, &used);

	net__signal_round(vdev, NET_RXQ, used);
	return more;
}

static bool virtio_net__process(struct virtio_mmio_dev *vdev, unsigned int q)
{
	return q == NET_RXQ ? net__rx(vdev) : net__tx(vdev);
}

/* ---- the tap ---- */

/* Lock held.  What the tap may hand us: what the driver can take. */
static void net__set_tap_offloads(struct virtio_net *net, uint64_t features)
{
	unsigned int off = 0;

	if (!net->is_tap)
		return;
	if (features & 1ULL << VIRTIO_NET_F_GUEST_CSUM) {
		off |= TUN_F_CSUM;
		if (features & 1ULL << VIRTIO_NET_F_GUEST_TSO4)
			off |= TUN_F_TSO4;
		if (features & 1ULL << VIRTIO_NET_F_GUEST_TSO6)
			off |= TUN_F_TSO6;
	}
	if (ioctl(net->tap_fd, TUNSETOFFLOAD, off))
		virtio__warn(net->vdev, "TUNSETOFFLOAD failed");
}

/* Bring the tap up, with host_ip if asked: an AF_INET socket's ioctls. */
static int net__tap_up(struct virtio_net *net, const struct net_opts *o)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	const char *what = "socket";

	if (sock < 0)
		goto err;
	memcpy(ifr.ifr_name, net->ifname, IFNAMSIZ);
	if (o->host_ip) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = o->host_addr;
		what = "SIOCSIFADDR";
		if (ioctl(sock, SIOCSIFADDR, &ifr))
			goto err_sock;
		sin->sin_addr.s_addr = htonl(o->prefix ?
					     ~0U << (32 - o->prefix) : 0);
		what = "SIOCSIFNETMASK";
		if (ioctl(sock, SIOCSIFNETMASK, &ifr))
			goto err_sock;
	}
	what = "SIOCGIFFLAGS";
	if (ioctl(sock, SIOCGIFFLAGS, &ifr))
		goto err_sock;
	ifr.ifr_flags |= IFF_UP;
	what = "SIOCSIFFLAGS";
	if (ioctl(sock, SIOCSIFFLAGS, &ifr))
		goto err_sock;
	close(sock);
	return 0;

err_sock:
	close(sock);
err:
	fprintf(stderr, "minivmm: -n: %s %s: %s\n", net->ifname, what,
		strerror(errno));
	return -1;
}

static int net__open_tap(struct virtio_net *net, const struct net_opts *o)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr_len = NET_HDR_LEN, le = 1;
	unsigned int features = 0;
	const char *what;

	net->tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (net->tap_fd < 0) {
		fprintf(stderr, "minivmm: -n: /dev/net/tun: %s\n", strerror(errno));
		return -1;
	}
	net->is_tap = true;
	what = "TUNGETFEATURES";
	if (ioctl(net->tap_fd, TUNGETFEATURES, &features))
		goto err;
	if (!(features & IFF_VNET_HDR)) {
		fprintf(stderr, "minivmm: -n: the tun driver has no IFF_VNET_HDR\n");
		return -1;
	}
	/* Shorter than IFNAMSIZ: checked by virtio_net__parse(). */
	if (o->ifname)
		memcpy(ifr.ifr_name, o->ifname, strlen(o->ifname) + 1);
	what = "TUNSETIFF";
	if (ioctl(net->tap_fd, TUNSETIFF, &ifr))
		goto err;
	memcpy(net->ifname, ifr.ifr_name, IFNAMSIZ);
	net->ifname[IFNAMSIZ - 1] = '\0';
	/* virtio 1.x headers: 12 bytes, little-endian, whatever the host. */
	what = "TUNSETVNETHDRSZ";
	if (ioctl(net->tap_fd, TUNSETVNETHDRSZ, &hdr_len))
		goto err;
	what = "TUNSETVNETLE";
	if (ioctl(net->tap_fd, TUNSETVNETLE, &le))
		goto err;
	/* Nothing the driver has not negotiated yet. */
	what = "TUNSETOFFLOAD";
	if (ioctl(net->tap_fd, TUNSETOFFLOAD, 0))
		goto err;
	return net__tap_up(net, o);

err:
	fprintf(stderr, "minivmm: -n: %s %s: %s\n",
		o->ifname ? o->ifname : "tap", what, strerror(errno));
	return -1;
}

/* ---- vhost-net ---- */

static int net__open_vhost(struct virtio_net *net)
{
	const char *what = "VHOST_SET_OWNER";

	net->vhost_fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (net->vhost_fd < 0) {
		fprintf(stderr, "minivmm: -n vhost: /dev/vhost-net: %s\n",
			strerror(errno));
		return -1;
	}
	/* Its worker takes this process's memory as the guest's. */
	if (ioctl(net->vhost_fd, VHOST_SET_OWNER))
		goto err;
	what = "VHOST_GET_FEATURES";
	if (ioctl(net->vhost_fd, VHOST_GET_FEATURES, &net->vhost_features))
		goto err;
	if (!(net->vhost_features & 1ULL << VIRTIO_F_VERSION_1)) {
		fprintf(stderr, "minivmm: -n vhost: vhost-net without VIRTIO_F_VERSION_1\n");
		return -1;
	}
	return 0;

err:
	fprintf(stderr, "minivmm: -n vhost: %s: %s\n", what, strerror(errno));
	return -1;
}

/* After the VM has RAM: the table vhost translates guest addresses with. */
static int net__vhost_init(struct virtio_net *net)
{
	struct virtio_mmio_dev *vdev = net->vdev;
	const struct guest_mem *gm = &net->kvm->mem;
	struct vhost_memory *mem;
	unsigned int q;
	int ret;

	for (q = 0; q < NET_NR_QUEUES; q++) {
		if (vdev->notify_fd[q] < 0) {
			fprintf(stderr, "minivmm: -n vhost needs KVM_IOEVENTFD (not with --no-eventfd)\n");
			return -1;
		}
		vdev->call_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vdev->call_fd[q] < 0) {
			fprintf(stderr, "minivmm: -n vhost: eventfd: %s\n",
				strerror(errno));
			return -1;
		}
	}
	mem = calloc(1, sizeof(*mem) + sizeof(mem->regions[0]));
	if (!mem) {
		fprintf(stderr, "minivmm: -n vhost: out of memory\n");
		return -1;
	}
	mem->nregions = 1;
	mem->regions[0].guest_phys_addr = gm->base;
	mem->regions[0].memory_size = gm->size;
	mem->regions[0].userspace_addr = (uintptr_t)gm->host;
	ret = ioctl(net->vhost_fd, VHOST_SET_MEM_TABLE, mem);
	free(mem);
	if (ret) {
		fprintf(stderr, "minivmm: -n vhost: VHOST_SET_MEM_TABLE: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Lock held.  Take the rings back: the kernel stops touching them. */
static void net__vhost_stop(struct virtio_net *net)
{
	struct virtio_mmio_dev *vdev = net->vdev;
	unsigned int q;

	for (q = 0; q < NET_NR_QUEUES; q++) {
		struct vhost_vring_file backend = { .index = q, .fd = -1 };
		struct vhost_vring_state base = { .index = q };

		ioctl(net->vhost_fd, VHOST_NET_SET_BACKEND, &backend);
		ioctl(net->vhost_fd, VHOST_GET_VRING_BASE, &base);
	}
	vdev->offloaded = 0;
}

/*
 * Lock held, the driver just made both queues live (their rings checked
 * to lie in RAM by virtq__enable()).  Return: 0, or the failing ioctl.
 */
static const char *net__vhost_start(struct virtio_net *net)
{
	struct virtio_mmio_dev *vdev = net->vdev;
	const struct guest_mem *gm = &net->kvm->mem;
	uint64_t features = vdev->drv_features & net->vhost_features;
	unsigned int q;

	if (ioctl(net->vhost_fd, VHOST_SET_FEATURES, &features))
		return "VHOST_SET_FEATURES";
	for (q = 0; q < NET_NR_QUEUES; q++) {
		const struct virtq *vq = &vdev->vq[q];
		struct vhost_vring_state num = { .index = q, .num = vq->num };
		struct vhost_vring_state base = { .index = q, .num = 0 };
		struct vhost_vring_addr addr = {
			.index = q,
			.desc_user_addr = (uintptr_t)guest_mem__ptr(gm, vq->desc_addr, 1),
			.avail_user_addr = (uintptr_t)guest_mem__ptr(gm, vq->avail_addr, 1),
			.used_user_addr = (uintptr_t)guest_mem__ptr(gm, vq->used_addr, 1),
		};
		struct vhost_vring_file kick = { .index = q, .fd = vdev->notify_fd[q] };
		struct vhost_vring_file call = { .index = q, .fd = vdev->call_fd[q] };

		if (ioctl(net->vhost_fd, VHOST_SET_VRING_NUM, &num))
			return "VHOST_SET_VRING_NUM";
		if (ioctl(net->vhost_fd, VHOST_SET_VRING_BASE, &base))
			return "VHOST_SET_VRING_BASE";
		if (ioctl(net->vhost_fd, VHOST_SET_VRING_ADDR, &addr))
			return "VHOST_SET_VRING_ADDR";
		if (ioctl(net->vhost_fd, VHOST_SET_VRING_KICK, &kick))
			return "VHOST_SET_VRING_KICK";
		if (ioctl(net->vhost_fd, VHOST_SET_VRING_CALL, &call))
			return "VHOST_SET_VRING_CALL";
	}
	/* From here the I/O thread leaves the kicks to the kernel. */
	vdev->offloaded = (1U << NET_NR_QUEUES) - 1;
	for (q = 0; q < NET_NR_QUEUES; q++) {
		struct vhost_vring_file backend = { .index = q, .fd = net->tap_fd };

		if (ioctl(net->vhost_fd, VHOST_NET_SET_BACKEND, &backend))
			return "VHOST_NET_SET_BACKEND";
	}
	/* Buffers posted before DRIVER_OK, kicks the kernel did not see. */
	for (q = 0; q < NET_NR_QUEUES; q++)
		eventfd_write(vdev->notify_fd[q], 1);
	return NULL;
}

/*
 * Lock held: the driver changed the status or a queue.  The backend runs
 * while both queues are live, and stops as soon as either is not (a
 * reset, a queue disabled).
 */
static void virtio_net__changed(struct virtio_mmio_dev *vdev)
{
	struct virtio_net *net = vdev->priv;
	bool up = virtio_mmio__queue_live(vdev, NET_RXQ) &&
		  virtio_mmio__queue_live(vdev, NET_TXQ);
	const char *err;
	char msg[96];

	if (up == net->up)
		return;
	net->up = up;
	if (!up) {
		if (vdev->offloaded)
			net__vhost_stop(net);
		vdev->backend_on = false;
		net__set_tap_offloads(net, 0);
		return;
	}
	net__set_tap_offloads(net, vdev->drv_features);
	if (net->vhost_fd < 0) {
		vdev->backend_on = true;
		return;
	}
	err = net__vhost_start(net);
	if (err) {
		snprintf(msg, sizeof(msg), "vhost-net %s: %s", err,
			 strerror(errno));
		net__vhost_stop(net);
		net->up = false;
		virtio_mmio__needs_reset(vdev, msg);
	}
}

/* ---- options and life cycle ---- */

/* The device, without and with the offloads (offload=off|on). */
#define NET_OPS(feat) {					\
	.name		= "virtio-net",				\
	.device_id	= VIRTIO_ID_NET,			\
	.features	= (feat),				\
	.nr_queues	= NET_NR_QUEUES,			\
	.queue_max	= NET_QUEUE_MAX,			\
	.process	= virtio_net__process,			\
	.changed	= virtio_net__changed,			\
}

/* By offload + 2 * EVENT_IDX. */
static const struct virtio_dev_ops virtio_net_ops[4] = {
	NET_OPS(NET_FEATURES),
	NET_OPS(NET_FEATURES | NET_OFFLOADS),
	NET_OPS(NET_FEATURES | NET_EVENT_IDX),
	NET_OPS(NET_FEATURES | NET_OFFLOADS | NET_EVENT_IDX),
};

static int net__parse_mac(uint8_t mac[6], const char *s)
{
	unsigned int b[6], i;
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -1;
	/* A unicast address: the guest's own. */
	if (b[0] & 1)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

static int net__parse_host_ip(struct net_opts *o, char *s)
{
	char *slash = strchr(s, '/'), *end;
	struct in_addr a;
	unsigned long prefix = 24;

	if (slash) {
		*slash = '\0';
		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || prefix > 32)
			return -1;
	}
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	o->host_ip = true;
	o->host_addr = a.s_addr;
	o->prefix = prefix;
	return 0;
}

static int net__parse_bool(bool *b, const char *s)
{
	if (!strcmp(s, "on") || !strcmp(s, "1")) {
		*b = true;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "0")) {
		*b = false;
		return 0;
	}
	return -1;
}

/**
 * virtio_net__parse() - the argument of -n/--network
 * @o:		filled; defaults for what @arg leaves out
 * @arg:	tap|vhost[,ifname=NAME][,mac=XX:XX:XX:XX:XX:XX][,vhost=on|off]
 *		[,offload=on|off][,host_ip=A.B.C.D[/PREFIX]]
 *
 * Return: 0, or -1 with a message.
 */
int virtio_net__parse(struct net_opts *o, const char *arg)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x4d, 0x56, 0x4d, 0x01 };
	char *copy = strdup(arg), *tok, *save = NULL, *val;
	int ret = -1;

	if (!copy) {
		fprintf(stderr, "minivmm: out of memory\n");
		return -1;
	}
	memset(o, 0, sizeof(*o));
	memcpy(o->mac, mac, sizeof(mac));
	o->offload = true;
	tok = strtok_r(copy, ",", &save);
	if (!tok || (strcmp(tok, "tap") && strcmp(tok, "vhost"))) {
		fprintf(stderr, "minivmm: -n %s: expected tap or vhost first\n", arg);
		goto out;
	}
	o->vhost = !strcmp(tok, "vhost");
	while ((tok = strtok_r(NULL, ",", &save))) {
		val = strchr(tok, '=');
		if (!val)
			goto bad;
		*val++ = '\0';
		if (!strcmp(tok, "ifname")) {
			if (!*val || strlen(val) >= IFNAMSIZ || strchr(val, '/'))
				goto bad;
			o->ifname = strdup(val);
		} else if (!strcmp(tok, "mac")) {
			if (net__parse_mac(o->mac, val))
				goto bad;
		} else if (!strcmp(tok, "vhost")) {
			if (net__parse_bool(&o->vhost, val))
				goto bad;
		} else if (!strcmp(tok, "offload")) {
			if (net__parse_bool(&o->offload, val))
				goto bad;
		} else if (!strcmp(tok, "host_ip")) {
			if (net__parse_host_ip(o, val))
				goto bad;
		} else {
			goto bad;
		}
	}
	ret = 0;
	goto out;
bad:
	fprintf(stderr, "minivmm: -n %s: bad option '%s'\n", arg, tok);
out:
	free(copy);
	return ret;
}

/**
 * virtio_net__open() - the tap (and vhost-net) of a virtio-net device
 * @o: from virtio_net__parse()
 *
 * Apart from virtio_net__init() so that a missing tap or vhost driver is
 * reported before a VM is created.
 *
 * Return: the backend, or NULL with a message.
 */
struct virtio_net *virtio_net__open(const struct net_opts *o)
{
	struct virtio_net *net = calloc(1, sizeof(*net));

	if (!net) {
		fprintf(stderr, "minivmm: virtio-net: out of memory\n");
		return NULL;
	}
	net->tap_fd = -1;
	net->vhost_fd = -1;
	net->offload = o->offload;
	memcpy(net->config.mac, o->mac, sizeof(net->config.mac));
	net->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	if (net__open_tap(net, o) || (o->vhost && net__open_vhost(net))) {
		virtio_net__close(net);
		return NULL;
	}
	return net;
}

/**
 * virtio_net__open_fd() - a virtio-net backend on a packet fd of the caller's
 * @fd: non-blocking, one packet (virtio-net header first) per read and
 *	write: a datagram socket stands in for the tap.  Closed with the
 *	backend.
 *
 * For the fuzzers: no tap, no offloads, no vhost.
 *
 * Return: the backend, or NULL with a message.
 */
struct virtio_net *virtio_net__open_fd(int fd)
{
	struct virtio_net *net = calloc(1, sizeof(*net));

	if (!net) {
		fprintf(stderr, "minivmm: virtio-net: out of memory\n");
		return NULL;
	}
	net->tap_fd = fd;
	net->vhost_fd = -1;
	memcpy(net->ifname, "fd", 3);
	net->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	return net;
}

/**
 * virtio_net__close() - undo virtio_net__open()
 * @net: the backend, or NULL
 */
void virtio_net__close(struct virtio_net *net)
{
	if (!net)
		return;
	if (net->vhost_fd >= 0)
		close(net->vhost_fd);
	if (net->tap_fd >= 0)
		close(net->tap_fd);
	free(net);
}

/**
 * virtio_net__init() - put a virtio-net device on the VM
 * @kvm:	the VM, its vCPUs not running yet
 * @net:	from virtio_net__open(); the VM owns it from now on
 *
 * Return: 0, or -1 with a message (@net is closed then too).
 */
int virtio_net__init(struct kvm *kvm, struct virtio_net *net)
{
	bool event_idx = net->vhost_fd < 0 ||
			 (net->vhost_features & NET_EVENT_IDX);

	net->kvm = kvm;
	kvm->net = net;
	net->vdev = virtio_mmio__create(kvm, &virtio_net_ops[net->offload +
							     2 * event_idx],
					net, &net->config,
					sizeof(net->config));
	if (!net->vdev)
		goto err;
	if (net->vhost_fd >= 0 ? net__vhost_init(net) :
	    virtio_mmio__set_backend_fd(net->vdev, net->tap_fd, NET_RXQ))
		goto err;
	return 0;

err:
	virtio_net__exit(kvm);
	return -1;
}

/*
 * vhost's worker, a thread of this process named vhost-PID while the
 * backend is set (Linux 6.4 and later): its CPU time in ns from its
 * schedstat (time on the CPU, wait, slices), or 0.
 */
static uint64_t net__vhost_cpu_ns(void)
{
	unsigned long long ns = 0;
	struct dirent *de;
	char path[64], comm[32];
	DIR *dir = opendir("/proc/self/task");
	FILE *f;

	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/comm",
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f) ||
		    strncmp(comm, "vhost-", 6)) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/self/task/%.16s/schedstat",
			 de->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%llu", &ns) != 1)
				ns = 0;
			fclose(f);
		}
		break;
	}
	closedir(dir);
	return ns;
}

/**
 * virtio_net__print_stats() - the --stats line of the network device
 * @kvm: the VM, its I/O threads stopped
 *
 * Under vhost, a second line with its worker's CPU time (make bench).
 */
void virtio_net__print_stats(struct kvm *kvm)
{
	struct virtio_net *net = kvm->net;

	if (!net)
		return;
	if (net->vhost_fd >= 0)
		fprintf(stderr, "minivmm: vhost-worker thread cpu_ns %" PRIu64 "\n",
			net__vhost_cpu_ns());
	fprintf(stderr, "minivmm: net: %s %s, tx packets %lu, rx packets %lu, dropped %lu, vhost calls %lu\n",
		net->vhost_fd >= 0 ? "vhost" : "tap", net->ifname,
		atomic_load(&net->tx_packets), atomic_load(&net->rx_packets),
		atomic_load(&net->dropped),
		atomic_load(&kvm->stats.vhost_calls));
}

/* After the vCPUs and I/O threads stopped. */
void virtio_net__exit(struct kvm *kvm)
{
	struct virtio_net *net = kvm->net;
	unsigned int q;

	if (!net)
		return;
	if (net->vdev) {
		if (net->vdev->offloaded)
			net__vhost_stop(net);
		for (q = 0; q < NET_NR_QUEUES; q++) {
			if (net->vdev->call_fd[q] >= 0)
				close(net->vdev->call_fd[q]);
			net->vdev->call_fd[q] = -1;
		}
		net->vdev->backend_fd = -1;
	}
	virtio_net__close(net);
	kvm->net = NULL;
}
