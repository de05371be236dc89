// SPDX-License-Identifier: GPL-2.0
/*
 * The system fd: ioctls on /dev/minikvm itself.  Same numbers and errors as
 * /dev/kvm (virt/kvm/kvm_main.c, kvm_dev_ioctl()); minikvm's own additions
 * come from <uapi/linux/minikvm.h>.
 */
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/kvm.h>
#include <linux/uaccess.h>
#include <mkvm/arch.h>
#include <uapi/linux/minikvm.h>
#include "mkvm.h"

/**
 * mkvm_check_extension() - KVM_CHECK_EXTENSION on the system or a VM fd
 * @vm:		the VM, or NULL on the system fd
 * @ext:	KVM_CAP_*
 *
 * Only what is implemented answers non-zero.
 */
long mkvm_check_extension(struct mkvm_vm *vm, long ext)
{
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_USER_MEMORY2:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_ONE_REG:
	case KVM_CAP_BINARY_STATS_FD:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_SIGNAL_MSI:
		return 1;
	case KVM_CAP_IRQ_ROUTING:
		return 4096;	/* KVM_MAX_IRQ_ROUTES */
	case KVM_CAP_COALESCED_MMIO:
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		       KVM_DIRTY_LOG_INITIALLY_SET;
	case KVM_CAP_NR_MEMSLOTS:
		return MKVM_MAX_MEMSLOTS;
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
	case KVM_CAP_MAX_VCPU_ID:
		return MKVM_MAX_VCPUS;
	default:
		return mkvm_arch_check_extension(vm, ext);
	}
}

static long mkvm_hyp_ping(void __user *argp)
{
	struct minikvm_hyp_ping ping;
	int ret;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (copy_from_user(&ping, argp, sizeof(ping)))
		return -EFAULT;
	if (ping.flags)
		return -EINVAL;
	if (ping.cpu >= nr_cpu_ids)
		return -EINVAL;
	ret = mkvm_el2_ping(&ping);
	if (ret)
		return ret;
	return copy_to_user(argp, &ping, sizeof(ping)) ? -EFAULT : 0;
}

/**
 * mkvm_dev_ioctl() - dispatch an ioctl on /dev/minikvm
 * @file:	the open device
 * @cmd:	ioctl number
 * @arg:	its argument
 *
 * Return: the ioctl's result; -EINVAL for an ioctl this fd does not know,
 * as KVM on arm64 answers.
 */
long mkvm_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION;
	case KVM_CHECK_EXTENSION:
		return mkvm_check_extension(NULL, arg);
	case KVM_CREATE_VM:
		return mkvm_create_vm(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		/* struct kvm_run, then the coalesced MMIO ring */
		return arg ? -EINVAL :
			     PAGE_SIZE * (KVM_COALESCED_MMIO_PAGE_OFFSET + 1);
	case MINIKVM_HYP_PING:
		return mkvm_hyp_ping((void __user *)arg);
	default:
		return -EINVAL;
	}
}
