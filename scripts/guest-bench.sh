#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside QEMU (scripts/bench.sh): boot the Linux guest with minivmm on this
# boot's KVM-API device, three times, and print one BENCH line per run.
dev=/dev/minikvm
[ "$MKVM_BOOT" = oracle ] && dev=/dev/kvm
[ "$dev" = /dev/minikvm ] && insmod /lib/minikvm.ko
for i in 1 2 3; do
	printf 'BENCH %s linux-boot run %s ' "$MKVM_BOOT" "$i"
	boot_time guest-shell-reached -- minivmm run --dev "$dev" \
		-k /guest/Image -i /guest/rootfs.cpio.gz -c 2 -m 256 \
		-p 'console=ttyAMA0 quiet guest_cmd="echo guest-shell-reached"'
done
