/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One walker for every minikvm page table (EL2 stage 1 now, stage 2 later):
 * 4 KiB granule, tables owned and written by EL1, visitors do the work.
 */
#ifndef __MKVM_PGTABLE_H
#define __MKVM_PGTABLE_H

#include <linux/types.h>

struct mkvm_pgtable {
	u64 *pgd;		/* root table, kernel VA */
	u32 ia_bits;		/* input address size */
	u32 start_level;	/* level of the root table (0..3) */
};

/* What a walker wants to see. */
#define MKVM_WALK_LEAF		BIT(0)	/* entries that are not tables */
#define MKVM_WALK_TABLE_POST	BIT(1)	/* table entries, after their children */

struct mkvm_pgtable_visit {
	u64 *ptep;
	u64 addr;		/* first input address of this visit */
	u64 end;		/* end of the range this entry covers, clamped */
	u32 level;
	u32 flag;		/* the MKVM_WALK_* reason for this visit */
};

struct mkvm_pgtable_walker {
	/* Returns 0 to go on; a negative errno stops the walk. */
	int (*cb)(const struct mkvm_pgtable_visit *visit, void *arg);
	void *arg;
	u32 flags;
};

int mkvm_pgtable_init(struct mkvm_pgtable *pgt, u32 ia_bits);
void mkvm_pgtable_destroy(struct mkvm_pgtable *pgt);
int mkvm_pgtable_walk(struct mkvm_pgtable *pgt, u64 addr, u64 size,
		      const struct mkvm_pgtable_walker *walker);
int mkvm_pgtable_map_page(struct mkvm_pgtable *pgt, u64 addr, phys_addr_t pa,
			  u64 attr);
phys_addr_t mkvm_pgtable_root_pa(const struct mkvm_pgtable *pgt);

#endif /* __MKVM_PGTABLE_H */
