// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU fd: KVM_CREATE_VCPU makes one; mmap() of it is the shared
 * struct kvm_run; its ioctls set up and run the vCPU.  A vCPU fd keeps its
 * VM alive; the vCPU itself is freed with the VM.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include "mkvm.h"

static vm_fault_t mkvm_vcpu_fault(struct vm_fault *vmf)
{
	struct mkvm_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff == KVM_COALESCED_MMIO_PAGE_OFFSET) {
		page = mkvm_coalesced_ring_page(vcpu->vm);
		if (!page)
			return VM_FAULT_OOM;
	} else if (vmf->pgoff == 0) {
		page = virt_to_page(vcpu->run);
	} else {
		return VM_FAULT_SIGBUS;
	}
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct mkvm_vcpu_vm_ops = {
	.fault = mkvm_vcpu_fault,
};

static int mkvm_vcpu_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &mkvm_vcpu_vm_ops;
	return 0;
}

static int mkvm_vcpu_release(struct inode *inode, struct file *file)
{
	struct mkvm_vcpu *vcpu = file->private_data;

	mkvm_vm_put(vcpu->vm);
	return 0;
}

/*
 * KVM_SET_SIGNAL_MASK: the signals blocked while KVM_RUN runs (NULL: the
 * thread's own mask), so that a VMM can kick a vCPU with a signal it
 * blocks everywhere else.  SIGKILL and SIGSTOP stay deliverable.
 */
static long set_signal_mask(struct mkvm_vcpu *vcpu,
			    struct kvm_signal_mask __user *argp)
{
	struct kvm_signal_mask m;
	sigset_t set;

	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}
	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.len != sizeof(set))
		return -EINVAL;
	if (copy_from_user(&set, argp->sigset, sizeof(set)))
		return -EFAULT;
	sigdelsetmask(&set, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = set;
	vcpu->sigset_active = true;
	return 0;
}

/*
 * KVM_RUN under the vCPU's signal mask, if it has one.  real_blocked
 * keeps the thread's own mask meanwhile, as KVM does: only this thread
 * touches it, and it stays a subset of what is blocked.
 */
static long vcpu_run(struct mkvm_vcpu *vcpu)
{
	long ret;

	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
	ret = mkvm_arch_vcpu_run(vcpu);
	if (vcpu->sigset_active) {
		sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
		sigemptyset(&current->real_blocked);
	}
	return ret;
}

static long mkvm_vcpu_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct mkvm_vcpu *vcpu = file->private_data;
	long ret;

	if (vcpu->vm->mm != current->mm || READ_ONCE(vcpu->vm->dead))
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	if (cmd == KVM_RUN) {
		ret = arg ? -EINVAL : vcpu_run(vcpu);
	} else if (cmd == KVM_SET_SIGNAL_MASK) {
		ret = set_signal_mask(vcpu, (void __user *)arg);
	} else if (cmd == KVM_GET_STATS_FD) {
		ret = mkvm_vcpu_stats_fd(vcpu);
	} else {
		ret = mkvm_arch_vcpu_ioctl(vcpu, cmd, (void __user *)arg);
	}
	mutex_unlock(&vcpu->mutex);
	return ret;
}

static const struct file_operations mkvm_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= mkvm_vcpu_release,
	.unlocked_ioctl	= mkvm_vcpu_ioctl,
	.compat_ioctl	= mkvm_vcpu_ioctl,
	.mmap		= mkvm_vcpu_mmap,
	.llseek		= noop_llseek,
};

/**
 * mkvm_vcpu_by_mpidr() - the vCPU whose MPIDR affinity matches, or NULL
 * @vm:		the VM
 * @mpidr:	affinity fields of MPIDR_EL1
 */
struct mkvm_vcpu *mkvm_vcpu_by_mpidr(struct mkvm_vm *vm, u64 mpidr)
{
	int i, n = mkvm_nr_vcpus(vm);

	for (i = 0; i < n; i++)
		if (vm->vcpus[i]->arch.mpidr == mpidr)
			return vm->vcpus[i];
	return NULL;
}

/**
 * mkvm_create_vcpu() - KVM_CREATE_VCPU
 * @vm:		the VM
 * @id:		vCPU id, below KVM_CAP_MAX_VCPU_ID
 *
 * Return: the vCPU fd, -EINVAL for a bad id, -EEXIST for a duplicate one,
 * -ENOMEM.
 */
int mkvm_create_vcpu(struct mkvm_vm *vm, unsigned long id)
{
	struct mkvm_vcpu *vcpu;
	int i, ret, fd;

	if (id >= MKVM_MAX_VCPUS)
		return -EINVAL;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		ret = -ENOMEM;
		goto free_vcpu;
	}
	vcpu->vm = vm;
	vcpu->id = id;
	mutex_init(&vcpu->mutex);

	mutex_lock(&vm->lock);
	for (i = 0; i < vm->nr_vcpus; i++) {
		if (vm->vcpus[i]->id == id) {
			ret = -EEXIST;
			goto unlock;
		}
	}
	if (vm->nr_vcpus == MKVM_MAX_VCPUS) {
		ret = -EINVAL;
		goto unlock;
	}
	ret = mkvm_arch_vcpu_precreate(vm);
	if (ret)
		goto unlock;
	ret = mkvm_arch_vcpu_create(vcpu);
	if (ret)
		goto unlock;

	refcount_inc(&vm->users);
	fd = anon_inode_getfd("minikvm-vcpu", &mkvm_vcpu_fops, vcpu,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		refcount_dec(&vm->users);
		goto arch_destroy;
	}
	vm->vcpus[vm->nr_vcpus] = vcpu;
	/* Publish: lockless readers (mkvm_nr_vcpus()) see a complete vCPU. */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	mutex_unlock(&vm->lock);
	return fd;

arch_destroy:
	mkvm_arch_vcpu_destroy(vcpu);
unlock:
	mutex_unlock(&vm->lock);
	free_page((unsigned long)vcpu->run);
free_vcpu:
	kfree(vcpu);
	return ret;
}

/**
 * mkvm_lock_all_vcpus() - stop every vCPU of a VM, or fail at once
 * @vm:		the VM, vm->lock held (which keeps nr_vcpus still)
 *
 * Tries each vCPU's ioctl mutex, as KVM's lock_all_vcpus(): a vCPU in
 * KVM_RUN (or in any other ioctl) makes it fail with nothing held.  For
 * the VM-wide changes that no running vCPU may see half done: the vGIC's
 * save/restore, the counter offset.
 * Return: true with every vCPU's mutex held, false with none.
 */
bool mkvm_lock_all_vcpus(struct mkvm_vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		if (!mutex_trylock(&vm->vcpus[i]->mutex)) {
			while (--i >= 0)
				mutex_unlock(&vm->vcpus[i]->mutex);
			return false;
		}
	}
	return true;
}

/**
 * mkvm_unlock_all_vcpus() - undo mkvm_lock_all_vcpus()
 * @vm:		the VM, vm->lock still held
 */
void mkvm_unlock_all_vcpus(struct mkvm_vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++)
		mutex_unlock(&vm->vcpus[i]->mutex);
}
