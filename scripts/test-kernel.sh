#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the arm64 test kernel and print its build directory.
#   scripts/test-kernel.sh [--debug]
# The build directory holds arch/arm64/boot/Image and everything needed to
# build out-of-tree modules against it.  It is cached under $MKVM_CACHE, keyed
# by the linux-source version, the config fragments, this script and the
# compiler version; a changed input means a new directory and a rebuild.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=release
[ "${1:-}" = --debug ] && variant=debug
frags=("$MKVM_ROOT/scripts/kernel/minikvm.config")
[ $variant = debug ] && frags+=("$MKVM_ROOT/scripts/kernel/debug.config")

key=$( { mkvm_kernel_src_version; cat "${frags[@]}" "$0";
	 "${MKVM_CROSS}gcc" --version | head -1; } | sha256sum | cut -c1-16)
out=$MKVM_CACHE/kernel-$variant-$key
if [ -f "$out/.built" ]; then
	echo "$out"
	exit 0
fi

src=$(mkvm_kernel_src)
rm -rf "$out" && mkdir -p "$out"
cat "${frags[@]}" > "$out/fragment.config"
kmake() { make -s -C "$src" O="$out" ARCH=arm64 CROSS_COMPILE="$MKVM_CROSS" "$@"; }
start=$(date +%s)
mkvm_log "kernel: building $variant test kernel in $out (a few minutes)"
kmake KCONFIG_ALLCONFIG="$out/fragment.config" allnoconfig >/dev/null
# Every option the fragment asks for must have survived dependency resolution.
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx -- "$line" "$out/.config" ||
			mkvm_die "kernel config: '$line' did not take (dependency missing?)" ;;
	esac
done < "$out/fragment.config"
kmake -j"$MKVM_JOBS" Image modules > "$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; mkvm_die "kernel build failed"; }
touch "$out/.built"
mkvm_log "kernel: $variant built in $(( $(date +%s) - start )) s"
echo "$out"
