#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make mutants: break the module (or minivmm) on purpose, one semantic
# mutation at a time, and check that the tests meant to notice do.
#
# Each line of scripts/mutants.list (fields separated by " @@ "):
#
#   ID @@ FILE @@ SEARCH @@ REPLACE @@ TESTS @@ FILTER @@ CLASS @@ WHY
#
#   SEARCH    must occur exactly once in FILE (\n and \t are escapes); it is
#             replaced by REPLACE, or removed if REPLACE is "(delete)"
#   TESTS     test binaries for make check TESTS= (comma-separated), run
#             on the minikvm boot; "debug:" before them runs them on the
#             debug boot instead (KASAN: a bug only a sanitizer sees)
#   FILTER    make check FILTER= (e.g. "-t case -t other"), or "-"
#   CLASS     must:           a survivor fails make mutants
#             tcg-invisible:  QEMU (TCG) cannot show the bug (no caches,
#                             its TLB flushed on every VTTBR_EL2 write, a
#                             trap it does not implement); WHY says why
#             equivalent:     no behaviour changes (another bit covers it)
#             gap:            a test should catch it and none does yet
#
# Every mutant is applied to one scratch copy of the working tree (the
# file restored after each), built, and run with make check BOOTS=minikvm
# TESTS=... FILTER=...; killed means that run failed (a test, the kernel
# log check, a crash or a hang), survived that it passed.  A baseline run
# of the unmutated copy with every listed test comes first (MUTANTS_BASELINE=0
# skips it): a failing baseline makes every kill meaningless.
#
#   MUTANTS=id1,id2      run only these
#   MUTANTS_TIMEOUT=600  seconds per mutant before it counts as a hang (killed)
#   MUTANTS_DRY=1        only check that every search string is there once
#   MUTANTS_KEEP=1       keep the scratch copy (its logs are in
#                        build/mutants/ID.log either way)
#
# Prints a table; exits 1 if a "must" mutant survived or a search string is
# stale, 0 otherwise.  Not part of make check: one boot per mutant.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

list=${MUTANTS_LIST:-$MKVM_ROOT/scripts/mutants.list}
only=${MUTANTS:-}
limit=${MUTANTS_TIMEOUT:-600}
logdir=$MKVM_ROOT/build/mutants
mkdir -p "$logdir"

scratch=$(mktemp -d /tmp/mkvm-mutants.XXXXXX)
cleanup() { [ -n "${MUTANTS_KEEP:-}" ] || rm -rf "$scratch"; }
trap cleanup EXIT

# The working tree as it is (tracked and untracked, not ignored files).
(cd "$MKVM_ROOT" && git ls-files -z -co --exclude-standard |
	tar --null -T - -cf -) | tar -C "$scratch" -xf -

# Run make check in the scratch copy in its own process group, so that a
# hang is ended with everything it started (QEMU included).
run_check() {	# TESTS FILTER LOG -> prints "P F S" or "hang" or "error"
	local tests=$1 filter=$2 log=$3 pid waited=0 line boot=minikvm
	[ "$filter" = - ] && filter=
	case "$tests" in debug:*) boot=debug tests=${tests#debug:} ;; esac
	# FUZZ_CHECK_TIME=0: the host-side minivmm fuzzers (100 s a run) are
	# not what any mutant is listed to be caught by.
	setsid env BOOTS=$boot TESTS="$tests" FILTER="$filter" \
		FUZZ_CHECK_TIME=0 make -C "$scratch" check > "$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$waited" -ge "$limit" ]; then
			kill -TERM -- "-$pid" 2>/dev/null
			sleep 5
			kill -KILL -- "-$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			echo hang
			return
		fi
		sleep 5
		waited=$((waited + 5))
	done
	wait "$pid"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo error
	else
		echo "$line" | awk '{ print $1, $3, $5 }'
	fi
}

# Replace the one occurrence of SEARCH in FILE: 0, or 1 if not exactly one.
apply() {	# FILE SEARCH REPLACE
	python3 - "$scratch/$1" "$2" "$3" <<'EOF'
import sys
path, search, repl = sys.argv[1:4]
unesc = lambda s: s.replace('\\n', '\n').replace('\\t', '\t')
search, repl = unesc(search), unesc(repl)
if repl == '(delete)':
    repl = ''
text = open(path).read()
if text.count(search) != 1:
    sys.exit(1)
open(path, 'w').write(text.replace(search, repl))
EOF
}

declare -a ids files searches repls tests filters classes whys
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	IFS=$'\x1f' read -r id file search repl t f class why < <(
		printf '%s\n' "$line" | sed 's/ @@ /\x1f/g')
	if [ -n "$only" ] && ! [[ ",$only," == *",$id,"* ]]; then
		continue
	fi
	ids+=("$id") files+=("$file") searches+=("$search") repls+=("$repl")
	tests+=("$t") filters+=("$f") classes+=("$class") whys+=("$why")
done < "$list"

n=${#ids[@]}
[ "$n" -gt 0 ] || { echo "no mutants selected"; exit 1; }

if [ -n "${MUTANTS_DRY:-}" ]; then
	for ((i = 0; i < n; i++)); do
		cp "$scratch/${files[i]}" "$scratch/${files[i]}.orig"
		apply "${files[i]}" "${searches[i]}" "${repls[i]}" ||
			{ echo "stale: ${ids[i]}"; status=1; }
		mv "$scratch/${files[i]}.orig" "$scratch/${files[i]}"
	done
	echo "$n mutants checked"
	exit ${status:-0}
fi

if [ "${MUTANTS_BASELINE:-1}" != 0 ]; then
	all=$(printf '%s\n' "${tests[@]#debug:}" | tr , '\n' | sort -u |
	      paste -sd,)
	echo "# baseline: $all"
	r=$(run_check "$all" - "$logdir/baseline.log")
	echo "# baseline: $r (passed failed skipped)"
	case "$r" in
	hang|error|*' '[1-9]*' '*)
		echo "baseline fails: see $logdir/baseline.log"; exit 1 ;;
	esac
fi

declare -a results
status=0
for ((i = 0; i < n; i++)); do
	file=${files[i]}
	cp "$scratch/$file" "$scratch/$file.orig"
	if ! apply "$file" "${searches[i]}" "${repls[i]}"; then
		results[i]="stale"
		status=1
	else
		r=$(run_check "${tests[i]}" "${filters[i]}" "$logdir/${ids[i]}.log")
		case "$r" in
		hang)	results[i]="killed (hang)" ;;
		error)	results[i]="error (build)" ;;
		*' '0' '*) results[i]="survived" ;;
		*)	results[i]="killed" ;;
		esac
	fi
	mv "$scratch/$file.orig" "$scratch/$file"
	printf '# %-22s %-14s %s\n' "${ids[i]}" "${results[i]}" "${classes[i]}"
	if [ "${results[i]}" = survived ] && [ "${classes[i]}" = must ]; then
		status=1
	fi
	[ "${results[i]}" = "error (build)" ] && status=1
done

# What killed each mutant: the failing tests, or the boot.
killers() {	# LOG
	local k
	k=$(grep -E '^not ok [0-9]' "$1" 2>/dev/null |
		sed -E 's/^not ok [0-9]+ //; s/ .*//' | paste -sd' ')
	grep -q '^not ok - boot .* did not finish' "$1" 2>/dev/null && k="$k (boot died)"
	grep -q '^not ok - .*kernel log' "$1" 2>/dev/null && k="$k (kernel log)"
	echo "${k# }"
}

echo
printf '%-20s %-14s %-14s %s\n' mutant result class "killed by / why not"
for ((i = 0; i < n; i++)); do
	case "${results[i]}" in
	killed*) why=$(killers "$logdir/${ids[i]}.log") ;;
	*)	 why=${whys[i]} ;;
	esac
	printf '%-20s %-14s %-14s %s\n' "${ids[i]}" "${results[i]}" \
		"${classes[i]}" "$why"
done
killed=$(printf '%s\n' "${results[@]}" | grep -c '^killed')
echo "$killed of $n killed"
exit $status
