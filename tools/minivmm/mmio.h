/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MMIO bus: emulated devices claim a guest-physical range and get one
 * callback per access that the kernel hands to userspace (KVM_EXIT_MMIO).
 */
#ifndef MINIVMM_MMIO_H
#define MINIVMM_MMIO_H

#include <stdbool.h>
#include <stdint.h>

struct kvm;

/*
 * One access of @len bytes (1, 2, 4 or 8) at @offset into the device's
 * range.  @data is little-endian, as in struct kvm_run: the handler fills
 * it on a read and consumes it on a write.
 */
typedef void mmio_handler_t(void *dev, uint64_t offset, uint8_t *data,
			    uint32_t len, bool is_write);

int mmio__register(struct kvm *kvm, uint64_t start, uint64_t len,
		   mmio_handler_t *handler, void *dev, const char *name);
void mmio__dispatch(struct kvm *kvm, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write);
void mmio__exit(struct kvm *kvm);

#endif /* MINIVMM_MMIO_H */
