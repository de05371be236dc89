#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the microbenchmarks (tools/bench/microbench), a 2-vCPU
# Linux guest boot (tools/bench/boot_time + minivmm), and a Linux guest's
# virtio-net (userspace and vhost-net, tools/bench/net_peer on the host
# side) and virtio-blk throughput, on minikvm and on the kernel's own KVM,
# in the same QEMU configuration, side by side.
# BENCH=micro,boot,virtio,dirtylog,qemu runs only those parts (default: all);
# virtio-tap or virtio-vhost, one backend of virtio.  BENCH_BOOTS=minikvm
# (or oracle) runs one boot; MODPARAMS=halt_poll_ns=0,... loads minikvm
# with those module parameters.
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
# QEMU's root filesystem for the qemu part, as make check attaches it.
case ",${BENCH:-qemu}," in *,qemu,*)
	qemu_rootfs=$("$MKVM_ROOT/scripts/qemu-rootfs.sh")
	args="$args -drive file=$qemu_rootfs,if=none,format=raw,readonly=on,id=qemu-rootfs"
	args="$args -device virtio-blk-device,drive=qemu-rootfs,serial=mkvm-qemu-rootfs" ;;
esac
for boot in ${BENCH_BOOTS:-minikvm oracle}; do
	log=$MKVM_ROOT/build/logs/bench-$boot.log
	MKVM_QEMU_ARGS="$args" MKVM_TIMEOUT=2400 \
		MKVM_APPEND="${BENCH:+mkvm.bench=$BENCH} ${MODPARAMS:+mkvm.modparams=$MODPARAMS}" \
		"$MKVM_ROOT/scripts/qemu.sh" "$boot" "$image" "$initrd" bench "$log" \
		>/dev/null || true
	grep -q '^BENCH' "$log" || echo "$boot: no figures (see $log)" >&2
done
clock="wall"
[ -n "$args" ] && clock="virtual, ${args#-icount }"
printf '%-30s %12s %12s %8s\n' "($clock)" minikvm "KVM (nVHE)" ratio
cat "$MKVM_ROOT"/build/logs/bench-{minikvm,oracle}.log 2>/dev/null | tr -d '\r' |
	awk '/^BENCH / { v[$3 " " $2] = $4; if (!seen[$3]++) order[n++] = $3 }
	     END { for (i = 0; i < n; i++) { k = order[i];
		m = v[k " minikvm"]; o = v[k " oracle"];
		printf "%-30s %12s %12s %8s\n", k, m, o,
		       (m != "" && o > 0) ? sprintf("%.2f", m / o) : "-" } }'
