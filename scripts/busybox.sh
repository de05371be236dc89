#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the path of a static arm64 busybox from Debian's busybox-static:arm64,
# downloaded (not installed) once into the cache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=$MKVM_CACHE/busybox-arm64
if [ ! -x "$dir/bin/busybox" ]; then
	rm -rf "$dir" && mkdir -p "$dir/deb"
	(cd "$dir/deb" && { apt-get download busybox-static:arm64 >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get download busybox-static:arm64; }; })
	dpkg -x "$dir"/deb/busybox-static_*_arm64.deb "$dir/root"
	mkdir -p "$dir/bin"
	cp "$dir/root/bin/busybox" "$dir/bin/busybox"
fi
echo "$dir/bin/busybox"
