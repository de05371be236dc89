#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Pack a test initramfs:  scripts/initramfs.sh OUT.cpio.gz MODULE [FILE...]
# It holds busybox, the module as /lib/minikvm.ko, the in-guest runner
# scripts/guest-init.sh as /init, and each FILE (selftests, minivmm) in /bin;
# a FILE written SRC=/PATH goes to /PATH instead (the guest's kernel and
# rootfs: IMAGE=/guest/Image).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1 module=$2
shift 2
busybox=$("$MKVM_ROOT/scripts/busybox.sh")
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib,etc}
cp "$busybox" "$root/bin/busybox"
cp "$MKVM_ROOT/scripts/guest-init.sh" "$root/init"
chmod +x "$root/init"
cp "$module" "$root/lib/minikvm.ko"
for f in "$@"; do
	case "$f" in
	*=/*)	mkdir -p "$root$(dirname "${f#*=}")"
		cp "${f%%=*}" "$root${f#*=}" ;;
	*)	cp "$f" "$root/bin/" ;;
	esac
done
mkdir -p "$(dirname "$out")"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
