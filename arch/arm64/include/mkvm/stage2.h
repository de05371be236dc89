/* SPDX-License-Identifier: GPL-2.0 */
#ifndef __MKVM_STAGE2_H
#define __MKVM_STAGE2_H

#include <linux/types.h>

struct mkvm_vcpu;

int mkvm_stage2_fault(struct mkvm_vcpu *vcpu, u64 ipa, bool write, bool exec);
bool mkvm_s2_fwb(void);

#endif
