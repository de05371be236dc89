// SPDX-License-Identifier: GPL-2.0
/*
 * The one translation from guest-physical addresses to host pointers; see
 * guest-mem.h.  Every check is written so that no sum can wrap: a guest
 * chooses both the address and the length.
 */
#include "guest-mem.h"

/**
 * guest_mem__contains() - is [gpa, gpa + len) inside guest RAM?
 * @gm:		guest memory
 * @gpa:	first guest-physical address
 * @len:	bytes; 0 is inside if @gpa is
 *
 * Return: whether the whole range is RAM.
 */
bool guest_mem__contains(const struct guest_mem *gm, uint64_t gpa,
			 uint64_t len)
{
	return gm->host && gpa >= gm->base && len <= gm->size &&
	       gpa - gm->base <= gm->size - len;
}

/**
 * guest_mem__ptr() - the host view of [gpa, gpa + len)
 * @gm:		guest memory
 * @gpa:	first guest-physical address
 * @len:	bytes the caller will touch, at most
 *
 * The pointer stays valid as long as the VM's RAM; what it points to can
 * change under the caller at any time (another vCPU).
 *
 * Return: the host address of @gpa, or NULL if any byte is not RAM.
 */
void *guest_mem__ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (!guest_mem__contains(gm, gpa, len))
		return NULL;
	return gm->host + (gpa - gm->base);
}

/**
 * guest_mem__read() - copy out of guest memory, once
 * @gm:		guest memory
 * @gpa:	source
 * @dst:	the VMM's copy, to be checked and then used
 * @len:	bytes
 *
 * Return: 0, or -1 (nothing copied) if the source is not all RAM.
 */
int guest_mem__read(const struct guest_mem *gm, uint64_t gpa, void *dst,
		    size_t len)
{
	const void *src = guest_mem__ptr(gm, gpa, len);

	if (!src)
		return -1;
	memcpy(dst, src, len);
	/* Uses of *dst must not turn into new loads from guest memory. */
	guest_mem__barrier();
	return 0;
}

/**
 * guest_mem__write() - copy into guest memory
 * @gm:		guest memory
 * @gpa:	destination
 * @src:	the data
 * @len:	bytes
 *
 * Return: 0, or -1 (nothing written) if the destination is not all RAM.
 */
int guest_mem__write(const struct guest_mem *gm, uint64_t gpa,
		     const void *src, size_t len)
{
	void *dst = guest_mem__ptr(gm, gpa, len);

	if (!dst)
		return -1;
	memcpy(dst, src, len);
	return 0;
}
