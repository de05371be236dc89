#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: boot QEMU with the test kernel and run scripts/guest-demo.sh on
# minikvm.  Installs and builds what is missing first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$MKVM_ROOT/scripts/deps.sh"
read -r image initrd < <(mkvm_build_variant release)
mkdir -p "$MKVM_ROOT/build/logs"
"$MKVM_ROOT/scripts/qemu.sh" minikvm "$image" "$initrd" demo \
	"$MKVM_ROOT/build/logs/demo.log" | sed -n '/^MKVM-BEGIN/,/^MKVM-END/{/^MKVM-/d;p}'
grep -q "^MKVM-DEMO-OK" "$MKVM_ROOT/build/logs/demo.log" ||
	mkvm_die "the demo failed (console log: build/logs/demo.log)"
