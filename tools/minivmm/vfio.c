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
 *            so the guest's register accesses do not exit.  The pages of
 *            the MSI-X table are left out, and what cannot be mapped is
 *            trapped and forwarded through the region.
 *   config   read and written through VFIO's config region, which
 *            already virtualises what would let a user hurt the host;
 *            minivmm virtualises in addition the BARs, the expansion ROM
 *            (none), the interrupt line, and hides every capability but
 *            MSI-X (whose enable and mask bits it keeps) and the extended
 *            config space.  In their place, for a device VFIO can reset,
 *            an emulated PCI Express capability that offers Function
 *            Level Reset.
 *   FLR      the guest's Initiate FLR becomes VFIO_DEVICE_RESET, after
 *            MSI-X is torn down (VFIO's vectors off, the irqfds gone,
 *            their eventfds drained): nothing the device signalled
 *            before the reset reaches the guest after it.  The BARs
 *            keep the guest's addresses; MSI-X is off and every vector
 *            masked, as on a device just reset.
 *   MSI-X    the guest's table is minivmm's copy; each vector is a GSI
 *            with an MSI route (the guest's doorbell address and event
 *            ID, the requester ID as DeviceID) to the vITS, and VFIO's
 *            eventfd for the vector an irqfd on that GSI.
 *   INTx     (with ",intx", or a device without MSI-X) VFIO's eventfd
 *            feeds a resampling KVM_IRQFD on the slot's SPI; the guest's
 *            EOI comes back on the resample eventfd, which is VFIO's
 *            unmask eventfd.  No interrupt wakes minivmm either way.
 *
 * Everything the guest writes to config space or the window is checked
 * here: a BAR is mapped only whole, page aligned and inside the PCI MMIO
 * window, which overlaps neither RAM nor another device.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
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
/*
 * The emulated PCI Express capability: version 2, a Root Complex
 * Integrated Endpoint (no link, no slot: the guest's bus has no bridges),
 * 0x3c bytes, at one of two places (whichever MSI-X leaves free).
 */
#define VFIO_EXP_SIZE		PCI_CAP_EXP_ENDPOINT_SIZEOF_V2
#define VFIO_EXP_AT_HIGH	0xc0
#define VFIO_EXP_AT_LOW		VFIO_CFG_HDR
#define VFIO_EXP_FLAGS		(2 | PCI_EXP_TYPE_RC_END << 4)
/* Max_Read_Request_Size 512, relaxed ordering and no snoop on. */
#define VFIO_EXP_DEVCTL_RESET	0x2810

struct vfio_bar {
	uint64_t size;		/* 0: absent, I/O, or the upper half */
	uint64_t region_off;	/* its offset in the device fd */
	bool is64;
	void *map;		/* the whole BAR mmap()ed, or NULL: trapped */
	/*
	 * The pages of the MSI-X table stay trapped: the BAR is mapped as
	 * up to two memslots, [0, hole_start) and [hole_end, size).
	 */
	uint64_t hole_start;
	uint64_t hole_end;
	struct {
		bool mapped;	/* a memslot, at this IPA: */
		uint64_t at;
	} part[2];
};

/* The device's MSI-X capability as the guest sees it; see vfio__msix_*. */
struct vfio_msix {
	uint8_t cap;		/* config offset, 0: no MSI-X for the guest */
	uint16_t ctrl;		/* Message Control's enable and mask bits */
	unsigned int nr;	/* table entries */
	unsigned int bar;
	uint64_t table_off;	/* in the BAR */
	uint32_t (*table)[4];	/* the guest's entries */
	bool on;		/* VFIO's MSI-X enabled, fds[] in place */
	int *fds;
	unsigned long accesses;	/* to the table, for --stats */
};

/* The emulated PCI Express capability; see vfio__exp_byte(). */
struct vfio_exp {
	uint8_t cap;		/* config offset, 0: none (no reset in VFIO) */
	uint16_t devctl;	/* Device Control, Initiate FLR reading 0 */
	unsigned long flrs;	/* resets done, for --stats */
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
	bool intx_on;
	struct vfio_msix msix;
	struct vfio_exp exp;
	bool dma_mapped;
	/* The host's "give the device back" (vfio__setup_req()). */
	int req_fd;
	pthread_t req_thread;
	bool req_thread_on;
	atomic_bool req_quit;
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

/* Part @p of BAR @i: its offset in the BAR and size (0: none). */
static void vfio__bar_part(struct vfio_bar *b, unsigned int p, uint64_t *off,
			   uint64_t *size)
{
	if (b->hole_end <= b->hole_start) {
		*off = 0;
		*size = p ? 0 : b->size;
	} else if (!p) {
		*off = 0;
		*size = b->hole_start;
	} else {
		*off = b->hole_end;
		*size = b->size - b->hole_end;
	}
}

/* Map part @p of BAR @i at @gpa, or with @map false remove its memslot. */
static int vfio__set_slot(struct vfio_dev *vdev, unsigned int i,
			  unsigned int p, uint64_t gpa, bool map)
{
	struct vfio_bar *b = &vdev->bar[i];
	struct kvm_userspace_memory_region region = {
		.slot = VFIO_SLOT_BASE +
			(vdev->pdev.slot * VFIO_NR_BARS + i) * 2 + p,
		.guest_phys_addr = gpa,
	};
	uint64_t off, size;

	vfio__bar_part(b, p, &off, &size);
	if (map) {
		region.guest_phys_addr = gpa + off;
		region.memory_size = size;
		region.userspace_addr = (uintptr_t)b->map + off;
	}
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

	unsigned int p;

	/* Unmap first, so that a BAR may move onto another's old place. */
	for (i = 0; i < VFIO_NR_BARS; i++) {
		struct vfio_bar *b = &vdev->bar[i];
		uint64_t addr = vfio__bar_addr(vdev, i);

		for (p = 0; p < 2; p++) {
			if (!b->part[p].mapped ||
			    (decode && addr == b->part[p].at))
				continue;
			if (vfio__set_slot(vdev, i, p, b->part[p].at, false))
				vfio__ioctl_err(vdev, "removing a BAR's memslot");
			b->part[p].mapped = false;
		}
	}
	for (i = 0; decode && i < VFIO_NR_BARS; i++) {
		struct vfio_bar *b = &vdev->bar[i];
		uint64_t addr = vfio__bar_addr(vdev, i), off, size;

		if (!b->map || !pci__in_window(addr, b->size))
			continue;
		for (p = 0; p < 2; p++) {
			vfio__bar_part(b, p, &off, &size);
			if (!size || b->part[p].mapped ||
			    vfio__set_slot(vdev, i, p, addr, true))
				continue;
			b->part[p].mapped = true;
			b->part[p].at = addr;
		}
	}
}

/*
 * VFIO_DEVICE_SET_IRQS for the one interrupt of @index: @action (trigger,
 * unmask) through eventfd @fd, or with @fd < 0 no eventfd at all (for a
 * trigger: the interrupt off).  Return: 0, or -1 with @what logged.
 */
static int vfio__set_irq(struct vfio_dev *vdev, uint32_t index,
			 uint32_t action, int fd, const char *what)
{
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = {
		.set = {
			.argsz = sizeof(irq),
			.flags = (fd < 0 ? VFIO_IRQ_SET_DATA_NONE :
					   VFIO_IRQ_SET_DATA_EVENTFD) | action,
			.index = index,
			.count = fd < 0 ? 0 : 1,
		},
		.fd = fd,
	};

	if (ioctl(vdev->fd, VFIO_DEVICE_SET_IRQS, &irq))
		return vfio__ioctl_err(vdev, what);
	return 0;
}

/*
 * INTx on or off in VFIO: VFIO has one interrupt type at a time, so INTx
 * goes off while MSI-X is on.  The irqfd stays: nothing signals it then.
 */
static int vfio__intx_set(struct vfio_dev *vdev, bool on)
{
	if (vdev->intx_fd < 0 || vdev->intx_on == on)
		return 0;
	if (on) {
		if (vfio__set_irq(vdev, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_TRIGGER, vdev->intx_fd,
				  "VFIO_DEVICE_SET_IRQS INTx trigger") ||
		    vfio__set_irq(vdev, VFIO_PCI_INTX_IRQ_INDEX,
				  VFIO_IRQ_SET_ACTION_UNMASK, vdev->unmask_fd,
				  "VFIO_DEVICE_SET_IRQS INTx unmask"))
			return -1;
	} else if (vfio__set_irq(vdev, VFIO_PCI_INTX_IRQ_INDEX,
				 VFIO_IRQ_SET_ACTION_TRIGGER, -1,
				 "VFIO_DEVICE_SET_IRQS INTx off")) {
		return -1;
	}
	vdev->intx_on = on;
	return 0;
}

/* Vector @v's route: the guest's message while MSI-X is enabled. */
static void vfio__msix_route(struct vfio_dev *vdev, unsigned int v)
{
	struct vfio_msix *m = &vdev->msix;
	uint64_t addr = m->table[v][0] | (uint64_t)m->table[v][1] << 32;
	bool enabled = m->ctrl & PCI_MSIX_FLAGS_ENABLE;

	/*
	 * A masked vector keeps its route: the guest's driver also masks
	 * the LPI in its ITS, which holds it pending; what matters is not
	 * to lose a message across a mask.
	 */
	pci__set_msi_route(vdev->kvm, &vdev->pdev, v, addr, m->table[v][2],
			   enabled && addr);
}

/*
 * The guest's Message Control changed: VFIO's MSI-X on with one eventfd
 * per vector, each an irqfd on the vector's MSI GSI, or all of it off and
 * INTx back.  Failures are reported; the guest then gets no interrupts,
 * as with a broken device.
 */
static void vfio__msix_update(struct vfio_dev *vdev)
{
	struct vfio_msix *m = &vdev->msix;
	bool enable = m->ctrl & PCI_MSIX_FLAGS_ENABLE;
	struct vfio_irq_set *set;
	size_t argsz = sizeof(*set) + m->nr * sizeof(int32_t);
	unsigned int v;

	if (enable == m->on) {
		for (v = 0; v < m->nr; v++)
			vfio__msix_route(vdev, v);
		return;
	}
	set = calloc(1, argsz);
	if (!set) {
		fprintf(stderr, "minivmm: vfio %s: out of memory\n", vdev->bdf);
		return;
	}
	set->argsz = argsz;
	set->index = VFIO_PCI_MSIX_IRQ_INDEX;
	if (enable) {
		vfio__intx_set(vdev, false);
		set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		set->count = m->nr;
		for (v = 0; v < m->nr; v++) {
			struct kvm_irqfd irqfd = {
				.fd = m->fds[v],
				.gsi = pci__msi_gsi(&vdev->pdev, v),
			};

			if (ioctl(vdev->kvm->vm_fd, KVM_IRQFD, &irqfd))
				vfio__ioctl_err(vdev, "KVM_IRQFD for MSI-X");
			memcpy(set->data + v * sizeof(int32_t), &m->fds[v],
			       sizeof(int32_t));
		}
		/* Routes first: a message may come as soon as VFIO has them. */
		for (v = 0; v < m->nr; v++)
			vfio__msix_route(vdev, v);
		if (ioctl(vdev->fd, VFIO_DEVICE_SET_IRQS, set))
			vfio__ioctl_err(vdev, "VFIO_DEVICE_SET_IRQS MSI-X");
		m->on = true;
	} else {
		set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
		if (ioctl(vdev->fd, VFIO_DEVICE_SET_IRQS, set))
			vfio__ioctl_err(vdev, "VFIO_DEVICE_SET_IRQS MSI-X off");
		for (v = 0; v < m->nr; v++) {
			struct kvm_irqfd irqfd = {
				.fd = m->fds[v],
				.gsi = pci__msi_gsi(&vdev->pdev, v),
				.flags = KVM_IRQFD_FLAG_DEASSIGN,
			};

			ioctl(vdev->kvm->vm_fd, KVM_IRQFD, &irqfd);
			vfio__msix_route(vdev, v);
		}
		m->on = false;
		vfio__intx_set(vdev, true);
	}
	free(set);
}

/*
 * Byte @rel of the emulated PCI Express capability: FLR in Device
 * Capabilities, the guest's Device Control, and zeroes for what a Root
 * Complex Integrated Endpoint without the optional features has (no
 * transaction pending in Device Status, no link, no Device Capabilities
 * 2 features).
 */
static int vfio__exp_byte(struct vfio_dev *vdev, uint32_t rel)
{
	uint32_t devcap = PCI_EXP_DEVCAP_FLR;

	switch (rel) {
	case PCI_CAP_LIST_ID:
		return PCI_CAP_ID_EXP;
	case PCI_CAP_LIST_NEXT:
		return 0;	/* the last capability */
	case PCI_EXP_FLAGS:
	case PCI_EXP_FLAGS + 1:
		return (VFIO_EXP_FLAGS >> (8 * (rel - PCI_EXP_FLAGS))) & 0xff;
	case PCI_EXP_DEVCAP ... PCI_EXP_DEVCAP + 3:
		return (devcap >> (8 * (rel - PCI_EXP_DEVCAP))) & 0xff;
	case PCI_EXP_DEVCTL:
	case PCI_EXP_DEVCTL + 1:
		return (vdev->exp.devctl >> (8 * (rel - PCI_EXP_DEVCTL))) & 0xff;
	}
	return 0;
}

/* Read what an eventfd has counted, so that a new irqfd does not fire on it. */
static void vfio__drain(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t count;

	if (fd >= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) &&
	    read(fd, &count, sizeof(count)) != sizeof(count))
		return;	/* nothing counted after all */
}

/*
 * The guest set Initiate FLR.  The reset itself is the host kernel's
 * (VFIO_DEVICE_RESET: the device's FLR, or what else the host's PCI core
 * can do for it, with the host's config state saved and restored around
 * it, and this process's BAR mappings zapped meanwhile: the guest's next
 * access faults them back in).  What minivmm holds of the device is put
 * as a reset leaves it, MSI-X first, so that no message from before the
 * reset arrives after it: VFIO's vectors off, the irqfds deassigned and
 * their eventfds drained (a KVM_IRQFD assigned on an eventfd that already
 * counts injects at once), routes invalid, the table's vectors masked.
 * The BAR registers, the guest's Command register (restored by the host)
 * and INTx's wiring stay.  The config write that asked returns only when
 * the reset is done, which the guest's 100 ms wait after FLR allows.
 */
static void vfio__flr(struct vfio_dev *vdev)
{
	struct vfio_msix *m = &vdev->msix;
	unsigned int v;

	if (m->cap) {
		m->ctrl = 0;
		for (v = 0; v < m->nr; v++) {
			memset(m->table[v], 0, sizeof(m->table[v]));
			m->table[v][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		}
		vfio__msix_update(vdev);
		for (v = 0; v < m->nr; v++)
			vfio__drain(m->fds[v]);
	}
	if (ioctl(vdev->fd, VFIO_DEVICE_RESET))
		vfio__ioctl_err(vdev, "VFIO_DEVICE_RESET for the guest's FLR");
	else
		vdev->exp.flrs++;
}

/* The guest's view of config byte @off (below VFIO_CFG_STD), or -1: pass. */
static int vfio__cfg_virt_byte(struct vfio_dev *vdev, uint32_t off)
{
	if (vdev->exp.cap && off >= vdev->exp.cap &&
	    off < vdev->exp.cap + (uint32_t)VFIO_EXP_SIZE)
		return vfio__exp_byte(vdev, off - vdev->exp.cap);
	if (off >= PCI_BASE_ADDRESS_0 && off < PCI_CARDBUS_CIS) {
		unsigned int i = (off - PCI_BASE_ADDRESS_0) / 4;

		return (vdev->bar_reg[i] >> (8 * (off & 3))) & 0xff;
	}
	if (vdev->msix.cap && off >= vdev->msix.cap &&
	    off < vdev->msix.cap + (uint32_t)PCI_CAP_MSIX_SIZEOF) {
		switch (off - vdev->msix.cap) {
		case PCI_CAP_LIST_NEXT:
			return vdev->exp.cap;	/* PCIe's or none */
		case PCI_MSIX_FLAGS + 1:
			return -3;	/* enable and mask: ours */
		}
		return -1;		/* table size, offsets: the device's */
	}
	switch (off) {
	case PCI_STATUS:
		/* A capability list only for MSI-X and PCIe. */
		return -2;
	case PCI_ROM_ADDRESS ... PCI_ROM_ADDRESS + 3:
		return 0;
	case PCI_CAPABILITY_LIST:
		return vdev->msix.cap ? vdev->msix.cap : vdev->exp.cap;
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
	if (pread(vdev->fd, b, len, vdev->cfg_off + off) != (ssize_t)len)
		memset(b, 0, sizeof(b));
	for (i = 0; i < len; i++) {
		int v = vfio__cfg_virt_byte(vdev, off + i);

		if (v == -2)
			b[i] = (b[i] & ~PCI_STATUS_CAP_LIST) |
			       (vdev->msix.cap || vdev->exp.cap ?
				PCI_STATUS_CAP_LIST : 0);
		else if (v == -3)
			b[i] = (b[i] & ~((PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8)) |
			       vdev->msix.ctrl >> 8;
		else if (v >= 0)
			b[i] = v;
	}
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static void vfio__cfg_write(struct pci_device *pdev, uint32_t off,
			    uint32_t len, uint32_t val)
{
	struct vfio_dev *vdev = (struct vfio_dev *)pdev;
	bool update = false, msix = false, flr = false;
	uint32_t i;

	if (off >= VFIO_CFG_STD)
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
		if (vdev->exp.cap && o >= vdev->exp.cap + (uint32_t)PCI_EXP_DEVCTL &&
		    o <= vdev->exp.cap + (uint32_t)PCI_EXP_DEVCTL + 1) {
			unsigned int shift = 8 * (o - vdev->exp.cap - PCI_EXP_DEVCTL);
			uint16_t ctl = (vdev->exp.devctl & ~(0xffu << shift)) |
				       byte << shift;

			/* Initiate FLR always reads 0. */
			flr |= ctl & PCI_EXP_DEVCTL_BCR_FLR;
			vdev->exp.devctl = ctl & ~PCI_EXP_DEVCTL_BCR_FLR;
			continue;
		}
		if (vfio__cfg_virt_byte(vdev, o) == -3) {
			vdev->msix.ctrl = (uint16_t)(byte << 8) &
					  (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
			msix = true;
			continue;
		}
		/* Read-only, hidden, or the capability's fixed fields. */
		if (vfio__cfg_virt_byte(vdev, o) != -1 || o >= VFIO_CFG_HDR)
			continue;
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
	if (msix)
		vfio__msix_update(vdev);
	if (flr)
		vfio__flr(vdev);
}

/* An access to the MSI-X table (BAR-relative @off): the guest's copy. */
static bool vfio__msix_table(struct vfio_dev *vdev, unsigned int bar,
			     uint64_t off, uint8_t *data, uint32_t len,
			     bool is_write)
{
	struct vfio_msix *m = &vdev->msix;
	unsigned int v, w;
	uint64_t rel;

	if (!m->cap || bar != m->bar || off < m->table_off ||
	    off - m->table_off >= (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE)
		return false;
	rel = off - m->table_off;
	m->accesses++;
	/* The PCI spec allows aligned dword and qword accesses only. */
	if ((len != 4 && len != 8) || (rel & (len - 1))) {
		if (!is_write)
			memset(data, 0xff, len);
		return true;
	}
	v = rel / PCI_MSIX_ENTRY_SIZE;
	w = (rel % PCI_MSIX_ENTRY_SIZE) / 4;
	if (!is_write) {
		memcpy(data, &m->table[v][w], len);
		return true;
	}
	memcpy(&m->table[v][w], data, len);
	/* Only Mask is writable in Vector Control. */
	m->table[v][3] &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	vfio__msix_route(vdev, v);
	return true;
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
		if (vfio__msix_table(vdev, i, addr - base, data, len, is_write))
			return true;
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

	if (vdev->req_thread_on) {
		atomic_store(&vdev->req_quit, true);
		pthread_join(vdev->req_thread, NULL);
	}
	if (vdev->req_fd >= 0)
		close(vdev->req_fd);
	if (vdev->kvm->cfg.stats && vdev->msix.cap)
		fprintf(stderr, "minivmm: stats: vfio %s: MSI-X table accesses %lu\n",
			vdev->bdf, vdev->msix.accesses);
	if (vdev->kvm->cfg.stats && vdev->exp.cap)
		fprintf(stderr, "minivmm: stats: vfio %s: function level resets %lu\n",
			vdev->bdf, vdev->exp.flrs);
	for (i = 0; i < VFIO_NR_BARS; i++) {
		unsigned int p;

		for (p = 0; p < 2; p++)
			if (vdev->bar[i].part[p].mapped)
				vfio__set_slot(vdev, i, p, vdev->bar[i].part[p].at,
					       false);
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
	for (i = 0; vdev->msix.fds && i < vdev->msix.nr; i++)
		if (vdev->msix.fds[i] >= 0)
			close(vdev->msix.fds[i]);
	free(vdev->msix.fds);
	free(vdev->msix.table);
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

/*
 * The host takes the device back (an unbind from vfio-pci, a hot
 * unplug): VFIO signals its request interrupt and waits, the unbind
 * blocked, until every user has closed the device.  minivmm cannot hand
 * the guest's device away under it, so it stops the VM and exits with
 * status 1; closing the device at exit (pci__exit()) lets the unbind go
 * on.  Polled with a timeout, so that the thread notices vfio__close().
 */
static void *vfio__req_thread(void *arg)
{
	struct vfio_dev *vdev = arg;
	struct pollfd pfd = { .fd = vdev->req_fd, .events = POLLIN };
	uint64_t n;

	while (!atomic_load(&vdev->req_quit)) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		if (read(vdev->req_fd, &n, sizeof(n)) != sizeof(n))
			continue;
		fprintf(stderr, "minivmm: vfio %s: the host wants the device back: stopping the guest\n",
			vdev->bdf);
		kvm__stop(vdev->kvm, 1);
		break;
	}
	return NULL;
}

/*
 * Listen for VFIO's request interrupt, where the kernel has one (vfio-pci
 * does).  Without it an unbind waits for minivmm to exit by itself.
 * Return: 0, or -1 (nothing left set up).
 */
static int vfio__setup_req(struct vfio_dev *vdev)
{
	struct vfio_irq_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_REQ_IRQ_INDEX,
	};

	if (ioctl(vdev->fd, VFIO_DEVICE_GET_IRQ_INFO, &info) || !info.count)
		return 0;
	vdev->req_fd = eventfd(0, EFD_CLOEXEC);
	if (vdev->req_fd < 0)
		return vfio__ioctl_err(vdev, "eventfd for the request interrupt");
	if (vfio__set_irq(vdev, VFIO_PCI_REQ_IRQ_INDEX,
			  VFIO_IRQ_SET_ACTION_TRIGGER, vdev->req_fd,
			  "VFIO_DEVICE_SET_IRQS request"))
		return -1;
	if (pthread_create(&vdev->req_thread, NULL, vfio__req_thread, vdev)) {
		fprintf(stderr, "minivmm: vfio %s: no request thread\n",
			vdev->bdf);
		return -1;
	}
	vdev->req_thread_on = true;
	return 0;
}

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

/*
 * The device's MSI-X capability, if it has one VFIO can drive and the
 * VM's vITS can take: its table size and place.  Without it (or with
 * @no_msix) the guest sees no capability and its driver uses INTx.
 */
static int vfio__setup_msix(struct vfio_dev *vdev, bool no_msix)
{
	struct vfio_irq_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_MSIX_IRQ_INDEX,
	};
	struct vfio_msix *m = &vdev->msix;
	uint8_t pos = 0, hdr[2];
	uint16_t status = 0, ctrl;
	uint32_t table;
	unsigned int i, n = 0;

	if (no_msix ||
	    pread(vdev->fd, &status, 2, vdev->cfg_off + PCI_STATUS) != 2 ||
	    !(status & PCI_STATUS_CAP_LIST) ||
	    pread(vdev->fd, &pos, 1, vdev->cfg_off + PCI_CAPABILITY_LIST) != 1)
		return 0;
	/* At most 48 capabilities fit in 192 bytes: a loop is the device's bug. */
	while (pos >= VFIO_CFG_HDR && n++ < 48) {
		pos &= ~3;
		if (pread(vdev->fd, hdr, 2, vdev->cfg_off + pos) != 2)
			return 0;
		if (hdr[0] == PCI_CAP_ID_MSIX)
			break;
		pos = hdr[1];
	}
	if (pos < VFIO_CFG_HDR || n > 48 || pos > VFIO_CFG_STD - PCI_CAP_MSIX_SIZEOF ||
	    pread(vdev->fd, &ctrl, 2, vdev->cfg_off + pos + PCI_MSIX_FLAGS) != 2 ||
	    pread(vdev->fd, &table, 4, vdev->cfg_off + pos + PCI_MSIX_TABLE) != 4 ||
	    ioctl(vdev->fd, VFIO_DEVICE_GET_IRQ_INFO, &info))
		return 0;
	m->nr = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
	m->bar = table & PCI_MSIX_TABLE_BIR;
	m->table_off = table & PCI_MSIX_TABLE_OFFSET;
	if (m->nr > PCI_MSI_PER_DEV || info.count < m->nr || m->bar >= VFIO_NR_BARS) {
		fprintf(stderr, "minivmm: vfio %s: MSI-X with %u vectors in BAR %u not supported: INTx only\n",
			vdev->bdf, m->nr, m->bar);
		return 0;
	}
	if (pci__enable_msi(vdev->kvm))
		return -1;
	m->table = calloc(m->nr, sizeof(*m->table));
	m->fds = calloc(m->nr, sizeof(*m->fds));
	if (!m->table || !m->fds) {
		fprintf(stderr, "minivmm: vfio %s: out of memory\n", vdev->bdf);
		return -1;
	}
	for (i = 0; i < m->nr; i++) {
		/* Every vector starts masked (PCI 3.0, 6.8.2.9). */
		m->table[i][3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
		m->fds[i] = eventfd(0, EFD_CLOEXEC);
		if (m->fds[i] < 0)
			return vfio__ioctl_err(vdev, "eventfd");
	}
	m->cap = pos;
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
		/* The MSI-X table's pages stay trapped. */
		if (vdev->msix.cap && vdev->msix.bar == i) {
			uint64_t end = vdev->msix.table_off +
				       vdev->msix.nr * PCI_MSIX_ENTRY_SIZE;

			b->hole_start = vdev->msix.table_off & ~(page - 1);
			b->hole_end = (end + page - 1) & ~(page - 1);
			if (b->hole_end > b->size) {
				fprintf(stderr, "minivmm: vfio %s: MSI-X table outside BAR %u\n",
					vdev->bdf, i);
				return -1;
			}
		}
		if (b->is64)
			i++;
	}
	return 0;
}

/*
 * The emulated PCI Express capability, where the guest's Linux looks for
 * FLR, for a device VFIO can reset (@can_reset), placed where MSI-X's 12
 * bytes leave room: 0xc0 unless MSI-X is there, else 0x40.
 */
static void vfio__setup_exp(struct vfio_dev *vdev, bool can_reset)
{
	uint8_t at = VFIO_EXP_AT_HIGH;

	if (!can_reset)
		return;
	if (vdev->msix.cap &&
	    vdev->msix.cap + PCI_CAP_MSIX_SIZEOF > VFIO_EXP_AT_HIGH &&
	    vdev->msix.cap < VFIO_EXP_AT_HIGH + VFIO_EXP_SIZE)
		at = VFIO_EXP_AT_LOW;
	vdev->exp.cap = at;
	vdev->exp.devctl = VFIO_EXP_DEVCTL_RESET;
}

/* INTx through a resampling irqfd, if the device has a pin. */
static int vfio__setup_intx(struct vfio_dev *vdev)
{
	struct vfio_irq_info info = {
		.argsz = sizeof(info),
		.index = VFIO_PCI_INTX_IRQ_INDEX,
	};
	struct kvm_irqfd irqfd = { .flags = KVM_IRQFD_FLAG_RESAMPLE };
	uint8_t pin = 0;

	if (ioctl(vdev->fd, VFIO_DEVICE_GET_IRQ_INFO, &info))
		return vfio__ioctl_err(vdev, "VFIO_DEVICE_GET_IRQ_INFO");
	if (pread(vdev->fd, &pin, 1, vdev->cfg_off + PCI_INTERRUPT_PIN) != 1)
		return vfio__ioctl_err(vdev, "reading the interrupt pin");
	if (!info.count || !pin || pin > 4) {
		/* A virtual function has none: MSI-X must do. */
		if (vdev->msix.cap)
			return 0;
		fprintf(stderr, "minivmm: vfio %s: neither INTx nor MSI-X\n",
			vdev->bdf);
		return -1;
	}
	vdev->intx_fd = eventfd(0, EFD_CLOEXEC);
	vdev->unmask_fd = eventfd(0, EFD_CLOEXEC);
	if (vdev->intx_fd < 0 || vdev->unmask_fd < 0)
		return vfio__ioctl_err(vdev, "eventfd");
	if (vfio__intx_set(vdev, true))
		return -1;
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
 *		bound to vfio-pci, its IOMMU group viable; ",intx" after it
 *		hides MSI-X from the guest
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
	const char *opt = strchr(bdf, ',');
	size_t len = opt ? (size_t)(opt - bdf) : strlen(bdf);
	struct vfio_dev *vdev;
	bool no_msix = false;
	uint16_t cmd;

	if (opt && !strcmp(opt, ",intx"))
		no_msix = true;
	else if (opt)
		len = sizeof(vdev->bdf);	/* an unknown option */
	if (len >= sizeof(vdev->bdf) || memchr(bdf, '/', len) ||
	    bdf[0] == '.') {
		fprintf(stderr, "minivmm: --vfio %s: expected a PCI address like 0000:00:03.0[,intx]\n",
			bdf);
		return -1;
	}
	vdev = calloc(1, sizeof(*vdev));
	if (!vdev) {
		fprintf(stderr, "minivmm: vfio %s: out of memory\n", bdf);
		return -1;
	}
	memcpy(vdev->bdf, bdf, len);
	vdev->kvm = kvm;
	vdev->container = -1;
	vdev->group = -1;
	vdev->fd = -1;
	vdev->intx_fd = -1;
	vdev->unmask_fd = -1;
	vdev->req_fd = -1;
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
	if (vfio__setup_msix(vdev, no_msix) || vfio__setup_bars(vdev) ||
	    pci__add(kvm, &vdev->pdev))
		goto err_close;
	vfio__setup_exp(vdev, info.flags & VFIO_DEVICE_FLAGS_RESET);
	/* The device is the bus's now: pci__exit() closes it. */
	if (vfio__setup_req(vdev))
		return -1;
	return vfio__setup_intx(vdev);

err_close:
	vfio__close(vdev);
	return -1;
}
