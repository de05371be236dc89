#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test initramfs.  The kernel command line says what to do:
#   mkvm.boot=NAME    minikvm | oracle | vhe | debug  (exported as MKVM_BOOT)
#   mkvm.run=WHAT     check (run selftests) | demo | bench | shell | guest
#   mkvm.tests=LIST   comma-separated test binaries (default: all *_test,
#                     then the kernel's KVM selftests); "kvm_selftests" in
#                     LIST runs those, "kvm_selftests.NAME" only NAME of them
#   mkvm.filter=ARGS  extra arguments for each test binary (e.g. -t name)
# Output between the MKVM-BEGIN and MKVM-END lines is TAP, read by
# scripts/check.sh on the host.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
export PATH=/bin:/sbin

arg() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
export MKVM_BOOT=$(arg mkvm.boot)
export MKVM_MODULE=/lib/minikvm.ko
run=$(arg mkvm.run)
tests=$(arg mkvm.tests | tr , ' ')
filter=$(arg mkvm.filter | tr , ' ')
case "$MKVM_BOOT" in
oracle) export MKVM_DEV=/dev/kvm ;;
*) export MKVM_DEV=/dev/minikvm ;;
esac

# Anything the kernel complained about during the run is a failure.
dmesg_check() {
	if [ -e /sys/kernel/debug/kmemleak ]; then
		# kmemleak ignores objects younger than 5 s: let them age.
		sleep 6
		echo scan > /sys/kernel/debug/kmemleak
		echo scan > /sys/kernel/debug/kmemleak
		leaks=$(grep -c "^unreferenced object" /sys/kernel/debug/kmemleak)
		if [ "$leaks" != 0 ]; then
			cat /sys/kernel/debug/kmemleak | head -60 | sed 's/^/# /'
			echo "not ok - $MKVM_BOOT: kmemleak reports $leaks leaks"
		else
			echo "ok - $MKVM_BOOT: kmemleak clean"
		fi
	fi
	bad=$(dmesg | grep -E "WARNING:|BUG:|Oops|UBSAN|possible recursive locking|circular locking|inconsistent lock|sleeping function called|list_(add|del) corruption|Call trace:")
	if [ -n "$bad" ]; then
		dmesg | tail -80 | sed 's/^/# /'
		echo "not ok - $MKVM_BOOT: kernel log clean"
	else
		echo "ok - $MKVM_BOOT: kernel log clean"
	fi
}

echo "MKVM-BEGIN $MKVM_BOOT"
case "$run" in
check)
	kst=
	if [ -z "$tests" ]; then
		tests=$(cd /bin && ls *_test)
		kst=all
	fi
	for t in $tests; do
		case "$t" in
		kvm_selftests) kst=all; continue ;;
		kvm_selftests.*) kst="$kst ${t#kvm_selftests.}"; continue ;;
		esac
		echo "# selftest: $t"
		/bin/$t $filter 2>&1
	done
	# The kernel's own KVM selftests: the oracle passes them, minikvm must.
	case "$MKVM_BOOT" in minikvm|oracle)
		if [ -n "$kst" ] && [ -x /bin/guest-kvm-selftests.sh ]; then
			echo "# selftest: kvm_selftests"
			/bin/guest-kvm-selftests.sh ${kst#all} 2>&1
		fi ;;
	esac
	dmesg_check
	;;
demo)
	/bin/guest-demo.sh && echo "MKVM-DEMO-OK"
	;;
shell)
	setsid cttyhack sh
	;;
bench)
	/bin/guest-bench.sh
	;;
guest)
	# make shell: a Linux guest's shell on this console, on minikvm.
	insmod /lib/minikvm.ko
	setsid cttyhack minivmm run -k /guest/Image -i /guest/rootfs.cpio.gz \
		-c 2 -m 256
	;;
esac
echo "MKVM-END $MKVM_BOOT"
poweroff -f
