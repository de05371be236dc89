// SPDX-License-Identifier: GPL-2.0
/*
 * The MMIO bus.  KVM_EXIT_MMIO reaches userspace for a guest access to an
 * IPA outside every memslot that the kernel does not emulate itself; the
 * bus finds the device that claimed the address and hands it the access.
 *
 * Ranges are registered before the first vCPU runs and never change
 * afterwards, so vCPU threads walk the list without a lock; devices
 * serialize their own state.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm.h"
#include "mmio.h"

struct mmio_range {
	uint64_t start;
	uint64_t len;
	mmio_handler_t *handler;
	void *dev;
	const char *name;
	struct mmio_range *next;
};

/* Does [a, a + alen) overlap [b, b + blen)?  Both lengths are non-zero. */
static bool mmio__overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a <= b + (blen - 1) && b <= a + (alen - 1);
}

/**
 * mmio__register() - claim a guest-physical range for an emulated device
 * @kvm:	the VM
 * @start:	first IPA of the range
 * @len:	its size in bytes
 * @handler:	called for every access inside the range
 * @dev:	handed back to @handler
 * @name:	for messages
 *
 * Return: 0, or -1 (with a message) if the range is empty, wraps, overlaps
 * another device or guest RAM.
 */
int mmio__register(struct kvm *kvm, uint64_t start, uint64_t len,
		   mmio_handler_t *handler, void *dev, const char *name)
{
	struct mmio_range *r;

	if (!len || start + (len - 1) < start) {
		fprintf(stderr, "minivmm: %s: invalid MMIO range %#" PRIx64 "+%#" PRIx64 "\n",
			name, start, len);
		return -1;
	}
	/* RAM would win: the kernel never exits for an IPA inside a memslot. */
	if (mmio__overlaps(start, len, kvm->cfg.ram_base, kvm->cfg.ram_size)) {
		fprintf(stderr, "minivmm: %s at %#" PRIx64 " overlaps guest RAM\n",
			name, start);
		return -1;
	}
	for (r = kvm->mmio_ranges; r; r = r->next) {
		if (mmio__overlaps(start, len, r->start, r->len)) {
			fprintf(stderr, "minivmm: %s at %#" PRIx64 " overlaps %s\n",
				name, start, r->name);
			return -1;
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		fprintf(stderr, "minivmm: %s: out of memory\n", name);
		return -1;
	}
	r->start = start;
	r->len = len;
	r->handler = handler;
	r->dev = dev;
	r->name = name;
	r->next = kvm->mmio_ranges;
	kvm->mmio_ranges = r;
	return 0;
}

static struct mmio_range *mmio__find(struct kvm *kvm, uint64_t addr, uint32_t len)
{
	struct mmio_range *r;

	for (r = kvm->mmio_ranges; r; r = r->next)
		if (addr >= r->start && len <= r->len &&
		    addr - r->start <= r->len - len)
			return r;
	return NULL;
}

/*
 * Warn once per address: a guest polling a missing device must not flood.
 * At most MMIO_WARN_MAX addresses, then one last line: a guest scanning
 * the address space must not flood either, nor grow the heap or the scan.
 */
static void mmio__warn_unclaimed(struct kvm *kvm, uint64_t addr, uint32_t len,
				 bool is_write)
{
	unsigned int i;

	pthread_mutex_lock(&kvm->mmio_warn_lock);
	for (i = 0; i < kvm->nr_mmio_warned; i++)
		if (kvm->mmio_warned[i] == addr)
			goto out;
	if (kvm->nr_mmio_warned == MMIO_WARN_MAX) {
		if (!kvm->mmio_warn_capped)
			fprintf(stderr, "minivmm: warning: unhandled MMIO at %d addresses; no more are reported\n",
				MMIO_WARN_MAX);
		kvm->mmio_warn_capped = true;
		goto out;
	}
	kvm->mmio_warned[kvm->nr_mmio_warned++] = addr;
	fprintf(stderr, "minivmm: warning: unhandled MMIO %s of %u bytes at %#" PRIx64 " (no device; %s)\n",
		is_write ? "write" : "read", len, addr,
		is_write ? "ignored" : "reads as 0");
out:
	pthread_mutex_unlock(&kvm->mmio_warn_lock);
}

/**
 * mmio__dispatch() - hand one guest MMIO access to the device that claimed it
 * @kvm:	the VM
 * @addr:	IPA of the access
 * @data:	little-endian data, filled on reads
 * @len:	bytes, 1 to 8 (the size of kvm_run's data)
 * @is_write:	direction
 *
 * An access no device claimed is not fatal, as on real hardware with an
 * unpopulated bus: writes are dropped and reads return 0.  A length that
 * does not fit kvm_run's 8 data bytes is not passed on to any device.
 */
void mmio__dispatch(struct kvm *kvm, uint64_t addr, uint8_t *data,
		    uint32_t len, bool is_write)
{
	struct mmio_range *r;

	if (!len || len > 8) {
		if (!is_write)
			memset(data, 0, 8);
		mmio__warn_unclaimed(kvm, addr, len, is_write);
		return;
	}
	r = mmio__find(kvm, addr, len);

	if (r) {
		r->handler(r->dev, addr - r->start, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0, len);
	mmio__warn_unclaimed(kvm, addr, len, is_write);
}

void mmio__exit(struct kvm *kvm)
{
	while (kvm->mmio_ranges) {
		struct mmio_range *r = kvm->mmio_ranges;

		kvm->mmio_ranges = r->next;
		free(r);
	}
}
