# SPDX-License-Identifier: GPL-2.0
# Shared settings for minikvm's host-side scripts (sourced, not run).

MKVM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Slow artifacts live outside the work tree, keyed by a hash of their inputs.
mkvm_home=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
MKVM_CACHE=${MKVM_CACHE:-${XDG_CACHE_HOME:-${mkvm_home:-/var/cache}/.cache}/minikvm}
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

# make without the overrides of the make that runs us: `make check
# TESTS=a,b` must not reach the selftests' Makefile as TESTS=a,b.
mkvm_make() { env -u MAKEFLAGS -u MAKEOVERRIDES -u MFLAGS make "$@"; }

# Build the module for kernel VARIANT (release|debug) in its own copy of the
# tree, minivmm and the selftests, and pack them into an initramfs, with the
# Linux guest minivmm boots: the release Image and a busybox rootfs, in
# /guest.  Prints "IMAGE INITRD".
mkvm_build_variant() {
	local variant=$1 flag= kdir dir guest_kdir kst= f
	local -a kst_files=()
	[ "$variant" = debug ] && flag=--debug
	# The kernel's own KVM selftests run on the release boots only.
	if [ "$variant" = release ]; then
		kst=$("$MKVM_ROOT/scripts/kvm-selftests.sh")
		for f in "$kst"/*; do kst_files+=("$f=/kvm-selftests/${f##*/}"); done
		kst_files+=("$MKVM_ROOT/scripts/kvm-selftests.list=/kvm-selftests/list")
	fi
	kdir=$("$MKVM_ROOT/scripts/test-kernel.sh" $flag)
	guest_kdir=$("$MKVM_ROOT/scripts/test-kernel.sh")
	dir=$MKVM_ROOT/build/module-$variant
	mkdir -p "$dir"
	(cd "$MKVM_ROOT" && cp -r Kbuild Makefile arch virt uapi "$dir/")
	mkvm_make -s -C "$kdir" M="$dir" ARCH=arm64 CROSS_COMPILE="$MKVM_CROSS" \
		MKVM_WERROR=y modules >&2
	mkvm_make -s -C "$MKVM_ROOT/selftests" WERROR=1 CROSS_COMPILE="$MKVM_CROSS" >&2
	# After the selftests: the guest's rootfs takes their guest programs.
	"$MKVM_ROOT/scripts/guest-rootfs.sh" "$MKVM_ROOT/build/guest-rootfs.cpio.gz"
	mkvm_make -s -C "$MKVM_ROOT/tools/minivmm" WERROR=1 CROSS_COMPILE="$MKVM_CROSS" >&2
	mkvm_make -s -C "$MKVM_ROOT/tools/bench" WERROR=1 CROSS_COMPILE="$MKVM_CROSS" >&2
	"$MKVM_ROOT/scripts/initramfs.sh" "$MKVM_ROOT/build/initramfs-$variant.cpio.gz" \
		"$dir/minikvm.ko" "$MKVM_ROOT"/selftests/*_test \
		"$MKVM_ROOT/tools/minivmm/minivmm" "$MKVM_ROOT"/tools/minivmm/payloads/*.bin \
		"$MKVM_ROOT/scripts/guest-demo.sh" "$MKVM_ROOT/scripts/guest-bench.sh" \
		"$MKVM_ROOT/scripts/guest-kvm-selftests.sh" "${kst_files[@]}" \
		"$MKVM_ROOT/tools/bench/boot_time" "$MKVM_ROOT/tools/bench/microbench" \
		"$MKVM_ROOT/tools/bench/net_peer" \
		"$guest_kdir/arch/arm64/boot/Image=/guest/Image" \
		"$MKVM_ROOT/build/guest-rootfs.cpio.gz=/guest/rootfs.cpio.gz"
	echo "$kdir/arch/arm64/boot/Image $MKVM_ROOT/build/initramfs-$variant.cpio.gz"
}
