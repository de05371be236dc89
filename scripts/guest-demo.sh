#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo, inside QEMU: take EL2 with minikvm, run a tiny guest, then boot
# a Linux guest with two vCPUs to a shell that shows itself and powers off.
set -e
echo "== insmod minikvm.ko"
insmod /lib/minikvm.ko
dmesg | grep minikvm: | sed 's/^/   /'
echo "== minivmm info"
minivmm info
echo "== minivmm run --raw /bin/hello.bin@0x80000000: a guest greets through the PL011"
minivmm run --raw /bin/hello.bin@0x80000000
echo "== minivmm run -k /guest/Image -i /guest/rootfs.cpio.gz -c 2: Linux on minikvm"
minivmm run -k /guest/Image -i /guest/rootfs.cpio.gz -c 2 -m 256 \
	-p 'console=ttyAMA0 quiet guest_cmd="echo; echo guest shell: uname -a: $(uname -a); echo guest CPUs: $(nproc); echo"'
echo "== rmmod minikvm"
rmmod minikvm
dmesg | grep "minikvm: EL2 handed back" | tail -1 | sed 's/^/   /'
