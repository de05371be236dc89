/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI device passthrough through VFIO (type1 IOMMU): a host PCI device
 * bound to vfio-pci becomes a device on the guest's PCI bus (pci.h).
 */
#ifndef MINIVMM_VFIO_H
#define MINIVMM_VFIO_H

struct kvm;

int vfio__add(struct kvm *kvm, const char *bdf);

#endif /* MINIVMM_VFIO_H */
