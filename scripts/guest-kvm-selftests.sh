#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test boot: run the kernel's own KVM selftests (/kvm-selftests)
# as /kvm-selftests/list (scripts/kvm-selftests.list) says, each in its own
# time limit, and print one TAP line per test and boot:
#   ok N kvm_selftests.NAME
# The selftests open /dev/kvm; on the minikvm boot that name is given to
# /dev/minikvm.  What each boot must give (pass, skip, a known gap) is in
# the list; a known gap that fails is "not ok ... # TODO REASON".
#   guest-kvm-selftests.sh [NAME...]   only these tests
dir=/kvm-selftests
only=" $* "

case "$MKVM_BOOT" in
minikvm|vhe)	# vhe: minikvm in VHE mode, the MINIKVM column all the same
	[ -e /dev/minikvm ] || insmod /lib/minikvm.ko || exit 1
	ln -sf /dev/minikvm /dev/kvm ;;
oracle)	;;
*)	echo "1..0 # SKIP the kernel's KVM selftests run on the minikvm, vhe and oracle boots"
	exit 0 ;;
esac

trim() { echo "$1" | sed 's/^ *//; s/ *$//'; }

grep -v '^\(#\|$\)' "$dir/list" > /tmp/kst.list
echo "1..$(wc -l < /tmp/kst.list)"
i=0
while IFS='|' read -r name limit oracle minikvm args; do
	i=$((i + 1))
	name=$(trim "$name") limit=$(trim "$limit")
	t="kvm_selftests.$name"
	if [ "$MKVM_BOOT" = oracle ]; then want=$(trim "$oracle"); else want=$(trim "$minikvm"); fi
	kind=${want%%:*} why=$(trim "${want#*:}")
	case "$only" in
	"  "|*" $name "*) ;;
	*) echo "ok $i $t # SKIP not selected"; continue ;;
	esac
	if [ "$kind" = off ]; then
		echo "ok $i $t # SKIP $why"
		continue
	fi
	start=$(date +%s)
	# The test's own output is diagnostics; its exit status is the verdict
	# (busybox sh has no PIPESTATUS: the status goes through a file).
	{ timeout -s KILL "$limit" "$dir/$name" $args < /dev/null 2>&1
	  echo $? > /tmp/kst.rc; } | sed 's/^/# /' | tail -n 200 > /tmp/kst.out
	rc=$(cat /tmp/kst.rc)
	[ "$rc" = 0 ] || cat /tmp/kst.out
	echo "# $t: exit $rc after $(( $(date +%s) - start )) s (limit $limit s)"
	[ "$rc" = 137 ] && echo "# $t: killed at its time limit"
	last=$(grep -v '^# *$' /tmp/kst.out | tail -1 | cut -c3-)
	case "$kind:$rc" in
	gap:0)	echo "ok $i $t # XPASS listed as a gap ($why): make it pass in scripts/kvm-selftests.list" ;;
	gap:*)	echo "not ok $i $t # TODO $why" ;;
	*:0)	echo "ok $i $t" ;;
	skip:4)	echo "ok $i $t # SKIP $why" ;;
	broken:*) echo "ok $i $t # SKIP $why (exit $rc)" ;;
	*)	echo "not ok $i $t ($last)" ;;
	esac
done < /tmp/kst.list
