// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs minikvm/host_sysregs: the host's own values of the EL1 and EL0
 * registers the world switch swaps (arch/arm64/hyp/sysreg-sr.c), of the
 * virtual and physical timers, of the OS lock, and of every breakpoint
 * and watchpoint register the CPU implements and MDCCINT_EL1 (switched
 * with a guest's debug state, hyp/debug-sr.c), as each online CPU holds
 * them when the file is read.  One line per register: "CPU NAME 0xVALUE".
 *
 * For tests: a guest's value must never stay behind in a host register
 * (selftests/isolation_test.c, selftests/trap_test.c).  Only the host can
 * tell, and only from EL1, hence a file and not a register the tests
 * could read themselves.  Read by root only: it shows kernel pointers.
 */
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/sysreg.h>
#include <mkvm/debug-regs.h>
#include <mkvm/debugfs.h>

/* SP_EL1 is missing: at EL1 it is the stack the reader runs on. */
#define HOST_SYSREGS(X)							\
	X(sctlr_el1) X(cpacr_el1) X(ttbr0_el1) X(ttbr1_el1) X(tcr_el1)	\
	X(esr_el1) X(afsr0_el1) X(afsr1_el1) X(far_el1) X(mair_el1)	\
	X(amair_el1) X(vbar_el1) X(contextidr_el1) X(cntkctl_el1)	\
	X(par_el1) X(mdscr_el1) X(csselr_el1) X(tpidr_el0)		\
	X(tpidrro_el0) X(tpidr_el1) X(sp_el0) X(elr_el1) X(spsr_el1)	\
	X(cntv_ctl_el0) X(cntv_cval_el0) X(cntp_ctl_el0) X(cntp_cval_el0) \
	X(oslsr_el1) X(mdccint_el1)

#define REG_INDEX(r)	REG_##r,
#define REG_NAME(r)	#r,
#define REG_READ(r)	v[REG_##r] = read_sysreg(r);

enum { HOST_SYSREGS(REG_INDEX) NR_HOST_SYSREGS };

static const char * const host_sysreg_names[] = { HOST_SYSREGS(REG_NAME) };

struct host_regs {
	u64 v[NR_HOST_SYSREGS];
	unsigned int brps, wrps;
	u64 bvr[16], bcr[16], wvr[16], wcr[16];
};

/* On the CPU to read, in an IPI. */
static void host_sysregs_read(void *arg)
{
	struct host_regs *r = arg;
	u64 *v = r->v;
	unsigned int n;

	HOST_SYSREGS(REG_READ)
	r->brps = mkvm_cpu_nr_brps();
	r->wrps = mkvm_cpu_nr_wrps();
	for (n = 0; n < r->brps; n++) {
		r->bvr[n] = mkvm_read_dbgbvr(n);
		r->bcr[n] = mkvm_read_dbgbcr(n);
	}
	for (n = 0; n < r->wrps; n++) {
		r->wvr[n] = mkvm_read_dbgwvr(n);
		r->wcr[n] = mkvm_read_dbgwcr(n);
	}
}

static int host_sysregs_show(struct seq_file *m, void *unused)
{
	struct host_regs *r = kmalloc(sizeof(*r), GFP_KERNEL);
	unsigned int n;
	int cpu, i;

	if (!r)
		return -ENOMEM;
	cpus_read_lock();
	for_each_online_cpu(cpu) {
		if (smp_call_function_single(cpu, host_sysregs_read, r, 1))
			continue;
		for (i = 0; i < NR_HOST_SYSREGS; i++)
			seq_printf(m, "%d %s %#llx\n", cpu,
				   host_sysreg_names[i], r->v[i]);
		for (n = 0; n < r->brps; n++)
			seq_printf(m, "%d dbgbvr%u_el1 %#llx\n"
				   "%d dbgbcr%u_el1 %#llx\n", cpu, n,
				   r->bvr[n], cpu, n, r->bcr[n]);
		for (n = 0; n < r->wrps; n++)
			seq_printf(m, "%d dbgwvr%u_el1 %#llx\n"
				   "%d dbgwcr%u_el1 %#llx\n", cpu, n,
				   r->wvr[n], cpu, n, r->wcr[n]);
	}
	cpus_read_unlock();
	kfree(r);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(host_sysregs);

/**
 * mkvm_debugfs_regs_init() - add host_sysregs to minikvm's debugfs directory
 * @dir:	the directory; removed (recursively) by its owner
 */
void mkvm_debugfs_regs_init(struct dentry *dir)
{
	debugfs_create_file("host_sysregs", 0400, dir, NULL,
			    &host_sysregs_fops);
}
