// SPDX-License-Identifier: GPL-2.0
/*
 * EL2 host-call dispatch: one table of handlers indexed by call number.
 *
 * Runs at EL2 on the calling CPU's EL2 stack, interrupts masked.  Pointers
 * stored by the module loader hold kernel addresses; mkvm_hyp_va() turns
 * them into the EL2 addresses the same code is mapped at.
 */
#include <asm/sysreg.h>
#include <mkvm/hyp.h>
#include "hyp.h"

/*
 * Written by EL1 before the first MKVM_HC_INIT and never again while any
 * CPU runs minikvm's vectors; read by host_stub_hvc to hand EL2 back.
 */
u64 boot_ttbr;
u64 idmap_reset_pa;
u64 stub_vectors_pa;

typedef u64 (*hcall_fn_t)(struct mkvm_hyp_cpu *cpu, u64 a1, u64 a2, u64 a3);

/*
 * MKVM_HC_PING: prove that this CPU's EL2 runs minikvm with the MMU and
 * caches on.  Returns ~cookie, and leaves a few EL2 registers for EL1.
 */
static u64 handle_ping(struct mkvm_hyp_cpu *cpu, u64 cookie, u64 a2, u64 a3)
{
	cpu->ping_sctlr_el2 = read_sysreg(sctlr_el2);
	cpu->ping_vbar_el2 = read_sysreg(vbar_el2);
	cpu->ping_mpidr = read_sysreg(mpidr_el1);
	cpu->ping_current_el = read_sysreg(CurrentEL) >> 2;
	return ~cookie;
}

static u64 handle_vcpu_run(struct mkvm_hyp_cpu *cpu, u64 vcpu, u64 a2, u64 a3)
{
	return vcpu_run(cpu, (struct mkvm_vcpu_hyp *)vcpu);
}

static u64 handle_flush_vmid(struct mkvm_hyp_cpu *cpu, u64 vttbr, u64 vtcr,
			     u64 a3)
{
	/*
	 * VTCR_EL2.VS says how many VMID bits TLBI compares; with VS = 0 a
	 * 16-bit VMID would lose its top byte.  HCR_EL2.VM is clear while
	 * the host runs, so VTCR_EL2 means nothing else to it.
	 */
	write_sysreg(vtcr, vtcr_el2);
	flush_vmid(vttbr, 0);
	return MKVM_HC_OK;
}

/*
 * As handle_flush_vmid(), for the IPAs in @range only (MKVM_TLBI_IPA()).
 * A range EL1 should never send (no entry, too many, no level) gets the
 * whole VM flushed: more than asked, never less.
 */
static u64 handle_flush_ipa(struct mkvm_hyp_cpu *cpu, u64 vttbr, u64 vtcr,
			    u64 range)
{
	if (!MKVM_TLBI_IPA_N(range) ||
	    MKVM_TLBI_IPA_N(range) > MKVM_TLBI_IPA_MAX ||
	    MKVM_TLBI_IPA_LEVEL(range) < 2)
		range = 0;
	write_sysreg(vtcr, vtcr_el2);
	flush_vmid(vttbr, range);
	return MKVM_HC_OK;
}

static u64 handle_get_ich_vtr(struct mkvm_hyp_cpu *cpu, u64 a1, u64 a2,
			      u64 a3)
{
	return read_ich_vtr();
}

static u64 handle_timer_put(struct mkvm_hyp_cpu *cpu, u64 a1, u64 a2, u64 a3)
{
	timer_put();
	return MKVM_HC_OK;
}

static const hcall_fn_t host_hcalls[MKVM_HC_NR] = {
	[MKVM_HC_PING]		= handle_ping,
	[MKVM_HC_VCPU_RUN]	= handle_vcpu_run,
	[MKVM_HC_FLUSH_VMID]	= handle_flush_vmid,
	[MKVM_HC_GET_ICH_VTR]	= handle_get_ich_vtr,
	[MKVM_HC_TIMER_PUT]	= handle_timer_put,
	[MKVM_HC_FLUSH_IPA]	= handle_flush_ipa,
};

u64 handle_host_hcall(u64 id, u64 a1, u64 a2, u64 a3)
{
	struct mkvm_hyp_cpu *cpu = (void *)read_sysreg(tpidr_el2);
	u64 nr = id - MKVM_HC_BASE;

	if (nr >= MKVM_HC_NR || !host_hcalls[nr])
		return MKVM_HC_UNKNOWN;
	return mkvm_hyp_va(host_hcalls[nr])(cpu, a1, a2, a3);
}
