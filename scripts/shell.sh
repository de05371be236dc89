#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make shell: boot QEMU, load minikvm, and boot a 2-vCPU Linux guest with
# minivmm, its shell on this terminal (Ctrl-A x quits minivmm; then QEMU
# powers off).  make shell HOST=1 gives the QEMU host's shell instead.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$MKVM_ROOT/scripts/deps.sh"
read -r image initrd < <(mkvm_build_variant release)
run=guest
[ -n "${HOST:-}" ] && run=shell
exec "$MKVM_ROOT/scripts/qemu.sh" minikvm "$image" "$initrd" "$run"
