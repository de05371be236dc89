// SPDX-License-Identifier: GPL-2.0
/*
 * minikvm: a small KVM for arm64 nVHE hosts.  Module load takes EL2 from the
 * kernel's hyp stub and creates /dev/minikvm; unload gives both back.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/stat.h>
#include <mkvm/arch.h>
#include "mkvm.h"

/*
 * Who may open /dev/minikvm.  Like /dev/kvm, root only unless the
 * administrator says otherwise: every VM is code the host runs at EL1 with
 * EL2 behind it, so access to the device is a privilege.  Distributions
 * give /dev/kvm to a group with a udev rule; scripts/60-minikvm.rules does
 * the same for /dev/minikvm (group kvm, 0660).  devmode is for systems
 * without udev; read and write bits only (an executable or set-id device
 * node makes no sense).
 */
static ushort devmode = 0600;
module_param(devmode, ushort, 0444);
MODULE_PARM_DESC(devmode, "mode of /dev/minikvm as created (default 0600, at most 0666)");

static const struct file_operations mkvm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= mkvm_dev_ioctl,
	.compat_ioctl	= mkvm_dev_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice mkvm_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "minikvm",
	.fops	= &mkvm_dev_fops,
};

static int __init mkvm_init(void)
{
	int ret;

	if (devmode & ~(umode_t)0666) {
		pr_err("devmode %#o: only read and write bits (at most 0666)\n",
		       devmode);
		return -EINVAL;
	}
	mkvm_dev.mode = devmode;

	ret = mkvm_eventfd_module_init();
	if (ret)
		return ret;
	ret = mkvm_el2_init();
	if (ret)
		goto eventfd_exit;
	ret = misc_register(&mkvm_dev);
	if (ret)
		goto el2_exit;
	return 0;

el2_exit:
	mkvm_el2_exit();
eventfd_exit:
	mkvm_eventfd_module_exit();
	return ret;
}

static void __exit mkvm_exit(void)
{
	misc_deregister(&mkvm_dev);
	mkvm_el2_exit();
	mkvm_eventfd_module_exit();
}

module_init(mkvm_init);
module_exit(mkvm_exit);
MODULE_DESCRIPTION("minikvm: a small KVM for arm64 nVHE hosts");
MODULE_LICENSE("GPL");
