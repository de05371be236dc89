#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the microbenchmarks (tools/bench/microbench), a 2-vCPU
# Linux guest boot (tools/bench/boot_time + minivmm), and a Linux guest's
# virtio-net (userspace and vhost-net, tools/bench/net_peer on the host
# side) and virtio-blk throughput, on minikvm and on the kernel's own KVM,
# in the same QEMU configuration, side by side.
# BENCH=micro,boot,virtio,dirtylog,qemu runs only those parts (default: all);
# virtio-tap or virtio-vhost, one backend of virtio.  MODPARAMS=
# halt_poll_ns=0,... loads minikvm with those module parameters.
# NET_ROUNDS=N: TCP transfers per direction and backend in each boot, the
# figure their median (default 15); NET_PIN=0 leaves the network threads
# unpinned; NET_DISK=0 skips the disk rows of the tap backend's run
# (scripts/guest-bench.sh, Documentation/io.rst).
# Four boots, four columns (issue 9): minikvm and KVM on an nVHE host
# (boots minikvm, oracle) and on a VHE host (vhe, oracle-vhe: the kernel
# at EL2).  The VHE boots run only BENCH_VHE's parts (default micro,boot:
# the world switch's cost and the Linux guest's boot; the rest is the
# same code in either mode, and would double the bench's time) unless
# BENCH is given.  BENCH_BOOTS="minikvm oracle" runs those boots only.
# qemu (issue 10): Debian's qemu-system-aarch64 -accel kvm on each boot's
# KVM API (selftests/qemu_test drives it): its Linux guest's boot to the
# shell, a save and a restore of the 256 MiB guest, a live migration.
# ICOUNT=1 (default) runs QEMU with -icount shift=0: the guest's clock
# follows executed instructions, so figures repeat (1 virtual ns ~ 1
# instruction).  ICOUNT=0 gives wall time, which swings with the load.
set -eu
. "$(dirname "$0")/lib.sh"
"$MKVM_ROOT/scripts/deps.sh"
read -r image initrd < <(mkvm_build_variant release)
mkdir -p "$MKVM_ROOT/build/logs"
args=
[ "${ICOUNT:-1}" = 1 ] && args="-icount shift=0"
# ICOUNT=nosleep: idle time jumps to the next timer instead of passing at
# the host's wall-clock pace, so that figures do not follow the host's load.
[ "${ICOUNT:-1}" = nosleep ] && args="-icount shift=0,sleep=off"
clock="wall"
[ -n "$args" ] && clock="virtual, ${args#-icount }"
# QEMU's root filesystem for the qemu part, as make check attaches it.
case ",${BENCH:-qemu}," in *,qemu,*)
	qemu_rootfs=$("$MKVM_ROOT/scripts/qemu-rootfs.sh")
	args="$args -drive file=$qemu_rootfs,if=none,format=raw,readonly=on,id=qemu-rootfs"
	args="$args -device virtio-blk-device,drive=qemu-rootfs,serial=mkvm-qemu-rootfs"
	# The first QEMU of each boot reads its binary and libraries from
	# that disk, and the outer QEMU's reads pass at this host's pace:
	# the build's writeback and a cold host cache slowed whichever boot
	# came first (its cold start 20-120 ms longer, on minikvm or on KVM
	# alike when the order was swapped).  Both boots start alike.
	sync
	cat "$qemu_rootfs" > /dev/null ;;
esac
for boot in ${BENCH_BOOTS:-minikvm vhe oracle oracle-vhe}; do
	log=$MKVM_ROOT/build/logs/bench-$boot.log
	parts=${BENCH:-}
	case "$boot" in vhe|oracle-vhe) parts=${BENCH:-${BENCH_VHE:-micro,boot}} ;; esac
	MKVM_QEMU_ARGS="$args" MKVM_TIMEOUT=2400 \
		MKVM_APPEND="${parts:+mkvm.bench=$parts} ${MODPARAMS:+mkvm.modparams=$MODPARAMS} ${NET_ROUNDS:+mkvm.netrounds=$NET_ROUNDS} ${NET_PIN:+mkvm.netpin=$NET_PIN} ${NET_DISK:+mkvm.netdisk=$NET_DISK}" \
		"$MKVM_ROOT/scripts/qemu.sh" "$boot" "$image" "$initrd" bench "$log" \
		>/dev/null || true
	grep -q '^BENCH' "$log" || echo "$boot: no figures (see $log)" >&2
done
# Columns: minikvm and KVM, nVHE then VHE; the ratios minikvm/KVM in each
# mode and minikvm VHE/nVHE.  A boot not run (or a part it skipped)
# leaves its column empty.
printf '%-30s %10s %10s %10s %10s %7s %7s %7s\n' "($clock)" minikvm \
	"mkvm VHE" "KVM nVHE" "KVM VHE" "m/K" "m/K VHE" "VHE/nVHE"
cat "$MKVM_ROOT"/build/logs/bench-{minikvm,vhe,oracle,oracle-vhe}.log 2>/dev/null | tr -d '\r' |
	awk 'function r(a, b) { return (a != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
	     /^BENCH / { v[$3 " " $2] = $4; if (!seen[$3]++) order[n++] = $3 }
	     END { for (i = 0; i < n; i++) { k = order[i];
		m = v[k " minikvm"]; mv = v[k " vhe"];
		o = v[k " oracle"]; ov = v[k " oracle-vhe"];
		printf "%-30s %10s %10s %10s %10s %7s %7s %7s\n", k, m, mv, o, ov,
		       r(m, o), r(mv, ov), r(mv, m) } }'
