/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory as the VMM sees it: one RAM region, guest-physical
 * [base, base + size) backed by host memory at host.  Every access minivmm
 * makes to guest memory goes through guest_mem__ptr() or the copies below:
 * nothing else turns a guest-chosen address into a host pointer.
 *
 * The guest changes its memory whenever it likes, from other vCPUs too.
 * What the VMM must check and then use (descriptors, ring entries,
 * request headers) is copied out once with guest_mem__read() and only the
 * copy is used: checking one fetch and using another is how a guest slips
 * an unchecked value past a check.
 */
#ifndef MINIVMM_GUEST_MEM_H
#define MINIVMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct guest_mem {
	uint64_t base;		/* guest-physical address of RAM */
	uint64_t size;		/* bytes */
	uint8_t *host;		/* where they are mapped in the VMM */
};

/* Keeps the compiler from reading guest memory again in place of a copy. */
static inline void guest_mem__barrier(void)
{
	__asm__ __volatile__("" : : : "memory");
}

bool guest_mem__contains(const struct guest_mem *gm, uint64_t gpa,
			 uint64_t len);
void *guest_mem__ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
int guest_mem__read(const struct guest_mem *gm, uint64_t gpa, void *dst,
		    size_t len);
int guest_mem__write(const struct guest_mem *gm, uint64_t gpa,
		     const void *src, size_t len);

/* One 16-bit guest value, loaded exactly once (ring indices, ring entries). */
static inline uint16_t guest_mem__load16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
}

#endif /* MINIVMM_GUEST_MEM_H */
