/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A PCI host bridge for the guest: one bus behind a generic ECAM window
 * (pci-host-ecam-generic), a 32-bit MMIO window for the devices' BARs,
 * and INTx wired to vGIC SPIs.  Devices behind it (so far only VFIO
 * passthrough, vfio.c) implement their config space and what of their
 * BARs is not mapped straight into the guest.
 */
#ifndef MINIVMM_PCI_H
#define MINIVMM_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct fdt;
struct kvm;

/*
 * The guest-physical layout, kvmtool's in spirit: ECAM for bus 0 only
 * (32 devices x 8 functions x 4 KiB) at 1 GiB, just above the GIC, and
 * the MMIO window from there up to minivmm's default RAM base.
 */
#define PCI_ECAM_BASE		0x40000000ULL
#define PCI_ECAM_SIZE		0x100000ULL
#define PCI_MMIO_BASE		0x50000000ULL
#define PCI_MMIO_SIZE		0x30000000ULL
/* INTA..INTD, swizzled by slot, on these four SPIs (after virtio's). */
#define PCI_INTX_SPI_BASE	64
#define PCI_MAX_DEVS		4
#define PCI_CFG_SIZE		0x1000
/*
 * MSI and MSI-X go to a vITS (two 64 KiB frames) after ECAM; each device
 * gets PCI_MSI_PER_DEV GSIs from PCI_MSI_GSI_BASE, above every SPI's.
 */
#define PCI_ITS_BASE		(PCI_ECAM_BASE + PCI_ECAM_SIZE)
#define PCI_ITS_SIZE		0x20000ULL
#define PCI_ITS_PHANDLE		3
#define PCI_MSI_GSI_BASE	128
#define PCI_MSI_PER_DEV		32

struct pci_device;

struct pci_device_ops {
	/*
	 * One config access of @len (1, 2 or 4) bytes at @off, naturally
	 * aligned, below PCI_CFG_SIZE; the host's lock is held.
	 */
	uint32_t (*cfg_read)(struct pci_device *pdev, uint32_t off,
			     uint32_t len);
	void (*cfg_write)(struct pci_device *pdev, uint32_t off, uint32_t len,
			  uint32_t val);
	/*
	 * An access to the MMIO window that no memslot took: true if it
	 * fell inside one of the device's enabled BARs (and was done).
	 */
	bool (*mmio)(struct pci_device *pdev, uint64_t addr, uint8_t *data,
		     uint32_t len, bool is_write);
	void (*exit)(struct pci_device *pdev);
};

struct pci_device {
	const struct pci_device_ops *ops;
	const char *name;
	unsigned int slot;	/* device number on bus 0, set by pci__add() */
};

int pci__add(struct kvm *kvm, struct pci_device *pdev);
int pci__enable_msi(struct kvm *kvm);
unsigned int pci__msi_gsi(const struct pci_device *pdev, unsigned int vector);
int pci__set_msi_route(struct kvm *kvm, const struct pci_device *pdev,
		       unsigned int vector, uint64_t addr, uint32_t data,
		       bool valid);
unsigned int pci__intx_spi(const struct pci_device *pdev, unsigned int pin);
bool pci__in_window(uint64_t addr, uint64_t size);
void pci__generate_fdt(struct kvm *kvm, struct fdt *f);
void pci__exit(struct kvm *kvm);

#endif /* MINIVMM_PCI_H */
