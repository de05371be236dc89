/* SPDX-License-Identifier: GPL-2.0 */
/* VMIDs with generations (arch/arm64/vmid.c). */
#ifndef __MKVM_VMID_H
#define __MKVM_VMID_H

#include <linux/types.h>

struct mkvm_vm;

u64 mkvm_vmid_setup(void);
bool mkvm_vmid_update(struct mkvm_vm *vm);
u64 mkvm_vmid_vttbr(struct mkvm_vm *vm);

#endif
