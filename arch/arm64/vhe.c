// SPDX-License-Identifier: GPL-2.0
/*
 * The host calls of a VHE host.  When the kernel itself runs at EL2
 * (HCR_EL2.E2H set, Documentation/el2.rst "Two host modes") there is no
 * hyp stub to take over and no hvc to make: mkvm_call_hyp() hands each
 * call to mkvm_vhe_call(), which does at EL2, directly, what the nVHE
 * host's EL2 does for the same call id.  The world switch is the VHE
 * build of arch/arm64/hyp/ (arch/arm64/hyp/vhe/, symbols MKVM_VHE_SYM()).
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <asm/alternative.h>
#include <asm/cpufeature.h>
#include <asm/daifflags.h>
#include <asm/sysreg.h>
#include <mkvm/arch.h>
#include <mkvm/hyp.h>

#define vhe_sym(s)	MKVM_VHE_SYM(s)

/*
 * One guest run, every exception masked (PSTATE.DAIF, as an nVHE host
 * call runs at EL2): TPIDR_EL2 holds minikvm's state for this CPU
 * meanwhile (hyp/vhe/entry.S), so not even a debug exception or an SError
 * may reach the kernel.  The guest's exit is an exception entry to EL2,
 * which leaves PSTATE.PAN as the guest had it when SCTLR_EL2.SPAN is set:
 * the kernel expects it set outside its user-access windows (KVM's VHE
 * __guest_exit sets it the same way).
 */
static u64 vhe_vcpu_run(struct mkvm_hyp_cpu *hc, struct mkvm_vcpu_hyp *vcpu)
{
	unsigned long flags = local_daif_save();
	u64 exit;

	exit = vhe_sym(vhe_vcpu_run)(hc, vcpu);
	asm volatile(ALTERNATIVE("nop", SET_PSTATE_PAN(1), ARM64_HAS_PAN,
				 CONFIG_ARM64_PAN));
	local_daif_restore(flags);
	return exit;
}

/* MKVM_HC_PING: what minikvm's EL2 on this CPU looks like. */
static u64 vhe_ping(struct mkvm_hyp_cpu *hc, u64 cookie)
{
	hc->ping_sctlr_el2 = read_sysreg(sctlr_el2);
	hc->ping_vbar_el2 = read_sysreg(vbar_el2);
	hc->ping_mpidr = read_sysreg(mpidr_el1);
	hc->ping_current_el = read_sysreg(CurrentEL) >> 2;
	return ~cookie;
}

/**
 * mkvm_vhe_call() - a host call on a VHE host, at EL2 on this CPU
 * @hc:		this CPU's struct mkvm_hyp_cpu
 * @id:		MKVM_HC(n), as for mkvm_call_hyp()
 * @a1:		first argument
 * @a2:		second argument
 * @a3:		third argument
 *
 * Must run with preemption disabled.  Return: as the nVHE call returns.
 */
u64 mkvm_vhe_call(struct mkvm_hyp_cpu *hc, u64 id, u64 a1, u64 a2, u64 a3)
{
	unsigned long flags;

	switch (id) {
	case MKVM_HC(MKVM_HC_PING):
		return vhe_ping(hc, a1);
	case MKVM_HC(MKVM_HC_VCPU_RUN):
		return vhe_vcpu_run(hc, (struct mkvm_vcpu_hyp *)a1);
	case MKVM_HC(MKVM_HC_FLUSH_VMID):
	case MKVM_HC(MKVM_HC_FLUSH_IPA):
		/* Only the nVHE call checks the range: EL1 built it here. */
		if (id == MKVM_HC(MKVM_HC_FLUSH_VMID))
			a3 = 0;
		/* HCR_EL2.TGE is clear meanwhile: nothing may interrupt. */
		flags = local_daif_save();
		vhe_sym(vhe_flush_vmid)(a1, a2, hc->features, a3);
		local_daif_restore(flags);
		return MKVM_HC_OK;
	case MKVM_HC(MKVM_HC_GET_ICH_VTR):
		return vhe_sym(read_ich_vtr)();
	case MKVM_HC(MKVM_HC_TIMER_PUT):
		vhe_sym(timer_put)();
		return MKVM_HC_OK;
	default:
		return MKVM_HC_UNKNOWN;
	}
}

/*
 * debugfs minikvm/el2_host (VHE only): the host's EL2 controls a world
 * switch changes and must put back, per online CPU, read where they live
 * (the kernel runs at EL2): selftests/el2_test.c compares them before and
 * after guests ran, and across unload and load.
 */
#define VHE_HOST_EL2_REGS(X)						\
	X(hcr_el2) X(mdcr_el2) X(cptr_el2) X(cnthctl_el2) X(vbar_el2)	\
	X(vttbr_el2) X(cntvoff_el2) X(vmpidr_el2) X(tpidr_el2)

#define EL2_REG_INDEX(r)	EL2_REG_##r,
#define EL2_REG_NAME(r)		#r,
#define EL2_REG_READ(r)		v[EL2_REG_##r] = read_sysreg(r);

enum { VHE_HOST_EL2_REGS(EL2_REG_INDEX) NR_EL2_REGS };

static const char * const el2_reg_names[] = {
	VHE_HOST_EL2_REGS(EL2_REG_NAME)
};

static void el2_host_read(void *arg)
{
	u64 *v = arg;

	VHE_HOST_EL2_REGS(EL2_REG_READ)
}

static int el2_host_show(struct seq_file *m, void *unused)
{
	u64 v[NR_EL2_REGS];
	int cpu, i;

	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (smp_call_function_single(cpu, el2_host_read, v, 1))
			continue;
		for (i = 0; i < NR_EL2_REGS; i++)
			seq_printf(m, "%d %s %#llx\n", cpu, el2_reg_names[i],
				   v[i]);
	}
	cpus_read_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(el2_host);

/**
 * mkvm_vhe_debugfs_init() - add the VHE host's debugfs files
 * @dir:	minikvm's debugfs directory
 */
void mkvm_vhe_debugfs_init(struct dentry *dir)
{
	debugfs_create_file("el2_host", 0400, dir, NULL, &el2_host_fops);
}
