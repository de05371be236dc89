/* SPDX-License-Identifier: GPL-2.0 */
/* virtio-blk over virtio-mmio, backed by a disk image file (-d FILE). */
#ifndef MINIVMM_VIRTIO_BLK_H
#define MINIVMM_VIRTIO_BLK_H

struct kvm;
struct virtio_blk;

struct virtio_blk *virtio_blk__open(const char *path);
void virtio_blk__close(struct virtio_blk *blk);
int virtio_blk__init(struct kvm *kvm, struct virtio_blk *blk);
void virtio_blk__exit(struct kvm *kvm);

#endif /* MINIVMM_VIRTIO_BLK_H */
