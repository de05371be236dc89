/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading KVM_GET_STATS_FD's binary stats from a selftest: the header, the
 * descriptors, and one counter by name.  The same code reads minikvm's
 * and KVM's counters.
 */
#ifndef MKVM_STATS_H
#define MKVM_STATS_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include "mkvm_vm.h"

/* KVM's name size (include/linux/kvm_host.h): not in the UAPI. */
#define STATS_NAME_SIZE	48

struct stats {
	int fd;
	struct kvm_stats_header h;
	char *descs;		/* num_desc descriptors, each desc_size bytes */
	size_t desc_size;
};

static inline void stats_open(struct stats *s, int fd)
{
	size_t len;

	s->fd = fd;
	MKVM_CHECK(fd >= 0, "KVM_GET_STATS_FD: %s", strerror(-fd));
	MKVM_CHECK(pread(fd, &s->h, sizeof(s->h), 0) == sizeof(s->h),
		   "header");
	s->desc_size = sizeof(struct kvm_stats_desc) + s->h.name_size;
	len = s->desc_size * s->h.num_desc;
	s->descs = malloc(len);
	MKVM_CHECK(s->descs, "malloc");
	MKVM_CHECK(pread(fd, s->descs, len, s->h.desc_offset) == (ssize_t)len,
		   "descriptors");
}

static inline void stats_close(struct stats *s)
{
	free(s->descs);
	close(s->fd);
}

static inline struct kvm_stats_desc *stats_desc(struct stats *s, unsigned int i)
{
	return (void *)(s->descs + i * s->desc_size);
}

/* The counter @name: true and its value in *@val, or false if absent. */
static inline bool stats_get(struct stats *s, const char *name, uint64_t *val)
{
	unsigned int i;

	for (i = 0; i < s->h.num_desc; i++) {
		struct kvm_stats_desc *d = stats_desc(s, i);

		if (strcmp(d->name, name))
			continue;
		MKVM_CHECK(pread(s->fd, val, sizeof(*val),
				 s->h.data_offset + d->offset) == sizeof(*val),
			   "read %s", name);
		return true;
	}
	return false;
}

static inline uint64_t stat_of(struct stats *s, const char *name)
{
	uint64_t v;

	MKVM_CHECK(stats_get(s, name, &v), "no counter %s", name);
	return v;
}

static inline int vcpu_stats_fd(struct mkvm_vcpu *vcpu)
{
	int fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);

	return fd < 0 ? -errno : fd;
}

static inline int vm_stats_fd(struct mkvm_vm *vm)
{
	int fd = ioctl(vm->fd, KVM_GET_STATS_FD, NULL);

	return fd < 0 ? -errno : fd;
}

#endif /* MKVM_STATS_H */
