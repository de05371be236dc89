/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host-side fuzzers' fake VM: guest RAM in a heap buffer (so that the
 * address sanitizer sees any access outside it), the real MMIO bus and
 * device models, and a little language of guest actions that the fuzz
 * input is read as.  See fuzz-vm.c.
 */
#ifndef MINIVMM_FUZZ_H
#define MINIVMM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../kvm.h"

#define FUZZ_RAM_BASE	0x80000000ULL
#define FUZZ_RAM_SIZE	0x10000ULL

/* Which devices a fuzzer puts on its VM. */
enum {
	FUZZ_PL011	= 1 << 0,
	FUZZ_CONSOLE	= 1 << 1,
	FUZZ_BLK	= 1 << 2,
	FUZZ_TESTDEV	= 1 << 3,	/* virtio-mmio with a generic device */
	FUZZ_NET	= 1 << 4,	/* virtio-net on a datagram socket */
};

extern unsigned long fuzz_irq_changes;
extern uint64_t fuzz_entry_pc, fuzz_entry_x0;

struct kvm *fuzz_vm__create(unsigned int devices);
void fuzz_vm__destroy(struct kvm *kvm);
void fuzz_vm__run(struct kvm *kvm, const uint8_t *data, size_t size);
void fuzz_vm__serve(struct kvm *kvm);
void fuzz_vm__setup_queue(struct kvm *kvm, unsigned int dev, unsigned int q,
			  uint16_t num);
void fuzz_vm__mmio_write32(struct kvm *kvm, uint64_t addr, uint32_t val);
uint32_t fuzz_vm__mmio_read32(struct kvm *kvm, uint64_t addr);
uint64_t fuzz_vm__queue_base(unsigned int dev, unsigned int q);

#endif /* MINIVMM_FUZZ_H */
