/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * minikvm's additions to the KVM API.  The core ABI of /dev/minikvm is
 * <linux/kvm.h> itself; the ioctls here use their own type byte (0xB9) so
 * they can never alias a present or future KVM ioctl.
 */
#ifndef _UAPI_LINUX_MINIKVM_H
#define _UAPI_LINUX_MINIKVM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MINIKVMIO	0xB9

/*
 * MINIKVM_HYP_PING (system fd): run minikvm's EL2 ping call on one host CPU
 * and report what EL2 saw.  Every field marked "in" is validated: flags
 * must be 0, cpu must be an online CPU (-EINVAL past nr_cpu_ids, -ENXIO when
 * offline).  Requires CAP_SYS_ADMIN (it interrupts another CPU).
 */
struct minikvm_hyp_ping {
	__u32 cpu;		/* in: host CPU number */
	__u32 flags;		/* in: must be 0 */
	__u64 cookie;		/* in: any value */
	__u64 answer;		/* out: ~cookie, computed at EL2 */
	__u32 hyp_version;	/* out: EL1/EL2 contract version */
	__u32 current_el;	/* out: CurrentEL.EL as read at EL2 (2) */
	__u64 sctlr_el2;	/* out: SCTLR_EL2 (M, C and I set) */
	__u64 vbar_el2;		/* out: VBAR_EL2, an EL2 virtual address */
	__u64 mpidr;		/* out: MPIDR_EL1 of the CPU that answered */
};

#define MINIKVM_HYP_PING	_IOWR(MINIKVMIO, 0x00, struct minikvm_hyp_ping)

#endif /* _UAPI_LINUX_MINIKVM_H */
