// SPDX-License-Identifier: GPL-2.0
/*
 * VFIO passthrough of one host PCI device (Documentation/driver-api/
 * vfio.rst in the kernel source; Documentation/io.rst here).
 *
 *   DMA      all of guest RAM is mapped in the device's IOMMU domain at
 *            its guest-physical address (VFIO_IOMMU_MAP_DMA), so the
 *            guest's driver programs guest-physical addresses and the
 *            host's SMMU translates them; anything else faults there.
 *   BARs     the guest places them (minivmm virtualises the BAR
 *            registers); each memory BAR VFIO lets us mmap() becomes a
 *            memslot at the guest's address while memory decode is on,
 *            so the guest's register accesses do not exit.  What cannot
 *            be mapped is trapped and forwarded through the region.
 *   config   read and written through VFIO's config region, which
 *            already virtualises what would let a user hurt the host;
 *            minivmm virtualises in addition the BARs, the expansion ROM
 *            (none), the interrupt line, and hides every capability and
 *            the extended config space: the guest sees a plain PCI device
 *            that interrupts through INTx.
 *   INTx     VFIO's eventfd feeds a resampling KVM_IRQFD on the slot's
 *            SPI; the guest's EOI comes back on the resample eventfd,
 *            which is VFIO's unmask eventfd.  No interrupt wakes minivmm.
 *
 * Everything the guest writes to config space or the window is checked
 * here: a BAR is mapped only whole, page aligned and inside the PCI MMIO
 * window, which overlaps neither RAM nor another device.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "kvm.h"
#include "pci.h"
#include "vfio.h"

#define VFIO_NR_BARS		6
/* Memslot numbers of the BARs: slot 0 is RAM. */
#define VFIO_SLOT_BASE		32
/* The standard config header; what is beyond it is hidden. */
#define VFIO_CFG_HDR		0x40
#define VFIO_CFG_STD		0x100

struct vfio_bar {
	uint64_t size;		/* 0: absent, I/O, or the upper half */
	uint64_t region_off;	/* its offset in the device fd */
	bool is64;
	void *map;		/* the whole BAR mmap()ed, or NULL: trapped */
	bool mapped;		/* a memslot at mapped_at */
	uint64_t mapped_at;
};

struct vfio_dev {
	struct pci_device pdev;
	struct kvm *kvm;
	char bdf[32];
	int container;
	int group;
	int fd;
	uint64_t cfg_off;	/* config region's offset in fd */
	struct vfio_bar bar[VFIO_NR_BARS];
	/* The BAR registers as the guest sees them, and their masks. */
	uint32_t bar_reg[VFIO_NR_BARS];
	uint32_t bar_mask[VFIO_NR_BARS];
	uint32_t bar_fixed[VFIO_NR_BARS];
	uint16_t command;	/* last written, for memory decode */
	uint8_t irq_line;
	int intx_fd;
	int unmask_fd;
	bool dma_mapped;
};

static int vfio__ioctl_err(struct vfio_dev *vdev, const char *what)
{
	fprintf(stderr, "minivmm: vfio %s: %s: %s\n", vdev->bdf, what,
		strerror(errno));
	return -1;
}

/* Guest-physical address of BAR @i as programmed. */
static uint64_t vfio__bar_addr(struct vfio_dev *vdev, unsigned int i)
{
	uint64_t addr = vdev->bar_reg[i] & PCI_BASE_ADDRESS_MEM_MASK;

	if (vdev->bar[i].is64)
		addr |= (uint64_t)vdev->bar_reg[i + 1] << 32;
	return addr;
}

static int vfio__set_slot(struct vfio_dev *vdev, unsigned int i, uint64_t gpa,
			  uint64_t size)
{
	struct kvm_userspace_memory_region region = {
		.slot = VFIO_SLOT_BASE + vdev->pdev.slot * VFIO_NR_BARS + i,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = size ? (uintptr_t)vdev->bar[i].map : 0,
	};

	return ioctl(vdev->kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

/*
 * Make the memslots follow the BAR registers and memory decode.  A BAR
 * that is disabled, partly outside the window, or overlapping another
 * mapped BAR (KVM refuses overlapping slots) is left unmapped: the
 * guest's accesses then trap, and see the device only while decode is
 * on and the BAR inside the window.
 */
static void vfio__update_bars(struct vfio_dev *vdev)
{
	bool decode = vdev->command & PCI_COMMAND_MEMORY;
	unsigned int i;

	/* Unmap first, so that a BAR may move onto another's old place. */
	for (i = 0; i < VFIO_NR_BARS; i++) {
		struct vfio_bar *b = &vdev->bar[i];
		uint64_t addr = vfio__bar_addr(vdev, i);

		if (!b->mapped || (decode && addr == b->mapped_at))
			continue;
		if (vfio__set_slot(vdev, i, b->mapped_at, 0))
			vfio__ioctl_err(vdev, "removing a BAR's memslot");
		b->mapped = false;
	}
	for (i = 0; decode && i < VFIO_NR_BARS; i++) {
		struct vfio_bar *b = &vdev->bar[i];
		uint64_t addr = vfio__bar_addr(vdev, i);

		if (!b->map || b->mapped || !pci__in_window(addr, b->size))
			continue;
		if (vfio__set_slot(vdev, i, addr, b->size))
			continue;
		b->mapped = true;
		b->mapped_at = addr;
	}
}

/* The guest's view of config byte @off (below VFIO_CFG_STD), or -1: pass. */
static int vfio__cfg_virt_byte(struct vfio_dev *vdev, uint32_t off)
{
	if (off >= PCI_BASE_ADDRESS_0 && off < PCI_CARDBUS_CIS) {
		unsigned int i = (off - PCI_BASE_ADDRESS_0) / 4;

		return (vdev->bar_reg[i] >> (8 * (off & 3))) & 0xff;
	}
	switch (off) {
	case PCI_STATUS:
		/* No capability list: the pointer below is 0. */
		return -2;
	case PCI_ROM_ADDRESS ... PCI_ROM_ADDRESS + 3:
	case PCI_CAPABILITY_LIST:
		return 0;
	case PCI_INTERRUPT_LINE:
		return vdev->irq_line;
	}
	return off >= VFIO_CFG_HDR ? 0 : -1;
}

static uint32_t vfio__cfg_read(struct pci_device *pdev, uint32_t off,
			       uint32_t len)
{
	struct vfio_dev *vdev = (struct vfio_dev *)pdev;
	uint8_t b[4] = { 0 };
	uint32_t i;

	if (off >= VFIO_CFG_STD)
		return 0;
	/* A failed read leaves zeroes: the device is gone or broken. */
	if (off < VFIO_CFG_HDR &&
	    pread(vdev->fd, b, len, vdev->cfg_off + off) != (ssize_t)len)
		memset(b, 0, sizeof(b));
	for (i = 0; i < len; i++) {
		int v = vfio__cfg_virt_byte(vdev, off + i);

		if (v == -2)
			b[i] &= ~PCI_STATUS_CAP_LIST;
		else if (v >= 0)
			b[i] = v;
	}
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void vfio__cfg_write(struct pci_device *pdev, uint32_t off,
			    uint32_t len, uint32_t val)
{
	struct vfio_dev *vdev = (struct vfio_dev *)pdev;
	bool update = false;
	uint32_t i;

	if (off >= VFIO_CFG_HDR)
		return;
	for (i = 0; i < len; i++) {
		uint32_t o = off + i;
		uint8_t byte = val >> (8 * i);

		if (o >= PCI_BASE_ADDRESS_0 && o < PCI_CARDBUS_CIS) {
			unsigned int bar = (o - PCI_BASE_ADDRESS_0) / 4;
			unsigned int shift = 8 * (o & 3);
			uint32_t reg = vdev->bar_reg[bar] & ~(0xffu << shift);

			reg |= (uint32_t)byte << shift;
			vdev->bar_reg[bar] = (reg & vdev->bar_mask[bar]) |
					     vdev->bar_fixed[bar];
			update = true;
			continue;
		}
		if (o == PCI_INTERRUPT_LINE) {
			vdev->irq_line = byte;
			continue;
		}
		if (vfio__cfg_virt_byte(vdev, o) != -1)
			continue;	/* read-only or hidden: dropped */
		/*
		 * VFIO checks what reaches the device: it keeps the bits of
		 * the header a user may not change (INTx disable is its own,
		 * for instance) whatever is written here.
		 */
		if (pwrite(vdev->fd, &byte, 1, vdev->cfg_off + o) != 1)
			vfio__ioctl_err(vdev, "config write");
		if (o == PCI_COMMAND) {
			vdev->command = (vdev->command & 0xff00) | byte;
			update = true;
		} else if (o == PCI_COMMAND + 1) {
			vdev->command = (vdev->command & 0xff) | byte << 8;
		}
	}
	if (update)
		vfio__update_bars(vdev);
}

/* A trapped access to a BAR: forwarded through the region. */
static bool vfio__mmio(struct pci_device *pdev, uint64_t addr, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct vfio_dev *vdev = (struct vfio_dev *)pdev;
	unsigned int i;

	if (!(vdev->command & PCI_COMMAND_MEMORY))
		return false;
	for (i = 0; i < VFIO_NR_BARS; i++) {
		struct vfio_bar *b = &vdev->bar[i];
		uint64_t base = vfio__bar_addr(vdev, i);
		ssize_t n;

		if (!b->size || !pci__in_window(base, b->size) ||
		    addr < base || addr - base > b->size - len)
			continue;
		if (is_write)
			n = pwrite(vdev->fd, data, len, b->region_off + addr - base);
		else
			n = pread(vdev->fd, data, len, b->region_off + addr - base);
		if (n != (ssize_t)len && !is_write)
			memset(data, 0xff, len);
		return true;
	}
	return false;
}

static void vfio__close(struct vfio_dev *vdev)
{
	unsigned int i;

	for (i = 0; i < VFIO_NR_BARS; i++) {
		if (vdev->bar[i].mapped)
			vfio__set_slot(vdev, i, vdev->bar[i].mapped_at, 0);
		if (vdev->bar[i].map)
			munmap(vdev->bar[i].map, vdev->bar[i].size);
	}
	if (vdev->fd >= 0) {
		/* Stop its DMA before guest RAM goes. */
		ioctl(vdev->fd, VFIO_DEVICE_RESET);
		close(vdev->fd);
	}
	if (vdev->intx_fd >= 0)
		close(vdev->intx_fd);
	if (vdev->unmask_fd >= 0)
		close(vdev->unmask_fd);
	if (vdev->group >= 0)
		close(vdev->group);
	/* Closing the container unmaps guest RAM from the IOMMU. */
	if (vdev->container >= 0)
		close(vdev->container);
	free(vdev);
}

static void vfio__exit(struct pci_device *pdev)
{
	vfio__close((struct vfio_dev *)pdev);
}

static const struct pci_device_ops vfio_ops = {
	.cfg_read = vfio__cfg_read,
	.cfg_write = vfio__cfg_write,
	.mmio = vfio__mmio,
	.exit = vfio__exit,
};

/* The container with a type1 IOMMU, the group in it, guest RAM mapped. */
static int vfio__open_group(struct vfio_dev *vdev)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vdev->kvm->mem.host,
		.iova = vdev->kvm->mem.base,
		.size = vdev->kvm->mem.size,
	};
	char path[PATH_MAX], link[PATH_MAX];
	const char *name;
	ssize_t n;
	int type;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 vdev->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		fprintf(stderr, "minivmm: vfio %s: no IOMMU group (%s: %s)\n",
			vdev->bdf, path, strerror(errno));
		return -1;
	}
	link[n] = '\0';
	name = strrchr(link, '/');
	name = name ? name + 1 : link;

	vdev->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (vdev->container < 0)
		return vfio__ioctl_err(vdev, "/dev/vfio/vfio");
	if (ioctl(vdev->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION) {
		fprintf(stderr, "minivmm: vfio %s: unknown VFIO API version\n",
			vdev->bdf);
		return -1;
	}
	type = VFIO_TYPE1v2_IOMMU;
	if (ioctl(vdev->container, VFIO_CHECK_EXTENSION, type) <= 0) {
		type = VFIO_TYPE1_IOMMU;
		if (ioctl(vdev->container, VFIO_CHECK_EXTENSION, type) <= 0) {
			fprintf(stderr, "minivmm: vfio %s: no type1 IOMMU support\n",
				vdev->bdf);
			return -1;
		}
	}
	/* A group is named by its number: short. */
	snprintf(path, sizeof(path), "/dev/vfio/%.32s", name);
	vdev->group = open(path, O_RDWR | O_CLOEXEC);
	if (vdev->group < 0)
		return vfio__ioctl_err(vdev, path);
	if (ioctl(vdev->group, VFIO_GROUP_GET_STATUS, &status))
		return vfio__ioctl_err(vdev, "VFIO_GROUP_GET_STATUS");
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		fprintf(stderr, "minivmm: vfio %s: IOMMU group %s is not viable (bind all its devices to vfio-pci)\n",
			vdev->bdf, name);
		return -1;
	}
	if (ioctl(vdev->group, VFIO_GROUP_SET_CONTAINER, &vdev->container))
		return vfio__ioctl_err(vdev, "VFIO_GROUP_SET_CONTAINER");
	if (ioctl(vdev->container, VFIO_SET_IOMMU, type))
		return vfio__ioctl_err(vdev, "VFIO_SET_IOMMU");
	if (ioctl(vdev->container, VFIO_IOMMU_MAP_DMA, &map))
		return vfio__ioctl_err(vdev, "VFIO_IOMMU_MAP_DMA of guest RAM");
	vdev->dma_mapped = true;
	vdev->fd = ioctl(vdev->group, VFIO_GROUP_GET_DEVICE_FD, vdev->bdf);
	if (vdev->fd < 0)
		return vfio__ioctl_err(vdev, "VFIO_GROUP_GET_DEVICE_FD");
	return 0;
}

/* The BARs' sizes from VFIO, their type bits from config space. */
static int vfio__setup_bars(struct vfio_dev *vdev)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned int i;

	for (i = 0; i < VFIO_NR_BARS; i++) {
		struct vfio_region_info info = {
			.argsz = sizeof(info),
			.index = VFIO_PCI_BAR0_REGION_INDEX + i,
		};
		struct vfio_bar *b = &vdev->bar[i];
		uint32_t reg;

		if (ioctl(vdev->fd, VFIO_DEVICE_GET_REGION_INFO, &info))
			return vfio__ioctl_err(vdev, "VFIO_DEVICE_GET_REGION_INFO");
		if (!info.size)
			continue;
		if (pread(vdev->fd, &reg, 4, vdev->cfg_off + PCI_BASE_ADDRESS_0 + 4 * i) != 4)
			return vfio__ioctl_err(vdev, "reading a BAR");
		/* No I/O window in the guest: I/O BARs are hidden. */
		if (reg & PCI_BASE_ADDRESS_SPACE_IO)
			continue;
		if (info.size & (info.size - 1)) {
			fprintf(stderr, "minivmm: vfio %s: BAR %u's size %#llx is not a power of two\n",
				vdev->bdf, i, (unsigned long long)info.size);
			return -1;
		}
		b->size = info.size;
		b->region_off = info.offset;
		b->is64 = (reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) ==
			  PCI_BASE_ADDRESS_MEM_TYPE_64;
		vdev->bar_fixed[i] = reg & ~PCI_BASE_ADDRESS_MEM_MASK;
		vdev->bar_mask[i] = (uint32_t)~(info.size - 1) &
				    PCI_BASE_ADDRESS_MEM_MASK;
		if (b->is64) {
			if (i + 1 == VFIO_NR_BARS)
				return -1;
			vdev->bar_mask[i + 1] = (uint32_t)(~(info.size - 1) >> 32);
		}
		vdev->bar_reg[i] = vdev->bar_fixed[i];
		/* Smaller than a page, it cannot be a memslot: trapped. */
		if ((info.flags & VFIO_REGION_INFO_FLAG_MMAP) &&
		    info.size >= (uint64_t)page) {
			b->map = mmap(NULL, info.size, PROT_READ | PROT_WRITE,
				      MAP_SHARED, vdev->fd, info.offset);
			if (b->map == MAP_FAILED)
				b->map = NULL;
		}
		if (b->is64)
			i++;
	}
	return 0;
}

/* INTx through a resampling irqfd, if the device has a pin. */
static int vfio__setup_intx(struct vfio_dev *vdev)
{
	struct vfio_irq_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_INTX_IRQ_INDEX,
	};
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.index = VFIO_PCI_INTX_IRQ_INDEX,
			.count = 1,
		},
	};
	struct kvm_irqfd irqfd = { .flags = KVM_IRQFD_FLAG_RESAMPLE };
	uint8_t pin = 0;

	if (ioctl(vdev->fd, VFIO_DEVICE_GET_IRQ_INFO, &info))
		return vfio__ioctl_err(vdev, "VFIO_DEVICE_GET_IRQ_INFO");
	if (pread(vdev->fd, &pin, 1, vdev->cfg_off + PCI_INTERRUPT_PIN) != 1)
		return vfio__ioctl_err(vdev, "reading the interrupt pin");
	if (!info.count || !pin || pin > 4) {
		fprintf(stderr, "minivmm: vfio %s: no INTx (and MSI is not supported yet)\n",
			vdev->bdf);
		return -1;
	}
	vdev->intx_fd = eventfd(0, EFD_CLOEXEC);
	vdev->unmask_fd = eventfd(0, EFD_CLOEXEC);
	if (vdev->intx_fd < 0 || vdev->unmask_fd < 0)
		return vfio__ioctl_err(vdev, "eventfd");
	irq.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq.fd = vdev->intx_fd;
	if (ioctl(vdev->fd, VFIO_DEVICE_SET_IRQS, &irq))
		return vfio__ioctl_err(vdev, "VFIO_DEVICE_SET_IRQS INTx trigger");
	irq.set.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK;
	irq.fd = vdev->unmask_fd;
	if (ioctl(vdev->fd, VFIO_DEVICE_SET_IRQS, &irq))
		return vfio__ioctl_err(vdev, "VFIO_DEVICE_SET_IRQS INTx unmask");
	irqfd.fd = vdev->intx_fd;
	irqfd.resamplefd = vdev->unmask_fd;
	irqfd.gsi = pci__intx_spi(&vdev->pdev, pin);
	if (ioctl(vdev->kvm->vm_fd, KVM_IRQFD, &irqfd))
		return vfio__ioctl_err(vdev, "KVM_IRQFD for INTx");
	return 0;
}

/**
 * vfio__add() - pass the host PCI device @bdf through to the guest
 * @kvm:	the VM with its RAM and in-kernel GIC, before any vCPU runs
 * @bdf:	the device, as in /sys/bus/pci/devices (0000:00:03.0);
 *		bound to vfio-pci, its IOMMU group viable
 *
 * Return: 0, or -1 with a message.
 */
int vfio__add(struct kvm *kvm, const char *bdf)
{
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_dev *vdev;
	uint16_t cmd;

	if (strlen(bdf) >= sizeof(vdev->bdf) || strchr(bdf, '/') ||
	    bdf[0] == '.') {
		fprintf(stderr, "minivmm: --vfio %s: expected a PCI address like 0000:00:03.0\n",
			bdf);
		return -1;
	}
	vdev = calloc(1, sizeof(*vdev));
	if (!vdev) {
		fprintf(stderr, "minivmm: vfio %s: out of memory\n", bdf);
		return -1;
	}
	snprintf(vdev->bdf, sizeof(vdev->bdf), "%s", bdf);
	vdev->kvm = kvm;
	vdev->container = -1;
	vdev->group = -1;
	vdev->fd = -1;
	vdev->intx_fd = -1;
	vdev->unmask_fd = -1;
	vdev->pdev.ops = &vfio_ops;
	vdev->pdev.name = vdev->bdf;
	if (vfio__open_group(vdev))
		goto err_close;
	if (ioctl(vdev->fd, VFIO_DEVICE_GET_INFO, &info)) {
		vfio__ioctl_err(vdev, "VFIO_DEVICE_GET_INFO");
		goto err_close;
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		fprintf(stderr, "minivmm: vfio %s: not a PCI device\n", bdf);
		goto err_close;
	}
	/* Whatever its last user left running, stopped. */
	if (info.flags & VFIO_DEVICE_FLAGS_RESET)
		ioctl(vdev->fd, VFIO_DEVICE_RESET);
	if (ioctl(vdev->fd, VFIO_DEVICE_GET_REGION_INFO, &cfg)) {
		vfio__ioctl_err(vdev, "config region");
		goto err_close;
	}
	vdev->cfg_off = cfg.offset;
	/* Decode and bus mastering off until the guest's driver says. */
	cmd = 0;
	if (pread(vdev->fd, &cmd, 2, vdev->cfg_off + PCI_COMMAND) != 2) {
		vfio__ioctl_err(vdev, "config read");
		goto err_close;
	}
	cmd &= ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	if (pwrite(vdev->fd, &cmd, 2, vdev->cfg_off + PCI_COMMAND) != 2) {
		vfio__ioctl_err(vdev, "config write");
		goto err_close;
	}
	vdev->command = cmd;
	if (vfio__setup_bars(vdev) || pci__add(kvm, &vdev->pdev))
		goto err_close;
	/* The device is the bus's now: pci__exit() closes it. */
	return vfio__setup_intx(vdev);

err_close:
	vfio__close(vdev);
	return -1;
}
