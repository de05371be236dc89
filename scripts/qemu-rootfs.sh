#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the root filesystem image that runs QEMU inside the test
# boot (issue 10), and print its path.
#
# It holds Debian's arm64 qemu-system-arm (qemu-system-aarch64), qemu-utils
# (qemu-img), strace and every arm64 package they depend on, recursively,
# unpacked with dpkg-deb (never installed), in an ext2 image that
# scripts/check.sh attaches to the minikvm and oracle boots as a read-only
# virtio-blk disk whose serial is "mkvm-qemu-rootfs".  Nothing in it is
# chrooted into: /mkvm/NAME runs usr/bin/NAME of the image through the
# image's own dynamic loader and libraries, wherever the image is mounted.
#
# Cached under $MKVM_CACHE, keyed by the resolved package versions and this
# script, like the test kernels: a Debian point release means a new image.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

roots=(qemu-system-arm qemu-utils strace)
# Their Depends that a -kernel boot with -nodefaults never loads:
# qemu-system-common holds the UI, audio and USB modules QEMU dlopen()s
# (and pulls spice, gstreamer and Mesa), qemu-system-data the firmware
# and keymaps.  Whatever the binaries link is checked below, by soname.
skip=" qemu-system-common qemu-system-data "
arch=arm64
depends_opts=(--no-recommends --no-suggests --no-conflicts --no-breaks
	      --no-replaces --no-enhances)

# A fresh machine: deps.sh added the architecture; the index may be older.
if ! dpkg --print-foreign-architectures | grep -qx $arch &&
   [ "$(dpkg --print-architecture)" != $arch ]; then
	mkvm_die "no $arch packages: run scripts/deps.sh"
fi

# Print "PKG:arm64" for each package the given ones Depend or Pre-Depend
# on: of alternatives the first, of a virtual package its first provider.
# Packages of another architecture (Multi-Arch: foreign, Architecture:
# all) are scripts and data that the binaries do not need: not followed.
direct_depends() {
	apt-cache depends "${depends_opts[@]}" "$@" | awk -v arch=":$arch" '
	function take(name) {
		if (substr(name, length(name) - length(arch) + 1) == arch)
			print name
	}
	# " |Depends: A" and then "  Depends: B" is "A | B".
	/^ [ |](Pre)?Depends: / {
		first = !inalt
		inalt = /^ \|/
		pending = 0
		if (first && $2 ~ /^</)
			pending = 1
		else if (first)
			take($2)
		next
	}
	/^    / { if (pending) take($1); pending = 0; next }
	{ inalt = 0; pending = 0 }'
}

# The package set, resolved again only when apt's index changed (each
# apt-cache call reads the whole index: ten seconds for the walk).
resolve() {
	if ! apt-cache show "qemu-system-arm:$arch" >/dev/null 2>&1; then
		mkvm_log "qemu rootfs: updating the package index"
		apt-get update -qq
	fi
	declare -A seen=()
	queue=()
	for p in "${roots[@]}"; do
		seen[$p:$arch]=1
		queue+=("$p:$arch")
	done
	while [ ${#queue[@]} -gt 0 ]; do
		next=()
		while read -r d; do
			[ -n "${seen[$d]:-}" ] && continue
			seen[$d]=1
			case "$skip" in *" ${d%:*} "*) continue ;; esac
			next+=("$d")
		done < <(direct_depends "${queue[@]}" | sort -u)
		queue=("${next[@]+"${next[@]}"}")
	done

	# One apt-cache call for all: each call reads the whole index (a second).
	want=()
	for d in "${!seen[@]}"; do
		case "$skip" in *" ${d%:*} "*) continue ;; esac
		want+=("$d")
	done
	mapfile -t pkgs < <(apt-cache policy "${want[@]}" | awk '
		/^[^ ].*:$/	{ p = substr($0, 1, length($0) - 1) }
		/Candidate:/	{ if ($2 != "(none)") print p "=" $2 }')
	[ ${#pkgs[@]} = ${#want[@]} ] ||
		mkvm_die "no candidate version for some of: ${want[*]} (apt-get update?)"
	mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort)
	printf '%s\n' "${pkgs[@]}"
}
index_key=$( { cat "$0"; ls -l --time-style=+%s /var/lib/apt/lists/; } |
	sha256sum | cut -c1-16)
resolved=$MKVM_CACHE/qemu-rootfs-packages-$index_key
if [ ! -s "$resolved" ]; then
	mkdir -p "$MKVM_CACHE"
	resolve > "$resolved.tmp"
	mv "$resolved.tmp" "$resolved"
fi
mapfile -t pkgs < "$resolved"

key=$( { printf '%s\n' "${pkgs[@]}"; cat "$0"; } | sha256sum | cut -c1-16)
out=$MKVM_CACHE/qemu-rootfs-$key
if [ -f "$out/.built" ]; then
	echo "$out/rootfs.ext2"
	exit 0
fi

start=$(date +%s)
mkvm_log "qemu rootfs: ${#pkgs[@]} arm64 packages into $out"
rm -rf "$out" && mkdir -p "$out/deb" "$out/root"
(cd "$out/deb" && apt-get download -q "${pkgs[@]}" >"$out/download.log" 2>&1) ||
	{ tail -5 "$out/download.log" >&2; mkvm_die "apt-get download failed"; }
for deb in "$out"/deb/*.deb; do
	dpkg-deb -x "$deb" "$out/root"
done
root=$out/root
# What the suite does not run: a third of the size.
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bug}
rm -f "$root"/usr/bin/{qemu-system-arm,qemu-io,qemu-nbd,qemu-storage-daemon}
printf '%s\n' "${pkgs[@]}" > "$root/packages"

# The runners: each binary through the image's loader and libraries, so
# that nothing of the test initramfs (static busybox, no libc) is needed.
bins=(qemu-system-aarch64 qemu-img strace)
mkdir -p "$root/mkvm"
for b in "${bins[@]}"; do
	[ -x "$root/usr/bin/$b" ] || mkvm_die "$b is not in the packages"
	cat > "$root/mkvm/$b" <<'EOF'
#!/bin/sh
# Run usr/bin/NAME of this image with the image's own loader and libraries.
r=$(cd "$(dirname "$0")/.." && pwd)
exec "$r/lib/ld-linux-aarch64.so.1" \
	--library-path "$r/lib/aarch64-linux-gnu:$r/usr/lib/aarch64-linux-gnu" \
	"$r/usr/bin/${0##*/}" "$@"
EOF
	chmod +x "$root/mkvm/$b"
done
[ -e "$root/lib/ld-linux-aarch64.so.1" ] || mkvm_die "no arm64 dynamic loader"

# Every library the binaries need, and the libraries those need, must be
# in the image: a missing one would only show inside the test boot.
libdirs=("$root/lib/aarch64-linux-gnu" "$root/usr/lib/aarch64-linux-gnu")
declare -A have=()
check=()
for b in "${bins[@]}"; do check+=("$root/usr/bin/$b"); done
while [ ${#check[@]} -gt 0 ]; do
	f=${check[0]}
	check=("${check[@]:1}")
	for so in $("${MKVM_CROSS}readelf" -d "$f" |
		    sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
		[ -n "${have[$so]:-}" ] && continue
		have[$so]=1
		found=
		for d in "${libdirs[@]}"; do
			if [ -e "$d/$so" ]; then
				found=$(readlink -f "$d/$so")
				break
			fi
		done
		[ -n "$found" ] || mkvm_die "${f#"$root"/} needs $so, which no package gave"
		check+=("$found")
	done
done

# ext2: the test kernel has no ext4.  A quarter more room than the files
# take, for ext2's metadata; the image is read-only in the guest.
kib=$(du -sk "$root" | cut -f1)
rm -f "$out/rootfs.ext2"
mke2fs -q -t ext2 -L mkvm-qemu -E root_owner=0:0 -d "$root" \
	"$out/rootfs.ext2" $((kib * 5 / 4 + 4096))k >&2 ||
	mkvm_die "mke2fs failed"
rm -rf "$out/deb" "$root"
touch "$out/.built"
mkvm_log "qemu rootfs: $((kib / 1024)) MiB built in $(( $(date +%s) - start )) s"
echo "$out/rootfs.ext2"
