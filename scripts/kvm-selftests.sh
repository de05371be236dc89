#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the kernel's own KVM selftests for arm64, static, from the
# test kernel's source (linux-source-6.12), and print the directory that
# holds the binaries.  Cached under $MKVM_CACHE keyed by the source version,
# this script and the compiler, like the test kernels.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

key=$( { mkvm_kernel_src_version; cat "$0"; "${MKVM_CROSS}gcc" --version | head -1; } |
	sha256sum | cut -c1-16)
out=$MKVM_CACHE/kvm-selftests-$key
if [ -f "$out/.built" ]; then
	echo "$out/bin"
	exit 0
fi

src=$(mkvm_kernel_src)
hdr=$(mkvm_kernel_headers)
rm -rf "$out" && mkdir -p "$out/tree/arch/arm64" "$out/tree/usr" "$out/bin"
# The selftests' Makefile generates headers inside the source tree: build in
# a private copy of the parts it reads, never in the shared unpacked source.
cp -a "$src/tools" "$src/scripts" "$src/Makefile" "$out/tree/"
cp -a "$src/arch/arm64/tools" "$out/tree/arch/arm64/"
start=$(date +%s)
mkvm_log "kvm selftests: building the kernel's arm64 KVM selftests in $out"
mkvm_make -C "$out/tree/tools/testing/selftests/kvm" ARCH=arm64 \
	CROSS_COMPILE="$MKVM_CROSS" OUTPUT="$out/obj" \
	KHDR_INCLUDES="-isystem $hdr/include" EXTRA_CFLAGS=-static \
	LDFLAGS=-static -j"$MKVM_JOBS" > "$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log" >&2; mkvm_die "kvm selftests build failed"; }
# Every arm64 test program the Makefile lists, flattened: aarch64/vgic_irq
# becomes bin/vgic_irq.
progs=$(mkvm_make -s -C "$out/tree/tools/testing/selftests/kvm" ARCH=arm64 \
	CROSS_COMPILE="$MKVM_CROSS" OUTPUT="$out/obj" \
	KHDR_INCLUDES="-isystem $hdr/include" -f Makefile -f - print-progs <<'MK'
print-progs:
	@echo $(TEST_GEN_PROGS_aarch64)
MK
)
for p in $progs; do
	cp "$out/obj/$p" "$out/bin/$(basename "$p")"
done
rm -rf "$out/tree" "$out/obj"
touch "$out/.built"
mkvm_log "kvm selftests: $(echo "$progs" | wc -w) programs built in $(( $(date +%s) - start )) s"
echo "$out/bin"
