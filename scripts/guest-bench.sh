#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Inside QEMU (scripts/bench.sh): the microbenchmarks, then the Linux guest
# boot three times, on this boot's KVM-API device.  One line per figure:
#   BENCH <boot> <name> <value>
dev=/dev/minikvm
[ "$MKVM_BOOT" = oracle ] && dev=/dev/kvm
[ "$dev" = /dev/minikvm ] && insmod /lib/minikvm.ko
microbench --dev "$dev" | while read -r name ns; do
	echo "BENCH $MKVM_BOOT $name-ns/op $ns"
done
for i in 1 2 3; do
	boot_time guest-shell-reached -- minivmm run --dev "$dev" \
		-k /guest/Image -i /guest/rootfs.cpio.gz -c 2 -m 256 \
		-p 'console=ttyAMA0 quiet guest_cmd="echo guest-shell-reached"' |
	while read -r _ shell _ off _ st; do
		[ "$st" = 0 ] || echo "BENCH $MKVM_BOOT linux-boot-failed-$i $st"
		echo "BENCH $MKVM_BOOT linux-to-shell-ms#$i $shell"
		echo "BENCH $MKVM_BOOT linux-to-poweroff-ms#$i $off"
	done
done
