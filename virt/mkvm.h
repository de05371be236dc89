/* SPDX-License-Identifier: GPL-2.0 */
/* The arch-neutral core of minikvm: what its files share. */
#ifndef __MKVM_CORE_H
#define __MKVM_CORE_H

#include <linux/fs.h>

long mkvm_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* __MKVM_CORE_H */
