/* SPDX-License-Identifier: GPL-2.0 */
/* Declarations shared by the EL2 objects only. */
#ifndef __MKVM_HYP_INTERNAL_H
#define __MKVM_HYP_INTERNAL_H

#include <linux/types.h>

u64 handle_host_hcall(u64 id, u64 a1, u64 a2, u64 a3);

#endif
