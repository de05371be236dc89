#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test initramfs.  The kernel command line says what to do:
#   mkvm.boot=NAME    minikvm | oracle | vhe | oracle-vhe | debug
#                     (exported as MKVM_BOOT)
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
oracle|oracle-vhe) export MKVM_DEV=/dev/kvm ;;
*) export MKVM_DEV=/dev/minikvm ;;
esac

# The kernel log from boot on, kept whole in a file: the ring buffer wraps
# (the debug boot logs every load/unload), and a report early in the run
# must still be there for dmesg_check.  /proc/kmsg has a reader position of
# its own, so the tests' klogctl(READ_ALL) still sees the whole buffer.
KLOG=/tmp/kernel.log
[ "$run" = check ] && cat /proc/kmsg > $KLOG &

# What the kernel says when something is wrong.  BUG as a word only: the
# log has "DEBUG" in it for good reasons.  Not "lockdep" alone: the debug
# boot says "RCU lockdep checking is enabled"; lockdep's reports all start
# with "WARNING:", and its giving up is matched by name.
KLOG_BAD='WARNING:|(^|[^A-Za-z_])BUG([^A-Za-z_]|$)|Oops|Kernel panic|Unable to handle kernel|Internal error:|UBSAN|KASAN|kmemleak:.*(suspected memory leak|disabled)|lockdep is turned off|turning off the locking correctness validator|possible recursive locking|circular locking|possible circular|inconsistent lock|irq lock inversion|suspicious RCU usage|sleeping function called|list_(add|del) corruption|soft lockup|hard LOCKUP|hung_task|blocked for more than|detected stall|RCU stall|Call trace:'

# Print each line of file $1 that matches KLOG_BAD (marked ">") with 5
# lines before and 25 after, as TAP comments; overlapping windows merged,
# at most 400 lines in all.
klog_context() {
	awk -v pat="$KLOG_BAD" '
	{ line[NR] = $0; if ($0 ~ pat) { hit[++nhit] = NR; is_hit[NR] = 1 } }
	END {
		last = 0; out = 0
		for (h = 1; h <= nhit && out < 400; h++) {
			from = hit[h] - 5; to = hit[h] + 25
			if (from <= last) from = last + 1
			if (from < 1) from = 1
			if (to > NR) to = NR
			if (from > last + 1 && last) print "# ..."
			for (i = from; i <= to && out < 400; i++) {
				print (is_hit[i] ? "# > " : "#   ") line[i]
				out++
				shown = i
			}
			if (to > last) last = to
		}
		for (h = 1; h <= nhit; h++)
			more += hit[h] > shown
		if (more)
			print "# ... " more " more matching lines not shown"
	}' "$1"
}

# Anything the kernel complained about during the run is a failure.
dmesg_check() {
	if [ -e /sys/kernel/debug/kmemleak ]; then
		# kmemleak ignores objects younger than 5 s: let them age.
		sleep 6
		echo scan > /sys/kernel/debug/kmemleak
		echo scan > /sys/kernel/debug/kmemleak
		leaks=$(grep -c "^unreferenced object" /sys/kernel/debug/kmemleak)
		if [ "$leaks" != 0 ]; then
			head -120 /sys/kernel/debug/kmemleak | sed 's/^/# /'
			echo "not ok - $MKVM_BOOT: kmemleak reports $leaks leaks"
		else
			echo "ok - $MKVM_BOOT: kmemleak clean"
		fi
	fi
	# Let the reader catch up with the last messages.
	sleep 1
	log=$KLOG
	# No reader (or it died): the ring buffer is all there is.
	if [ ! -s $KLOG ]; then
		log=/tmp/dmesg.log
		dmesg > $log
	fi
	# An OOM killer's report (from "invoked oom-killer" to its "Killed
	# process" line) carries a stack dump by design: escape_mem_test makes
	# one on purpose and checks it itself.  Everything else is checked.
	awk '/invoked oom-killer/ { oom = 1 } !oom { print }
	     /Killed process/ { oom = 0 }' $log > /tmp/kernel.checked.log
	log=/tmp/kernel.checked.log
	n=$(grep -c -E "$KLOG_BAD" $log)
	if [ "$n" != 0 ]; then
		echo "# $n kernel log lines match, each with its context:"
		klog_context $log
		first=$(grep -E "$KLOG_BAD" $log | head -1 | tr -d '\r' | cut -c1-120)
		echo "not ok - $MKVM_BOOT: kernel log clean: $first"
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
		t0=$(cut -d. -f1 /proc/uptime)
		/bin/$t $filter 2>&1
		# Per-binary wall time: what the make check budget is made of.
		echo "# time: $t $(($(cut -d. -f1 /proc/uptime) - t0)) s"
	done
	# The kernel's own KVM selftests: the oracle passes them, minikvm must
	# (in both host modes).
	case "$MKVM_BOOT" in minikvm|oracle|vhe)
		if [ -n "$kst" ] && [ -x /bin/guest-kvm-selftests.sh ]; then
			echo "# selftest: kvm_selftests"
			t0=$(cut -d. -f1 /proc/uptime)
			/bin/guest-kvm-selftests.sh ${kst#all} 2>&1
			echo "# time: kvm_selftests $(($(cut -d. -f1 /proc/uptime) - t0)) s"
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
# poweroff -f does not wait for the console: the last line can still sit
# in the tty's buffer (lost on the debug boot once, beside a second QEMU).
sleep 2
poweroff -f
