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

/* KVM_CHECK_EXTENSION: only what is implemented answers non-zero. */
static long mkvm_check_extension(unsigned long ext)
{
	switch (ext) {
	default:
		return 0;
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
		return mkvm_check_extension(arg);
	case MINIKVM_HYP_PING:
		return mkvm_hyp_ping((void __user *)arg);
	default:
		return -EINVAL;
	}
}
