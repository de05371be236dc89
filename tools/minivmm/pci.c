// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's PCI host bridge: a generic ECAM host (bindings:
 * pci/host-generic-pci.yaml) with one bus.  The bridge itself has no
 * registers: ECAM is a flat array of 4 KiB config spaces, one per bus,
 * device and function, so each access names its function by its offset.
 * Both ECAM and the MMIO window are trapped (KVM_EXIT_MMIO); BARs that
 * a device maps into the guest as memslots hide their part of the window
 * from the trap, so that only config space and what cannot be mapped
 * reach minivmm.
 *
 * A hostile guest reaches this through any access to either range: every
 * offset is checked here before a device sees it, and devices get only
 * naturally aligned config accesses of 1, 2 or 4 bytes inside their own
 * config space.
 */
#include <endian.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "fdt.h"
#include "gic.h"
#include "kvm.h"
#include "minivmm.h"
#include "mmio.h"
#include "pci.h"

/* ECAM offset: bus << 20 | device << 15 | function << 12 | register. */
#define ECAM_DEV_SHIFT		15
#define ECAM_FN_SHIFT		12
#define ECAM_FN_MASK		0x7

/* The pci-bus binding's phys.hi cell: space code and device number. */
#define FDT_PCI_SPACE_MEM32	0x02000000
#define FDT_PCI_DEV_SHIFT	11

struct pci_host {
	struct kvm *kvm;
	/* Serializes config and trapped BAR accesses of all vCPUs. */
	pthread_mutex_t lock;
	struct pci_device *devs[PCI_MAX_DEVS];
	unsigned int nr_devs;
	/* The vITS, -1 until a device wants MSIs. */
	int its_fd;
	/* MSI routes of all devices, by GSI - PCI_MSI_GSI_BASE. */
	struct kvm_irq_routing_msi msi[PCI_MAX_DEVS * PCI_MSI_PER_DEV];
	bool msi_valid[PCI_MAX_DEVS * PCI_MSI_PER_DEV];
	/* For --stats: what exited to minivmm (under the lock). */
	unsigned long cfg_accesses;
	unsigned long window_accesses;
};

/**
 * pci__in_window() - is [@addr, @addr + @size) inside the MMIO window?
 * @addr:	guest-physical address
 * @size:	bytes, non-zero
 *
 * Where a BAR may be mapped: the window was claimed for the PCI host when
 * the VM was built, so it overlaps neither RAM nor another device.
 *
 * Return: true if the whole range is inside.
 */
bool pci__in_window(uint64_t addr, uint64_t size)
{
	return size && addr >= PCI_MMIO_BASE && size <= PCI_MMIO_SIZE &&
	       addr - PCI_MMIO_BASE <= PCI_MMIO_SIZE - size;
}

/**
 * pci__intx_spi() - the SPI that INTx pin @pin of @pdev is wired to
 * @pdev:	a device on the bus
 * @pin:	1 (INTA) to 4 (INTD), as in its Interrupt Pin register
 *
 * The usual swizzle, which is also what the device tree's interrupt-map
 * tells the guest.
 *
 * Return: the SPI number (INTID - 32).
 */
unsigned int pci__intx_spi(const struct pci_device *pdev, unsigned int pin)
{
	return PCI_INTX_SPI_BASE + (pdev->slot + pin - 1) % 4;
}

static void pci__ecam_access(void *opaque, uint64_t off, uint8_t *data,
			     uint32_t len, bool is_write)
{
	struct pci_host *host = opaque;
	unsigned int dev = off >> ECAM_DEV_SHIFT;
	unsigned int fn = (off >> ECAM_FN_SHIFT) & ECAM_FN_MASK;
	uint32_t reg = off & (PCI_CFG_SIZE - 1), val = 0;
	struct pci_device *pdev = NULL;

	/*
	 * Only function 0 of a populated slot answers; everything else is
	 * an empty slot (reads all ones, the "no device" vendor ID 0xffff),
	 * and so are 8-byte and misaligned accesses, which ECAM does not
	 * define.
	 */
	if (dev < host->nr_devs && !fn && len <= 4 && !(reg & (len - 1)))
		pdev = host->devs[dev];
	if (is_write) {
		if (!pdev)
			return;
		memcpy(&val, data, len);
		pthread_mutex_lock(&host->lock);
		host->cfg_accesses++;
		pdev->ops->cfg_write(pdev, reg, len, le32toh(val));
		pthread_mutex_unlock(&host->lock);
		return;
	}
	memset(data, 0xff, len);
	if (!pdev)
		return;
	pthread_mutex_lock(&host->lock);
	host->cfg_accesses++;
	val = htole32(pdev->ops->cfg_read(pdev, reg, len));
	pthread_mutex_unlock(&host->lock);
	memcpy(data, &val, len);
}

/* An access to the window outside every mapped BAR. */
static void pci__mmio_access(void *opaque, uint64_t off, uint8_t *data,
			     uint32_t len, bool is_write)
{
	struct pci_host *host = opaque;
	uint64_t addr = PCI_MMIO_BASE + off;
	unsigned int i;
	bool done = false;

	pthread_mutex_lock(&host->lock);
	host->window_accesses++;
	for (i = 0; i < host->nr_devs && !done; i++)
		done = host->devs[i]->ops->mmio(host->devs[i], addr, data,
						len, is_write);
	pthread_mutex_unlock(&host->lock);
	/* No BAR there: a master abort, which reads all ones. */
	if (!done && !is_write)
		memset(data, 0xff, len);
}

static struct pci_host *pci__host(struct kvm *kvm)
{
	struct pci_host *host = kvm->pci;

	if (host)
		return host;
	host = calloc(1, sizeof(*host));
	if (!host) {
		fprintf(stderr, "minivmm: PCI host: out of memory\n");
		return NULL;
	}
	host->kvm = kvm;
	host->its_fd = -1;
	pthread_mutex_init(&host->lock, NULL);
	if (mmio__register(kvm, PCI_ECAM_BASE, PCI_ECAM_SIZE,
			   pci__ecam_access, host, "PCI ECAM") ||
	    mmio__register(kvm, PCI_MMIO_BASE, PCI_MMIO_SIZE,
			   pci__mmio_access, host, "PCI MMIO window")) {
		/* The ranges are freed with the bus, host with them unused. */
		pthread_mutex_destroy(&host->lock);
		free(host);
		return NULL;
	}
	kvm->pci = host;
	return host;
}

/**
 * pci__add() - put a device on the guest's PCI bus
 * @kvm:	the VM, before any vCPU runs
 * @pdev:	the device; its slot is set here
 *
 * The first device creates the host bridge and claims its two guest-
 * physical ranges; a VM without PCI devices has no bridge.
 *
 * Return: 0, or -1 with a message.
 */
int pci__add(struct kvm *kvm, struct pci_device *pdev)
{
	struct pci_host *host = pci__host(kvm);

	if (!host)
		return -1;
	if (host->nr_devs == PCI_MAX_DEVS) {
		fprintf(stderr, "minivmm: %s: at most %d PCI devices\n",
			pdev->name, PCI_MAX_DEVS);
		return -1;
	}
	pdev->slot = host->nr_devs;
	host->devs[host->nr_devs++] = pdev;
	return 0;
}

/**
 * pci__enable_msi() - give the bus a vITS for its devices' MSIs
 * @kvm:	the VM, with its vGIC, before any vCPU runs
 *
 * Once per VM; the device tree then maps every requester ID of the bus
 * to the ITS as its DeviceID (msi-map), which the routes below carry.
 *
 * Return: 0, or -1 with a message.
 */
int pci__enable_msi(struct kvm *kvm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_ITS };
	struct pci_host *host = pci__host(kvm);
	uint64_t base = PCI_ITS_BASE;
	struct kvm_device_attr addr = {
		.group = KVM_DEV_ARM_VGIC_GRP_ADDR,
		.attr = KVM_VGIC_ITS_ADDR_TYPE,
		.addr = (uintptr_t)&base,
	};
	struct kvm_device_attr init = {
		.group = KVM_DEV_ARM_VGIC_GRP_CTRL,
		.attr = KVM_DEV_ARM_VGIC_CTRL_INIT,
	};

	if (!host)
		return -1;
	if (host->its_fd >= 0)
		return 0;
	if (ioctl(kvm->vm_fd, KVM_CREATE_DEVICE, &cd)) {
		fprintf(stderr, "minivmm: PCI: cannot create an ITS: %s\n",
			strerror(errno));
		return -1;
	}
	host->its_fd = cd.fd;
	if (ioctl(host->its_fd, KVM_SET_DEVICE_ATTR, &addr) ||
	    ioctl(host->its_fd, KVM_SET_DEVICE_ATTR, &init)) {
		fprintf(stderr, "minivmm: PCI: ITS set-up: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/**
 * pci__msi_gsi() - the GSI an irqfd uses for MSI(-X) vector @vector
 * @pdev:	a device on the bus
 * @vector:	below PCI_MSI_PER_DEV
 *
 * Return: the GSI.
 */
unsigned int pci__msi_gsi(const struct pci_device *pdev, unsigned int vector)
{
	return PCI_MSI_GSI_BASE + pdev->slot * PCI_MSI_PER_DEV + vector;
}

/**
 * pci__set_msi_route() - point an MSI GSI at the message the guest wrote
 * @kvm:	the VM
 * @pdev:	the device
 * @vector:	below PCI_MSI_PER_DEV
 * @addr:	the doorbell address the guest programmed (its vITS's
 *		GITS_TRANSLATER, or anything: checked when it fires)
 * @data:	the event ID
 * @valid:	false: the GSI goes nowhere
 *
 * KVM_SET_GSI_ROUTING replaces the whole table, so the SPIs' own routes
 * (which irqfds on SPIs need) are given again each time.  The host's
 * lock is held (a config or table write).
 *
 * Return: 0, or -1 with a message.
 */
int pci__set_msi_route(struct kvm *kvm, const struct pci_device *pdev,
		       unsigned int vector, uint64_t addr, uint32_t data,
		       bool valid)
{
	enum { NR_SPIS = GIC_NR_IRQS - GIC_SPI_BASE };
	struct pci_host *host = kvm->pci;
	unsigned int i, n = 0, idx = pdev->slot * PCI_MSI_PER_DEV + vector;
	struct kvm_irq_routing *rt;
	int ret;

	if (vector >= PCI_MSI_PER_DEV)
		return -1;
	host->msi[idx] = (struct kvm_irq_routing_msi){
		.address_lo = addr,
		.address_hi = addr >> 32,
		.data = data,
		/* The requester ID, bus 0: what msi-map makes the DeviceID. */
		.devid = pdev->slot << 3,
	};
	host->msi_valid[idx] = valid;
	rt = calloc(1, sizeof(*rt) + (NR_SPIS + ARRAY_SIZE(host->msi)) *
			sizeof(rt->entries[0]));
	if (!rt) {
		fprintf(stderr, "minivmm: PCI: out of memory\n");
		return -1;
	}
	for (i = 0; i < NR_SPIS; i++) {
		rt->entries[n].gsi = i;
		rt->entries[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		rt->entries[n].u.irqchip.pin = i;
		n++;
	}
	for (i = 0; i < ARRAY_SIZE(host->msi); i++) {
		if (!host->msi_valid[i])
			continue;
		rt->entries[n].gsi = PCI_MSI_GSI_BASE + i;
		rt->entries[n].type = KVM_IRQ_ROUTING_MSI;
		rt->entries[n].flags = KVM_MSI_VALID_DEVID;
		rt->entries[n].u.msi = host->msi[i];
		n++;
	}
	rt->nr = n;
	ret = ioctl(kvm->vm_fd, KVM_SET_GSI_ROUTING, rt);
	if (ret)
		fprintf(stderr, "minivmm: PCI: KVM_SET_GSI_ROUTING: %s\n",
			strerror(errno));
	free(rt);
	return ret ? -1 : 0;
}

/**
 * pci__generate_fdt() - the host bridge's node, if the VM has one
 * @kvm:	the VM
 * @f:		the tree being written
 *
 * With a vITS, also its node (at the root: Linux finds ITS nodes
 * anywhere after the GIC's) and the bus's msi-map to it.
 */
void pci__generate_fdt(struct kvm *kvm, struct fdt *f)
{
	struct pci_host *host = kvm->pci;
	/* child address (3 cells), size (2): a 32-bit window, 1:1. */
	const uint32_t ranges[] = {
		FDT_PCI_SPACE_MEM32, PCI_MMIO_BASE >> 32, (uint32_t)PCI_MMIO_BASE,
		PCI_MMIO_BASE >> 32, (uint32_t)PCI_MMIO_BASE,
		PCI_MMIO_SIZE >> 32, (uint32_t)PCI_MMIO_SIZE,
	};
	const uint32_t bus_range[] = { 0, 0 };
	/* Match on the device number and the pin, nothing else. */
	const uint32_t imap_mask[] = { 0x1f << FDT_PCI_DEV_SHIFT, 0, 0, 7 };
	/*
	 * Per slot and pin: phys.hi, phys.mid, phys.lo, pin, then the
	 * GIC's phandle and specifier (it has no #address-cells: 0).
	 */
	uint32_t imap[PCI_MAX_DEVS * 4 * 8];
	unsigned int i, pin, n = 0;

	if (!host)
		return;
	if (host->its_fd >= 0) {
		fdt__begin_node(f, "msi-controller@%llx", PCI_ITS_BASE);
		fdt__prop_string(f, "compatible", "arm,gic-v3-its");
		fdt__prop(f, "msi-controller", NULL, 0);
		fdt__prop_u32(f, "#msi-cells", 1);
		fdt__prop_reg(f, PCI_ITS_BASE, PCI_ITS_SIZE);
		fdt__prop_u32(f, "phandle", PCI_ITS_PHANDLE);
		fdt__end_node(f);
	}
	for (i = 0; i < host->nr_devs; i++) {
		for (pin = 1; pin <= 4; pin++) {
			imap[n++] = htobe32(host->devs[i]->slot << FDT_PCI_DEV_SHIFT);
			imap[n++] = 0;
			imap[n++] = 0;
			imap[n++] = htobe32(pin);
			imap[n++] = htobe32(GIC_PHANDLE);
			imap[n++] = htobe32(GIC_FDT_SPI);
			imap[n++] = htobe32(pci__intx_spi(host->devs[i], pin));
			imap[n++] = htobe32(GIC_FDT_IRQ_LEVEL_HIGH);
		}
	}
	fdt__begin_node(f, "pcie@%llx", PCI_ECAM_BASE);
	fdt__prop_string(f, "compatible", "pci-host-ecam-generic");
	fdt__prop_string(f, "device_type", "pci");
	fdt__prop_u32(f, "#address-cells", 3);
	fdt__prop_u32(f, "#size-cells", 2);
	fdt__prop_u32(f, "#interrupt-cells", 1);
	fdt__prop_reg(f, PCI_ECAM_BASE, PCI_ECAM_SIZE);
	fdt__prop_cells(f, "bus-range", bus_range, ARRAY_SIZE(bus_range));
	fdt__prop_cells(f, "ranges", ranges, ARRAY_SIZE(ranges));
	fdt__prop_cells(f, "interrupt-map-mask", imap_mask,
			ARRAY_SIZE(imap_mask));
	fdt__prop(f, "interrupt-map", imap, n * sizeof(imap[0]));
	if (host->its_fd >= 0) {
		/* Requester ID (bus 0: devfn) = DeviceID, all 256 of them. */
		const uint32_t msi_map[] = { 0, PCI_ITS_PHANDLE, 0, 0x100 };

		fdt__prop_cells(f, "msi-map", msi_map, ARRAY_SIZE(msi_map));
	}
	/* The devices' DMA is coherent: the host's is, through its SMMU. */
	fdt__prop(f, "dma-coherent", NULL, 0);
	fdt__end_node(f);
}

/**
 * pci__exit() - let go of every device and of the bridge
 * @kvm:	the VM, its vCPUs stopped
 *
 * With --stats, say first how many accesses exited to the bridge.
 */
void pci__exit(struct kvm *kvm)
{
	struct pci_host *host = kvm->pci;
	unsigned int i;

	if (!host)
		return;
	/*
	 * With the BARs mapped as memslots, a device's driver runs without
	 * window accesses: only config space exits.
	 */
	if (kvm->cfg.stats)
		fprintf(stderr, "minivmm: stats: pci config accesses %lu, trapped MMIO window accesses %lu\n",
			host->cfg_accesses, host->window_accesses);
	for (i = 0; i < host->nr_devs; i++)
		host->devs[i]->ops->exit(host->devs[i]);
	if (host->its_fd >= 0)
		close(host->its_fd);
	pthread_mutex_destroy(&host->lock);
	free(host);
	kvm->pci = NULL;
}
