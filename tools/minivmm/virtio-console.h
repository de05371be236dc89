/* SPDX-License-Identifier: GPL-2.0 */
/* A virtio console (hvc0 in the guest): stdout and the terminal's input. */
#ifndef MINIVMM_VIRTIO_CONSOLE_H
#define MINIVMM_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct kvm;

int virtio_console__init(struct kvm *kvm);
void virtio_console__exit(struct kvm *kvm);
size_t virtio_console__receive(struct kvm *kvm, const uint8_t *buf, size_t len);

#endif /* MINIVMM_VIRTIO_CONSOLE_H */
