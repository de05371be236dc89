#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pack the rootfs of the Linux guest that minivmm boots:
#   scripts/guest-rootfs.sh OUT.cpio.gz
# busybox, and scripts/guest-rootfs-init.sh as /init.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1
busybox=$("$MKVM_ROOT/scripts/busybox.sh")
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp}
cp "$busybox" "$root/bin/busybox"
cp "$MKVM_ROOT/scripts/guest-rootfs-init.sh" "$root/init"
chmod +x "$root/init"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$out.tmp"
mv "$out.tmp" "$out"
