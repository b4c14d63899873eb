#!/bin/bash
# `labo reset` against `labo down` + `labo up` (issue 14), on the seed
# (netns/seed.yaml under a unique name, without its root address), under
# each runtime: the lab up, then in turn A B A B...: A a reset, B a down
# then an up, each timed from the shell as a user waits for it (wall, until
# the command returns with the ensemble serving again). Before each A and
# each B the lab is spoilt the same way (spoil, below), so that both have
# the same lab to bring back. Reports each side's median, min and max and the
# ratio pair by pair, in build/bench/reset.md.
#   bench/reset.sh [ROUNDS]        (as root; BENCH_RUNTIMES="docker process")
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/reset.sh: run as root" >&2; exit 1; }
LABO=${LABO:-$PWD/labo}
R=${1:-${BENCH_ROUNDS:-5}}
RUNTIMES=${BENCH_RUNTIMES:-docker process}
CLI_MT=/usr/lib/zookeeper/bin/cli_mt
OUT=build/bench; mkdir -p "$OUT"
T=$(mktemp -d); LAB=br$$
cleanup() { "$LABO" down -q "$LAB" >/dev/null 2>&1 || true; rm -rf "$T"; }
trap cleanup EXIT
sed -e "s/^lab: seed\$/lab: $LAB/" -e '/root: 198.51.100.1/d' netns/seed.yaml > "$T/seed.yaml"

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", b - a }'; }
# the lab as a workshop leaves it: a znode written, a cut, a link slowed;
# with BENCH_POWER=1 the worker's host powered off too (then a Docker
# reset starts its dockerd again, after the manager has dropped the dead
# run from its gossip: ~5 s, Docker's own failure detection)
spoil() {
  "$LABO" exec -l "$LAB" mida-clm1 -- "$CLI_MT" 198.51.100.198:32181 "cmd:create /bench$1" >/dev/null 2>&1 || true
  "$LABO" partition -l "$LAB" mida-clm1 mida-clm2 --oneway >/dev/null
  "$LABO" link -l "$LAB" mida-clm1 --delay 20ms >/dev/null
  if [ "${BENCH_POWER:-0}" = 1 ]; then "$LABO" stop -l "$LAB" mida-clm2 >/dev/null; fi
}
reset_once() { local t0=$EPOCHREALTIME; "$LABO" reset -q "$LAB" >/dev/null; since "$t0"; }
downup_once() {
  local t0=$EPOCHREALTIME
  "$LABO" down -q "$LAB" >/dev/null
  "$LABO" up -q --runtime "$1" "$T/seed.yaml" >/dev/null
  since "$t0"
}

{
  echo "# bench/reset.sh: labo reset against labo down + labo up, the seed ($R rounds a runtime, A B A B; BENCH_POWER=${BENCH_POWER:-0})"
  echo
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ { print $2 }') GB, $(uname -r); $("$LABO" version 2>/dev/null | head -1)"
  echo
  echo "| runtime | | median | min | max |"
  echo "|---|---|---|---|---|"
} > "$OUT/reset.md"
for rt in $RUNTIMES; do
  echo "== $rt: warm-up (image built or cached, one up)" >&2
  "$LABO" up -q --runtime "$rt" "$T/seed.yaml" >/dev/null
  : > "$T/runs"
  for i in $(seq 1 "$R"); do
    spoil "$i-a"; a=$(reset_once)
    spoil "$i-b"; b=$(downup_once "$rt")
    echo "$a $b" >> "$T/runs"
    echo "  $rt round $i: reset $a s, down + up $b s" >&2
  done
  "$LABO" down -q "$LAB" >/dev/null
  for c in 1 2; do
    name=$([ $c = 1 ] && echo "reset, s" || echo "down + up, s")
    col=$(awk -v c=$c '{ print $c }' "$T/runs")
    echo "| $rt | $name | $(echo "$col" | median) | $(echo "$col" | sort -n | head -1) | $(echo "$col" | sort -n | tail -1) |"
  done >> "$OUT/reset.md"
  r=$(awk '{ printf "%.3f\n", $1 / $2 }' "$T/runs")
  echo "| $rt | reset / (down + up), pair by pair | $(echo "$r" | median) | $(echo "$r" | sort -n | head -1) | $(echo "$r" | sort -n | tail -1) |" >> "$OUT/reset.md"
done
cat "$OUT/reset.md"
