#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Pack the rootfs of the Linux guest that minivmm boots:
#   scripts/guest-rootfs.sh OUT.cpio.gz
# busybox, scripts/guest-rootfs-init.sh as /init, and the selftests' guest
# programs (selftests/guest/, built first) in /bin.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1
busybox=$("$MKVM_ROOT/scripts/busybox.sh")
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp}
cp "$busybox" "$root/bin/busybox"
for f in "$MKVM_ROOT"/selftests/guest/*.c; do
	[ -x "${f%.c}" ] || mkvm_die "${f%.c}: not built"
	cp "${f%.c}" "$root/bin/"
done
cp "$MKVM_ROOT/scripts/guest-rootfs-init.sh" "$root/init"
chmod +x "$root/init"
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -9) > "$out.tmp"
mv "$out.tmp" "$out"
