// SPDX-License-Identifier: GPL-2.0
/*
 * The EL2 loader: take EL2 from the kernel's hyp stub on every CPU, and give
 * it back.  Documentation/el2.rst walks through the sequence.
 *
 * EL2 runs minikvm's code with its MMU and caches on.  Its address space is
 * the kernel's with the top 16 bits cleared (MKVM_HYP_VA_MASK): EL1 maps the
 * EL2 image and the per-CPU EL2 pages there, page by page, in the "runtime"
 * tables.  Switching the MMU on and off needs code mapped at its physical
 * address too; that identity map lives only in the small "boot" tables, so
 * it can never collide with a runtime mapping.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/arm-smccc.h>
#include <linux/atomic.h>
#include <linux/cpu_pm.h>
#include <linux/cpuhotplug.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/sysfs.h>
#include <linux/vmalloc.h>
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/kvm_arm.h>
#include <asm/memory.h>
#include <asm/pgtable-hwdef.h>
#include <asm/spectre.h>
#include <asm/sysreg.h>
#include <asm/virt.h>
#include <mkvm/arch.h>
#include <mkvm/debugfs.h>
#include <mkvm/hyp.h>
#include <mkvm/pgtable.h>
#include <uapi/linux/minikvm.h>

#define hyp_sym(s)	MKVM_HYP_SYM(s)

static_assert(offsetof(struct mkvm_hyp_cpu, host_x18_x30) == HYP_CPU_HOST_X18);
static_assert(offsetof(struct mkvm_hyp_cpu, host_elr) == HYP_CPU_HOST_ELR);
static_assert(offsetof(struct mkvm_hyp_cpu, host_spsr) == HYP_CPU_HOST_SPSR);
static_assert(offsetof(struct mkvm_hyp_cpu, stack_top) == HYP_CPU_STACK_TOP);
static_assert(offsetof(struct mkvm_hyp_cpu, panic_esr) == HYP_CPU_PANIC_ESR);
static_assert(offsetof(struct mkvm_hyp_cpu, panic_elr) == HYP_CPU_PANIC_ELR);
static_assert(offsetof(struct mkvm_hyp_cpu, panic_far) == HYP_CPU_PANIC_FAR);
static_assert(offsetof(struct mkvm_hyp_cpu, guest_ctxt) == HYP_CPU_GUEST_CTXT);
static_assert(offsetof(struct mkvm_hyp_cpu, exit_mitigation) ==
	      HYP_CPU_EXIT_MITIGATION);
static_assert(offsetof(struct mkvm_vcpu_hyp, ctxt.regs) == 0);
static_assert(sizeof(struct mkvm_hyp_cpu) <= PAGE_SIZE);

/*
 * EL2 stage-1 descriptor attributes (Arm ARM D8.3, "Translation table
 * descriptor formats"): Normal write-back memory (the kernel's MAIR index
 * MT_NORMAL, copied into MAIR_EL2), inner shareable, accessed.  With one
 * privilege level AP[1] is RES1 and the UXN position is XN.
 */
#define EL2_ATTR_COMMON	(PTE_ATTRINDX(MT_NORMAL) | PTE_SHARED | PTE_AF | \
			 PTE_USER)
#define EL2_ATTR_RX	(EL2_ATTR_COMMON | PTE_RDONLY)
#define EL2_ATTR_RW	(EL2_ATTR_COMMON | PTE_UXN)

/*
 * Per-CPU EL2 pages: a guard page left unmapped (an EL2 stack overflow
 * faults instead of corrupting memory), the stack, and struct mkvm_hyp_cpu.
 */
#define EL2_STACK_PAGES	2
#define EL2_CPU_PAGES	(1 + EL2_STACK_PAGES + 1)

static DEFINE_PER_CPU(void *, el2_pages);
static DEFINE_PER_CPU(bool, el2_ready);	/* minikvm's vectors are live */
static struct mkvm_pgtable boot_pgt, runtime_pgt;
static DEFINE_MUTEX(runtime_pgt_lock);	/* mkvm_hyp_share() */
static enum cpuhp_state el2_cpuhp_state;
static atomic_t el2_cpus_returned;
static atomic_t el2_pm_retakes;		/* CPU_PM took EL2 back */

/*
 * Chosen at load: the kernel itself runs at EL2 (VHE, arch/arm64/vhe.c)
 * rather than beside the hyp stub.  Documentation/el2.rst, "Two host
 * modes".
 */
bool mkvm_vhe;

/* /sys/module/minikvm/parameters/mode: "nvhe" or "vhe", read-only. */
static int mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", mkvm_vhe ? "vhe" : "nvhe");
}

static int mode_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;	/* the host decides, not the user */
}

static const struct kernel_param_ops mode_ops = {
	.set	= mode_set,
	.get	= mode_get,
};
module_param_cb(mode, &mode_ops, NULL, 0444);
MODULE_PARM_DESC(mode, "how the host runs guests (read-only): nvhe, EL2 taken from the hyp stub; vhe, the kernel runs at EL2");

static struct mkvm_hyp_cpu *el2_cpu_state(unsigned int cpu)
{
	return per_cpu(el2_pages, cpu) + (EL2_CPU_PAGES - 1) * PAGE_SIZE;
}

/* Physical address of a kernel address in the linear map or a module. */
static phys_addr_t kern_pa(const void *p)
{
	if (is_vmalloc_or_module_addr(p))
		return page_to_phys(vmalloc_to_page(p)) + offset_in_page(p);
	return virt_to_phys(p);
}

static int el2_map(struct mkvm_pgtable *pgt, const void *start,
		   const void *end, u64 attr)
{
	const void *p;
	int ret;

	for (p = PTR_ALIGN_DOWN(start, PAGE_SIZE); p < end; p += PAGE_SIZE) {
		ret = mkvm_pgtable_map_page(pgt, (u64)p & MKVM_HYP_VA_MASK,
					    kern_pa(p), attr);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The smallest data cache line of any CPU in the system, in bytes:
 * CTR_EL0.DminLine is log2 of the number of 4-byte words (Arm ARM D19.2,
 * CTR_EL0).  The sanitised CTR_EL0 holds the minimum over all CPUs, so a
 * loop stepping by it touches every line on every CPU.
 * cache_line_size() is not this: it is CTR_EL0.CWG, the writeback
 * granule, or ARCH_DMA_MINALIGN (128) when CWG is 0 - larger than a line
 * on most cores, so stepping by it would skip lines and leave them dirty
 * above the PoC.
 */
static u64 dcache_min_line(void)
{
	u64 ctr = read_sanitised_ftr_reg(SYS_CTR_EL0);

	return 4ULL << SYS_FIELD_GET(CTR_EL0, DminLine, ctr);
}

/**
 * mkvm_dcache_clean_poc() - clean [start, end) to the Point of Coherency
 * @start:	first byte (any kernel mapping of the memory)
 * @end:	one past the last byte
 *
 * For memory that will be read with the caches off (EL2 with its MMU off,
 * a guest with its MMU off).  The kernel does not export dcache_clean_poc,
 * so one cache line at a time, by the smallest line of any CPU; complete
 * (DSB SY) on return.
 */
void mkvm_dcache_clean_poc(const void *start, const void *end)
{
	u64 line = dcache_min_line();
	u64 p = ALIGN_DOWN((u64)start, line);

	for (; p < (u64)end; p += line)
		asm volatile("dc cvac, %0" : : "r" (p) : "memory");
	dsb(sy);
}

static int el2_cpu_take(unsigned int cpu);

/* An id no stub call uses: the stub answers it with HVC_STUB_ERR. */
static bool el2_stub_answers(void)
{
	struct arm_smccc_res res;

	arm_smccc_hvc(HVC_STUB_HCALL_NR, 0, 0, 0, 0, 0, 0, 0, &res);
	return res.a0 == HVC_STUB_ERR;
}

/*
 * This CPU should run minikvm's EL2 but the hyp stub answers: EL2 was
 * lost behind our back (a power-down state whose exit we were not told
 * about, or firmware).  Take it again, so that the caller's call is not
 * silently swallowed by the stub: a TLB invalidation that never ran leaves
 * stale stage-2 entries for pages the host has freed.
 * Return: true if the call can be retried.
 */
static bool el2_retake_lost(void)
{
	unsigned int cpu = smp_processor_id();

	if (!this_cpu_read(el2_ready) || !el2_stub_answers())
		return false;
	pr_warn_ratelimited("CPU%u: EL2 was lost to the hyp stub; taking it again\n",
			    cpu);
	if (el2_cpu_take(cpu)) {
		this_cpu_write(el2_ready, false);
		return false;
	}
	return true;
}

/**
 * mkvm_call_hyp() - make a minikvm host call on this CPU
 * @id:		MKVM_HC(n)
 * @a1:		first argument
 * @a2:		second argument
 * @a3:		third argument
 *
 * Must run with preemption disabled.  An exception taken at EL2 comes back
 * as MKVM_HC_PANIC and is reported here with the faulting EL2 code address.
 * If the hyp stub answers instead of minikvm (EL2 lost, see
 * el2_retake_lost()), EL2 is taken again and the call made once more; if
 * that fails too the call returns MKVM_HC_PANIC.  No minikvm call returns
 * HVC_STUB_ERR as a result (it has RES0 bits of ICH_VTR_EL2 set; a ping
 * whose answer happens to equal it is told apart by el2_stub_answers()).
 * Return: the call's x0.
 */
u64 mkvm_call_hyp(u64 id, u64 a1, u64 a2, u64 a3)
{
	struct arm_smccc_res res;

	if (mkvm_vhe) {
		/* Already at EL2: no hvc, and no stub to lose EL2 to. */
		res.a0 = mkvm_vhe_call(el2_cpu_state(smp_processor_id()),
				       id, a1, a2, a3);
		goto out;
	}
	arm_smccc_hvc(id, a1, a2, a3, 0, 0, 0, 0, &res);
	if (unlikely(res.a0 == HVC_STUB_ERR)) {
		if (!el2_retake_lost())
			return el2_stub_answers() ? MKVM_HC_PANIC : res.a0;
		arm_smccc_hvc(id, a1, a2, a3, 0, 0, 0, 0, &res);
	}
out:
	if (res.a0 == MKVM_HC_PANIC) {
		struct mkvm_hyp_cpu *hc = el2_cpu_state(smp_processor_id());

		pr_crit("CPU%u: exception at EL2: ESR %#llx at %pS FAR %#llx\n",
			smp_processor_id(), hc->panic_esr,
			(void *)(hc->panic_elr | ~MKVM_HYP_VA_MASK),
			hc->panic_far);
	}
	return res.a0;
}

struct el2_flush_vmid_args {
	u64	vttbr;
	u64	vtcr;
	u64	range;
	bool	done;
};

static void el2_flush_vmid_cpu(void *arg)
{
	struct el2_flush_vmid_args *a = arg;
	u64 id = a->range ? MKVM_HC_FLUSH_IPA : MKVM_HC_FLUSH_VMID;

	if (this_cpu_read(el2_ready) &&
	    mkvm_call_hyp(MKVM_HC(id), a->vttbr, a->vtcr, a->range) ==
	    MKVM_HC_OK)
		a->done = true;
}

/**
 * mkvm_el2_flush_vmid() - invalidate TLB entries of one VM, everywhere
 * @vttbr:	the VM's VTTBR_EL2 (its VMID and stage-2 root)
 * @vtcr:	the VM's VTCR_EL2 (VS says whether the VMID has 8 or 16 bits)
 * @range:	0 for every entry of the VM; else MKVM_TLBI_IPA(): the
 *		stage-2 entries of those IPAs and the VM's stage-1 entries
 *
 * The invalidation is broadcast (Inner Shareable), so one CPU whose EL2 is
 * minikvm's does it for all.  It is never just dropped: if this CPU's EL2
 * cannot be taken back (mkvm_call_hyp()), another CPU's is used; the
 * caller frees pages on return, and a stale entry would give a guest the
 * page's next owner.  May be called with preemption disabled, not with
 * interrupts disabled.
 */
void mkvm_el2_flush_vmid(u64 vttbr, u64 vtcr, u64 range)
{
	struct el2_flush_vmid_args a = {
		.vttbr = vttbr, .vtcr = vtcr, .range = range,
	};
	unsigned int cpu;

	preempt_disable();
	el2_flush_vmid_cpu(&a);
	preempt_enable();
	if (a.done)
		return;
	for_each_online_cpu(cpu) {
		if (!smp_call_function_single(cpu, el2_flush_vmid_cpu, &a, 1) &&
		    a.done)
			return;
	}
	/* No CPU answers as minikvm while the module is loaded: a bug. */
	WARN_ONCE(1, "minikvm: no CPU could invalidate VMID %llu\n", vttbr >> 48);
}

/*
 * TCR_EL2 for a 48-bit EL2 address space, 4 KiB granule, table walks
 * Normal write-back cacheable and inner shareable like the data they
 * describe.  PS is the CPU's physical size, at most the 48 bits the
 * descriptors hold.
 */
static u64 el2_tcr(void)
{
	u64 parange = SYS_FIELD_GET(ID_AA64MMFR0_EL1, PARANGE,
				    read_sysreg(id_aa64mmfr0_el1));

	parange = min_t(u64, parange, ID_AA64MMFR0_EL1_PARANGE_48);
	return TCR_EL2_RES1 | TCR_T0SZ(MKVM_HYP_VA_BITS) | TCR_TG0_4K |
	       TCR_SH0_INNER | TCR_ORGN0_WBWA | TCR_IRGN0_WBWA |
	       (parange << TCR_EL2_PS_SHIFT);
}

#define id_field(reg, field, val)	\
	cpuid_feature_extract_unsigned_field(val, reg##_##field##_SHIFT)

/*
 * What this CPU has that EL2 must set up or guard for guests
 * (MKVM_HYP_F_*, used by arch/arm64/hyp/switch.c).  This CPU's own ID
 * registers, not the sanitised ones: EL2 must not touch a register the
 * CPU it runs on lacks, and must guard every one it has.
 */
static u64 el2_cpu_features(void)
{
	u64 dfr0 = read_sysreg(id_aa64dfr0_el1);
	u64 mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	u64 mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);
	u64 f = 0;

	/* P set: a higher EL owns the buffer, EL1 and EL2 cannot use it. */
	if (id_field(ID_AA64DFR0_EL1, PMSVer, dfr0) &&
	    !(read_sysreg_s(SYS_PMBIDR_EL1) & PMBIDR_EL1_P))
		f |= MKVM_HYP_F_SPE;
	if (id_field(ID_AA64DFR0_EL1, TraceBuffer, dfr0) &&
	    !(read_sysreg_s(SYS_TRBIDR_EL1) & TRBIDR_EL1_P))
		f |= MKVM_HYP_F_TRBE;
	if (id_field(ID_AA64DFR0_EL1, TraceFilt, dfr0))
		f |= MKVM_HYP_F_TRF;
	if (id_field(ID_AA64MMFR0_EL1, FGT, mmfr0))
		f |= MKVM_HYP_F_FGT;
	if (id_field(ID_AA64MMFR1_EL1, HCX, mmfr1))
		f |= MKVM_HYP_F_HCX;
	if (id_field(ID_AA64PFR0_EL1, RAS, pfr0))
		f |= MKVM_HYP_F_RAS;
	/*
	 * A system-wide capability, from the kernel's errata table (its
	 * MIDR ranges are not ours to copy): a module reads the final
	 * capabilities as built-in code does.
	 */
	if (cpus_have_final_cap(ARM64_WORKAROUND_SPECULATIVE_AT))
		f |= MKVM_HYP_F_SPEC_AT;
	return f;
}

/* Is an SMCCC 1.1 firmware workaround implemented and needed here? */
static bool el2_fw_workaround(u32 id)
{
	struct arm_smccc_res res;

	arm_smccc_1_1_invoke(ARM_SMCCC_ARCH_FEATURES_FUNC_ID, id, &res);
	return (int)res.a0 == SMCCC_RET_SUCCESS;
}

/*
 * Branch-predictor hardening for guest exits on this CPU, by the kernel's
 * own verdict: the ARM64_SPECTRE_V2 and ARM64_SPECTRE_BHB capabilities
 * say whether this CPU is affected (the kernel's detection, exported
 * through this_cpu_has_cap()); the mitigation is the one the kernel would
 * pick for its own vectors, as far as a module can tell which:
 *  - BHB: nothing with ECBHB; CLRBHB where the CPU has it; else firmware
 *    WORKAROUND_3 (also covers Spectre-v2); else the branchy loop with the
 *    largest count the kernel uses on any core (its per-core count,
 *    spectre_bhb_loop_affected(), is not exported);
 *  - Spectre-v2: firmware WORKAROUND_1 unless WORKAROUND_3 is used.  With
 *    no firmware help the kernel itself reports "Vulnerable".
 * Nothing with mitigations=off, nor what the kernel was built without.
 * Documentation/el2.rst lists what is covered.
 */
static u64 el2_exit_mitigation(unsigned int cpu)
{
	bool v2 = this_cpu_has_cap(ARM64_SPECTRE_V2);
	bool bhb = this_cpu_has_cap(ARM64_SPECTRE_BHB) &&
		   IS_ENABLED(CONFIG_MITIGATE_SPECTRE_BRANCH_HISTORY) &&
		   !id_field(ID_AA64MMFR1_EL1, ECBHB,
			     read_sysreg(id_aa64mmfr1_el1));
	u64 mit = 0;

	if (cpu_mitigations_off())
		return 0;
	if (bhb && id_field(ID_AA64ISAR2_EL1, CLRBHB,
			    read_sysreg_s(SYS_ID_AA64ISAR2_EL1)))
		mit |= BIT(MKVM_MIT_CLRBHB_BIT);
	else if (bhb && el2_fw_workaround(ARM_SMCCC_ARCH_WORKAROUND_3))
		return BIT(MKVM_MIT_FW_WA3_BIT);
	else if (bhb)
		mit |= BIT(MKVM_MIT_BHB_LOOP_BIT);
	if (v2) {
		if (el2_fw_workaround(ARM_SMCCC_ARCH_WORKAROUND_1))
			mit |= BIT(MKVM_MIT_FW_WA1_BIT);
		else
			pr_info_once("CPU%u: Spectre-v2: no firmware mitigation, guest exits not hardened (as the host)\n",
				     cpu);
	}
	return mit;
}

/* What EL2 must know of this CPU (@cpu), which must not migrate. */
static void el2_cpu_setup(unsigned int cpu)
{
	struct mkvm_hyp_cpu *hc = el2_cpu_state(cpu);

	memset(hc, 0, sizeof(*hc));
	hc->features = el2_cpu_features();
	preempt_disable();	/* this_cpu_has_cap() insists; we are pinned */
	hc->exit_mitigation = el2_exit_mitigation(cpu);
	preempt_enable();
}

/*
 * Take EL2 from the hyp stub on this CPU (@cpu), which must not be able to
 * migrate: through cpuhp, at load and when @cpu comes online, and again
 * after EL2 was lost (power management, el2_retake_lost()).  On a VHE host
 * there is nothing to take: the kernel is at EL2 already.
 */
static int el2_cpu_take(unsigned int cpu)
{
	void *pages = per_cpu(el2_pages, cpu);
	struct mkvm_hyp_cpu *hc = el2_cpu_state(cpu);
	struct arm_smccc_res res;
	u64 ret;

	if (mkvm_vhe) {
		el2_cpu_setup(cpu);
		return 0;
	}

	/*
	 * A CPU coming online has the stub again; if anything else answers
	 * (KVM took EL2 meanwhile) it must not be handed our vectors.
	 */
	if (!el2_stub_answers()) {
		pr_err("CPU%u: EL2 does not answer as the hyp stub\n", cpu);
		return -ENODEV;
	}
	arm_smccc_hvc(HVC_SET_VECTORS, kern_pa(hyp_sym(init_vectors)),
		      0, 0, 0, 0, 0, 0, &res);
	if (res.a0) {
		pr_err("CPU%u: the hyp stub refused HVC_SET_VECTORS\n", cpu);
		return -ENODEV;
	}

	el2_cpu_setup(cpu);
	hc->stack_top = ((u64)pages + (1 + EL2_STACK_PAGES) * PAGE_SIZE) &
			MKVM_HYP_VA_MASK;
	arm_smccc_hvc(MKVM_HC_INIT,
		      mkvm_pgtable_root_pa(&boot_pgt),
		      mkvm_pgtable_root_pa(&runtime_pgt),
		      el2_tcr(),
		      (u64)mkvm_hyp_va(hc),
		      hc->stack_top,
		      (u64)hyp_sym(host_vectors) & MKVM_HYP_VA_MASK,
		      (u64)hyp_sym(init_runtime) & MKVM_HYP_VA_MASK,
		      &res);
	if (res.a0 != MKVM_HC_OK) {
		pr_err("CPU%u: EL2 init failed (%#lx)\n", cpu, res.a0);
		return -EIO;
	}

	/* Not mkvm_call_hyp(): a stub answer here must not retake again. */
	arm_smccc_hvc(MKVM_HC(MKVM_HC_PING), cpu, 0, 0, 0, 0, 0, 0, &res);
	ret = res.a0;
	if (ret != ~(u64)cpu) {
		pr_err("CPU%u: EL2 does not answer after init (%#llx)\n",
		       cpu, ret);
		return -EIO;
	}
	return 0;
}

/* cpuhp startup callback: runs on @cpu, which is pinned there. */
static int el2_cpu_install(unsigned int cpu)
{
	int ret = el2_cpu_take(cpu);

	if (ret)
		return ret;
	this_cpu_write(el2_ready, true);
	mkvm_vgic_cpu_up();
	return 0;
}

/* cpuhp teardown callback, on @cpu: hand EL2 back to the stub. */
static int el2_cpu_uninstall(unsigned int cpu)
{
	struct arm_smccc_res res;

	/* Pings that reach this CPU from now on see it offline. */
	this_cpu_write(el2_ready, false);
	mkvm_vgic_cpu_down();
	if (mkvm_vhe) {
		/* Nothing of minikvm's stays in EL2 between runs. */
		atomic_inc(&el2_cpus_returned);
		return 0;
	}
	arm_smccc_hvc(HVC_RESET_VECTORS, 0, 0, 0, 0, 0, 0, 0, &res);
	if (res.a0 || !el2_stub_answers()) {
		pr_err("CPU%u: EL2 not handed back to the hyp stub\n", cpu);
		return 0;	/* teardown cannot fail; the log says it */
	}
	atomic_inc(&el2_cpus_returned);
	return 0;
}

/*
 * HVC_SOFT_RESTART is what kexec uses to leave the kernel: EL2 goes back
 * to the stub with its MMU off, and the CPU continues at EL2 at a
 * physical address.  This exercises that path on one CPU without kexec:
 * the "restart" address is stub_vbar_probe, which returns to us with
 * VBAR_EL2, so we can check the stub's vectors are back and then take EL2
 * again.  Runs in IPI context, interrupts off.
 */
static void el2_soft_restart_cpu(void *arg)
{
	unsigned int cpu = smp_processor_id();
	int *err = arg;
	struct arm_smccc_res res;

	if (!this_cpu_read(el2_ready)) {
		*err = -ENXIO;
		return;
	}
	this_cpu_write(el2_ready, false);
	mkvm_vgic_cpu_down();
	arm_smccc_hvc(HVC_SOFT_RESTART, kern_pa(hyp_sym(stub_vbar_probe)),
		      0, 0, 0, 0, 0, 0, &res);
	if (res.a0 != hyp_sym(stub_vectors_pa) || !el2_stub_answers()) {
		pr_err("CPU%u: HVC_SOFT_RESTART did not hand EL2 back (%#lx)\n",
		       cpu, res.a0);
		*err = -EIO;
	}
	if (el2_cpu_install(cpu) && !*err)
		*err = -EIO;
}

/* Write a CPU number: run @fn there, return its error or @len. */
static ssize_t el2_knob_write(const char __user *buf, size_t len,
			      smp_call_func_t fn)
{
	unsigned int cpu;
	int ret, err = 0;

	ret = kstrtouint_from_user(buf, len, 0, &cpu);
	if (ret)
		return ret;
	if (cpu >= nr_cpu_ids)
		return -EINVAL;
	ret = smp_call_function_single(cpu, fn, &err, 1);
	return ret ?: err ?: len;
}

/* debugfs minikvm/el2_soft_restart: write a CPU number to exercise it. */
static ssize_t soft_restart_write(struct file *file, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	return el2_knob_write(buf, len, el2_soft_restart_cpu);
}

static const struct file_operations soft_restart_fops = {
	.owner	= THIS_MODULE,
	.write	= soft_restart_write,
	.llseek	= noop_llseek,
};

/*
 * CPU power management.  A power-down idle state or suspend loses EL2's
 * context: the CPU comes back through the kernel's resume path, which
 * installs the hyp stub at EL2 again (arch/arm64/kernel/sleep.S, then
 * init_kernel_el).  minikvm takes EL2 again when the CPU leaves the low
 * power state (CPU_PM_EXIT), or when entering it failed after notifiers
 * ran (CPU_PM_ENTER_FAILED), as KVM does in hyp_init_cpu_pm_notifier.
 * Nothing is done on CPU_PM_ENTER: a retention state keeps minikvm's EL2,
 * which then still answers on exit and is left alone.  Runs on the CPU
 * concerned, interrupts off, with no host call in flight on it.
 */
static int el2_cpu_pm_notify(struct notifier_block *nb, unsigned long cmd,
			     void *v)
{
	unsigned int cpu = smp_processor_id();

	if (cmd != CPU_PM_EXIT && cmd != CPU_PM_ENTER_FAILED)
		return NOTIFY_DONE;
	if (!this_cpu_read(el2_ready) || !el2_stub_answers())
		return NOTIFY_OK;
	if (el2_cpu_take(cpu)) {
		/* Pings and runs on this CPU fail cleanly from now on. */
		this_cpu_write(el2_ready, false);
		return NOTIFY_BAD;
	}
	atomic_inc(&el2_pm_retakes);
	return NOTIFY_OK;
}

static struct notifier_block el2_cpu_pm_nb = {
	.notifier_call = el2_cpu_pm_notify,
};

/*
 * Test knobs for the above (selftests/escape_el2_test.c), which QEMU's
 * virt machine cannot exercise for real: it has no idle state that loses
 * EL2.  el2_lose gives one CPU's EL2 back to the stub without telling
 * minikvm (what firmware does on a power-down); el2_cpu_pm runs the
 * kernel's CPU_PM enter and exit notifier chains on one CPU, as the idle
 * or suspend code does around a low power state.  Both run in IPI context
 * on that CPU, interrupts off, as the idle code would.
 */
static void el2_lose_cpu(void *arg)
{
	struct arm_smccc_res res;
	int *err = arg;

	if (!this_cpu_read(el2_ready)) {
		*err = -ENXIO;
		return;
	}
	arm_smccc_hvc(HVC_RESET_VECTORS, 0, 0, 0, 0, 0, 0, 0, &res);
	if (res.a0 || !el2_stub_answers())
		*err = -EIO;
}

static void el2_cpu_pm_cpu(void *arg)
{
	int *err = arg;

	*err = cpu_pm_enter();
	if (!*err)
		*err = cpu_pm_exit();
}

static ssize_t lose_write(struct file *file, const char __user *buf,
			  size_t len, loff_t *ppos)
{
	return el2_knob_write(buf, len, el2_lose_cpu);
}

static ssize_t cpu_pm_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	return el2_knob_write(buf, len, el2_cpu_pm_cpu);
}

/* Reading el2_cpu_pm: how many times CPU_PM took EL2 back. */
static ssize_t cpu_pm_read(struct file *file, char __user *buf, size_t len,
			   loff_t *ppos)
{
	char tmp[16];
	int n = scnprintf(tmp, sizeof(tmp), "%d\n", atomic_read(&el2_pm_retakes));

	return simple_read_from_buffer(buf, len, ppos, tmp, n);
}

static const struct file_operations lose_fops = {
	.owner	= THIS_MODULE,
	.write	= lose_write,
	.llseek	= noop_llseek,
};

static const struct file_operations cpu_pm_fops = {
	.owner	= THIS_MODULE,
	.read	= cpu_pm_read,
	.write	= cpu_pm_write,
	.llseek	= noop_llseek,
};

/*
 * debugfs minikvm/el2_traps: per online CPU, what EL2 found there
 * (MKVM_HYP_F_*, the exit mitigation) and the EL2 controls the last guest
 * on that CPU ran under, as EL2 computed them (hyp/switch.c), so tests
 * can check "deny by default" bit by bit.
 */
static int el2_traps_show(struct seq_file *m, void *v)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		struct mkvm_hyp_cpu *hc = el2_cpu_state(cpu);

		seq_printf(m, "cpu%u features %#llx mitigation %#llx hcr %#llx mdcr %#llx cptr %#llx hcrx %#llx cnthctl %#llx\n",
			   cpu, READ_ONCE(hc->features),
			   READ_ONCE(hc->exit_mitigation),
			   READ_ONCE(hc->guest_hcr), READ_ONCE(hc->guest_mdcr),
			   READ_ONCE(hc->guest_cptr), READ_ONCE(hc->guest_hcrx),
			   READ_ONCE(hc->guest_cnthctl));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(el2_traps);

static struct dentry *el2_debugfs;

struct el2_probe {
	atomic_t	silent;		/* CPUs whose EL2 is not the stub */
	atomic_t	kvm;		/* ... of which answer as KVM does */
};

/*
 * Runs on every online CPU at load, before any minikvm call.  The
 * kernel's KVM answers an unknown stub call with SMCCC_RET_NOT_SUPPORTED
 * (its host-call handler), the stub with HVC_STUB_ERR.
 */
static void el2_probe_cpu(void *arg)
{
	struct el2_probe *p = arg;
	struct arm_smccc_res res;

	arm_smccc_hvc(HVC_STUB_HCALL_NR, 0, 0, 0, 0, 0, 0, 0, &res);
	if (res.a0 == HVC_STUB_ERR)
		return;
	atomic_inc(&p->silent);
	if (res.a0 == (unsigned long)SMCCC_RET_NOT_SUPPORTED)
		atomic_inc(&p->kvm);
}

/*
 * Decide whether EL2 is ours to take.  hvc is UNDEFINED at EL1 when EL2 is
 * absent, so the checks that need no hvc come first.
 */
static int el2_check_host(void)
{
	struct el2_probe probe = {};
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);

	/*
	 * VHE: the kernel runs at EL2 itself (E2H set), so minikvm runs
	 * guests from there.  Whether the kernel's KVM uses it too shows
	 * when the GIC's maintenance interrupt is claimed (mkvm_el2_init()).
	 */
	if (is_kernel_in_hyp_mode()) {
		mkvm_vhe = true;
		return 0;
	}
	if (!SYS_FIELD_GET(ID_AA64PFR0_EL1, EL2, pfr0)) {
		pr_err("this CPU has no EL2\n");
		return -ENODEV;
	}
	/* A hypervisor below us takes PSCI calls through hvc. */
	if (arm_smccc_1_1_get_conduit() == SMCCC_CONDUIT_HVC) {
		pr_err("PSCI uses hvc: another hypervisor owns EL2\n");
		return -ENODEV;
	}
	on_each_cpu(el2_probe_cpu, &probe, 1);
	if (atomic_read(&probe.kvm) == num_online_cpus()) {
		pr_err("the kernel's KVM owns EL2 (nVHE); boot with kvm-arm.mode=none to use minikvm\n");
		return -EBUSY;
	}
	/*
	 * Not the stub, not (on every CPU) KVM's nVHE answer: a KVM that
	 * came up on some CPUs only, or a hypervisor below Linux.  id_aa64mmfr1.vh=0 is no cure (it only moves a VHE host to
	 * the stub path, and VHE hosts are taken as they are).
	 */
	if (atomic_read(&probe.silent)) {
		pr_err("EL2 does not answer as the hyp stub: the kernel's KVM (boot with kvm-arm.mode=none) or a hypervisor below Linux owns it\n");
		return -ENODEV;
	}
	return 0;
}

/* Physical address of the stub's vectors, from the stub itself. */
static phys_addr_t el2_find_stub_vectors(void)
{
	struct arm_smccc_res res;

	preempt_disable();
	arm_smccc_hvc(HVC_SOFT_RESTART, kern_pa(hyp_sym(stub_vbar_probe)),
		      0, 0, 0, 0, 0, 0, &res);
	preempt_enable();
	return res.a0;
}

static void el2_free_cpu_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		if (!per_cpu(el2_pages, cpu))
			continue;
		free_pages_exact(per_cpu(el2_pages, cpu),
				 EL2_CPU_PAGES * PAGE_SIZE);
		per_cpu(el2_pages, cpu) = NULL;
	}
}

static int el2_build_tables(void)
{
	char *text = hyp_sym(text_start);
	phys_addr_t idmap = kern_pa(text);
	unsigned int cpu;
	int ret;

	ret = mkvm_pgtable_init(&boot_pgt, MKVM_HYP_VA_BITS);
	if (ret)
		return ret;
	ret = mkvm_pgtable_init(&runtime_pgt, MKVM_HYP_VA_BITS);
	if (ret)
		return ret;

	/* Boot tables: the idmap page at its PA, and the EL2 text. */
	ret = mkvm_pgtable_map_page(&boot_pgt, idmap, idmap, EL2_ATTR_RX);
	if (ret)
		return ret;
	ret = el2_map(&boot_pgt, text, hyp_sym(text_end), EL2_ATTR_RX);
	if (ret)
		return ret;

	/* Runtime tables: the EL2 image and every CPU's EL2 pages. */
	ret = el2_map(&runtime_pgt, text, hyp_sym(text_end), EL2_ATTR_RX);
	if (ret)
		return ret;
	ret = el2_map(&runtime_pgt, hyp_sym(data_start), hyp_sym(data_end),
		      EL2_ATTR_RW);
	if (ret)
		return ret;
	for_each_possible_cpu(cpu) {
		void *pages = per_cpu(el2_pages, cpu);

		ret = el2_map(&runtime_pgt, pages + PAGE_SIZE,
			      pages + EL2_CPU_PAGES * PAGE_SIZE, EL2_ATTR_RW);
		if (ret)
			return ret;
	}
	return 0;
}

/* Both modes: struct mkvm_hyp_cpu (and, for nVHE, the EL2 stack). */
static int el2_alloc_cpu_pages(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		void *pages = alloc_pages_exact(EL2_CPU_PAGES * PAGE_SIZE,
						GFP_KERNEL | __GFP_ZERO);

		if (!pages)
			return -ENOMEM;
		per_cpu(el2_pages, cpu) = pages;
	}
	return 0;
}

static void el2_free_tables(void)
{
	if (!mkvm_vhe) {
		mkvm_pgtable_destroy(&boot_pgt);
		mkvm_pgtable_destroy(&runtime_pgt);
	}
	el2_free_cpu_pages();
}

/*
 * nVHE: find the stub's vectors and build minikvm's EL2 tables, before any
 * CPU takes EL2.
 */
static int el2_prepare_nvhe(void)
{
	phys_addr_t idmap = kern_pa(hyp_sym(text_start));
	phys_addr_t stub;
	int ret;

	/*
	 * The init vectors and stub_vbar_probe run with the EL2 MMU off:
	 * their instruction fetches are Non-cacheable, so the page must be
	 * clean to the PoC, not only to the PoU as the module loader did.
	 */
	mkvm_dcache_clean_poc(hyp_sym(text_start), hyp_sym(idmap_end));
	stub = el2_find_stub_vectors();
	if (!stub || (stub & (SZ_2K - 1))) {
		pr_err("cannot find the hyp stub's vectors (%pa)\n", &stub);
		return -ENODEV;
	}

	ret = el2_build_tables();
	if (ret) {
		pr_err("cannot build the EL2 page tables (%d)\n", ret);
		return ret;
	}
	hyp_sym(boot_ttbr) = mkvm_pgtable_root_pa(&boot_pgt);
	hyp_sym(idmap_reset_pa) = idmap + (hyp_sym(idmap_reset) -
					   hyp_sym(text_start));
	hyp_sym(stub_vectors_pa) = stub;
	dsb(ishst);
	return 0;
}

/**
 * mkvm_el2_init() - take EL2 on every CPU, now and when CPUs come online
 *
 * On a VHE host, where the kernel runs at EL2, nothing is taken: minikvm
 * runs guests from the kernel's EL2 (arch/arm64/vhe.c).
 * Return: 0, or -ENODEV when EL2 is not the hyp stub's to give and the
 * kernel does not run there, -EBUSY when the kernel's KVM uses EL2 (each
 * with one line in the kernel log saying why), -ENOMEM, -EIO.
 */
int mkvm_el2_init(void)
{
	int ret;

	if (!IS_ENABLED(CONFIG_ARM64_4K_PAGES) ||
	    vabits_actual > MKVM_HYP_VA_BITS) {
		pr_err("needs 4 KiB pages and at most 48-bit kernel VAs\n");
		return -ENODEV;
	}
	ret = el2_check_host();
	if (ret)
		return ret;

	ret = el2_alloc_cpu_pages();
	if (ret)
		goto free_tables;
	if (!mkvm_vhe) {
		ret = el2_prepare_nvhe();
		if (ret)
			goto free_tables;
	}

	ret = mkvm_vgic_host_init();
	if (ret) {
		/*
		 * The kernel's KVM in VHE mode holds the GIC's maintenance
		 * and virtual timer interrupts (percpu, not shared).
		 */
		if (mkvm_vhe && ret == -EBUSY)
			pr_err("the kernel's KVM owns EL2 (VHE); boot with kvm-arm.mode=none to use minikvm\n");
		goto free_tables;
	}
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "minikvm/el2:online",
				el2_cpu_install, el2_cpu_uninstall);
	if (ret < 0)
		goto vgic_exit;
	el2_cpuhp_state = ret;
	el2_debugfs = debugfs_create_dir("minikvm", NULL);
	debugfs_create_file("el2_traps", 0400, el2_debugfs, NULL,
			    &el2_traps_fops);
	mkvm_debugfs_regs_init(el2_debugfs);
	if (mkvm_vhe) {
		mkvm_vhe_debugfs_init(el2_debugfs);
		pr_info("the kernel runs at EL2: guests run from there (VHE) on %u CPUs\n",
			num_online_cpus());
		return 0;
	}

	ret = cpu_pm_register_notifier(&el2_cpu_pm_nb);
	if (ret)
		goto cpuhp_remove;
	pr_info("EL2 taken on %u CPUs (stub vectors at %pa)\n",
		num_online_cpus(), &hyp_sym(stub_vectors_pa));
	debugfs_create_file("el2_soft_restart", 0200, el2_debugfs, NULL,
			    &soft_restart_fops);
	debugfs_create_file("el2_lose", 0200, el2_debugfs, NULL, &lose_fops);
	debugfs_create_file("el2_cpu_pm", 0600, el2_debugfs, NULL,
			    &cpu_pm_fops);
	return 0;

cpuhp_remove:
	debugfs_remove_recursive(el2_debugfs);
	cpuhp_remove_state(el2_cpuhp_state);
vgic_exit:
	mkvm_vgic_host_exit();
free_tables:
	el2_free_tables();
	mkvm_vhe = false;
	return ret;
}

/**
 * mkvm_el2_exit() - hand EL2 back to the stub on every CPU, free everything
 */
void mkvm_el2_exit(void)
{
	debugfs_remove_recursive(el2_debugfs);
	if (!mkvm_vhe)
		cpu_pm_unregister_notifier(&el2_cpu_pm_nb);
	atomic_set(&el2_cpus_returned, 0);
	cpuhp_remove_state(el2_cpuhp_state);
	mkvm_vgic_host_exit();
	if (mkvm_vhe)
		pr_info("VHE: EL2 left as found on %d CPUs\n",
			atomic_read(&el2_cpus_returned));
	else
		pr_info("EL2 handed back to the hyp stub on %d CPUs\n",
			atomic_read(&el2_cpus_returned));
	el2_free_tables();
}

/**
 * mkvm_hyp_share() - map kernel memory at EL2, at its masked address
 * @start:	first byte, in the linear map
 * @end:	one past the last byte
 *
 * Only linear-map memory may be shared at run time: its EL2 address always
 * translates to the same physical page, so a mapping never goes stale and
 * adding one needs no TLB maintenance (an invalid entry is never cached).
 * Sharing a page again is a no-op.  Mappings stay until unload; EL2 only
 * touches what EL1 hands it.
 * Return: 0, -EINVAL for memory outside the linear map, -ENOMEM.
 */
int mkvm_hyp_share(const void *start, const void *end)
{
	int ret;

	if (!virt_addr_valid(start) || !virt_addr_valid(end - 1))
		return -EINVAL;
	if (mkvm_vhe)
		return 0;	/* EL2 runs in the kernel's address space */
	mutex_lock(&runtime_pgt_lock);
	ret = el2_map(&runtime_pgt, start, end, EL2_ATTR_RW);
	mutex_unlock(&runtime_pgt_lock);
	return ret;
}

struct ping_args {
	struct minikvm_hyp_ping *ping;
	int err;
};

static void el2_ping_cpu(void *arg)
{
	struct ping_args *p = arg;
	struct mkvm_hyp_cpu *hc = el2_cpu_state(smp_processor_id());

	if (!this_cpu_read(el2_ready)) {
		p->err = -ENXIO;
		return;
	}
	p->ping->answer = mkvm_call_hyp(MKVM_HC(MKVM_HC_PING),
					p->ping->cookie, 0, 0);
	if (p->ping->answer == MKVM_HC_PANIC) {
		p->err = -EIO;
		return;
	}
	p->ping->sctlr_el2 = hc->ping_sctlr_el2;
	p->ping->vbar_el2 = hc->ping_vbar_el2;
	p->ping->mpidr = hc->ping_mpidr;
	p->ping->current_el = hc->ping_current_el;
}

/**
 * mkvm_el2_ping() - run the EL2 ping call on ping->cpu and fill in @ping
 * @ping:	validated by the caller except for the CPU's online state
 *
 * Return: 0, -ENXIO if the CPU is offline, -EIO if EL2 faulted.
 */
int mkvm_el2_ping(struct minikvm_hyp_ping *ping)
{
	struct ping_args p = { .ping = ping };
	int ret;

	ret = smp_call_function_single(ping->cpu, el2_ping_cpu, &p, 1);
	if (ret)
		return ret;
	ping->hyp_version = MKVM_HYP_VERSION;
	return p.err;
}
