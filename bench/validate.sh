#!/bin/bash
# Benchmark of `labo validate` (issue 9): lab files of 1,000 to 300,000
# hosts (bench/gen-lab.sh), the issue's 10 MB file of 300,000 compact
# hosts, and two hostile files: 100,000 '[' and 2,000 hosts aliasing one
# list of 2,000 links. Each is validated RUNS times; the table gives the
# wall time (min / median / max) and the peak resident size (median).
# No privilege needed; nothing is made.
#
#   bench/validate.sh [RUNS]          this tree's ./labo
#   BEFORE=path/to/old/labo bench/validate.sh [RUNS]
#                                     the same inputs through an older
#                                     labo too, side by side (it may not
#                                     know --limit: none is passed to it)
#
# An input whose first run takes over SLOW seconds (default 10) is run
# once; a run over TIMEOUT seconds (default 600) is stopped and shown as
# "> TIMEOUT s". Writes build/bench/validate.md.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-${BENCH_ROUNDS:-5}}
SLOW=${SLOW:-10}
TIMEOUT=${TIMEOUT:-600}
LABO=${LABO:-./labo}
BEFORE=${BEFORE:-}
[ -x "$LABO" ] || make -s labo
OUT=build/bench
IN=$OUT/validate
mkdir -p "$IN"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# ---- inputs ----
for n in 1000 10000 100000 300000; do
	[ -s "$IN/lab-$n.yaml" ] || bench/gen-lab.sh "$n" big >"$IN/lab-$n.yaml"
done
[ -s "$IN/compact-300000.yaml" ] || awk 'BEGIN {
	printf "lab: big\nsegments: {lan: {subnet: 10.0.0.0/8}}\nhosts:\n"
	for (i = 1; i <= 300000; i++) printf "  h%d: {links: [{segment: lan}]}\n", i
}' >"$IN/compact-300000.yaml"
[ -s "$IN/deep.yaml" ] || awk 'BEGIN {
	printf "lab: deep\nhosts: "
	for (i = 0; i < 100000; i++) printf "["
	for (i = 0; i < 100000; i++) printf "]"
	printf "\n"
}' >"$IN/deep.yaml"
[ -s "$IN/aliases.yaml" ] || awk 'BEGIN {
	printf "lab: aliases\nsegments: {s: {subnet: 10.0.0.0/8}}\nhosts:\n  h1:\n    links: &l\n"
	for (i = 0; i < 2000; i++) printf "      - {segment: s}\n"
	for (i = 2; i <= 2000; i++) printf "  h%d: {links: *l}\n", i
}' >"$IN/aliases.yaml"

# name file limits... (the limits only for a labo that has them)
INPUTS=(
	"1,000 hosts|lab-1000.yaml|"
	"10,000 hosts|lab-10000.yaml|"
	"100,000 hosts|lab-100000.yaml|--limit hosts=100000 --limit links=100000"
	"300,000 hosts (21 MB)|lab-300000.yaml|--limit hosts=300000 --limit links=300000 --limit yaml-nodes=3M --limit file-size=32M"
	"300,000 compact hosts (10 MB)|compact-300000.yaml|--limit hosts=300000 --limit links=300000 --limit yaml-nodes=3M"
	"100,000 [ (refused)|deep.yaml|"
	"2,000 hosts aliasing 2,000 links (refused)|aliases.yaml|"
)

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# one LABO FILE LIMITS...: one run; prints "SECONDS RSS_KB STATUS"
one() {
	local labo=$1 file=$2 t0 t1 rc=0
	shift 2
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$T/rss" timeout "$TIMEOUT" "$labo" "$@" validate "$file" \
		>"$T/out" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	echo "$(echo "$t1 - $t0" | bc) $(tail -n 1 "$T/rss" | tr -dc 0-9) $rc"
}

# row LABO LIMITED: one line of the table for each input
rows() {
	local labo=$1 limited=$2
	for spec in "${INPUTS[@]}"; do
		IFS='|' read -r name file limits <<<"$spec"
		local args=() times=() rss=() r s m status said
		[ "$limited" = yes ] && [ -n "$limits" ] && read -ra args <<<"$limits"
		for ((k = 0; k < RUNS; k++)); do
			r=$(one "$labo" "$IN/$file" "${args[@]}")
			read -r s m status <<<"$r"
			times+=("$s")
			rss+=("$m")
			[ "$status" = 124 ] && break
			[ "$k" = 0 ] && awk -v s="$s" -v l="$SLOW" 'BEGIN { exit !(s > l) }' && break
		done
		said=$(grep -m1 -o 'ok: lab [a-z]*, [0-9]* hosts\|error: [^(]*' "$T/out" | cut -c1-60 || true)
		if [ "$status" = 124 ]; then
			printf '| %s | > %s s | | | %s |\n' "$name" "$TIMEOUT" "stopped"
			continue
		fi
		printf '| %s | %.3f | %.3f | %.3f | %d MB | %d | %s |\n' "$name" \
			"$(printf '%s\n' "${times[@]}" | sort -n | head -n1)" \
			"$(printf '%s\n' "${times[@]}" | median)" \
			"$(printf '%s\n' "${times[@]}" | sort -n | tail -n1)" \
			"$(($(printf '%s\n' "${rss[@]}" | median | cut -d. -f1) / 1024))" \
			"${#times[@]}" "$said"
	done
}

{
	echo "# labo validate, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
	echo
	for which in before after; do
		if [ "$which" = before ]; then
			[ -n "$BEFORE" ] || continue
			labo=$BEFORE
		else
			labo=$LABO
		fi
		limited=no
		"$labo" --limit hosts=1 version >/dev/null 2>&1 && limited=yes
		echo "## $labo ($("$labo" version 2>/dev/null || echo '?'))"
		echo
		echo "| input | min s | median s | max s | resident | runs | said |"
		echo "|---|---|---|---|---|---|---|"
		rows "$labo" "$limited"
		echo
	done
} | tee "$OUT/validate.md"
