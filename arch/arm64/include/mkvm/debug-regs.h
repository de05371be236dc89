/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The breakpoint and watchpoint registers by a number known only at run
 * time: one case per number, as each MRS/MSR encodes its register.  For
 * EL2's switch (hyp/debug-sr.c) and EL1's debugfs dump (debugfs_regs.c).
 * The caller keeps @n below what ID_AA64DFR0_EL1 of this CPU says: past
 * it the registers do not exist and the access is UNDEFINED.
 */
#ifndef __MKVM_DEBUG_REGS_H
#define __MKVM_DEBUG_REGS_H

#include <linux/types.h>
#include <asm/sysreg.h>

#define MKVM_DBG_READ_CASE(reg, n)	case n: return read_sysreg(reg##n##_el1);
#define MKVM_DBG_WRITE_CASE(reg, n)	case n: write_sysreg(v, reg##n##_el1); break;
#define MKVM_DBG_CASES(op, reg)						\
	op(reg, 0) op(reg, 1) op(reg, 2) op(reg, 3)			\
	op(reg, 4) op(reg, 5) op(reg, 6) op(reg, 7)			\
	op(reg, 8) op(reg, 9) op(reg, 10) op(reg, 11)			\
	op(reg, 12) op(reg, 13) op(reg, 14) op(reg, 15)

#define MKVM_DBG_ACCESSORS(reg)						\
static inline u64 mkvm_read_##reg(unsigned int n)			\
{									\
	switch (n) {							\
	MKVM_DBG_CASES(MKVM_DBG_READ_CASE, reg)				\
	default: return 0;						\
	}								\
}									\
static inline void mkvm_write_##reg(unsigned int n, u64 v)		\
{									\
	switch (n) {							\
	MKVM_DBG_CASES(MKVM_DBG_WRITE_CASE, reg)			\
	default: break;							\
	}								\
}

MKVM_DBG_ACCESSORS(dbgbcr)
MKVM_DBG_ACCESSORS(dbgbvr)
MKVM_DBG_ACCESSORS(dbgwcr)
MKVM_DBG_ACCESSORS(dbgwvr)

/* This CPU's own breakpoint and watchpoint counts (not the sanitised ones). */
static inline unsigned int mkvm_cpu_nr_brps(void)
{
	return ((read_sysreg(id_aa64dfr0_el1) >> 12) & 0xf) + 1;
}

static inline unsigned int mkvm_cpu_nr_wrps(void)
{
	return ((read_sysreg(id_aa64dfr0_el1) >> 20) & 0xf) + 1;
}

#endif
