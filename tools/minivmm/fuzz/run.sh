#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the fuzz targets built in build/fuzz, each from its seed corpus
# (tools/minivmm/fuzz/corpus/TARGET, read-only) plus a scratch corpus in
# build/fuzz/corpus-TARGET that keeps what it finds between runs.
#
#   run.sh SECONDS TARGET...       libFuzzer's own output, a summary per target
#   run.sh -t SECONDS TARGET...    TAP lines "ok N fuzz.TARGET # ..." only
#
# Crashing inputs are kept as build/fuzz/crash-TARGET-*; reproduce with
# build/fuzz/fuzz_TARGET FILE.  Exit status 1 if any target crashed.
set -uo pipefail
cd "$(dirname "$0")"
tap=
if [ "${1:-}" = -t ]; then
	tap=1
	shift
fi
secs=$1
shift
out=../../../build/fuzz
n=0 failed=0
for t in "$@" race_desc_len blk_segments; do
	n=$((n + 1))
	log=$out/log-$t.txt
	if [ "$t" = blk_segments ]; then
		"$out/blk_segments" > "$log" 2>&1
		rc=$?
		detail=$(grep -c ' match$' "$log")" cases match"
	elif [ "$t" = race_desc_len ]; then
		rsecs=$(( secs < 5 ? secs : 5 ))
		"$out/race_desc_len" "$rsecs" > "$log" 2>&1
		rc=$?
		detail=$(grep -m1 '^race_desc_len:' "$log" | sed 's/^race_desc_len: //')
	else
		mkdir -p "$out/corpus-$t"
		"$out/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
			-close_fd_mask=3 -print_final_stats=1 \
			-artifact_prefix="$out/crash-$t-" \
			"$out/corpus-$t" "corpus/$t" > "$log" 2>&1
		rc=$?
		execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
		detail="${execs:-0} executions, ${cov:-cov: ?}"
	fi
	[ -z "$tap" ] && cat "$log"
	if [ "$rc" = 0 ]; then
		echo "ok $n fuzz.$t # $detail"
	else
		failed=1
		echo "not ok $n fuzz.$t # exit $rc, see $log"
		[ -n "$tap" ] && grep -m5 -E 'ERROR|SUMMARY|runtime error' "$log" | sed 's/^/# /'
	fi
done
exit $failed
