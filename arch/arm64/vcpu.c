// SPDX-License-Identifier: GPL-2.0
/*
 * arm64 vCPU and VM ioctls: KVM_ARM_VCPU_INIT, KVM_GET/SET_ONE_REG,
 * KVM_GET_REG_LIST, KVM_ARM_PREFERRED_TARGET, and the capabilities only
 * the arm64 port knows.  Errors follow arch/arm64/kvm/{arm,guest}.c.
 */
#include <linux/kvm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/esr.h>
#include <asm/kvm.h>
#include <asm/ptrace.h>
#include <asm/sysreg.h>
#include "virt/mkvm.h"
#include <mkvm/hyp.h>
#include <mkvm/run.h>
#include <mkvm/sysregs.h>
#include <mkvm/timer.h>
#include <mkvm/vgic.h>

/* KVM accepts these feature bits in KVM_ARM_VCPU_INIT (-ENOENT past them). */
#define KVM_VALID_FEATURES	GENMASK(KVM_ARM_VCPU_HAS_EL2, 0)
/* ... and minikvm implements these (-EINVAL for the rest). */
#define MKVM_FEATURES		(BIT(KVM_ARM_VCPU_POWER_OFF) | \
				 BIT(KVM_ARM_VCPU_PSCI_0_2))

long mkvm_arch_check_extension(struct mkvm_vm *vm, long ext)
{
	switch (ext) {
	case KVM_CAP_ARM_PSCI:
	case KVM_CAP_ARM_PSCI_0_2:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_DEVICE_CTRL:
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_ARM_IRQ_LINE_LAYOUT_2:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_ARM_SYSTEM_SUSPEND:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_ARM_INJECT_EXT_DABT:
	case KVM_CAP_STEAL_TIME:
	case KVM_CAP_COUNTER_OFFSET:
	case KVM_CAP_SET_GUEST_DEBUG:
		return 1;
	case KVM_CAP_SET_GUEST_DEBUG2:
		return MKVM_GUESTDBG_VALID;
	case KVM_CAP_GUEST_DEBUG_HW_BPS:
		return mkvm_debug_nr_brps();
	case KVM_CAP_GUEST_DEBUG_HW_WPS:
		return mkvm_debug_nr_wrps();
	case KVM_CAP_ARM_INJECT_SERROR_ESR:
		return cpus_have_final_cap(ARM64_HAS_RAS_EXTN);
	case KVM_CAP_ARM_VM_IPA_SIZE:
		return mkvm_arch_max_ipa_bits();
	case KVM_CAP_ARM_SUPPORTED_REG_MASK_RANGES:
		return BIT(KVM_ARM_FEATURE_ID_RANGE);
	case KVM_CAP_MSI_DEVID:
		/* As KVM: a VM question, answered yes once an ITS exists. */
		if (!vm)
			return -EINVAL;
		return READ_ONCE(vm->arch.vgic.has_its);
	default:
		return 0;
	}
}

/* KVM_ENABLE_CAP on the VM fd: the caps KVM lets a VMM turn on. */
static int vm_enable_cap(struct mkvm_vm *vm, void __user *argp)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, argp, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	switch (cap.cap) {
	case KVM_CAP_ARM_SYSTEM_SUSPEND:
		/* As KVM: no argument checked, allowed at any time. */
		WRITE_ONCE(vm->arch.system_suspend, true);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * KVM_HAS/SET_DEVICE_ATTR on the VM fd: only the SMCCC filter group, as
 * KVM (-ENXIO for other groups; KVM_GET_DEVICE_ATTR is not a VM ioctl).
 */
static int vm_device_attr(struct mkvm_vm *vm, void __user *argp, bool set)
{
	struct kvm_device_attr attr;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	if (attr.group != KVM_ARM_VM_SMCCC_CTRL)
		return -ENXIO;
	if (!set)
		return mkvm_smccc_has_attr(vm, attr.attr);
	return mkvm_smccc_set_attr(vm, attr.attr, u64_to_user_ptr(attr.addr));
}

long mkvm_arch_vm_ioctl(struct mkvm_vm *vm, unsigned int cmd,
			void __user *argp)
{
	struct kvm_vcpu_init init = { .target = KVM_ARM_TARGET_GENERIC_V8 };

	switch (cmd) {
	case KVM_ARM_PREFERRED_TARGET:
		return copy_to_user(argp, &init, sizeof(init)) ? -EFAULT : 0;
	case KVM_CREATE_DEVICE:
		return mkvm_vgic_create_device(vm, argp);
	case KVM_IRQ_LINE:
		return mkvm_vgic_irq_line(vm, argp);
	case KVM_ENABLE_CAP:
		return vm_enable_cap(vm, argp);
	case KVM_HAS_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		return vm_device_attr(vm, argp, cmd == KVM_SET_DEVICE_ATTR);
	case KVM_ARM_SET_COUNTER_OFFSET:
		return mkvm_timer_set_counter_offset(vm, argp);
	case KVM_ARM_GET_REG_WRITABLE_MASKS:
		return mkvm_get_reg_writable_masks(argp);
	default:
		return -EINVAL;
	}
}

/* KVM's MPIDR for a vCPU id: Aff0 takes 4 bits, like a GICv3 SGI target. */
static u64 vcpu_mpidr(u32 id)
{
	return (id & 0xf) | (((id >> 4) & 0xff) << 8) |
	       ((u64)((id >> 12) & 0xff) << 16);
}

/**
 * mkvm_vcpu_reset() - the architectural reset state of a vCPU
 * @vcpu:	the vCPU
 *
 * GPRs, FP/SIMD and EL1 registers all get defined values; PSTATE is EL1h
 * with every exception masked, as at power-on.
 */
void mkvm_vcpu_reset(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_hyp *h = vcpu->arch.hyp;

	memset(&h->ctxt.regs, 0, sizeof(h->ctxt.regs));
	memset(&vcpu->arch.fp, 0, sizeof(vcpu->arch.fp));
	h->ctxt.pc = 0;
	h->ctxt.pstate = PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT |
			 PSR_F_BIT;
	mkvm_sysregs_reset(vcpu);
	vcpu->arch.mmio.active = false;
	vcpu->arch.serror_pending = false;
}

/**
 * mkvm_vcpu_power_on_reset() - apply a PSCI CPU_ON the vCPU still owes
 * @vcpu:	the vCPU, its ioctl lock held
 *
 * CPU_ON from another vCPU only records the entry point and context id;
 * the reset happens here, before the vCPU next runs or before userspace
 * reads or writes its registers (as KVM's pending KVM_REQ_VCPU_RESET), so
 * that a VMM sees the state the guest asked for.  The acquire pairs with
 * the release in psci_cpu_on(): a vCPU seen on has its entry point stored.
 */
void mkvm_vcpu_power_on_reset(struct mkvm_vcpu *vcpu)
{
	/* Acquire: pairs with psci_cpu_on()'s release of the power state. */
	if (smp_load_acquire(&vcpu->arch.power) != MKVM_POWER_ON ||
	    !vcpu->arch.power_on_pending)
		return;
	mkvm_vcpu_reset(vcpu);
	vcpu->arch.hyp->ctxt.pc = vcpu->arch.on_entry;
	vcpu->arch.hyp->ctxt.regs[0] = vcpu->arch.on_context;
	vcpu->arch.power_on_pending = false;
}

/* EL2 maps the page, and only the page. */
static_assert(sizeof(struct mkvm_vcpu_hyp) <= PAGE_SIZE);

int mkvm_arch_vcpu_create(struct mkvm_vcpu *vcpu)
{
	struct mkvm_vcpu_hyp *h;
	int ret;

	ret = mkvm_xfer_init(vcpu);
	if (ret)
		return ret;
	/* A page of its own: EL2 maps whole pages. */
	h = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!h) {
		ret = -ENOMEM;
		goto xfer_destroy;
	}
	ret = mkvm_hyp_share(h, (void *)h + PAGE_SIZE);
	if (ret)
		goto free_hyp;
	vcpu->arch.hyp = h;
	vcpu->arch.mpidr = vcpu_mpidr(vcpu->id);
	h->vmpidr_el2 = vcpu->arch.mpidr | BIT(31);
	h->cntvoff_el2 = vcpu->vm->arch.cntvoff;
	init_waitqueue_head(&vcpu->arch.wq);
	mkvm_timer_init(vcpu);
	mkvm_vcpu_timer_put_init(vcpu);
	vcpu->arch.power = MKVM_POWER_OFF;
	mkvm_vcpu_reset(vcpu);
	return 0;

free_hyp:
	free_page((unsigned long)h);
xfer_destroy:
	mkvm_xfer_destroy(vcpu);
	return ret;
}

void mkvm_arch_vcpu_destroy(struct mkvm_vcpu *vcpu)
{
	mkvm_timer_destroy(vcpu);
	mkvm_vcpu_timer_put_destroy(vcpu);
	free_page((unsigned long)vcpu->arch.hyp);
	mkvm_xfer_destroy(vcpu);
}

static int vcpu_init(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_vcpu_init init;
	unsigned int i;
	u32 features;

	if (copy_from_user(&init, argp, sizeof(init)))
		return -EFAULT;
	if (init.target != KVM_ARM_TARGET_GENERIC_V8)
		return -EINVAL;
	for (i = 1; i < ARRAY_SIZE(init.features); i++)
		if (init.features[i])
			return -ENOENT;
	features = init.features[0];
	if (features & ~KVM_VALID_FEATURES)
		return -ENOENT;
	if (features & ~MKVM_FEATURES)
		return -EINVAL;
	/* Re-init resets the vCPU, but may not change what it is. */
	if (vcpu->arch.initialized &&
	    ((features ^ vcpu->arch.features) & ~BIT(KVM_ARM_VCPU_POWER_OFF)))
		return -EINVAL;

	vcpu->arch.features = features;
	mkvm_vcpu_reset(vcpu);
	vcpu->arch.power_on_pending = false;
	WRITE_ONCE(vcpu->arch.suspended, false);
	WRITE_ONCE(vcpu->arch.power, features & BIT(KVM_ARM_VCPU_POWER_OFF) ?
		   MKVM_POWER_OFF : MKVM_POWER_ON);
	vcpu->arch.initialized = true;
	return 0;
}

/* ---- core registers: struct kvm_regs, addressed in 32-bit words ------ */

#define CORE_OFF(field)	(offsetof(struct kvm_regs, field) / sizeof(u32))

/* Size in bytes of the register starting at word @off, or 0 if none does. */
static unsigned int core_reg_size(u64 off)
{
	if (off < CORE_OFF(fp_regs.vregs[0])) {
		if (off >= CORE_OFF(spsr[KVM_NR_SPSR]))
			return 0;
		return off % 2 ? 0 : 8;
	}
	if (off < CORE_OFF(fp_regs.fpsr))
		return (off - CORE_OFF(fp_regs.vregs[0])) % 4 ? 0 : 16;
	if (off == CORE_OFF(fp_regs.fpsr) || off == CORE_OFF(fp_regs.fpcr))
		return 4;
	return 0;
}

static void core_regs_get(struct mkvm_vcpu *vcpu, struct kvm_regs *r)
{
	struct mkvm_cpu_ctxt *c = &vcpu->arch.hyp->ctxt;

	memset(r, 0, sizeof(*r));
	memcpy(r->regs.regs, c->regs, sizeof(c->regs));
	r->regs.sp = c->sys[SR_SP_EL0];
	r->regs.pc = c->pc;
	r->regs.pstate = c->pstate;
	r->sp_el1 = c->sys[SR_SP_EL1];
	r->elr_el1 = c->sys[SR_ELR_EL1];
	r->spsr[KVM_SPSR_EL1] = c->sys[SR_SPSR_EL1];
	r->fp_regs = vcpu->arch.fp;
}

static void core_regs_set(struct mkvm_vcpu *vcpu, const struct kvm_regs *r)
{
	struct mkvm_cpu_ctxt *c = &vcpu->arch.hyp->ctxt;

	memcpy(c->regs, r->regs.regs, sizeof(c->regs));
	c->sys[SR_SP_EL0] = r->regs.sp;
	c->pc = r->regs.pc;
	c->pstate = r->regs.pstate;
	c->sys[SR_SP_EL1] = r->sp_el1;
	c->sys[SR_ELR_EL1] = r->elr_el1;
	c->sys[SR_SPSR_EL1] = r->spsr[KVM_SPSR_EL1];
	vcpu->arch.fp = r->fp_regs;
}

/*
 * AArch32 at EL0 on every CPU, as the guest's ID_AA64PFR0_EL1.EL0 says:
 * KVM's test (not on a system where only some CPUs have it).
 */
static bool el0_has_aarch32(void)
{
	return id_aa64pfr0_32bit_el0(read_sanitised_ftr_reg(SYS_ID_AA64PFR0_EL1));
}

static int core_reg_access(struct mkvm_vcpu *vcpu, const struct kvm_one_reg *reg,
			   bool set)
{
	u64 off = reg->id & ~(KVM_REG_ARCH_MASK | KVM_REG_SIZE_MASK |
			      KVM_REG_ARM_CORE);
	void __user *uaddr = u64_to_user_ptr(reg->addr);
	unsigned int size = core_reg_size(off);
	struct kvm_regs r;
	u64 mode;

	if (off >= sizeof(r) / sizeof(u32))
		return -ENOENT;
	if (!size || size != KVM_REG_SIZE(reg->id))
		return -EINVAL;
	core_regs_get(vcpu, &r);
	if (!set)
		return copy_to_user(uaddr, (u32 *)&r + off, size) ? -EFAULT : 0;
	if (copy_from_user((u32 *)&r + off, uaddr, size))
		return -EFAULT;
	if (off == CORE_OFF(regs.pstate)) {
		/*
		 * EL0 and EL1 in AArch64, or AArch32 User where the CPUs
		 * implement AArch32 at EL0 (the guest's EL1 may return there
		 * itself), as KVM; no other AArch32 mode (EL1 is AArch64),
		 * no EL2 or EL3, no reserved encoding.
		 */
		mode = r.regs.pstate & (PSR_MODE32_BIT | PSR_MODE_MASK);
		if (mode != PSR_MODE_EL0t && mode != PSR_MODE_EL1t &&
		    mode != PSR_MODE_EL1h &&
		    (mode != PSR_AA32_MODE_USR || !el0_has_aarch32()))
			return -EINVAL;
	}
	core_regs_set(vcpu, &r);
	return 0;
}

/*
 * The 64-bit registers outside struct kvm_regs: system registers and the
 * firmware pseudo-registers, one get/set pair each.
 */
static int u64_reg_access(struct mkvm_vcpu *vcpu, const struct kvm_one_reg *reg,
			  bool set, int (*get)(struct mkvm_vcpu *, u64, u64 *),
			  int (*put)(struct mkvm_vcpu *, u64, u64))
{
	void __user *uaddr = u64_to_user_ptr(reg->addr);
	u64 val;
	int ret;

	if (KVM_REG_SIZE(reg->id) != sizeof(u64))
		return -ENOENT;
	if (set) {
		if (copy_from_user(&val, uaddr, sizeof(val)))
			return -EFAULT;
		return put(vcpu, reg->id, val);
	}
	ret = get(vcpu, reg->id, &val);
	if (ret)
		return ret;
	return copy_to_user(uaddr, &val, sizeof(val)) ? -EFAULT : 0;
}

/* System-register ids: the timers' (timer.c), then the table's. */
static int sysreg_get(struct mkvm_vcpu *vcpu, u64 id, u64 *val)
{
	if (mkvm_timer_reg(id)) {
		*val = mkvm_timer_get_reg(vcpu, id);
		return 0;
	}
	return mkvm_sysreg_get(vcpu, id, val);
}

static int sysreg_set(struct mkvm_vcpu *vcpu, u64 id, u64 val)
{
	if (mkvm_timer_reg(id)) {
		mkvm_timer_set_reg(vcpu, id, val);
		return 0;
	}
	return mkvm_sysreg_set(vcpu, id, val);
}

static int one_reg(struct mkvm_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvm_one_reg reg;

	if (copy_from_user(&reg, argp, sizeof(reg)))
		return -EFAULT;
	if ((reg.id & KVM_REG_ARCH_MASK) != KVM_REG_ARM64)
		return -EINVAL;
	switch (reg.id & KVM_REG_ARM_COPROC_MASK) {
	case KVM_REG_ARM_CORE:
		return core_reg_access(vcpu, &reg, set);
	case KVM_REG_ARM64_SYSREG:
		return u64_reg_access(vcpu, &reg, set, sysreg_get, sysreg_set);
	case KVM_REG_ARM_FW:
	case KVM_REG_ARM_FW_FEAT_BMAP:
		return u64_reg_access(vcpu, &reg, set, mkvm_fw_reg_get,
				      mkvm_fw_reg_set);
	case KVM_REG_ARM_DEMUX:
		return mkvm_demux_reg_access(vcpu, reg.id,
					     u64_to_user_ptr(reg.addr), set);
	default:
		return -ENOENT;
	}
}

/* Every core register id, in struct kvm_regs order. */
static unsigned int core_reg_ids(u64 *ids)
{
	unsigned int n = 0, size;
	u64 off, sz;

	for (off = 0; off < sizeof(struct kvm_regs) / sizeof(u32); off++) {
		size = core_reg_size(off);
		if (!size)
			continue;
		sz = size == 4 ? KVM_REG_SIZE_U32 :
		     size == 8 ? KVM_REG_SIZE_U64 : KVM_REG_SIZE_U128;
		if (ids)
			ids[n] = KVM_REG_ARM64 | sz | KVM_REG_ARM_CORE | off;
		n++;
	}
	return n;
}

static int reg_list(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_reg_list __user *user = argp;
	unsigned int n = core_reg_ids(NULL) + mkvm_fw_reg_ids(NULL) +
			 mkvm_timer_reg_ids(NULL) + mkvm_demux_reg_ids(NULL) +
			 mkvm_sysreg_ids(NULL);
	unsigned int i;
	struct kvm_reg_list list;
	u64 *ids;
	int ret = 0;

	if (copy_from_user(&list, user, sizeof(list)))
		return -EFAULT;
	if (put_user(n, &user->n))
		return -EFAULT;
	if (list.n < n)
		return -E2BIG;
	ids = kcalloc(n, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	/* KVM's order: core, firmware, timer, demux, system registers. */
	i = core_reg_ids(ids);
	i += mkvm_fw_reg_ids(ids + i);
	i += mkvm_timer_reg_ids(ids + i);
	i += mkvm_demux_reg_ids(ids + i);
	mkvm_sysreg_ids(ids + i);
	if (copy_to_user(user->reg, ids, n * sizeof(*ids)))
		ret = -EFAULT;
	kfree(ids);
	return ret;
}

/*
 * KVM_GET/SET_MP_STATE: RUNNABLE or STOPPED (PSCI powered off), as KVM
 * reports them.  SUSPENDED (PSCI SYSTEM_SUSPEND) is not implemented.
 */
static int mp_state(struct mkvm_vcpu *vcpu, void __user *argp, bool set)
{
	struct kvm_mp_state mp;

	if (!set) {
		if (READ_ONCE(vcpu->arch.power) == MKVM_POWER_OFF)
			mp.mp_state = KVM_MP_STATE_STOPPED;
		else if (vcpu->arch.suspended)
			mp.mp_state = KVM_MP_STATE_SUSPENDED;
		else
			mp.mp_state = KVM_MP_STATE_RUNNABLE;
		return copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
	}
	if (copy_from_user(&mp, argp, sizeof(mp)))
		return -EFAULT;
	switch (mp.mp_state) {
	case KVM_MP_STATE_RUNNABLE:
	case KVM_MP_STATE_SUSPENDED:
		/*
		 * Runs from where it is: no CPU_ON entry point to apply.  One
		 * state, as KVM's mp_state: SUSPENDED is also powered on.
		 */
		vcpu->arch.power_on_pending = false;
		WRITE_ONCE(vcpu->arch.suspended,
			   mp.mp_state == KVM_MP_STATE_SUSPENDED);
		WRITE_ONCE(vcpu->arch.power, MKVM_POWER_ON);
		mkvm_vcpu_kick(vcpu);
		return 0;
	case KVM_MP_STATE_STOPPED:
		WRITE_ONCE(vcpu->arch.suspended, false);
		WRITE_ONCE(vcpu->arch.power, MKVM_POWER_OFF);
		mkvm_vcpu_kick(vcpu);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- KVM_GET/SET_VCPU_EVENTS: pending SError, external data abort ---- */

static int get_events(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_vcpu_events ev = {};
	bool ras = cpus_have_final_cap(ARM64_HAS_RAS_EXTN);

	ev.exception.serror_pending = vcpu->arch.serror_pending;
	/* Says whether an ESR can be given at all, as KVM. */
	ev.exception.serror_has_esr = ras;
	if (ras && vcpu->arch.serror_pending)
		ev.exception.serror_esr = vcpu->arch.serror_esr;
	/* An external abort is delivered when set: never pending here. */
	return copy_to_user(argp, &ev, sizeof(ev)) ? -EFAULT : 0;
}

/*
 * A VMM restores a pending SError (migration), or answers an access it
 * cannot emulate with an external abort.  Without RAS there is no
 * VSESR_EL2, so an explicit syndrome is refused; without one, the SError
 * carries ISV alone (an IMPLEMENTATION DEFINED syndrome), as in KVM.
 */
static int set_events(struct mkvm_vcpu *vcpu, void __user *argp)
{
	struct kvm_vcpu_events ev;
	unsigned int i;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(ev.reserved); i++)
		if (ev.reserved[i])
			return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(ev.exception.pad); i++)
		if (ev.exception.pad[i])
			return -EINVAL;
	mkvm_vcpu_power_on_reset(vcpu);
	if (ev.exception.serror_pending && ev.exception.serror_has_esr) {
		if (!cpus_have_final_cap(ARM64_HAS_RAS_EXTN) ||
		    (ev.exception.serror_esr & ~ESR_ELx_ISS_MASK))
			return -EINVAL;
		vcpu->arch.serror_esr = ev.exception.serror_esr;
		vcpu->arch.serror_pending = true;
	} else if (ev.exception.serror_pending) {
		vcpu->arch.serror_esr = ESR_ELx_ISV;
		vcpu->arch.serror_pending = true;
	}
	if (ev.exception.ext_dabt_pending) {
		/*
		 * Instead of completing the access of the last MMIO exit:
		 * the guest takes the abort at that instruction, with the
		 * address of the last fault.
		 */
		vcpu->arch.mmio.active = false;
		mkvm_inject_abort(vcpu, false, vcpu->arch.hyp->far_el2);
	}
	return 0;
}

/* KVM_ARM_VCPU_PVTIME_CTRL: steal time (pvtime.c). */
static int vcpu_pvtime_attr(struct mkvm_vcpu *vcpu,
			    const struct kvm_device_attr *attr,
			    enum mkvm_attr_op op)
{
	u64 __user *uaddr = u64_to_user_ptr(attr->addr);

	switch (op) {
	case MKVM_ATTR_SET:
		return mkvm_pvtime_set_attr(vcpu, attr->attr, uaddr);
	case MKVM_ATTR_GET:
		return mkvm_pvtime_get_attr(vcpu, attr->attr, uaddr);
	default:
		return mkvm_pvtime_has_attr(vcpu, attr->attr);
	}
}

typedef int (*vcpu_attr_fn)(struct mkvm_vcpu *vcpu,
			   const struct kvm_device_attr *attr,
			   enum mkvm_attr_op op);

/* The vCPU attribute groups, one handler each (KVM's guest.c). */
static const struct {
	u32 group;
	vcpu_attr_fn fn;
} vcpu_attr_groups[] = {
	{ KVM_ARM_VCPU_TIMER_CTRL,	mkvm_timer_vcpu_attr },
	{ KVM_ARM_VCPU_PVTIME_CTRL,	vcpu_pvtime_attr },
};

/*
 * KVM_SET/GET/HAS_DEVICE_ATTR on a vCPU fd, before KVM_ARM_VCPU_INIT too,
 * as KVM: -EFAULT for the struct, -ENXIO for a group it does not have.
 */
static int vcpu_device_attr(struct mkvm_vcpu *vcpu, void __user *argp,
			    enum mkvm_attr_op op)
{
	struct kvm_device_attr attr;
	unsigned int i;

	if (copy_from_user(&attr, argp, sizeof(attr)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(vcpu_attr_groups); i++)
		if (vcpu_attr_groups[i].group == attr.group)
			return vcpu_attr_groups[i].fn(vcpu, &attr, op);
	return -ENXIO;
}

long mkvm_arch_vcpu_ioctl(struct mkvm_vcpu *vcpu, unsigned int cmd,
			  void __user *argp)
{
	if (cmd == KVM_ARM_VCPU_INIT)
		return vcpu_init(vcpu, argp);
	if (cmd == KVM_GET_MP_STATE || cmd == KVM_SET_MP_STATE)
		return mp_state(vcpu, argp, cmd == KVM_SET_MP_STATE);
	if (cmd == KVM_SET_DEVICE_ATTR)
		return vcpu_device_attr(vcpu, argp, MKVM_ATTR_SET);
	if (cmd == KVM_GET_DEVICE_ATTR)
		return vcpu_device_attr(vcpu, argp, MKVM_ATTR_GET);
	if (cmd == KVM_HAS_DEVICE_ATTR)
		return vcpu_device_attr(vcpu, argp, MKVM_ATTR_HAS);
	/* Before KVM_ARM_VCPU_INIT too, as KVM. */
	if (cmd == KVM_SET_GUEST_DEBUG)
		return mkvm_set_guest_debug(vcpu, argp);
	switch (cmd) {
	case KVM_GET_ONE_REG:
	case KVM_SET_ONE_REG:
	case KVM_GET_REG_LIST:
	case KVM_GET_VCPU_EVENTS:
	case KVM_SET_VCPU_EVENTS:
		if (!vcpu->arch.initialized)
			return -ENOEXEC;
		break;
	default:
		return -EINVAL;
	}
	if (cmd == KVM_GET_REG_LIST)
		return reg_list(vcpu, argp);
	if (cmd == KVM_GET_VCPU_EVENTS)
		return get_events(vcpu, argp);
	if (cmd == KVM_SET_VCPU_EVENTS)
		return set_events(vcpu, argp);
	mkvm_vcpu_power_on_reset(vcpu);
	return one_reg(vcpu, argp, cmd == KVM_SET_ONE_REG);
}
