/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writing the guest's device tree with libfdt's sequential-write API.
 * Each device adds its own node through these helpers; the first libfdt
 * error is kept and reported once, when the tree is finished.
 */
#ifndef MINIVMM_FDT_H
#define MINIVMM_FDT_H

#include <stddef.h>
#include <stdint.h>

struct kvm;

struct fdt {
	void *buf;
	int err;	/* first libfdt error, 0 if none */
};

/* What the device tree tells Linux beyond the machine itself. */
struct fdt_boot {
	const char *bootargs;
	uint64_t initrd_start;	/* IPA of the initrd, ... */
	uint64_t initrd_end;	/* ... and of its end; both 0 without one */
};

__attribute__((format(printf, 2, 3)))
void fdt__begin_node(struct fdt *f, const char *fmt, ...);
void fdt__end_node(struct fdt *f);
void fdt__prop(struct fdt *f, const char *name, const void *val, int len);
void fdt__prop_string(struct fdt *f, const char *name, const char *s);
void fdt__prop_u32(struct fdt *f, const char *name, uint32_t val);
void fdt__prop_u64(struct fdt *f, const char *name, uint64_t val);
void fdt__prop_cells(struct fdt *f, const char *name, const uint32_t *cells,
		     unsigned int n);
void fdt__prop_reg(struct fdt *f, uint64_t addr, uint64_t size);
void fdt__prop_irq(struct fdt *f, unsigned int spi, uint32_t flags);

int fdt__build(struct kvm *kvm, const struct fdt_boot *boot, void *buf,
	       size_t size);

#endif /* MINIVMM_FDT_H */
