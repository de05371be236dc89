// SPDX-License-Identifier: GPL-2.0
/*
 * minikvm: a small KVM for arm64 nVHE hosts.  Module load takes EL2 from the
 * kernel's hyp stub and creates /dev/minikvm; unload gives both back.
 */
#define pr_fmt(fmt) "minikvm: " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <mkvm/arch.h>
#include "mkvm.h"

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
	.mode	= 0666,
};

static int __init mkvm_init(void)
{
	int ret;

	ret = mkvm_el2_init();
	if (ret)
		return ret;
	ret = misc_register(&mkvm_dev);
	if (ret)
		goto el2_exit;
	return 0;

el2_exit:
	mkvm_el2_exit();
	return ret;
}

static void __exit mkvm_exit(void)
{
	misc_deregister(&mkvm_dev);
	mkvm_el2_exit();
}

module_init(mkvm_init);
module_exit(mkvm_exit);
MODULE_DESCRIPTION("minikvm: a small KVM for arm64 nVHE hosts");
MODULE_LICENSE("GPL");
