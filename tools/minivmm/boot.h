/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Booting an arm64 Linux Image: where the kernel, the initrd and the
 * device tree go in guest RAM, and the state vCPU 0 starts in.
 */
#ifndef MINIVMM_BOOT_H
#define MINIVMM_BOOT_H

#include <stdint.h>

struct kvm;

/* As many as the guest's PCI bus has slots (PCI_MAX_DEVS). */
#define BOOT_MAX_VFIO	4

struct linux_boot {
	/* From the command line. */
	const char *kernel;
	const char *initrd;		/* or NULL */
	const char *cmdline;
	/* --vfio, each time given: host PCI devices, one slot each. */
	const char *vfio[BOOT_MAX_VFIO];
	unsigned int nr_vfio;

	/* Worked out by boot__prepare(). */
	int kernel_fd;
	int initrd_fd;
	uint64_t kernel_size;		/* of the file */
	uint64_t kernel_addr;		/* IPA of the Image, its entry point */
	uint64_t kernel_end;		/* first byte after image_size */
	uint64_t initrd_size;
	uint64_t initrd_addr;
	uint64_t dtb_addr;
};

int boot__prepare(struct linux_boot *lb, uint64_t ram_base, uint64_t ram_size);
int boot__load(struct kvm *kvm, struct linux_boot *lb);
void boot__cleanup(struct linux_boot *lb);

#endif /* MINIVMM_BOOT_H */
