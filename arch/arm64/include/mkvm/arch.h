/* SPDX-License-Identifier: GPL-2.0 */
/* What the arch-neutral core (virt/) calls in the arm64 port. */
#ifndef __MKVM_ARCH_H
#define __MKVM_ARCH_H

#include <linux/types.h>

struct minikvm_hyp_ping;

int mkvm_el2_init(void);
void mkvm_el2_exit(void);
int mkvm_el2_ping(struct minikvm_hyp_ping *ping);

#endif /* __MKVM_ARCH_H */
