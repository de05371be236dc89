#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot a 2-vCPU Linux guest with minivmm on minikvm and on the
# kernel's own KVM, in the same QEMU configuration, and print the figures
# side by side.  ICOUNT=1 (default) runs QEMU with -icount shift=0, where
# the clock follows executed instructions and figures repeat; ICOUNT=0
# gives wall time (which swings with the load of this machine).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$MKVM_ROOT/scripts/deps.sh"
read -r image initrd < <(mkvm_build_variant release)
mkdir -p "$MKVM_ROOT/build/logs"
args=
[ "${ICOUNT:-1}" = 1 ] && args="-icount shift=0"
clock=$([ -n "$args" ] && echo "virtual ms (-icount shift=0)" || echo "wall ms")
printf '%-28s %-10s %14s %14s\n' "benchmark ($clock)" boot to-shell to-poweroff
for boot in minikvm oracle; do
	log=$MKVM_ROOT/build/logs/bench-$boot.log
	MKVM_QEMU_ARGS="$args" MKVM_TIMEOUT=1200 \
		"$MKVM_ROOT/scripts/qemu.sh" "$boot" "$image" "$initrd" bench "$log" \
		>/dev/null || true
	grep '^BENCH' "$log" | tr -d '\r' | while read -r _ b name _ run _ shell _ off _ st; do
		printf '%-28s %-10s %14s %14s%s\n' "$name #$run" "$b" "$shell" "$off" \
			"$([ "$st" = 0 ] || echo "  (exit $st)")"
	done
	grep -q '^BENCH' "$log" || echo "$boot: no figures (see $log)"
done
