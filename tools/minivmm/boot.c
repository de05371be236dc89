// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 Linux boot protocol (Documentation/arch/arm64/booting.rst),
 * as a boot loader keeps it:
 *
 *   RAM base (2 MiB aligned)
 *   + text_offset   the Image, and image_size bytes for it (BSS included)
 *   page aligned    the initrd, if any
 *   ...             free for the kernel
 *   last 2 MiB      the device tree: 8-byte aligned, at most 2 MiB, alone
 *                   in its 2 MiB block since the kernel maps it with
 *                   block mappings of up to that size
 *
 * vCPU 0 starts at the first byte of the Image, with x0 = the DTB's
 * address and x1-x3 = 0, in EL1 with the MMU off and interrupts masked
 * (which is how KVM_ARM_VCPU_INIT leaves it).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "fdt.h"
#include "kvm.h"
#include "kvm-cpu.h"
#include "vfio.h"

#define SZ_4K			0x1000ULL
#define SZ_2M			0x200000ULL
#define FDT_MAX_SIZE		0x10000ULL

#define ARM64_IMAGE_MAGIC	0x644d5241	/* "ARM\x64" */
#define ARM64_IMAGE_FLAG_BE	(1ULL << 0)
/* Before v3.17 image_size was 0 and text_offset this, in any endianness. */
#define ARM64_OLD_TEXT_OFFSET	0x80000ULL

#define ALIGN_UP(x, a)		(((x) + (a) - 1) & ~((a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((a) - 1))

/* The 64-byte header at the start of every arm64 Image. */
struct arm64_image_header {
	uint32_t code0;
	uint32_t code1;
	uint64_t text_offset;
	uint64_t image_size;
	uint64_t flags;
	uint64_t res2;
	uint64_t res3;
	uint64_t res4;
	uint32_t magic;
	uint32_t res5;
};

/* Open @path read-only; it must be a non-empty regular file. */
static int boot__open(const char *path, const char *what, uint64_t *size)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "minivmm: %s %s: %s\n", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !st.st_size) {
		fprintf(stderr, "minivmm: %s %s: not a non-empty regular file\n",
			what, path);
		close(fd);
		return -1;
	}
	*size = st.st_size;
	return fd;
}

/* Check the header; set the Image's load address and end in @lb. */
static int boot__parse_header(struct linux_boot *lb, uint64_t ram_base)
{
	struct arm64_image_header h;
	uint64_t text_offset, image_size;

	if (pread(lb->kernel_fd, &h, sizeof(h), 0) != sizeof(h) ||
	    le32toh(h.magic) != ARM64_IMAGE_MAGIC) {
		fprintf(stderr, "minivmm: kernel %s: not an arm64 Linux Image (no \"ARM\\x64\" magic at offset 0x38)\n",
			lb->kernel);
		return -1;
	}
	text_offset = le64toh(h.text_offset);
	image_size = le64toh(h.image_size);
	if (!image_size) {
		text_offset = ARM64_OLD_TEXT_OFFSET;
		image_size = lb->kernel_size;
	} else if (le64toh(h.flags) & ARM64_IMAGE_FLAG_BE) {
		fprintf(stderr, "minivmm: kernel %s: a big-endian Image; only little-endian guests are supported\n",
			lb->kernel);
		return -1;
	}
	if (image_size < lb->kernel_size)
		image_size = lb->kernel_size;
	if (text_offset >= SZ_2M || image_size > UINT32_MAX) {
		fprintf(stderr, "minivmm: kernel %s: implausible Image header (text_offset %#" PRIx64 ", image_size %#" PRIx64 ")\n",
			lb->kernel, text_offset, image_size);
		return -1;
	}
	lb->kernel_addr = ram_base + text_offset;
	lb->kernel_end = lb->kernel_addr + image_size;
	return 0;
}

/**
 * boot__prepare() - open the kernel and initrd and lay them out in RAM
 * @lb:		kernel, initrd and command line set by the caller
 * @ram_base:	guest RAM's IPA
 * @ram_size:	and size
 *
 * Everything that can be wrong with the files or the memory size is found
 * here, before a VM exists.
 *
 * Return: 0, or -1 with a message.
 */
int boot__prepare(struct linux_boot *lb, uint64_t ram_base, uint64_t ram_size)
{
	uint64_t ram_end = ram_base + ram_size, used_end;

	lb->kernel_fd = -1;
	lb->initrd_fd = -1;
	if (ram_base & (SZ_2M - 1)) {
		fprintf(stderr, "minivmm: --mem-base %#" PRIx64 ": a Linux Image needs RAM at a 2 MiB aligned address\n",
			ram_base);
		return -1;
	}
	lb->kernel_fd = boot__open(lb->kernel, "kernel", &lb->kernel_size);
	if (lb->kernel_fd < 0)
		return -1;
	if (boot__parse_header(lb, ram_base))
		return -1;
	if (lb->initrd) {
		lb->initrd_fd = boot__open(lb->initrd, "initrd", &lb->initrd_size);
		if (lb->initrd_fd < 0)
			return -1;
	}
	lb->initrd_addr = ALIGN_UP(lb->kernel_end, SZ_4K);
	used_end = lb->initrd_addr + lb->initrd_size;
	lb->dtb_addr = ALIGN_DOWN(ram_end - FDT_MAX_SIZE, SZ_2M);
	if (ram_size < SZ_2M || lb->dtb_addr < ram_base || used_end > lb->dtb_addr) {
		fprintf(stderr, "minivmm: -m %" PRIu64 ": guest RAM too small for kernel, initrd and device tree (2 MiB): need %" PRIu64 " MiB\n",
			ram_size >> 20,
			(uint64_t)(ALIGN_UP(used_end, SZ_2M) + SZ_2M - ram_base) >> 20);
		return -1;
	}
	return 0;
}

/**
 * boot__load() - copy kernel and initrd into RAM, write the DTB, set vCPU 0
 * @kvm:	the VM with its vCPUs and devices
 * @lb:		prepared by boot__prepare() for this VM's RAM
 *
 * Return: 0, or -1 with a message.
 */
int boot__load(struct kvm *kvm, struct linux_boot *lb)
{
	struct fdt_boot fb = {
		.bootargs = lb->cmdline,
	};
	unsigned int i;
	void *dtb;

	if (lseek(lb->kernel_fd, 0, SEEK_SET) ||
	    kvm__load_raw(kvm, lb->kernel_fd, lb->kernel_size, lb->kernel_addr,
			  lb->kernel))
		return -1;
	if (lb->initrd_fd >= 0) {
		if (kvm__load_raw(kvm, lb->initrd_fd, lb->initrd_size,
				  lb->initrd_addr, lb->initrd))
			return -1;
		fb.initrd_start = lb->initrd_addr;
		fb.initrd_end = lb->initrd_addr + lb->initrd_size;
	}
	/*
	 * The device tree describes the PCI bus: its devices come first, in
	 * the order given (slot 0, 1, ...).
	 */
	for (i = 0; i < lb->nr_vfio; i++)
		if (vfio__add(kvm, lb->vfio[i]))
			return -1;
	/* boot__prepare() put it inside RAM; checked again all the same. */
	dtb = guest_mem__ptr(&kvm->mem, lb->dtb_addr, FDT_MAX_SIZE);
	if (!dtb || fdt__build(kvm, &fb, dtb, FDT_MAX_SIZE))
		return -1;
	return kvm_cpu__set_entry(kvm->cpus[0], lb->kernel_addr, lb->dtb_addr);
}

void boot__cleanup(struct linux_boot *lb)
{
	if (lb->kernel_fd >= 0)
		close(lb->kernel_fd);
	if (lb->initrd_fd >= 0)
		close(lb->initrd_fd);
	lb->kernel_fd = -1;
	lb->initrd_fd = -1;
}
