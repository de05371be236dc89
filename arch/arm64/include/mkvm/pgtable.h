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
#define MKVM_WALK_TABLE_PRE	BIT(2)	/* table entries, before their children */

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

/*
 * Table pages set aside before a lock is taken, so that mapping under the
 * lock never allocates (KVM's kvm_mmu_memory_cache).  One page per level
 * below the root is the most a single page mapping can need.
 */
#define MKVM_PGTABLE_CACHE_PAGES	3

struct mkvm_pgtable_cache {
	int nr;
	void *pages[MKVM_PGTABLE_CACHE_PAGES];
};

/* A table taken out of the tree, to be freed once no MMU can walk it. */
struct mkvm_pgtable_unlinked {
	u64 *table;		/* kernel VA, NULL: nothing was unlinked */
	u32 level;		/* of the entry that pointed to it */
};

int mkvm_pgtable_init(struct mkvm_pgtable *pgt, u32 ia_bits);
void mkvm_pgtable_destroy(struct mkvm_pgtable *pgt);
int mkvm_pgtable_walk(struct mkvm_pgtable *pgt, u64 addr, u64 size,
		      const struct mkvm_pgtable_walker *walker);
int mkvm_pgtable_map_page(struct mkvm_pgtable *pgt, u64 addr, phys_addr_t pa,
			  u64 attr);
int mkvm_pgtable_map_page_cached(struct mkvm_pgtable *pgt, u64 addr,
				 phys_addr_t pa, u64 attr, u64 relax,
				 struct mkvm_pgtable_cache *cache);
int mkvm_pgtable_map_block_cached(struct mkvm_pgtable *pgt, u64 addr,
				  phys_addr_t pa, u64 attr, u64 relax,
				  struct mkvm_pgtable_cache *cache);
bool mkvm_pgtable_relax(struct mkvm_pgtable *pgt, u64 addr, u64 need, u64 set);
bool mkvm_pgtable_clear_attr(struct mkvm_pgtable *pgt, u64 addr, u64 size,
			     u64 clr);
int mkvm_pgtable_cache_topup(struct mkvm_pgtable_cache *cache, int min);
void mkvm_pgtable_cache_free(struct mkvm_pgtable_cache *cache);
bool mkvm_pgtable_unlink_table(struct mkvm_pgtable *pgt, u64 addr, u32 level,
			       struct mkvm_pgtable_unlinked *u);
void mkvm_pgtable_free_unlinked(struct mkvm_pgtable_unlinked *u);
int mkvm_pgtable_map_pages_needed(const struct mkvm_pgtable *pgt);
phys_addr_t mkvm_pgtable_root_pa(const struct mkvm_pgtable *pgt);

#endif /* __MKVM_PGTABLE_H */
