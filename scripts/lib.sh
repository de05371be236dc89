# SPDX-License-Identifier: GPL-2.0
# Shared settings for minikvm's host-side scripts (sourced, not run).

MKVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Slow artifacts live outside the work tree, keyed by a hash of their inputs.
MKVM_CACHE=${MKVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/minikvm}
MKVM_CROSS=${CROSS_COMPILE:-aarch64-linux-gnu-}
[ "$(uname -m)" = aarch64 ] && MKVM_CROSS=${CROSS_COMPILE:-}
MKVM_JOBS=${JOBS:-$(nproc)}

mkvm_log() { printf '%s\n' "$*" >&2; }
mkvm_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Debian linux-source package version: part of every kernel cache key.
mkvm_kernel_src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		mkvm_die "linux-source-6.12 is not installed (run scripts/deps.sh)"
}

# Unpacked kernel source tree (shared by all kernel variants).
mkvm_kernel_src() {
	local ver dir
	ver=$(mkvm_kernel_src_version)
	dir=$MKVM_CACHE/src-$ver
	if [ ! -f "$dir/.unpacked" ]; then
		mkvm_log "kernel: unpacking linux-source $ver"
		rm -rf "$dir" && mkdir -p "$dir"
		tar -xf /usr/src/linux-source-6.12.tar.xz -C "$dir" --strip-components=1
		touch "$dir/.unpacked"
	fi
	echo "$dir"
}

# The kernel's UAPI headers (linux/kvm.h of 6.12) for userspace builds.
mkvm_kernel_headers() {
	local ver dir src
	ver=$(mkvm_kernel_src_version)
	dir=$MKVM_CACHE/headers-$ver
	if [ ! -f "$dir/.installed" ]; then
		src=$(mkvm_kernel_src)
		rm -rf "$dir" "$dir.o" && mkdir -p "$dir"
		make -s -C "$src" O="$dir.o" ARCH=arm64 INSTALL_HDR_PATH="$dir" \
			headers_install >&2
		rm -rf "$dir.o"
		touch "$dir/.installed"
	fi
	echo "$dir"
}
