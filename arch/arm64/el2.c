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
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/printk.h>
#include <linux/smp.h>
#include <linux/vmalloc.h>
#include <asm/cacheflush.h>
#include <asm/cpufeature.h>
#include <asm/kvm_arm.h>
#include <asm/memory.h>
#include <asm/pgtable-hwdef.h>
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

/**
 * mkvm_dcache_clean_poc() - clean [start, end) to the Point of Coherency
 * @start:	first byte (any kernel mapping of the memory)
 * @end:	one past the last byte
 *
 * For memory that will be read with the caches off (EL2 with its MMU off,
 * a guest with its MMU off).  The kernel does not export dcache_clean_poc,
 * so one cache line at a time; complete (DSB SY) on return.
 */
void mkvm_dcache_clean_poc(const void *start, const void *end)
{
	u64 line = cache_line_size();
	u64 p = ALIGN_DOWN((u64)start, line);

	for (; p < (u64)end; p += line)
		asm volatile("dc cvac, %0" : : "r" (p) : "memory");
	dsb(sy);
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
 * Return: the call's x0.
 */
u64 mkvm_call_hyp(u64 id, u64 a1, u64 a2, u64 a3)
{
	struct arm_smccc_res res;

	arm_smccc_hvc(id, a1, a2, a3, 0, 0, 0, 0, &res);
	if (res.a0 == MKVM_HC_PANIC) {
		struct mkvm_hyp_cpu *hc = el2_cpu_state(smp_processor_id());

		pr_crit("CPU%u: exception at EL2: ESR %#llx at %pS FAR %#llx\n",
			smp_processor_id(), hc->panic_esr,
			(void *)(hc->panic_elr | ~MKVM_HYP_VA_MASK),
			hc->panic_far);
	}
	return res.a0;
}

/* An id no stub call uses: the stub answers it with HVC_STUB_ERR. */
static bool el2_stub_answers(void)
{
	struct arm_smccc_res res;

	arm_smccc_hvc(HVC_STUB_HCALL_NR, 0, 0, 0, 0, 0, 0, 0, &res);
	return res.a0 == HVC_STUB_ERR;
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

/* cpuhp startup callback: runs on @cpu, which is pinned there. */
static int el2_cpu_install(unsigned int cpu)
{
	void *pages = per_cpu(el2_pages, cpu);
	struct mkvm_hyp_cpu *hc = el2_cpu_state(cpu);
	struct arm_smccc_res res;
	u64 ret;

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

	memset(hc, 0, sizeof(*hc));
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

	ret = mkvm_call_hyp(MKVM_HC(MKVM_HC_PING), cpu, 0, 0);
	if (ret != ~(u64)cpu) {
		pr_err("CPU%u: EL2 does not answer after init (%#llx)\n",
		       cpu, ret);
		return -EIO;
	}
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

/* debugfs minikvm/el2_soft_restart: write a CPU number to exercise it. */
static ssize_t soft_restart_write(struct file *file, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	unsigned int cpu;
	int ret, err = 0;

	ret = kstrtouint_from_user(buf, len, 0, &cpu);
	if (ret)
		return ret;
	if (cpu >= nr_cpu_ids)
		return -EINVAL;
	ret = smp_call_function_single(cpu, el2_soft_restart_cpu, &err, 1);
	return ret ?: err ?: len;
}

static const struct file_operations soft_restart_fops = {
	.owner	= THIS_MODULE,
	.write	= soft_restart_write,
	.llseek	= noop_llseek,
};

static struct dentry *el2_debugfs;

/* Runs on every online CPU at load, before any minikvm call. */
static void el2_probe_cpu(void *arg)
{
	atomic_t *silent = arg;

	if (!el2_stub_answers())
		atomic_inc(silent);
}

/*
 * Decide whether EL2 is ours to take.  hvc is UNDEFINED at EL1 when EL2 is
 * absent, so the checks that need no hvc come first.
 */
static int el2_check_host(void)
{
	atomic_t silent = ATOMIC_INIT(0);
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1);

	if (is_kernel_in_hyp_mode()) {
		pr_err("the kernel runs at EL2 (VHE); boot with kvm-arm.mode=none id_aa64mmfr1.vh=0\n");
		return -ENODEV;
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
	on_each_cpu(el2_probe_cpu, &silent, 1);
	if (atomic_read(&silent)) {
		pr_err("the hyp stub does not answer at EL2 (KVM or another hypervisor owns EL2; boot with kvm-arm.mode=none id_aa64mmfr1.vh=0)\n");
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
		void *pages = alloc_pages_exact(EL2_CPU_PAGES * PAGE_SIZE,
						GFP_KERNEL | __GFP_ZERO);

		if (!pages)
			return -ENOMEM;
		per_cpu(el2_pages, cpu) = pages;
		ret = el2_map(&runtime_pgt, pages + PAGE_SIZE,
			      pages + EL2_CPU_PAGES * PAGE_SIZE, EL2_ATTR_RW);
		if (ret)
			return ret;
	}
	return 0;
}

static void el2_free_tables(void)
{
	mkvm_pgtable_destroy(&boot_pgt);
	mkvm_pgtable_destroy(&runtime_pgt);
	el2_free_cpu_pages();
}

/**
 * mkvm_el2_init() - take EL2 on every CPU, now and when CPUs come online
 *
 * Return: 0, or -ENODEV when EL2 is not the hyp stub's to give (with one
 * line in the kernel log saying why), -ENOMEM, -EIO.
 */
int mkvm_el2_init(void)
{
	phys_addr_t idmap = kern_pa(hyp_sym(text_start));
	phys_addr_t stub;
	int ret;

	if (!IS_ENABLED(CONFIG_ARM64_4K_PAGES) ||
	    vabits_actual > MKVM_HYP_VA_BITS) {
		pr_err("needs 4 KiB pages and at most 48-bit kernel VAs\n");
		return -ENODEV;
	}
	ret = el2_check_host();
	if (ret)
		return ret;

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
		goto free_tables;
	}
	hyp_sym(boot_ttbr) = mkvm_pgtable_root_pa(&boot_pgt);
	hyp_sym(idmap_reset_pa) = idmap + (hyp_sym(idmap_reset) -
					   hyp_sym(text_start));
	hyp_sym(stub_vectors_pa) = stub;
	dsb(ishst);

	ret = mkvm_vgic_host_init();
	if (ret)
		goto free_tables;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "minikvm/el2:online",
				el2_cpu_install, el2_cpu_uninstall);
	if (ret < 0)
		goto vgic_exit;
	el2_cpuhp_state = ret;
	pr_info("EL2 taken on %u CPUs (stub vectors at %pa)\n",
		num_online_cpus(), &stub);
	el2_debugfs = debugfs_create_dir("minikvm", NULL);
	debugfs_create_file("el2_soft_restart", 0200, el2_debugfs, NULL,
			    &soft_restart_fops);
	mkvm_debugfs_regs_init(el2_debugfs);
	return 0;

vgic_exit:
	mkvm_vgic_host_exit();
free_tables:
	el2_free_tables();
	return ret;
}

/**
 * mkvm_el2_exit() - hand EL2 back to the stub on every CPU, free everything
 */
void mkvm_el2_exit(void)
{
	debugfs_remove_recursive(el2_debugfs);
	atomic_set(&el2_cpus_returned, 0);
	cpuhp_remove_state(el2_cpuhp_state);
	mkvm_vgic_host_exit();
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
