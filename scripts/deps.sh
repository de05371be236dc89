#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what minikvm needs on a Debian 12 x86_64 (or arm64) host: the arm64
# cross compiler, QEMU, Debian's linux-source-6.12, the kernel's build tools and
# the arm64 userland pieces (busybox-static, libfdt) that go into the test
# initramfs, and clang with its sanitizer and libFuzzer runtimes for the
# host-side fuzzers of minivmm's device models.  Idempotent: does nothing when
# everything is already there.
set -euo pipefail

host_pkgs=(make gcc bc bison flex libssl-dev libelf-dev cpio xz-utils kmod
	   gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
	   linux-source-6.12 dwarves perl python3 file rsync e2fsprogs
	   clang libclang-rt-14-dev)
arm64_pkgs=(libfdt-dev:arm64 libc6-dev:arm64)

missing=()
for p in "${host_pkgs[@]}" "${arm64_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ "$(id -u)" = 0 ] || SUDO=sudo
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	${SUDO:-} dpkg --add-architecture arm64
	updated=
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	${SUDO:-} apt-get update -qq
	${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
