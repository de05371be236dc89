// SPDX-License-Identifier: GPL-2.0
/*
 * GICv3 virtual CPU interface save/restore: list registers, ICH_HCR_EL2,
 * ICH_VMCR_EL2 and the active-priority registers.  The LRs and APRs are
 * only reachable by name, hence the switch statements.
 */
#include <asm/sysreg.h>
#include <mkvm/hyp.h>
#include "hyp.h"

#define LR_CASE_READ(n)		case n: return read_sysreg_s(SYS_ICH_LR##n##_EL2)
#define LR_CASE_WRITE(n)	case n: write_sysreg_s(v, SYS_ICH_LR##n##_EL2); break

static u64 read_lr(unsigned int n)
{
	switch (n) {
	LR_CASE_READ(0); LR_CASE_READ(1); LR_CASE_READ(2); LR_CASE_READ(3);
	LR_CASE_READ(4); LR_CASE_READ(5); LR_CASE_READ(6); LR_CASE_READ(7);
	LR_CASE_READ(8); LR_CASE_READ(9); LR_CASE_READ(10); LR_CASE_READ(11);
	LR_CASE_READ(12); LR_CASE_READ(13); LR_CASE_READ(14); LR_CASE_READ(15);
	}
	return 0;
}

static void write_lr(unsigned int n, u64 v)
{
	switch (n) {
	LR_CASE_WRITE(0); LR_CASE_WRITE(1); LR_CASE_WRITE(2); LR_CASE_WRITE(3);
	LR_CASE_WRITE(4); LR_CASE_WRITE(5); LR_CASE_WRITE(6); LR_CASE_WRITE(7);
	LR_CASE_WRITE(8); LR_CASE_WRITE(9); LR_CASE_WRITE(10); LR_CASE_WRITE(11);
	LR_CASE_WRITE(12); LR_CASE_WRITE(13); LR_CASE_WRITE(14); LR_CASE_WRITE(15);
	}
}

/* ICH_APxRn_EL2 in use: 1, 2 or 4, from the preemption bits (ICH_VTR). */
static unsigned int nr_aprs(void)
{
	u64 vtr = read_sysreg_s(SYS_ICH_VTR_EL2);

	return 1 << ((((vtr >> 26) & 7) + 1) - 5);
}

static void write_aprs(const struct mkvm_vgic_hyp *v)
{
	switch (nr_aprs()) {
	case 4:
		write_sysreg_s(v->ap0r[3], SYS_ICH_AP0R3_EL2);
		write_sysreg_s(v->ap1r[3], SYS_ICH_AP1R3_EL2);
		write_sysreg_s(v->ap0r[2], SYS_ICH_AP0R2_EL2);
		write_sysreg_s(v->ap1r[2], SYS_ICH_AP1R2_EL2);
		fallthrough;
	case 2:
		write_sysreg_s(v->ap0r[1], SYS_ICH_AP0R1_EL2);
		write_sysreg_s(v->ap1r[1], SYS_ICH_AP1R1_EL2);
		fallthrough;
	default:
		write_sysreg_s(v->ap0r[0], SYS_ICH_AP0R0_EL2);
		write_sysreg_s(v->ap1r[0], SYS_ICH_AP1R0_EL2);
	}
}

static void read_aprs(struct mkvm_vgic_hyp *v)
{
	switch (nr_aprs()) {
	case 4:
		v->ap0r[3] = read_sysreg_s(SYS_ICH_AP0R3_EL2);
		v->ap1r[3] = read_sysreg_s(SYS_ICH_AP1R3_EL2);
		v->ap0r[2] = read_sysreg_s(SYS_ICH_AP0R2_EL2);
		v->ap1r[2] = read_sysreg_s(SYS_ICH_AP1R2_EL2);
		fallthrough;
	case 2:
		v->ap0r[1] = read_sysreg_s(SYS_ICH_AP0R1_EL2);
		v->ap1r[1] = read_sysreg_s(SYS_ICH_AP1R1_EL2);
		fallthrough;
	default:
		v->ap0r[0] = read_sysreg_s(SYS_ICH_AP0R0_EL2);
		v->ap1r[0] = read_sysreg_s(SYS_ICH_AP1R0_EL2);
	}
}

void vgic_restore(struct mkvm_vgic_hyp *v)
{
	unsigned int i;

	if (!v->hcr)
		return;
	write_aprs(v);
	write_sysreg_s(v->vmcr, SYS_ICH_VMCR_EL2);
	for (i = 0; i < v->used_lrs; i++)
		write_lr(i, v->lr[i]);
	write_sysreg_s(v->hcr, SYS_ICH_HCR_EL2);
}

/*
 * Leaves the interface off (ICH_HCR_EL2 = 0) and the LRs empty, so the
 * maintenance interrupt cannot fire into the host.
 */
void vgic_save(struct mkvm_vgic_hyp *v)
{
	unsigned int i;

	if (!v->hcr)
		return;
	for (i = 0; i < v->used_lrs; i++) {
		v->lr[i] = read_lr(i);
		write_lr(i, 0);
	}
	v->vmcr = read_sysreg_s(SYS_ICH_VMCR_EL2);
	read_aprs(v);
	write_sysreg_s(0, SYS_ICH_HCR_EL2);
}

u64 read_ich_vtr(void)
{
	return read_sysreg_s(SYS_ICH_VTR_EL2);
}
