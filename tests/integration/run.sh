#!/bin/bash
# tests/integration/run.sh [PATTERN...]: runs every tests/integration/t-*.sh
# (or those whose name contains one of the PATTERNs) against $LABO (default:
# ./labo at the repo root), one at a time, as root.
#
# Prints "ok NAME (secs)" or "FAIL NAME (secs)" followed by the test's output,
# then checks that no lab made by the tests is left on the machine, and ends
# with a line "N passed, N failed". Exits 1 if anything failed.
#
# Without root, or where network namespaces cannot be made, this FAILS: under
# CI=true or LABO_TEST_REQUIRE_PRIV=1 that is a CI failure, never a skip.
# Each test is bounded: 180 s, or its own "# timeout: SECONDS" line, or
# LABO_TEST_TIMEOUT when set.
set -u
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
HERE=tests/integration
export LABO=${LABO:-$REPO/labo}
case $LABO in /*) ;; *) LABO=$REPO/$LABO ;; esac
export LC_ALL=C

unprivileged() {
	echo "run.sh: $*" >&2
	if [ "${CI:-}" = true ] || [ "${LABO_TEST_REQUIRE_PRIV:-}" = 1 ]; then
		echo "run.sh: CI=true or LABO_TEST_REQUIRE_PRIV=1: missing privileges are a FAILURE, not a skip" >&2
	else
		echo "run.sh: the integration tests need root and network namespaces (sudo make integration)" >&2
	fi
	echo "0 passed, 1 failed"
	exit 1
}

[ "$(id -u)" -eq 0 ] || unprivileged "not running as root (uid $(id -u))"
unshare --net --mount true 2>/dev/null ||
	unprivileged "cannot create network and mount namespaces here (unshare --net --mount failed)"
if [ ! -x "$LABO" ]; then
	echo "run.sh: LABO=$LABO is not an executable: build it first (make labo build/asan/labo)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

tests=()
for t in "$HERE"/t-*.sh; do
	name=$(basename "$t" .sh)
	if [ $# -gt 0 ]; then
		match=
		for p in "$@"; do
			case $name in *"$p"*) match=1 ;; esac
		done
		[ -n "$match" ] || continue
	fi
	tests+=("$t")
done
if [ ${#tests[@]} -eq 0 ]; then
	echo "run.sh: no test matches: $*" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

. "$HERE/owner.sh"

# One run at a time on a machine: the tests' labs use the same documentation
# subnets, and two runs (two worktrees, CI and a developer) would refuse each
# other's. A second run waits for the first.
exec 8>"${LABO_TEST_LOCK:-/run/lock/labo-integration.lock}" || exit 1
if ! flock -n 8; then
	echo "# waiting for another integration run to end (${LABO_TEST_LOCK:-/run/lock/labo-integration.lock})"
	flock -w 3600 8 || { echo "run.sh: another run held the lock for an hour"; echo "0 passed, 1 failed"; exit 1; }
fi

# A run that was killed (a machine restarted under it, a CI job cancelled)
# leaves its labs up, and their subnets make every later `up` of the same
# subnets refuse. Its labs are the tests', and its owner is gone: remove them
# first, and say so. A run still alive (another terminal) is left alone.
reap_stale() {
	local d lab file n=0
	for d in "${TMPDIR:-/tmp}"/labo-it-run.* "${TMPDIR:-/tmp}"/labo-it.*; do
		[ -d "$d" ] && ! owner_alive "$d" || continue
		if [ -f "$d/labs" ]; then
			while read -r lab; do
				[ -n "$lab" ] || continue
				"$LABO" down -q "$lab" >/dev/null 2>&1 && echo "# removed lab $lab, left by a test run that did not end ($d)"
			done <"$d/labs"
		fi
		rm -rf "$d"
		n=$((n + 1))
	done
	# labs made from a test's directory that is gone (its run's list lost)
	"$LABO" ls 2>/dev/null | awk 'NR > 1 { print $1, $NF }' | while read -r lab file; do
		case $file in "${TMPDIR:-/tmp}"/labo-it.*/*) ;; *) continue ;; esac
		[ -d "$(dirname "$file")" ] && continue
		"$LABO" down -q "$lab" >/dev/null 2>&1 && echo "# removed lab $lab, left by a test that did not end ($file)"
	done
	[ "$n" -eq 0 ] || echo "# removed $n directories of test runs that did not end"
}
reap_stale

work=$(mktemp -d /tmp/labo-it-run.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
owner_mark "$work" $$
export LABO_TEST_LABS=$work/labs
: >"$LABO_TEST_LABS"

echo "# labo integration tests: LABO=$LABO"
passed=0 failed=0
t_all=$EPOCHREALTIME
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	t0=$EPOCHREALTIME
	# a test may say it needs longer: "# timeout: SECONDS"
	limit=$(sed -n 's/^# timeout: \([0-9][0-9]*\)$/\1/p' "$t" | head -n 1)
	limit=${LABO_TEST_TIMEOUT:-${limit:-180}}
	timeout -k 15 "$limit" bash "$t" >"$work/log" 2>&1 </dev/null 8>&-
	rc=$?
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	if [ "$rc" -eq 0 ]; then
		echo "ok $name (${secs}s)"
		passed=$((passed + 1))
	else
		why=""
		[ "$rc" -eq 124 ] && why=", timed out after ${limit}s"
		echo "FAIL $name (${secs}s, exit status $rc$why)"
		sed 's/^/    /' "$work/log"
		failed=$((failed + 1))
	fi
done

# Nothing the tests made may be left, whatever the tests themselves checked.
left=""
while read -r lab; do
	[ -n "$lab" ] || continue
	x=$(ls -A /run/netns 2>/dev/null | grep -E "^labo\\.${lab}(\\..+)?\$")
	[ -e "${LABO_RUN_DIR:-/run/labo}/$lab" ] && x+=" ${LABO_RUN_DIR:-/run/labo}/$lab"
	x+=$(grep -lx "labo:$lab" /sys/class/net/*/ifalias 2>/dev/null | tr '\n' ' ')
	if [ -n "${x// /}" ]; then
		left+="lab $lab: $(echo $x)"$'\n'
		"$LABO" down -q "$lab" >/dev/null 2>&1
	fi
done <"$LABO_TEST_LABS"
if [ -n "$left" ]; then
	echo "FAIL leftovers (labs of the tests still on the machine; now removed)"
	printf '%s' "$left" | sed 's/^/    /'
	failed=$((failed + 1))
fi

total=$(awk -v a="$t_all" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "# ${total}s in all"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
