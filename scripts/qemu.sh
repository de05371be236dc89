#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test kernel in QEMU:  scripts/qemu.sh BOOT IMAGE INITRD RUN [LOG]
#   BOOT  minikvm | oracle | vhe | oracle-vhe | debug | debug-vhe: picks
#         the EL2 command line (oracle-vhe: none, the kernel's KVM in VHE
#         mode; debug-vhe: the debug kernel as vhe)
#   RUN   check | demo | shell | guest (see scripts/guest-init.sh)
# Extra kernel arguments come from $MKVM_APPEND; QEMU arguments from
# $MKVM_QEMU_ARGS; the timeout (seconds) from $MKVM_TIMEOUT.
# With LOG, the console goes there too; the exit status is QEMU's, or 124
# when the timeout killed a hung guest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

boot=$1 image=$2 initrd=$3 run=$4 log=${5:-/dev/null}
case "$boot" in
minikvm|debug)	el2="kvm-arm.mode=none id_aa64mmfr1.vh=0" ;;
oracle)		el2="kvm-arm.mode=nvhe" ;;
vhe|debug-vhe)	el2="kvm-arm.mode=none" ;;
oracle-vhe)	el2="" ;;
*)		mkvm_die "unknown boot '$boot'" ;;
esac
# 2 GiB: the kernel's KVM selftests map 1 GiB of guest memory at once
# (dirty_log_test); KASAN's shadow needs a third more on the debug boot.
mem=2G
case "$boot" in debug*) mem=3G ;; esac

# RCU's stall report after 180 s instead of 21: TCG runs 4 vCPUs on the
# host's 2 cores, and beside a second QEMU the kernel's own KVM took over
# 21 s to unmap dirty_log_test's 1 GiB slot (broadcast TLBIs are slow
# under TCG) - a slow emulated CPU, not a stall.  A CPU really stuck with
# interrupts off is still reported, and the tests' own timeouts catch it.
cmdline="console=ttyAMA0 loglevel=1 panic=-1 rcupdate.rcu_cpu_stall_timeout=180 $el2 mkvm.boot=$boot mkvm.run=$run ${MKVM_APPEND:-}"
# QEMU's "edu" PCI device: a real device whose BAR selftests/devmem_test
# gives a guest through a memslot (device memory at stage 2).
#
# Issue 12: an SMMUv3 in front of the PCI bus (what VFIO's type1 IOMMU
# needs) and an NVMe controller that selftests/vfio_test passes through
# to a minivmm guest.  Its namespaces are raw images, zeroed for every
# boot so that what a test finds there was written in this boot; one set
# per boot profile, so that two profiles may run at once.  The SR-IOV
# parameters (two virtual functions) need the namespaces as nvme-ns of
# an NVMe subsystem, not the controller's legacy drive=: the physical
# function keeps max_ioqpairs - sriov_vq_flexible = 2 I/O queue pairs
# and msix_qsize - sriov_vi_flexible = 2 interrupt vectors; the flexible
# rest makes two queues and one vector for each virtual function.
# Namespace 1 (16 MiB) is private to the physical function; 2 (8 MiB)
# and 3 (4 MiB) start detached, for vfio_test to attach one to each
# virtual function.
nvme_img=$MKVM_ROOT/build/nvme-$boot
mkdir -p "$(dirname "$nvme_img")"
nvme_args=()
for ns in 1:16M 2:8M 3:4M; do
	rm -f "$nvme_img-ns${ns%:*}.img"
	truncate -s "${ns#*:}" "$nvme_img-ns${ns%:*}.img"
	nvme_args+=(-drive "file=$nvme_img-ns${ns%:*}.img,if=none,format=raw,id=nvm${ns%:*}")
done
nvme_args+=(-device nvme-subsys,id=nvm-subsys
	    -device "nvme,serial=mkvm-nvme,subsys=nvm-subsys,max_ioqpairs=6,msix_qsize=4,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2"
	    -device nvme-ns,drive=nvm1,nsid=1,shared=off
	    -device nvme-ns,drive=nvm2,nsid=2,detached=on
	    -device nvme-ns,drive=nvm3,nsid=3,detached=on)
qemu=(qemu-system-aarch64 -machine virt,virtualization=on,gic-version=3,iommu=smmuv3
      -cpu max,pauth-impdef=on -smp "${MKVM_SMP:-4}" -m "$mem"
      -device edu "${nvme_args[@]}"
      -nic none -nographic -no-reboot -kernel "$image" -initrd "$initrd"
      -append "$cmdline" ${MKVM_QEMU_ARGS:-})
if [ "$run" = shell ] || [ "$run" = guest ]; then
	exec "${qemu[@]}"
fi
set +e
timeout --foreground -k 5 "${MKVM_TIMEOUT:-900}" "${qemu[@]}" </dev/null 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
