#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: build everything (reusing the cached kernels), boot QEMU once per
# boot profile, run the selftests there, and print their TAP followed by one
# line "N passed, N failed, N skipped".  Exit status 1 on any failure.
#
#   BOOTS="minikvm oracle vhe debug"   which boots (default: these four;
#                                      oracle-vhe, debug-vhe on request)
#   TESTS="el2_test,dev_test"          which test binaries (default: all;
#                                      on the oracle-vhe boot, el2_test)
#   FILTER="-t load_ping_unload_cycles" arguments for each test binary
#   DEBUG=1                            only the debug-kernel boot
#   FUZZ_CHECK_TIME=20                 seconds per minivmm fuzz target (0: none)
# Console logs are kept in build/logs/BOOT.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$MKVM_ROOT"

boots=${BOOTS:-minikvm oracle vhe debug}
[ -n "${DEBUG:-}" ] && boots=debug
"$MKVM_ROOT/scripts/deps.sh"

declare -A image initrd
for b in $boots; do
	v=release
	case "$b" in debug*) v=debug ;; esac
	[ -n "${image[$v]:-}" ] && continue
	read -r image[$v] initrd[$v] < <(mkvm_build_variant "$v")
done

# QEMU's root filesystem (scripts/qemu-rootfs.sh) for qemu_test: a disk of
# the minikvm, oracle and vhe boots, only when that test runs.
qemu_disk=
case ",${TESTS:-qemu_test}," in
*,qemu_test,*)
	case " $boots " in *" minikvm "*|*" oracle "*|*" vhe "*)
		qemu_rootfs=$("$MKVM_ROOT/scripts/qemu-rootfs.sh")
		qemu_disk="-drive file=$qemu_rootfs,if=none,format=raw,readonly=on,id=qemu-rootfs"
		qemu_disk+=" -device virtio-blk-device,drive=qemu-rootfs,serial=mkvm-qemu-rootfs" ;;
	esac ;;
esac

mkdir -p build/logs
pass=0 fail=0 skip=0 gaps=0

# minivmm's device models against their fuzzers, on this host, before any
# boot: one TAP line "ok N fuzz.TARGET" per target (tools/minivmm/fuzz).
fuzz_time=${FUZZ_CHECK_TIME:-20}
if [ "$fuzz_time" != 0 ]; then
	echo "# fuzz: minivmm device models, $fuzz_time s per target"
	set +e
	fuzz_out=$(make -s -C tools/minivmm/fuzz check FUZZ_CHECK_TIME="$fuzz_time" 2>&1)
	set -e
	grep -E '^(not )?ok |^# ' <<<"$fuzz_out" || true
	p=$(grep -c '^ok ' <<<"$fuzz_out" || true)
	f=$(grep -c '^not ok ' <<<"$fuzz_out" || true)
	if [ "$p$f" = 00 ]; then
		echo "not ok - fuzz targets did not build"
		tail -5 <<<"$fuzz_out" | sed 's/^/# /'
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f))
fi
for b in $boots; do
	v=release
	case "$b" in debug*) v=debug ;; esac
	log=build/logs/$b.log
	# Sized for the slowest boot under load: the release boots also run
	# the kernel's KVM selftests (scripts/kvm-selftests.list).
	timeout=2400
	echo "# boot: $b"
	start=$(date +%s)
	set +e
	qemu_args=${MKVM_QEMU_ARGS:-}
	case "$b" in minikvm|oracle|vhe) qemu_args="$qemu_args $qemu_disk" ;; esac
	# oracle-vhe (the kernel's KVM in VHE mode) only checks that minikvm
	# refuses to load there (Documentation/el2.rst, "Two host modes").
	tests=${TESTS:-}
	[ "$b" = oracle-vhe ] && [ -z "$tests" ] && tests=el2_test
	MKVM_TIMEOUT=$timeout MKVM_QEMU_ARGS=$qemu_args \
	MKVM_APPEND="mkvm.tests=$tests mkvm.filter=$(echo "${FILTER:-}" | tr ' ' ,)" \
		"$MKVM_ROOT/scripts/qemu.sh" "$b" "${image[$v]}" "${initrd[$v]}" check \
		"$log" > /dev/null
	rc=$?
	set -e
	# TAP lines from the guest, counted; a selftest whose plan ("1..N")
	# is not met (it crashed) counts the missing results as failures.
	read -r p f s g < <(sed -n '/^MKVM-BEGIN/,/^MKVM-END/p' "$log" | tr -d '\r' |
		tee >(grep -v '^MKVM-' >&2) | awk '
		function close_test() { if (plan > seen) { missing += plan - seen } }
		/^# selftest:/ { close_test(); plan = 0; seen = 0; next }
		/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; next }
		/^ok .*# SKIP/ { s++; seen++; next }
		/^not ok .*# TODO/ { g++; seen++; next }
		/^ok /         { p++; seen++; next }
		/^not ok /     { f++; seen++; next }
		END { close_test(); print p + 0, f + missing, s + 0, g + 0 }' 2>&1)
	if ! grep -q "^MKVM-END $b" "$log"; then
		echo "not ok - boot $b did not finish (exit $rc, see $log)"
		f=$((f + 1))
	fi
	echo "# boot $b: $p passed, $f failed, $s skipped, $g known gaps in $(( $(date +%s) - start )) s"
	# A known gap ("not ok ... # TODO", a KVM selftest minikvm does not
	# pass yet, listed in scripts/kvm-selftests.list) is neither a pass
	# nor a new failure: it is counted with the skipped.
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s + g)) gaps=$((gaps + g))
done
echo "# $gaps of the skipped are known gaps: tests of the kernel's KVM selftests minikvm does not pass yet"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
