// SPDX-License-Identifier: GPL-2.0
/*
 * The work a thread owes on its way back to user space, done between two
 * guest entries as KVM does (xfer_to_guest_mode_handle_work()): a vCPU
 * thread can stay in KVM_RUN for minutes, and what waits on
 * TIF_NOTIFY_RESUME must not wait that long.  That is the memory cgroup's
 * reclaim and throttling above memory.high (without it every page the
 * guest faults in over the limit reclaims inside the page fault, several
 * times over), task work (a deferred fput()), and the rseq area's CPU
 * number after a migration.
 *
 * Those functions are the kernel's own and not exported; the one export
 * that runs them takes a struct kvm_vcpu, for two things only: on a
 * signal it sets run->exit_reason and counts signal_exits.  Each vCPU
 * gets a zeroed stand-in whose run is the vCPU's own kvm_run (the same
 * UAPI structure), and nothing else of it is read.  A kernel built
 * without KVM has no such export; there the work waits for KVM_RUN's
 * return, as before.
 */
#include <linux/slab.h>
#include "virt/mkvm.h"
#include <mkvm/run.h>

#ifdef CONFIG_KVM_XFER_TO_GUEST_WORK
#include <linux/entry-kvm.h>
#include <linux/kvm_host.h>

/**
 * mkvm_xfer_init() - the stand-in KVM vCPU for mkvm_xfer_work()
 * @vcpu:	a new vCPU; mkvm_xfer_destroy() frees what this allocates
 *
 * Return: 0 or -ENOMEM.
 */
int mkvm_xfer_init(struct mkvm_vcpu *vcpu)
{
	struct kvm_vcpu *kv = kzalloc(sizeof(*kv), GFP_KERNEL_ACCOUNT);

	if (!kv)
		return -ENOMEM;
	kv->run = vcpu->run;
	vcpu->arch.xfer = kv;
	return 0;
}

/**
 * mkvm_xfer_destroy() - free mkvm_xfer_init()'s stand-in
 * @vcpu:	the vCPU, never in KVM_RUN again
 */
void mkvm_xfer_destroy(struct mkvm_vcpu *vcpu)
{
	kfree(vcpu->arch.xfer);
	vcpu->arch.xfer = NULL;
}

/**
 * mkvm_xfer_work() - run the thread's pending return-to-user work
 * @vcpu:	the vCPU in KVM_RUN, on its thread; interrupts and preemption on
 *
 * Return: 0, or -EINTR with run->exit_reason KVM_EXIT_INTR when a signal
 * is pending (counted in signal_exits).
 */
int mkvm_xfer_work(struct mkvm_vcpu *vcpu)
{
	if (!vcpu->arch.xfer || !__xfer_to_guest_mode_work_pending())
		return 0;
	if (!xfer_to_guest_mode_handle_work(vcpu->arch.xfer))
		return 0;
	vcpu->stat.signal_exits++;
	return -EINTR;
}
#else
int mkvm_xfer_init(struct mkvm_vcpu *vcpu)
{
	return 0;
}

void mkvm_xfer_destroy(struct mkvm_vcpu *vcpu)
{
}

int mkvm_xfer_work(struct mkvm_vcpu *vcpu)
{
	return 0;
}
#endif
