/* SPDX-License-Identifier: GPL-2.0 */
/* Test-only views of the host's state in minikvm's debugfs directory. */
#ifndef __MKVM_DEBUGFS_H
#define __MKVM_DEBUGFS_H

struct dentry;

/* arch/arm64/debugfs_regs.c */
void mkvm_debugfs_regs_init(struct dentry *dir);

#endif
