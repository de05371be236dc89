// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the arm64 Image and initrd loader (boot.c) with a
 * hostile kernel file.  Input: one byte of RAM size (1 to 16 MiB) and
 * placement, a 32-bit kernel length, the kernel, and the initrd (the rest,
 * if any).  Both become memfds; guest RAM is a heap buffer of exactly the
 * RAM size, so a load outside it is reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../boot.h"
#include "../kvm-cpu.h"
#include "fuzz.h"

static int memfd_with(const char *name, const uint8_t *data, size_t size,
		      char *path, size_t path_size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linux_boot lb = { .cmdline = "console=ttyAMA0" };
	char kpath[64], ipath[64];
	struct kvm_cpu cpu = { 0 };
	struct kvm_cpu *cpus[1] = { &cpu };
	struct kvm kvm = { 0 };
	int kfd, ifd = -1;
	uint32_t klen;
	uint64_t ram_size, ram_base;

	if (size < 5)
		return 0;
	ram_size = (1 + (data[0] & 15)) << 20;
	/* Bit 4: RAM not 2 MiB aligned, which a Linux Image refuses. */
	ram_base = FUZZ_RAM_BASE + (data[0] & 16 ? 0x1000 : 0);
	klen = data[1] | data[2] << 8 | data[3] << 16 | (uint32_t)data[4] << 24;
	data += 5;
	size -= 5;
	if (klen > size)
		klen = size;
	kfd = memfd_with("kernel", data, klen, kpath, sizeof(kpath));
	lb.kernel = kpath;
	if (data[-5] & 32) {
		ifd = memfd_with("initrd", data + klen, size - klen, ipath,
				 sizeof(ipath));
		lb.initrd = ipath;
	}

	kvm.cfg.ram_base = ram_base;
	kvm.cfg.ram_size = ram_size;
	kvm.mem.base = ram_base;
	kvm.mem.size = ram_size;
	kvm.cpus = cpus;
	kvm.nr_cpus = 1;
	if (!boot__prepare(&lb, ram_base, ram_size)) {
		kvm.mem.host = malloc(ram_size);
		if (!kvm.mem.host)
			abort();
		if (!boot__load(&kvm, &lb) &&
		    (fuzz_entry_pc != lb.kernel_addr ||
		     !guest_mem__contains(&kvm.mem, fuzz_entry_x0, 0x10000)))
			abort();	/* vCPU 0 must start in RAM, x0 at the DTB */
		free(kvm.mem.host);
	}
	boot__cleanup(&lb);
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	return 0;
}
