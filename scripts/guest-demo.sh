#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The demo, inside QEMU: take EL2 with minikvm, show it, give it back; then
# run a tiny guest on it with minivmm.
set -e
echo "== insmod minikvm.ko"
insmod /lib/minikvm.ko
dmesg | grep minikvm: | sed 's/^/   /'
echo "== minivmm info"
minivmm info
echo "== rmmod minikvm"
rmmod minikvm
dmesg | grep "minikvm: EL2 handed back" | sed 's/^/   /'
echo "== the hyp stub answers again: a second insmod works"
insmod /lib/minikvm.ko && rmmod minikvm && echo "   ok"
echo "== minivmm run --raw /bin/hello.bin@0x80000000: a guest greets through the PL011"
insmod /lib/minikvm.ko
minivmm run --raw /bin/hello.bin@0x80000000
rmmod minikvm
