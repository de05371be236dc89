/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net over virtio-mmio, backed by a tap device (-n tap), its data
 * path in minivmm's I/O thread or in the host kernel's vhost-net.
 */
#ifndef MINIVMM_VIRTIO_NET_H
#define MINIVMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

struct kvm;
struct virtio_net;

/* What -n/--network asked for. */
struct net_opts {
	const char *ifname;		/* NULL: the kernel picks tapN */
	uint8_t mac[6];
	bool vhost;
	bool offload;			/* checksum and TSO offloads offered */
	bool host_ip;			/* give the tap host_addr/prefix */
	uint32_t host_addr;		/* network byte order */
	unsigned int prefix;
};

int virtio_net__parse(struct net_opts *o, const char *arg);
struct virtio_net *virtio_net__open(const struct net_opts *o);
struct virtio_net *virtio_net__open_fd(int fd);
void virtio_net__close(struct virtio_net *net);
int virtio_net__init(struct kvm *kvm, struct virtio_net *net);
void virtio_net__exit(struct kvm *kvm);
void virtio_net__print_stats(struct kvm *kvm);

#endif /* MINIVMM_VIRTIO_NET_H */
