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
# The kernel's dirty_log_perf_test (issue 8): 2 vCPUs each writing 16 MiB,
# 3 rounds of dirtying and collecting (manual protection: GET, then CLEAR).
# Times in microseconds of the boot's clock.
kst=/kvm-selftests/dirty_log_perf_test
if [ -x "$kst" ]; then
	[ "$dev" = /dev/minikvm ] && ln -sf /dev/minikvm /dev/kvm
	"$kst" -b 16M -v 2 -i 3 -m 6 2>&1 | tr -d '\r' | awk -v b="$MKVM_BOOT" '
		function us(s) { sub(/s\.?$/, "", s); return int(s * 1000000) }
		/^Populate memory time:/ { print "BENCH " b " dirtylog-populate-us " us($4) }
		/^Enabling dirty logging time:/ { print "BENCH " b " dirtylog-enable-us " us($5) }
		/dirty memory time:/ { if ($2 > 1) { dirty += us($6); n++ } }
		/^Get dirty log over/ { sub(/.*Avg /, ""); sub(/\/iteration.*/, "")
			print "BENCH " b " dirtylog-get-us/iter " us($0) }
		/^Clear dirty log over/ { sub(/.*Avg /, ""); sub(/\/iteration.*/, "")
			print "BENCH " b " dirtylog-clear-us/iter " us($0) }
		/^Disabling dirty logging time:/ { print "BENCH " b " dirtylog-disable-us " us($5) }
		END { if (n) print "BENCH " b " dirtylog-redirty-us/iter " int(dirty / n)
		      else print "BENCH " b " dirtylog-perf-test-failed 1" }'
fi
