/* SPDX-License-Identifier: GPL-2.0 */
/* The arm64 port as the arch-neutral core (virt/) sees it. */
#ifndef __MKVM_ARCH_H
#define __MKVM_ARCH_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <asm/fpsimd.h>
#include <mkvm/pgtable.h>

struct minikvm_hyp_ping;
struct mkvm_vm;
struct mkvm_vcpu;
struct mkvm_vcpu_hyp;

#define MKVM_MAX_VCPUS		64
#define MKVM_DEFAULT_IPA_BITS	40

/* One interrupt's state, as the distributor/redistributor holds it. */
struct mkvm_irq {
	u32 intid;
	u8 priority;
	bool group1;
	bool enabled;
	bool level;		/* level-sensitive (ICFGR), else edge */
	bool pending_latch;	/* edge seen, or GICD_ISPENDR written */
	bool line_level;	/* level-sensitive input, from its source */
	bool active;
	u64 route;		/* SPIs: GICD_IROUTER affinity (MPIDR layout) */
	struct mkvm_vcpu *target;	/* SPIs: the vCPU @route names, or NULL */
};

#define MKVM_VGIC_ADDR_UNDEF	(~0ULL)
/* Region indices are 8 bits wide in KVM, and dense from 0. */
#define MKVM_VGIC_MAX_RDREGS	256

/*
 * A redistributor region: @count frames from @base, or (count 0, the
 * legacy KVM_VGIC_V3_ADDR_TYPE_REDIST) one frame for every vCPU.
 */
struct mkvm_rdreg {
	u64 base;
	u32 count;
};

/* Per VM: the emulated GICv3 distributor. */
struct mkvm_vgic {
	bool created;
	bool initialized;
	u64 dist_base;
	/*
	 * Redistributor regions, by index; vCPU n has the n-th frame across
	 * them.  Set under vm->lock; nr_rdregs is published with release.
	 */
	struct mkvm_rdreg *rdregs;	/* MKVM_VGIC_MAX_RDREGS, on first use */
	unsigned int nr_rdregs;
	u32 nr_irqs;		/* SGIs + PPIs + SPIs; 0 until set */
	u32 ctlr;		/* GICD_CTLR group enables */
	struct mkvm_irq *spis;	/* nr_irqs - 32 of them */
	unsigned long *spi_live;	/* by INTID: SPIs pending or active */
	unsigned int nr_spi_live;	/* bits set in @spi_live */
	spinlock_t lock;	/* every mkvm_irq of the VM */
	/*
	 * LPIs (vgic-its.c), offered once an ITS device exists: struct
	 * mkvm_lpi by INTID, stored and erased under @lock; those pending
	 * or active on @lpi_live, under @lock.  GICR_PROPBASER is one for
	 * all redistributors, as in KVM.
	 */
	bool has_its;
	struct xarray lpis;
	struct list_head lpi_live;
	u64 propbaser;
	/* The ITS devices: appended under vm->lock, freed with the VM. */
	struct list_head its_list;
};

/* One range of the SMCCC filter: function ids [base, end] get @action. */
struct mkvm_smccc_range {
	u32 base, end;
	u8 action;		/* enum kvm_smccc_filter_action */
};

/*
 * The timers KVM gives a vCPU, by KVM's index (enum kvm_arch_timers); the
 * EL2 ones exist only with nested virtualization, which minikvm does not
 * have, but their interrupt numbers are attributes all the same.
 */
enum mkvm_timer_id {
	MKVM_TIMER_VIRT,	/* EL1 virtual: the guest's own, switched */
	MKVM_TIMER_PHYS,	/* EL1 physical: trapped, emulated at EL1 */
	MKVM_TIMER_HVIRT,
	MKVM_TIMER_HPHYS,
	MKVM_NR_TIMERS
};

/* Per VM: what the timers of all its vCPUs share (arch/arm64/timer.c). */
struct mkvm_timer_vm {
	u8 ppi[MKVM_NR_TIMERS];	/* INTIDs; 0 until set: KVM's default */
	bool ppis_final;	/* checked at a first run: attributes -EBUSY */
	bool offset_fixed;	/* KVM_ARM_SET_COUNTER_OFFSET: CNT writes ignored */
	u64 cntpoff;		/* physical counter = CNTPCT - cntpoff */
};

#define MKVM_NR_ID_REGS	56	/* CRm 1..7, op2 0..7 */

/* Per VM: stage 2 and the vGIC. */
struct mkvm_arch_vm {
	struct mkvm_pgtable s2;		/* IPA -> PA, EL1-owned */
	u32 ipa_bits;
	atomic64_t vmid;		/* generation | id; 0: never ran */
	u64 vttbr_baddr;		/* the stage-2 root, as VTTBR_EL2.BADDR */
	u64 vtcr;
	/* Per physical CPU: the vCPU of this VM that last entered there. */
	struct mkvm_vcpu * __percpu *last_vcpu_ran;
	u64 cntvoff;			/* one virtual counter for all vCPUs */
	struct mkvm_timer_vm timer;
	struct mkvm_vgic vgic;
	bool ran;			/* a vCPU entered KVM_RUN: config final */
	bool system_suspend;		/* KVM_CAP_ARM_SYSTEM_SUSPEND enabled */
	/* The SMCCC filter, sorted by base; set under vm->lock before ran. */
	struct mkvm_smccc_range *smccc_filter;
	unsigned int nr_smccc_filter;
	/*
	 * The firmware pseudo-registers (psci.c): the PSCI version the VMM
	 * chose (0: the vCPU features' default), and the SMCCC services it
	 * hid from the guest, a bit per KVM_REG_ARM_*_BMAP bit (0: offered,
	 * as after KVM's reset).  Set under vm->lock before ran.
	 */
	u32 psci_version;
	u64 smccc_hidden[3];	/* STD, STD_HYP, VENDOR_HYP */
	/*
	 * The ID registers (op0=3 op1=0 CRn=0 CRm=1..7) the VMM lowered
	 * (sysregs.c), at (CRm - 1) * 8 + op2, valid where id_set has that
	 * bit; the others read as minikvm's sanitised value.  Written under
	 * vm->lock before ran.
	 */
	u64 id_regs[MKVM_NR_ID_REGS];
	u64 id_set;
	/*
	 * CTR_EL0 as the VMM lowered it, or 0 for the host's sanitised
	 * value (a real CTR_EL0 is never 0: bit 31 is RES1).  Same rules.
	 */
	u64 ctr_el0;
	/*
	 * What the guest reads in the ID space (at the same index as
	 * id_regs[]) and in CTR_EL0, final from the first KVM_RUN on, as
	 * sysregs.c's mkvm_sysregs_finalise() fills them: a trapped read
	 * takes its value here.  Written once, under vm->lock.
	 */
	u64 id_final[MKVM_NR_ID_REGS];
	u64 ctr_final;
	bool id_final_done;
};

enum mkvm_power {
	MKVM_POWER_ON,
	MKVM_POWER_OFF,
};

/* An MMIO read the VMM completes on the next KVM_RUN. */
struct mkvm_mmio_pending {
	bool active;
	bool is_write;
	bool sign_extend;
	bool sixty_four;	/* destination is an X register */
	u8 len;
	u8 rt;
};

/* Per vCPU: its redistributor and what sits in its list registers. */
struct mkvm_vgic_cpu {
	struct mkvm_irq priv[32];	/* SGIs and PPIs */
	u32 priv_live;			/* by INTID: pending or active */
	bool sleep;			/* GICR_WAKER.ProcessorSleep */
	bool lpis_enabled;		/* GICR_CTLR.EnableLPIs */
	u64 pendbaser;			/* GICR_PENDBASER */
	u32 lr_intid[16];		/* intid held by each used LR */
	/* Level SPIs the guest EOIed, for the irqfd resamplers. */
	u32 acked[16];
	unsigned int nr_acked;
};

/*
 * Per vCPU: the registers a guest reaches only by trapping and that EL2
 * does not switch (sysregs.c): the OS lock, and those KVM lists for
 * userspace (AArch32 state, DISR).  The breakpoint and watchpoint
 * registers are in struct mkvm_vcpu_hyp, which EL2 loads.
 */
struct mkvm_vcpu_emul_regs {
	u64 oslsr, dbgvcr32;
	u64 actlr, disr;
	u64 dacr32, ifsr32, fpexc32;
};

/*
 * Per vCPU: debugging (arch/arm64/debug.c).  What the VMM asked with
 * KVM_SET_GUEST_DEBUG, whether the guest wrote a debug register since
 * its last run, and, for one run, the guest's own MDSCR_EL1 and PSTATE.SS
 * while the loaded ones serve the VMM or the OS lock.
 */
struct mkvm_vcpu_debug {
	u32 control;			/* KVM_GUESTDBG_*, 0: off */
	bool dirty;			/* a trapped write: switch next run */
	bool ss_pending;		/* VMM step: stepped, exception due */
	bool overridden;		/* the two below hold the guest's */
	u64 guest_mdscr;
	u64 guest_pstate_ss;
};

/* CSSELR_EL1 values a cache can have: 7 levels, data/unified or instruction. */
#define MKVM_CSSELR_MAX	14

/* Per vCPU. */
struct mkvm_arch_vcpu {
	struct mkvm_vgic_cpu vgic;
	struct hrtimer vtimer;		/* wakes a WFI when CNTV fires */
	struct hrtimer ptimer;		/* kicks the vCPU when CNTP fires */
	u64 ptimer_armed;		/* CNTPCT at which ptimer fires, or 0 */
	struct mkvm_vcpu_hyp *hyp;	/* shared with EL2 (own page) */
	void *xfer;			/* stand-in for xfer.c, or NULL */
	struct user_fpsimd_state fp;	/* guest FP/SIMD, switched at EL1 */
#ifdef CONFIG_PREEMPT_NOTIFIERS
	struct preempt_notifier pn;	/* puts the guest's timer away */
#endif
	bool initialized;		/* KVM_ARM_VCPU_INIT done */
	bool has_run;			/* KVM_RUN got to the guest once */
	bool vtimer_loaded;		/* the last exit left its vtimer loaded */
	/*
	 * HCR_EL2 trap bits the VM's final ID registers call for, decided
	 * at the first run (sysregs.c: mkvm_sysregs_hcr_traps()).
	 */
	u64 hcr_traps;
	/*
	 * The VM's ID_AA64PFR0_EL1.GIC is 0 (no vGIC, or the VMM hid it):
	 * every ICC_* access traps and UNDEFs.  Decided at the first run.
	 */
	bool icc_undef;
	u32 features;
	u64 mpidr;
	enum mkvm_power power;
	bool power_on_pending;		/* PSCI CPU_ON: reset before running */
	bool suspended;			/* KVM_MP_STATE_SUSPENDED */
	u64 on_entry, on_context;
	struct mkvm_mmio_pending mmio;
	/* A virtual SError (KVM_SET_VCPU_EVENTS) the guest has not taken. */
	bool serror_pending;
	u64 serror_esr;			/* its ISS, for VSESR_EL2 */
	wait_queue_head_t wq;		/* WFI and powered-off sleeps */
	bool wake;			/* kicked: leave WFI */
	struct mkvm_vcpu_emul_regs emul;
	/*
	 * CCSIDR_EL1 for each CSSELR_EL1 value (Level, InD) that the VMM
	 * wrote (KVM_REG_ARM_DEMUX_ID_CCSIDR), bit n of ccsidr_set for
	 * ccsidr[n]; the others read as sysregs.c makes them up.  Kept
	 * over a vCPU reset, as KVM keeps them.
	 */
	u32 ccsidr[MKVM_CSSELR_MAX];
	u16 ccsidr_set;
	/*
	 * CLIDR_EL1 as the guest and the VMM read it: made up at the first
	 * KVM_ARM_VCPU_INIT, or what the VMM wrote; kept over later resets,
	 * as KVM keeps it (sysregs.c: made_up_clidr()).
	 */
	u64 clidr;
	struct mkvm_vcpu_debug dbg;
	/* Steal time (pvtime.c): the record's IPA once the VMM set one. */
	bool steal_set;
	u64 steal_base;
	u64 last_steal;			/* run_delay already accounted */
	/* A stage-2 permission fault was resolved: see load_stage2(). */
	bool s2_perm_fault;
};

/* KVM_SET/GET/HAS_DEVICE_ATTR on a vCPU fd: one handler per group. */
enum mkvm_attr_op {
	MKVM_ATTR_SET,
	MKVM_ATTR_GET,
	MKVM_ATTR_HAS,
};

struct kvm_device_attr;

/* arch/arm64/el2.c */
int mkvm_el2_init(void);
void mkvm_el2_exit(void);
int mkvm_el2_ping(struct minikvm_hyp_ping *ping);
int mkvm_hyp_share(const void *start, const void *end);
void mkvm_dcache_clean_poc(const void *start, const void *end);
u64 mkvm_call_hyp(u64 id, u64 a1, u64 a2, u64 a3);
void mkvm_el2_flush_vmid(u64 vttbr, u64 vtcr, u64 range);

/* arch/arm64/vhe.c */
struct mkvm_hyp_cpu;
struct dentry;
u64 mkvm_vhe_call(struct mkvm_hyp_cpu *hc, u64 id, u64 a1, u64 a2, u64 a3);
void mkvm_vhe_debugfs_init(struct dentry *dir);

/* arch/arm64/stage2.c */
int mkvm_arch_vm_init(struct mkvm_vm *vm, unsigned long type);
void mkvm_arch_vm_destroy(struct mkvm_vm *vm);
void mkvm_arch_unmap_range(struct mkvm_vm *vm, u64 ipa, u64 size);
bool mkvm_arch_write_protect(struct mkvm_vm *vm, u64 ipa, u64 size);
void mkvm_arch_flush_vm_tlbs(struct mkvm_vm *vm);
u32 mkvm_arch_max_ipa_bits(void);

/* arch/arm64/vcpu.c */
long mkvm_arch_check_extension(struct mkvm_vm *vm, long ext);
int mkvm_arch_vcpu_create(struct mkvm_vcpu *vcpu);
void mkvm_arch_vcpu_destroy(struct mkvm_vcpu *vcpu);
long mkvm_arch_vcpu_ioctl(struct mkvm_vcpu *vcpu, unsigned int cmd,
			  void __user *argp);
long mkvm_arch_vm_ioctl(struct mkvm_vm *vm, unsigned int cmd,
			void __user *argp);

/* arch/arm64/timer.c */
int mkvm_timer_vcpu_attr(struct mkvm_vcpu *vcpu,
			 const struct kvm_device_attr *attr,
			 enum mkvm_attr_op op);
int mkvm_timer_set_counter_offset(struct mkvm_vm *vm, void __user *argp);

/* arch/arm64/debug.c: the KVM_SET_GUEST_DEBUG flags arm64 has, as KVM. */
#define MKVM_GUESTDBG_VALID	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW)

int mkvm_set_guest_debug(struct mkvm_vcpu *vcpu, void __user *argp);
unsigned int mkvm_debug_nr_brps(void);
unsigned int mkvm_debug_nr_wrps(void);

/* arch/arm64/run.c */
int mkvm_arch_vcpu_run(struct mkvm_vcpu *vcpu);
int mkvm_arch_vcpu_precreate(struct mkvm_vm *vm);

/* arch/arm64/psci.c */
int mkvm_smccc_has_attr(struct mkvm_vm *vm, u64 attr);
int mkvm_smccc_set_attr(struct mkvm_vm *vm, u64 attr, void __user *uaddr);
void mkvm_smccc_vm_destroy(struct mkvm_vm *vm);
int mkvm_fw_reg_get(struct mkvm_vcpu *vcpu, u64 id, u64 *val);
int mkvm_fw_reg_set(struct mkvm_vcpu *vcpu, u64 id, u64 val);
unsigned int mkvm_fw_reg_ids(u64 *ids);

/* arch/arm64/pvtime.c */
int mkvm_pvtime_set_attr(struct mkvm_vcpu *vcpu, u64 attr, u64 __user *uaddr);
int mkvm_pvtime_get_attr(struct mkvm_vcpu *vcpu, u64 attr, u64 __user *uaddr);
int mkvm_pvtime_has_attr(struct mkvm_vcpu *vcpu, u64 attr);
void mkvm_steal_time_update(struct mkvm_vcpu *vcpu);
long mkvm_pvtime_features(struct mkvm_vcpu *vcpu, u32 feature);
long mkvm_steal_time_init(struct mkvm_vcpu *vcpu);

/* arch/arm64/vgic.c */
int mkvm_vgic_create_device(struct mkvm_vm *vm, void __user *argp);
int mkvm_vgic_irq_line(struct mkvm_vm *vm, void __user *argp);
void mkvm_vgic_vm_destroy(struct mkvm_vm *vm);
int mkvm_vgic_host_init(void);
void mkvm_vgic_host_exit(void);
void mkvm_vgic_cpu_up(void);
void mkvm_vgic_cpu_down(void);

#endif /* __MKVM_ARCH_H */
