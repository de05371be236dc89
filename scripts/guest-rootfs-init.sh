#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the guest rootfs that minivmm boots (/guest/rootfs.cpio.gz in the
# test initramfs).  With guest_cmd="..." on the kernel command line (the
# kernel hands unknown name=value parameters to init as environment
# variables) it runs that command; without, a shell on the console.  Then
# it powers the guest off: PSCI SYSTEM_OFF, and minivmm exits 0.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
export PATH=/bin:/sbin
if [ -n "$guest_cmd" ]; then
	sh -c "$guest_cmd"
else
	echo "minivmm guest: $(uname -sr), $(nproc) CPUs; exit the shell to power off"
	setsid cttyhack sh
fi
poweroff -f
