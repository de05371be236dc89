// SPDX-License-Identifier: GPL-2.0
/*
 * Generic 4 KiB-granule page-table walker (Arm ARM D8.2 "Translation
 * tables", VMSAv8-64 4KB translation granule).  Tables are single pages
 * (only the root may be wider, for stage-2 concatenation), written at EL1
 * and walked by the EL2 MMU; visitors decide what each entry becomes.
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/gfp.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <asm/barrier.h>
#include <asm/pgtable-hwdef.h>
#include <mkvm/pgtable.h>

#define DESC_VALID	BIT(0)
#define DESC_TABLE	(BIT(1) | BIT(0))	/* at levels 0..2 */
#define DESC_PAGE	(BIT(1) | BIT(0))	/* at level 3 */
#define DESC_BLOCK	BIT(0)			/* at levels 1 and 2 */
#define DESC_ADDR_MASK	GENMASK_ULL(47, 12)
/*
 * Execute-never (stage 2 XN[1], stage 1 UXN): the one permission that is
 * granted by clearing a bit.
 */
#define DESC_XN		BIT(54)
#define LEVEL_BITS	(PAGE_SHIFT - 3)	/* 512 entries per table */

static u32 level_shift(u32 level)
{
	return PAGE_SHIFT + (3 - level) * LEVEL_BITS;
}

static bool desc_is_table(u64 desc, u32 level)
{
	return level < 3 && (desc & DESC_TABLE) == DESC_TABLE;
}

static u64 *desc_child(u64 desc)
{
	return phys_to_virt(desc & DESC_ADDR_MASK);
}

/* The root holds as many entries as the input size needs at its level. */
static unsigned int root_order(const struct mkvm_pgtable *pgt)
{
	u32 bits = pgt->ia_bits - level_shift(pgt->start_level);

	return bits > LEVEL_BITS ? bits - LEVEL_BITS : 0;
}

static int walk_table(struct mkvm_pgtable *pgt,
		      const struct mkvm_pgtable_walker *w, u64 *table,
		      u32 level, u64 addr, u64 end)
{
	u32 shift = level_shift(level);
	u64 index_mask = level == pgt->start_level ?
		BIT_ULL(pgt->ia_bits - shift) - 1 : BIT_ULL(LEVEL_BITS) - 1;
	int ret;

	while (addr < end) {
		u64 next = (addr | (BIT_ULL(shift) - 1)) + 1;
		struct mkvm_pgtable_visit v = {
			.ptep	= &table[(addr >> shift) & index_mask],
			.addr	= addr,
			.level	= level,
		};

		/* next wraps to 0 at the top of a 64-bit space */
		v.end = (next && next < end) ? next : end;

		if (!desc_is_table(READ_ONCE(*v.ptep), level)) {
			if (w->flags & MKVM_WALK_LEAF) {
				v.flag = MKVM_WALK_LEAF;
				ret = w->cb(&v, w->arg);
				if (ret)
					return ret;
			}
		} else if (w->flags & MKVM_WALK_TABLE_PRE) {
			v.flag = MKVM_WALK_TABLE_PRE;
			ret = w->cb(&v, w->arg);
			if (ret)
				return ret;
		}
		/*
		 * A leaf visitor may just have installed a table, a table
		 * visitor removed one: re-read.
		 */
		if (desc_is_table(READ_ONCE(*v.ptep), level)) {
			ret = walk_table(pgt, w, desc_child(READ_ONCE(*v.ptep)),
					 level + 1, addr, v.end);
			if (ret)
				return ret;
			if (w->flags & MKVM_WALK_TABLE_POST) {
				v.flag = MKVM_WALK_TABLE_POST;
				ret = w->cb(&v, w->arg);
				if (ret)
					return ret;
			}
		}
		addr = v.end;
	}
	return 0;
}

/**
 * mkvm_pgtable_walk() - visit the entries covering [addr, addr + size)
 * @pgt:	the table
 * @addr:	first input address
 * @size:	length in bytes; the range must lie inside the input size
 * @walker:	callback, its argument and the MKVM_WALK_* visits it wants
 *
 * Return: 0, -EINVAL for a range outside the table, or the first error a
 * visitor returned.
 */
int mkvm_pgtable_walk(struct mkvm_pgtable *pgt, u64 addr, u64 size,
		      const struct mkvm_pgtable_walker *walker)
{
	u64 limit = BIT_ULL(pgt->ia_bits);

	if (!size || addr >= limit || size > limit - addr)
		return -EINVAL;
	return walk_table(pgt, walker, pgt->pgd, pgt->start_level, addr,
			  addr + size);
}

struct map_args {
	phys_addr_t pa;
	u32 level;		/* of the leaf: 3 for a page, 2 for a block */
	u64 attr;
	u64 relax;		/* bits @attr may add to an existing entry */
	struct mkvm_pgtable_cache *cache;	/* NULL: allocate freely */
};

static u64 *new_table(struct mkvm_pgtable_cache *cache)
{
	if (!cache)
		return (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	/* The caller topped the cache up for a whole mapping: never empty. */
	if (!cache->nr)
		return NULL;
	return cache->pages[--cache->nr];
}

static int map_visitor(const struct mkvm_pgtable_visit *v, void *arg)
{
	struct map_args *m = arg;
	u64 desc = READ_ONCE(*v->ptep);
	u64 *table;

	/*
	 * Below the leaf's level: the walk went down a table that holds
	 * smaller mappings where a block was asked for.  Replacing it needs
	 * break-before-make, with a TLB invalidation only the caller can do
	 * (mkvm_pgtable_unlink_table()).
	 */
	if (v->level > m->level)
		return -EAGAIN;
	if (v->level == m->level) {
		u64 want = (m->pa & DESC_ADDR_MASK) | m->attr |
			   (m->level == 3 ? DESC_PAGE : DESC_BLOCK);

		if (!(desc & DESC_VALID)) {
			WRITE_ONCE(*v->ptep, want);
			return 0;
		}
		/*
		 * The same page with fewer permissions: granting more needs
		 * no break-before-make (Arm ARM, "Using break-before-make
		 * when updating translation table entries": the output
		 * address, memory type and block size do).  Permissions are
		 * only ever added: execution where @want has no XN.
		 */
		if ((desc | m->relax) != (want | m->relax))
			return -EEXIST;
		desc |= want & m->relax & ~DESC_XN;
		if ((m->relax & DESC_XN) && !(want & DESC_XN))
			desc &= ~DESC_XN;
		WRITE_ONCE(*v->ptep, desc);
		return 0;
	}
	if (desc & DESC_VALID)		/* a block is in the way */
		return -EEXIST;
	table = new_table(m->cache);
	if (!table)
		return -ENOMEM;
	/*
	 * The zeroed table must be visible to the table walker before the
	 * descriptor that points at it (Arm ARM D8.2.11, "ordering of
	 * translation table updates").
	 */
	dsb(ishst);
	WRITE_ONCE(*v->ptep, virt_to_phys(table) | DESC_TABLE);
	return 0;
}

static int map_leaf(struct mkvm_pgtable *pgt, u64 addr, phys_addr_t pa,
		    u32 level, u64 attr, u64 relax,
		    struct mkvm_pgtable_cache *cache)
{
	u64 size = BIT_ULL(level_shift(level));
	struct map_args m = {
		.pa	= pa,
		.level	= level,
		.attr	= attr,
		.relax	= relax,
		.cache	= cache,
	};
	struct mkvm_pgtable_walker w = {
		.cb	= map_visitor,
		.arg	= &m,
		.flags	= MKVM_WALK_LEAF,
	};
	int ret;

	if (!IS_ALIGNED(addr, size) || !IS_ALIGNED(pa, size) ||
	    level < pgt->start_level)
		return -EINVAL;
	ret = mkvm_pgtable_walk(pgt, addr, size, &w);
	/* Descriptors must reach the walker before anyone uses them. */
	dsb(ishst);
	return ret;
}

/**
 * mkvm_pgtable_map_page() - map one page, allocating tables on the way
 * @pgt:	the table
 * @addr:	page-aligned input address
 * @pa:		page-aligned output address
 * @attr:	descriptor attribute bits (everything but address and type)
 *
 * May sleep and enter reclaim: only for tables no MMU notifier touches.
 * Mapping the same page again with the same attributes is a no-op.
 * Return: 0, -EINVAL, -ENOMEM, or -EEXIST if @addr is mapped differently.
 */
int mkvm_pgtable_map_page(struct mkvm_pgtable *pgt, u64 addr, phys_addr_t pa,
			  u64 attr)
{
	return map_leaf(pgt, addr, pa, 3, attr, 0, NULL);
}

/**
 * mkvm_pgtable_map_page_cached() - map one page, tables from a cache
 * @pgt:	the table
 * @addr:	page-aligned input address
 * @pa:		page-aligned output address
 * @attr:	descriptor attribute bits (everything but address and type)
 * @relax:	bits of @attr that may be added to an entry that maps @pa
 *		already without them (a permission being granted); with
 *		bit 54 (XN) in it, an entry's XN is cleared when @attr has
 *		none, and never set
 * @cache:	holds at least mkvm_pgtable_map_pages_needed(@pgt) pages
 *
 * Never allocates, never sleeps: safe under a spinlock that an MMU
 * notifier also takes, where an allocation could recurse into reclaim
 * and so into the notifier.  An entry that differs from the wanted one
 * only in @relax bits it has and @attr has not stays as it is.
 * Return: 0, -EINVAL, -ENOMEM if @cache ran dry, or -EEXIST if @addr is
 * mapped differently.
 */
int mkvm_pgtable_map_page_cached(struct mkvm_pgtable *pgt, u64 addr,
				 phys_addr_t pa, u64 attr, u64 relax,
				 struct mkvm_pgtable_cache *cache)
{
	return map_leaf(pgt, addr, pa, 3, attr, relax, cache);
}

/**
 * mkvm_pgtable_map_block_cached() - map one level-2 block (2 MiB)
 * @pgt:	the table
 * @addr:	2 MiB-aligned input address
 * @pa:		2 MiB-aligned output address
 * @attr:	descriptor attribute bits (everything but address and type)
 * @relax:	as for mkvm_pgtable_map_page_cached()
 * @cache:	as for mkvm_pgtable_map_page_cached()
 *
 * Never allocates, never sleeps.  A table already at level 2 (pages
 * mapped there before) is left alone: the caller breaks it first
 * (mkvm_pgtable_unlink_table(), a TLB invalidation) or maps a page.
 * Return: 0, -EINVAL, -ENOMEM if @cache ran dry, -EEXIST if @addr is
 * mapped differently, -EAGAIN if smaller mappings are in the way.
 */
int mkvm_pgtable_map_block_cached(struct mkvm_pgtable *pgt, u64 addr,
				  phys_addr_t pa, u64 attr, u64 relax,
				  struct mkvm_pgtable_cache *cache)
{
	return map_leaf(pgt, addr, pa, 2, attr, relax, cache);
}

static int unlink_visitor(const struct mkvm_pgtable_visit *v, void *arg)
{
	struct mkvm_pgtable_unlinked *u = arg;
	u64 desc = READ_ONCE(*v->ptep);

	if (v->level != u->level)
		return 0;
	WRITE_ONCE(*v->ptep, 0);
	u->table = desc_child(desc);
	return 0;
}

/**
 * mkvm_pgtable_unlink_table() - break a table entry: the first step of
 *				 replacing a table of smaller mappings with
 *				 one block
 * @pgt:	the table
 * @addr:	input address aligned to what one entry at @level covers
 * @level:	the level of the entry, 1 or 2
 * @u:		filled with @level and, if a table was found there, the
 *		table now unlinked (NULL otherwise)
 *
 * The entry at @level for @addr is made invalid if it points to a
 * table.  The table and the ones below it are left intact: the MMU may
 * still walk them until the caller has invalidated the TLBs for the
 * range (break-before-make, Arm ARM D8.16.1, "Using break-before-make
 * when updating translation table entries"), and only then may it map
 * the block there and free the table with mkvm_pgtable_free_unlinked().
 * Never allocates, never sleeps.
 * Return: true if a table was unlinked.
 */
bool mkvm_pgtable_unlink_table(struct mkvm_pgtable *pgt, u64 addr, u32 level,
			       struct mkvm_pgtable_unlinked *u)
{
	struct mkvm_pgtable_walker w = {
		.cb	= unlink_visitor,
		.arg	= u,
		.flags	= MKVM_WALK_TABLE_PRE,
	};

	u->level = level;
	u->table = NULL;
	if (level < 1 || level > 2 || level <= pgt->start_level ||
	    !IS_ALIGNED(addr, BIT_ULL(level_shift(level))))
		return false;
	mkvm_pgtable_walk(pgt, addr, BIT_ULL(level_shift(level)), &w);
	if (u->table)
		dsb(ishst);
	return u->table;
}

static void free_table(u64 *table, u32 level)
{
	int i;

	for (i = 0; level < 2 && i < BIT(LEVEL_BITS); i++)
		if (desc_is_table(table[i], level + 1))
			free_table(desc_child(table[i]), level + 1);
	free_page((unsigned long)table);
}

/**
 * mkvm_pgtable_free_unlinked() - free what mkvm_pgtable_unlink_table() took
 * @u:		its result; no MMU may walk the table any more (the TLBs
 *		for its range were invalidated since) and no software walker
 *		still holds it
 *
 * The pages the table mapped are not touched.
 */
void mkvm_pgtable_free_unlinked(struct mkvm_pgtable_unlinked *u)
{
	if (u->table)
		free_table(u->table, u->level);
	u->table = NULL;
}

struct relax_args {
	u64 need;
	u64 set;
	bool done;
};

static int relax_visitor(const struct mkvm_pgtable_visit *v, void *arg)
{
	struct relax_args *r = arg;
	u64 desc = READ_ONCE(*v->ptep);

	/* Pages only: a block is never logged (see the fault path). */
	if (v->level != 3 || (desc & r->need) != r->need)
		return 0;
	WRITE_ONCE(*v->ptep, desc | r->set);
	r->done = true;
	return 0;
}

/**
 * mkvm_pgtable_relax() - add attribute bits to the page mapping @addr
 * @pgt:	the table
 * @addr:	page-aligned input address
 * @need:	bits the entry must have already
 * @set:	bits to add (a permission: no break-before-make needed)
 *
 * Never allocates, never sleeps.
 * Return: true if @addr is mapped by a page entry with @need (now with
 * @set); false for a block.
 */
bool mkvm_pgtable_relax(struct mkvm_pgtable *pgt, u64 addr, u64 need, u64 set)
{
	struct relax_args r = { .need = need | DESC_VALID, .set = set };
	struct mkvm_pgtable_walker w = {
		.cb	= relax_visitor,
		.arg	= &r,
		.flags	= MKVM_WALK_LEAF,
	};

	mkvm_pgtable_walk(pgt, addr, PAGE_SIZE, &w);
	if (r.done)
		dsb(ishst);
	return r.done;
}

struct clear_attr_args {
	u64 clr;
	bool changed;
};

static int clear_attr_visitor(const struct mkvm_pgtable_visit *v, void *arg)
{
	struct clear_attr_args *c = arg;
	u64 desc = READ_ONCE(*v->ptep);

	if (!(desc & DESC_VALID) || !(desc & c->clr))
		return 0;
	/*
	 * A block goes whole: what is protected is protected page by page
	 * (dirty logging), and the accesses that follow map pages.
	 * Invalidating an entry needs no break-before-make either.
	 */
	WRITE_ONCE(*v->ptep, v->level == 3 ? desc & ~c->clr : 0);
	c->changed = true;
	return 0;
}

/**
 * mkvm_pgtable_clear_attr() - clear attribute bits of every valid page
 * @pgt:	the table
 * @addr:	first input address
 * @size:	length in bytes
 * @clr:	the bits (permissions: no break-before-make needed)
 *
 * A block with any of the bits is removed instead, so the range can
 * then be mapped page by page.
 *
 * The caller invalidates the TLBs: until then the old entries may still
 * be used.  Never allocates, never sleeps.
 * Return: true if any entry changed.
 */
bool mkvm_pgtable_clear_attr(struct mkvm_pgtable *pgt, u64 addr, u64 size,
			     u64 clr)
{
	struct clear_attr_args c = { .clr = clr };
	struct mkvm_pgtable_walker w = {
		.cb	= clear_attr_visitor,
		.arg	= &c,
		.flags	= MKVM_WALK_LEAF,
	};

	mkvm_pgtable_walk(pgt, addr, size, &w);
	if (c.changed)
		dsb(ishst);
	return c.changed;
}

/**
 * mkvm_pgtable_map_pages_needed() - table pages one page mapping can need
 * @pgt:	the table
 *
 * One per level below the root.
 */
int mkvm_pgtable_map_pages_needed(const struct mkvm_pgtable *pgt)
{
	return 3 - pgt->start_level;
}

/**
 * mkvm_pgtable_cache_topup() - fill a cache to at least @min zeroed pages
 * @cache:	the cache
 * @min:	at most MKVM_PGTABLE_CACHE_PAGES
 *
 * Call without locks: the allocations may sleep and reclaim.  Pages are
 * charged to the caller's memory cgroup, as table pages always were.
 * Return: 0, -EINVAL for a @min beyond the cache, -ENOMEM.
 */
int mkvm_pgtable_cache_topup(struct mkvm_pgtable_cache *cache, int min)
{
	if (min > MKVM_PGTABLE_CACHE_PAGES)
		return -EINVAL;
	while (cache->nr < min) {
		void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		cache->pages[cache->nr++] = page;
	}
	return 0;
}

/**
 * mkvm_pgtable_cache_free() - give back the pages a cache still holds
 * @cache:	the cache; empty afterwards
 */
void mkvm_pgtable_cache_free(struct mkvm_pgtable_cache *cache)
{
	while (cache->nr)
		free_page((unsigned long)cache->pages[--cache->nr]);
}

static int free_visitor(const struct mkvm_pgtable_visit *v, void *arg)
{
	free_page((unsigned long)desc_child(READ_ONCE(*v->ptep)));
	WRITE_ONCE(*v->ptep, 0);
	return 0;
}

/**
 * mkvm_pgtable_init() - allocate an empty table
 * @pgt:	the table to set up
 * @ia_bits:	input address size, 25..48 bits
 *
 * The root level is the highest one the input size needs, with up to 16
 * concatenated root pages like stage 2 allows.
 * Return: 0, -EINVAL or -ENOMEM.
 */
int mkvm_pgtable_init(struct mkvm_pgtable *pgt, u32 ia_bits)
{
	u32 level = 3;

	if (ia_bits < 25 || ia_bits > 48)
		return -EINVAL;
	while (level > 0 && ia_bits > level_shift(level) + LEVEL_BITS + 4)
		level--;
	pgt->ia_bits = ia_bits;
	pgt->start_level = level;
	if (level == 0 && ia_bits > level_shift(0) + LEVEL_BITS)
		return -EINVAL;
	pgt->pgd = (u64 *)__get_free_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO,
					   root_order(pgt));
	return pgt->pgd ? 0 : -ENOMEM;
}

/**
 * mkvm_pgtable_destroy() - free every table page (not the pages mapped)
 * @pgt:	the table; the EL2 MMU must no longer walk it
 */
void mkvm_pgtable_destroy(struct mkvm_pgtable *pgt)
{
	struct mkvm_pgtable_walker w = {
		.cb	= free_visitor,
		.flags	= MKVM_WALK_TABLE_POST,
	};

	if (!pgt->pgd)
		return;
	mkvm_pgtable_walk(pgt, 0, BIT_ULL(pgt->ia_bits), &w);
	free_pages((unsigned long)pgt->pgd, root_order(pgt));
	pgt->pgd = NULL;
}

/**
 * mkvm_pgtable_root_pa() - physical address of the root, for a TTBR
 * @pgt:	the table
 */
phys_addr_t mkvm_pgtable_root_pa(const struct mkvm_pgtable *pgt)
{
	return virt_to_phys(pgt->pgd);
}
