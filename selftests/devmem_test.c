// SPDX-License-Identifier: GPL-2.0
/*
 * Device memory behind a memslot: the VMM maps a PCI device's BAR (here
 * through sysfs, as VFIO does through its region mmap) and gives it to
 * the guest as a memslot, so that the guest's loads and stores reach the
 * device's registers without an exit.  Such a mapping is VM_IO|VM_PFNMAP:
 * no struct page, so get_user_pages() refuses it and the hypervisor has to
 * follow the VMM's page table to the frame.  The frame is mapped as Device
 * memory and never executable, and it goes from stage 2 when the VMM's
 * mapping goes.
 *
 * The device is QEMU's "edu" teaching device (scripts/qemu.sh adds one to
 * the test machine): BAR0 holds an identification register (0x00, reads
 * 0x010000ed) and a liveness register (0x04, reads back the complement of
 * what was written).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "mkvm_util.h"
#include "mkvm_vm.h"

#define BAR_IPA		0xc0000000ull
#define BAR_MAP_SIZE	0x10000ull
#define EDU_ID		0x010000edull
#define EDU_LIVENESS	0x04

#define ESR_EC(esr)	(((esr) >> 26) & 0x3f)
#define EC_IABT_CUR	0x21

MKVM_VM_FIXTURE(devmem);

/*
 * The sysfs directory of the edu device (vendor 0x1234, device 0x11e8),
 * its memory decoding enabled; NULL if the machine has none.
 */
static char *find_edu(void)
{
	static char path[300];
	struct dirent *d;
	DIR *dir = opendir("/sys/bus/pci/devices");
	char ids[2][16];
	int found = 0;

	if (!dir)
		return NULL;
	while (!found && (d = readdir(dir))) {
		static const char * const files[] = { "vendor", "device" };
		int i;

		if (d->d_name[0] == '.')
			continue;
		for (i = 0; i < 2; i++) {
			FILE *f;

			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s",
				 d->d_name, files[i]);
			f = fopen(path, "r");
			ids[i][0] = 0;
			if (f) {
				if (!fgets(ids[i], sizeof(ids[i]), f))
					ids[i][0] = 0;
				fclose(f);
			}
		}
		if (!strncmp(ids[0], "0x1234", 6) && !strncmp(ids[1], "0x11e8", 6)) {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s",
				 d->d_name);
			found = 1;
		}
	}
	closedir(dir);
	return found ? path : NULL;
}

/* BAR0 of the edu device, mmap()ed with @prot; fails the test if absent. */
static volatile uint32_t *map_edu_bar(int prot)
{
	char *dev = find_edu(), file[340];
	void *bar;
	int fd;

	MKVM_CHECK(dev, "no edu PCI device on this machine (scripts/qemu.sh adds one)");
	snprintf(file, sizeof(file), "%s/enable", dev);
	fd = open(file, O_WRONLY);
	MKVM_CHECK(fd >= 0 && write(fd, "1", 1) == 1, "enable %s: %s", dev,
		   strerror(errno));
	close(fd);
	snprintf(file, sizeof(file), "%s/resource0", dev);
	fd = open(file, (prot & PROT_WRITE) ? O_RDWR : O_RDONLY);
	MKVM_CHECK(fd >= 0, "open %s: %s", file, strerror(errno));
	bar = mmap(NULL, BAR_MAP_SIZE, prot, MAP_SHARED, fd, 0);
	MKVM_CHECK(bar != MAP_FAILED, "mmap %s: %s", file, strerror(errno));
	close(fd);
	return bar;
}

/* The BAR as slot 1 at BAR_IPA, as a VMM passing the device through would. */
static void add_bar_slot(struct mkvm_vm *vm, volatile uint32_t *bar)
{
	int ret = _vm_set_memory(vm, 1, 0, BAR_IPA, BAR_MAP_SIZE,
				 (uintptr_t)bar);

	MKVM_CHECK(!ret, "memslot over the BAR: %s", strerror(-ret));
}

/*
 * Report the ID register; write x1 to the liveness register, report what
 * it reads back; report the ID again (x2 = 1: then branch into the BAR).
 */
MKVM_GUEST(guest_edu,
	"movz	x6, #0xc000, lsl #16\n"
	"ldr	w3, [x6]\n"
	G_REPORT("x3")
	"str	w1, [x6, #4]\n"
	"ldr	w3, [x6, #4]\n"
	G_REPORT("x3")
	"ldr	w3, [x6]\n"
	G_REPORT("x3")
	"cbz	x2, 1f\n"
	"br	x6\n"
	"1:\n"
	G_DONE);

/* The guest's accesses reach the device, with no exit to the VMM. */
TEST_F(devmem, guest_reads_and_writes_device_registers)
{
	volatile uint32_t *bar = map_edu_bar(PROT_READ | PROT_WRITE);
	struct mkvm_vcpu *vcpu;

	ASSERT_EQ(EDU_ID, bar[0]);
	self->vm = vm_create(guest_edu, guest_edu_end);
	add_bar_slot(self->vm, bar);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0x12345678);
	vcpu_set_reg(vcpu, MKVM_XREG(2), 0);

	/* vcpu_report() fails on any exit that is not a report. */
	EXPECT_EQ(EDU_ID, vcpu_report(vcpu));
	EXPECT_EQ(0xedcba987ull, vcpu_report(vcpu));
	/* The device itself holds the guest's write. */
	EXPECT_EQ(0xedcba987u, bar[EDU_LIVENESS / 4]);
	bar[EDU_LIVENESS / 4] = 0x0f0f0f0f;
	EXPECT_EQ(EDU_ID, vcpu_report(vcpu));
	vcpu_done(vcpu);
	munmap((void *)bar, BAR_MAP_SIZE);
}

/*
 * Device memory is never executable for the guest: an instruction fetch
 * from it is a prefetch abort in the guest (the test's vectors report
 * it), not a mapping, a loop of faults or an error for the VMM.
 */
TEST_F(devmem, instruction_fetch_is_prefetch_abort)
{
	volatile uint32_t *bar = map_edu_bar(PROT_READ | PROT_WRITE);
	struct mkvm_vcpu *vcpu;
	int ret;

	self->vm = vm_create(guest_edu, guest_edu_end);
	add_bar_slot(self->vm, bar);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 1);
	vcpu_set_reg(vcpu, MKVM_XREG(2), 1);
	EXPECT_EQ(EDU_ID, vcpu_report(vcpu));
	EXPECT_EQ(0xfffffffeull, vcpu_report(vcpu));
	EXPECT_EQ(EDU_ID, vcpu_report(vcpu));
	ret = _vcpu_run(vcpu);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(KVM_EXIT_MMIO, vcpu->run->exit_reason);
	ASSERT_EQ(MKVM_UCALL_IPA + UCALL_EXCEPTION, vcpu->run->mmio.phys_addr)
		TH_LOG("the guest went on after branching into device memory");
	EXPECT_EQ(EC_IABT_CUR, ESR_EC(mkvm_mmio_data(vcpu->run)))
		TH_LOG("ESR_EL1 %#llx", (unsigned long long)mkvm_mmio_data(vcpu->run));
	EXPECT_EQ(BAR_IPA, vcpu_get_reg(vcpu, MKVM_ELR_EL1));
	munmap((void *)bar, BAR_MAP_SIZE);
}

/*
 * The VMM unmaps the BAR (as on a device reset or an unplug): the guest's
 * next access must not reach the device through a stale stage-2 entry.
 * With the memory behind the slot gone, KVM_RUN fails with -EFAULT.
 */
TEST_F(devmem, unmapped_bar_leaves_stage2)
{
	volatile uint32_t *bar = map_edu_bar(PROT_READ | PROT_WRITE);
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_edu, guest_edu_end);
	add_bar_slot(self->vm, bar);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0x55);
	vcpu_set_reg(vcpu, MKVM_XREG(2), 0);
	EXPECT_EQ(EDU_ID, vcpu_report(vcpu));
	ASSERT_EQ(0, munmap((void *)bar, BAR_MAP_SIZE));
	EXPECT_EQ(-EFAULT, _vcpu_run(vcpu));
}

/*
 * A BAR the VMM mapped read-only: the guest reads it, and its write is
 * refused (-EFAULT from KVM_RUN), never made through a writable entry.
 */
TEST_F(devmem, readonly_mapping_refuses_guest_write)
{
	volatile uint32_t *bar = map_edu_bar(PROT_READ);
	struct mkvm_vcpu *vcpu;

	self->vm = vm_create(guest_edu, guest_edu_end);
	add_bar_slot(self->vm, bar);
	vcpu = vm_vcpu_add(self->vm, 0);
	vcpu_set_reg(vcpu, MKVM_XREG(1), 0x99);
	vcpu_set_reg(vcpu, MKVM_XREG(2), 0);
	EXPECT_EQ(EDU_ID, vcpu_report(vcpu));
	EXPECT_EQ(-EFAULT, _vcpu_run(vcpu));
	EXPECT_NE(~0x99u, bar[EDU_LIVENESS / 4]);
	munmap((void *)bar, BAR_MAP_SIZE);
}

TEST_HARNESS_MAIN
