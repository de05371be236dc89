/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The contract between minikvm's EL1 half and its EL2 half: hypercall ids,
 * their return codes, the per-CPU EL2 state both halves read, and how EL1
 * names EL2 symbols.  Included from C and from assembly, at EL1 and at EL2.
 */
#ifndef __MKVM_HYP_H
#define __MKVM_HYP_H

#include <linux/arm-smccc.h>
#include <linux/bits.h>

/*
 * Every EL2 object is linked into one relocatable object whose symbols are
 * all renamed with this prefix (see Kbuild), so EL2 code cannot call into the
 * host by accident: an unresolved __mkvm_hyp_* symbol fails the module link.
 * EL1 names an EL2 symbol with MKVM_HYP_SYM(name).
 */
#define MKVM_HYP_SYM(sym)	__mkvm_hyp_##sym

/*
 * On a VHE host (the kernel itself runs at EL2, Documentation/el2.rst) the
 * world-switch objects are compiled a second time with __MKVM_VHE__ and
 * linked the same way under this prefix; they run in the kernel's own
 * address space, called directly from EL1's C code (arch/arm64/vhe.c).
 */
#define MKVM_VHE_SYM(sym)	__mkvm_vhe_##sym

/*
 * EL2 addresses: EL2 runs with its own stage-1 tables in TTBR0_EL2 and sees a
 * shared kernel page at the kernel VA with bits [63:48] cleared.  The linear
 * map (0xffff0000...) and the module/vmalloc area (0xffff8000...) land in the
 * two halves of the 48-bit EL2 address space and cannot collide.
 */
#define MKVM_HYP_VA_BITS	48
#define MKVM_HYP_VA_MASK	GENMASK_ULL(MKVM_HYP_VA_BITS - 1, 0)

/* Bumped whenever this contract changes. */
#define MKVM_HYP_VERSION	1

/*
 * Hypercall ids.  Ids below HVC_STUB_HCALL_NR (asm/virt.h) belong to the hyp
 * stub ABI (Documentation/virt/kvm/arm/hyp-abi.rst), which minikvm's vectors
 * keep honouring.  minikvm's own calls use SMCCC fast-call ids in the
 * vendor-hypervisor range so a stray call can never alias a stub call.
 */
#define MKVM_HC_BASE		ARM_SMCCC_CALL_VAL(ARM_SMCCC_FAST_CALL, \
						   ARM_SMCCC_SMC_64,	   \
						   ARM_SMCCC_OWNER_VENDOR_HYP, \
						   0x4d00)
#define MKVM_HC(n)		(MKVM_HC_BASE + (n))

/* Handled by the init vectors only (EL2 MMU off). */
#define MKVM_HC_INIT		MKVM_HC(0xff)

/* Handled by the runtime vectors: indexes into the EL2 host_hcalls[] table. */
#define MKVM_HC_PING		0	/* a1 = cookie; returns ~cookie */
#define MKVM_HC_VCPU_RUN	1	/* a1 = EL2 VA of struct mkvm_vcpu_hyp */
#define MKVM_HC_FLUSH_VMID	2	/* a1 = VTTBR, a2 = VTCR: drop the VM's TLBs */
#define MKVM_HC_GET_ICH_VTR	3	/* returns ICH_VTR_EL2 */
#define MKVM_HC_TIMER_PUT	4	/* the guest's virtual timer off, CNTVOFF 0 */
#define MKVM_HC_FLUSH_IPA	5	/* a1 = VTTBR, a2 = VTCR, a3 = MKVM_TLBI_IPA() */
#define MKVM_HC_NR		6

/*
 * MKVM_HC_FLUSH_IPA's range: @n (1..MKVM_TLBI_IPA_MAX) stage-2 entries
 * from @ipa on, one every 4 KiB (@level 3) or 2 MiB (@level 2), in one
 * argument: the page-aligned IPA (below 2^48), the count above it, the
 * level in the bits a page offset would use.
 */
#define MKVM_TLBI_IPA_MAX	64
#define MKVM_TLBI_IPA(ipa, n, level)					\
	(((ipa) & GENMASK_ULL(47, 12)) | ((u64)(n) << 48) | (level))
#define MKVM_TLBI_IPA_ADDR(arg)	((arg) & GENMASK_ULL(47, 12))
#define MKVM_TLBI_IPA_N(arg)	((arg) >> 48)
#define MKVM_TLBI_IPA_LEVEL(arg)	((arg) & 3)

/* MKVM_HC_VCPU_RUN returns why the guest stopped: the vector it exited by. */
#define MKVM_EXIT_SYNC		0
#define MKVM_EXIT_IRQ		1
#define MKVM_EXIT_FIQ		2
#define MKVM_EXIT_SERROR	3

/* Values returned in x0. */
#define MKVM_HC_OK		0
#define MKVM_HC_UNKNOWN		0xffffffffffffffffULL	/* SMCCC_RET_NOT_SUPPORTED */
#define MKVM_HC_PANIC		0x4d4b564d50414e43ULL	/* "MKVMPANC" */

/*
 * struct mkvm_hyp_cpu field offsets, for the assembly that saves the host's
 * callee-saved registers on entry and restores them on the EL2 panic path.
 * Checked against the C layout with static_assert() in arch/arm64/el2.c.
 */
#define HYP_CPU_HOST_X18	0
#define HYP_CPU_HOST_ELR	(13 * 8)
#define HYP_CPU_HOST_SPSR	(14 * 8)
#define HYP_CPU_STACK_TOP	(15 * 8)
#define HYP_CPU_PANIC_ESR	(16 * 8)
#define HYP_CPU_PANIC_ELR	(17 * 8)
#define HYP_CPU_PANIC_FAR	(18 * 8)
#define HYP_CPU_GUEST_CTXT	(23 * 8)
#define HYP_CPU_EXIT_MITIGATION	(24 * 8)
#define HYP_CPU_GUEST_SMCCC_TO_EL1	(25 * 8)

/*
 * What this CPU has that EL2 must set up or guard for a guest (struct
 * mkvm_hyp_cpu.features), read at EL1 from the CPU's own ID registers when
 * minikvm takes EL2 there: EL2 only touches registers that exist.
 */
#define MKVM_HYP_F_SPE		BIT(0)	/* SPE, profiling buffer ours (PMBIDR.P == 0) */
#define MKVM_HYP_F_TRBE		BIT(1)	/* TRBE, trace buffer ours (TRBIDR.P == 0) */
#define MKVM_HYP_F_TRF		BIT(2)	/* self-hosted trace filter, TRFCR_EL1 */
#define MKVM_HYP_F_FGT		BIT(3)	/* fine-grained traps, HFG*TR_EL2 */
#define MKVM_HYP_F_HCX		BIT(4)	/* HCRX_EL2 */
#define MKVM_HYP_F_RAS		BIT(5)	/* RAS: HCR_EL2.TERR and TEA exist */
/* The kernel's ARM64_WORKAROUND_SPECULATIVE_AT (errata 1165522, 1530923...) */
#define MKVM_HYP_F_SPEC_AT	BIT(6)

/*
 * Branch-predictor hardening on every guest exit, before EL2 or the host
 * executes an indirect branch (struct mkvm_hyp_cpu.exit_mitigation, read
 * by guest.S, in this order); arch/arm64/el2.c chooses per CPU.
 */
#define MKVM_MIT_BHB_LOOP_BIT	0	/* branchy loop, MKVM_BHB_LOOP_K times */
#define MKVM_MIT_CLRBHB_BIT	1	/* CLRBHB instruction (FEAT_CLRBHB) */
#define MKVM_MIT_FW_WA1_BIT	2	/* SMCCC_ARCH_WORKAROUND_1 (Spectre-v2) */
#define MKVM_MIT_FW_WA3_BIT	3	/* SMCCC_ARCH_WORKAROUND_3 (v2 and BHB) */
/* The largest loop count the kernel uses on any core (proton-pack.c). */
#define MKVM_BHB_LOOP_K		132

#ifndef __ASSEMBLY__
#include <linux/types.h>

/*
 * The EL1 system registers a world switch swaps, indexes into
 * struct mkvm_cpu_ctxt's sys[].  The list is arch/arm64/hyp/sysreg-sr.c.
 */
enum mkvm_sysreg {
	SR_SCTLR_EL1,
	SR_CPACR_EL1,
	SR_TTBR0_EL1,
	SR_TTBR1_EL1,
	SR_TCR_EL1,
	SR_ESR_EL1,
	SR_AFSR0_EL1,
	SR_AFSR1_EL1,
	SR_FAR_EL1,
	SR_MAIR_EL1,
	SR_AMAIR_EL1,
	SR_VBAR_EL1,
	SR_CONTEXTIDR_EL1,
	SR_CNTKCTL_EL1,
	SR_PAR_EL1,
	SR_MDSCR_EL1,
	SR_CSSELR_EL1,
	SR_TPIDR_EL0,
	SR_TPIDRRO_EL0,
	SR_TPIDR_EL1,
	SR_SP_EL0,
	SR_SP_EL1,
	SR_ELR_EL1,
	SR_SPSR_EL1,
	SR_NR_SWITCHED,
	/* Guest only: the guest's virtual timer, switched at EL2 too. */
	SR_CNTV_CTL_EL0 = SR_NR_SWITCHED,
	SR_CNTV_CVAL_EL0,
	/* Guest only, never loaded: the emulated physical timer (timer.c). */
	SR_CNTP_CTL_EL0,
	SR_CNTP_CVAL_EL0,
	SR_NR
};

/* One execution context: the host's EL1 state, or a vCPU's. */
struct mkvm_cpu_ctxt {
	u64 regs[31];		/* x0..x30; offset 0, used by guest.S */
	u64 pc;
	u64 pstate;
	u64 sys[SR_NR];
};

#define MKVM_VGIC_MAX_LRS	16

/*
 * The GICv3 virtual CPU interface of a vCPU (Arm IHI 0069, 11 "Virtual
 * interrupt handling").  EL1 fills the list registers and ICH_HCR before a
 * run; EL2 loads them, and on exit stores back what the guest made of them.
 * Without ICH_HCR_EL2.En in hcr the VM has no vGIC: the interface stays
 * off, and EL1 has zeroed vmcr and the APRs, which EL2 loads all the same.
 */
struct mkvm_vgic_hyp {
	u64 lr[MKVM_VGIC_MAX_LRS];
	u64 hcr;
	u64 vmcr;
	u32 ap0r[4];
	u32 ap1r[4];
	u32 used_lrs;
};

/*
 * A set of breakpoint and watchpoint registers (Arm ARM D2.8, D2.9), by
 * number, and the debug communications channel interrupt enable, which
 * MDCR_EL2.TDA traps with them.  All 16 slots the architecture allows;
 * EL2 switches as many as the CPU implements (hyp/debug-sr.c).
 */
struct mkvm_debug_regs {
	u64 bcr[16], bvr[16], wcr[16], wvr[16];
	u64 mdccint;
};

/*
 * How EL2 handles the debug registers for one run (struct mkvm_vcpu_hyp
 * .debug), chosen at EL1 (arch/arm64/debug.c).
 */
#define MKVM_DBG_SWITCH		BIT(0)	/* load a set for this run, host's back after */
#define MKVM_DBG_VMM		BIT(1)	/* ... the VMM's (vmm_dbg), not the guest's */
#define MKVM_DBG_TRAP		BIT(2)	/* guest accesses trap all the same (TDA) */
#define MKVM_DBG_TDE		BIT(3)	/* the VMM debugs: debug exceptions to EL2 */

/*
 * What EL2 needs of a vCPU, in memory shared with EL2.  EL1 fills in the
 * controls before each MKVM_HC_VCPU_RUN; EL2 fills in the fault registers
 * on every exit.
 */
struct mkvm_vcpu_hyp {
	struct mkvm_cpu_ctxt ctxt;	/* first: guest.S addresses regs[] */
	/* in */
	u64 hcr_el2;			/* in; VSE also out: still pending? */
	u64 vsesr_el2;			/* the virtual SError's syndrome */
	u64 vttbr_el2;
	u64 vtcr_el2;
	u64 cntvoff_el2;
	u64 cntpoff;			/* physical counter offset: non-zero traps CNTPCT */
	u64 vmpidr_el2;
	u64 tlb_flush;			/* MKVM_TLB_FLUSH_*, before entry */
	u64 smccc_to_el1;		/* no EL2 fast path for HVC (filter) */
	struct mkvm_vgic_hyp vgic;	/* in and out */
	u64 debug;			/* MKVM_DBG_* */
	struct mkvm_debug_regs dbg;	/* the guest's own: in, and out if switched */
	struct mkvm_debug_regs vmm_dbg;	/* KVM_GUESTDBG_USE_HW: in */
	/* out */
	u64 esr_el2;
	u64 far_el2;
	u64 hpfar_el2;			/* from AT when HPFAR_EL2 is UNKNOWN */
	u64 fault_retry;		/* abort with no IPA found: re-enter */
	/* in, last: for MKVM_TLB_FLUSH_IPA */
	u64 tlb_flush_ipa;
};

/*
 * TLB maintenance EL2 does on this CPU before an entry, once the VM's
 * VTTBR is loaded (arch/arm64/hyp/tlb.c).
 */
#define MKVM_TLB_FLUSH_NONE	0
#define MKVM_TLB_FLUSH_VMID	1	/* another vCPU of the VM ran here */
#define MKVM_TLB_FLUSH_ALL	2	/* VMID rollover: every VMID, locally */
#define MKVM_TLB_FLUSH_IPA	3	/* FLUSH_VMID and tlb_flush_ipa's stage 2 */

/* State of one physical CPU at EL2; TPIDR_EL2 holds its EL2 address. */
struct mkvm_hyp_cpu {
	u64 host_x18_x30[13];	/* host callee-saved GPRs, x18..x30 */
	u64 host_elr;		/* where the current host call returns */
	u64 host_spsr;
	u64 stack_top;		/* EL2 VA of the top of this CPU's EL2 stack */
	u64 panic_esr;		/* an unexpected exception taken at EL2 */
	u64 panic_elr;
	u64 panic_far;
	/* Results of the last MKVM_HC_PING, read back at EL1. */
	u64 ping_sctlr_el2;
	u64 ping_vbar_el2;
	u64 ping_mpidr;
	u64 ping_current_el;
	struct mkvm_cpu_ctxt *guest_ctxt;	/* EL2 VA, while a guest runs */
	u64 exit_mitigation;			/* BIT(MKVM_MIT_*_BIT), or 0 */
	u64 guest_smccc_to_el1;			/* the vCPU's smccc_to_el1 */
	struct mkvm_cpu_ctxt host_ctxt;		/* host EL1 state, ditto */
	u64 features;				/* MKVM_HYP_F_* */
	/* Host EL2 controls while a guest's are loaded (switch.c). */
	bool guest_loaded;
	u64 host_hcr, host_cptr, host_mdcr, host_cnthctl, host_vmpidr;
	u64 host_hcrx, host_hfgrtr, host_hfgwtr, host_hfgitr;
	u64 host_hdfgrtr, host_hdfgwtr;
	/* Host profiling and trace controls, 0 while they were off. */
	u64 host_pmscr, host_trfcr;
	/* The host's debug registers while a guest's are loaded (debug-sr.c). */
	bool host_dbg_saved;
	struct mkvm_debug_regs host_dbg;
	/* The controls the last guest ran under, for debugfs minikvm/el2_traps. */
	u64 guest_hcr, guest_mdcr, guest_cptr, guest_hcrx, guest_cnthctl;
	/* VBAR_EL2 before the guest's vectors went in: put back on exit. */
	u64 host_vbar;
};

/*
 * The kernel VA of a shared object or function, as EL2 addresses it: with
 * the top bits cleared on an nVHE host (minikvm's own EL2 tables), the
 * kernel VA itself on a VHE host (the kernel's tables).
 */
#if defined(__MKVM_VHE__)
#define mkvm_hyp_va(p)		(p)
#elif defined(__MKVM_HYP__)
#define mkvm_hyp_va(p)		((typeof(p))((u64)(p) & MKVM_HYP_VA_MASK))
#else
extern bool mkvm_vhe;
#define mkvm_hyp_va(p)		\
	((typeof(p))(mkvm_vhe ? (u64)(p) : (u64)(p) & MKVM_HYP_VA_MASK))
#endif

#ifndef __MKVM_HYP__
/* The EL2 image as EL1 sees it (arch/arm64/hyp/hyp.lds and its symbols). */
extern char MKVM_HYP_SYM(text_start)[], MKVM_HYP_SYM(text_end)[];
extern char MKVM_HYP_SYM(data_start)[], MKVM_HYP_SYM(data_end)[];
extern char MKVM_HYP_SYM(idmap_end)[];
extern char MKVM_HYP_SYM(init_vectors)[], MKVM_HYP_SYM(init_runtime)[];
extern char MKVM_HYP_SYM(host_vectors)[], MKVM_HYP_SYM(idmap_reset)[];
extern char MKVM_HYP_SYM(stub_vbar_probe)[];
extern u64 MKVM_HYP_SYM(boot_ttbr);
extern u64 MKVM_HYP_SYM(idmap_reset_pa);
extern u64 MKVM_HYP_SYM(stub_vectors_pa);

/* The VHE copy of the world switch (arch/arm64/hyp/vhe/), called at EL2. */
u64 MKVM_VHE_SYM(vhe_vcpu_run)(struct mkvm_hyp_cpu *cpu,
			       struct mkvm_vcpu_hyp *vcpu);
void MKVM_VHE_SYM(vhe_flush_vmid)(u64 vttbr, u64 vtcr, u64 features,
				  u64 range);
u64 MKVM_VHE_SYM(read_ich_vtr)(void);
void MKVM_VHE_SYM(timer_put)(void);
#endif

#endif /* !__ASSEMBLY__ */
#endif /* __MKVM_HYP_H */
